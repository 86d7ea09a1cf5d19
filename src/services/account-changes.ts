import crypto from 'node:crypto';
import type { Logger } from 'pino';
import { RedisCommander, RedisSubscriber, withTimeout } from '../lib/redis';

/** `null`: anything may have changed (messages were missed), so every cached account goes. */
export type ChangeListener = (userId: number | null) => void;

/**
 * "This user's account or sessions changed": every instance's access-check cache drops what it
 * holds for the user, so revocation, a role change or a profile edit made on one instance is
 * seen on the very next request to any other, not after the cache's second.
 */
export interface AccountChanges {
  /**
   * Applies the change here at once, then tells the other instances. Resolves once Redis has
   * taken the message (or failed to): a caller that awaits it before answering knows every
   * instance will have dropped the user before the client's next request can reach it.
   */
  publish(userId: number): Promise<void>;
  subscribe(listener: ChangeListener): void;
  /** Resolves once other instances' changes reach this one (at once without Redis). */
  readonly ready: Promise<void>;
}

/** The listeners of one process. */
function createListeners() {
  const listeners: ChangeListener[] = [];
  return {
    add: (listener: ChangeListener) => void listeners.push(listener),
    emit(userId: number | null) {
      for (const listener of listeners) listener(userId);
    },
  };
}

/** One process, no Redis: the change is applied here and there is nobody else to tell. */
export function createLocalAccountChanges(): AccountChanges {
  const listeners = createListeners();
  return {
    async publish(userId) {
      listeners.emit(userId);
    },
    subscribe: listeners.add,
    ready: Promise.resolve(),
  };
}

/**
 * Redis pub/sub between instances. Each message names the instance that sent it (which has
 * applied the change already) and the user's row id — nothing personal.
 *
 * Pub/sub delivers at most once: while the subscription is down, messages are lost. So whenever
 * it comes back every cached account is dropped, and while it is down the cache's one-second
 * lifetime (SPEC.md's bound) is what limits how stale another instance can be.
 */
export function createRedisAccountChanges(deps: {
  commands: RedisCommander;
  subscriber: RedisSubscriber;
  channel: string;
  logger: Logger;
}): AccountChanges {
  const { commands, subscriber, channel, logger } = deps;
  const listeners = createListeners();
  const instance = crypto.randomBytes(8).toString('hex');
  let publishFailing = false;
  let subscribed = false;

  function receive(message: string): void {
    const [sender, id] = message.split(' ');
    const userId = Number(id);
    if (sender !== instance && Number.isSafeInteger(userId)) listeners.emit(userId);
  }

  // A subscription that was down may have missed messages: start again from an empty cache.
  subscriber.on('ready', () => {
    if (subscribed) listeners.emit(null);
  });
  const ready = subscriber.subscribe(channel, receive).then(() => {
    subscribed = true;
  });
  ready.catch((error: unknown) => logger.warn({ err: error }, 'account-change subscription failed: other instances\' changes show here within 1 s'));

  return {
    async publish(userId) {
      listeners.emit(userId);
      try {
        await withTimeout(commands.sendCommand(['PUBLISH', channel, `${instance} ${userId}`]));
        if (publishFailing) logger.info('redis reachable again: account changes reach other instances at once');
        publishFailing = false;
      } catch (error) {
        if (!publishFailing) logger.warn({ err: error }, 'redis unreachable: other instances see account changes within 1 s (their cache\'s lifetime)');
        publishFailing = true;
      }
    },
    subscribe: listeners.add,
    ready,
  };
}

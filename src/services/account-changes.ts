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
   * Applies the change here at once, then tells the other instances. Resolves once every other
   * instance has confirmed that it dropped the user (or Redis failed, or one did not answer in
   * time, logged): a caller that awaits it before answering knows the client's next request
   * sees the change wherever it goes.
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

/** What a publisher keeps about one of its messages until enough instances have acknowledged it. */
interface Awaiting {
  acks: number;
  /** How many subscriptions received the message: unknown until PUBLISH answers. */
  receivers: number;
  confirm(): void;
}

/**
 * Redis pub/sub between instances. Each message names the instance that sent it (which has
 * applied the change already), the user's row id — nothing personal — and a sequence number.
 *
 * A message alone does not make "the very next request" true: PUBLISH answers once Redis has
 * queued the message, and the client's next request can reach another instance before that
 * instance has read it. So every instance acknowledges each message it receives, on a second
 * channel, after its cache has dropped the user; `publish` resolves when as many have
 * acknowledged as PUBLISH says received it (the publisher's own subscription among them), or
 * after half a second, logged, if one does not answer — the cache's one-second lifetime then
 * bounds how stale that instance can be.
 *
 * Pub/sub delivers at most once: while the subscription is down, messages are lost. So whenever
 * it comes back every cached account is dropped, and while it is down the cache's lifetime
 * (SPEC.md's bound) is what limits how stale another instance can be.
 */
export function createRedisAccountChanges(deps: {
  commands: RedisCommander;
  subscriber: RedisSubscriber;
  channel: string;
  logger: Logger;
}): AccountChanges {
  const { commands, subscriber, channel, logger } = deps;
  const ackChannel = `${channel}:acks`;
  const listeners = createListeners();
  const instance = crypto.randomBytes(8).toString('hex');
  const awaiting = new Map<string, Awaiting>();
  let sequence = 0;
  let publishFailing = false;
  let confirmFailing = false;
  let subscribed = false;

  function receive(message: string): void {
    const [sender, id, seq] = message.split(' ');
    const userId = Number(id);
    if (sender !== instance && Number.isSafeInteger(userId)) listeners.emit(userId);
    commands.sendCommand(['PUBLISH', ackChannel, `${sender} ${seq}`]).catch(() => undefined);
  }

  function receiveAck(message: string): void {
    const [sender, seq = ''] = message.split(' ');
    const sent = sender === instance ? awaiting.get(seq) : undefined;
    if (!sent) return;
    sent.acks += 1;
    if (sent.acks >= sent.receivers) sent.confirm();
  }

  async function send(userId: number, seq: string): Promise<void> {
    let confirm!: () => void;
    const confirmed = new Promise<void>((resolve) => {
      confirm = resolve;
    });
    // Registered before PUBLISH: an acknowledgement can arrive before PUBLISH's own answer does.
    const sent: Awaiting = { acks: 0, receivers: Infinity, confirm };
    awaiting.set(seq, sent);
    try {
      sent.receivers = Number(await withTimeout(commands.sendCommand(['PUBLISH', channel, `${instance} ${userId} ${seq}`])));
      if (publishFailing) logger.info('redis reachable again: account changes reach other instances at once');
      publishFailing = false;
    } catch (error) {
      if (!publishFailing) logger.warn({ err: error }, 'redis unreachable: other instances see account changes within 1 s (their cache\'s lifetime)');
      publishFailing = true;
      return;
    }
    if (sent.acks >= sent.receivers) confirm();
    try {
      await withTimeout(confirmed);
      confirmFailing = false;
    } catch (error) {
      if (!confirmFailing) logger.warn({ err: error }, 'an instance did not confirm an account change: it sees the change within 1 s (its cache\'s lifetime)');
      confirmFailing = true;
    }
  }

  // A subscription that was down may have missed messages: start again from an empty cache.
  subscriber.on('ready', () => {
    if (subscribed) listeners.emit(null);
  });
  const ready = Promise.all([subscriber.subscribe(ackChannel, receiveAck), subscriber.subscribe(channel, receive)]).then(() => {
    subscribed = true;
  });
  ready.catch((error: unknown) => logger.warn({ err: error }, 'account-change subscription failed: other instances\' changes show here within 1 s'));

  return {
    async publish(userId) {
      listeners.emit(userId);
      sequence += 1;
      const seq = String(sequence);
      try {
        await send(userId, seq);
      } finally {
        awaiting.delete(seq);
      }
    },
    subscribe: listeners.add,
    ready,
  };
}

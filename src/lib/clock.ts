/** Time, injectable so tests can expire tokens and grace windows without sleeping. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function secondsSinceEpoch(clock: Clock): number {
  return Math.floor(clock.now().getTime() / 1000);
}

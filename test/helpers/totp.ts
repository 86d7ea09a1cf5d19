import { generateSync } from 'otplib';
import type { Clock } from '../../src/lib/clock';

/** The code an authenticator app shows for `secret` at the test clock's time, `steps` 30-second steps away. */
export function totpCode(secret: string, clock: Clock, steps = 0): string {
  return generateSync({ secret, epoch: Math.floor(clock.now().getTime() / 1000) + steps * 30 });
}

import type { SecondStep } from '../services/mfa-login.service';
import type { TokenPair } from '../services/session.service';

/** The token pair as every JSON sign-in answers it (login, second step, password reset). */
export function toTokenResponse(tokens: TokenPair) {
  return {
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken,
    token_type: 'Bearer' as const,
    expires_in: tokens.accessExpiresIn,
  };
}

/** The answer of a right password when a second factor is on: no tokens until POST /api/auth/mfa. */
export function toSecondStepResponse(step: SecondStep) {
  // The API finishes with a code; a passkey needs a browser.
  return { mfa_required: true as const, mfa_token: step.token, methods: step.methods.filter((method) => method !== 'passkey'), expires_in: step.expiresIn };
}

import helmet from 'helmet';
import type { Config } from '../config/env';

/**
 * helmet with a CSP that allows nothing inline and nothing from elsewhere: every script and
 * style comes from /public. HSTS and upgrade-insecure-requests only when served over HTTPS.
 */
export function securityHeaders(config: Config) {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        upgradeInsecureRequests: config.cookies.secure ? [] : null,
      },
    },
    strictTransportSecurity: config.cookies.secure ? { maxAge: 31536000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
  });
}

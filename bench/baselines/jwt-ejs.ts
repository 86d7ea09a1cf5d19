import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import cookieParser from 'cookie-parser';
import express from 'express';
import jwt from 'jsonwebtoken';

/**
 * Baseline (b), the floor an authenticated page costs in any Express app: read the access
 * token cookie, verify it (RS256, key parsed once into a KeyObject, algorithm, issuer and
 * audience pinned) and render a small EJS profile with the view cache on. No database, no
 * security headers, no CSRF, no logging: what Gatehouse adds on top must pay for itself.
 */
const publicKey = crypto.createPublicKey(fs.readFileSync(process.env.BENCH_PUBLIC_KEY_FILE ?? '', 'utf8'));
const cookieName = process.env.BENCH_COOKIE_NAME ?? 'access_token';
const verifyOptions: jwt.VerifyOptions = { algorithms: ['RS256'], issuer: 'gatehouse', audience: 'gatehouse' };

const app = express();
app.set('view engine', 'ejs');
app.set('views', path.join(__dirname, 'views'));
app.set('view cache', true);
app.use(cookieParser());

app.get('/me', (req, res) => {
  const token: unknown = req.cookies?.[cookieName];
  if (typeof token !== 'string') {
    res.status(401).send('sign in');
    return;
  }
  let claims: jwt.JwtPayload;
  try {
    claims = jwt.verify(token, publicKey, verifyOptions) as jwt.JwtPayload;
  } catch {
    res.status(401).send('sign in');
    return;
  }
  res.render('profile', { user: claims });
});

app.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
// Exit on SIGTERM (the bench's stop) so that `--cpu-prof` writes its profile.
process.once('SIGTERM', () => process.exit(0));

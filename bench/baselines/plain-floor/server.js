'use strict';
/**
 * Baseline (p), the plain-JavaScript floor: the authenticated page of any Express app, written
 * as such an app is written and run as `node server.js`: no TypeScript loader, no node flags,
 * no code shared with Gatehouse or with the rest of the bench. Express 5 + cookie-parser +
 * jsonwebtoken (RS256, the key parsed once into a KeyObject; algorithm, issuer and audience
 * pinned) + a small EJS profile page with the view cache on. What Gatehouse adds must pay for itself.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const cookieParser = require('cookie-parser');
const express = require('express');
const jwt = require('jsonwebtoken');

const publicKey = crypto.createPublicKey(fs.readFileSync(process.env.BENCH_PUBLIC_KEY_FILE || '', 'utf8'));
const cookieName = process.env.BENCH_COOKIE_NAME || 'access_token';
const verifyOptions = { algorithms: ['RS256'], issuer: 'gatehouse', audience: 'gatehouse' };

const app = express();
app.set('view engine', 'ejs');
app.set('views', path.join(__dirname, 'views'));
app.set('view cache', true);
app.use(cookieParser());

app.get('/me', (req, res) => {
  const token = req.cookies[cookieName];
  let claims;
  try {
    claims = jwt.verify(String(token), publicKey, verifyOptions);
  } catch {
    res.status(401).send('sign in');
    return;
  }
  res.render('profile', { user: claims });
});

app.listen(Number(process.env.PORT), process.env.HOST || '127.0.0.1');
// Exit on SIGTERM (the bench's stop) so that `--cpu-prof` writes its profile.
process.once('SIGTERM', () => process.exit(0));

import express from 'express';

/** Baseline (a), the ceiling: Express 5 answering "hello" with nothing in front. */
const app = express();
app.get('/', (_req, res) => {
  res.send('hello');
});
app.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
// Exit on SIGTERM (the bench's stop) so that `--cpu-prof` writes its profile.
process.once('SIGTERM', () => process.exit(0));

// The browser suite needs Debian's chromium; it never downloads one. Say how to get it and stop.
const fs = require('node:fs');

module.exports = async () => {
  const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  try {
    fs.accessSync(chromium, fs.constants.X_OK);
  } catch {
    const message = [
      '',
      `The browser tests need Chromium at ${chromium}, and it is not there.`,
      'Install it with:  sudo apt-get update && sudo apt-get install -y chromium',
      '(or point CHROMIUM_PATH at another Chromium binary). No browser is ever downloaded by the tests.',
      '',
    ].join('\n');
    process.stderr.write(`${message}\n`);
    const error = new Error('chromium is missing: apt-get install chromium');
    error.stack = error.message; // the message above says it all; no stack trace to wade through
    throw error;
  }
  process.stdout.write(`\nBrowser tests on ${chromium}\n`);
};

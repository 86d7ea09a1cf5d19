import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

describe('public/js/vendor', () => {
  it('holds exactly the @simplewebauthn/browser bundle of the installed version (no CDN: public/ serves it)', () => {
    const served = fs.readFileSync(path.join(ROOT, 'public/js/vendor/simplewebauthn-browser.umd.min.js'));
    const installed = fs.readFileSync(path.join(ROOT, 'node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js'));
    // After upgrading the package: cp node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js public/js/vendor/simplewebauthn-browser.umd.min.js
    expect(served.equals(installed)).toBe(true);
  });
});

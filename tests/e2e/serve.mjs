// What the end-to-end tests and benchmarks share: the static server for the built site, and
// Chromium's flags.
export { serveDist } from '../../scripts/dist-server.mjs';

/** Chromium's flags: headless, no sandbox (the tests may run as root), no background traffic, so the
 * page's own requests are the only ones. */
export const CHROMIUM = {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
  ],
};

/** The strict Content-Security-Policy README.md gives for host sites. */
export const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; frame-ancestors 'self'";

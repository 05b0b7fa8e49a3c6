// Shared set-up of the end-to-end tests: serve the release build from a sub-path, open it in headless
// Chromium, and record every console message, page error and request that leaves the page's origin.
import { after } from 'node:test';
import { chromium } from 'playwright-core';
import { serveDist, CHROMIUM } from './serve.mjs';

/** Opens the explainer at chapter `path` (chapter 1 when empty, else its folder as `qlora/`);
 * resolves once chapter 1's figures have painted their first numbers, or another chapter has
 * mounted. */
export async function openPage({ path = '', query = '', viewport = { width: 1280, height: 900 }, headers = {}, colorScheme = 'light' } = {}) {
  const server = await serveDist({ root: new URL('../../dist/', import.meta.url).pathname, headers });
  const browser = await chromium.launch(CHROMIUM);
  const page = await browser.newPage({ viewport, colorScheme });
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective}: ${e.blockedURI}`));
  });
  const consoleMessages = [];
  const foreignRequests = [];
  page.on('console', (msg) => consoleMessages.push(`${msg.type()}: ${msg.text()}`));
  page.on('pageerror', (err) => consoleMessages.push(`pageerror: ${err.message}`));
  page.on('worker', (worker) => worker.on('console', (msg) => consoleMessages.push(`worker ${msg.type()}: ${msg.text()}`)));
  const origin = new URL(server.url).origin;
  page.on('request', (req) => {
    if (new URL(req.url()).origin !== origin && !req.url().startsWith('data:')) foreignRequests.push(req.url());
  });
  const ready = () => (path ? chapterMounted(page) : painted(page));
  await page.goto(server.url + path + query);
  await ready();
  return {
    browser,
    page,
    /** Loads the page afresh at `query`, so that a test starts from a state of its own. With
     * `{ mounted: true }` it waits only until the controls hold their values, not for the workers. */
    goto: async (query, { mounted = false } = {}) => {
      await page.goto(server.url + path + query);
      await (mounted && !path ? page.waitForFunction(() => document.getElementById('f-count-1')?.textContent.includes('parameters')) : ready());
    },
    consoleMessages,
    foreignRequests,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}

/** Resolves once every figure has painted its first numbers, those from workers included. */
async function painted(page) {
  await page.waitForFunction(() => document.getElementById('f-count-1')?.textContent.includes('parameters'));
  await passWorkerFigures(page);
  // Figures hidden by an embed never start their workers; the others must finish.
  await page.waitForFunction(() => {
    const status = document.getElementById('i-status');
    return status.offsetParent === null || !status.classList.contains('busy');
  }, null, { timeout: 20000 });
  // Figure 3's singular values come from a worker too.
  await page.waitForFunction(() => {
    const caption = document.getElementById('f-spectrum-caption');
    return caption.offsetParent === null || caption.textContent !== '';
  }, null, { timeout: 20000 });
}

/** Resolves once a chapter's module has mounted: it sets the theme on the root element. */
async function chapterMounted(page) {
  await page.waitForFunction(() => document.documentElement.hasAttribute('data-theme'));
}

/** Scrolls past the figures whose workers start when they come near the viewport, a frame at a
 * time so that the page sees each, and back to the top. */
export async function passWorkerFigures(page) {
  for (const id of ['fig-factorisation', 'intrinsic']) {
    await page.evaluate((id) => new Promise((resolve) => {
      document.getElementById(id)?.scrollIntoView();
      requestAnimationFrame(() => requestAnimationFrame(resolve));
    }), id);
  }
  await page.evaluate(() => window.scrollTo(0, 0));
}

/** Text of the element with `id`. */
export const textOf = (page, id) => page.$eval(`#${id}`, (el) => el.textContent);

/** A canvas's pixels as a data URL, to tell whether it was repainted. */
export const imageOf = (page, id) => page.$eval(`#${id}`, (c) => c.toDataURL());

/** Focuses a control and presses keys on it, as a keyboard user would. */
export async function press(page, id, ...keys) {
  await page.focus(`#${id}`);
  for (const key of keys) await page.keyboard.press(key);
}

/** Waits until the text of the element with `id` matches `pattern`; resolves to that text. */
export async function waitForText(page, id, pattern, timeout = 10000) {
  const source = pattern.source;
  const flags = pattern.flags;
  await page.waitForFunction(([id, source, flags]) => new RegExp(source, flags).test(document.getElementById(id)?.textContent ?? ''), [id, source, flags], { timeout });
  return textOf(page, id);
}

/** An `openPage` whose pages all close when the calling test file ends. */
export function pageOpener() {
  const sessions = [];
  after(async () => {
    for (const session of sessions) await session.close();
  });
  return async (options) => {
    const session = await openPage(options);
    sessions.push(session);
    return session;
  };
}

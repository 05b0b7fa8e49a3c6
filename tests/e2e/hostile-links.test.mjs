// End to end: 320 hostile links, 80 for each chapter, loaded under the strict Content-Security-Policy.
// Each names up to three of the chapter's controls with values that are markup, script, huge or tiny
// numbers, malformed escapes, unicode digits or nothing, some given twice, beside unknown names, an
// unknown figure to embed and other versions of the scheme. Every load must give no page error, no
// console message, no dialog and no element the link wrote, and the notice must name every control
// whose value was changed, and say what became of the version, the unknown names and the embed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { serveDist, CHROMIUM, CSP } from './serve.mjs';

const CHAPTERS = ['', 'learn/', 'qlora/', 'calculator/'];
const LOADS_PER_CHAPTER = 80;

/** Values no control accepts as they are: each is refused or clamped, so each needs a notice. */
const PAYLOADS = [
  '<img src=x onerror=alert(1)>',
  '"><script>alert(1)</script>',
  "'><svg onload=alert(1)>",
  'javascript:alert(1)',
  '1e309',
  '-1e309',
  '9'.repeat(400),
  '-' + '9'.repeat(40),
  'NaN',
  'Infinity',
  '0x10',
  '١٢',
  '🙂',
  '%E0%A4%A',
  '%00',
  '',
  '1,5',
  ' ',
  '1e-400x',
];

/** A seeded generator, so that every run loads the same links. */
function generator(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A hostile link for a chapter whose controls are `keys`, and what its notice must say. */
function hostileLink(keys, random) {
  const pick = (list) => list[Math.floor(random() * list.length)];
  // Parameters by name, each name's values in order: a name given twice keeps its order, so that
  // its hostile value stays last.
  const groups = new Map();
  const add = (key, value) => groups.set(key, [...(groups.get(key) ?? []), `${key}=${value}`]);
  const changed = new Set();
  const expect = { version: false, unknown: false, embed: false };
  const version = random();
  if (version < 0.15) {
    add('v', pick(['0', '2', '%3Cb%3E1%3C%2Fb%3E', '1.0', '']));
    expect.version = true;
  } else if (version < 0.8) {
    add('v', '1');
  }
  const count = 1 + Math.floor(random() * 3);
  for (let i = 0; i < count; i++) {
    const key = pick(keys);
    const payload = pick(PAYLOADS);
    // Some values travel escaped, some raw, and some names come twice with the hostile value last.
    const value = random() < 0.5 ? encodeURIComponent(payload) : payload.replaceAll('&', '%26').replaceAll('#', '%23');
    if (random() < 0.2) add(key, '1');
    add(key, value);
    changed.add(key);
  }
  if (random() < 0.3) {
    add(pick(['zz', '%3Ci%3Ex%3C%2Fi%3E', 'constructor', '__proto__', 'ﬀ']), encodeURIComponent(pick(PAYLOADS)));
    expect.unknown = true;
  }
  if (random() < 0.15) {
    add('embed', encodeURIComponent(pick(['nonsense', '<script>', '../../etc', 'f-heat-w0'])));
    expect.embed = true;
  }
  // The names in a shuffled order: a notice must not depend on the order of the parameters.
  const order = [...groups.keys()];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const parts = order.flatMap((key) => groups.get(key));
  return { query: `?${parts.join('&')}`, changed: [...changed], expect };
}

let server, browser;

before(async () => {
  server = await serveDist({ root: new URL('../../dist/', import.meta.url).pathname, headers: { 'Content-Security-Policy': CSP } });
  browser = await chromium.launch(CHROMIUM);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

for (const [index, chapter] of CHAPTERS.entries()) {
  test(`${LOADS_PER_CHAPTER} hostile links to ${chapter || 'chapter 1'}: no error, no injection, a notice for every change`, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => problems.push(`console ${msg.type()}: ${msg.text()}`));
    page.on('dialog', (dialog) => { problems.push(`dialog: ${dialog.message()}`); dialog.dismiss(); });
    await page.addInitScript(() => {
      window.cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective}: ${e.blockedURI}`));
    });
    const mounted = () => page.waitForFunction(() => document.documentElement.hasAttribute('data-theme'));
    await page.goto(`${server.url}${chapter}`);
    await mounted();
    const keys = await page.$$eval('[data-key]', (els) => els.map((el) => el.dataset.key));
    const random = generator(1000 + index);
    for (let load = 0; load < LOADS_PER_CHAPTER; load++) {
      const { query, changed, expect } = hostileLink(keys, random);
      await page.goto(`${server.url}${chapter}${query}`);
      await mounted();
      const seen = await page.evaluate(() => ({
        notice: document.getElementById('url-notice').textContent,
        noticeElements: document.querySelectorAll('#url-notice *').length,
        injected: document.querySelectorAll('img[src="x"], [onerror], [onload], svg script, body script:not([src])').length,
        violations: window.cspViolations,
        banner: document.getElementById('error-banner').hidden ? '' : document.getElementById('error-banner').textContent,
      }));
      const where = `${chapter}${query}`;
      assert.deepEqual(problems, [], where);
      assert.deepEqual(seen.violations, [], where);
      assert.equal(seen.banner, '', where);
      assert.equal(seen.injected, 0, `${where}: an element the link wrote`);
      assert.equal(seen.noticeElements, 0, `${where}: the notice holds text only`);
      for (const key of changed) {
        assert.ok(seen.notice.includes(`${key} = “`), `${where}: the notice does not name ${key}: ${seen.notice}`);
      }
      if (expect.version) assert.match(seen.notice, /version “/, where);
      if (expect.unknown) assert.match(seen.notice, /not (one|ones) this page knows/, where);
      if (expect.embed) assert.match(seen.notice, /no figure “/, where);
    }
    await page.close();
  });
}

// End to end: a hostile embedding host. A course page of another origin embeds a figure of every
// chapter and floods it with junk and imitation messages; the figure ignores them, raises no error
// and keeps working, and its own height messages still arrive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { pageOpener } from './page.mjs';

const open = pageOpener();

const EMBEDS = [
  ['', '?v=1&embed=factorisation', 'f-count-1'],
  ['learn/', '?v=1&embed=training-loss&ld=16&lk=16&lw=max', 'l-loss-caption'],
  ['qlora/', '?v=1&embed=nf4-codes', 'q-codes-caption'],
  ['calculator/', '?v=1&embed=calculator', 'k-model'],
];

test('junk and imitation messages from the host are ignored without an error', async () => {
  const { browser, page: explainer, consoleMessages } = await open();
  const base = explainer.url().split('?')[0];
  const host = createServer((req, res) => {
    const src = new URL(req.url, 'http://x').searchParams.get('src');
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><meta charset="utf-8"><title>Hostile course page</title>
      <iframe id="frame" src="${src}" title="LoRA Explorer" width="900" height="600"></iframe>
      <script>
        window.heights = 0;
        window.addEventListener('message', (event) => {
          if (event.data && event.data.type === 'lora-explorer:resize') window.heights += 1;
        });
        window.flood = () => {
          const frame = document.getElementById('frame').contentWindow;
          const junk = [
            'hello', 42, null, undefined, [1, 2, 3], { type: 'lora-explorer:resize', height: -1 },
            { type: 'lora-explorer:resize', height: 1e308, figure: '<img src=x onerror=alert(1)>' },
            { subject: 'lti.frameResize', height: 'NaN' }, { __proto__: { polluted: true } },
            new Uint8Array(1 << 20), 'x'.repeat(1 << 20), { embed: 'quiz', v: 2 }, Symbol.for ? 'symbol' : 0,
          ];
          for (let i = 0; i < 500; i += 1) frame.postMessage(junk[i % junk.length], '*');
          const buffer = new ArrayBuffer(1024);
          frame.postMessage(buffer, '*', [buffer]);
        };
      </script>`);
  });
  await new Promise((resolve) => host.listen(0, '127.0.0.1', resolve));
  const hostUrl = `http://127.0.0.1:${host.address().port}/`;
  const page = await browser.newPage();
  const errors = [];
  page.on('console', (msg) => { if (msg.type() === 'error' || msg.type() === 'warning') errors.push(msg.text()); });
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('dialog', (dialog) => { errors.push(`dialog: ${dialog.message()}`); dialog.dismiss(); });
  try {
    for (const [path, query, painted] of EMBEDS) {
      await page.goto(`${hostUrl}?src=${encodeURIComponent(base + path + query)}`);
      const frame = page.frameLocator('#frame');
      await frame.locator(`#${painted}`).filter({ hasText: /\S/ }).waitFor({ timeout: 20000 });
      await page.waitForFunction(() => window.heights > 0, null, { timeout: 15000 });
      await page.evaluate(() => window.flood());
      await page.waitForTimeout(500);
      // Still alive: no banner, and the figure still answers its controls.
      assert.equal(await frame.locator('#error-banner').isHidden(), true, path);
      assert.equal(await frame.locator('#url-notice').isHidden(), true, path);
    }
    assert.deepEqual(errors, []);
    assert.deepEqual(consoleMessages, []);
  } finally {
    await new Promise((resolve) => host.close(resolve));
  }
});

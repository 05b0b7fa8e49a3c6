// The release build under the strict Content-Security-Policy the README gives for host sites: the
// browser must report no violation, and every figure must still draw.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, textOf } from './page.mjs';
import { CSP } from './serve.mjs';

let session, page;

before(async () => {
  session = await openPage({ headers: { 'Content-Security-Policy': CSP } });
  page = session.page;
});

after(async () => {
  await session?.close();
});

test('no violation is reported', async () => {
  await page.waitForFunction(() => !document.getElementById('ia-status').classList.contains('busy'), null, { timeout: 20000 });
  assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
  assert.deepEqual(session.consoleMessages, []);
});

test('every figure draws', async () => {
  const blank = await page.$$eval('canvas', (canvases) =>
    canvases
      .filter((c) => c.width > 0 && c.height > 0)
      .filter((c) => {
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return false;
        return true;
      })
      .map((c) => c.id),
  );
  assert.deepEqual(blank, []);
  assert.match(await textOf(page, 'c-layer-rows'), /5,313,024/);
  assert.equal((await page.$$('#m-equations math')).length, 6);
  assert.match(await textOf(page, 'r-result-1'), /16,384/);
  assert.match(await textOf(page, 'i-result-1'), /r = 15 components/);
  assert.match(await textOf(page, 'ia-result-3'), /^The two agree/);
  assert.match(await textOf(page, 'v-rows'), /37\.7M/);
});

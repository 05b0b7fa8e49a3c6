// End to end: a 360 px wide phone. Nothing may make the page scroll sideways, every figure must
// fit, and every slider must be large enough to touch.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from './page.mjs';

let session;
after(async () => {
  await session?.close();
});

test('at 360 px wide the page reflows, and sliders are large enough to touch', async () => {
  session = await openPage({ query: '?fd=64&fk=64&fr=8', viewport: { width: 360, height: 740 } });
  const { page } = session;
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 360);
  const wide = await page.$$eval('[id^="fig-"]', (figures) => figures.filter((f) => f.getBoundingClientRect().right > 361).map((f) => f.id));
  assert.deepEqual(wide, []);
  const small = await page.$$eval('input[type="range"]', (inputs) => inputs.filter((i) => i.getBoundingClientRect().height < 24).map((i) => i.id));
  assert.deepEqual(small, []);
  await (await page.$('#fig-factorisation')).screenshot({ path: 'test-results/phone-factorisation.png' });
  assert.deepEqual(session.consoleMessages, []);
});

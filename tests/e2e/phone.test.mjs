// End to end: a 360 px wide phone. Nothing may make the page scroll sideways, every figure must
// fit, and every slider must be large enough to touch.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from './page.mjs';

let session, defaults;
after(async () => {
  await session?.close();
  await defaults?.close();
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

test('at 360 px the default figure stacks its heatmaps large, and Table 1 reads as cards', async () => {
  defaults = await openPage({ viewport: { width: 360, height: 740 } });
  const { page } = defaults;
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 360);
  const box = (id) => page.$eval(`#${id}`, (el) => { const r = el.getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, width: r.width, height: r.height }; });
  // The default 4×4 at rank 2: whole cells of at least 24 CSS pixels, every matrix on screen.
  const [w0, b, a, dw, wm] = await Promise.all(['w0', 'b', 'a', 'dw', 'wm'].map((slug) => box(`f-heat-${slug}`)));
  assert.ok(w0.width >= 4 * 24, `W₀ is ${w0.width} px wide`);
  for (const m of [w0, b, a, dw, wm]) assert.ok(m.left >= 0 && m.right <= 360, JSON.stringify(m));
  // B stays tall and A wide, side by side; W₀ above them, ΔW and the merged weight below.
  assert.ok(b.height > b.width && a.width > a.height);
  assert.ok(Math.abs(b.top - a.top) < b.height && w0.top < b.top && dw.top > b.top && wm.top > dw.top);
  // The spectrum chart uses the width, and the buttons wrap instead of running off the screen.
  const chart = await box('f-spectrum-chart');
  assert.ok(chart.width > 300 && chart.right <= 360);
  const buttons = await page.$$eval('.figure-tools button', (bs) => bs.map((b) => b.getBoundingClientRect().right));
  assert.ok(buttons.every((right) => right <= 360), buttons.join(', '));
  // Table 1: one card per aspect, every cell within the screen and labelled with its column.
  const cells = await page.$$eval('table.comparison tbody td', (tds) => tds.map((td) => ({ right: td.getBoundingClientRect().right, label: getComputedStyle(td, '::before').content })));
  assert.equal(cells.length, 8 * 3);
  assert.ok(cells.every((c) => c.right <= 360), JSON.stringify(cells.filter((c) => c.right > 360)));
  assert.deepEqual([...new Set(cells.map((c) => c.label))].sort(), ['"Full fine-tuning"', '"LoRA"', '"Notes"'].sort());
  await (await page.$('#fig-factorisation')).screenshot({ path: 'test-results/phone-factorisation-default.png' });
  await (await page.$('#fig-comparison')).screenshot({ path: 'test-results/phone-comparison.png' });
  assert.deepEqual(defaults.consoleMessages, []);
});

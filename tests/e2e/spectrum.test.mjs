// End to end: Figure 3's spectrum chart. The update's rank is marked and follows r, zeros sit on
// the chart's floor, pointing and the arrow keys read values, the caption follows its numbers, and
// the chart is part of the embedded figure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { pageOpener, textOf, imageOf, press, waitForText } from './page.mjs';

const open = pageOpener();

test('the caption counts the update’s directions and bounds every move by Weyl’s inequality', async () => {
  const { page, consoleMessages } = await open({ query: '?v=1&fd=16&fk=12&fr=3&fa=8' });
  const caption = await textOf(page, 'f-spectrum-caption');
  assert.match(caption, /has 3 directions: 3 of its 12 singular values are non-zero and the other 9 are zero/);
  const [, moved, bound] = caption.match(/by at most ([\d.]+) .*σ₁ of the update, ([\d.]+)\./).map(Number);
  assert.ok(moved > 0 && moved <= bound, caption);
  assert.match(caption, /below 10⁻¹⁰ × σ₁ of the update/);
  assert.match(await page.$eval('#f-spectrum-chart', (c) => c.getAttribute('aria-label')), /the update has 3 non-zero/);
  // r follows the slider.
  const before = await imageOf(page, 'f-spectrum-chart');
  await press(page, 'fr', 'ArrowRight');
  await waitForText(page, 'f-spectrum-caption', /has 4 directions: 4 of its 12/);
  assert.notEqual(await imageOf(page, 'f-spectrum-chart'), before);
  // At initialisation the update has no direction and the merged spectrum is W₀'s.
  await page.click('#fi');
  await waitForText(page, 'f-spectrum-caption', /no direction at all: all 12 of its singular values are zero.*largest move 0\)/);
  // Full rank: every value non-zero.
  await page.click('#fi');
  await press(page, 'fr', 'End');
  await waitForText(page, 'f-spectrum-caption', /has 12 directions: all 12 of its singular values are non-zero/);
  assert.deepEqual(consoleMessages, []);
});

test('pointing at the chart and the arrow keys read the three values at an index', async () => {
  const { page, consoleMessages } = await open({ query: '?v=1&fd=8&fk=8&fr=2' });
  assert.match(await textOf(page, 'f-spectrum-report'), /Point at the chart/);
  await page.focus('#f-spectrum-chart');
  assert.match(await textOf(page, 'f-spectrum-report'), /^σ₁: W₀ [\d.]+, merged [\d.]+, moved by [\d.]+; update \(α\/r\)·BA [\d.]+;/);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.match(await textOf(page, 'f-spectrum-report'), /^σ₃: .*update \(α\/r\)·BA 0 \(below the tolerance\)/);
  await page.keyboard.press('End');
  assert.match(await textOf(page, 'f-spectrum-report'), /^σ₈:/);
  // A pointer over the right end of the plot reads the last index, over the left end the first.
  const box = await page.$eval('#f-spectrum-chart', (c) => { const r = c.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; });
  await page.mouse.move(box.x + box.w - 30, box.y + box.h / 2);
  assert.match(await textOf(page, 'f-spectrum-report'), /^σ₈:/);
  await page.mouse.move(box.x + 100, box.y + box.h / 2);
  assert.match(await textOf(page, 'f-spectrum-report'), /^σ₁:/);
  await page.mouse.move(0, 0);
  assert.match(await textOf(page, 'f-spectrum-report'), /Point at the chart/);
  assert.deepEqual(consoleMessages, []);
});

test('the data table and the CSV carry the three spectra', async () => {
  const { page, consoleMessages } = await open({ query: '?v=1&fd=6&fk=5&fr=2' });
  const details = await page.$('#fig-factorisation details.data-table');
  await details.evaluate((el) => new Promise((resolve) => { el.addEventListener('toggle', resolve, { once: true }); el.open = true; }));
  const captions = await page.$$eval('#fig-factorisation details.data-table caption', (cs) => cs.map((c) => c.textContent));
  assert.ok(captions.some((c) => /Singular values, all 5 of each/.test(c)), captions.join(' | '));
  // Moving r refills the open table once the worker has answered: rank 3, so two zeros, not three.
  await press(page, 'fr', 'ArrowRight');
  await page.waitForFunction(() => {
    const table = [...document.querySelectorAll('#fig-factorisation details.data-table table')].find((t) => /Singular values/.test(t.caption?.textContent));
    return table && [...table.querySelectorAll('tbody tr')].filter((tr) => tr.cells[2].textContent === '0').length === 2;
  });
  await page.click('#fig-factorisation .figure-tools button:text-is("CSV")');
  const files = await page.$$eval('#fig-factorisation .share-files a', (as) => as.map((a) => a.download));
  assert.ok(files.includes('lora-explorer-singular-values-W0-update-merged-5.csv'), files.join(', '));
  assert.deepEqual(consoleMessages, []);
});

test('embedded, the figure keeps its spectrum chart, and it follows the dark theme', async () => {
  await mkdir('test-results', { recursive: true });
  const { page, consoleMessages } = await open({ query: '?v=1&embed=factorisation&fd=16&fk=16&fr=4&pt=dark', colorScheme: 'dark' });
  assert.equal(await page.$eval('#f-spectrum-chart', (c) => c.getBoundingClientRect().height > 200), true);
  // The chart's background is the dark theme's, not white.
  const corner = await page.$eval('#f-spectrum-chart', (c) => Array.from(c.getContext('2d').getImageData(2, 2, 1, 1).data.slice(0, 3)));
  assert.ok(corner.every((v) => v < 60), `corner ${corner}`);
  await (await page.$('#fig-factorisation')).screenshot({ path: 'test-results/factorisation-spectrum-dark.png' });
  assert.deepEqual(consoleMessages, []);
});

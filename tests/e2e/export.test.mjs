// End to end: what a reader can take away. A PNG of a figure at the screen's pixel density, a
// figure's matrices as CSV, and its rank and α as a PEFT LoraConfig.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { openPage } from './page.mjs';

let session, page;
before(async () => {
  session = await openPage();
  page = session.page;
});
after(async () => {
  await session?.close();
});

const tool = (figure, name) => page.click(`#fig-${figure} .figure-tools button:text-is("${name}")`);

test('a figure downloads as a PNG at the screen pixel density', async () => {
  await session.goto('');
  const [download] = await Promise.all([page.waitForEvent('download'), tool('factorisation', 'PNG')]);
  assert.equal(download.suggestedFilename(), 'lora-explorer-factorisation.png');
  await download.saveAs('test-results/export-factorisation.png');
  const png = await readFile(await download.path());
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  // The image spans the five heatmaps, at the screen's pixel density.
  const width = png.readUInt32BE(16);
  const span = await page.evaluate(
    () => document.getElementById('f-heat-wm').getBoundingClientRect().right - document.getElementById('f-heat-w0').getBoundingClientRect().left,
  );
  const dpr = await page.evaluate(() => devicePixelRatio);
  assert.ok(width >= span * dpr && width <= (span + 64) * dpr + 480 * dpr, `${width} for a span of ${span}`);
});

test('the factorisation figure offers its five matrices and its singular values as CSV', async () => {
  await session.goto('');
  await tool('factorisation', 'CSV');
  const links = await page.$$eval('#fig-factorisation .share-files a', (as) => as.map((a) => [a.download, a.href]));
  assert.deepEqual(links.map(([name]) => name), [
    'lora-explorer-W0-4x4.csv',
    'lora-explorer-B-4x2.csv',
    'lora-explorer-A-2x4.csv',
    'lora-explorer-deltaW-4x4.csv',
    'lora-explorer-W0-plus-scaled-BA-4x4.csv',
    'lora-explorer-singular-values-W0-update-merged-4.csv',
  ]);
  // The spectra: four rows of σ(W₀), σ(update), σ(merged); rank 2, so the update's last two are 0.
  const spectra = decodeURIComponent(links[5][1].split(',').slice(1).join(','))
    .trim().split('\n').map((line) => line.split(',').map(Number));
  assert.equal(spectra.length, 4);
  assert.deepEqual(spectra.map((row) => row[1] === 0), [false, false, true, true]);
  const b = decodeURIComponent(links[1][1].split(',').slice(1).join(','));
  const rows = b.trim().split('\n').map((line) => line.split(',').map(Number));
  assert.equal(rows.length, 4);
  assert.ok(rows.every((row) => row.length === 2 && row.every(Number.isFinite)));
  await tool('spectrum', 'CSV');
  const sigma = await page.$$eval('#fig-spectrum .share-files a', (as) => as.map((a) => a.download));
  assert.deepEqual(sigma, ['lora-explorer-singular-values-n512.csv']);
});

test('the PEFT button gives the figure rank and alpha as a LoraConfig', async () => {
  await session.goto('');
  await page.focus('#fa');
  for (let i = 0; i < 14; i++) await page.keyboard.press('ArrowRight');
  await tool('factorisation', 'PEFT');
  const config = await page.$eval('#fig-factorisation-share', (el) => el.value);
  assert.match(config, /^from peft import LoraConfig\n\n# For a model that names W_q and W_v "q_proj" and "v_proj"[^]*\nconfig = LoraConfig\(\n    r=2,\n    lora_alpha=16,/);
  // Table 1's configuration targets the model it shows: GPT-2's fused c_attn.
  await page.selectOption('#vm', 'gpt2');
  await tool('comparison', 'PEFT');
  const gpt2 = await page.$eval('#fig-comparison-share', (el) => el.value);
  assert.match(gpt2, /target_modules=\["c_attn"\],[^\n]*\n    fan_in_fan_out=True,/);
  await page.selectOption('#vm', 'gpt3');
  assert.deepEqual(session.consoleMessages, []);
});

test('the data table under a figure shows its numbers, downsampled, and follows the sliders', async () => {
  await session.goto('');
  await page.click('#fig-factorisation-data summary');
  // The details element fills its tables when its toggle event arrives, a task after the click:
  // five matrices and the singular values.
  await page.waitForFunction(() => document.querySelectorAll('#fig-factorisation-data table').length === 6);
  await page.focus('#fd');
  await page.keyboard.press('End');
  const rows = await page.$$eval('#fig-factorisation-data table:first-of-type tbody tr', (r) => r.length);
  assert.equal(rows, 16);
  assert.match(await page.$eval('#fig-factorisation-data caption', (c) => c.textContent), /W₀, 64×4, every row and column shown up to 16/);
  await page.click('#fig-spectrum-data summary');
  await page.waitForSelector('#fig-spectrum-data tbody tr');
  assert.match(await page.$eval('#fig-spectrum-data tbody tr', (r) => r.textContent), /^1/);
});

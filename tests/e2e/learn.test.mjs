// End to end: chapter 2, "Watch LoRA learn". The worker trains and streams frames, the buttons
// pause, step and reset it, a diverging run says so, the sweep fills the learn–forget plane, a
// figure embeds alone, and nothing raises an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pageOpener, textOf, imageOf, press, waitForText } from './page.mjs';

const open = pageOpener();

/** Scrolls to the loss chart, which starts the training worker. */
const scrollToLosses = (page) => page.evaluate(() => document.getElementById('fig-training-loss').scrollIntoView());

/** Scrolls canvas `id` into view and waits until it holds anything but blank pixels: figures
 * away from the viewport paint when they come near. */
const painted = (page, id) => page.waitForFunction((id) => {
  const c = document.getElementById(id);
  c.scrollIntoView();
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
  return false;
}, id, { timeout: 5000 });

test('a small layer trained as fast as it can runs to its step limit and paints every figure', async () => {
  const { page, consoleMessages } = await open({ path: 'learn/', query: '?v=1&ld=16&lk=16&lt=4&lr=2&lw=max' });
  await scrollToLosses(page);
  await waitForText(page, 'l-status', /^Finished: 20,000 steps\.$/, 30000);
  assert.match(await textOf(page, 'l-loss-caption'), /LoRA's test loss \(rank 2\)/);
  assert.match(await textOf(page, 'l-loss-caption'), /floor/);
  assert.doesNotMatch(await textOf(page, 'l-loss-caption'), /NaN/);
  assert.match(await textOf(page, 'l-updates-caption'), /After 20,000 steps/);
  assert.match(await textOf(page, 'l-settings'), /Full fine-tuning trains 256 parameters \(d·k\); LoRA trains 64/);
  for (const id of ['l-loss-chart', 'l-heat-target', 'l-heat-full', 'l-heat-lora', 'l-heat-gap', 'l-spectra-chart', 'l-plane-chart']) {
    await painted(page, id);
  }
  assert.equal(await textOf(page, 'l-play'), 'Play');
  assert.deepEqual(consoleMessages, []);
});

test('pause stops the run where it stands, one step takes one step, reset starts again', async () => {
  const { page, consoleMessages } = await open({ path: 'learn/', query: '?v=1&lw=100' });
  // No worker is fetched until the reader comes near the training.
  assert.match(await textOf(page, 'l-status'), /^The training starts when this figure comes into view/);
  assert.equal(await page.evaluate(() => performance.getEntriesByType('resource').some((r) => r.name.includes('trainer'))), false);
  await scrollToLosses(page);
  await waitForText(page, 'l-status', /^Step [1-9][\d,]*, training at 100 steps a second\.$/, 20000);
  await page.click('#l-play');
  const paused = await waitForText(page, 'l-status', /^Paused at step [\d,]+\.$/);
  const step = Number(paused.match(/step ([\d,]+)/)[1].replace(/,/g, ''));
  assert.equal(await page.$eval('#l-play', (b) => b.getAttribute('aria-pressed')), 'false');
  // Paused means paused: no frame moves the count on.
  await page.waitForTimeout(300);
  assert.equal(await textOf(page, 'l-status'), paused);
  await page.click('#l-step');
  await waitForText(page, 'l-status', new RegExp(`^Paused at step ${(step + 1).toLocaleString('en-US')}\\.$`));
  await page.click('#l-reset');
  await waitForText(page, 'l-status', /^Paused at step 0\.$/, 20000);
  // A control moved while paused shows that experiment's step 0, painted when the reader scrolls
  // back to it.
  const before = await imageOf(page, 'l-heat-target');
  await press(page, 'lt', 'ArrowLeft');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('lt') === '7');
  await page.waitForFunction((before) => {
    const heatmap = document.getElementById('l-heat-target');
    heatmap.scrollIntoView();
    return heatmap.toDataURL() !== before;
  }, before, { timeout: 5000 });
  assert.equal(await textOf(page, 'l-status'), 'Paused at step 0.');
  assert.deepEqual(consoleMessages, []);
});

test('a learning rate that diverges stops the runs and says so, with no NaN on the page', async () => {
  const { page, consoleMessages } = await open({ path: 'learn/', query: '?v=1&ld=16&lk=16&lo=sgd&lh=0&lm=1&lw=max' });
  await scrollToLosses(page);
  const status = await waitForText(page, 'l-status', /diverged/, 30000);
  assert.match(status, /diverged at step [\d,]+: lower the learning rate/);
  assert.match(await textOf(page, 'l-loss-caption'), /diverged at step/);
  assert.doesNotMatch(await page.$eval('main', (m) => m.textContent), /NaN|Infinity/);
  assert.deepEqual(consoleMessages, []);
});

test('the rank sweep shows its progress and places every rank on the learn–forget plane', async () => {
  const { page, consoleMessages } = await open({ path: 'learn/', query: '?v=1&ld=16&lk=16&lt=4' });
  const before = await imageOf(page, 'l-plane-chart');
  await page.click('#l-sweep');
  await waitForText(page, 'l-sweep-status', /^6 of 6 runs finished \(100%\)\.$/, 30000);
  assert.equal(await page.$eval('#l-sweep-progress', (p) => p.hidden), true);
  assert.notEqual(await imageOf(page, 'l-plane-chart'), before);
  assert.match(await textOf(page, 'l-plane-caption'), /rank/);
  // The sweep also compares rank 8's A with rank 16's.
  await page.evaluate(() => document.getElementById('fig-subspace').scrollIntoView());
  await waitForText(page, 'l-subspace-caption', /rank 8 and at rank 16 have φ\(1, 1\) = /);
  assert.match(await textOf(page, 'l-subspace-status'), /^Rank 8 against rank 16, each trained for 4,000 steps/);
  assert.deepEqual(consoleMessages, []);
});

test('the loss figure embeds alone, in the dark theme, and trains', async () => {
  const { page, consoleMessages } = await open({ path: 'learn/', query: '?v=1&embed=training-loss&pt=dark&ld=16&lk=16&lw=max' });
  assert.equal(await page.$eval('html', (el) => el.dataset.theme), 'dark');
  assert.equal(await page.$eval('#fig-training-updates', (el) => el.offsetParent), null);
  await waitForText(page, 'l-status', /^Finished/, 30000);
  assert.deepEqual(consoleMessages, []);
});

test('a training worker whose module fails to load is reported, and Reset starts a working one', async () => {
  const { browser, page: first } = await open({ path: 'learn/', query: '?v=1' });
  const base = first.url().split('?')[0];
  const context = await browser.newContext();
  await context.route('**/lora-explorer-trainer_bg.wasm', (route) => route.abort());
  const page = await context.newPage();
  await page.goto(`${base}?v=1&ld=16&lk=16&lw=max`);
  await page.waitForFunction(() => document.documentElement.hasAttribute('data-theme'));
  await scrollToLosses(page);
  await waitForText(page, 'l-status', /^The training worker stopped: press Reset to start a new one\.$/);
  await context.unroute('**/lora-explorer-trainer_bg.wasm');
  await page.click('#l-reset');
  await waitForText(page, 'l-status', /^Finished: 20,000 steps\.$/, 30000);
  await context.close();
});

// End to end: chapter 2, "Watch LoRA learn". The worker trains and streams frames, the buttons
// pause, step and reset it, a diverging run says so, the sweep fills the learn–forget plane, a
// figure embeds alone, and nothing raises an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pageOpener, textOf, imageOf, press, waitForText } from './page.mjs';

const open = pageOpener();

/** Whether a canvas holds anything but blank pixels. */
const painted = (page, id) => page.$eval(`#${id}`, (c) => {
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
  return false;
});

test('a small layer trained as fast as it can runs to its step limit and paints every figure', async () => {
  const { page, consoleMessages } = await open({ path: 'learn/', query: '?v=1&ld=16&lk=16&lt=4&lr=2&lw=max' });
  await waitForText(page, 'l-status', /^Finished: 20,000 steps\.$/, 30000);
  assert.match(await textOf(page, 'l-loss-caption'), /LoRA's test loss \(rank 2\)/);
  assert.match(await textOf(page, 'l-loss-caption'), /floor/);
  assert.doesNotMatch(await textOf(page, 'l-loss-caption'), /NaN/);
  assert.match(await textOf(page, 'l-updates-caption'), /After 20,000 steps/);
  assert.match(await textOf(page, 'l-settings'), /Full fine-tuning trains 256 parameters \(d·k\); LoRA trains 64/);
  for (const id of ['l-loss-chart', 'l-heat-target', 'l-heat-full', 'l-heat-lora', 'l-heat-gap', 'l-spectra-chart', 'l-plane-chart']) {
    assert.ok(await painted(page, id), `${id} is blank`);
  }
  assert.equal(await textOf(page, 'l-play'), 'Play');
  assert.deepEqual(consoleMessages, []);
});

test('pause stops the run where it stands, one step takes one step, reset starts again', async () => {
  const { page, consoleMessages } = await open({ path: 'learn/', query: '?v=1&lw=100' });
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
  // A control moved while paused shows that experiment's step 0.
  const before = await imageOf(page, 'l-heat-target');
  await press(page, 'lt', 'ArrowLeft');
  await page.waitForFunction((before) => document.getElementById('l-heat-target').toDataURL() !== before, before);
  await page.waitForFunction(() => new URL(location.href).searchParams.get('lt') === '7');
  assert.deepEqual(consoleMessages, []);
});

test('a learning rate that diverges stops the runs and says so, with no NaN on the page', async () => {
  const { page, consoleMessages } = await open({ path: 'learn/', query: '?v=1&ld=16&lk=16&lo=sgd&lh=0&lm=1&lw=max' });
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
  assert.deepEqual(consoleMessages, []);
});

test('the loss figure embeds alone, in the dark theme, and trains', async () => {
  const { page, consoleMessages } = await open({ path: 'learn/', query: '?v=1&embed=training-loss&pt=dark&ld=16&lk=16&lw=max' });
  assert.equal(await page.$eval('html', (el) => el.dataset.theme), 'dark');
  assert.equal(await page.$eval('#fig-training-updates', (el) => el.offsetParent), null);
  await waitForText(page, 'l-status', /^Finished/, 30000);
  assert.deepEqual(consoleMessages, []);
});

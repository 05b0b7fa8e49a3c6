// End to end: defects found under hostile use stay fixed. A rank chosen while a new spectrum is on
// its way is the one approximated; fast drags that stop workers raise no false error; a stopped
// page says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pageOpener, waitForText } from './page.mjs';

const open = pageOpener();

/** Sets controls in one task, as a quick reader or a script does, each with its input event. */
const setAll = (page, values) =>
  page.evaluate((values) => {
    for (const [key, value] of values) {
      const el = document.getElementById(key);
      el.value = String(value);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }
  }, values);

test('a rank chosen before the new spectrum arrives is the rank approximated', async () => {
  const { page, consoleMessages } = await open({ query: '?v=1' });
  await waitForText(page, 'ia-status', /Best rank-8 approximation ready/, 30000);
  await setAll(page, [['ik', 17], ['ia', 20]]);
  await waitForText(page, 'ia-status', /Best rank-20 approximation ready/, 30000);
  assert.equal(await page.$eval('#ia', (el) => el.value), '20');
  assert.deepEqual(consoleMessages, []);
});

test('dragging the seed back and forth stops workers without a false error', async () => {
  const { page, consoleMessages } = await open({ query: '?v=1&in=128' });
  await page.evaluate(async () => {
    const el = document.getElementById('ie');
    const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
    for (let round = 0; round < 3; round++) {
      for (const value of [...Array(121).keys(), ...[...Array(121).keys()].reverse()]) {
        el.value = String(value);
        el.dispatchEvent(new Event('input', { bubbles: true }));
        await frame();
      }
    }
  });
  await page.waitForFunction(() => !document.getElementById('i-status').classList.contains('busy') && !document.getElementById('ia-status').classList.contains('busy'), null, { timeout: 30000 });
  assert.equal(await page.$eval('#error-banner', (el) => el.hidden), true);
  assert.deepEqual(consoleMessages, []);
});

// End to end: the dark theme follows the system's preference and the reader's choice, lives in the
// URL, and redraws the charts in its colours. Screenshots of every section in the dark theme land in
// test-results/ for a person to look at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pageOpener, imageOf } from './page.mjs';

const open = pageOpener();

const theme = (page) => page.evaluate(() => document.documentElement.dataset.theme);
const background = (page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);

test('a system that prefers dark gets the dark theme, and the selector overrides it', async () => {
  const session = await open({ colorScheme: 'dark' });
  const { page } = session;
  assert.equal(await theme(page), 'dark');
  assert.equal(await background(page), 'rgb(21, 24, 28)');
  const chart = await imageOf(page, 'c-memory-chart');
  await page.selectOption('#pt', 'light');
  assert.equal(await theme(page), 'light');
  assert.equal(await background(page), 'rgb(255, 255, 255)');
  assert.notEqual(await imageOf(page, 'c-memory-chart'), chart, 'the chart is redrawn in the light theme');
  await page.waitForFunction(() => location.search.includes('pt=light'));
  assert.deepEqual(session.consoleMessages, []);
});

test('pt=dark in a link gives the dark theme on a light system, in every section', async () => {
  const session = await open({ query: '?pt=dark', colorScheme: 'light' });
  const { page } = session;
  assert.equal(await theme(page), 'dark');
  // The chart's own background follows the theme.
  const corner = await page.$eval('#r-params-chart', (c) => [...c.getContext('2d').getImageData(2, 2, 1, 1).data]);
  assert.deepEqual(corner, [21, 24, 28, 255]);
  await page.waitForFunction(() => !document.getElementById('ia-status').classList.contains('busy'), null, { timeout: 20000 });
  for (const id of ['cost', 'lora-idea', 'maths', 'rank', 'intrinsic', 'comparison', 'takeaways']) {
    await (await page.$(`#${id}`)).screenshot({ path: `test-results/dark-${id}.png` });
  }
  assert.deepEqual(session.consoleMessages, []);
});

// End to end: chapter 3, "QLoRA". Its figures paint from the address, follow their controls, take
// the worker's numbers once the reader nears them, embed alone, and raise no error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pageOpener, textOf, imageOf, press, waitForText } from './page.mjs';

const open = pageOpener();

test('the codes and the quantised matrix paint, and follow the block size and the code', async () => {
  const { page, consoleMessages } = await open({ path: 'qlora/', query: '?v=1&qn=128' });
  assert.match(await textOf(page, 'q-codes-caption'), /NF4's 16 levels are quantiles of the normal distribution/);
  assert.match(await textOf(page, 'q-quant-caption'), /^W is 128×128 \(normal\)\. NF4 in blocks of 64: 256 absmax constants\./);
  assert.match(await textOf(page, 'q-dq-plain'), /4 \+ 32\/64 = 4\.5 bits a parameter/);
  assert.match(await textOf(page, 'q-dq-double'), /4 \+ 8\/64 \+ 32\/\(256·64\) = 4\.127 bits a parameter/);
  const heat = await imageOf(page, 'q-heat-deq');
  await page.selectOption('#qb', '16');
  await waitForText(page, 'q-quant-caption', /NF4 in blocks of 16: 1,024 absmax constants/);
  assert.match(await textOf(page, 'q-dq-plain'), /4 \+ 32\/16 = 6 bits a parameter/);
  await page.selectOption('#qc', 'int4');
  await waitForText(page, 'q-quant-caption', /int4 in blocks of 16/);
  assert.notEqual(await imageOf(page, 'q-heat-deq'), heat);
  await press(page, 'qh', 'ArrowRight');
  await waitForText(page, 'q-hist-caption', /^Block 2 \(from row 1, column 17\)/);
  await page.waitForFunction(() => new URL(location.href).searchParams.get('qb') === '16');
  assert.deepEqual(consoleMessages, []);
});

test('the worker sends the block-size series and the error’s spectrum once the reader scrolls to them', async () => {
  const { page, consoleMessages } = await open({ path: 'qlora/', query: '?v=1&qn=128&qr=8' });
  await page.evaluate(() => document.getElementById('fig-loftq').scrollIntoView());
  await waitForText(page, 'q-block-status', /Computed in \d+ ms/, 20000);
  assert.match(await textOf(page, 'q-block-caption'), /NF4/);
  const loftq = await waitForText(page, 'q-loftq-caption', /\S/);
  assert.match(loftq, /8/);
  const before = await imageOf(page, 'q-loftq-chart');
  await press(page, 'qr', 'ArrowRight');
  await page.waitForFunction((before) => document.getElementById('q-loftq-chart').toDataURL() !== before, before);
  assert.deepEqual(consoleMessages, []);
});

test('a figure embeds alone, in the dark theme', async () => {
  const { page, consoleMessages } = await open({ path: 'qlora/', query: '?v=1&embed=block-size&pt=dark&qn=64' });
  await waitForText(page, 'q-block-status', /Computed in/, 20000);
  assert.equal(await page.$eval('html', (el) => el.dataset.theme), 'dark');
  assert.equal(await page.$eval('#fig-nf4-codes', (el) => el.offsetParent), null);
  assert.deepEqual(consoleMessages, []);
});

test('a W larger than 128×128 is quantised in a worker, and a new block is shown from it', async () => {
  const { page, consoleMessages } = await open({ path: 'qlora/', query: '?v=1&qn=512' });
  await waitForText(page, 'q-quant-status', /^Quantised in [\d,]+ ms in a background worker\.$/, 20000);
  assert.match(await textOf(page, 'q-quant-caption'), /^W is 512×512 \(normal\)\. NF4 in blocks of 64: 4,096 absmax constants\./);
  assert.match(await textOf(page, 'q-label-w'), /top-left 64×64/);
  await press(page, 'qh', 'ArrowRight');
  await waitForText(page, 'q-hist-caption', /^Block 2 \(from row 1, column 65\)/);
  // Back under the threshold, the main thread quantises again and the worker's status goes.
  await page.evaluate(() => { const el = document.getElementById('qn'); el.value = '128'; el.dispatchEvent(new Event('input', { bubbles: true })); });
  await waitForText(page, 'q-quant-caption', /^W is 128×128/);
  assert.equal(await textOf(page, 'q-quant-status'), '');
  assert.deepEqual(consoleMessages, []);
});

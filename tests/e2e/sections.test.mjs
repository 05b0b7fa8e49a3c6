// End to end: every section of the notebook, live. Every slider is moved with the keyboard and every
// selector is changed; the printed numbers must be the right ones and the charts must repaint.
// Screenshots of each section land in test-results/ for a person to look at.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { openPage, textOf, imageOf, press as pressOn } from './page.mjs';

let session, page;

before(async () => {
  session = await openPage();
  page = session.page;
  await mkdir('test-results', { recursive: true });
});

after(async () => {
  await session?.close();
});

const text = (id) => textOf(page, id);
const press = (id, ...keys) => pressOn(page, id, ...keys);
const shoot = (id) => page.$(`#${id}`).then((el) => el.screenshot({ path: `test-results/section-${id}.png` }));

/** Waits until the intrinsic-rank worker has answered the latest request for both figures. */
const intrinsicSettled = () =>
  page.waitForFunction(
    () => !document.getElementById('i-status').classList.contains('busy') && !document.getElementById('ia-status').classList.contains('busy'),
    null,
    { timeout: 20000 },
  );

test('cost: the layer table follows d_model, the memory chart follows counting and rank', async () => {
  assert.match(await text('c-layer-rows'), /5,313,024/);
  await press('cd', 'Home');
  assert.equal(await text('cd-out'), '64');
  // 9·64² + 6·64 for the stand-in, 12·64² + 13·64 for the real block.
  assert.match(await text('c-layer-rows'), /37,248/);
  assert.match(await text('c-layer-rows'), /49,984/);
  await press('cd', 'End');
  assert.match(await text('c-layer-rows'), /1,359,028,224/);
  await press('cd', 'Home', 'ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowRight');
  assert.equal(await text('cd-out'), '768');

  let chart = await imageOf(page, 'c-memory-chart');
  assert.match(await text('c-memory-formula'), /= 16 B a parameter/);
  assert.match(await text('c-memory-caption'), /2\.80 TB/);
  await page.selectOption('#cc', 'grads');
  assert.match(await text('c-memory-formula'), /= 8 B a parameter/);
  assert.match(await text('c-memory-caption'), /1\.40 TB/);
  assert.notEqual(await imageOf(page, 'c-memory-chart'), chart);
  chart = await imageOf(page, 'c-memory-chart');
  await press('cr', 'ArrowRight');
  assert.equal(await text('cr-out'), '9');
  assert.match(await text('c-memory-formula'), /rank 9/);
  assert.notEqual(await imageOf(page, 'c-memory-chart'), chart);
  await page.selectOption('#cc', 'adam');
  await shoot('cost');
});

test('maths: the worked forward pass follows every control and agrees with the merged weight', async () => {
  const x = await imageOf(page, 'm-heat-x');
  await press('md', 'End');
  assert.equal(await text('m-label-y'), 'y · 16');
  await press('mk', 'Home');
  assert.equal(await text('m-label-x'), 'x · 2');
  assert.equal(await page.$eval('#mr', (el) => el.max), '2');
  await press('mk', 'End');
  await press('mr', 'ArrowRight', 'ArrowRight');
  assert.equal(await text('m-label-ax'), 'Ax · 4');
  assert.match(await text('m-mults'), /B\(Ax\): r·k \+ d·r\s*128\s*65,536/);
  await press('ma', 'ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowRight');
  // α = 6 at r = 4: the scaling is 1.5, printed exactly; the sum adds up as printed.
  assert.match(await text('m-result-1'), / \+ 1\.5 × /);
  assert.match(await text('m-result-2'), /differs by at most \d\.\de-1\d/);
  await press('ms', 'ArrowRight');
  assert.notEqual(await imageOf(page, 'm-heat-x'), x);
  await press('mi', 'Space');
  assert.match(await text('m-result-1'), /^At initialisation B = 0/);
  await press('mi', 'Space');
  assert.ok((await page.$$('#m-equations math')).length >= 6, 'the equations are MathML');
  await shoot('maths');
});

test('rank impact: the notebook figures at the defaults, and both sliders', async () => {
  assert.match(await text('r-result-1'), /Rank 8: 2·1024·8 = 16,384 trainable parameters, 64\.0× fewer/);
  assert.match(await text('r-result-2'), /rank 16 gives 32,768 \(32\.0×\)/);
  const chart = await imageOf(page, 'r-params-chart');
  await press('rn', 'End');
  assert.match(await text('r-result-1'), /2·8192·8 = 131,072 trainable parameters, 512\.0× fewer than full fine-tuning's 67,108,864/);
  assert.notEqual(await imageOf(page, 'r-params-chart'), chart);
  const reduction = await imageOf(page, 'r-reduction-chart');
  await press('rr', 'End');
  assert.match(await text('r-result-1'), /Rank 128: 2·8192·128 = 2,097,152 trainable parameters, 32\.0× fewer/);
  assert.notEqual(await imageOf(page, 'r-reduction-chart'), reduction);
  await press('rn', 'Home');
  // n = 64 caps the rank at 64, where LoRA trains twice as many parameters as full fine-tuning.
  assert.equal(await text('rr-out'), '64');
  assert.equal(await page.$eval('#rr', (el) => el.max), '64');
  assert.match(await text('r-result-1'), /Rank 64: 2·64·64 = 8,192 trainable parameters, 2\.0× more than full fine-tuning's 4,096/);
  await press('rr', 'Home');
  assert.match(await text('r-result-1'), /Rank 1: 2·64·1 = 128 trainable parameters, 32\.0× fewer/);
  await shoot('rank');
});

test('intrinsic rank: the notebook setup, every slider, and Eckart–Young agreeing', async () => {
  await intrinsicSettled();
  assert.match(await text('i-result-1'), /95% of the variance is reached with r = 15 components/);
  assert.match(await text('i-correction'), /notebook would print rank 14/);
  assert.match(await text('ia-result-3'), /^The two agree/);
  await shoot('intrinsic');
  const spectrum = await imageOf(page, 'i-spectrum-chart');
  await press('in', 'PageDown');
  await intrinsicSettled();
  assert.notEqual(await imageOf(page, 'i-spectrum-chart'), spectrum);
  assert.equal(await text('ia-label-delta'), `ΔW · ${await text('in-out')}×${await text('in-out')}`);
  for (const [id, keys] of [['ik', ['ArrowLeft']], ['is', ['ArrowRight']], ['ie', ['ArrowRight']], ['ia', ['ArrowRight']]]) {
    const before = await imageOf(page, id === 'ia' ? 'ia-heat-approx' : 'i-spectrum-chart');
    const value = await text(`${id}-out`);
    await press(id, ...keys);
    assert.notEqual(await text(`${id}-out`), value, id);
    await intrinsicSettled();
    assert.notEqual(await imageOf(page, id === 'ia' ? 'ia-heat-approx' : 'i-spectrum-chart'), before, id);
    assert.match(await text('ia-result-3'), /^The two agree/, id);
  }
  const energy = await imageOf(page, 'i-energy-chart');
  await press('it', 'Home');
  assert.equal(await text('it-out'), '50');
  assert.match(await text('i-result-1'), /^50% of the variance is reached with r = \d+ components/);
  assert.notEqual(await imageOf(page, 'i-energy-chart'), energy);
});

test('comparison: the computed rows follow the model and the rank', async () => {
  assert.match(await text('v-rows'), /175B \(100%\)/);
  assert.match(await text('v-rows'), /37\.7M/);
  assert.match(await text('v-rows'), /2\.80 TB/);
  await page.selectOption('#vm', 'bert-base');
  assert.match(await text('v-rows'), /109M \(100%\)/);
  await press('vr', 'End');
  // 12 layers × 2 matrices × 64·(768 + 768).
  assert.match(await text('v-rows'), /2\.36M/);
  assert.match(await text('v-rows'), /32\.5 tokens\/s per V100 GPU .* and 43\.1 with LoRA, about 33% more throughput, or about 25% less time per token/);
  await shoot('comparison');
});

test('quick check: answers are checked and explanations revealed', async () => {
  await page.check('#q1 input[value="b"]');
  await page.click('#q1 button');
  assert.equal(await page.$eval('#q1 .quiz-feedback', (el) => el.textContent), 'Right.');
  assert.equal(await page.$eval('#q1 .quiz-explanation', (el) => el.hidden), false);
  await page.click('#q2 button');
  assert.equal(await page.$eval('#q2 .quiz-feedback', (el) => el.textContent), 'Choose an answer first.');
  await page.check('#q2 input[value="c"]');
  await page.click('#q2 button');
  assert.match(await page.$eval('#q2 .quiz-feedback', (el) => el.textContent), /^Not quite/);
  assert.ok(await page.$eval('#q2 .quiz-explanation a[href="#fig-factorisation"]', (el) => !!el));
  await shoot('takeaways');
});

test('nothing reached the console, no error banner, no request left the origin', async () => {
  assert.equal(await page.$eval('#error-banner', (el) => el.hidden), true);
  assert.deepEqual(session.consoleMessages, []);
  assert.deepEqual(session.foreignRequests, []);
});

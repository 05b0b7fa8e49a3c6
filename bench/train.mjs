// Benchmark: chapter 2's training worker, in headless Chromium, against a hand-written numpy step
// (bench/numpy-train.py) in the same run. Run after a release build:
//   scripts/build && node bench/train.mjs
//
// 1. Steps a second of the worker at d = k = 64, r = 8, batches of 32, Adam: LoRA alone and full
//    fine-tuning alone (the worker's `TrainRequest::Time`, sent to a worker this script starts on
//    the chapter's page), the best of ROUNDS rounds, in turns with numpy so both see the same load.
//    Targets: LoRA at least 15,000 steps a second and 2× numpy's, full fine-tuning at least 8,000
//    (its ratio to numpy is printed too).
// 2. The main thread while the page trains at 3,000 steps a second (both runs): the time each of
//    the worker's frames takes to handle and paint (p95, target at most 8 ms), the longest task
//    (target under 50 ms), and the frames a second (at most one every 50 ms).
// 3. The rank sweep at the defaults (ranks 1 to 64 and full fine-tuning, 4,000 steps each): the time
//    from the button to the last point painted. Target: under 10 s.
// ROUNDS=… (default 5), TRAIN_SECONDS=… (main-thread part, default 5).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { serveDist, CHROMIUM } from '../tests/e2e/serve.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const TRAIN_SECONDS = Number(process.env.TRAIN_SECONDS ?? 5);
const TARGETS = { lora: 15000, full: 8000, numpyRatio: 2, frameP95Ms: 8, longestTaskMs: 50, sweepS: 10 };

const python = process.env.LORA_ORACLE_PYTHON ?? new URL('../.venv/bin/python', import.meta.url).pathname;
const numpyScript = new URL('./numpy-train.py', import.meta.url).pathname;
if (!existsSync(python)) {
  console.error(`No Python with numpy at ${python}: run scripts/test once, or set LORA_ORACLE_PYTHON.`);
  process.exit(1);
}
/** numpy's steps a second, one thread: { lora, full }. */
const numpyRates = () => {
  const out = execFileSync(python, [numpyScript, '64', '64', '8', '32', '1'], { env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' } });
  return Object.fromEntries(out.toString().trim().split('\n').map((line) => {
    const [name, rate] = line.split(' ');
    return [name, Number(rate)];
  }));
};

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};

const server = await serveDist({ root: new URL('../dist/', import.meta.url).pathname });
const browser = await chromium.launch(CHROMIUM);
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
// Times every handler the page gives a worker, and every long task.
await page.addInitScript(() => {
  window.frameMs = [];
  window.longTasks = [];
  new PerformanceObserver((list) => { for (const entry of list.getEntries()) window.longTasks.push(entry.duration); })
    .observe({ type: 'longtask', buffered: true });
  const setter = Object.getOwnPropertyDescriptor(Worker.prototype, 'onmessage').set;
  Object.defineProperty(Worker.prototype, 'onmessage', {
    set(handler) {
      setter.call(this, handler && ((event) => {
        const started = performance.now();
        handler(event);
        window.frameMs.push(performance.now() - started);
      }));
    },
  });
});
// Paused, so that the worker this script starts has the machine to itself.
await page.goto(`${server.url}learn/?v=1&lw=30`);
await page.waitForFunction(() => document.documentElement.hasAttribute('data-theme'));
await page.click('#l-play');

// 1. The worker's steps a second. Requests are written as postcard writes `TrainRequest::Time`:
// unsigned integers and enum variants as LEB128, f64 as 8 little-endian bytes, in field order.
const workerRates = await page.evaluate(async (rounds) => {
  const bytes = [];
  const varint = (n) => { do { let b = n & 0x7f; n = Math.floor(n / 128); if (n) b |= 0x80; bytes.push(b); } while (n); };
  const f64 = (x) => { const view = new DataView(new ArrayBuffer(8)); view.setFloat64(0, x, true); bytes.push(...new Uint8Array(view.buffer)); };
  const request = (job, runs, steps) => {
    bytes.length = 0;
    varint(1); varint(job); // TrainRequest::Time, job
    varint(64); varint(64); varint(0); varint(8); f64(0.5); f64(0.1); varint(1024); varint(1); // task: d, k, ExactRank(8), size, σ, N, seed
    varint(8); f64(16); varint(0); varint(0); varint(1); f64(0.005); f64(1); varint(32); // train: r, α, α/r, PEFT, Adam, η, LoRA+, batch
    varint(runs); varint(steps); // Runs (1 full alone, 2 LoRA alone), steps
    return new Uint8Array(bytes);
  };
  const worker = new Worker('./worker-loader.js?bin=lora-explorer-trainer');
  const answers = [];
  let wake;
  worker.onmessage = (event) => { answers.push(new DataView(event.data.buffer)); wake?.(); };
  const next = () => new Promise((resolve) => { if (answers.length) resolve(answers.shift()); else wake = () => { wake = null; resolve(answers.shift()); }; });
  const ready = await next();
  if (ready.getUint8(0) !== 0) throw new Error('the worker did not say it listens');
  const time = async (job, runs, steps) => {
    const message = request(job, runs, steps);
    worker.postMessage(message, [message.buffer]);
    const answer = await next();
    if (answer.getUint8(0) !== 3) throw new Error(`the worker answered variant ${answer.getUint8(0)}`);
    // TrainAnswer::Timed: variant, job (one byte while under 128), steps (LEB128), ms.
    let at = 2;
    while (answer.getUint8(at) & 0x80) at += 1;
    return (steps / answer.getFloat64(at + 1, true)) * 1000;
  };
  const rates = { lora: [], full: [] };
  let job = 0;
  await time(++job, 2, 2000);
  for (let round = 0; round < rounds; round += 1) {
    rates.lora.push(await time(++job, 2, 20000));
    rates.full.push(await time(++job, 1, 10000));
  }
  worker.terminate();
  return rates;
}, ROUNDS);
const numpy = { lora: [], full: [] };
for (let round = 0; round < ROUNDS; round += 1) {
  const rates = numpyRates();
  numpy.lora.push(rates.lora);
  numpy.full.push(rates.full);
}
const best = (values) => Math.max(...values);
const rows = {};
for (const run of ['lora', 'full']) {
  const worker = best(workerRates[run]);
  const peer = best(numpy[run]);
  rows[run === 'lora' ? 'LoRA' : 'full fine-tuning'] = {
    'worker steps/s': Math.round(worker),
    'numpy steps/s': Math.round(peer),
    'worker/numpy': (worker / peer).toFixed(2),
    target: `≥ ${TARGETS[run].toLocaleString('en-US')}/s${run === 'lora' ? ` and ≥ ${TARGETS.numpyRatio}× numpy` : ''}`,
    met: worker >= TARGETS[run] && (run !== 'lora' || worker / peer >= TARGETS.numpyRatio) ? 'yes' : 'no',
  };
}
console.log(`Training speed at d = k = 64, r = 8, batch 32, Adam (best of ${ROUNDS} rounds):`);
console.table(rows);

// 2. The main thread while the page trains.
await page.goto(`${server.url}learn/?v=1&lw=3000`);
// The worker starts when the loss chart comes near the viewport.
await page.evaluate(() => document.getElementById('fig-training-loss').scrollIntoView());
await page.waitForFunction(() => /training at 3,000/.test(document.getElementById('l-status')?.textContent ?? ''), null, { timeout: 20000 });
// The first frames pay for compiling and first paints: the count starts a second in.
await page.waitForTimeout(1000);
await page.evaluate(() => { window.frameMs.length = 0; window.longTasks.length = 0; });
await page.waitForTimeout(TRAIN_SECONDS * 1000);
const { frameMs, longTasks } = await page.evaluate(() => ({ frameMs: [...window.frameMs], longTasks: [...window.longTasks] }));
const longest = longTasks.length ? Math.max(...longTasks) : 0;
console.log(`Main thread over ${TRAIN_SECONDS} s of training at 3,000 steps a second:`);
console.table({
  frames: {
    'per second': (frameMs.length / TRAIN_SECONDS).toFixed(1),
    'median ms': quantile(frameMs, 0.5).toFixed(1),
    'p95 ms': quantile(frameMs, 0.95).toFixed(1),
    'max ms': Math.max(...frameMs).toFixed(1),
    target: `p95 ≤ ${TARGETS.frameP95Ms} ms`,
    met: quantile(frameMs, 0.95) <= TARGETS.frameP95Ms ? 'yes' : 'no',
  },
  'long tasks': {
    'per second': (longTasks.length / TRAIN_SECONDS).toFixed(1),
    'max ms': longest.toFixed(1),
    target: `none over ${TARGETS.longestTaskMs} ms`,
    met: longest <= TARGETS.longestTaskMs ? 'yes' : 'no',
  },
});

// 3. The sweep at the defaults.
await page.goto(`${server.url}learn/?v=1`);
await page.click('#l-play');
const sweepMs = await page.evaluate(() => new Promise((resolve) => {
  const started = performance.now();
  const status = document.getElementById('l-sweep-status');
  new MutationObserver(() => {
    if (/100%/.test(status.textContent)) resolve(performance.now() - started);
  }).observe(status, { childList: true, characterData: true, subtree: true });
  document.getElementById('l-sweep').click();
}));
console.log('Rank sweep at the defaults (7 ranks and full fine-tuning, 4,000 steps each):');
console.table({ sweep: { seconds: (sweepMs / 1000).toFixed(2), target: `< ${TARGETS.sweepS} s`, met: sweepMs < TARGETS.sweepS * 1000 ? 'yes' : 'no' } });
await browser.close();
await server.close();

// Benchmark: the intrinsic-rank figure's spectrum at n = 512, in headless Chromium, against numpy on
// the same machine in the same run. Run after a release build:
//   scripts/build && node bench/spectrum.mjs
//
// 1. The worker's singular values of the 512×512 matrix (rank 16 plus noise 0.01) for SEEDS seeds:
//    the worker's own time for the singular values alone (performance.now() around them, the
//    status's data-svd-ms), its time with the matrix drawn, and the round trip from the input event
//    to the answer handled on the page. numpy (LAPACK, `.venv/bin/python`, as scripts/test makes it)
//    decomposes the same matrices, drawn in Python by bench/numpy-spectrum.py, in turns with the
//    browser so that both see the same load. Reported: median and p95 of each, and the ratios.
//    Target: the worker's median at most 1.5× numpy's.
// 2. The time from the last input of a burst to the spectrum painted, for the sliders whose work
//    runs in the worker (n, true rank, noise, seed), on ?v=1&in=512: bursts of 5 inputs 30 ms
//    apart, as a drag makes them. Target: p95 under 100 ms.
// SEEDS=… (default 15), NUMPY_REPEATS=… (per seed, default 3), BURSTS=… (per slider, default 10).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { serveDist, CHROMIUM } from '../tests/e2e/serve.mjs';
import { passWorkerFigures } from '../tests/e2e/page.mjs';

const SEEDS = Number(process.env.SEEDS ?? 15);
const NUMPY_REPEATS = Number(process.env.NUMPY_REPEATS ?? 3);
const BURSTS = Number(process.env.BURSTS ?? 10);
const WORKER_CONTROLS = ['in', 'ik', 'is', 'ie'];
const PAINT_TARGET_MS = 100;
const RATIO_TARGET = 1.5;

const python = process.env.LORA_ORACLE_PYTHON ?? new URL('../.venv/bin/python', import.meta.url).pathname;
const numpyScript = new URL('./numpy-spectrum.py', import.meta.url).pathname;
if (!existsSync(python)) {
  console.error(`No Python with numpy at ${python}: run scripts/test once, or set LORA_ORACLE_PYTHON.`);
  process.exit(1);
}
/** numpy's milliseconds for the figure's matrix of `seed`, `repeats` times after a warm-up. */
const numpyTimes = (seed, repeats) =>
  execFileSync(python, [numpyScript, 'figure', '512', '16', '0.01', String(seed), String(repeats)])
    .toString()
    .trim()
    .split('\n')
    .map(Number);

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const fmt = (x) => x.toFixed(1);
const stats = (values) => ({ 'median ms': fmt(quantile(values, 0.5)), 'p95 ms': fmt(quantile(values, 0.95)), 'min ms': fmt(Math.min(...values)), samples: values.length });

const server = await serveDist({ root: new URL('../dist/', import.meta.url).pathname });
const browser = await chromium.launch(CHROMIUM);
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(`${server.url}?v=1&in=512`);
// The workers start when their figures come near the viewport.
await passWorkerFigures(page);
const settled = () =>
  page.waitForFunction(
    () => {
      const busy = (id) => document.getElementById(id)?.classList.contains('busy') ?? true;
      return document.getElementById('i-status')?.dataset.svdMs && !busy('i-status') && !busy('ia-status');
    },
    null,
    { timeout: 60000 },
  );
await settled();
await page.waitForTimeout(500);

/** Sets the intrinsic-rank controls, each with its input event. */
const setControls = (values) =>
  page.evaluate((values) => {
    for (const [key, value] of values) {
      const el = document.getElementById(key);
      el.value = String(value);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }
  }, values);
const reset = () => setControls([['in', 512], ['ik', 16], ['is', -2], ['ie', 42], ['ia', 8]]);

// 1. Singular values: the worker against numpy, in turns.
const svd = [];
const worker = [];
const roundTrip = [];
const numpy = [];
for (let i = 0; i < SEEDS; i++) {
  const seed = 100 + i;
  await settled();
  const measured = await page.evaluate(async (seed) => {
    const status = document.getElementById('i-status');
    const el = document.getElementById('ie');
    const t0 = performance.now();
    el.value = String(seed);
    el.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((resolve) => {
      const check = () => (status.classList.contains('busy') ? setTimeout(check, 0) : resolve());
      check();
    });
    return { roundTrip: performance.now() - t0, svd: Number(status.dataset.svdMs), worker: Number(status.dataset.ms) };
  }, seed);
  svd.push(measured.svd);
  worker.push(measured.worker);
  roundTrip.push(measured.roundTrip);
  // Let the approximation worker finish its full SVD before numpy runs, so that numpy has the
  // machine as the spectrum worker had it.
  await settled();
  numpy.push(...numpyTimes(seed, NUMPY_REPEATS));
}
console.log(`1. Singular values of the figure's 512×512 matrix, ${SEEDS} seeds (headless Chromium and numpy on the machine running this):`);
console.table({
  "worker: singular values alone": stats(svd),
  'worker: with the matrix drawn': stats(worker),
  'input → answer on the page': stats(roundTrip),
  'numpy (LAPACK), same matrices': stats(numpy),
});
const ratio = quantile(svd, 0.5) / quantile(numpy, 0.5);
console.log(
  `Ratio worker/numpy: ${ratio.toFixed(2)}× by medians (target at most ${RATIO_TARGET}×: ${ratio <= RATIO_TARGET ? 'ok' : 'OVER'}), ` +
    `${(quantile(svd, 0.95) / quantile(numpy, 0.95)).toFixed(2)}× by p95, ${(Math.min(...svd) / Math.min(...numpy)).toFixed(2)}× by minima.`,
);

// 2. Painted latency after the last input of a burst.
const rows = [];
const all = [];
for (const id of WORKER_CONTROLS) {
  await reset();
  await settled();
  const latencies = await page.evaluate(
    async ({ id, bursts }) => {
      const el = document.getElementById(id);
      const status = document.getElementById('i-status');
      const [min, max, step] = [Number(el.min), Number(el.max), Number(el.step) || 1];
      const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
      const out = [];
      let value = Number(el.value);
      // Bursts go down and up again in turn, so n stays near 512.
      let direction = -1;
      for (let burst = 0; burst < bursts; burst++) {
        let last = 0;
        for (let i = 0; i < 5; i++) {
          if (value + direction * step > max || value + direction * step < min) direction = -direction;
          value = Math.round((value + direction * step) / step) * step;
          el.value = String(value);
          el.dispatchEvent(new Event('input', { bubbles: true }));
          last = performance.now();
          if (i < 4) await sleep(30);
        }
        // The answer to the last input, then the frame that shows it.
        await new Promise((resolve) => {
          const check = () => (status.classList.contains('busy') ? setTimeout(check, 1) : resolve());
          check();
        });
        await new Promise((resolve) => requestAnimationFrame(resolve));
        out.push(performance.now() - last);
        direction = -direction;
        // A pausing reader: the approximation worker finishes before the next burst.
        await new Promise((resolve) => {
          const other = document.getElementById('ia-status');
          const check = () => (other.classList.contains('busy') ? setTimeout(check, 5) : resolve());
          check();
        });
      }
      return out;
    },
    { id, bursts: BURSTS },
  );
  all.push(...latencies);
  rows.push({
    control: id,
    bursts: latencies.length,
    'p50 ms': fmt(quantile(latencies, 0.5)),
    'p95 ms': fmt(quantile(latencies, 0.95)),
    'max ms': fmt(Math.max(...latencies)),
    target: `< ${PAINT_TARGET_MS}`,
    verdict: quantile(latencies, 0.95) < PAINT_TARGET_MS ? 'ok' : 'OVER',
  });
}
console.log('2. Last input of a burst → spectrum painted, on ?v=1&in=512 (bursts of 5 inputs 30 ms apart):');
console.table(rows);
console.log(
  `All sliders: p50 ${fmt(quantile(all, 0.5))} ms, p95 ${fmt(quantile(all, 0.95))} ms ` +
    `(target p95 under ${PAINT_TARGET_MS} ms: ${quantile(all, 0.95) < PAINT_TARGET_MS ? 'ok' : 'OVER'}).`,
);

await browser.close();
await server.close();

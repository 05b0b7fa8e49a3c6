// Benchmark: how fast the page answers its controls, and how much it transfers. Run after a release
// build:   scripts/build && node bench/latency.mjs
//
// 1. Every slider and selector outside the intrinsic-rank section: the main-thread time from an input
//    event to a frame ready to paint. Each sample sets the value, dispatches the input event (the
//    browser layer recomputes and draws synchronously in its handler), forces style and layout, and
//    stops the clock: all the main-thread work before the compositor paints (rasterising runs off
//    the main thread in Chromium). Between samples the page paints two frames. Sliders are swept from
//    minimum to maximum and back, from a preset that makes them expensive (64×64 matrices).
// 2. The intrinsic-rank sliders at n = 512, whose work runs in a Web Worker: bursts of inputs 30 ms
//    apart, as a drag makes them. Reported: the main-thread time of each input, the time from the last
//    input of a burst to the spectrum painted (target 100 ms), and every long task (over 50 ms) the
//    browser saw on the main thread during the whole run (target: none).
// 3. The worker's singular values of a 512×512 matrix against numpy's on the same machine, as a ratio.
// What each chapter transfers is bench/first-load.mjs's.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { serveDist, CHROMIUM } from '../tests/e2e/serve.mjs';
import { passWorkerFigures } from '../tests/e2e/page.mjs';

/** Control values set before sweeping a control, so that the sweep exercises the costly case. */
const PRESETS = {
  fd: { fk: 64, fr: 8 },
  fk: { fd: 64, fr: 8 },
  fr: { fd: 64, fk: 64 },
  fa: { fd: 64, fk: 64, fr: 8 },
  fs: { fd: 64, fk: 64, fr: 8 },
  md: { mk: 16, mr: 4 },
  mk: { md: 16, mr: 4 },
  mr: { md: 16, mk: 16 },
};
/** p95 targets in milliseconds, by the first letter of a control's key. The theme (p) redraws
 * every chart on the page: its target is one frame. */
const TARGET_MS = { f: 4, c: 8, m: 8, r: 8, v: 8, i: 8, p: 16 };
/** The intrinsic-rank controls whose work runs in the worker. */
const WORKER_CONTROLS = ['in', 'ik', 'is', 'ie', 'ia'];
const SAMPLES_EACH_WAY = Number(process.env.SAMPLES ?? 30);
/** ONLY=f measures only the controls whose keys start with f (and skips parts 2 and 3). */
const ONLY = process.env.ONLY ?? '';
const BURSTS = Number(process.env.BURSTS ?? 8);

const server = await serveDist({ root: new URL('../dist/', import.meta.url).pathname });
const browser = await chromium.launch(CHROMIUM);
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });

await page.goto(server.url);
await page.waitForFunction(() => document.getElementById('f-count-1')?.textContent.includes('parameters'));
await passWorkerFigures(page);
await page.evaluate(() => {
  window.longTasks = [];
  new PerformanceObserver((list) => window.longTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
});
const settled = () =>
  page.waitForFunction(() => !document.getElementById('i-status').classList.contains('busy') && !document.getElementById('ia-status').classList.contains('busy'), null, { timeout: 30000 });
await settled();
await page.waitForTimeout(300);

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const fmt = (x) => x.toFixed(1);

// 1. Synchronous controls.
const controls = await page.$$eval('[data-key]', (els) => els.map((el) => ({ id: el.id, kind: el.tagName === 'SELECT' ? 'select' : el.type })));
const rows = [];
for (const { id, kind } of controls) {
  if (WORKER_CONTROLS.includes(id) || !id.startsWith(ONLY)) continue;
  const measured = await page.evaluate(
    async ({ id, kind, preset, samples }) => {
      const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      const set = (key, value) => {
        const el = document.getElementById(key);
        if (el.type === 'checkbox') el.checked = Boolean(value);
        else el.value = String(value);
        el.dispatchEvent(new Event('input', { bubbles: true }));
      };
      for (const [key, value] of Object.entries(preset)) set(key, value);
      await nextFrame();
      const el = document.getElementById(id);
      let values;
      if (kind === 'range') {
        const [min, max, step] = [Number(el.min), Number(el.max), Number(el.step) || 1];
        values = [];
        for (let i = 0; i <= samples; i++) values.push(min + Math.round(((max - min) * i) / samples / step) * step);
        values = [...values, ...values.slice().reverse()];
      } else if (kind === 'select') {
        const options = [...el.options].map((o) => o.value);
        values = Array.from({ length: 2 * samples }, (_, i) => options[i % options.length]);
      } else {
        values = Array.from({ length: 2 * samples }, (_, i) => i % 2 === 0);
      }
      const times = [];
      // Figure 3's singular values arrive from a worker: the time from the input to the chart
      // painted with them, and the worker's own time.
      const chart = id.startsWith('f') ? document.getElementById('f-spectrum-chart') : null;
      const painted = [];
      const workerMs = [];
      for (const value of values) {
        const job = chart?.dataset.job;
        const t0 = performance.now();
        set(id, value);
        void document.body.offsetHeight;
        times.push(performance.now() - t0);
        if (chart) {
          // An input that leaves the state as it was asks nothing of the worker: give up after 1 s.
          const answered = await new Promise((resolve) => {
            const check = () => {
              if (chart.dataset.job !== job) resolve(true);
              else if (performance.now() - t0 > 1000) resolve(false);
              else setTimeout(check, 0);
            };
            check();
          });
          if (answered) {
            painted.push(performance.now() - t0);
            workerMs.push(Number(chart.dataset.ms));
          }
        }
        await nextFrame();
      }
      return { times, painted, workerMs };
    },
    { id, kind, preset: PRESETS[id] ?? {}, samples: SAMPLES_EACH_WAY },
  );
  const { times, painted, workerMs } = measured;
  times.sort((a, b) => a - b);
  painted.sort((a, b) => a - b);
  workerMs.sort((a, b) => a - b);
  const target = TARGET_MS[id[0]];
  rows.push({
    control: id,
    samples: times.length,
    'p50 ms': fmt(quantile(times, 0.5)),
    'p95 ms': fmt(quantile(times, 0.95)),
    'max ms': fmt(times[times.length - 1]),
    target: `< ${target}`,
    verdict: quantile(times, 0.95) < target ? 'ok' : 'OVER',
    'spectrum painted p95 ms': painted.length ? fmt(quantile(painted, 0.95)) : '',
    'worker p95 ms': workerMs.length ? fmt(quantile(workerMs, 0.95)) : '',
  });
}
console.log('1. Main-thread time, input event to frame ready (headless Chromium, on the machine running this):');
console.table(rows);

if (ONLY) {
  await browser.close();
  await server.close();
  process.exit(0);
}

// 2. Worker-backed controls at n = 512.
const resetIntrinsic = () =>
  page.evaluate(() => {
    for (const [key, value] of [['in', 512], ['ik', 16], ['is', -2], ['ie', 42], ['ia', 8]]) {
      const el = document.getElementById(key);
      el.value = String(value);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }
  });
const workerRows = [];
for (const id of WORKER_CONTROLS) {
  await resetIntrinsic();
  await settled();
  const result = await page.evaluate(
    async ({ id, bursts }) => {
      const el = document.getElementById(id);
      const status = document.getElementById(id === 'ia' ? 'ia-status' : 'i-status');
      const [min, max, step] = [Number(el.min), Number(el.max), Number(el.step) || 1];
      const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
      const inputTimes = [];
      const latencies = [];
      let value = Number(el.value);
      // Bursts go down and up again in turn, so n stays near 512.
      let direction = -1;
      for (let burst = 0; burst < bursts; burst++) {
        let last = 0;
        for (let i = 0; i < 5; i++) {
          if (value + direction * step > max || value + direction * step < min) direction = -direction;
          value += direction * step;
          const t0 = performance.now();
          el.value = String(value);
          el.dispatchEvent(new Event('input', { bubbles: true }));
          void document.body.offsetHeight;
          last = performance.now();
          inputTimes.push(last - t0);
          if (i < 4) await sleep(30);
        }
        // Wait for the answer to the last input, then for the frame that shows it.
        await new Promise((resolve) => {
          const check = () => (status.classList.contains('busy') ? setTimeout(check, 1) : resolve());
          check();
        });
        await new Promise((resolve) => requestAnimationFrame(resolve));
        latencies.push(performance.now() - last);
        direction = -direction;
        // Let the worker finish the approximation before the next burst, as a pausing reader would.
        await new Promise((resolve) => {
          const other = document.getElementById('ia-status');
          const check = () => (other.classList.contains('busy') ? setTimeout(check, 5) : resolve());
          check();
        });
      }
      return { inputTimes, latencies };
    },
    { id, bursts: BURSTS },
  );
  const inputs = result.inputTimes.sort((a, b) => a - b);
  const lat = result.latencies.sort((a, b) => a - b);
  workerRows.push({
    control: id,
    inputs: inputs.length,
    'input p95 ms': fmt(quantile(inputs, 0.95)),
    'input max ms': fmt(inputs[inputs.length - 1]),
    [`last input → ${id === 'ia' ? 'approximation' : 'spectrum'} painted, p50 ms`]: fmt(quantile(lat, 0.5)),
    'p95 ms': fmt(quantile(lat, 0.95)),
    target: id === 'ia' ? '(none)' : '< 100',
  });
}
console.log('2. Intrinsic-rank controls at n = 512 (work in a Web Worker; bursts of 5 inputs 30 ms apart):');
console.table(workerRows);
const longTasks = await page.evaluate(() => window.longTasks);
console.log(`Main-thread long tasks (> 50 ms) during the whole run: ${longTasks.length}${longTasks.length ? `, longest ${fmt(Math.max(...longTasks))} ms` : ''} (target: none).`);

// 3. Singular values in the browser against numpy.
await resetIntrinsic();
await settled();
const svdMs = [];
for (const seed of [101, 102, 103, 104, 105, 106, 107]) {
  await page.evaluate((seed) => {
    const el = document.getElementById('ie');
    el.value = String(seed);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, seed);
  await settled();
  svdMs.push(Number(await page.$eval('#i-status', (el) => el.dataset.svdMs)));
}
svdMs.sort((a, b) => a - b);
const python = new URL('../.venv/bin/python', import.meta.url).pathname;
let numpyMs = NaN;
if (existsSync(python)) {
  const script = [
    'import numpy as np, time',
    'm = np.random.default_rng(42).standard_normal((512, 512))',
    'ts = []',
    'for _ in range(7):',
    '    t = time.perf_counter(); np.linalg.svd(m, compute_uv=False); ts.append(time.perf_counter() - t)',
    'print(sorted(ts)[3] * 1000)',
  ].join('\n');
  numpyMs = Number(execFileSync(python, ['-c', script]).toString());
}
console.log(
  `3. Singular values of a 512×512 matrix: ${fmt(quantile(svdMs, 0.5))} ms in the browser's worker (median of 7), ` +
    `${fmt(numpyMs)} ms in numpy (median of 7): ratio ${fmt(quantile(svdMs, 0.5) / numpyMs)}×.`,
);

await browser.close();
await server.close();

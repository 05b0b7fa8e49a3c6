// Benchmark: how fast the later chapters answer their controls on the main thread. Run after a
// release build:   scripts/build && node bench/controls.mjs
//
// For every slider and selector of chapters 2, 3 and 4 (CHAPTERS=… to choose, e.g. CHAPTERS=qlora):
// the main-thread time from an input event to a frame ready to paint (the value set, the input
// event dispatched, style and layout forced), p50, p95 and max over a sweep of the control from its
// minimum to its maximum and back (every option, twice, for a selector), from the chapter's
// defaults. Work a chapter sends to a worker is not in these figures: chapter 3 quantises a W larger
// than 256×256 in a worker, so its side's sweep times the main thread's part alone. Target: p95 at
// most 8 ms (chapter 1's controls are bench/latency.mjs's).
import { chromium } from 'playwright-core';
import { serveDist, CHROMIUM } from '../tests/e2e/serve.mjs';

const CHAPTERS = (process.env.CHAPTERS ?? 'learn,qlora,calculator').split(',');
const SAMPLES_EACH_WAY = Number(process.env.SAMPLES ?? 16);
const TARGET_MS = 8;

const server = await serveDist({ root: new URL('../dist/', import.meta.url).pathname });
const browser = await chromium.launch(CHROMIUM);
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const rows = [];
for (const chapter of CHAPTERS) {
  await page.goto(`${server.url}${chapter}/?v=1`);
  await page.waitForFunction(() => document.documentElement.hasAttribute('data-theme'));
  await page.waitForTimeout(500);
  const controls = await page.$$eval('[data-key]', (els) => els.filter((el) => el.id !== 'pt').map((el) => ({ id: el.id, kind: el.tagName === 'SELECT' ? 'select' : el.type })));
  for (const { id, kind } of controls) {
    const times = await page.evaluate(async ({ id, kind, samples }) => {
      const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      const el = document.getElementById(id);
      const start = el.type === 'checkbox' ? el.checked : el.value;
      let values;
      if (kind === 'range') {
        const [min, max, step] = [Number(el.min), Number(el.max), Number(el.step) || 1];
        values = [];
        for (let i = 0; i <= samples; i++) values.push(min + Math.round(((max - min) * i) / samples / step) * step);
        values = [...values, ...values.slice().reverse()];
      } else if (kind === 'select') {
        const options = [...el.options].map((o) => o.value);
        values = [...options, ...options];
      } else {
        values = Array.from({ length: 2 * samples }, (_, i) => i % 2 === 0);
      }
      const times = [];
      for (const value of [...values, start]) {
        const t0 = performance.now();
        if (el.type === 'checkbox') el.checked = Boolean(value);
        else el.value = String(value);
        el.dispatchEvent(new Event('input', { bubbles: true }));
        void document.body.offsetHeight;
        times.push(performance.now() - t0);
        await nextFrame();
      }
      return times;
    }, { id, kind, samples: SAMPLES_EACH_WAY });
    const sorted = times.sort((a, b) => a - b);
    const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    rows.push({ chapter, control: id, 'p50 ms': at(0.5).toFixed(1), 'p95 ms': at(0.95).toFixed(1), 'max ms': sorted[sorted.length - 1].toFixed(1), met: at(0.95) <= TARGET_MS ? 'yes' : 'no' });
  }
}
console.log(`Main-thread time from an input to a frame ready to paint (target: p95 ≤ ${TARGET_MS} ms):`);
console.table(rows);
await browser.close();
await server.close();

// Benchmark: for every slider on the page, the main-thread time from an input event to a frame ready
// to paint, and the gzip size of everything the page transfers. Run after a release build:
//   scripts/build && node bench/latency.mjs
//
// Method: in the page, each sample sets the slider's value, dispatches its input event (the browser
// layer recomputes and draws synchronously in its handler), then forces style and layout by reading
// layout, and stops the clock. That is all main-thread work before the compositor can paint the frame
// (rasterising runs off the main thread in Chromium). Between samples the page is left to paint two frames.
// Each slider is swept from its minimum to its maximum and back, starting from a preset that makes it
// expensive (64×64 matrices, for the factorisation figure). Prints p50, p95 and max per slider.
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { serveDist, CHROMIUM } from '../tests/e2e/serve.mjs';

/** Control values set before sweeping a slider, so that the sweep exercises the costly case. */
const PRESETS = {
  fd: { fk: 64, fr: 8 },
  fk: { fd: 64, fr: 8 },
  fr: { fd: 64, fk: 64 },
  fa: { fd: 64, fk: 64, fr: 8 },
  fs: { fd: 64, fk: 64, fr: 8 },
};
/** Targets in milliseconds (p95), by slider key prefix. */
const TARGET_MS = { f: 4 };
const SAMPLES_EACH_WAY = Number(process.env.SAMPLES ?? 40);

const server = await serveDist({ root: new URL('../dist/', import.meta.url).pathname });
const browser = await chromium.launch(CHROMIUM);
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });

const transferred = [];
page.on('response', async (response) => {
  try {
    const body = await response.body();
    transferred.push({ url: response.url(), raw: body.length, gzip: gzipSync(body).length });
  } catch {
    // Redirects and aborted requests have no body.
  }
});
await page.goto(server.url);
await page.waitForFunction(() => document.getElementById('f-count-1')?.textContent.includes('parameters'));

const sliders = await page.$$eval('input[type="range"][data-key]', (els) => els.map((el) => el.id));
const rows = [];
for (const id of sliders) {
  const times = await page.evaluate(
    async ({ id, preset, samples }) => {
      const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      const set = (key, value) => {
        const el = document.getElementById(key);
        el.value = String(value);
        el.dispatchEvent(new Event('input', { bubbles: true }));
      };
      for (const [key, value] of Object.entries(preset)) set(key, value);
      await nextFrame();
      const slider = document.getElementById(id);
      const [min, max] = [Number(slider.min), Number(slider.max)];
      const values = [];
      for (let i = 0; i <= samples; i++) values.push(Math.round(min + ((max - min) * i) / samples));
      const sweep = [...values, ...values.slice().reverse()];
      const times = [];
      for (const value of sweep) {
        const t0 = performance.now();
        set(id, value);
        document.body.getBoundingClientRect();
        void document.body.offsetHeight;
        times.push(performance.now() - t0);
        await nextFrame();
      }
      return times;
    },
    { id, preset: PRESETS[id] ?? {}, samples: SAMPLES_EACH_WAY },
  );
  times.sort((a, b) => a - b);
  const pick = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  const target = TARGET_MS[id[0]];
  rows.push({
    slider: id,
    samples: times.length,
    'p50 ms': pick(0.5).toFixed(2),
    'p95 ms': pick(0.95).toFixed(2),
    'max ms': times[times.length - 1].toFixed(2),
    target: target ? `< ${target}` : '',
    verdict: target ? (pick(0.95) < target ? 'ok' : 'OVER') : '',
  });
}
console.log('Main-thread time, input event to frame ready (Chromium headless, this machine):');
console.table(rows);

await page.waitForTimeout(200);
const total = transferred.reduce((sum, t) => ({ raw: sum.raw + t.raw, gzip: sum.gzip + t.gzip }), { raw: 0, gzip: 0 });
console.log('Transferred (gzip level 6, per file):');
console.table(transferred.map((t) => ({ file: new URL(t.url).pathname.split('/').pop() || 'index.html', bytes: t.raw, gzip: t.gzip })));
console.log(`Total: ${(total.raw / 1024).toFixed(1)} KiB raw, ${(total.gzip / 1024).toFixed(1)} KiB gzipped (target < 200 KB).`);

await browser.close();
await server.close();

// Soak: many inputs across every slider and selector of the page, as fast drags, then checks that
// nothing leaked, nothing failed and the page shows the last inputs. Run after a release build:
//   scripts/build && node bench/soak.mjs          (INPUTS=10000 by default)
//
// Reported: the JS heap after a forced garbage collection and the WebAssembly memory, before and
// after, with a first round over every control left out of the growth (target: growth under 5%);
// page errors and console errors (target: none); how many workers run at the end; and whether
// every control's final value is what the last input set.
import { chromium } from 'playwright-core';
import { serveDist, CHROMIUM } from '../tests/e2e/serve.mjs';
import { passWorkerFigures } from '../tests/e2e/page.mjs';

const INPUTS = Number(process.env.INPUTS ?? 10000);

const server = await serveDist({ root: new URL('../dist/', import.meta.url).pathname });
const browser = await chromium.launch({ ...CHROMIUM, args: [...CHROMIUM.args, '--js-flags=--expose-gc'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const errors = [];
page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`console: ${msg.text()}`); });
let workers = 0;
page.on('worker', (worker) => { workers += 1; worker.on('close', () => { workers -= 1; }); });

// Trunk's loader hands the module's exports, its memory among them, to this event.
await page.addInitScript(() => addEventListener('TrunkApplicationStarted', (e) => { window.wasmExports = e.detail.wasm; }));
// The intrinsic-rank matrix at n = 64, so that its worker keeps up with a drag.
await page.goto(`${server.url}?v=1&in=64`);
await passWorkerFigures(page);
await page.waitForFunction(() => document.getElementById('f-spectrum-caption')?.textContent !== '');
await page.waitForFunction(() => !document.getElementById('i-status').classList.contains('busy'), null, { timeout: 30000 });

const memory = () => page.evaluate(async () => {
  for (let i = 0; i < 3; i++) { window.gc(); await new Promise((r) => setTimeout(r, 50)); }
  return { heap: performance.memory.usedJSHeapSize, wasm: window.wasmExports?.memory?.buffer.byteLength ?? NaN };
});
// The runtime's own count of the heap after a collection, as a second opinion.
const cdp = await page.context().newCDPSession(page);
const buffers = async () => {
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return usedSize;
};

const drive = async (inputs) => {
  const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  const controls = [...document.querySelectorAll('[data-key]')].filter((el) => el.type === 'range' || el.tagName === 'SELECT' || el.type === 'checkbox');
  const last = {};
  let sent = 0;
  let round = 0;
  while (sent < inputs) {
    for (const el of controls) {
      // A fast drag: a dozen steps, one a frame, from one end towards the other.
      const steps = 12;
      for (let i = 0; i < steps && sent < inputs; i++, sent++) {
        if (el.type === 'checkbox') el.checked = !el.checked;
        else if (el.tagName === 'SELECT') el.selectedIndex = (el.selectedIndex + 1) % el.options.length;
        else {
          const [min, max, step] = [Number(el.min), Number(el.max), Number(el.step) || 1];
          const fraction = round % 2 === 0 ? i / (steps - 1) : 1 - i / (steps - 1);
          el.value = String(min + Math.round(((max - min) * fraction) / step) * step);
        }
        el.dispatchEvent(new Event('input', { bubbles: true }));
        last[el.id] = el.type === 'checkbox' ? el.checked : el.value;
        await nextFrame();
      }
      if (sent >= inputs) break;
    }
    round += 1;
  }
  // The state the page holds, read back from the controls after it rewrote them.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const mismatched = Object.entries(last).filter(([id, value]) => {
    const el = document.getElementById(id);
    return (el.type === 'checkbox' ? el.checked : el.value) !== value;
  }).map(([id]) => id);
  return { sent, mismatched, banner: document.getElementById('error-banner').hidden ? '' : document.getElementById('error-banner').textContent };
};

// One round over every control first: what the page makes once, on first use, is not a leak.
const controlCount = await page.$$eval('[data-key]', (els) => els.length);
await page.evaluate(drive, controlCount * 12);
const before = await memory();
const beforeUsed = await buffers();
const result = await page.evaluate(drive, INPUTS);

await page.waitForTimeout(2000);
const after = await memory();
const afterUsed = await buffers();
const growth = (a, b) => `${((100 * (b - a)) / a).toFixed(1)}%`;
console.log(`Inputs: ${result.sent}`);
console.log(`JS heap after GC: ${(before.heap / 1e6).toFixed(2)} MB → ${(after.heap / 1e6).toFixed(2)} MB (${growth(before.heap, after.heap)}; target under 5%)`);
console.log(`WebAssembly memory: ${(before.wasm / 1e6).toFixed(2)} MB → ${(after.wasm / 1e6).toFixed(2)} MB (${growth(before.wasm, after.wasm)}; target under 5%)`);
console.log(`Runtime heap usage after GC: ${(beforeUsed / 1e6).toFixed(2)} MB → ${(afterUsed / 1e6).toFixed(2)} MB (${growth(beforeUsed, afterUsed)})`);
console.log(`Workers alive at the end: ${workers}`);
console.log(`Errors: ${errors.length}${errors.length ? `\n  ${errors.slice(0, 10).join('\n  ')}` : ''}`);
console.log(`Error banner: ${result.banner || 'none'}`);
console.log(`Controls whose final value differs from the last input: ${result.mismatched.length ? result.mismatched.join(', ') : 'none'}`);
await browser.close();
await server.close();

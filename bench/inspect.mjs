// Benchmark: the adapter inspector on the calculator's chapter, in headless Chromium, on the
// issue's synthetic adapter: 32 layers, r = 16 on all seven Linear modules of Llama-2-7B
// (q, k, v, o 4096→4096; gate and up 4096→11008; down 11008→4096), in BF16, about 80 MB, with its
// adapter_config.json. Run after a release build:
//   scripts/build && node bench/inspect.mjs
//
// Each round gives the file to the page's file input and times, in the page:
// - the whole inspection, from the input's change event to the status saying it is done (the
//   browser reading the file into the request included), and the worker's own time, from its first
//   slice to its answer (in the status); target: at most 2 s;
// - the main thread meanwhile: the time each of the worker's messages takes to handle and paint
//   (p95, target at most 8 ms), the frames' intervals (p95) and the longest task.
// ROUNDS=… (default 3). `examples/inspect_speed.rs` is the native counterpart.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { serveDist, CHROMIUM } from '../tests/e2e/serve.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const TARGETS = { inspectMs: 2000, messageP95Ms: 8 };
const LAYERS = 32;
const RANK = 16;
const MODULES = [
  ['self_attn.q_proj', 4096, 4096],
  ['self_attn.k_proj', 4096, 4096],
  ['self_attn.v_proj', 4096, 4096],
  ['self_attn.o_proj', 4096, 4096],
  ['mlp.gate_proj', 4096, 11008],
  ['mlp.up_proj', 4096, 11008],
  ['mlp.down_proj', 11008, 4096],
];

/** The adapter as safetensors bytes: PEFT's names and shapes, seeded normal-ish BF16 values. */
function adapter() {
  const entries = {};
  const sizes = [];
  let offset = 0;
  for (let layer = 0; layer < LAYERS; layer += 1) {
    for (const [name, n_in, n_out] of MODULES) {
      for (const [factor, rows, cols] of [['A', RANK, n_in], ['B', n_out, RANK]]) {
        const bytes = rows * cols * 2;
        entries[`base_model.model.model.layers.${layer}.${name}.lora_${factor}.weight`] = { dtype: 'BF16', shape: [rows, cols], data_offsets: [offset, offset + bytes] };
        sizes.push([bytes, factor === 'A' ? 0.02 : 0.01]);
        offset += bytes;
      }
    }
  }
  let json = JSON.stringify({ __metadata__: { format: 'pt' }, ...entries });
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const file = Buffer.alloc(8 + json.length + offset);
  file.writeBigUInt64LE(BigInt(json.length), 0);
  file.write(json, 8, 'latin1');
  // xorshift32, and the sum of four uniforms as a rough normal draw, written as BF16 (the top half
  // of the float's bits).
  let state = 2463534242;
  const uniform = () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state / 4294967296;
  };
  const f32 = new Float32Array(1);
  const bits = new Uint32Array(f32.buffer);
  let at = 8 + json.length;
  for (const [bytes, sd] of sizes) {
    for (let i = 0; i < bytes; i += 2) {
      f32[0] = sd * (uniform() + uniform() + uniform() + uniform() - 2) * 1.732;
      file.writeUInt16LE(bits[0] >>> 16, at + i);
    }
    at += bytes;
  }
  const config = JSON.stringify({
    peft_type: 'LORA', r: RANK, lora_alpha: 32,
    target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
  });
  return { file, config };
}

const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const median = (values) => quantile(values, 0.5);

const dir = mkdtempSync(join(tmpdir(), 'inspect-bench-'));
const { file, config } = adapter();
const adapterPath = join(dir, 'adapter_model.safetensors');
const configPath = join(dir, 'adapter_config.json');
writeFileSync(adapterPath, file);
writeFileSync(configPath, config);

const server = await serveDist({ root: new URL('../dist/', import.meta.url).pathname });
const browser = await chromium.launch(CHROMIUM);
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const messages = [];
page.on('console', (msg) => messages.push(`${msg.type()}: ${msg.text()}`));
page.on('pageerror', (err) => messages.push(`pageerror: ${err.message}`));
// Times every handler the page gives a worker, every frame and every long task, and when the
// input changes and the status says the inspection is done.
await page.addInitScript(() => {
  window.marks = { messageMs: [], frames: [], longTasks: [] };
  new PerformanceObserver((list) => { for (const entry of list.getEntries()) window.marks.longTasks.push(entry.duration); })
    .observe({ type: 'longtask', buffered: true });
  const setter = Object.getOwnPropertyDescriptor(Worker.prototype, 'onmessage').set;
  Object.defineProperty(Worker.prototype, 'onmessage', {
    set(handler) {
      setter.call(this, handler && ((event) => {
        const started = performance.now();
        handler(event);
        window.marks.messageMs.push(performance.now() - started);
      }));
    },
  });
  const frame = (at) => { window.marks.frames.push(at); requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
  document.addEventListener('change', (event) => {
    if (event.target.id === 'insp-file') window.marks.changed = performance.now();
  }, true);
});
await page.goto(`${server.url}calculator/`);
await page.waitForFunction(() => document.documentElement.hasAttribute('data-theme'));
await page.evaluate(() => document.getElementById('inspect').scrollIntoView());

const rounds = [];
for (let round = 0; round < ROUNDS; round += 1) {
  // A different selection each round, so that the input changes every time.
  await page.setInputFiles('#insp-file', []);
  await page.evaluate(() => {
    window.marks.messageMs.length = 0;
    window.marks.frames.length = 0;
    window.marks.longTasks.length = 0;
    window.marks.changed = undefined;
    window.marks.done = undefined;
    const status = document.getElementById('insp-status');
    const observer = new MutationObserver(() => {
      if (/inspected in|could not/.test(status.textContent)) {
        window.marks.done = performance.now();
        observer.disconnect();
      }
    });
    observer.observe(status, { childList: true, characterData: true, subtree: true });
  });
  await page.setInputFiles('#insp-file', [adapterPath, configPath]);
  await page.waitForFunction(() => window.marks.done !== undefined, null, { timeout: 120000 });
  const text = await page.$eval('#insp-status', (el) => el.textContent);
  if (!/224 adapted modules inspected/.test(text)) throw new Error(`unexpected status: ${text}`);
  const marks = await page.evaluate(() => ({ ...window.marks }));
  const [, amount, unit] = text.match(/inspected in ([\d.]+) (ms|s)\./);
  const frames = marks.frames.filter((at) => at >= marks.changed && at <= marks.done);
  rounds.push({
    wholeMs: marks.done - marks.changed,
    workerMs: Number(amount) * (unit === 's' ? 1000 : 1),
    messages: marks.messageMs.length,
    messageP95: quantile(marks.messageMs, 0.95),
    messageMax: Math.max(...marks.messageMs),
    frameP95: quantile(frames.slice(1).map((at, i) => at - frames[i]), 0.95),
    longest: marks.longTasks.length ? Math.max(...marks.longTasks) : 0,
  });
}
const bestOf = (key) => Math.min(...rounds.map((r) => r[key]));
console.log(`Synthetic adapter: ${LAYERS} layers × ${MODULES.length} modules, r = ${RANK}, BF16, ${(file.length / 1e6).toFixed(1)} MB, ${ROUNDS} rounds`);
console.table(Object.fromEntries(rounds.map((r, i) => [`round ${i + 1}`, {
  'pick → shown, ms': r.wholeMs.toFixed(0),
  'worker, ms (status)': r.workerMs.toFixed(0),
  'messages': r.messages,
  'message p95, ms': r.messageP95.toFixed(1),
  'message max, ms': r.messageMax.toFixed(1),
  'frame interval p95, ms': r.frameP95.toFixed(1),
  'longest task, ms': r.longest.toFixed(0),
}])));
console.table({
  'full inspection': {
    'median ms': median(rounds.map((r) => r.wholeMs)).toFixed(0),
    'best ms': bestOf('wholeMs').toFixed(0),
    target: `≤ ${TARGETS.inspectMs} ms`,
    met: median(rounds.map((r) => r.wholeMs)) <= TARGETS.inspectMs ? 'yes' : 'no',
  },
  'main thread, message p95': {
    'median ms': median(rounds.map((r) => r.messageP95)).toFixed(1),
    'best ms': bestOf('messageP95').toFixed(1),
    target: `≤ ${TARGETS.messageP95Ms} ms`,
    met: median(rounds.map((r) => r.messageP95)) <= TARGETS.messageP95Ms ? 'yes' : 'no',
  },
});
if (messages.length) console.log('Console:', messages);
await browser.close();
await server.close();
rmSync(dir, { recursive: true, force: true });

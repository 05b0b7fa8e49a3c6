// End to end: every chapter under the strict Content-Security-Policy, used the whole way through.
// Every control goes to its ends and through its options, every figure's buttons are pressed (Link,
// Embed, PNG, CSV, PEFT, Copy), every data table is opened, chapter 2 trains and sweeps, and
// chapter 4 opens an adapter file. The browser must report no violation and no console message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { serveDist, CHROMIUM, CSP } from './serve.mjs';

let server, browser;

before(async () => {
  server = await serveDist({ root: new URL('../../dist/', import.meta.url).pathname, headers: { 'Content-Security-Policy': CSP } });
  browser = await chromium.launch(CHROMIUM);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** A PEFT adapter for one attention projection (r = 2, 8 inputs, 6 outputs, f32) and its config,
 * written as safetensors bytes: an 8-byte header length, the JSON header, then the data. */
function adapterFiles() {
  const tensors = { 'base_model.model.layers.0.self_attn.q_proj.lora_A.weight': [2, 8], 'base_model.model.layers.0.self_attn.q_proj.lora_B.weight': [6, 2] };
  const header = {};
  let offset = 0;
  for (const [name, shape] of Object.entries(tensors)) {
    const bytes = 4 * shape[0] * shape[1];
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header));
  const data = new Float32Array(offset / 4).map((_, i) => Math.sin(i + 1) / 4);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  const config = { peft_type: 'LORA', r: 2, lora_alpha: 4, target_modules: ['q_proj'] };
  return [
    { name: 'adapter_model.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.concat([length, json, Buffer.from(data.buffer)]) },
    { name: 'adapter_config.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(config)) },
  ];
}

/** Scrolls through the whole page a viewport at a time, so that every lazily started worker starts. */
async function scrollThrough(page) {
  await page.evaluate(async () => {
    for (let y = 0; y < document.body.scrollHeight; y += innerHeight / 2) {
      scrollTo(0, y);
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    }
    scrollTo(0, 0);
  });
}

for (const chapter of ['', 'learn/', 'qlora/', 'calculator/']) {
  test(`${chapter || 'chapter 1'} under the strict CSP, every control, button and table used: no violation`, async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => problems.push(`console ${msg.type()}: ${msg.text()}`));
    page.on('worker', (worker) => worker.on('console', (msg) => problems.push(`worker ${msg.type()}: ${msg.text()}`)));
    await page.addInitScript(() => {
      window.cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective}: ${e.blockedURI}`));
    });
    await page.goto(`${server.url}${chapter}`);
    await page.waitForFunction(() => document.documentElement.hasAttribute('data-theme'));
    await scrollThrough(page);

    // Every control to its ends, through its options, on and off; then back to its default.
    await page.evaluate(async () => {
      const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
      for (const el of document.querySelectorAll('[data-key]')) {
        const initial = el.type === 'checkbox' ? el.checked : el.value;
        const values = el.tagName === 'SELECT' ? [...el.options].map((o) => o.value) : el.type === 'checkbox' ? [true, false] : [el.min, el.max];
        for (const value of [...values, initial]) {
          if (el.type === 'checkbox') el.checked = value;
          else el.value = String(value);
          el.dispatchEvent(new Event('input', { bubbles: true }));
          el.dispatchEvent(new Event('change', { bubbles: true }));
          await frame();
        }
      }
    });
    if (chapter === 'learn/') {
      for (const id of ['l-play', 'l-play', 'l-step', 'l-reset', 'l-sweep']) {
        await page.click(`#${id}`);
        await page.waitForTimeout(300);
      }
    }
    if (chapter === 'calculator/') {
      await page.setInputFiles('#insp-file', adapterFiles());
      await page.waitForFunction(() => /q_proj/.test(document.body.textContent) && document.querySelector('#insp-modules table, #insp-modules-data table, table') !== null);
    }
    // Every data table opened, every figure's buttons pressed.
    await page.$$eval('details', (all) => all.forEach((d) => { d.open = true; }));
    const buttons = await page.$$('.figure-tools button, .copy-button');
    assert.ok(buttons.length > 0);
    for (const button of buttons) {
      if (await button.isVisible() && await button.isEnabled()) {
        await button.scrollIntoViewIfNeeded();
        await button.click();
      }
    }
    await page.waitForTimeout(500);
    assert.deepEqual(await page.evaluate(() => window.cspViolations), []);
    // A browser without clipboard access says so in the page, not in the console.
    assert.deepEqual(problems, []);
    await context.close();
  });
}

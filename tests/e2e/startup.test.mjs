// End to end: a page whose WebAssembly cannot start says so in its own words, from plain script
// that runs before the module, instead of showing empty figures.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { serveDist, CHROMIUM } from './serve.mjs';

const closers = [];
after(async () => {
  for (const close of closers) await close();
});

/** Opens the release build with `headers`, aborting requests whose path matches `blocked`. */
async function openBroken({ headers = {}, blocked = null }) {
  const server = await serveDist({ root: new URL('../../dist/', import.meta.url).pathname, headers });
  const browser = await chromium.launch(CHROMIUM);
  closers.push(async () => { await browser.close(); await server.close(); });
  const page = await browser.newPage();
  if (blocked) await page.route(blocked, (route) => route.abort());
  await page.goto(server.url);
  await page.waitForFunction(() => !document.getElementById('error-banner').hidden, null, { timeout: 10000 });
  return page.$eval('#error-banner', (el) => el.textContent);
}

test('a .wasm that does not load is named in the banner', async () => {
  const said = await openBroken({ blocked: /lora-explorer-[0-9a-f]+_bg\.wasm$/ });
  // Trunk preloads the module, so the preload's failure usually speaks first.
  assert.match(said, /^LoRA Explorer could not start: (a file it needs \(.*_bg\.wasm\)|its WebAssembly module) did not load/);
});

test('a missing start script is named in the banner', async () => {
  const said = await openBroken({ blocked: /start-[0-9a-f]+\.js$/ });
  assert.match(said, /^LoRA Explorer could not start: a file it needs \(.*start-[0-9a-f]+\.js\) did not load/);
});

test('a security policy without wasm-unsafe-eval is named in the banner', async () => {
  const csp = "default-src 'self'; script-src 'self'; style-src 'self'";
  const said = await openBroken({ headers: { 'Content-Security-Policy': csp } });
  assert.match(said, /^LoRA Explorer could not start: /);
  assert.match(said, /wasm-unsafe-eval|WebAssembly module did not load/);
});

// Benchmark: what each chapter's first load transfers, gzipped. Run after a release build:
//   scripts/build && node bench/first-load.mjs
//
// For every chapter (found from the chapter list on the root page), a fresh browser with an empty
// cache opens the chapter's address at the top, waits until the network has been quiet for a second,
// and sums the gzip size (level 6) of every file it fetched: HTML, CSS, scripts, WebAssembly and the
// workers the page started. Target: at most 200 kB (200,000 bytes) a chapter. It then scrolls to the
// end of the chapter and reports what the whole chapter has fetched by then, workers that start
// when their figure comes near included.
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { serveDist, CHROMIUM } from '../tests/e2e/serve.mjs';

const TARGET_BYTES = 200_000;
const server = await serveDist({ root: new URL('../dist/', import.meta.url).pathname });
const browser = await chromium.launch(CHROMIUM);

/** Opens `url` in a fresh context and returns the files fetched: at load, and after scrolling down. */
async function measure(url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const files = new Map();
  let phase = 'first load';
  const record = async (response) => {
    try {
      const body = await response.body();
      if (!files.has(response.url())) files.set(response.url(), { phase, raw: body.length, gzip: gzipSync(body).length });
    } catch {
      // Redirects and aborted requests have no body.
    }
  };
  // Workers' own requests (importScripts, their WebAssembly) reach the context, not the page.
  context.on('response', record);
  await page.goto(url, { waitUntil: 'networkidle' });
  await page.waitForTimeout(1000);
  const chapters = await page.$$eval('nav.chapters a', (links) => links.map((a) => ({ title: a.textContent, href: a.href })));
  phase = 'later';
  await page.evaluate(async () => {
    for (let y = 0; y < document.body.scrollHeight; y += innerHeight / 2) {
      scrollTo(0, y);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(1000);
  await context.close();
  return { files, chapters };
}

const { chapters } = await measure(server.url);
const rows = [];
let over = 0;
for (const chapter of chapters) {
  const { files } = await measure(chapter.href);
  const sum = (phase) => [...files.values()].filter((f) => !phase || f.phase === phase).reduce((s, f) => s + f.gzip, 0);
  const first = sum('first load');
  if (first > TARGET_BYTES) over += 1;
  console.log(`${chapter.title} (${new URL(chapter.href).pathname}):`);
  console.table([...files].map(([url, f]) => ({ file: new URL(url).pathname.split('/').pop() || 'index.html', when: f.phase, bytes: f.raw, gzip: f.gzip })));
  rows.push({
    chapter: chapter.title,
    'first load, kB gzipped': (first / 1000).toFixed(1),
    target: '≤ 200',
    verdict: first <= TARGET_BYTES ? 'ok' : 'OVER',
    'whole chapter, kB gzipped': (sum() / 1000).toFixed(1),
  });
}
console.log('First load of each chapter (gzip level 6, every file fetched, workers included):');
console.table(rows);
await browser.close();
await server.close();
process.exitCode = over ? 1 : 0;

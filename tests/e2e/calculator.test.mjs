// End to end: the calculator's chapter (dist/calculator/) loads, follows its controls and its
// address, and writes trainable counts that agree with counts worked out here from the models'
// published shapes, with no console message.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { serveDist, CHROMIUM } from './serve.mjs';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const server = await serveDist({ root: new URL('../../dist/', import.meta.url).pathname });
const browser = await chromium.launch(CHROMIUM);
after(async () => {
  await browser.close();
  await server.close();
});

/** Opens the chapter at `query`; resolves once it has painted its counts. */
async function openChapter(query = '', { viewport = { width: 1280, height: 900 } } = {}) {
  const page = await browser.newPage({ viewport });
  const messages = [];
  page.on('console', (msg) => messages.push(`${msg.type()}: ${msg.text()}`));
  page.on('pageerror', (err) => messages.push(`pageerror: ${err.message}`));
  await page.goto(`${server.url}calculator/${query}`);
  await page.waitForFunction(() => document.getElementById('k-peft-report')?.textContent.startsWith('trainable params'));
  return { page, messages };
}

/** PEFT's report for `trainable` parameters on a model of `base` parameters. */
function report(trainable, base) {
  const all = trainable + base;
  const percent = ((100 * trainable) / all).toFixed(4);
  return `trainable params: ${n(trainable)} || all params: ${n(all)} || trainable%: ${percent}`;
}

const n = (x) => x.toLocaleString('en-US');

const peftReport = (page) => page.$eval('#k-peft-report', (el) => el.textContent);

/** Moves slider `id` to `value` as a reader would: the value, then an input event. */
async function slide(page, id, value) {
  await page.$eval(`#${id}`, (input, value) => {
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, String(value));
}

// LLaMA-2 7B (meta-llama/Llama-2-7b-hf): 32 blocks of width 4,096; 6,738,415,616 parameters.
const LLAMA_2_7B = 6_738_415_616;
// Mistral-7B: 32 blocks of width 4,096, 8 key/value heads of 128 (k and v are 4,096 → 1,024).
const MISTRAL_7B = 7_241_732_096;

test('the chapter counts LLaMA-2 7B, Mistral-7B and GPT-2 as PEFT would', async () => {
  const { page, messages } = await openChapter();
  // r = 8 on q_proj and v_proj, both 4,096 → 4,096, in 32 blocks.
  const llama = 32 * 2 * 8 * (4096 + 4096);
  assert.equal(llama, 4_194_304);
  assert.equal(await peftReport(page), report(llama, LLAMA_2_7B));
  assert.match(await page.$eval('#k-published', (el) => el.textContent), /^6,738,415,616: the published count/);
  assert.match(await page.$eval('#k-config', (el) => el.textContent), /r=8,\n {4}lora_alpha=16,\n {4}target_modules=\["q_proj", "v_proj"\]/);

  await page.selectOption('#km', 'mistral-7b');
  await slide(page, 'kr', 16);
  const mistral = 32 * 16 * ((4096 + 4096) + (4096 + 1024));
  await page.waitForFunction((text) => document.getElementById('k-peft-report').textContent === text, report(mistral, MISTRAL_7B));
  assert.equal(await page.$eval('#kr-out', (el) => el.textContent), '16');
  assert.match(await page.$eval('#k-config', (el) => el.textContent), /r=16,/);
  await page.waitForFunction(() => location.search.includes('km=mistral-7b') && location.search.includes('kr=16'));

  // all-linear on LLaMA-2 7B at r = 16: four 4,096 → 4,096 projections and three MLP layers of
  // 4,096 and 11,008 a block.
  await page.selectOption('#km', 'llama-2-7b');
  await page.selectOption('#kt', 'all-linear');
  const allLinear = 32 * 16 * (4 * (4096 + 4096) + 3 * (4096 + 11008));
  await page.waitForFunction((text) => document.getElementById('k-peft-report').textContent === text, report(allLinear, LLAMA_2_7B));
  assert.equal(await page.$$eval('#k-group-rows tr', (rows) => rows.length), 7);
  assert.deepEqual(messages, []);
  await page.close();
});

test('a link sets the model and rank; the custom shape shows only when chosen', async () => {
  const { page, messages } = await openChapter('?v=1&km=gpt2&kr=4');
  // GPT-2 (124M): c_attn is one Conv1D of 768 → 2,304 in each of 12 blocks; 124,439,808 parameters.
  assert.equal(await peftReport(page), report(12 * 4 * (768 + 2304), 124_439_808));
  assert.equal(await page.$eval('#km', (el) => el.value), 'gpt2');
  assert.equal(await page.$eval('#k-custom', (el) => el.hidden), true);
  await page.selectOption('#km', 'custom');
  await page.waitForFunction(() => !document.getElementById('k-custom').hidden);
  // The custom shape starts as LLaMA-2 7B's, at r = 4 on q_proj and v_proj.
  assert.equal(await peftReport(page), report(32 * 2 * 4 * 8192, LLAMA_2_7B));
  await slide(page, 'kh', 3);
  await page.waitForFunction(() => !document.getElementById('k-notes').hidden);
  assert.match(await page.$eval('#k-notes', (el) => el.textContent), /must be a multiple of the number of heads/);
  assert.equal(await peftReport(page), '');
  // What cannot be counted is not shown empty.
  assert.deepEqual(
    await page.$$eval('#k-report, #k-published, #k-adapter, #k-groups, #k-memory', (els) => els.map((el) => el.hidden)),
    [true, true, true, true, true],
  );
  assert.deepEqual(messages, []);
  await page.close();
});

test('the memory chart, its table and the paper check are filled', async () => {
  const { page, messages } = await openChapter('?v=1&pt=dark');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  assert.match(await page.$eval('#k-memory-chart', (c) => c.getAttribute('aria-label')), /^Bar chart of training memory, 17\.2 GB in all/);
  assert.equal(await page.$$eval('#k-memory-rows tr', (rows) => rows.length), 5);
  assert.equal(await page.$$eval('#k-paper-rows tr', (rows) => rows.length), 8);
  // Leaving activations out disables the batch and the sequence length.
  await page.uncheck('#ke');
  await page.waitForFunction(() => document.getElementById('kb').disabled && document.getElementById('kn').disabled);
  assert.match(await page.$eval('#k-memory-caption', (el) => el.textContent), /without activations/);
  // The figure's share buttons include PEFT's, and the memory figure has a data table.
  assert.equal(await page.$$eval('#fig-calculator .figure-tools button', (b) => b.map((x) => x.textContent).join(' ')), 'Link Embed CSV PEFT');
  await page.click('#fig-calculator-memory details.data-table summary');
  await page.waitForFunction(() => document.querySelectorAll('#fig-calculator-memory details.data-table tbody tr').length === 6);
  assert.deepEqual(messages, []);
  await page.close();
});

/** The CSV files figure `figure` offers: clicks its CSV button, reads each link's name and text. */
async function csvFiles(page, figure) {
  await page.click(`#fig-${figure} .figure-tools button:text("CSV")`);
  return page.$$eval(`#fig-${figure} .share-files a`, (as) => as.map((a) => [
    a.download,
    decodeURIComponent(a.href.slice(a.href.indexOf(',') + 1)),
  ]));
}

test("the MLP's own rank and α reach the count, the file, the memory and the LoraConfig", async () => {
  const { page, messages } = await openChapter('?v=1&kt=all-linear');
  assert.deepEqual(await page.$$eval('#kx, #kz', (els) => els.map((el) => el.disabled)), [true, true]);
  await page.check('#kg');
  await page.waitForFunction(() => !document.getElementById('kx').disabled && !document.getElementById('kz').disabled);
  await slide(page, 'kx', 24);
  await slide(page, 'kz', 12);
  // r = 8 on LLaMA-2 7B's four 4,096 → 4,096 projections, r = 24 on its three MLP layers.
  const trainable = 32 * (8 * 4 * (4096 + 4096) + 24 * 3 * (4096 + 11008));
  await page.waitForFunction((text) => document.getElementById('k-peft-report').textContent === text, report(trainable, LLAMA_2_7B));
  assert.match(await page.$eval('#k-config', (el) => el.textContent),
    /r=8,\n {4}lora_alpha=16,\n {4}target_modules="all-linear",\n {4}rank_pattern=\{"gate_proj": 24, "up_proj": 24, "down_proj": 24\},\n {4}alpha_pattern=\{"gate_proj": 12, "up_proj": 12, "down_proj": 12\},/);
  assert.equal(await page.$eval('#k-scale', (el) => el.textContent),
    "The MLP's updates are scaled by α/r = 12/24 = 0.5, every other update by 16/8 = 2.");
  const rows = await page.$$eval('#k-group-rows tr', (trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
  assert.deepEqual(rows.map((row) => row[3]), ['8', '8', '8', '8', '24', '24', '24']);
  await page.waitForFunction(() => /kg=1/.test(location.search) && /kx=24/.test(location.search) && /kz=12/.test(location.search));

  // The CSV files and the memory table follow: 4 B a parameter in fp32.
  const [[layersName, layers], [totalsName, totals]] = await csvFiles(page, 'calculator');
  assert.equal(layersName, 'lora-explorer-calculator-llama-2-7b-layers.csv');
  assert.equal(totalsName, 'lora-explorer-calculator-llama-2-7b-totals.csv');
  const lines = layers.trim().split('\n').map((line) => line.split(','));
  assert.equal(lines[0].join(','), 'layers,count,in_features,out_features,r,alpha,scale,params_each,params');
  assert.equal(lines.slice(1).reduce((sum, row) => sum + Number(row[8]), 0), trainable);
  assert.match(totals, new RegExp(`adapter_fp32_bytes,${4 * trainable}\n`));
  await page.click('#fig-calculator-memory details.data-table summary');
  await page.waitForFunction((bytes) => [...document.querySelectorAll('#fig-calculator-memory details.data-table tbody tr')]
    .some((tr) => tr.cells[0].textContent === 'LoRA weights (fp32)' && tr.cells[1].textContent === bytes), n(4 * trainable));
  const [[memoryName, memory]] = await csvFiles(page, 'calculator-memory');
  assert.equal(memoryName, 'lora-explorer-training-memory-llama-2-7b.csv');
  assert.match(memory, new RegExp(`^LoRA weights \\(fp32\\),${4 * trainable},`, 'm'));
  const [[paperName, paper]] = await csvFiles(page, 'paper-check');
  assert.equal(paperName, 'lora-explorer-lora-paper-counts.csv');
  assert.equal(paper.trim().split('\n').length, 9);
  await page.click('#fig-paper-check details.data-table summary');
  await page.waitForFunction(() => document.querySelectorAll('#fig-paper-check details.data-table tbody tr').length === 8);
  await page.click('#fig-calculator details.data-table summary');
  await page.waitForFunction(() => document.querySelectorAll('#fig-calculator details.data-table tbody tr').length === 7 + 6);
  assert.deepEqual(messages, []);
  await page.close();
});

test('at 360 px every choice of every selector fits its box and nothing scrolls sideways', async () => {
  // The custom shape's family selector shows only with the custom shape.
  const { page, messages } = await openChapter('?v=1&km=custom', { viewport: { width: 360, height: 800 } });
  const cut = await page.$$eval('select', (selects) => selects.flatMap((select) => {
    const context = document.createElement('canvas').getContext('2d');
    context.font = getComputedStyle(select).font;
    // The arrow and the padding take about 36 px of the box.
    return [...select.options]
      .filter((option) => context.measureText(option.text).width + 36 > select.clientWidth)
      .map((option) => `${select.id}: ${option.text}`);
  }));
  assert.deepEqual(cut, []);
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 360);
  assert.deepEqual(messages, []);
  await page.close();
});

for (const theme of ['light', 'dark']) {
  test(`axe finds no WCAG 2.1 A or AA violation in the ${theme} theme, custom shape and data table open`, async () => {
    const { page, messages } = await openChapter(`?v=1&pt=${theme}&km=custom`);
    await page.$eval('details.data-table', (d) => new Promise((resolve) => {
      d.addEventListener('toggle', () => setTimeout(resolve, 0), { once: true });
      d.open = true;
    }));
    await page.click('#fig-calculator .figure-tools button');
    await page.addScriptTag({ path: axePath });
    const result = await page.evaluate(() =>
      window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
    );
    const found = result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
    assert.deepEqual(found, []);
    assert.deepEqual(messages, []);
    await page.close();
  });
}

test('each figure embeds alone, and the copy button answers', async () => {
  for (const figure of ['calculator', 'calculator-memory', 'paper-check', 'adapter-modules', 'adapter-layers', 'adapter-spectra']) {
    const { page, messages } = await openChapter(`?v=1&embed=${figure}`);
    const shown = await page.$$eval('figure', (all) => all.filter((f) => f.offsetParent !== null).map((f) => f.id));
    assert.deepEqual(shown, [`fig-${figure}`]);
    assert.equal(await page.$eval('#url-notice', (el) => el.hidden), true);
    assert.deepEqual(messages, []);
    await page.close();
  }
  const { page, messages } = await openChapter();
  await page.click('#k-copy');
  // Headless Chromium may refuse the clipboard: either answer is a sentence, not the wait.
  const status = await page.waitForFunction(() => {
    const text = document.getElementById('k-copy-status').textContent;
    return text !== '' && text !== 'Copying…' && text;
  });
  assert.match(await status.jsonValue(), /^(Copied\.|Select the configuration and copy it\.)$/);
  assert.deepEqual(messages, []);
  await page.close();
});

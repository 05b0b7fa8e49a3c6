// End to end: the adapter inspector on the calculator's chapter (dist/calculator/). Adapter files
// are written at test time by tests/oracle/adapter_fixtures.py with Python's safetensors and numpy,
// given to the file input or dropped on its zone, and the module table, the totals, the charts'
// captions and the heatmap are checked against what numpy computed; bad files get their own
// messages and leave the page usable. The worker starts only once a file is chosen, nothing leaves
// the page, and the console stays silent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pageOpener, waitForText, textOf } from './page.mjs';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const python = process.env.LORA_ORACLE_PYTHON ?? new URL('../../.venv/bin/python', import.meta.url).pathname;
const script = new URL('../oracle/adapter_fixtures.py', import.meta.url).pathname;
const missing = existsSync(python) ? false : `no Python with numpy and safetensors at ${python}: run scripts/test once`;

let dir;
before(() => {
  if (missing) return;
  dir = mkdtempSync(join(tmpdir(), 'adapter-fixtures-'));
  execFileSync(python, [script, dir]);
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const open = pageOpener();
const fixture = (name) => join(dir, name);
const expected = (name) => JSON.parse(readFileSync(fixture(`${name}.expected.json`), 'utf8')).modules;
const n = (x) => x.toLocaleString('en-US');

/** The module table's rows, as text cells. */
const moduleRows = (page) => page.$$eval('#insp-modules tbody tr', (rows) => rows.map((row) => [...row.cells].map((cell) => cell.textContent)));

/** Waits until the inspector has shown a file, or refused it; resolves to the status. */
const settled = (page) => waitForText(page, 'insp-status', /inspected in|could not be inspected/, 20000);

/** The chapter, with every request after its first load recorded. */
async function openInspector(query = '') {
  const session = await open({ path: 'calculator/', query });
  const later = [];
  session.page.on('request', (req) => later.push({ url: req.url(), method: req.method(), body: req.postData() }));
  return { ...session, later };
}

test('a PEFT adapter with its config: the table, the totals, the charts and the heatmap agree with numpy', { skip: missing }, async () => {
  const { page, consoleMessages, foreignRequests, later } = await openInspector();
  // The worker is not fetched until a file is chosen.
  const fetched = () => page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((url) => url.includes('inspector')));
  assert.deepEqual(await fetched(), []);
  assert.equal(await textOf(page, 'insp-status'), 'No adapter chosen yet.');

  await page.setInputFiles('#insp-file', [fixture('f32.safetensors'), fixture('f32.config.json')]);
  assert.match(await settled(page), /^f32\.safetensors: 9 adapted modules inspected in /);
  assert.equal(await page.$eval('#insp-progress', (el) => el.hidden), true);
  assert.equal(await page.$eval('#insp-error', (el) => el.hidden), true);

  const modules = expected('f32').sort((a, b) => a.layer - b.layer || (a.path < b.path ? -1 : 1));
  const rows = await moduleRows(page);
  assert.equal(rows.length, modules.length);
  for (const [i, m] of modules.entries()) {
    const kind = m.path.split('.').pop();
    assert.deepEqual(rows[i].slice(0, 6), [String(m.layer), kind, String(m.r), n(m.in), n(m.out), n(m.params)], m.path);
    assert.ok(Math.abs(Number(rows[i][6]) - m.scale) <= 0.005 * m.scale, `${m.path}: scale ${rows[i][6]}, numpy ${m.scale}`);
    assert.ok(Math.abs(Number(rows[i][7]) - m.frobenius) <= 0.005 * m.frobenius, `${m.path}: ‖ΔW‖ ${rows[i][7]}, numpy ${m.frobenius}`);
  }
  const total = modules.reduce((sum, m) => sum + m.params, 0);
  const totals = await page.$$eval('#insp-totals li', (items) => items.map((li) => li.textContent));
  assert.ok(totals[0].startsWith(`${n(total)} parameters in all: ${n(total)} in the LoRA factors`), totals[0]);
  assert.match(totals[1], /they agree/);

  // The charts: three module kinds by layer; the first module's spectrum, then another's.
  assert.match(await textOf(page, 'insp-layers-caption'), /one line a module kind \(down_proj, q_proj, v_proj\)/);
  assert.equal(await page.$$eval('#insp-module option', (options) => options.length), 9);
  assert.match(await textOf(page, 'insp-spectrum-caption'), /^model\.layers\.0\.mlp\.down_proj: /);
  await waitForText(page, 'insp-heat-caption', /^ΔW = s·B·A of model\.layers\.0\.mlp\.down_proj, 32 × 48/);
  await page.selectOption('#insp-module', '4');
  assert.match(await textOf(page, 'insp-spectrum-caption'), /^model\.layers\.1\.self_attn\.q_proj: 2 of its r = 4 directions hold 90%/);
  await waitForText(page, 'insp-heat-caption', /^ΔW = s·B·A of model\.layers\.1\.self_attn\.q_proj, 32 × 32 \(out × in\): every entry/);
  assert.deepEqual(await page.$eval('#insp-heat-delta', (c) => [c.width, c.height]), [32, 32]);

  // The per-layer chart's data table follows the inspection.
  await page.click('#fig-adapter-layers details.data-table summary');
  await page.waitForFunction(() => document.querySelectorAll('#fig-adapter-layers details.data-table tbody tr').length === 3);
  // CSV of the module table.
  await page.click('#fig-adapter-modules .figure-tools button:text("CSV")');
  const csv = await page.$eval('#fig-adapter-modules .share-files', (el) => el.textContent);
  assert.match(csv, /lora-explorer-adapter-modules-9\.csv/);

  // Nothing was sent anywhere: the only requests after the first load fetch the worker.
  assert.deepEqual(foreignRequests, []);
  const urls = later.map((r) => r.url.split('/').pop().replace(/-[0-9a-f]{16}/, ''));
  assert.ok(urls.every((url) => /^(worker-loader\.js\?bin=lora-explorer-inspector|lora-explorer-inspector(_bg\.wasm|\.js))$/.test(url)), urls.join(' '));
  assert.ok(later.every((r) => r.method === 'GET' && !r.body));
  assert.deepEqual(consoleMessages, []);
});

test('DoRA vectors, a module saved whole, NaN weights and a kohya file are shown as what they are', { skip: missing }, async () => {
  const { page, consoleMessages } = await openInspector();
  await page.setInputFiles('#insp-file', [fixture('bf16.safetensors'), fixture('bf16.config.json')]);
  assert.match(await settled(page), /^bf16\.safetensors: 9 adapted modules inspected/);
  const others = await page.$$eval('#insp-others tbody tr', (rows) => rows.map((row) => row.cells[1].textContent));
  assert.equal(others.filter((kind) => kind === 'DoRA magnitude vector').length, 9);
  assert.equal(others.filter((kind) => kind === 'module saved whole (modules_to_save)').length, 1);

  await page.setInputFiles('#insp-file', [fixture('nan.safetensors'), fixture('nan.config.json')]);
  assert.match(await settled(page), /^nan\.safetensors: 3 adapted modules inspected in .* One thing to know/);
  assert.match(await textOf(page, 'insp-warnings'), /^2 weights in 1 modules are NaN or infinite/);
  await page.selectOption('#insp-module', '1');
  assert.match(await textOf(page, 'insp-spectrum-caption'), /^model\.layers\.0\.self_attn\.q_proj: no spectrum \(it has NaN or infinite weights\)/);

  // A config alone applies to the adapter chosen before it; without a config, a note says so.
  await page.setInputFiles('#insp-file', [fixture('kohya.safetensors')]);
  assert.match(await settled(page), /^kohya\.safetensors: 2 adapted modules inspected/);
  assert.deepEqual((await moduleRows(page)).map((row) => row.slice(0, 3)), [['0', 'proj_in', '4'], ['1', 'proj_in', '4']]);
  await page.setInputFiles('#insp-file', [fixture('f16.safetensors')]);
  await settled(page);
  assert.match(await textOf(page, 'insp-warnings'), /^No adapter_config\.json/);
  await page.setInputFiles('#insp-file', [fixture('f16.config.json')]);
  await waitForText(page, 'insp-status', /with f16\.config\.json|inspected in/);
  await settled(page);
  assert.doesNotMatch(await textOf(page, 'insp-warnings'), /No adapter_config\.json/);
  assert.deepEqual(consoleMessages, []);
});

for (const figure of ['adapter-layers', 'adapter-spectra']) {
  test(`embedded alone, ${figure} carries the file input and shows the adapter it is given`, { skip: missing }, async () => {
    const { page, consoleMessages } = await openInspector(`?v=1&embed=${figure}`);
    // The file input and its status sit in the figure, under its title, and are visible.
    assert.equal(await page.$eval('#insp-file', (el, id) => el.closest('figure').id === id && el.closest('figure').offsetParent !== null, `fig-${figure}`), true);
    assert.equal(await page.$eval('#insp-drop', (el) => el.getBoundingClientRect().width > 200), true);
    assert.equal(await textOf(page, 'insp-status'), 'No adapter chosen yet.');
    await page.setInputFiles('#insp-file', [fixture('f32.safetensors'), fixture('f32.config.json')]);
    assert.match(await settled(page), /^f32\.safetensors: 9 adapted modules inspected in /);
    if (figure === 'adapter-layers') {
      assert.match(await textOf(page, 'insp-layers-caption'), /one line a module kind \(down_proj, q_proj, v_proj\)/);
      assert.equal(await page.$eval('#insp-layers-chart', (c) => !c.hidden && c.width > 200), true);
    } else {
      assert.match(await textOf(page, 'insp-spectrum-caption'), /^model\.layers\.0\.mlp\.down_proj: /);
      await waitForText(page, 'insp-heat-caption', /^ΔW = s·B·A of model\.layers\.0\.mlp\.down_proj/);
      assert.equal(await page.$eval('#insp-spectrum-chart', (c) => !c.hidden && c.width > 200), true);
    }
    assert.deepEqual(consoleMessages, []);
  });
}

test('bad files get their own messages, and the page stays usable', { skip: missing }, async () => {
  const { page, consoleMessages } = await openInspector();
  const good = readFileSync(fixture('f32.safetensors'));
  // A config alone, with no adapter chosen before, asks for the adapter.
  await page.setInputFiles('#insp-file', [fixture('f32.config.json')]);
  await waitForText(page, 'insp-status', /^That is a config alone/);
  const bad = [
    ['model.bin', Buffer.from('PK\u0003\u0004 a zip archive, as torch.save writes'), /^This is not a safetensors file: it looks like a ZIP archive/],
    ['adapter_model.safetensors', good.subarray(0, good.length - 100), /^The file is truncated: its header describes/],
    ['short.safetensors', Buffer.from([1, 2, 3]), /^The file is only 3 bytes long/],
    ['huge-header.safetensors', Buffer.concat([Buffer.from([0, 0, 0, 0, 1, 0, 0, 0]), Buffer.from('{}')]), /over the 100 MB that the safetensors format allows/],
  ];
  for (const [name, buffer, message] of bad) {
    await page.setInputFiles('#insp-file', { name, mimeType: 'application/octet-stream', buffer });
    assert.equal(await settled(page), `${name} could not be inspected:`);
    assert.match(await textOf(page, 'insp-error'), message, name);
    assert.equal(await page.$eval('#insp-error', (el) => el.hidden), false);
    assert.equal(await page.$eval('#insp-results', (el) => el.hidden), true);
    assert.equal(await page.$eval('#insp-module', (el) => el.disabled), true);
  }

  // Dropped on the zone, a good file is inspected, and the error is gone.
  await page.evaluate(async (bytes) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(bytes)], 'dropped.safetensors'));
    const zone = document.getElementById('insp-drop');
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, [...good]);
  assert.match(await settled(page), /^dropped\.safetensors: 9 adapted modules inspected/);
  assert.equal(await page.$eval('#insp-error', (el) => el.hidden), true);
  // The calculator above still answers.
  await page.selectOption('#kt', 'mlp');
  await waitForText(page, 'k-peft-report', /trainable params: 11,599,872 /);
  assert.deepEqual(consoleMessages, []);
});

for (const theme of ['light', 'dark']) {
  test(`axe finds no WCAG 2.1 A or AA violation in the inspected adapter, ${theme} theme`, { skip: missing }, async () => {
    const { page, consoleMessages } = await openInspector(`?v=1&pt=${theme}`);
    await page.setInputFiles('#insp-file', [fixture('bf16.safetensors'), fixture('bf16.config.json')]);
    await settled(page);
    await waitForText(page, 'insp-heat-caption', /^ΔW = s·B·A of /);
    await page.addScriptTag({ path: axePath });
    const result = await page.evaluate(() =>
      window.axe.run(document.getElementById('inspect'), { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
    );
    const found = result.violations.flatMap((v) => v.nodes.map((node) => `${v.id}: ${node.target.join(' ')}`));
    assert.deepEqual(found, []);
    assert.deepEqual(consoleMessages, []);
  });
}

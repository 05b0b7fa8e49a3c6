// End to end: the release build, served from a sub-path, opened in headless Chromium. Every slider of
// the factorisation figure is moved with the keyboard; heatmaps and printed numbers must follow,
// nothing may reach the console, and no request may leave the page's origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { openPage, textOf, imageOf, press as pressOn } from './page.mjs';

let session, page;

before(async () => {
  session = await openPage();
  page = session.page;
});

after(async () => {
  await session?.close();
});

const text = (id) => textOf(page, id);
const canvasImage = (id) => imageOf(page, id);
const press = (id, ...keys) => pressOn(page, id, ...keys);
const HEATMAPS = ['w0', 'b', 'a', 'dw', 'wm'].map((slug) => `f-heat-${slug}`);
const images = async () => Object.fromEntries(await Promise.all(HEATMAPS.map(async (id) => [id, await canvasImage(id)])));

/** Which heatmaps differ between two snapshots. */
const changed = (a, b) => HEATMAPS.filter((id) => a[id] !== b[id]);

test('the page opens at the notebook example with a favicon and no error banner', async () => {
  await session.goto('');
  assert.match(await text('f-count-1'), /d·k = 4·4 = 16 parameters/);
  assert.match(await text('f-count-2'), /r·\(d \+ k\) = 2·\(4 \+ 4\) = 16 trainable/);
  assert.match(await text('f-count-3'), /1\.0×.*saves nothing/);
  assert.equal(await page.$eval('#error-banner', (el) => el.hidden), true);
  const icon = await page.$eval('link[rel~="icon"]', (el) => el.href);
  const status = await page.evaluate(async (href) => (await fetch(href)).status, icon);
  assert.equal(status, 200);
});

test('d and k sliders resize the matrices and the counts', async () => {
  await session.goto('');
  let before = await images();
  await press('fd', 'End');
  assert.equal(await text('f-label-w0'), 'W₀ · 64×4');
  assert.match(await text('f-count-1'), /64·4 = 256 parameters/);
  assert.deepEqual(changed(before, await images()).sort(), [...HEATMAPS].sort());
  before = await images();
  await press('fk', 'End');
  assert.equal(await text('f-label-dw'), 'ΔW = BA · 64×64');
  assert.match(await text('f-count-2'), /2·\(64 \+ 64\) = 256 trainable/);
  assert.match(await text('f-count-3'), /16\.0× fewer/);
  assert.deepEqual(changed(before, await images()).sort(), [...HEATMAPS].sort());
});

test('the rank slider grows B and A and lowers the reduction', async () => {
  await session.goto('?v=1&fd=64&fk=64');
  const before = await images();
  await press('fr', 'ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowRight');
  assert.equal(await text('fr-out'), '8');
  assert.equal(await text('f-label-b'), 'B · 64×8');
  assert.match(await text('f-count-2'), /8·\(64 \+ 64\) = 1,024 trainable/);
  assert.match(await text('f-count-3'), /4\.0× fewer/);
  // W₀ may repaint too: its cells shrink to make room, and the shared colour scale can move.
  const repainted = changed(before, await images());
  for (const id of ['f-heat-a', 'f-heat-b', 'f-heat-dw', 'f-heat-wm']) assert.ok(repainted.includes(id), id);
  assert.equal(await text('f-label-w0'), 'W₀ · 64×64');
  await mkdir('test-results', { recursive: true });
  await page.screenshot({ path: 'test-results/factorisation-64x64-r8.png', fullPage: true });
});

test('alpha changes only the merged weight', async () => {
  await session.goto('?v=1&fd=64&fk=64&fr=8');
  const before = await images();
  await press('fa', 'ArrowRight', 'ArrowRight');
  assert.equal(await text('fa-out'), '4');
  // The shared colour scale can move too, so every heatmap may repaint; the merged one must.
  assert.ok(changed(before, await images()).includes('f-heat-wm'));
  assert.match(await text('f-count-2'), /1,024 trainable/);
});

test('the seed redraws every matrix, and returning to it restores them', async () => {
  await session.goto('?v=1&fd=64&fk=64&fr=8');
  const before = await images();
  await press('fs', 'ArrowRight');
  assert.equal(await text('fs-out'), '43');
  assert.deepEqual(changed(before, await images()).sort(), [...HEATMAPS].sort());
  await press('fs', 'ArrowLeft');
  assert.deepEqual(changed(before, await images()), []);
});

test('at initialisation B and delta are zero and the merged weight equals W0', async () => {
  await session.goto('?v=1&fd=64&fk=64&fr=8');
  await press('fi', 'Space');
  assert.match(await text('f-caption'), /^At initialisation/);
  const neutral = await page.$eval('#f-heat-dw', (c) => {
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const [r, g, b] = data;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] !== r || data[i + 1] !== g || data[i + 2] !== b) return false;
    }
    return true;
  });
  assert.ok(neutral, 'ΔW is one flat colour');
  assert.equal(await canvasImage('f-heat-wm'), await canvasImage('f-heat-w0'));
});

test('pointing at a cell of delta explains it term by term and focus works from the keyboard', async () => {
  await session.goto('?v=1&fd=64&fk=64&fr=8');
  // The mouse works in the viewport: bring the heatmap into it first.
  await page.$eval('#f-heat-dw', (c) => c.scrollIntoView({ block: 'center' }));
  const box = await page.$eval('#f-heat-dw', (c) => { const r = c.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; });
  await page.mouse.move(box.x + box.w * 0.5, box.y + box.h * 0.25);
  const report = await text('f-report');
  assert.match(report, /^ΔW\[\d+, \d+\] = /);
  assert.equal((report.match(/^l = /gm) ?? []).length, 8, 'one line per rank term');
  await page.mouse.move(0, 0);
  await page.focus('#f-heat-b');
  await page.keyboard.press('ArrowDown');
  assert.match(await text('f-report'), /^B\[2, 1\] = /);
});

test('nothing reached the console and no request left the origin', () => {
  assert.deepEqual(session.consoleMessages, []);
  assert.deepEqual(session.foreignRequests, []);
});

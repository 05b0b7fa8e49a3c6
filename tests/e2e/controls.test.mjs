// End to end: every choice of every selector reads whole at 1280 and at 360 px wide; no control
// cuts its own text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pageOpener } from './page.mjs';

const open = pageOpener();

for (const width of [1280, 360]) {
  test(`at ${width} px every selector's every choice fits its box`, async () => {
    const session = await open({ viewport: { width, height: 900 } });
    const cut = await session.page.$$eval('select', (selects) => selects.flatMap((select) => {
      const context = document.createElement('canvas').getContext('2d');
      context.font = getComputedStyle(select).font;
      // The arrow and the padding take about 36 px of the box.
      return [...select.options]
        .filter((option) => context.measureText(option.text).width + 36 > select.clientWidth)
        .map((option) => `${select.id}: ${option.text}`);
    }));
    assert.deepEqual(cut, []);
  });
}

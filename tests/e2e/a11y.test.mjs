// Accessibility: axe-core, run in headless Chromium over the full page in both themes and over every
// figure embedded alone, must report no violation of WCAG 2.1 A and AA rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { pageOpener } from './page.mjs';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const FIGURES = ['layer', 'memory', 'factorisation', 'maths', 'rank', 'spectrum', 'approximation', 'comparison', 'quiz'];

const open = pageOpener();

/** Runs axe on the page and returns its violations, one line each. */
async function violations(page) {
  await page.addScriptTag({ path: axePath });
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
  );
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} (${n.failureSummary?.split('\n')[1]?.trim() ?? v.help})`));
}

for (const colorScheme of ['light', 'dark']) {
  test(`the full page in the ${colorScheme} theme has no violation`, async () => {
    const session = await open({ colorScheme });
    // Open every data table, the share panel and a quiz explanation, so that their markup is checked too.
    // A data table fills when its toggle event arrives, a task after it opens: wait for every one.
    await session.page.$$eval('details.data-table', (all) => Promise.all(all.map((d) => new Promise((resolve) => {
      d.addEventListener('toggle', () => setTimeout(resolve, 0), { once: true });
      d.open = true;
    }))));
    await session.page.click('#fig-rank .figure-tools button');
    await session.page.check('#q1 input[value="a"]');
    await session.page.click('#q1 button');
    assert.deepEqual(await violations(session.page), []);
  });
}

test('every embedded figure has no violation', async () => {
  const session = await open();
  for (const figure of FIGURES) {
    await session.page.goto(session.page.url().split('?')[0] + `?embed=${figure}`);
    await session.page.waitForFunction(() => document.getElementById('f-count-1')?.textContent.includes('parameters'));
    assert.deepEqual(await violations(session.page), [], figure);
  }
});

// The later chapters, each at a desktop and a phone width in both themes: no violation, every data
// table open, the workers' figures scrolled to, and nothing wider than the screen.
const CHAPTERS = [
  { path: 'learn/', query: '?v=1&ld=16&lk=16&lw=max', worker: 'fig-training-loss', done: ['l-status', /^Finished/] },
  { path: 'qlora/', query: '?v=1&qn=128', worker: 'fig-loftq', done: ['q-loftq-caption', /\S/] },
];

for (const chapter of CHAPTERS) {
  for (const [colorScheme, width] of [['light', 1280], ['dark', 360]]) {
    test(`${chapter.path} at ${width} px in the ${colorScheme} theme has no violation and fits the screen`, async () => {
      const { page } = await open({ path: chapter.path, query: chapter.query, colorScheme, viewport: { width, height: 800 } });
      await page.evaluate((id) => document.getElementById(id).scrollIntoView(), chapter.worker);
      const [id, pattern] = chapter.done;
      await page.waitForFunction(([id, source]) => new RegExp(source).test(document.getElementById(id).textContent), [id, pattern.source], { timeout: 30000 });
      await page.$$eval('details.data-table', (all) => Promise.all(all.map((d) => new Promise((resolve) => {
        d.addEventListener('toggle', () => setTimeout(resolve, 0), { once: true });
        d.open = true;
      }))));
      assert.deepEqual(await violations(page), []);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
    });
  }
}

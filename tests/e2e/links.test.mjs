// End to end: every v=1 link keeps its meaning. tests/e2e/links-v1.json holds, for links that set
// each control of chapter 1 to its minimum, maximum, default, an out-of-range value and garbage (and
// every option of each selector), the state the page showed when the fixture was recorded: every
// control's value, the address the page rewrote itself to, and its notice. The test loads each link
// and expects the identical state.
//
// To record the fixture again, deliberately (only when a link is meant to change meaning):
//   RECORD=1 node --test tests/e2e/links.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { pageOpener } from './page.mjs';

const FIXTURE = new URL('./links-v1.json', import.meta.url);
const open = pageOpener();

/** Every control's value, the address and the notice, as the page shows them now. */
const snapshot = (page) =>
  page.evaluate(() => ({
    controls: Object.fromEntries(
      [...document.querySelectorAll('[data-key]')].map((el) => [el.dataset.key, el.type === 'checkbox' ? String(el.checked) : el.value]),
    ),
    search: location.search,
    notice: document.getElementById('url-notice').hidden ? '' : document.getElementById('url-notice').textContent,
  }));

/** The links to check: built from the controls the page has, so a new control gets its own. */
async function linksOf(page) {
  const controls = await page.evaluate(() =>
    [...document.querySelectorAll('[data-key]')].map((el) => ({
      key: el.dataset.key,
      kind: el.tagName === 'SELECT' ? 'select' : el.type,
      min: el.min,
      max: el.max,
      value: el.value,
      options: el.tagName === 'SELECT' ? [...el.options].map((o) => o.value) : [],
    })),
  );
  const links = [];
  for (const c of controls) {
    const values =
      c.kind === 'select' ? [...c.options, 'nonsense'] : c.kind === 'checkbox' ? ['0', '1', 'maybe'] : [c.min, c.max, c.value, String(Number(c.max) * 2 + 1), '-1', 'abc', '1e309'];
    for (const value of values) links.push(`?v=1&${c.key}=${encodeURIComponent(value)}`);
  }
  // Pairs whose order once mattered, and a link with many values at once.
  links.push('?v=1&fr=4&fd=2', '?v=1&fd=2&fr=4', '?v=1&mr=9&md=3', '?v=1&ia=40&in=32', '?v=1&fd=16&fk=8&fr=8&fa=3&fs=7&fi=1&cd=4096&cc=grads&vm=gpt2');
  return links;
}

test('every v=1 link gives the state it gave when the fixture was recorded', async () => {
  const session = await open();
  const { page } = session;
  if (process.env.RECORD) {
    const fixture = {};
    for (const link of await linksOf(page)) {
      await session.goto(link, { mounted: true });
      fixture[link] = await snapshot(page);
    }
    writeFileSync(FIXTURE, JSON.stringify(fixture, null, 1) + '\n');
    return;
  }
  const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8'));
  const links = Object.keys(fixture);
  assert.ok(links.length > 100, `${links.length} links`);
  for (const link of links) {
    await session.goto(link, { mounted: true });
    assert.deepEqual(await snapshot(page), fixture[link], link);
  }
});

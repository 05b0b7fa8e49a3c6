// End to end: the state in the URL, garbage in links, and every figure embedded alone in an iframe
// of another origin, reporting its height to the host page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { pageOpener, textOf, press } from './page.mjs';

const open = pageOpener();

const FIGURES = ['layer', 'memory', 'factorisation', 'maths', 'rank', 'spectrum', 'approximation', 'comparison', 'quiz'];

test('moving controls rewrites the address without flooding the history, and a reload restores them', async () => {
  const { page } = await open();
  const historyBefore = await page.evaluate(() => history.length);
  await press(page, 'fd', 'ArrowRight', 'ArrowRight', 'ArrowRight');
  await page.selectOption('#vm', 'gpt2');
  await page.waitForFunction(() => location.search.includes('fd=7') && location.search.includes('vm=gpt2'));
  assert.match(await page.evaluate(() => location.search), /^\?v=1&fd=7&vm=gpt2$/);
  assert.equal(await page.evaluate(() => history.length), historyBefore);
  await page.reload();
  await page.waitForFunction(() => document.getElementById('f-count-1')?.textContent.includes('parameters'));
  assert.equal(await textOf(page, 'fd-out'), '7');
  assert.equal(await page.$eval('#vm', (el) => el.value), 'gpt2');
  assert.match(await textOf(page, 'f-count-1'), /7·4 = 28 parameters/);
  assert.equal(await page.$eval('#url-notice', (el) => el.hidden), true);
});

test('garbage in a link falls back visibly and is never taken as markup', async () => {
  const { page, consoleMessages } = await open({ query: '?v=2&fd=500&fk=abc&fr=2&zz=%3Cb%3Ebold%3C%2Fb%3E' });
  assert.equal(await page.$eval('#url-notice', (el) => el.hidden), false);
  const notice = await textOf(page, 'url-notice');
  assert.match(notice, /version “2”/);
  assert.match(notice, /fd = “500” is out of range; 64 was used instead/);
  assert.match(notice, /fk = “abc” is not a valid value/);
  assert.equal(await page.$$eval('#url-notice *', (els) => els.length), 0, 'the notice holds text only');
  assert.equal(await textOf(page, 'fd-out'), '64');
  assert.equal(await textOf(page, 'fk-out'), '4');
  assert.deepEqual(consoleMessages, []);
});

test('an unknown figure to embed shows the whole page and says so', async () => {
  const { page } = await open({ query: '?embed=nonsense' });
  assert.match(await textOf(page, 'url-notice'), /no figure “nonsense”/);
  assert.equal(await page.$eval('.toc', (el) => el.offsetParent !== null), true);
});

test('the Embed button writes iframe code for the figure with the current settings', async () => {
  const { page } = await open();
  await press(page, 'fk', 'ArrowRight');
  await page.click('#fig-factorisation .figure-tools button:nth-child(2)');
  const code = await page.$eval('#fig-factorisation-share', (el) => el.value);
  assert.match(code, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/course\/lora\/\?v=1&amp;embed=factorisation&amp;fk=5" title="LoRA Explorer: Figure 3\. The LoRA factorisation" width="100%" height="\d+"/);
  await page.click('#fig-factorisation .figure-tools button:nth-child(1)');
  const link = await page.$eval('#fig-factorisation-share', (el) => el.value);
  assert.match(link, /\/course\/lora\/\?v=1&fk=5#fig-factorisation$/);
});

test('every figure embeds alone in a cross-origin iframe and reports its height', async () => {
  const { browser, page: explainer, foreignRequests } = await open();
  const base = explainer.url().split('?')[0];
  const host = createServer((req, res) => {
    const figure = new URL(req.url, 'http://x').searchParams.get('figure');
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><meta charset="utf-8"><title>Course page</title>
      <p>A course page.</p>
      <iframe id="frame" src="${base}?v=1&embed=${figure}" title="LoRA Explorer" width="800" height="150" style="border:0"></iframe>
      <script>
        window.messages = [];
        window.addEventListener('message', (event) => {
          window.messages.push(event.data);
          const frame = document.getElementById('frame');
          if (event.source === frame.contentWindow && event.data && event.data.type === 'lora-explorer:resize') {
            frame.style.height = event.data.height + 'px';
          }
        });
      </script>`);
  });
  await new Promise((resolve) => host.listen(0, '127.0.0.1', resolve));
  const hostUrl = `http://127.0.0.1:${host.address().port}/`;
  const page = await browser.newPage();
  try {
    for (const figure of FIGURES) {
      await page.goto(`${hostUrl}?figure=${figure}`);
      await page.waitForFunction(() => window.messages.some((m) => m && m.type === 'lora-explorer:resize'), null, { timeout: 15000 });
      const messages = await page.evaluate(() => window.messages);
      const ours = messages.filter((m) => m.type === 'lora-explorer:resize');
      assert.ok(messages.some((m) => m.subject === 'lti.frameResize' && m.height > 100), figure);
      assert.equal(ours.at(-1).figure, figure);
      assert.ok(ours.at(-1).height > 100, `${figure}: ${ours.at(-1).height}`);
      const frame = page.frameLocator('#frame');
      assert.equal(await frame.locator(`#fig-${figure}`).isVisible(), true, figure);
      assert.equal(await frame.locator('.toc').isVisible(), false, figure);
      assert.equal(await frame.locator('.page-header').isVisible(), false, figure);
      // The frame follows the latest height it was sent (more may arrive as the figure finishes drawing).
      await page.waitForFunction(() => {
        const last = window.messages.filter((m) => m && m.type === 'lora-explorer:resize').at(-1);
        return document.getElementById('frame').offsetHeight === last.height;
      });
      if (figure === 'factorisation') await page.screenshot({ path: 'test-results/embed-factorisation.png' });
    }
  } finally {
    await page.close();
    await new Promise((resolve) => host.close(resolve));
  }
  assert.deepEqual(foreignRequests, []);
});

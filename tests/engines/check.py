"""Loads the release build in Firefox (Marionette) and in WebKit, Safari's engine (WebKitWebDriver),
and checks what every engine must do, on every chapter: every figure paints, Figure 3's spectrum arrives from its
worker and follows the rank, every slider moved to both ends raises no error, and the intrinsic-rank
workers finish. Prints one line a check and exits non-zero on a failure. Run by scripts/engines.

Usage: check.py URL ENGINE... (ENGINE: firefox, webkit)."""

import base64
import glob
import json
import sys
import time
import urllib.request

QUERY = "?v=1&fd=16&fk=12&fr=3&fa=8"


class WebDriver:
    """The W3C WebDriver protocol over HTTP, as WebKitWebDriver speaks it."""

    def __init__(self, base, capabilities):
        self.base = base
        self.session = self.call("POST", "/session", {"capabilities": capabilities})["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())["value"]

    def go(self, url):
        self.call("POST", f"/session/{self.session}/url", {"url": url})

    def run(self, script):
        return self.call("POST", f"/session/{self.session}/execute/sync", {"script": script, "args": []})

    def screenshot(self):
        return base64.b64decode(self.call("GET", f"/session/{self.session}/screenshot"))

    def quit(self):
        self.call("DELETE", f"/session/{self.session}")


class Firefox:
    """Firefox through Marionette."""

    def __init__(self):
        from marionette_driver.marionette import Marionette
        self.client = Marionette(host="127.0.0.1", port=2828)
        self.client.start_session()
        self.client.set_window_rect(width=1280, height=1000)

    def go(self, url):
        self.client.navigate(url)

    def run(self, script):
        return self.client.execute_script(script)

    def screenshot(self):
        return base64.b64decode(self.client.screenshot())

    def quit(self):
        self.client.delete_session()


def wait(browser, script, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        if browser.run(script):
            return True
        time.sleep(0.3)
    return False


def check(name, browser, url):
    results = []
    browser.go(url + QUERY)
    # Workers start when their figures come near the viewport: pass them, then return to the top.
    for element in ("fig-factorisation", "intrinsic"):
        wait(browser, f"document.getElementById('{element}').scrollIntoView(); return true")
        time.sleep(0.5)
    browser.run("window.scrollTo(0, 0)")
    results.append(("Figure 3's spectrum arrives", wait(browser, "return document.getElementById('f-spectrum-caption').textContent !== ''")))
    results.append(("the intrinsic-rank workers finish", wait(browser, "return !document.getElementById('i-status').classList.contains('busy') && !document.getElementById('ia-status').classList.contains('busy')", 120)))
    browser.run("const el = document.getElementById('fr'); el.value = '5'; el.dispatchEvent(new Event('input', { bubbles: true }));")
    results.append(("the spectrum follows the rank", wait(browser, "return /has 5 directions/.test(document.getElementById('f-spectrum-caption').textContent)")))
    browser.run("""for (const el of document.querySelectorAll('input[type=range][data-key]')) {
        for (const value of [el.min, el.max]) { el.value = value; el.dispatchEvent(new Event('input', { bubbles: true })); }
    }""")
    time.sleep(4)
    results.append(("every slider at both ends, no error", browser.run("return document.getElementById('error-banner').hidden")))
    blank = browser.run("""return [...document.querySelectorAll('canvas')]
        .filter((c) => c.width > 0 && c.getBoundingClientRect().width > 0)
        .filter((c) => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                         for (let i = 3; i < d.length; i += 4) if (d[i]) return false; return true; })
        .map((c) => c.id)""")
    results.append((f"every canvas painted{' (blank: ' + ', '.join(blank) + ')' if blank else ''}", not blank))
    with open(f"test-results/engine-{name}.png", "wb") as out:
        out.write(browser.screenshot())
    for chapter in CHAPTERS:
        results += check_chapter(name, browser, url, chapter)
    for what, ok in results:
        print(f"{name}: {'ok' if ok else 'FAILED'}  {what}")
    return all(ok for _, ok in results)


# Every later chapter: its folder and query, the element whose text says it has painted, and the
# figure whose worker must answer once scrolled to (or None).
CHAPTERS = [
    ("learn", "?v=1&ld=16&lk=16&lw=max", "l-settings", ("fig-training-loss", "l-loss-caption")),
    ("qlora", "?v=1&qn=128", "q-quant-caption", ("fig-loftq", "q-loftq-caption")),
    ("calculator", "?v=1", "k-model", None),
]


def check_chapter(name, browser, url, chapter):
    """A later chapter: it paints, its worker's figure arrives once scrolled to, and every slider and
    selector moves to its ends without an error."""
    folder, query, painted, worker = chapter
    results = []
    browser.go(url + folder + "/" + query)
    results.append((f"{folder} paints", wait(browser, f"return document.getElementById('{painted}').textContent !== ''")))
    if worker:
        figure, caption = worker
        wait(browser, f"document.getElementById('{figure}').scrollIntoView(); return true")
        results.append((f"{folder}: the worker answers", wait(browser, f"return document.getElementById('{caption}').textContent !== ''", 120)))
    browser.run("""for (const el of document.querySelectorAll('[data-key]')) {
        const values = el.tagName === 'SELECT' ? [...el.options].map((o) => o.value)
            : el.type === 'checkbox' ? [true, false] : [el.min, el.max];
        for (const value of values) {
            if (el.type === 'checkbox') el.checked = value; else el.value = value;
            el.dispatchEvent(new Event('input', { bubbles: true }));
        }
    }""")
    time.sleep(4)
    results.append((f"{folder}: every control at its ends, no error", browser.run("return document.getElementById('error-banner').hidden")))
    with open(f"test-results/engine-{name}-{folder}.png", "wb") as out:
        out.write(browser.screenshot())
    return results


def main():
    url, engines = sys.argv[1], sys.argv[2:]
    passed = failed = 0
    for name in engines:
        if name == "firefox":
            browser = Firefox()
        else:
            mini = glob.glob("/usr/lib/*/webkit2gtk-4.*/MiniBrowser")[0]
            browser = WebDriver("http://127.0.0.1:4444", {"alwaysMatch": {
                "webkitgtk:browserOptions": {"binary": mini, "args": ["--automation", "--geometry=1280x1000"]}}})
        try:
            ok = check(name, browser, url)
        finally:
            browser.quit()
        passed, failed = passed + ok, failed + (not ok)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

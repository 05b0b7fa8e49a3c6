// Runs before the WebAssembly module, in plain script, so that a page whose module cannot start
// still says what went wrong. It listens for a script or module that fails to load, a start-up
// promise that fails (a missing .wasm, or a security policy without 'wasm-unsafe-eval'), and for
// the start event; the first failure before the start fills the error banner.
(function () {
  var started = false;
  var told = false;
  function fail(what) {
    if (started || told) return;
    told = true;
    var show = function () {
      var banner = document.getElementById('error-banner');
      if (!banner) return;
      banner.textContent = 'LoRA Explorer could not start: ' + what +
        ' Its figures need JavaScript and WebAssembly. Reload the page; if this keeps happening, ' +
        'the browser or the site may be blocking WebAssembly.';
      banner.hidden = false;
    };
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', show);
    else show();
  }
  addEventListener('TrunkApplicationStarted', function () { started = true; });
  // Resource errors do not bubble: listen in the capture phase.
  addEventListener('error', function (event) {
    var target = event.target;
    if (target && (target.tagName === 'SCRIPT' || target.tagName === 'LINK')) {
      fail('a file it needs (' + (target.src || target.href || 'a script') + ') did not load.');
    }
  }, true);
  addEventListener('unhandledrejection', function (event) {
    var reason = event.reason && (event.reason.message || String(event.reason));
    fail('its WebAssembly module did not load (' + (reason || 'no reason given') + ').');
  });
  addEventListener('securitypolicyviolation', function (event) {
    if (event.violatedDirective && event.violatedDirective.indexOf('script-src') === 0) {
      fail('the site\'s security policy blocks WebAssembly (it needs \'wasm-unsafe-eval\' in script-src).');
    }
  });
})();

// Starts one of LoRA Explorer's Web Workers: the binary named by `?bin=` (the shared worker when
// none is named). A module that cannot load is rethrown as an uncaught error, which the page
// receives as the worker's `error` event and reports, instead of waiting for a worker that never
// answers.
const bin = new URL(self.location.href).searchParams.get('bin') || 'lora-explorer-worker';
if (!/^lora-explorer-[a-z]+$/.test(bin)) throw new Error(`no such worker: ${bin}`);
importScripts(`./${bin}.js`);
wasm_bindgen({ module_or_path: `./${bin}_bg.wasm` }).catch((error) => {
  setTimeout(() => { throw error; });
});

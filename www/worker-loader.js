importScripts('./lora-explorer-worker.js');
wasm_bindgen({ module_or_path: './lora-explorer-worker_bg.wasm' });

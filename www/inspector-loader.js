importScripts('./lora-explorer-inspector.js');
wasm_bindgen({ module_or_path: './lora-explorer-inspector_bg.wasm' });

importScripts('./lora-explorer-trainer.js');
wasm_bindgen({ module_or_path: './lora-explorer-trainer_bg.wasm' });

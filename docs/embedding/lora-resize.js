// Resize each LoRA Explorer iframe on this page to the height its figure reports.
(() => {
  // Where LoRA Explorer is hosted: scheme, host and port only (no path, no trailing slash).
  const LORA_ORIGIN = "https://lora.example.org";
  window.addEventListener("message", (event) => {
    if (event.origin !== LORA_ORIGIN) return;                  // someone else's message
    const data = event.data;
    if (!data || data.type !== "lora-explorer:resize") return; // not a resize message
    const height = Number(data.height);
    if (!Number.isFinite(height) || height <= 0) return;
    for (const frame of document.getElementsByTagName("iframe")) {
      if (frame.contentWindow === event.source) {              // the iframe that sent it
        frame.style.height = Math.ceil(height) + "px";
      }
    }
  });
})();

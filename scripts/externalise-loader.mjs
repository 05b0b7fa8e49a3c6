// Trunk post-build hook: moves the inline module script that Trunk writes into index.html (the few
// lines that load the WebAssembly) into a file of its own, so the page runs under a strict
// Content-Security-Policy (`script-src 'self'`) with no inline script and no hash to keep in step.
// Trunk runs it with TRUNK_STAGING_DIR set to the build's staging folder.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) {
  console.error('externalise-loader: TRUNK_STAGING_DIR is not set; run me as a Trunk hook.');
  process.exit(1);
}
const page = join(staging, 'index.html');
const html = readFileSync(page, 'utf8');
let count = 0;
const rewritten = html.replace(/<script type="module">([\s\S]*?)<\/script>/g, (_, body) => {
  const name = `start-${createHash('sha256').update(body).digest('hex').slice(0, 16)}.js`;
  writeFileSync(join(staging, name), body.trim() + '\n');
  count += 1;
  return `<script type="module" src="./${name}"></script>`;
});
writeFileSync(page, rewritten);
console.log(`externalise-loader: moved ${count} inline module script(s) out of index.html`);

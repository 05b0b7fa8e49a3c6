// A static server for the built site in dist/: the end-to-end tests, the benchmarks and
// `scripts/serve` use it. Run as a script it serves dist/ at the site's root and rebuilds when the
// sources change (see scripts/serve).
import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

/**
 * Serves `root` under `prefix` (such as "/course/lora/") on 127.0.0.1. `headers` are added to every
 * response; `port` 0 picks a free one. Resolves to { url, close } where url is the site's address.
 */
export async function serveDist({ root, prefix = '/course/lora/', headers = {}, port = 0 }) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (!path.startsWith(prefix)) {
      res.writeHead(404).end('outside the served sub-path');
      return;
    }
    let file = normalize(join(root, path.slice(prefix.length)));
    if (!file.startsWith(normalize(root))) {
      res.writeHead(403).end();
      return;
    }
    try {
      if ((await stat(file)).isDirectory()) {
        // A chapter's address without its trailing slash would resolve its relative links
        // against the parent folder: redirect, as static hosts do.
        if (!path.endsWith('/')) {
          res.writeHead(301, { Location: `${path}/` }).end();
          return;
        }
        file = join(file, 'index.html');
      }
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', ...headers });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}${prefix}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Serves dist/ on `port` and runs `scripts/build buildArgs…` again whenever src/, www/ or the
 * manifests change, one build at a time. */
async function serveAndRebuild(port, buildArgs) {
  const repo = fileURLToPath(new URL('..', import.meta.url));
  const { url } = await serveDist({ root: join(repo, 'dist'), prefix: '/', port });
  console.log(`LoRA Explorer is served on ${url} (Ctrl-C stops it); rebuilding when sources change.`);
  let building = false;
  let again = false;
  let timer = null;
  const build = () => {
    if (building) {
      again = true;
      return;
    }
    building = true;
    const child = spawn(join(repo, 'scripts/build'), buildArgs, { stdio: 'inherit' });
    child.on('exit', (code) => {
      building = false;
      console.log(code === 0 ? `Rebuilt: reload ${url}` : 'The build failed; the last good site is still served.');
      if (again) {
        again = false;
        build();
      }
    });
  };
  for (const folder of ['src', 'www']) {
    watch(join(repo, folder), { recursive: true }, () => {
      clearTimeout(timer);
      timer = setTimeout(build, 300);
    });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [port, ...buildArgs] = process.argv.slice(2);
  await serveAndRebuild(Number(port), buildArgs);
}

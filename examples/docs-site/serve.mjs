// Serves the example docs site with the library build mounted at /l0/ (as a static host would,
// without COOP/COEP headers). Run `npm run build:lib` first, then:
//   node examples/docs-site/serve.mjs [port]      -> http://127.0.0.1:4180/
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const site = dirname(fileURLToPath(import.meta.url));
const lib = join(site, '..', '..', 'dist-lib');
const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm', '.zip': 'application/zip' };

/** Maps a URL path to a file: /l0/** from dist-lib/, everything else from the site folder. */
export function fileFor(pathname) {
  const [root, rel] = pathname.startsWith('/l0/') ? [lib, pathname.slice(4)] : [site, pathname.slice(1)];
  const file = normalize(join(root, decodeURIComponent(rel) || 'index.html'));
  return file.startsWith(root) ? file : undefined;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? 4180);
  createServer(async (req, res) => {
    const file = fileFor(new URL(req.url ?? '/', 'http://x').pathname);
    const st = file && (await stat(file).catch(() => undefined));
    if (!st?.isFile()) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' }).end(await readFile(file));
  }).listen(port, '127.0.0.1', () => console.log(`docs site: http://127.0.0.1:${port}/`));
}

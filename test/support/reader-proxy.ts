// Test servers for the fetch approval: a page reader that works like Jina Reader (`GET /<url>`
// fetches <url> from the server and answers `{data: {title, url, content}}`, with CORS), and a
// canary site that records every request it gets.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestServer {
  /** Origin, e.g. http://127.0.0.1:4711 */
  url: string;
  /** `host:port`, as the fetch approval names it. */
  host: string;
  /** Request lines seen (`GET /path?query`). */
  requests: string[];
  close(): Promise<void>;
}

async function listen(server: Server, requests: string[]): Promise<TestServer> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}

const CORS = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' };

/** Pages under this path answer after this long (a slow site, for the tool timeout). */
export const SLOW_PATH = '/slow';
export const SLOW_MS = 5000;

/** A site whose pages say which page they are; it must get exactly the requests a test allows. */
export function startCanarySite(): Promise<TestServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const answer = () => res.writeHead(200, { ...CORS, 'Content-Type': 'text/plain; charset=utf-8' }).end(`Canary page ${req.url}`);
    if (req.url?.startsWith(SLOW_PATH)) setTimeout(answer, SLOW_MS);
    else answer();
  });
  return listen(server, requests);
}

/** A Jina-Reader-compatible proxy: reads the page named in the path from the server side. */
export function startReaderProxy(): Promise<TestServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...CORS, 'Access-Control-Allow-Methods': 'GET' }).end();
      return;
    }
    requests.push(`${req.method} ${req.url}`);
    const target = (req.url ?? '/').slice(1);
    fetch(target)
      .then(async (page) => {
        const content = await page.text();
        res.writeHead(200, { ...CORS, 'Content-Type': 'application/json' }).end(JSON.stringify({ code: 200, data: { title: `Read ${target}`, url: target, content } }));
      })
      .catch((e: Error) => res.writeHead(502, CORS).end(JSON.stringify({ code: 502, message: e.message })));
  });
  return listen(server, requests);
}

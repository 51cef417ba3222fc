// Web tools against a local HTTP server serving hand-written MediaWiki / provider response shapes.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { L0Error, type Tool } from '../../src/protocols';
import { defaultTools } from '../../src/tools/registry';
import { wikipediaClient, snippetToText } from '../../src/tools/wikipedia';
import { getWebpageTool, webSearchTool } from '../../src/tools/web';
import { searxngSearch } from '../../src/tools/searxng';
import { tavilySearch } from '../../src/tools/tavily';
import { jinaReader } from '../../src/tools/jina';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/wikipedia/${name}`, import.meta.url), 'utf8');

interface Seen {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}
let server: Server;
let base: string;
let seen: Seen[] = [];

function route(req: Seen): { status: number; body: string; statusText?: string } {
  const p = req.url.searchParams;
  if (req.url.pathname === '/w/api.php') {
    if (p.get('origin') !== '*' || p.get('format') !== 'json') return { status: 400, body: 'missing origin/format' };
    if (p.get('action') === 'query' && p.get('list') === 'search') {
      const q = p.get('srsearch');
      if (q === 'trigger 503') return { status: 503, body: 'Our servers are currently under maintenance.' };
      if (q === 'trigger badjson') return { status: 200, body: '<html>not json</html>' };
      return { status: 200, body: fixture(q === 'Scott Derrickson' ? 'search-scott-derrickson.json' : 'search-empty.json') };
    }
    if (p.get('action') === 'parse') {
      return { status: 200, body: fixture(p.get('page') === 'Scott Derrickson' ? 'parse-scott-derrickson.json' : 'error-missingtitle.json') };
    }
  }
  if (req.url.pathname === '/searx/search' && p.get('format') === 'json') {
    return {
      status: 200,
      body: JSON.stringify({ results: [{ title: 'Example', url: 'https://example.org/a', content: 'An <b>example</b> page' }, { title: 'no url' }] }),
    };
  }
  if (req.url.pathname === '/tavily/search' && req.method === 'POST') {
    if (req.headers.authorization !== 'Bearer tvly-test') return { status: 401, body: '{"detail":"Unauthorized"}' };
    const { query, max_results } = JSON.parse(req.body);
    return { status: 200, body: JSON.stringify({ results: [{ title: `About ${query}`, url: 'https://t.example/1', content: `k=${max_results}` }] }) };
  }
  if (req.url.pathname.startsWith('/jina/https://')) {
    return { status: 200, body: JSON.stringify({ code: 200, data: { title: 'Jina page', url: req.url.pathname.slice(6), content: '# Hello\n\nBody text.' } }) };
  }
  return { status: 404, body: 'not found' };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const s: Seen = { method: req.method!, url: new URL(req.url!, 'http://localhost'), headers: req.headers, body };
      seen.push(s);
      const r = route(s);
      res.writeHead(r.status, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' });
      res.end(r.body);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));
beforeEach(() => {
  seen = [];
});

const ctx = () => ({ signal: new AbortController().signal });
async function toolErr(p: Promise<unknown>): Promise<L0Error> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(L0Error);
  return e as L0Error;
}

describe('Wikipedia web_search', () => {
  it('returns title, article url and clean-text snippets, asking the API with origin=*', async () => {
    const tool = webSearchTool(wikipediaClient({ baseUrl: base }).search);
    const results = (await tool.run({ query: 'Scott Derrickson', k: 2 }, ctx())) as { title: string; url: string; snippet: string }[];
    expect(results).toEqual([
      {
        title: 'Scott Derrickson',
        url: `${base}/wiki/Scott_Derrickson`,
        snippet: 'Scott Derrickson (born July 16, 1966) is an American filmmaker. He is best known for "Sinister" & \'Doctor Strange\'',
      },
      {
        title: 'Doctor Strange (2016 film)',
        url: `${base}/wiki/Doctor_Strange_(2016_film)`,
        snippet: 'directed by Scott Derrickson—who wrote it with Jon Spaihts and C. Robert Cargill',
      },
    ]);
    expect(seen[0]!.url.searchParams.get('srlimit')).toBe('2');
    expect(seen[0]!.url.searchParams.get('origin')).toBe('*');
  });

  it('returns [] for no hits, and validates arguments', async () => {
    const tool = webSearchTool(wikipediaClient({ baseUrl: base }).search);
    expect(await tool.run({ query: 'zzzz' }, ctx())).toEqual([]);
    expect((await toolErr(tool.run({ query: '' }, ctx()))).message).toBe("web_search: argument 'query' must be a non-empty string");
  });

  it('maps HTTP 503 to a retryable tool error', async () => {
    const tool = webSearchTool(wikipediaClient({ baseUrl: base }).search);
    const e = await toolErr(tool.run({ query: 'trigger 503' }, ctx()));
    expect(e.kind).toBe('tool');
    expect(e.message).toBe('wikipedia: HTTP 503 Service Unavailable: Our servers are currently under maintenance.');
    expect(e.retryable).toBe(true);
    expect(e.detail).toMatchObject({ source: 'wikipedia', status: 503 });
  });

  it('maps a non-JSON answer to a bad-response tool error', async () => {
    const tool = webSearchTool(wikipediaClient({ baseUrl: base }).search);
    const e = await toolErr(tool.run({ query: 'trigger badjson' }, ctx()));
    expect(e.message).toMatch(/^wikipedia: bad response: expected JSON/);
  });

  it('decodes snippet entities', () => {
    expect(snippetToText('a&nbsp;<span class="searchmatch">b</span> &#8211; &#x41;&lt;')).toBe('a b – A<');
  });
});

describe('Wikipedia get_webpage_in_markdown', () => {
  it('returns clean Markdown: headings, text, infobox rows; no edit links, footnotes, images, scripts', async () => {
    const tool = getWebpageTool([wikipediaClient({ baseUrl: base }).reader]);
    const md = (await tool.run({ url: `${base}/wiki/Scott_Derrickson` }, ctx())) as string;
    expect(md.startsWith('# Scott Derrickson\n\n')).toBe(true);
    expect(md).toContain('## Early life');
    expect(md).toContain('Derrickson grew up in Denver, Colorado.');
    expect(md).toContain('| Born | July 16, 1966 Denver, Colorado, U.S. |');
    expect(md).toContain('-   _The Black Phone_ (2021)');
    for (const noise of ['[1]', 'edit', '<', 'mw.loader', 'upload.wikimedia', 'Films directed by', 'Retrieved', 'age 60']) {
      expect(md).not.toContain(noise);
    }
    expect(md.endsWith('[page 1 of 1]')).toBe(true);
    expect(seen[0]!.url.searchParams.get('page')).toBe('Scott Derrickson');
  });

  it('accepts a bare title and reads long pages page by page from one fetch', async () => {
    const tool = getWebpageTool([wikipediaClient({ baseUrl: base }).reader], { pageTokens: 60 });
    const first = (await tool.run({ url: 'Scott Derrickson' }, ctx())) as string;
    const m = /\[page 1 of (\d+) \(call get_webpage_in_markdown\(url, page=2\) for more\)\]$/.exec(first);
    expect(m).not.toBeNull();
    const n = Number(m![1]);
    expect(n).toBeGreaterThan(2);
    const pages = [first];
    for (let i = 2; i <= n; i++) pages.push((await tool.run({ url: 'Scott Derrickson', page: i }, ctx())) as string);
    expect(pages[n - 1]!.endsWith(`[page ${n} of ${n}]`)).toBe(true);
    const text = pages.map((p) => p.replace(/\n\n\[page [^\]]*\]$/, '')).join('\n\n');
    expect(text).toContain('Deliver Us from Evil');
    expect(pages.every((p) => p.length <= 60 * 4 + 200)).toBe(true);
    expect(seen.length).toBe(1);
    const e = await toolErr(tool.run({ url: 'Scott Derrickson', page: n + 1 }, ctx()));
    expect(e.message).toBe(`get_webpage_in_markdown: page ${n + 1} does not exist: Scott Derrickson has ${n} page(s)`);
  });

  it('maps the API error envelope (missingtitle) to a tool error', async () => {
    const tool = getWebpageTool([wikipediaClient({ baseUrl: base }).reader]);
    const e = await toolErr(tool.run({ url: `${base}/wiki/No_Such_Page` }, ctx()));
    expect(e.kind).toBe('tool');
    expect(e.message).toBe("wikipedia: missingtitle: The page you specified doesn't exist.");
    expect(seen[0]!.url.searchParams.get('page')).toBe('No Such Page');
  });

  it('refuses non-Wikipedia URLs when no other reader is configured', async () => {
    const tool = getWebpageTool([wikipediaClient({ baseUrl: base }).reader]);
    const e = await toolErr(tool.run({ url: 'https://example.org/x' }, ctx()));
    expect(e.message).toBe('get_webpage_in_markdown: no reader can open https://example.org/x (configured readers: Wikipedia)');
    expect(seen.length).toBe(0);
  });
});

describe('offline', () => {
  it('fails fast without a request when navigator.onLine is false, pointing at search_corpus', async () => {
    let calls = 0;
    const counting: typeof fetch = (...a) => {
      calls++;
      return fetch(...a);
    };
    const tools = defaultTools({ web: { wikipedia: { baseUrl: base }, fetch: counting, isOnline: () => false } });
    const byName = Object.fromEntries(tools.map((t) => [t.name, t])) as Record<string, Tool>;
    for (const [name, args] of [
      ['web_search', { query: 'Scott Derrickson' }],
      ['get_webpage_in_markdown', { url: 'Scott Derrickson' }],
    ] as const) {
      const e = await toolErr(byName[name]!.run(args, ctx()));
      expect(e.message).toBe('wikipedia: offline: the web cannot be reached. Use search_corpus(query) to search the local documents instead.');
      expect(e.detail).toMatchObject({ offline: true });
    }
    expect(calls).toBe(0);
  });

  it('reads the real navigator.onLine when no check is given', async () => {
    const g = globalThis as { navigator?: unknown };
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', { value: { onLine: false }, configurable: true });
    try {
      const e = await toolErr(webSearchTool(wikipediaClient({ baseUrl: base }).search).run({ query: 'x' }, ctx()));
      expect(e.message).toMatch(/offline.*search_corpus/);
    } finally {
      if (saved) Object.defineProperty(globalThis, 'navigator', saved);
      else delete g.navigator;
    }
  });

  it('turns a network error (nothing listening) into a tool error pointing at search_corpus', async () => {
    const dead = createServer();
    await new Promise<void>((ok) => dead.listen(0, '127.0.0.1', ok));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((ok) => dead.close(() => ok()));
    const e = await toolErr(webSearchTool(wikipediaClient({ baseUrl: `http://127.0.0.1:${port}` }).search).run({ query: 'x' }, ctx()));
    expect(e.message).toMatch(/^wikipedia: network error \(.+\)\. Use search_corpus\(query\) to search the local documents instead\.$/);
    expect(e.retryable).toBe(true);
  });
});

describe('keyed providers', () => {
  it('SearXNG: JSON format, clean snippets, results without url dropped', async () => {
    const r = await searxngSearch({ instanceUrl: `${base}/searx/` }).search('example', 5, ctx().signal);
    expect(r).toEqual([{ title: 'Example', url: 'https://example.org/a', snippet: 'An example page' }]);
  });

  it('Tavily: POSTs the query with the bearer key; a wrong key is an HTTP 401 tool error', async () => {
    const r = await tavilySearch({ apiKey: 'tvly-test', baseUrl: `${base}/tavily` }).search('cats', 3, ctx().signal);
    expect(r).toEqual([{ title: 'About cats', url: 'https://t.example/1', snippet: 'k=3' }]);
    const e = await toolErr(tavilySearch({ apiKey: 'wrong', baseUrl: `${base}/tavily` }).search('cats', 3, ctx().signal));
    expect(e.message).toBe('tavily: HTTP 401 Unauthorized: {"detail":"Unauthorized"}');
    expect(e.retryable).toBe(false);
  });

  it('Jina Reader reads any http(s) URL as Markdown', async () => {
    const tool = getWebpageTool([jinaReader({ baseUrl: `${base}/jina` })]);
    const md = await tool.run({ url: 'https://example.org/page' }, ctx());
    expect(md).toBe('# Jina page\n\n# Hello\n\nBody text.\n\n[page 1 of 1]');
  });

  it('are off unless configured; a configured one replaces Wikipedia search', () => {
    const plain = defaultTools({ web: { wikipedia: { baseUrl: base } } });
    expect(plain.map((t) => t.name)).toEqual(['web_search', 'get_webpage_in_markdown']);
    expect(plain[0]!.description).toContain('(Wikipedia)');
    const keyed = defaultTools({ web: { tavily: { apiKey: 'k' }, jina: {} } });
    expect(keyed[0]!.description).toContain('(Tavily)');
    expect(defaultTools({})).toEqual([]);
    expect(defaultTools({ web: { wikipedia: false } })).toEqual([]);
  });
});

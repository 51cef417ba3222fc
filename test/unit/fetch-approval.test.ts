// Ask before fetching (src/tools/fetch-approval.ts): how hosts are read out of model-written URLs,
// how the allowlist matches them, and the gate in front of the real web tools, against a local
// reader proxy (works like Jina Reader) and a canary site that counts the requests it gets.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { L0Error, type Tool } from '../../src/protocols';
import { createFetchGate, destinationOf, hostAllowed, invalidHostPatterns, parseHostPattern, type FetchApprovalRequest, type FetchDecision } from '../../src/tools/fetch-approval';
import { jinaReader } from '../../src/tools/jina';
import { defaultTools } from '../../src/tools/registry';
import { searxngSearch } from '../../src/tools/searxng';
import { getWebpageTool, webSearchTool } from '../../src/tools/web';
import { wikipediaClient } from '../../src/tools/wikipedia';
import { startCanarySite, startReaderProxy, type TestServer } from '../support/reader-proxy';

describe('the host a URL goes to', () => {
  // Each row: a trick a model (or a page it read) could use, and the host the request really reaches.
  const cases: [string, string | undefined][] = [
    ['https://allowed.com@evil.com/', 'evil.com'], // userinfo is not the host
    ['http://allowed.com:pw@evil.com:8080/x', 'evil.com:8080'],
    ['http://example.com%2f@evil.com/', 'evil.com'], // an encoded slash inside userinfo
    ['http://evil.com\\@allowed.com/', 'evil.com'], // a backslash ends the host (WHATWG)
    ['http://allowed.com#@evil.com', 'allowed.com'], // the rest is a fragment: the request goes to allowed.com
    ['http://allowed.com?@evil.com', 'allowed.com'],
    ['http://bücher.example/', 'xn--bcher-kva.example'], // IDN as punycode
    ['http://BÜCHER.example./', 'xn--bcher-kva.example'], // case and one trailing dot
    ['http://example.com../', 'example.com.'], // two trailing dots are another name: no match
    ['http://evil%2ecom/', 'evil.com'], // percent-encoded dot
    ['http://evil%2Ecom./', 'evil.com'],
    ['http://evil。com/', 'evil.com'], // ideographic full stop
    ['http://ｅｖｉｌ.com/', 'evil.com'], // full-width letters
    ['http://ex\tample.com/', 'example.com'], // tabs and newlines are dropped by the parser (and by fetch)
    ['HTTP://EXAMPLE.COM/', 'example.com'],
    ['http://0x7f.1/', '127.0.0.1'], // IPv4 in hex, short, decimal, octal
    ['http://2130706433/', '127.0.0.1'],
    ['http://0177.0.0.1/', '127.0.0.1'],
    ['http://127.1:80/', '127.0.0.1'], // the default port is no port
    ['https://127.0.0.1:443/', '127.0.0.1'],
    ['http://a.com:443/', 'a.com:443'], // a port that is not the scheme's default is named
    ['http://[::1]:8080/', '[::1]:8080'],
    ['http://[::ffff:127.0.0.1]/', '[::ffff:7f00:1]'],
    ['http://a%40b.com/', undefined], // a host the parser refuses: no host, fetch refuses it too
    ['http://%zz/', undefined],
    ['javascript:alert(1)', undefined], // not the web
    ['file:///etc/passwd', undefined],
    ['ftp://x.com/', undefined],
    ['data:text/plain,hi', undefined],
    ['not a url', undefined],
  ];
  it.each(cases)('%s goes to %s', (url, host) => {
    expect(destinationOf(url)?.host).toBe(host);
  });

  it('allowlist entries: hosts, ports, *.patterns and URLs; anything else is refused', () => {
    expect(parseHostPattern('*.Example.ORG.')).toEqual({ hostname: 'example.org', wildcard: true, port: undefined });
    expect(parseHostPattern('example.org:8080')).toEqual({ hostname: 'example.org', wildcard: false, port: 8080 });
    expect(parseHostPattern('https://example.org/any/path')).toEqual({ hostname: 'example.org', wildcard: false, port: 443 });
    expect(parseHostPattern('bücher.example')).toMatchObject({ hostname: 'xn--bcher-kva.example' });
    expect(parseHostPattern('[::1]:8080')).toMatchObject({ hostname: '[::1]', port: 8080 });
    expect(invalidHostPatterns(['*', '*.org', '*.1.2.3.4', 'a/b', 'u@h.com', 'http://u@x.com', 'exa mple.com', '*.*.com', 'ftp://x.com', '*.https://x.com', 'ok.com', '  '])).toEqual([
      '*', '*.org', '*.1.2.3.4', 'a/b', 'u@h.com', 'http://u@x.com', 'exa mple.com', '*.*.com', 'ftp://x.com', '*.https://x.com',
    ]);
  });

  it('matching: *.x covers names under x only; a bare host covers the default ports; IDN and IPs compare normalised', () => {
    const list = ['*.example.org', 'docs.python.org', 'localhost:8000', 'bücher.example', '127.0.0.1'];
    const allowed = (url: string) => hostAllowed(url, list);
    expect(allowed('https://a.example.org/')).toBe(true);
    expect(allowed('https://a.b.example.org:443/')).toBe(true);
    expect(allowed('https://example.org/')).toBe(false); // the apex is not under itself
    expect(allowed('https://evilexample.org/')).toBe(false);
    expect(allowed('https://example.org.evil.com/')).toBe(false);
    expect(allowed('https://docs.python.org./3/')).toBe(true);
    expect(allowed('http://docs.python.org:8080/')).toBe(false); // another port is another service
    expect(allowed('https://docs.python.org@evil.com/')).toBe(false);
    expect(allowed('http://localhost:8000/v1')).toBe(true);
    expect(allowed('http://localhost/')).toBe(false);
    expect(allowed('http://xn--bcher-kva.example/')).toBe(true);
    expect(allowed('http://2130706433/')).toBe(true);
    expect(allowed('http://127.0.0.1:9999/')).toBe(false);
    expect(allowed('javascript:1')).toBe(false);
  });
});

describe('the fetch gate in front of the web tools', () => {
  let canary: TestServer;
  let proxy: TestServer;
  let asked: FetchApprovalRequest[];
  let answer: FetchDecision;
  let allowlist: string[];
  let ask: boolean;
  const ctx = () => ({ signal: new AbortController().signal });

  beforeAll(async () => {
    [canary, proxy] = await Promise.all([startCanarySite(), startReaderProxy()]);
  });
  afterAll(async () => Promise.all([canary?.close(), proxy?.close()]));
  beforeEach(() => {
    canary.requests.length = 0;
    proxy.requests.length = 0;
    asked = [];
    answer = 'deny';
    allowlist = [];
    ask = true;
  });

  const gate = createFetchGate({
    ask: () => ask,
    allowedHosts: () => allowlist,
    approve: async (req) => {
      asked.push(req);
      return answer;
    },
  });
  const pageTool = () => gate.wrap(getWebpageTool([jinaReader({ baseUrl: proxy.url })]));
  const secretUrl = () => `${canary.url}/?secret=hunter2`;
  const rejection = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as L0Error);

  it('deny: the call fails with a ToolError naming the host, and nothing is requested from anyone', async () => {
    const err = await rejection(pageTool().run({ url: secretUrl() }, ctx()));
    expect(err).toBeInstanceOf(L0Error);
    expect(err!.message).toBe(`the user did not allow fetching ${canary.host}`);
    expect(err).toMatchObject({ kind: 'tool', detail: { source: 'get_webpage_in_markdown', denied: true, host: canary.host } });
    // One question, about the page's host only: the reader proxy is a service the tool was set up with.
    expect(asked).toEqual([{ tool: 'get_webpage_in_markdown', args: { url: secretUrl() }, url: secretUrl(), host: canary.host }]);
    expect(canary.requests).toEqual([]);
    expect(proxy.requests).toEqual([]);
  });

  it('allow once: exactly one request, and the next call asks again', async () => {
    answer = 'once';
    const tool = pageTool();
    expect(await tool.run({ url: secretUrl() }, ctx())).toContain('Canary page /?secret=hunter2');
    expect(canary.requests).toEqual(['GET /?secret=hunter2']);
    await tool.run({ url: `${canary.url}/second` }, ctx());
    expect(asked.map((a) => a.host)).toEqual([canary.host, canary.host]);
    expect(canary.requests).toHaveLength(2);
  });

  it('allow the host for this run: not asked again until the next run', async () => {
    answer = 'host';
    const tool = pageTool();
    await tool.run({ url: `${canary.url}/a` }, ctx());
    await tool.run({ url: `${canary.url}/b` }, ctx());
    expect(asked).toHaveLength(1);
    gate.newRun();
    answer = 'deny';
    expect((await rejection(tool.run({ url: `${canary.url}/c` }, ctx())))?.message).toMatch(/did not allow/);
    expect(asked).toHaveLength(2);
    expect(canary.requests).toEqual(['GET /a', 'GET /b']);
  });

  it('the allowlist: host:port fetched without asking; the bare host does not cover another port', async () => {
    allowlist = ['127.0.0.1'];
    await rejection(pageTool().run({ url: secretUrl() }, ctx()));
    expect(asked).toHaveLength(1);
    allowlist = [canary.host];
    await pageTool().run({ url: secretUrl() }, ctx());
    expect(asked).toHaveLength(1);
    expect(canary.requests).toEqual(['GET /?secret=hunter2']);
  });

  it('userinfo and encodings do not smuggle a host past the list, and the proxy gets the normalised URL', async () => {
    allowlist = ['allowed.example'];
    const tricky = `http://allowed.example@${canary.host}/x`;
    await rejection(pageTool().run({ url: tricky }, ctx()));
    expect(asked.map((a) => a.host)).toEqual([canary.host]);
    answer = 'once';
    // `\@`: WHATWG reads the host before the backslash; the proxy gets `/@…` as a path, not a second host.
    await pageTool().run({ url: `${canary.url}\\@allowed.example/` }, ctx());
    expect(proxy.requests).toEqual([`GET /${canary.url}/@allowed.example/`]);
    expect(canary.requests).toEqual(['GET /@allowed.example/']);
  });

  it('mode off: no question, the request goes out (the behaviour without the setting)', async () => {
    ask = false;
    await pageTool().run({ url: secretUrl() }, ctx());
    expect(asked).toEqual([]);
    expect(canary.requests).toHaveLength(1);
  });

  it('search through a configured provider is never asked about; its own host is the destination', async () => {
    const search = webSearchTool(searxngSearch({ instanceUrl: canary.url }));
    expect(search.destinations!({ query: 'the secret' })).toEqual([`${canary.url}/search`]);
    expect(search.serviceUrls).toEqual([`${canary.url}/search`]);
    await rejection(gate.wrap(search).run({ query: 'the secret' }, ctx())); // the canary does not answer JSON
    expect(asked).toEqual([]);
    expect(canary.requests).toHaveLength(1);
  });

  it('Wikipedia: the configured edition is not asked about; another *.wikipedia.org host is', async () => {
    const requested: string[] = [];
    const countingFetch = (async (url: string) => {
      requested.push(String(url));
      throw new Error('no network in this test');
    }) as unknown as typeof fetch;
    const wiki = wikipediaClient({ baseUrl: 'https://en.wikipedia.org', fetch: countingFetch });
    const tool = gate.wrap(getWebpageTool([wiki.reader]));
    await rejection(tool.run({ url: 'https://en.wikipedia.org/wiki/Scott_Derrickson' }, ctx()));
    await rejection(tool.run({ url: 'Scott Derrickson' }, ctx()));
    expect(asked).toEqual([]);
    expect(requested).toHaveLength(2);
    const err = await rejection(tool.run({ url: 'https://hunter2.wikipedia.org/wiki/X' }, ctx()));
    expect(err?.message).toBe('the user did not allow fetching hunter2.wikipedia.org');
    expect(requested).toHaveLength(2);
  });

  it('the registry\'s tools declare where they go; a tool without destinations is left as it is', () => {
    const [search, page] = defaultTools({ web: { jina: { baseUrl: 'https://reader.example' } } });
    expect(search!.serviceUrls).toEqual(['https://en.wikipedia.org/w/api.php']);
    expect(page!.serviceUrls).toEqual(['https://en.wikipedia.org', 'https://reader.example']);
    expect(page!.destinations!({ url: 'https://other.example/a?b' })).toEqual(['https://reader.example/https://other.example/a?b', 'https://other.example/a?b']);
    const local: Tool = { name: 'local', signature: 'local()', params: [], description: 'd', example: 'local()', run: async () => 1 };
    expect(gate.wrap(local)).toBe(local);
  });

  it('a destination that names no host is refused without asking', async () => {
    const odd: Tool = { name: 'odd', signature: 'odd()', params: [], description: 'd', example: 'odd()', destinations: () => ['http://a%40b.com/'], run: async () => 'ran' };
    expect((await rejection(gate.wrap(odd).run({}, ctx())))?.message).toBe('cannot tell which host http://a%40b.com/ is on, so it was not fetched');
    expect(asked).toEqual([]);
  });

  it('bad arguments fail as the tool would, before any question', async () => {
    expect((await rejection(pageTool().run({ url: 42 }, ctx())))?.message).toBe("get_webpage_in_markdown: argument 'url' must be a non-empty string");
    expect(asked).toEqual([]);
  });
});

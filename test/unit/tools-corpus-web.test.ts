// A local corpus under L0's tool names (issue 21): web_search / get_webpage_in_markdown over the
// question's own HotpotQA paragraphs, with the web tools' result shapes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { L0Error, type Tool } from '../../src/protocols';
import { createCorpus } from '../../src/tools/corpus';
import { documentsFromContext } from '../../src/tools/corpus-sources';
import { defaultTools } from '../../src/tools/registry';

const item = JSON.parse(readFileSync('data/qa/hotpotqa.jsonl', 'utf8').split('\n')[0]!) as { question: string; context: { title: string; sentences: string[] }[] };
const ctx = () => ({ signal: new AbortController().signal });
const byName = (tools: Tool[], name: string) => tools.find((t) => t.name === name)!;

describe('corpus as web tools', () => {
  const corpus = createCorpus(documentsFromContext(item.context));
  const tools = defaultTools({ web: { corpus, wikipedia: false } });

  it('exposes exactly the two tools L0 was trained with', () => {
    expect(tools.map((t) => t.name)).toEqual(['web_search', 'get_webpage_in_markdown']);
    expect(byName(tools, 'web_search').description).toContain('local document collection, offline');
    // The app's own corpus tools are unchanged.
    expect(defaultTools({ corpus }).map((t) => t.name)).toEqual(['search_corpus', 'read_document']);
  });

  it('web_search returns {title, url, snippet} hits from the question\'s paragraphs', async () => {
    const hits = (await byName(tools, 'web_search').run({ query: item.question }, ctx())) as { title: string; url: string; snippet: string }[];
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.length).toBeLessThanOrEqual(5);
    const titles = item.context.map((c) => c.title);
    for (const h of hits) {
      expect(Object.keys(h).sort()).toEqual(['snippet', 'title', 'url']);
      expect(titles).toContain(h.title);
      expect(h.url).toBe(`corpus://${encodeURIComponent(h.title)}`);
    }
  });

  it('get_webpage_in_markdown reads a hit by its url, or by a bare title, as a one-page Markdown page', async () => {
    const [hit] = (await byName(tools, 'web_search').run({ query: item.question, k: 1 }, ctx())) as { title: string; url: string }[];
    const paragraph = item.context.find((c) => c.title === hit!.title)!.sentences.join('');
    const page = await byName(tools, 'get_webpage_in_markdown').run({ url: hit!.url }, ctx());
    expect(page).toBe(`# ${hit!.title}\n\n${paragraph.trim()}\n\n[page 1 of 1]`);
    expect(await byName(tools, 'get_webpage_in_markdown').run({ url: hit!.title }, ctx())).toBe(page);
  });

  it('an unknown page or another site is a tool error, not a crash', async () => {
    const read = byName(tools, 'get_webpage_in_markdown');
    await expect(read.run({ url: 'corpus://Nothing%20here' }, ctx())).rejects.toThrow(/no page at corpus:\/\/Nothing%20here/);
    const other = await read.run({ url: 'https://example.org/x' }, ctx()).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(L0Error);
    expect((other as L0Error).message).toMatch(/no reader can open https:\/\/example.org\/x/);
  });

  it('a document with its own url is found again by it', async () => {
    const own = createCorpus([{ id: 'd1', title: 'Doc one', text: 'Lyon has many bridges.', url: 'https://docs.example/one' }]);
    const t = defaultTools({ web: { corpus: own, wikipedia: false } });
    const [hit] = (await byName(t, 'web_search').run({ query: 'Lyon bridges' }, ctx())) as { url: string }[];
    expect(hit!.url).toBe('https://docs.example/one');
    expect(await byName(t, 'get_webpage_in_markdown').run({ url: hit!.url }, ctx())).toContain('Lyon has many bridges.');
  });
});

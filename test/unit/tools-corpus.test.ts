// The local corpus: indexing, search quality on the HotpotQA corpus (recall@5), file parsing, tools.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import MiniSearch from 'minisearch';
import { describe, expect, it } from 'vitest';
import { L0Error } from '../../src/protocols';
import { corpusFromSearchFunction, createCorpus, readDocumentTool, searchCorpusTool } from '../../src/tools/corpus';
import {
  documentsFromContext,
  loadCorpusFromUrl,
  parseCorpusFile,
  parseJsonl,
  parseMarkdown,
  parsePlainText,
} from '../../src/tools/corpus-sources';

const DATA = 'data/qa';
const corpusText = readFileSync(`${DATA}/hotpotqa_corpus.jsonl`, 'utf8');
interface HotpotItem {
  id: string;
  question: string;
  supporting_facts: [string, number][];
  context: { title: string; sentences: string[] }[];
}
const questions = readFileSync(`${DATA}/hotpotqa.jsonl`, 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as HotpotItem);
const ctx = () => ({ signal: new AbortController().signal });

/** Mean fraction of gold supporting paragraphs (by title) in the top 5, and the share with all golds. */
function recallAt5(search: (q: string) => string[]) {
  let found = 0;
  let total = 0;
  let complete = 0;
  for (const q of questions) {
    const gold = [...new Set(q.supporting_facts.map((f) => f[0]))];
    const top = search(q.question).slice(0, 5);
    const hit = gold.filter((g) => top.includes(g)).length;
    found += hit;
    total += gold.length;
    if (hit === gold.length) complete++;
  }
  return { recall: found / total, complete: complete / questions.length };
}

describe('HotpotQA corpus search quality', () => {
  const docs = parseJsonl(corpusText, 'hotpotqa_corpus.jsonl');
  const corpus = createCorpus(docs);

  it('indexes all 1,985 paragraphs with unique ids', () => {
    expect(corpus.size).toBe(1985);
    expect(new Set(docs.map((d) => d.id)).size).toBe(1985);
    expect(corpus.get('SemBioSys Genetics')?.text).toMatch(/^SemBioSys Genetics Inc\. was a development stage agricultural biotechnology company\./);
  });

  it('finds most gold supporting paragraphs in the top 5, better than an untuned index', () => {
    const tuned = recallAt5((q) => corpus.search(q, 5).map((h) => h.title));
    const plain = new MiniSearch<{ id: string; title: string; text: string }>({ fields: ['title', 'text'], storeFields: ['title'] });
    plain.addAll(docs);
    const baseline = recallAt5((q) => plain.search(q).map((r) => r.title as string));
    console.log(`recall@5 tuned ${tuned.recall.toFixed(4)} (all golds: ${tuned.complete.toFixed(4)}), untuned ${baseline.recall.toFixed(4)}`);
    // Measured 0.8125 (both golds in top 5 for 64.5% of the 200 questions).
    expect(tuned.recall).toBeGreaterThanOrEqual(0.8);
    expect(tuned.recall).toBeGreaterThan(baseline.recall);
  });
});

describe('search_corpus / read_document tools', () => {
  const corpus = createCorpus([
    { id: 'd1', title: 'Ed Wood (film)', text: 'Ed Wood is a 1994 American biographical film directed by Tim Burton.', url: 'https://x/ed' },
    { id: 'd2', title: 'Scott Derrickson', text: 'Scott Derrickson is an American director, screenwriter and producer.' },
    { id: 'd3', title: 'Tim Burton', text: 'Timothy Walter Burton is an American filmmaker and animator.' },
  ]);
  const search = searchCorpusTool(corpus);
  const read = readDocumentTool(corpus);

  it('returns id, title, snippet (and url) best first, without scores; k bounds the count', async () => {
    const r = (await search.run({ query: 'Who directed Ed Wood?', k: 1 }, ctx())) as Record<string, unknown>[];
    expect(r).toEqual([{ id: 'd1', title: 'Ed Wood (film)', url: 'https://x/ed', snippet: 'Ed Wood is a 1994 American biographical film directed by Tim Burton.' }]);
    const many = (await search.run({ query: 'American director' }, ctx())) as { id: string }[];
    expect(many.map((h) => h.id)).toContain('d2');
  });

  it('matches plurals/prefixes and drops stop words', async () => {
    expect(((await search.run({ query: 'animators' }, ctx())) as { id: string }[])[0]?.id).toBe('d3');
    expect(await search.run({ query: 'who is the of and' }, ctx())).toEqual([]);
  });

  it('read_document returns the whole document; unknown ids and bad args are tool errors', async () => {
    expect(await read.run({ id: 'd2' }, ctx())).toEqual(corpus.get('d2'));
    await expect(read.run({ id: 'nope' }, ctx())).rejects.toThrow(`read_document: no document with id 'nope' (use an "id" returned by search_corpus)`);
    await expect(search.run({ query: 'x', k: 'five' }, ctx())).rejects.toBeInstanceOf(L0Error);
  });

  it('rejects duplicate ids without half-adding', () => {
    const c = createCorpus([{ id: 'a', title: 'A', text: 'alpha' }]);
    expect(() => c.add([{ id: 'b', title: 'B', text: 'beta' }, { id: 'a', title: 'A2', text: 'x' }])).toThrow("corpus: duplicate document id 'a'");
    expect(c.size).toBe(1);
  });

  it('works over a host-provided search function', async () => {
    const source = corpusFromSearchFunction(
      async (q, k) => [{ id: 'h1', title: `Hit for ${q}`, snippet: 's', score: 1 }].slice(0, k),
      (id) => (id === 'h1' ? { id, title: 'Hit', text: 'full' } : undefined),
    );
    expect(await searchCorpusTool(source).run({ query: 'q' }, ctx())).toEqual([{ id: 'h1', title: 'Hit for q', snippet: 's' }]);
    expect(await readDocumentTool(source).run({ id: 'h1' }, ctx())).toEqual({ id: 'h1', title: 'Hit', text: 'full' });
  });
});

describe('corpus file parsing', () => {
  it('jsonl: id/_id, title/name, text/contents/body, url; repeated titles get unique ids', () => {
    const docs = parseJsonl(
      ['{"title":"A","text":"one"}', '', '{"title":"A","text":"two","url":"https://a"}', '{"_id":"x9","name":"N","contents":"c"}', '{"body":"b"}'].join('\n'),
      'f.jsonl',
    );
    expect(docs).toEqual([
      { id: 'A', title: 'A', text: 'one' },
      { id: 'A (2)', title: 'A', text: 'two', url: 'https://a' },
      { id: 'x9', title: 'N', text: 'c' },
      { id: 'f.jsonl:5', title: 'f.jsonl:5', text: 'b' },
    ]);
    expect(() => parseJsonl('{"title":"A"}', 'g.jsonl')).toThrow('corpus: record A has no "text" field');
    expect(() => parseJsonl('{oops', 'g.jsonl')).toThrow('corpus: g.jsonl line 1 is not valid JSON');
  });

  it('markdown: one document per heading (not inside code fences)', () => {
    const md = '# Guide\nIntro text.\n\n## Install\nRun it.\n```\n# not a heading\n```\n### Empty\n\n## Use\nCall it.';
    expect(parseMarkdown(md, 'guide.md')).toEqual([
      { id: 'guide.md#1', title: 'Guide', text: 'Intro text.' },
      { id: 'guide.md#2', title: 'Install', text: 'Run it.\n```\n# not a heading\n```' },
      { id: 'guide.md#3', title: 'Use', text: 'Call it.' },
    ]);
  });

  it('plain text: chunks cut at blank lines, titled by the file name', () => {
    expect(parsePlainText('short note', 'n.txt')).toEqual([{ id: 'n.txt', title: 'n.txt', text: 'short note' }]);
    const long = Array.from({ length: 30 }, (_, i) => `Paragraph ${i} `.repeat(10).trim()).join('\n\n');
    const chunks = parsePlainText(long, 'long.txt');
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((c) => c.text.length <= 2200)).toBe(true);
    expect(chunks.map((c) => c.text).join('\n\n')).toBe(long);
    expect(chunks[1]!.id).toBe('long.txt#2');
  });

  it('dispatches on the extension', () => {
    expect(parseCorpusFile('a.json', '{"documents":[{"id":"1","title":"T","text":"x"}]}')).toEqual([{ id: '1', title: 'T', text: 'x' }]);
    expect(parseCorpusFile('a.MD', '# H\nbody')[0]!.title).toBe('H');
    expect(parseCorpusFile('a.txt', 'body')[0]!.id).toBe('a.txt');
    expect(() => parseCorpusFile('a.json', '{"x":1}')).toThrow('must be a JSON array');
  });

  it('HotpotQA context paragraphs: sentences joined without separator', () => {
    const q = questions[0]!;
    const docs = documentsFromContext(q.context);
    expect(docs.length).toBe(q.context.length);
    expect(docs[0]!.text).toBe(q.context[0]!.sentences.join(''));
    expect(corpusText).toContain(JSON.stringify(docs[0]!.text));
  });

  it('loads a JSON or JSONL corpus from a URL; HTTP errors are tool errors', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/c.json') res.end(JSON.stringify([{ title: 'T', text: 'x' }]));
      else if (req.url === '/c.jsonl') res.end('{"title":"T","text":"x"}\n{"title":"U","text":"y"}\n');
      else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await loadCorpusFromUrl(`${base}/c.json`)).toEqual([{ id: 'T', title: 'T', text: 'x' }]);
      expect((await loadCorpusFromUrl(`${base}/c.jsonl`)).map((d) => d.id)).toEqual(['T', 'U']);
      await expect(loadCorpusFromUrl(`${base}/missing.json`)).rejects.toThrow(`corpus: HTTP 404 fetching ${base}/missing.json`);
    } finally {
      await new Promise<void>((ok) => server.close(() => ok()));
    }
  });
});

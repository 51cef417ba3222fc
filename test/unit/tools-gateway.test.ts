// search_corpus / read_document called from Python through the sandbox's tool gateway (real Pyodide).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/protocols';
import { createPyodideSandbox } from '../../src/sandbox/index';
import { parseJsonl } from '../../src/tools/corpus-sources';
import { createCorpus } from '../../src/tools/corpus';
import { defaultTools } from '../../src/tools/registry';

let sandbox: Sandbox;
beforeAll(async () => {
  const corpus = createCorpus(parseJsonl(readFileSync('data/qa/hotpotqa_corpus.jsonl', 'utf8')));
  sandbox = await createPyodideSandbox({ tools: defaultTools({ corpus, web: { isOnline: () => false } }) });
});
afterAll(async () => sandbox?.dispose());

describe('corpus tools from Python', () => {
  it('search_corpus returns a list of dicts; read_document the full text; calls are recorded', async () => {
    const r = await sandbox.runCell(
      [
        'hits = search_corpus("Dow AgroSciences chemical corporation headquarters", k=3)',
        'print(type(hits).__name__, len(hits), sorted(hits[0].keys()))',
        'doc = read_document(hits[0]["id"])',
        'print(doc["title"] == hits[0]["title"], len(doc["text"]) > 50)',
      ].join('\n'),
    );
    expect(r.status).toBe('ok');
    expect(r.stdout).toBe("list 3 ['id', 'snippet', 'title']\nTrue True\n");
    expect(r.toolCalls?.map((c) => [c.name, c.ok])).toEqual([
      ['search_corpus', true],
      ['read_document', true],
    ]);
    expect(r.toolCalls?.[0]?.args).toMatchObject({ query: 'Dow AgroSciences chemical corporation headquarters', k: 3 });
  });

  it('tool errors are raised as ToolError with the tool message; offline web tools point at search_corpus', async () => {
    const r = await sandbox.runCell(
      [
        'try:',
        '    read_document("no such id")',
        'except Exception as e:',
        '    print(type(e).__name__, str(e))',
        'try:',
        '    web_search("x")',
        'except Exception as e:',
        '    print(type(e).__name__, str(e))',
      ].join('\n'),
    );
    expect(r.status).toBe('ok');
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toContain(`ToolError`);
    expect(lines[0]).toContain(`read_document: no document with id 'no such id'`);
    expect(lines[1]).toContain('wikipedia: offline: the web cannot be reached. Use search_corpus(query)');
  });
});

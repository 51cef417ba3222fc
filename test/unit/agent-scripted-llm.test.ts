import { describe, expect, it } from 'vitest';
import { L0Error } from '../../src/protocols';
import { ScriptedLLM } from '../../src/llm/scripted';

const user = (content: string) => [{ role: 'user' as const, content }];

describe('ScriptedLLM', () => {
  it('streams the scripted texts in turn, token by token', async () => {
    const llm = new ScriptedLLM(['hello world', 'second'], { chunkSize: 3 });
    const deltas: string[] = [];
    const r = await llm.generate(user('hi'), { onToken: (d) => deltas.push(d) });
    expect(deltas).toEqual(['hel', 'lo ', 'wor', 'ld']);
    expect(r).toMatchObject({ text: 'hello world', finishReason: 'stop', usage: { completionTokens: 4 } });
    expect((await llm.generate(user('again'))).text).toBe('second');
    expect(llm.calls).toEqual([user('hi'), user('again')]);
  });

  it('stops before the earliest stop string, optionally keeping it', async () => {
    const text = '<code>x</code><end_code> tail <output>';
    const r = await new ScriptedLLM([text]).generate(user('q'), { stop: ['<output>', '<end_code>'] });
    expect(r).toMatchObject({ text: '<code>x</code>', finishReason: 'stop' });
    const kept = await new ScriptedLLM([text], { keepStop: true }).generate(user('q'), { stop: ['<end_code>'] });
    expect(kept.text).toBe('<code>x</code><end_code>');
  });

  it('ends with length after maxTokens', async () => {
    const r = await new ScriptedLLM(['abcdefghij'], { chunkSize: 2 }).generate(user('q'), { maxTokens: 3 });
    expect(r).toMatchObject({ text: 'abcdef', finishReason: 'length', usage: { completionTokens: 3 } });
  });

  it('resolves quickly with the partial text on abort, also mid-delay', async () => {
    const llm = new ScriptedLLM(['x'.repeat(400)], { chunkSize: 4, tokenDelayMs: 1000 });
    const ctl = new AbortController();
    let tokens = 0;
    const p = llm.generate(user('q'), { signal: ctl.signal, onToken: () => tokens++ });
    setTimeout(() => ctl.abort(), 50);
    const t0 = Date.now();
    const r = await p;
    expect(Date.now() - t0).toBeLessThan(500);
    expect(r.finishReason).toBe('abort');
    expect(r.text.length).toBe(tokens * 4);
  });

  it('computes answers from the conversation with a function', async () => {
    const llm = new ScriptedLLM((messages, i) => `${i}:${messages.at(-1)?.content}`);
    expect((await llm.generate(user('a'))).text).toBe('0:a');
    expect((await llm.generate(user('b'))).text).toBe('1:b');
  });

  it('rejects with an internal L0Error when the script runs out', async () => {
    const llm = new ScriptedLLM(['only']);
    await llm.generate(user('a'));
    const err = await llm.generate(user('b')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(L0Error);
    expect((err as L0Error).kind).toBe('internal');
  });

  it('counts tokens as characters / chunkSize and simulates prefix reuse', async () => {
    const llm = new ScriptedLLM(['abcd', 'efgh'], { chunkSize: 4 });
    expect(llm.countTokens('12345')).toBe(2);
    const first = await llm.generate(user('question '.repeat(20)));
    expect(first.usage.prefillTokens).toBe(first.usage.promptTokens);
    const second = await llm.generate([...user('question '.repeat(20)), { role: 'assistant', content: 'abcd' }, ...user('more')]);
    expect(second.usage.prefillTokens).toBeLessThan(second.usage.promptTokens / 2);
  });
});

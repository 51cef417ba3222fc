// Files in and out through the app controller (issue 18), over the REAL Pyodide sandbox: a CSV
// attached to the question is read by the model's code by name and listed in its message; a file
// the code writes shows in the Files state, is saved with the session and can be read back; a
// "reload" (a new controller on the same store, a fresh Python) restores the files before the
// next run; another session starts with an empty /workspace; refusals and a damaged saved copy
// are said clearly; deleting the session deletes its files.
import { afterAll, describe, expect, it } from 'vitest';
import { runAgent } from '../../src/agent/index';
import { createAppController, type AppController } from '../../src/app/index';
import { ScriptedLLM } from '../../src/llm/scripted';
import type { ChatMessage, Sandbox } from '../../src/protocols';
import { createPyodideSandbox } from '../../src/sandbox/index';
import { MemoryStore, storeKeys } from '../../src/store/index';

const turn = (code: string) => `<think>Go.</think>\n<code>\n${code}\n</code><end_code>`;
const outputOf = (messages: ChatMessage[]) => /<output>\n([\s\S]*?)\n<\/output>/.exec(messages.at(-1)?.content ?? '')?.[1] ?? '';
const CSV = 'city,population\nAda,120\nBabbage,80\n';

const apps: AppController[] = [];
afterAll(async () => {
  for (const a of apps) await a.dispose();
});

/** A controller on `store` with a real Python sandbox and a model that reacts to what it sees. */
function appWith(store: MemoryStore, respond: (messages: ChatMessage[], i: number) => string, sandboxes: Sandbox[] = []): AppController {
  const app = createAppController({
    services: {
      store: () => store,
      tools: () => [],
      createSandbox: async (tools, onProgress) => {
        const s = await createPyodideSandbox({ tools, onProgress });
        sandboxes.push(s);
        return s;
      },
      createEngine: async () => new ScriptedLLM(respond),
      runAgent,
    },
    engine: { kind: 'openai', baseUrl: 'http://model.test/v1', model: 'm' },
    settings: { maxSteps: 3 },
  });
  apps.push(app);
  return app;
}

const file = (text: string | Uint8Array, name: string, type = 'text/csv') => new File([text as BlobPart], name, { type });

describe('files through the app controller (real Python)', () => {
  const store = new MemoryStore();
  let sessionId = '';
  const seen: ChatMessage[][] = [];

  it('an attached CSV is listed for the model, read by name, and what the code writes is listed, saved and readable', async () => {
    const app = appWith(store, (messages, i) => {
      seen.push(messages);
      if (i === 0) return turn("import csv\nrows = list(csv.DictReader(open('data.csv')))\ntotal = sum(int(r['population']) for r in rows)\nprint(total)");
      if (i === 1) return turn(`_ = open('result.csv', 'w').write('total\\n${outputOf(messages)}\\n')\nprint('saved result.csv')`);
      return turn(`submit_final_answer('The total population is ${outputOf(seen[1]!)}.')`); // the value the code computed
    });
    expect(app.attach([file(CSV, 'data.csv')])).toBeUndefined();
    expect(app.state.attachments.map((a) => [a.name, a.size, a.type])).toEqual([['data.csv', CSV.length, 'text/csv']]);
    const outcome = await app.run('What is the total population in the attached file?');
    expect(outcome.trajectory?.status).toBe('answered');
    expect(outcome.trajectory?.finalAnswer).toBe('The total population is 200.');
    sessionId = outcome.trajectory!.sessionId;

    // The question's message listed the file; the question keeps it (chips); the pending list is empty.
    expect(seen[0]![1]!.content).toContain('- data.csv (35 B, text/csv); first line: "city,population"');
    expect(outcome.trajectory?.turns?.[0]?.attachments).toEqual([{ name: 'data.csv', size: 35, type: 'text/csv', firstLine: 'city,population' }]);
    expect(app.state.attachments).toEqual([]);

    // The Files state lists both, saved with the session, and both read back with their bytes.
    expect(app.state.files.map((f) => [f.name, f.origin, f.saved, f.available])).toEqual([
      ['data.csv', 'attached', true, true],
      ['result.csv', 'agent', true, true],
    ]);
    expect(await (await app.readFile('result.csv')).text()).toBe('total\n200\n');
    expect((await store.listSessionFiles(sessionId)).map((f) => f.name)).toEqual(['data.csv', 'result.csv']);
    expect(await (await store.loadSessionFile(sessionId, 'data.csv')).text()).toBe(CSV);
  });

  it('a follow-up question takes its own attachments: written before it, listed in its message, shown on it', async () => {
    const app = appWith(store, (messages) => {
      seen.push(messages);
      const last = messages.at(-1)!.content;
      if (last.includes('Follow-up question:')) return turn("extra = [l for l in open('extra.csv').read().split() if l.isdigit()]\nprint(total + sum(map(int, extra)))");
      return turn(`submit_final_answer('With the extra rows: ${outputOf(messages)}.')`);
    });
    await app.openSession(sessionId);
    // Python does not hold the session (a new controller): it gets the saved files back, and the new one.
    app.attach([file('n\n5\n', 'extra.csv')]);
    const outcome = await app.ask('Add the rows of extra.csv.', true);
    expect(outcome.trajectory?.finalAnswer).toBe('With the extra rows: 205.');
    const asked = seen.at(-2)!.at(-1)!.content;
    expect(asked).toMatch(/Follow-up question: Add the rows of extra\.csv\.\n\nAttached files \(in the working directory; open them by name\):\n- extra\.csv \(4 B, text\/csv\); first line: "n"/);
    expect(outcome.trajectory?.turns?.map((t) => t.attachments?.map((a) => a.name))).toEqual([['data.csv'], ['extra.csv']]);
    expect(app.state.files.map((f) => f.name)).toEqual(['data.csv', 'extra.csv', 'result.csv']);
    expect((await store.listSessionFiles(sessionId)).map((f) => [f.name, f.origin])).toEqual([['data.csv', 'attached'], ['extra.csv', 'attached'], ['result.csv', 'agent']]);
  });

  it('after a "reload" (new controller, fresh Python) the files are shown, downloadable, and back in Python for the next run', async () => {
    const app = appWith(store, (messages) => {
      if (!outputOf(messages).includes('total')) return turn("print(open('result.csv').read(), open('data.csv').read().count('\\n'))");
      return turn(`submit_final_answer('still there')`);
    });
    await app.openSession(sessionId);
    await expect.poll(() => app.state.files.map((f) => [f.name, f.saved, f.available])).toEqual([
      ['data.csv', true, true],
      ['extra.csv', true, true],
      ['result.csv', true, true],
    ]);
    expect(await (await app.readFile('data.csv')).text()).toBe(CSV); // from the saved copy: no Python holds it
    // Continue the (answered, so re-opened as max-steps) session: a fresh sandbox gets the files back.
    const outcome = await app.ask('Are the files still there?');
    expect(outcome.trajectory?.steps.at(-2)?.cell?.stdout).toBe('total\n200\n 3\n');
  });

  it('another session starts with an empty /workspace; deleting a session deletes its saved files', async () => {
    const app = appWith(store, (messages, i) => (i === 0 ? turn("import os\nprint(sorted(os.listdir('.')))") : turn(`submit_final_answer(${JSON.stringify(outputOf(messages))})`)));
    const outcome = await app.run('What files are there?');
    expect(outcome.trajectory?.finalAnswer).toBe('[]');
    expect(app.state.files).toEqual([]);
    expect(await app.deleteSession(sessionId)).toBeUndefined();
    expect(await store.listSessionFiles(sessionId)).toEqual([]);
  });
});

describe('refusals and damage', () => {
  it('refuses a file without a usable name or over 50 MB, attaching the others; the same name replaces', async () => {
    const app = appWith(new MemoryStore(), () => turn('pass'));
    const big = new File([new Uint8Array(50 * 2 ** 20 + 1)], 'big.bin');
    const error = app.attach([file('a', 'ok.txt', 'text/plain'), file('x', '..'), big, file('b', '../../etc/passwd', 'text/plain')]);
    expect(error?.kind).toBe('file');
    expect(error?.message).toBe('Not attached: ".." has no usable file name. big.bin is 50.0 MB; files up to 50.0 MB can be attached.');
    expect(app.state.error).toEqual(error);
    expect(app.state.attachments.map((a) => a.name)).toEqual(['ok.txt', 'passwd']);
    app.attach([file('newer', 'ok.txt', 'text/plain')]);
    expect(app.state.attachments.map((a) => [a.name, a.size])).toEqual([['ok.txt', 5], ['passwd', 1]]);
    app.removeAttachment('passwd');
    expect(app.state.attachments.map((a) => a.name)).toEqual(['ok.txt']);
  });

  it('a damaged saved copy is named in a clear message; the other files are restored', async () => {
    const store = new MemoryStore();
    const first = appWith(store, (_m, i) => (i === 0 ? turn("_ = open('a.txt', 'w').write('A')\n_ = open('b.txt', 'w').write('B')") : turn("submit_final_answer('ok')")));
    const done = await first.run('Write two files.');
    const id = done.trajectory!.sessionId;
    expect((await store.listSessionFiles(id)).map((f) => f.name)).toEqual(['a.txt', 'b.txt']);
    // Break b.txt's record the way a lost Blob would (through the store's own backend).
    const kv = (store as unknown as { kv: { transact(k: unknown[], p: () => unknown): Promise<unknown> } }).kv;
    const rec = { info: { name: 'b.txt', size: 1, mtime: 1, origin: 'agent', savedAt: 1 }, data: 'gone' };
    await kv.transact([], () => ({ put: [[storeKeys.fileKey(id, 'b.txt'), rec]] }));
    await expect(first.readFile('zzz.txt')).rejects.toMatchObject({ kind: 'file' });

    const second = appWith(store, (messages, i) => (i === 0 ? turn("import os\nprint(sorted(os.listdir('.')))") : turn(`submit_final_answer(${JSON.stringify(outputOf(messages))})`)));
    const t = (await store.loadSession(id))!;
    const outcome = await second.run(t.task, { resumeFrom: { ...t, status: 'max-steps' } });
    expect(outcome.trajectory?.finalAnswer).toBe("['a.txt']");
    expect(second.state.error?.kind).toBe('file');
    expect(second.state.error?.message).toMatch(/^Some files of this session could not be restored into Python: /);
  });
});

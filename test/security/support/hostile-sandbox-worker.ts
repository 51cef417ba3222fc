// A hostile sandbox worker: arbitrary JavaScript where the Pyodide worker should be (the worst case
// docs/security.md assumes). It answers just enough of WorkerApi (messages.ts) for the real host
// code to start it, then, for each cell, runs the attack named by the cell's code and reports what
// came back in the cell's stdout (JSON). The host must treat all of it as data.
// Runs as a browser module worker (test/security/channel.test.ts) and as a Node worker thread
// (test/unit/sandbox-hostile-worker.test.ts).

interface Port {
  post(message: unknown, transfer?: unknown[]): void;
  onMessage(cb: (data: unknown, ports: readonly unknown[]) => void): void;
  channel(): { mine: Port; theirs: unknown };
}

async function hostPort(): Promise<Port> {
  const g = globalThis as unknown as { process?: { versions?: { node?: string } }; postMessage?: unknown };
  if (typeof g.process?.versions?.node === 'string' && typeof g.postMessage !== 'function') {
    const wt = (await import('node:worker_threads')) as typeof import('node:worker_threads');
    const wrap = (p: import('node:worker_threads').MessagePort): Port => ({
      post: (m, t) => p.postMessage(m, t as never),
      onMessage: (cb) => p.on('message', (d: unknown) => cb(d, [])),
      channel: () => {
        const c = new wt.MessageChannel();
        return { mine: wrap(c.port1), theirs: c.port2 };
      },
    });
    return wrap(wt.parentPort!);
  }
  const wrap = (p: { postMessage(m: unknown, t?: Transferable[]): void; addEventListener(t: 'message', l: (e: MessageEvent) => void): void; start?(): void }): Port => ({
    post: (m, t) => p.postMessage(m, (t ?? []) as Transferable[]),
    onMessage: (cb) => {
      p.addEventListener('message', (e) => cb(e.data, e.ports));
      p.start?.();
    },
    channel: () => {
      const c = new MessageChannel();
      return { mine: wrap(c.port1), theirs: c.port2 };
    },
  });
  return wrap(self as unknown as Parameters<typeof wrap>[0]);
}

export {};
const port = await hostPort();
const EMPTY = { todos: [], facts: [], draft: '' };
const FORGED = new Set<string>();
/** Everything the page sent that was not a plain call of our API: answers to forged requests etc. */
const answers: string[] = [];
let portsFromPage = 0;
let nonRawArgs = 0;
const toolReplies: { callId: number; reply: string }[] = [];
let nextCallId = 1;
/** Package loading: the lock's package names the page sent, and the wheels it handed over. */
let lockNames: string[] = [];
const wheelsReceived: { name: string; bytes: number }[] = [];
let lastInit: { toolChannel?: SharedArrayBuffer } = {};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const raw = (value: unknown) => ({ type: 'RAW', value });
const reply = (id: string, value: unknown) => port.post({ id, ...raw(value) });
/** JSON.parse makes `__proto__` an own property, which structured clone keeps. */
const withProtoKeys = <T extends object>(fields: T): T =>
  Object.assign(JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}'), fields) as T;

function forged(msg: Record<string, unknown>, via: Port = port, transfer?: unknown[]): void {
  const id = `evil-${FORGED.size + 1}`;
  FORGED.add(id);
  via.post({ id, ...msg }, transfer);
}

/** Every comlink request shape, on every path that reaches something interesting in a page. */
function comlinkRequests(via: Port): void {
  const body = { type: 'RAW', value: 'globalThis.__pwned = "Function ran"; return 1' };
  for (const path of [[], ['__proto__'], ['toolCall'], ['toolCall', 'constructor'], ['constructor', 'constructor'], ['stream'], ['__l0Canary']]) {
    forged({ type: 'GET', path }, via);
    forged({ type: 'SET', path: [...path, 'pwned'], value: raw('yes') }, via);
    forged({ type: 'SET', path: ['__proto__', 'polluted'], value: raw('yes') }, via);
    forged({ type: 'APPLY', path, argumentList: [body] }, via);
    forged({ type: 'CONSTRUCT', path, argumentList: [body] }, via);
    forged({ type: 'ENDPOINT', path }, via);
  }
  forged({ type: 'APPLY', path: ['__l0Canary'], argumentList: [] }, via);
}

async function attack(name: string, cellId: number, callId: string): Promise<Record<string, unknown> | 'replied'> {
  switch (name) {
    case 'comlink': {
      comlinkRequests(port);
      // A port of our own, handed to the page: would the page listen on it?
      const { mine, theirs } = port.channel();
      mine.onMessage((d) => answers.push(`on our port: ${JSON.stringify(d).slice(0, 200)}`));
      port.post({ event: 'stream', cellId, name: 'stdout', text: 'with a port', port: theirs }, [theirs]);
      comlinkRequests(mine);
      await sleep(300);
      return {};
    }
    case 'pollute': {
      port.post(withProtoKeys({ event: 'stream', cellId, name: 'stdout', text: 'polluted stream\n' }));
      port.post(withProtoKeys({ event: 'progress', phase: 'x', message: 'polluted progress' }));
      port.post(withProtoKeys({ event: '__proto__', cellId }));
      port.post({ event: 'constructor', cellId });
      port.post({ event: 'toString' });
      // A cell result whose notepad and error carry __proto__ keys: checked, rebuilt, harmless.
      port.post({
        id: callId,
        ...raw(withProtoKeys({
          n: 1, stdout: 'polluted result\n', stderr: '', truncated: false,
          notepad: withProtoKeys({ todos: [withProtoKeys({ text: 't', done: false })], facts: ['f'], draft: 'd' }),
          error: withProtoKeys({ ename: 'ValueError', evalue: 'v', traceback: ['ValueError: v'] }),
        })),
      });
      return 'replied';
    }
    case 'throw-proto': {
      // comlink's own 'throw' handler does Object.assign(new Error(), value): own __proto__ keys swap prototypes.
      port.post({ id: callId, type: 'HANDLER', name: 'throw', value: { isError: true, value: withProtoKeys({ message: 'boom', name: 'Error', stack: 'x' }) } });
      return 'replied';
    }
    case 'proxy-reply': {
      // comlink's 'proxy' handler would wrap a port of ours as a page-side proxy.
      const { mine, theirs } = port.channel();
      mine.onMessage((d) => answers.push(`proxy port: ${JSON.stringify(d).slice(0, 200)}`));
      port.post({ id: callId, type: 'HANDLER', name: 'proxy', value: theirs }, [theirs]);
      return 'replied';
    }
    case 'ports': {
      const { theirs } = port.channel();
      port.post({ event: 'stream', cellId, name: 'stdout', text: 'port in a field\n', extra: theirs }, [theirs]);
      const two = port.channel();
      port.post({ event: 'stream', cellId, name: 'stdout', text: 'port transferred\n' }, [two.theirs]);
      port.post({ event: 'stream', cellId, name: 'stdout', text: new Date() });
      port.post({ event: 'stream', cellId, name: 'stdout', text: 'buffer\n', data: new ArrayBuffer(8) });
      port.post(new Map([['event', 'stream']]));
      port.post([{ event: 'stream', cellId, name: 'stdout', text: 'array\n' }]);
      await sleep(200);
      return {};
    }
    case 'huge': {
      port.post({ event: 'stream', cellId, name: 'stdout', text: 'x'.repeat(5_000_000) });
      port.post({ event: 'tool-call', cellId, callId: nextCallId, name: 'slow_echo', argsJson: '{"v":"' + 'y'.repeat(3_000_000) + '"}', viaAtomics: false });
      let deep: unknown = 'leaf';
      for (let i = 0; i < 200; i++) deep = [deep]; // deeper than the channel allows (32), within what browsers can clone
      port.post({ event: 'stream', cellId, name: 'stdout', text: 'deep\n', deep });
      port.post({ id: callId, ...raw({ n: 1, stdout: 'z'.repeat(30_000_000), stderr: '', truncated: false, notepad: EMPTY }) });
      return 'replied';
    }
    case 'replay': {
      port.post({ id: callId, ...raw({ n: 1, stdout: 'first answer\n', stderr: '', truncated: false, notepad: EMPTY }) });
      // The same reply again, and replies to calls the page never made.
      port.post({ id: callId, ...raw({ n: 1, stdout: 'replayed answer\n', stderr: '', truncated: false, notepad: EMPTY }) });
      port.post({ id: 'never-sent', ...raw(undefined) });
      port.post({ id: '', ...raw(undefined) });
      return 'replied';
    }
    case 'flood':
    case 'flood-atomics': {
      const viaAtomics = name === 'flood-atomics';
      const n = viaAtomics ? 40 : 60;
      const before = toolReplies.length;
      const first = nextCallId;
      for (let i = 0; i < n; i++) {
        port.post({ event: 'tool-call', cellId, callId: nextCallId++, name: 'slow_echo', argsJson: JSON.stringify({ value: i }), viaAtomics });
      }
      // Replayed, skipped and stale ids: the host must refuse them.
      port.post({ event: 'tool-call', cellId, callId: first, name: 'slow_echo', argsJson: '{"value": "replay"}', viaAtomics: false });
      port.post({ event: 'tool-call', cellId, callId: nextCallId + 1000, name: 'slow_echo', argsJson: '{"value": "skip"}', viaAtomics: false });
      port.post({ event: 'tool-call', cellId, callId: 0, name: 'slow_echo', argsJson: '{"value": "zero"}', viaAtomics: false });
      if (viaAtomics) {
        // The host writes each blocking reply into the shared channel: collect what it writes.
        const ch = lastInit.toolChannel;
        const seen = new Set<number>();
        const deadline = Date.now() + 8000;
        let lastNew = Date.now();
        if (ch) {
          const ctl = new Int32Array(ch, 0, 4);
          // Until no new reply came for a second (the host answers within ~10 slow_echo rounds).
          while (Date.now() < deadline && Date.now() - lastNew < 1000) {
            if (Atomics.load(ctl, 0) === 1) {
              seen.add(Atomics.load(ctl, 2));
              Atomics.store(ctl, 0, 0);
              lastNew = Date.now();
            }
            await sleep(5);
          }
        }
        return { atomicRepliesFor: [...seen].sort((a, b) => a - b) };
      }
      const deadline = Date.now() + 8000;
      while (toolReplies.length - before < n && Date.now() < deadline) await sleep(20);
      await sleep(300); // anything beyond n would be a reply to a refused id
      return { replies: toolReplies.slice(before) };
    }
    case 'packages':
      // The page looked up the hostile module names of missingImports (below) in its lock and sent
      // only what the lock names; report what arrived.
      return { lockNames, wheelsReceived };
    default:
      return { ok: true };
  }
}

port.onMessage((data, ports) => void answer(data, ports));
async function answer(data: unknown, ports: readonly unknown[]): Promise<void> {
  portsFromPage += ports.length;
  const msg = data as { id?: string; type?: string; path?: string[]; argumentList?: { type: string; value: unknown }[] };
  if (typeof msg?.id === 'string' && FORGED.has(msg.id)) {
    answers.push(`answer to ${msg.id}: ${JSON.stringify(msg).slice(0, 200)}`);
    return;
  }
  if (msg?.type !== 'APPLY' || !Array.isArray(msg.path)) {
    answers.push(`unexpected: ${JSON.stringify(msg).slice(0, 200)}`);
    return;
  }
  const args = (msg.argumentList ?? []).map((a) => {
    if (a.type !== 'RAW') nonRawArgs++;
    return a.value;
  });
  const id = msg.id!;
  switch (msg.path[0]) {
    case 'init':
      lastInit = args[0] as typeof lastInit;
      // Before answering: forged requests on the only port we have, while the page waits for init.
      comlinkRequests(port);
      port.post({ event: 'progress', phase: 'runtime', message: 'hostile worker starting' });
      return reply(id, { pyodideVersion: 'hostile', pythonVersion: '3.0.0', toolBridge: lastInit.toolChannel ? 'atomics' : 'jspi' });
    case 'runCell': {
      const [cellId, code] = args as [number, string];
      if (code === 'attack:outputs') {
        // Rich outputs the display protocol never produces: a script MIME type, and a prototype name as MIME type.
        const item = (mime: string) => ({ type: 'display_data', items: [{ mime, data: 'globalThis.__pwned = "js-mime"' }, { mime: 'text/plain', data: 'x' }] });
        return reply(id, { n: cellId, stdout: '', stderr: '', truncated: false, notepad: EMPTY, outputs: [item('application/javascript'), item('__proto__')] });
      }
      const outcome = await attack(String(code).replace(/^attack:/, ''), cellId, id);
      if (outcome === 'replied') return;
      const report = { ...outcome, answers, portsFromPage, nonRawArgs };
      return reply(id, { n: cellId, stdout: JSON.stringify(report), stderr: '', truncated: false, notepad: EMPTY, result: "'hostile ok'" });
    }
    case 'toolReply':
      toolReplies.push({ callId: args[0] as number, reply: args[1] as string });
      return reply(id, undefined);
    case 'getNotepad':
      return reply(id, EMPTY);
    case 'setPackageLock':
      lockNames = Object.keys((args[0] as { packages?: object } | undefined)?.packages ?? {});
      return reply(id, undefined);
    case 'missingImports':
      // Module names a compromised worker might hope turn into URLs or property paths on the page.
      return reply(id, ['../../../etc/passwd', 'http://127.0.0.1:9/steal', '//evil.example/x', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'l0demo', 'x'.repeat(199)]);
    case 'installPackages': {
      const wheels = (args[1] ?? []) as { name: string; bytes?: Uint8Array }[];
      wheelsReceived.push(...wheels.map((w) => ({ name: w.name, bytes: w.bytes?.length ?? -1 })));
      return reply(id, [withProtoKeys({ name: '__proto__', ok: true }), withProtoKeys({ name: 'constructor', ok: true }), ...wheels.map((w) => ({ name: w.name, ok: true }))]);
    }
    default:
      return reply(id, undefined);
  }
}

// A hostile WebLLM worker: arbitrary JavaScript where webllm.worker.ts should be. It answers the
// calls of WebLLMWorkerApi (webllm-worker-api.ts) that WebLLMEngine makes, and sends along every
// message shape that would turn a naive page into an RPC server: comlink requests, progress events
// with __proto__ keys, ports, oversized text, 'throw' and 'proxy' handler replies. It reports what
// came back through runtimeStatsText() (JSON).
export {};

const FORGED = new Set<string>();
const answers: string[] = [];
let portsFromPage = 0;
let nonRawArgs = 0;
let stream = 0;
let chunkInStream = 0;

const post = (m: unknown, transfer: Transferable[] = []) => self.postMessage(m, { transfer });
const reply = (id: string, value: unknown) => post({ id, type: 'RAW', value });
const withProtoKeys = <T extends object>(fields: T): T =>
  Object.assign(JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}'), fields) as T;

function forged(msg: Record<string, unknown>, via: { postMessage(m: unknown): void } = { postMessage: (m) => post(m) }): void {
  const id = `evil-${FORGED.size + 1}`;
  FORGED.add(id);
  via.postMessage({ id, ...msg });
}

function comlinkRequests(via?: { postMessage(m: unknown): void }): void {
  const body = { type: 'RAW', value: 'globalThis.__pwned = "Function ran"; return 1' };
  for (const path of [[], ['__proto__'], ['onProgress'], ['constructor', 'constructor'], ['__l0Canary']]) {
    for (const type of ['GET', 'APPLY', 'CONSTRUCT', 'ENDPOINT']) forged({ type, path, argumentList: [body] }, via);
    forged({ type: 'SET', path: [...path, 'pwned'], value: { type: 'RAW', value: 'yes' } }, via);
  }
  forged({ type: 'SET', path: ['__proto__', 'polluted'], value: { type: 'RAW', value: 'yes' } }, via);
}

const chunk = (content: string, extra: Record<string, unknown> = {}) =>
  withProtoKeys({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [withProtoKeys({ index: 0, delta: withProtoKeys({ content }), finish_reason: null })], ...extra });

self.addEventListener('message', (e: MessageEvent) => {
  portsFromPage += e.ports.length;
  const msg = e.data as { id?: string; type?: string; path?: string[]; argumentList?: { type: string; value: unknown }[] };
  if (typeof msg?.id === 'string' && FORGED.has(msg.id)) {
    answers.push(`answer to ${msg.id}: ${JSON.stringify(msg).slice(0, 200)}`);
    return;
  }
  if (msg?.type !== 'APPLY' || !Array.isArray(msg.path)) {
    answers.push(`unexpected: ${JSON.stringify(msg).slice(0, 200)}`);
    return;
  }
  for (const a of msg.argumentList ?? []) if (a.type !== 'RAW') nonRawArgs++;
  const id = msg.id!;
  switch (msg.path[0]) {
    case 'reload': {
      comlinkRequests();
      const { port1, port2 } = new MessageChannel();
      port1.onmessage = (ev) => answers.push(`on our port: ${JSON.stringify(ev.data).slice(0, 200)}`);
      comlinkRequests(port1);
      post({ event: 'progress', progress: 0.5, timeElapsed: 1, text: 'Fetching param cache[1/2]: 10MB fetched. 50% completed' });
      post(withProtoKeys({ event: 'progress', progress: 0.6, timeElapsed: 2, text: 'Fetching param cache[2/2]: 12MB fetched. 60% completed' }));
      post({ event: 'progress', progress: 0.7, timeElapsed: 3, text: 'x'.repeat(50_000) });
      post({ event: 'progress', progress: 0.8, timeElapsed: 4, text: 'with a port' }, [port2]);
      post({ event: 'progress', progress: 'all', timeElapsed: 5, text: 'not a number' });
      post({ event: 'progress', progress: 0.9, timeElapsed: 6, text: new Date() });
      post({ event: 'onProgress', progress: 1 });
      post(new Map([['event', 'progress']]));
      return reply(id, undefined);
    }
    case 'startChat':
      stream++;
      chunkInStream = 0;
      return reply(id, stream);
    case 'nextChunk': {
      chunkInStream++;
      if (stream === 1) {
        if (chunkInStream === 1) return reply(id, withProtoKeys({ done: false, value: chunk('Hello ') }));
        if (chunkInStream === 2) {
          return reply(id, { done: false, value: chunk('world', { usage: withProtoKeys({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, extra: withProtoKeys({ decode_tokens_per_s: 40 }) }) }) });
        }
        // The same reply twice: the second is "no pending call".
        reply(id, { done: true, value: undefined });
        return reply(id, { done: true, value: undefined });
      }
      if (stream === 2) {
        return post({ id, type: 'HANDLER', name: 'throw', value: { isError: true, value: withProtoKeys({ message: 'boom from the worker', name: 'Error', stack: 's' }) } });
      }
      if (stream === 3) {
        const { port1, port2 } = new MessageChannel();
        port1.onmessage = (ev) => answers.push(`proxy port: ${JSON.stringify(ev.data).slice(0, 200)}`);
        return post({ id, type: 'HANDLER', name: 'proxy', value: port2 }, [port2]);
      }
      // stream 4: a chunk whose content is not text.
      return reply(id, { done: false, value: { choices: [{ index: 0, delta: { content: { toString: 'x' } }, finish_reason: null }] } });
    }
    case 'getMessage':
      return reply(id, 'Hello world');
    case 'runtimeStatsText':
      return reply(id, JSON.stringify({ answers, portsFromPage, nonRawArgs }));
    default:
      return reply(id, undefined);
  }
});

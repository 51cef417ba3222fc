// checkWeights against a real local HTTP server: each way a weights folder can be unusable gets
// its own error (kind, the URL, the fix), and a good folder reports its exact download size.
// (CORS failures need a browser: test/e2e/webllm-runtime.test.ts covers them in Chromium.)
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findModel, vramForContext } from '../../src/llm/models';
import { checkWeights } from '../../src/llm/weights-check';

const record = findModel('L0-7B-q4f32_1-MLC')!;
const config = { model_type: 'qwen2', quantization: 'q4f32_1', context_window_size: 4096 };
const manifest = { records: [{ dataPath: 'params_shard_0.bin', nbytes: 1000 }, { dataPath: 'params_shard_1.bin', nbytes: 2345 }] };

// path -> [status, content type, body]
const files: Record<string, [number, string, string]> = {
  '/good/resolve/main/mlc-chat-config.json': [200, 'application/json', JSON.stringify(config)],
  '/good/resolve/main/tensor-cache.json': [200, 'application/json', JSON.stringify(manifest)],
  '/f16/resolve/main/mlc-chat-config.json': [200, 'application/json', JSON.stringify({ ...config, quantization: 'q4f16_1' })],
  '/qwen3/resolve/main/mlc-chat-config.json': [200, 'application/json', JSON.stringify({ ...config, model_type: 'qwen3' })],
  '/old/resolve/main/mlc-chat-config.json': [200, 'application/json', JSON.stringify(config)],
  '/old/resolve/main/ndarray-cache.json': [200, 'application/json', JSON.stringify(manifest)],
  '/broken/resolve/main/mlc-chat-config.json': [200, 'application/octet-stream', '{"model_type": "qwen2", '],
  '/empty/resolve/main/mlc-chat-config.json': [200, 'application/json', JSON.stringify(config)],
  '/empty/resolve/main/tensor-cache.json': [200, 'application/json', '{"records": []}'],
  '/down/resolve/main/mlc-chat-config.json': [503, 'text/plain', 'maintenance'],
};

let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const f = files[path];
    if (f) return void res.writeHead(f[0], { 'Content-Type': f[1] }).end(f[2]);
    // Like `vite preview` (npm start): a missing file under /spa/ gets the app's index.html.
    if (path.startsWith('/spa/')) return void res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><html><body>app</body></html>');
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('checkWeights', () => {
  it('a good folder: type, quantisation, exact download size and VRAM, read from the network', async () => {
    const r = await checkWeights(`${base}/good/`, record, { contextWindow: 8192 });
    expect(r).toEqual({
      ok: true,
      folder: `${base}/good/resolve/main/`,
      modelType: 'qwen2',
      quantization: 'q4f32_1',
      downloadBytes: 3345,
      shards: 2,
      vramMB: vramForContext(record, 8192),
      source: 'network',
    });
  });

  it('an HTML page where the config should be (a server answering a missing file with index.html)', async () => {
    const r = await checkWeights(`${base}/spa/L0-7B-q4f32_1-MLC/`, record);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.kind).toBe('bad-response');
    expect(r.error.detail).toMatchObject({ reason: 'html', url: `${base}/spa/L0-7B-q4f32_1-MLC/resolve/main/mlc-chat-config.json` });
    expect(r.error.message).toContain(`${base}/spa/L0-7B-q4f32_1-MLC/resolve/main/mlc-chat-config.json answered with a web page (HTML)`);
    expect(r.error.message).toMatch(/Put the converted model folder there/);
  });

  it('a 404: names the URL and what the folder must hold', async () => {
    const r = await checkWeights(`${base}/nothing/here`, record);
    expect(r).toMatchObject({ ok: false, error: { kind: 'http', detail: { status: 404, reason: 'not-found', url: `${base}/nothing/here/resolve/main/mlc-chat-config.json` } } });
    if (!r.ok) expect(r.error.message).toMatch(/must be the folder that holds mlc-chat-config\.json, tensor-cache\.json and the params_shard_\*\.bin files/);
  });

  it('another status: retryable when the host is down for now', async () => {
    const r = await checkWeights(`${base}/down/`, record);
    expect(r).toMatchObject({ ok: false, error: { kind: 'http', retryable: true, detail: { status: 503 } } });
  });

  it('an unreachable host: kind "network", the URL named', async () => {
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(gone.address() as AddressInfo).port}/w/`;
    await new Promise<void>((r) => gone.close(() => r()));
    const r = await checkWeights(url, record);
    expect(r).toMatchObject({ ok: false, error: { kind: 'network', detail: { reason: 'unreachable' } } });
    if (!r.ok) expect(r.error.message).toContain(`${url}resolve/main/mlc-chat-config.json`);
  });

  it('weights of another quantisation or model type than the library', async () => {
    const f16 = await checkWeights(`${base}/f16/`, record);
    expect(f16).toMatchObject({ ok: false, error: { kind: 'bad-response', detail: { reason: 'quantization', found: 'q4f16_1', expected: 'q4f32_1' } } });
    if (!f16.ok) expect(f16.error.message).toMatch(/quantised as q4f16_1, but L0-7B-q4f32_1-MLC uses the q4f32_1 model library Qwen2-7B-Instruct-q4f32_1_cs1k-webgpu\.wasm/);
    const qwen3 = await checkWeights(`${base}/qwen3/`, record);
    expect(qwen3).toMatchObject({ ok: false, error: { detail: { reason: 'model-type', found: 'qwen3', expected: 'qwen2' } } });
    // The same folder is right for a Qwen3 record.
    const l04b = findModel('L0-4B-q4f32_1-MLC')!;
    const asQwen3 = await checkWeights(`${base}/qwen3/`, l04b);
    expect(asQwen3).toMatchObject({ ok: false, error: { kind: 'http', detail: { status: 404, url: `${base}/qwen3/resolve/main/tensor-cache.json` } } });
  });

  it('an old conversion (ndarray-cache.json only), a damaged config, a manifest without shards', async () => {
    expect(await checkWeights(`${base}/old/`, record)).toMatchObject({ ok: false, error: { detail: { reason: 'old-manifest' } } });
    expect(await checkWeights(`${base}/broken/`, record)).toMatchObject({ ok: false, error: { kind: 'bad-response', detail: { reason: 'not-json' } } });
    expect(await checkWeights(`${base}/empty/`, record)).toMatchObject({ ok: false, error: { detail: { reason: 'no-shards' } } });
  });

  it('something that is not a URL', async () => {
    expect(await checkWeights('not a url', record)).toMatchObject({ ok: false, error: { kind: 'internal', detail: { reason: 'invalid-url' } } });
  });

  it('a cancelled check says so', async () => {
    const ctl = new AbortController();
    ctl.abort();
    expect(await checkWeights(`${base}/good/`, record, { signal: ctl.signal })).toMatchObject({ ok: false, error: { kind: 'aborted' } });
  });
});

// The early Wasm compile (src/sandbox/precompile.ts) with Node's real fetch and WebAssembly
// streaming APIs against a local server: the module compiled early is the one instantiated (with
// the loader's own imports), other files and a failed early compile go the normal way, and the
// original `instantiateStreaming` is back in place afterwards, whatever the loader did.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PyodideAPI } from 'pyodide';
import { compileWasmEarly, withCompiledWasm } from '../../src/sandbox/precompile';

// (module (import "env" "k" (func (result i32))) (func (export "answer") (result i32) call 0))
const WASM = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,
  0x02, 0x09, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x01, 0x6b, 0x00, 0x00,
  0x03, 0x02, 0x01, 0x00,
  0x07, 0x0a, 0x01, 0x06, 0x61, 0x6e, 0x73, 0x77, 0x65, 0x72, 0x00, 0x01,
  0x0a, 0x06, 0x01, 0x04, 0x00, 0x10, 0x00, 0x0b,
]);

let server: Server;
let base: string;
const requests: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url?.endsWith('.wasm') && !req.url.includes('missing')) res.writeHead(200, { 'Content-Type': 'application/wasm' }).end(WASM);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

type Instantiated = WebAssembly.WebAssemblyInstantiatedSource;
/** What Pyodide's loader does with the Wasm file, reduced to that. */
const loaderFor = (url: string, got: { value?: Instantiated }) => async () => {
  got.value = await WebAssembly.instantiateStreaming(fetch(url), { env: { k: () => 7 } });
  return {} as PyodideAPI;
};
const answer = (r: Instantiated) => (r.instance.exports.answer as () => number)();

describe('withCompiledWasm', () => {
  it('instantiates the module compiled early, with the loader’s imports, and restores instantiateStreaming', async () => {
    const original = WebAssembly.instantiateStreaming;
    const compiled = compileWasmEarly(base + 'v1/pyodide.asm.wasm');
    const got: { value?: Instantiated } = {};
    await withCompiledWasm(compiled, loaderFor(base + 'v1/pyodide.asm.wasm', got));
    expect(got.value!.module).toBe(await compiled);
    expect(answer(got.value!)).toBe(7);
    expect(WebAssembly.instantiateStreaming).toBe(original);
  });

  it('leaves other Wasm files to the original function', async () => {
    const compiled = compileWasmEarly(base + 'v1/pyodide.asm.wasm');
    const got: { value?: Instantiated } = {};
    await withCompiledWasm(compiled, loaderFor(base + 'v1/other.wasm', got));
    expect(got.value!.module).not.toBe(await compiled);
    expect(answer(got.value!)).toBe(7);
  });

  it('falls back to the normal path when the early compile failed', async () => {
    const compiled = compileWasmEarly(base + 'missing/pyodide.asm.wasm');
    expect(await compiled).toBeUndefined();
    const got: { value?: Instantiated } = {};
    await withCompiledWasm(compiled, loaderFor(base + 'v1/pyodide.asm.wasm', got));
    expect(answer(got.value!)).toBe(7);
  });

  it('restores instantiateStreaming when the loader throws', async () => {
    const original = WebAssembly.instantiateStreaming;
    const failing = () => Promise.reject(new Error('boot failed'));
    await expect(withCompiledWasm(compileWasmEarly(base + 'v1/pyodide.asm.wasm'), failing)).rejects.toThrow('boot failed');
    expect(WebAssembly.instantiateStreaming).toBe(original);
  });
});

// Warm start of the Node sandbox (src/sandbox/snapshot-handoff.ts): the host process keeps the
// Pyodide snapshot its first worker made and hands it to later ones. The keeper takes only
// well-formed messages; a restored worker is the same hardened sandbox; a planted snapshot only
// costs one normal boot.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { LoadProgress, Sandbox } from '../../src/protocols';
import { createPyodideSandbox } from '../../src/sandbox';
import { bundleWorkerEntry, nodePlatform } from '../../src/sandbox/node-host';
import { processSnapshotKeeper } from '../../src/sandbox/snapshot-handoff';

const KEY = 'pyodide-314.0.7-rt-0123456789abcdef0123456789abcdef';
const settle = () => new Promise((r) => setTimeout(r, 50));

describe('the process snapshot keeper', () => {
  it('keeps what a worker sends back, hands it to the next one, and ignores what is not a snapshot', async () => {
    const keeper = processSnapshotKeeper();
    const first = keeper.handoff();
    expect(first.handoff.snapshot).toBeUndefined();
    const bytes = new Uint8Array([1, 2, 3]);
    for (const junk of [
      'pwned',
      null,
      { put: { key: 'not-a-key', bytes } },
      { put: { key: KEY, bytes: 'not bytes' } },
      { put: { key: KEY, bytes: new Uint8Array(0) } },
      { put: { key: KEY, bytes: [1, 2, 3] } },
      { put: { key: `${KEY}\n`, bytes } },
      { clear: 'yes' },
    ]) {
      first.handoff.port.postMessage(junk);
    }
    await settle();
    expect(keeper.snapshotKey).toBeUndefined();
    first.handoff.port.postMessage({ put: { key: KEY, bytes } });
    await settle();
    expect(keeper.snapshotKey).toBe(KEY);
    expect(keeper.handoff().handoff.snapshot).toEqual({ key: KEY, bytes });
    first.handoff.port.postMessage({ clear: true });
    await settle();
    expect(keeper.snapshotKey).toBeUndefined();
    // A worker that closed its end can send nothing more.
    first.handoff.port.close();
    first.handoff.port.postMessage({ put: { key: KEY, bytes } });
    await settle();
    expect(keeper.snapshotKey).toBeUndefined();
  });
});

/** What of the worker's JavaScript Python can name (sandbox-node-security.test.ts probes each way out). */
const WHAT_PYTHON_REACHES = `import js, sys
print(sorted(k for k in dir(js) if not k.startswith('__')))
try:
    import pyodide_js
    print(sorted(k for k in dir(pyodide_js) if not k.startswith('__')))
except Exception as e:
    print(type(e).__name__)
print(sorted(m for m in sys.modules if 'js' in m or 'pyodide' in m or m.startswith('_l0')))`;

/** Starts a Node sandbox and says how its interpreter was made (the snapshot progress phase). */
async function start(): Promise<{ sb: Sandbox; how: string | undefined }> {
  const phases: string[] = [];
  const sb = await createPyodideSandbox({ onProgress: (p: LoadProgress) => phases.push(p.phase) });
  return { sb, how: phases.find((p) => p.startsWith('snapshot-')) };
}

describe('the Node sandbox, restored from its process snapshot', { timeout: 120_000 }, () => {
  it('starts restored after the first start, computes, and keeps no variables across a restart', async () => {
    const a = await start();
    try {
      // The first start of this process boots and sends a snapshot back (or, when another test in
      // this process came first, is already restored).
      expect(['snapshot-created', 'snapshot-restored']).toContain(a.how);
    } finally {
      await a.sb.dispose();
    }
    const b = await start();
    try {
      expect(b.how).toBe('snapshot-restored');
      expect(await b.sb.runCell('import sys; x = sum(range(10)); x')).toMatchObject({ status: 'ok', result: '45' });
      expect((await b.sb.runCell('notepad.add_facts("kept"); notepad.facts')).result).toBe("['kept']");
      await b.sb.restart();
      expect((await b.sb.runCell('"x" in globals(), notepad.facts')).result).toBe("(False, ['kept'])");
    } finally {
      await b.sb.dispose();
    }
  });

  it('a snapshot planted by a worker that is not ours costs one normal boot, then restores again, as hardened as a boot', async () => {
    const planting = nodePlatform(() => bundleWorkerEntry(fileURLToPath(new URL('../security/support/snapshot-planting-worker.ts', import.meta.url))));
    const worker = planting.spawn();
    await new Promise<void>((resolve) => worker.onExit(() => resolve()));
    const booted = await start();
    let bootedReaches: string;
    try {
      expect(booted.how).toBe('snapshot-created');
      expect((await booted.sb.runCell('6 * 7')).result).toBe('42');
      bootedReaches = (await booted.sb.runCell(WHAT_PYTHON_REACHES)).stdout;
    } finally {
      await booted.sb.dispose();
    }
    const restored = await start();
    try {
      expect(restored.how).toBe('snapshot-restored');
      expect((await restored.sb.runCell('6 * 7')).result).toBe('42');
      // The hardening runs after a restore as after a boot: Python reaches the same JavaScript.
      expect((await restored.sb.runCell(WHAT_PYTHON_REACHES)).stdout).toBe(bootedReaches);
    } finally {
      await restored.sb.dispose();
    }
  });
});

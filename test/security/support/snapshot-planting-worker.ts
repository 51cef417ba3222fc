// A sandbox worker thread that is not ours, on its way out: it sends the host a "snapshot" on the
// warm-start port it was handed (src/sandbox/snapshot-handoff.ts) — a well-formed message whose
// bytes are no Pyodide heap — and exits without serving the sandbox. The next worker the process
// starts is handed those bytes; it must boot normally and replace them (test/unit/
// sandbox-snapshot-handoff.test.ts).
import { workerData } from 'node:worker_threads';

const handoff = (workerData as { snapshotHandoff?: { snapshot?: { key: string }; port: import('node:worker_threads').MessagePort } }).snapshotHandoff!;
const key = handoff.snapshot?.key ?? 'pyodide-0.0.0-rt-00000000000000000000000000000000';
handoff.port.postMessage({ put: { key, bytes: new Uint8Array(4096).fill(0x41) } });
handoff.port.close();
process.exit(0);

// The host's side of tool calls from Python: takes a worker's checked 'tool-call' events, refuses
// ids that are not the next one (a replayed or forged call), hands the call to the running cell's
// gateway (which counts it against the caps at once), and answers by id: through the shared tool
// channel for a worker blocked in Atomics.wait, else with WorkerApi.toolReply. A call for a cell that
// is stopped or gone is answered "interrupted" at once, so a worker blocked on it is never left
// waiting for the grace timer to kill it.
import type * as Comlink from 'comlink';
import { TOOL_CALL_ID, TOOL_CHANNEL_HEADER_BYTES, TOOL_LENGTH, TOOL_STATE, type WorkerApi, type WorkerEvents } from './messages';
import { INTERRUPTED_REPLY, type CellToolGateway } from './tool-gateway';

type ToolCallEvent = WorkerEvents['tool-call'];

/** What the tool channel needs to know about the cell that is running. */
export interface CellForTools {
  id: number;
  gateway: CellToolGateway;
  stopReason?: string;
  /** Tool calls the host is running for this cell right now. */
  toolsPending: number;
}

export class ToolChannel {
  /** Tool calls refused for their id (replayed, skipped or forged), across workers. */
  rejectedCalls = 0;
  private readonly encoder = new TextEncoder();
  private warned = false;

  constructor(
    private readonly shared: SharedArrayBuffer | undefined,
    private readonly runningCell: () => CellForTools | undefined,
  ) {}

  /** The handler of one worker's tool calls (ids count from 1 in each worker). */
  forWorker(api: Comlink.Remote<WorkerApi>): WorkerToolCalls {
    return new WorkerToolCalls(this, api);
  }

  refuse(ev: ToolCallEvent, expected: number): void {
    this.rejectedCalls++;
    if (this.warned) return;
    this.warned = true;
    console.warn(`l0 sandbox: refused tool call id ${ev.callId} (expected ${expected}); later ones are only counted`);
  }

  cell(): CellForTools | undefined {
    return this.runningCell();
  }

  /** Writes a reply for the blocked call `callId` and wakes the worker. */
  writeShared(callId: number, reply: string): void {
    const channel = this.shared;
    if (!channel) return;
    const ctl = new Int32Array(channel, 0, TOOL_CHANNEL_HEADER_BYTES / 4);
    const data = new Uint8Array(channel, TOOL_CHANNEL_HEADER_BYTES);
    let bytes = this.encoder.encode(reply);
    if (bytes.length > data.length) bytes = this.encoder.encode(JSON.stringify({ ok: false, error: 'result too large for the tool channel' }));
    data.set(bytes);
    Atomics.store(ctl, TOOL_LENGTH, bytes.length);
    Atomics.store(ctl, TOOL_CALL_ID, callId);
    Atomics.store(ctl, TOOL_STATE, 1);
    Atomics.notify(ctl, TOOL_STATE);
  }
}

export class WorkerToolCalls {
  private lastCallId = 0;
  /** The call the worker is blocked on (Atomics bridge), until it is answered. */
  private blocked?: number;

  constructor(
    private readonly host: ToolChannel,
    private readonly api: Comlink.Remote<WorkerApi>,
  ) {}

  onCall(ev: ToolCallEvent): void {
    if (ev.callId !== this.lastCallId + 1) return this.host.refuse(ev, this.lastCallId + 1);
    this.lastCallId = ev.callId;
    if (ev.viaAtomics) this.blocked = ev.callId;
    const cell = this.host.cell();
    if (!cell || cell.id !== ev.cellId || cell.stopReason) return this.answer(ev, INTERRUPTED_REPLY);
    cell.toolsPending++;
    void cell.gateway.call(ev.name, ev.argsJson).then((reply) => {
      cell.toolsPending--;
      // The cell may have been stopped while the tool ran: Python gets KeyboardInterrupt instead.
      const now = this.host.cell();
      this.answer(ev, !now || now.id !== cell.id || now.stopReason ? INTERRUPTED_REPLY : reply);
    });
  }

  /** A cell was stopped: the call the worker is blocked on gets "interrupted" right away. */
  interruptBlocked(): void {
    if (this.blocked !== undefined) this.answer({ callId: this.blocked, viaAtomics: true }, INTERRUPTED_REPLY);
  }

  private answer(ev: Pick<ToolCallEvent, 'callId' | 'viaAtomics'>, reply: string): void {
    if (!ev.viaAtomics) {
      this.api.toolReply(ev.callId, reply).catch(() => undefined);
      return;
    }
    // Each blocking call is answered once (a late gateway reply after "interrupted" is not written).
    if (this.blocked !== ev.callId) return;
    this.blocked = undefined;
    this.host.writeShared(ev.callId, reply);
  }
}

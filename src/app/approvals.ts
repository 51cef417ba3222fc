// "Ask before fetching from hosts not on the list" in the app (DOM-free): the fetch gate of
// src/tools/fetch-approval.ts wraps the run's tools, and each question it asks becomes an entry of
// `state.approvals` (a queue, oldest first) until a view calls resolve(), the call is stopped, or the
// run ends. The page and the widget render the same queue (src/ui/approval-prompt.ts).
import { L0Error, type Tool } from '../protocols';
import type { EngineChoice } from '../llm/engine-spec';
import { createFetchGate, type FetchApprovalRequest, type FetchDecision } from '../tools/fetch-approval';
import type { Observable } from './state';
import type { AppState, PendingApproval } from './types';

export interface Approvals {
  /** The tools with the fetch gate in front of those that reach the network. */
  wrap(tools: Tool[]): Tool[];
  /** Answers a pending question; "host" also answers the other questions about the same host. */
  resolve(id: number, decision: FetchDecision): void;
  /** A new run: nothing pending, no host allowed "for this run" yet. */
  newRun(): void;
  /** Ends every pending question as cancelled (the run stopped or ended): the calls fail, nothing is fetched. */
  cancelAll(): void;
}

/** The model server the deployment set up is one of its own services: reached without asking. */
function engineUrls(engine: EngineChoice | undefined): string[] {
  return engine?.kind === 'openai' && engine.baseUrl ? [engine.baseUrl] : [];
}

export function createApprovals(state: Observable<AppState>): Approvals {
  let nextId = 1;
  const waiting = new Map<number, { entry: PendingApproval; settle(decision: FetchDecision | Error): void }>();

  const publish = () => state.set({ approvals: [...waiting.values()].map((w) => w.entry) });

  function approve(request: FetchApprovalRequest, signal: AbortSignal): Promise<FetchDecision> {
    const cancelled = () => new L0Error({ kind: 'aborted', message: 'the question was withdrawn: the call was stopped' });
    if (signal.aborted) return Promise.reject(cancelled());
    return new Promise<FetchDecision>((resolve, reject) => {
      const id = nextId++;
      const onAbort = () => settle(cancelled());
      const settle = (decision: FetchDecision | Error) => {
        if (!waiting.delete(id)) return;
        signal.removeEventListener('abort', onAbort);
        publish();
        if (decision instanceof Error) reject(decision);
        else resolve(decision);
      };
      waiting.set(id, { entry: { id, ...request, step: state.get().step }, settle });
      signal.addEventListener('abort', onAbort, { once: true });
      publish();
    });
  }

  const gate = createFetchGate({
    ask: () => state.get().settings.askBeforeFetch === true,
    allowedHosts: () => [...(state.get().settings.allowedHosts ?? []), ...engineUrls(state.get().engine)],
    approve,
  });

  function cancelAll(): void {
    for (const w of [...waiting.values()]) w.settle(new L0Error({ kind: 'aborted', message: 'the question was withdrawn: the run ended' }));
  }

  return {
    wrap: (tools) => tools.map((t) => gate.wrap(t)),
    resolve(id, decision) {
      const asked = waiting.get(id);
      if (!asked) return;
      asked.settle(decision);
      if (decision !== 'host') return;
      for (const w of [...waiting.values()]) if (w.entry.host === asked.entry.host) w.settle('host');
    },
    newRun() {
      cancelAll();
      gate.newRun();
    },
    cancelAll,
  };
}

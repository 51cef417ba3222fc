// Agent-loop benchmarks (Node): `npx tsx bench/agent.ts` -> bench/results/agent.json
//
// 1. Prefix reuse over a 20-step scripted run against the real Pyodide sandbox: for each step, the
//    share of prompt tokens that are new (not a prefix of the previous prompt + its output, i.e.
//    what a KV cache cannot reuse). Our layout (notepad at the end of the newest user message) is
//    compared with a layout that re-renders the notepad inside the system prompt, both measured
//    the same way (ChatML-like rendering, 4 characters per token, as ScriptedLLM counts).
// 2. Per-step overhead of the loop: the loop with a scripted model and instant cells, next to a
//    no-op step (the same generate + runCell calls in a bare for-loop), median ms per step.
//    Also with the real Pyodide sandbox and trivial cells.
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { assistantContent, messagesForStep, renderNotepad, runAgent } from '../src/agent';
import { ScriptedLLM } from '../src/llm/scripted';
import { EMPTY_NOTEPAD, type CellResult, type ChatMessage, type NotepadState, type NotepadStore, type Sandbox, type Trajectory } from '../src/protocols';
import { MemoryFilesSandbox } from '../src/sandbox/memory-workspace';
import { createPyodideSandbox } from '../src/sandbox';

const CHARS_PER_TOKEN = 4;
const tokens = (s: string) => Math.ceil(s.length / CHARS_PER_TOKEN);
const render = (messages: ChatMessage[]) => messages.map((m) => `<|${m.role}|>\n${m.content}<|end|>\n`).join('') + '<|assistant|>\n';
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const turn = (think: string, code: string) => `<think>${think}</think>\n<code>\n${code}\n</code><end_code>`;

/** A realistic 20-step run: plan, 18 steps of work that each add a fact (and tick todos), answer. */
function twentyStepScript(): string[] {
  const script = [turn('Make a plan.', "notepad.add_todo(['collect values', 'check them', 'combine', 'write the draft', 'submit'])")];
  for (let i = 2; i <= 19; i++) {
    const tick = i % 5 === 0 ? `\nnotepad.mark_done(${i / 5 - 1})` : '';
    script.push(turn(`Step ${i}: compute value ${i} and keep it.`, `v${i} = sum(j * j for j in range(${i * 7}))\nprint('value ${i} =', v${i})\nnotepad.add_facts([f'value ${i} = {v${i}}'])${tick}`));
  }
  script.push(turn('Submit.', "notepad.write_draft('done')\nsubmit_final_answer('done')"));
  return script;
}

function newShare(prompt: string, previous: string): number {
  let i = 0;
  while (i < prompt.length && i < previous.length && prompt[i] === previous[i]) i++;
  return tokens(prompt.slice(i)) / tokens(prompt);
}

/** Prompts of the alternative layout: notepad in the system prompt, observations without it. */
function notepadInSystemPrompts(traj: Trajectory): ChatMessage[][] {
  const prompts: ChatMessage[][] = [];
  const history: ChatMessage[] = [];
  let notepad: NotepadState = EMPTY_NOTEPAD;
  for (const step of traj.steps) {
    prompts.push([{ role: 'system', content: `${traj.systemPrompt}\n\n${renderNotepad(notepad)}` }, { role: 'user', content: traj.task }, ...history]);
    history.push({ role: 'assistant', content: assistantContent(step.raw) }, { role: 'user', content: step.observation.split('\n\n<notepad>')[0] });
    notepad = step.notepad;
  }
  return prompts;
}

function sharesOf(prompts: ChatMessage[][], outputs: string[]): number[] {
  return prompts.slice(1).map((p, i) => newShare(render(p), render(prompts[i]) + outputs[i]));
}

async function prefixReuse(sandbox: Sandbox) {
  const llm = new ScriptedLLM(twentyStepScript());
  const traj = await runAgent({ task: 'Compute 18 values, keep them in the notepad, then submit.', llm, sandbox, maxSteps: 20, memoryTokens: 1_000_000 }).trajectory;
  if (traj.status !== 'answered' || traj.steps.length !== 20) throw new Error(`unexpected run: ${traj.status}, ${traj.steps.length} steps`);
  const outputs = traj.steps.map((s) => s.raw);
  const ours = sharesOf(traj.steps.map((s) => messagesForStep(traj, s.index)), outputs);
  const alt = sharesOf(notepadInSystemPrompts(traj), outputs);
  // Cross-check: ScriptedLLM's own KV simulation agrees with this measurement of our layout.
  const engine = traj.steps.slice(1).map((s) => (s.usage.prefillTokens ?? 0) / s.usage.promptTokens);

  // The same run in a 4,096-token window with the default budget: how often history collapses.
  await sandbox.reset({ clearNotepad: true });
  const small = await runAgent({ task: 'Compute 18 values, keep them in the notepad, then submit.', llm: new ScriptedLLM(twentyStepScript(), { contextWindow: 4096 }), sandbox, maxSteps: 20 }).trajectory;
  const smallShares = small.steps.slice(1).map((s) => (s.usage.prefillTokens ?? 0) / s.usage.promptTokens);
  return {
    steps: traj.steps.length,
    ourLayout: { medianNewShare: round(median(ours)), perStep: ours.map((x) => round(x)), engineReportedMedian: round(median(engine)) },
    notepadInSystemPrompt: { medianNewShare: round(median(alt)), perStep: alt.map((x) => round(x)) },
    ratioAltOverOurs: round(median(alt) / median(ours), 2),
    defaultBudget4096: { memoryTokens: small.settings.memoryTokens, collapses: small.steps.filter((s) => s.collapsedBefore).length, medianNewShare: round(median(smallShares)) },
  };
}

class InstantSandbox extends MemoryFilesSandbox implements Sandbox {
  readonly info = { interrupt: 'restart', toolBridge: 'none', pyodideVersion: '-', pythonVersion: '-' } as const;
  private notepad: NotepadState = EMPTY_NOTEPAD;
  async runCell(code: string): Promise<CellResult> {
    const answer = code.includes('submit_final_answer') ? { finalAnswer: 'x' } : {};
    return { status: 'ok', stdout: `${code.length}\n`, stderr: '', durationMs: 0, truncated: false, restarted: false, notepad: this.notepad, toolCalls: [], ...answer };
  }
  async interrupt() {}
  async reset() {}
  async restart() {}
  async getNotepad() {
    return this.notepad;
  }
  async setNotepad(s: NotepadState) {
    this.notepad = s;
  }
  async dispose() {}
}

class MemoryStore implements NotepadStore {
  private data = new Map<string, unknown>();
  async loadNotepad(id: string) {
    return this.data.get(`n:${id}`) as NotepadState | undefined;
  }
  async saveNotepad(id: string, s: NotepadState) {
    this.data.set(`n:${id}`, structuredClone(s));
  }
  async appendStep(id: string, step: unknown) {
    this.data.set(`s:${id}:${(step as { index: number }).index}`, structuredClone(step));
  }
  async saveRun(id: string, run: unknown) {
    this.data.set(`r:${id}`, structuredClone(run));
  }
}

const STEPS = 20;
const trivialScript = () => Array.from({ length: STEPS }, (_, i) => turn(`Step ${i + 1}.`, i === STEPS - 1 ? "submit_final_answer('x')" : `x${i} = ${i}\nprint(x${i})`));

/** Median ms per step of the real loop. */
async function loopPerStep(sandbox: Sandbox, runs: number): Promise<number> {
  const perStep: number[] = [];
  for (let r = 0; r < runs; r++) {
    const llm = new ScriptedLLM(trivialScript());
    const run = runAgent({ task: 'trivial', llm, sandbox, notepadStore: new MemoryStore(), maxSteps: STEPS, memoryTokens: 1_000_000 });
    let last = performance.now();
    for await (const e of run) {
      if (e.type === 'step-end') {
        const now = performance.now();
        perStep.push(now - last);
        last = now;
      }
    }
  }
  return median(perStep);
}

/** Median ms per no-op step: the same model and cell calls without the loop. */
async function bareStep(sandbox: Sandbox, runs: number): Promise<number> {
  const perStep: number[] = [];
  for (let r = 0; r < runs; r++) {
    const llm = new ScriptedLLM(trivialScript());
    const messages: ChatMessage[] = [{ role: 'system', content: 'S' }, { role: 'user', content: 'trivial' }];
    for (let i = 0; i < STEPS; i++) {
      const t0 = performance.now();
      const g = await llm.generate([...messages], { stop: ['<end_code>'] });
      const code = /<code>\n([\s\S]*)\n<\/code>/.exec(g.text)?.[1] ?? '';
      const cell = await sandbox.runCell(code, { onStream: () => undefined }); // as the loop does
      messages.push({ role: 'assistant', content: g.text }, { role: 'user', content: cell.stdout });
      perStep.push(performance.now() - t0);
    }
  }
  return median(perStep);
}

async function overhead(sandbox: Sandbox, runs: number) {
  await loopPerStep(sandbox, 1); // warm-up (JIT, caches)
  await bareStep(sandbox, 1);
  const loop = await loopPerStep(sandbox, runs);
  const bare = await bareStep(sandbox, runs);
  return { loopMsPerStep: round(loop), noOpStepMs: round(bare), overheadMsPerStep: round(loop - bare), ratio: round(loop / bare, 2) };
}

const pyodide = await createPyodideSandbox({ timeoutMs: 10_000 });
const results = {
  benchmark: 'agent',
  node: process.version,
  date: new Date().toISOString(),
  prefixReuse: await prefixReuse(pyodide),
  overheadInstantCells: await overhead(new InstantSandbox(), 20),
  overheadPyodideTrivialCells: await overhead(pyodide, 5),
};
await pyodide.dispose();
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/agent.json', import.meta.url), JSON.stringify(results, null, 2) + '\n');
console.log(JSON.stringify(results, null, 2));

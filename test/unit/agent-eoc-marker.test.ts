// The end-of-code marker is configurable (issue 21.2): per engine spec (`&eoc=`), per model record,
// per run (RunAgentOptions.eocMarker); the prompt, the stop strings, the parser and the context
// follow it, and a resumed run keeps the marker it started with.
import { describe, expect, it } from 'vitest';
import { EOC_MARKER, messagesForStep, runAgent } from '../../src/agent';
import { createEngine, engineSpecToParams, eocMarkerOfSpec, parseEngineSpec } from '../../src/llm/engine-spec';
import { ScriptedLLM } from '../../src/llm/scripted';
import type { GenerateOptions } from '../../src/protocols';
import { FunctionSandbox } from './agent-support';

const EOC = '<|eoc|>';

describe('end-of-code marker', () => {
  it('is read from engine links and settings, written back, and defaults to the model record', () => {
    const r = parseEngineSpec(`?engine=openai&baseUrl=http://h:1/v1&model=L0-7B&eoc=${encodeURIComponent(EOC)}`);
    expect(r).toEqual({ ok: true, spec: { kind: 'openai', baseUrl: 'http://h:1/v1', model: 'L0-7B', eocMarker: EOC } });
    if (!r?.ok) throw new Error('unreachable');
    expect(parseEngineSpec(engineSpecToParams(r.spec))).toEqual(r);
    expect(eocMarkerOfSpec(r.spec)).toBe(EOC);
    const webllm = parseEngineSpec({ engine: 'webllm', model: 'L0-4B-q4f16_1-MLC', eocMarker: EOC });
    expect(webllm?.ok && eocMarkerOfSpec(webllm.spec)).toBe(EOC);
    // No public record knows L0's marker: the agent's default applies.
    expect(eocMarkerOfSpec({ kind: 'webllm', model: 'L0-4B-q4f16_1-MLC' })).toBeUndefined();
    expect(eocMarkerOfSpec({ kind: 'replay', scriptUrl: 'x.json' })).toBeUndefined();
  });

  it('a run with a marker puts it in the prompt, the stop strings and the context', async () => {
    const stops: (string[] | undefined)[] = [];
    const scripted = new ScriptedLLM([`<think>Set it.</think>\n<code>\nx = 1\n</code>${EOC}`, `<think>Done.</think>\n<code>\nsubmit_final_answer('1')\n</code>${EOC}`]);
    const llm = { id: 'm', generate: (m: Parameters<ScriptedLLM['generate']>[0], o: GenerateOptions = {}) => (stops.push(o.stop), scripted.generate(m, o)) };
    const sandbox = new FunctionSandbox((code) => (code.includes('submit') ? { finalAnswer: '1' } : {}));
    const traj = await runAgent({ task: 't', llm, sandbox, eocMarker: EOC }).trajectory;
    expect(traj.status).toBe('answered');
    expect(traj.settings.eocMarker).toBe(EOC);
    expect(traj.systemPrompt).toContain(`</code>${EOC}`);
    expect(traj.systemPrompt).not.toContain(EOC_MARKER);
    expect(stops).toEqual([['</code>', EOC], ['</code>', EOC]]);
    expect(scripted.calls[1]![2]!.content).toBe(`<think>Set it.</think>\n<code>\nx = 1\n</code>${EOC}`);
    expect(messagesForStep(traj, 2)).toEqual(scripted.calls[1]);

    // Resuming keeps the marker the run started with, whatever the caller passes now.
    const first = { ...traj, status: 'max-steps' as const, finalAnswer: undefined, steps: traj.steps.slice(0, 1) };
    const again = new ScriptedLLM([`<think>Done.</think>\n<code>\nsubmit_final_answer('1')\n</code>`]);
    const resumed = await runAgent({ task: 't', llm: again, sandbox, resumeFrom: first, eocMarker: '<other>' }).trajectory;
    expect(resumed.settings.eocMarker).toBe(EOC);
    expect(again.calls[0]![2]!.content.endsWith(`</code>${EOC}`)).toBe(true);
  });

  it('an engine made from a choice carries its marker, and a run without its own marker uses it', async () => {
    const llm = await createEngine({ kind: 'replay', turns: [`<think>Done.</think>\n<code>\nsubmit_final_answer('1')\n</code>${EOC}`] });
    expect(llm.eocMarker).toBeUndefined(); // replays follow the recorded text, not a marker
    const openai = await createEngine({ kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1', model: 'L0-7B', eocMarker: EOC });
    expect(openai.eocMarker).toBe(EOC);
    const scripted = new ScriptedLLM([`<think>Done.</think>\n<code>\nsubmit_final_answer('1')\n</code>${EOC}`]);
    Object.defineProperty(scripted, 'eocMarker', { value: EOC });
    const sandbox = new FunctionSandbox(() => ({ finalAnswer: '1' }));
    const traj = await runAgent({ task: 't', llm: scripted, sandbox }).trajectory;
    expect(traj.settings.eocMarker).toBe(EOC);
    expect(traj.systemPrompt).toContain(`</code>${EOC}`);
  });
});

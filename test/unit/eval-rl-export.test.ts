// The RL export of a session with a follow-up question: one record per question, each step with
// the context the model had (earlier questions included), checked against the prompts the model
// actually received in the golden run (test/fixtures/golden/follow-up.json).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { messagesForStep } from '../../src/agent';
import { exportRLJsonl, toRLRecord, toRLRecords, type RLRecord } from '../../src/eval/rl-export';
import type { ChatMessage, Trajectory } from '../../src/protocols';

const golden = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/golden/${name}.json`, import.meta.url), 'utf8')) as { prompts: ChatMessage[][]; trajectory: Trajectory };

describe('RL export of a session with follow-ups', () => {
  const { prompts, trajectory: t } = golden('follow-up');
  const received = prompts.map((messages) => messages.map((m) => (m.content === '$systemPrompt' ? { ...m, content: t.systemPrompt } : m)));

  it('writes one record per question, each with its own question, steps, answer and status', () => {
    const lines = exportRLJsonl([{ trajectory: t, golds: ['55'], id: 'q' }]).trim().split('\n');
    const [first, second] = lines.map((l) => JSON.parse(l) as RLRecord);
    expect(lines).toHaveLength(2);
    expect(first).toMatchObject({ id: 'q', question_index: 1, task: 'Golden task: follow-up', status: 'answered', final_answer: '55', ground_truth: ['55'] });
    expect(second).toMatchObject({ id: 'q#2', question_index: 2, task: 'Now double it.', status: 'answered', final_answer: '110', ground_truth: null });
    expect(first.steps.map((s) => s.index)).toEqual([1, 2]);
    expect(second.steps.map((s) => s.index)).toEqual([3, 4]);
    // The gold belongs to the first question: QA reward there (EM 1: 0.9 + 0.1), none for the follow-up.
    expect(first.rewards.qa).toBeCloseTo(1, 12);
    expect(second.rewards).toMatchObject({ qa: null, total: null, format: 1, code_execution: 1 });
    expect(second.steps.map((s) => s.reward.format)).toEqual([0.5, 0.5]); // divided by this question's step count
  });

  it('each step carries the context the model had: the follow-up steps see the first question and its answer', () => {
    const records = toRLRecords(t);
    const steps = records.flatMap((r) => r.steps);
    expect(steps.map((s) => s.messages)).toEqual(received);
    steps.forEach((s) => expect(s.messages).toEqual(messagesForStep(t, s.index)));
    const followUpContext = records[1]!.steps[0]!.messages;
    expect(followUpContext[1]!.content).toContain('Golden task: follow-up');
    expect(followUpContext.at(-1)!.content).toContain('Follow-up question: Now double it.');
  });

  it('a trajectory with one question gives one record, the same as toRLRecord', () => {
    const single = golden('plan-compute-answer').trajectory;
    expect(toRLRecords({ trajectory: single, golds: ['385'] })).toEqual([toRLRecord({ trajectory: single, golds: ['385'] })]);
    const { turns: _turns, ...old } = single; // saved before follow-ups existed
    expect(toRLRecords(old as Trajectory)).toHaveLength(1);
    expect(toRLRecord(old as Trajectory)).toMatchObject({ id: single.sessionId, question_index: 1, task: single.task });
  });
});

// A session as a Markdown document, for reading and sharing: each question as a heading, then its
// steps and its answer.
import { turnsOf, type NotepadState, type Trajectory, type TurnView } from '../protocols';

/** A code fence longer than any run of backticks inside `text`, so the text cannot close it. */
function fence(text: string, lang = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return `${f}${lang}\n${text.replace(/\n$/, '')}\n${f}`;
}

export function notepadMarkdown(n: NotepadState): string {
  const parts: string[] = [];
  if (n.todos.length) parts.push('**Todos**\n\n' + n.todos.map((t) => `- [${t.done ? 'x' : ' '}] ${t.text}`).join('\n'));
  if (n.facts.length) parts.push('**Facts**\n\n' + n.facts.map((f) => `- ${f}`).join('\n'));
  if (n.draft.trim()) parts.push('**Draft**\n\n' + n.draft.trim());
  return parts.join('\n\n') || '_(empty)_';
}

/** "## Question" for a one-question session, "## Question 2" in a session with follow-ups. */
export function questionHeading(turn: Pick<TurnView, 'index'>, turns: number): string {
  return turns > 1 ? `## Question ${turn.index}` : '## Question';
}

/** What a question ended with when it has no answer. */
export function turnOutcome(turn: Pick<TurnView, 'status' | 'error'>): string {
  switch (turn.status) {
    case 'max-steps':
      return 'No answer: stopped at the step limit.';
    case 'aborted':
      return 'No answer: stopped.';
    case 'error':
      return `No answer: the run failed${turn.error ? ` (${turn.error.kind}: ${turn.error.message})` : ''}.`;
    default:
      return `No answer yet (${turn.status}).`;
  }
}

export function sessionToMarkdown(trajectory: Trajectory, notepad?: NotepadState, title?: string): string {
  const turns = turnsOf(trajectory);
  const counts = `steps: ${trajectory.steps.length}${turns.length > 1 ? ` · questions: ${turns.length}` : ''}`;
  const out: string[] = [`# ${title || 'L0 session'}`, `Model: \`${trajectory.modelId}\` · status: ${trajectory.status} · ${counts}`];
  for (const turn of turns) {
    out.push(questionHeading(turn, turns.length), turn.question);
    for (const s of turn.steps) {
      out.push(`## Step ${s.index}`);
      if (s.think.trim()) out.push(s.think.trim().split('\n').map((l) => `> ${l}`).join('\n'));
      if (s.code.trim()) out.push(fence(s.code, 'python'));
      const c = s.cell;
      if (c) {
        const text = [c.stdout, c.stderr, c.result ?? '', c.error ? c.error.traceback.join('\n') : ''].filter((t) => t !== '').join('\n');
        out.push(`Output (${c.status}):`, fence(text || '(no output)', 'text'));
      }
    }
    out.push(turns.length > 1 ? `## Answer ${turn.index}` : '## Answer', turn.finalAnswer ?? `_${turnOutcome(turn)}_`);
  }
  if (notepad) out.push('## Notepad', notepadMarkdown(notepad));
  return out.join('\n\n') + '\n';
}

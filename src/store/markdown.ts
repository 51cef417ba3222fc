// A session as a Markdown document, for reading and sharing.
import type { NotepadState, Trajectory } from '../protocols';

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

export function sessionToMarkdown(trajectory: Trajectory, notepad?: NotepadState, title?: string): string {
  const out: string[] = [
    `# ${title || 'L0 session'}`,
    `**Task:** ${trajectory.task}`,
    `Model: \`${trajectory.modelId}\` · status: ${trajectory.status} · steps: ${trajectory.steps.length}`,
  ];
  for (const s of [...trajectory.steps].sort((a, b) => a.index - b.index)) {
    out.push(`## Step ${s.index}`);
    if (s.think.trim()) out.push(s.think.trim().split('\n').map((l) => `> ${l}`).join('\n'));
    if (s.code.trim()) out.push(fence(s.code, 'python'));
    const c = s.cell;
    if (c) {
      const text = [c.stdout, c.stderr, c.result ?? '', c.error ? c.error.traceback.join('\n') : ''].filter((t) => t !== '').join('\n');
      out.push(`Output (${c.status}):`, fence(text || '(no output)', 'text'));
    }
  }
  if (trajectory.finalAnswer !== undefined) out.push('## Final answer', trajectory.finalAnswer);
  if (notepad) out.push('## Notepad', notepadMarkdown(notepad));
  return out.join('\n\n') + '\n';
}

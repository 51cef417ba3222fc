// One agent step as a notebook cell: thinking (streamed, collapsible), code (highlighted),
// output (streamed, truncated with "Show all"), tracebacks, tool calls, timing.
import type { AgentEvent, CellResult, StreamChunk, ToolCallRecord, TrajectoryStep } from '../protocols';
import { h, formatMs } from './dom';
import { highlightPython } from './highlight';

/** Characters of output shown before "Show all". */
export const OUTPUT_PREVIEW_CHARS = 3000;

export interface CellView {
  readonly el: HTMLElement;
  appendThink(delta: string): void;
  appendCode(delta: string): void;
  setCode(code: string, formatErrors: string[]): void;
  appendOutput(chunk: StreamChunk): void;
  setResult(result: CellResult): void;
  addToolCall(call: ToolCallRecord): void;
  finish(step: TrajectoryStep): void;
  /** Marks the cell as stopped (user pressed Stop while it was live). */
  markStopped(): void;
}

export function createCellView(stepNumber: number, maxSteps?: number): CellView {
  const startedAt = performance.now();
  const label = h('span', { class: 'cell-step' }, `Step ${stepNumber}${maxSteps ? ` / ${maxSteps}` : ''}`);
  const status = h('span', { class: 'cell-status', role: 'status' }, 'thinking…');
  const timing = h('span', { class: 'cell-timing' });
  const header = h('div', { class: 'cell-header' }, label, status, timing);

  const thinkText = h('div', { class: 'think-text' });
  const think = h('details', { class: 'cell-think', open: true }, h('summary', {}, 'Thinking'), thinkText);

  const codeEl = h('code', { class: 'language-python' });
  const codeBlock = h('pre', { class: 'cell-code', tabindex: 0, 'aria-label': `Code of step ${stepNumber}` }, codeEl);
  const formatNote = h('div', { class: 'format-errors', hidden: true });

  const tools = h('ul', { class: 'tool-calls', hidden: true, 'aria-label': 'Tool calls' });
  const outputPre = h('pre', { class: 'cell-output', tabindex: 0, 'aria-label': `Output of step ${stepNumber}`, hidden: true });
  const showAll = h('button', { type: 'button', class: 'link-button show-all', hidden: true });
  const traceback = h('pre', { class: 'traceback', hidden: true, role: 'group', 'aria-label': 'Error traceback' });
  const output = h('div', { class: 'cell-output-wrap' }, tools, outputPre, showAll, traceback);

  const el = h('article', { class: 'cell running', 'aria-label': `Step ${stepNumber}` }, header, think, codeBlock, formatNote, output);

  let fullOutput = '';
  let expanded = false;
  let code = '';
  let live = true;

  function renderOutput(): void {
    if (!fullOutput) {
      outputPre.hidden = true;
      showAll.hidden = true;
      return;
    }
    outputPre.hidden = false;
    const cut = !expanded && fullOutput.length > OUTPUT_PREVIEW_CHARS;
    outputPre.textContent = cut ? fullOutput.slice(0, OUTPUT_PREVIEW_CHARS) + '\n…' : fullOutput;
    showAll.hidden = fullOutput.length <= OUTPUT_PREVIEW_CHARS;
    showAll.textContent = expanded ? 'Show less' : `Show all (${fullOutput.length.toLocaleString()} characters)`;
    showAll.setAttribute('aria-expanded', String(expanded));
  }
  showAll.addEventListener('click', () => {
    expanded = !expanded;
    renderOutput();
  });

  function tick(): void {
    if (live) timing.textContent = formatMs(performance.now() - startedAt);
  }
  const timer = setInterval(tick, 250);
  function stopTimer(): void {
    live = false;
    clearInterval(timer);
  }

  function addOutputText(text: string): void {
    fullOutput += text;
    renderOutput();
  }

  return {
    el,
    appendThink(delta) {
      thinkText.textContent += delta;
    },
    appendCode(delta) {
      if (status.textContent === 'thinking…') status.textContent = 'writing code…';
      code += delta;
      codeEl.textContent = code;
    },
    setCode(finalCode, formatErrors) {
      code = finalCode;
      highlightPython(codeEl, finalCode || '# (no code)');
      status.textContent = 'running…';
      if (formatErrors.length) {
        formatNote.hidden = false;
        formatNote.textContent = `Format: ${formatErrors.join('; ')}`;
      }
      // The thinking is long and already read while streaming: fold it once the code is known.
      think.open = false;
    },
    appendOutput(chunk) {
      addOutputText(chunk.text);
    },
    setResult(result) {
      // The streamed text is replaced by the final (possibly truncated) result so reopened sessions look the same.
      let text = result.stdout + result.stderr;
      if (result.result !== undefined) text += (text && !text.endsWith('\n') ? '\n' : '') + result.result;
      fullOutput = text;
      if (result.truncated) fullOutput += '\n[output truncated by the sandbox]';
      renderOutput();
      if (result.error) {
        traceback.hidden = false;
        traceback.textContent = [...result.error.traceback, `${result.error.ename}: ${result.error.evalue}`].join('\n');
      }
      if (result.restarted) addOutputText('\n[Python was restarted: variables were lost]');
      status.textContent = result.status === 'ok' ? 'done' : result.status;
      el.classList.toggle('error', result.status !== 'ok');
    },
    addToolCall(call) {
      tools.hidden = false;
      const args = JSON.stringify(call.args);
      tools.append(h('li', { class: call.ok ? 'ok' : 'failed' }, h('code', {}, `${call.name}(${args.length > 120 ? args.slice(0, 120) + '…' : args})`), ` ${call.ok ? '✓' : '✗ ' + (call.error?.message ?? '')} · ${formatMs(call.durationMs)}`));
    },
    finish(step) {
      stopTimer();
      el.classList.remove('running');
      if (!step.cell) status.textContent = step.finishReason === 'abort' ? 'stopped' : 'no code ran';
      timing.textContent = `generate ${formatMs(step.timings.generateMs)} · run ${formatMs(step.timings.cellMs)}`;
    },
    markStopped() {
      if (!live) return;
      stopTimer();
      el.classList.remove('running');
      status.textContent = 'stopped';
    },
  };
}

/** Renders a saved step (a reopened session) as a finished cell. */
export function renderSavedStep(step: TrajectoryStep, maxSteps?: number): CellView {
  const view = createCellView(step.index, maxSteps);
  view.appendThink(step.think);
  view.setCode(step.code, step.formatErrors);
  for (const call of step.cell?.toolCalls ?? []) view.addToolCall(call);
  if (step.cell) view.setResult(step.cell);
  view.finish(step);
  return view;
}

/**
 * Applies the agent events that belong to one step's cell (streamed thinking and code, output,
 * tool calls, the finished step) to the cell `cellFor(step)` returns. Shared by the notebook page
 * and the embed widget. Returns false for every other event, which the caller handles.
 */
export function applyCellEvent(cellFor: (step: number) => CellView, ev: AgentEvent): boolean {
  switch (ev.type) {
    case 'think':
      cellFor(ev.step).appendThink(ev.delta);
      return true;
    case 'code-delta':
      cellFor(ev.step).appendCode(ev.delta);
      return true;
    case 'code':
      cellFor(ev.step).setCode(ev.code, ev.formatErrors);
      return true;
    case 'cell-output':
      if (ev.chunk) cellFor(ev.step).appendOutput(ev.chunk);
      if (ev.result) cellFor(ev.step).setResult(ev.result);
      return true;
    case 'tool-call':
      cellFor(ev.step).addToolCall(ev.call);
      return true;
    case 'step-end':
      cellFor(ev.step).finish(ev.record);
      return true;
    default:
      return false;
  }
}

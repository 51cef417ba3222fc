// One agent step as a notebook cell: thinking (streamed, collapsible), code (highlighted),
// packages loading, output (streamed, truncated with "Show all"), rich outputs (rich-output.ts),
// tracebacks, tool calls, timing and token figures, Copy buttons, and (when the view offers them)
// "Run this cell again" and "Re-run from this step". All of it is model-written, rendered as text
// (never HTML) or through the sanitiser, and bounded.
import { cellText } from '../app/cell-text';
import { stepStats } from '../app/labels';
import type { AgentEvent, CellResult, PackageProgress, StreamChunk, ToolCallRecord, TrajectoryStep } from '../protocols';
import { h, formatMs } from './dom';
import { CELL_BATCH, HIGHLIGHT_MAX_CHARS, ITEM_PREVIEW_CHARS, TEXT_PREVIEW_CHARS } from './display-limits';
import { highlightPython } from './highlight';
import { copyButton } from './copy-button';
import { createLongText, measureRender, nextTask, safely } from './long-content';
import { renderRichOutputs } from './rich-output';

/** Characters of output shown before "Show all". */
const OUTPUT_PREVIEW_CHARS = 3000;

export interface CellView {
  readonly el: HTMLElement;
  appendThink(delta: string): void;
  appendCode(delta: string): void;
  setCode(code: string, formatErrors: string[]): void;
  appendOutput(chunk: StreamChunk): void;
  /** A package the cell imports is loading (or failed to). */
  setPackage(progress: PackageProgress): void;
  setResult(result: CellResult): void;
  addToolCall(call: ToolCallRecord): void;
  finish(step: TrajectoryStep): void;
  /** Marks the cell as stopped (user pressed Stop while it was live). */
  markStopped(): void;
  /** The cell's code runs again: a new run (with `result` undefined) or its streamed output or result. */
  showRerun(chunk?: StreamChunk, result?: CellResult): void;
  /** While the app is busy (a run), the step actions wait. */
  setBusy(busy: boolean): void;
}

/** What a finished cell offers besides copying (the view decides: the widget has no sessions to fork). */
export interface CellActions {
  rerunCell?(step: number): void;
  rerunFrom?(step: number): void;
  /** True while a run goes on (actions are disabled then). */
  busy(): boolean;
}

export function createCellView(stepNumber: number, maxSteps?: number, actions?: CellActions): CellView {
  const startedAt = performance.now();
  const label = h('span', { class: 'cell-step' }, `Step ${stepNumber}${maxSteps ? ` / ${maxSteps}` : ''}`);
  const status = h('span', { class: 'cell-status', role: 'status' }, 'thinking…');
  const timing = h('span', { class: 'cell-timing' });
  const header = h('div', { class: 'cell-header' }, label, status, timing);

  const thinkText = h('div', { class: 'think-text' });
  const thinkMore = showAllButton();
  const think = h('details', { class: 'cell-think', open: true }, h('summary', {}, 'Thinking'), thinkText, thinkMore);

  const codeEl = h('code', { class: 'language-python' });
  // Shown once code arrives: a cell that is still thinking has no empty code box.
  const codeBlock = h('pre', { class: 'cell-code', tabindex: 0, 'aria-label': `Code of step ${stepNumber}`, hidden: true }, codeEl);
  const codeMore = showAllButton();
  const formatNote = h('div', { class: 'format-errors', hidden: true });

  const tools = h('ul', { class: 'tool-calls', hidden: true, 'aria-label': 'Tool calls' });
  const packageLine = h('p', { class: 'cell-packages', role: 'status', hidden: true });
  const rich = h('div', { class: 'cell-rich', hidden: true });
  const outputPre = h('pre', { class: 'cell-output', tabindex: 0, 'aria-label': `Output of step ${stepNumber}`, hidden: true });
  const showAll = showAllButton();
  const traceback = h('pre', { class: 'traceback', hidden: true, role: 'group', 'aria-label': 'Error traceback' });
  const tracebackMore = showAllButton();
  const output = h('div', { class: 'cell-output-wrap' }, packageLine, tools, outputPre, showAll, rich, traceback, tracebackMore);

  const stats = h('p', { class: 'cell-stats', hidden: true });
  // The output of "Run this cell again", made on the first re-run (a cell has one output box until then).
  let rerun: ReturnType<typeof createRerunBox> | undefined;
  const stepButtons: HTMLButtonElement[] = [];
  const stepButton = (text: string, run: (step: number) => void) => {
    const b = h('button', { type: 'button', class: 'small-button step-action', onclick: () => run(stepNumber) }, text);
    stepButtons.push(b);
    return b;
  };
  const copyOutput = copyButton('Copy output', () => [outputView.text, tracebackView.text].filter(Boolean).join('\n'));
  const actionRow = h(
    'div',
    { class: 'cell-actions', hidden: true },
    copyButton('Copy code', () => fullCode),
    copyOutput,
    actions?.rerunCell ? stepButton('Run this cell again', actions.rerunCell) : null,
    actions?.rerunFrom ? stepButton('Re-run from this step', actions.rerunFrom) : null,
  );

  const el = h('article', { class: 'cell running', 'aria-label': `Step ${stepNumber}` }, header, stats, think, codeBlock, codeMore, formatNote, output, actionRow);

  // Everything here is model-written: texts are cut at a preview with "Show all" (long-content.ts),
  // streamed deltas cost O(delta), and no method throws (a failed render must not end the run's view).
  const thinkView = createLongText({ container: thinkText, button: thinkMore, preview: TEXT_PREVIEW_CHARS });
  const codeView = createLongText({ container: codeEl, button: codeMore, preview: TEXT_PREVIEW_CHARS });
  const outputView = createLongText({ container: outputPre, button: showAll, preview: OUTPUT_PREVIEW_CHARS });
  const tracebackView = createLongText({ container: traceback, button: tracebackMore, preview: TEXT_PREVIEW_CHARS });
  let live = true;
  /** The latest line per package, in the order they started. */
  const packages = new Map<string, PackageProgress>();
  const showPackages = (only?: (p: PackageProgress) => boolean) => {
    const lines = [...packages.values()].filter((p) => !only || only(p)).map((p) => clip(String(p.message ?? ''), 300));
    packageLine.hidden = lines.length === 0;
    packageLine.textContent = lines.join(' · ');
  };
  let fullCode = '';

  // The output box follows its newest line while the reader is at its bottom; scrolling up in it
  // stops that until they scroll back down. Scroll events say where the reader is, so a streamed
  // chunk costs no layout read; the scroll itself, and one height read, wait for the next frame.
  // A scroll event is dispatched a frame after the scroll, and lines that arrive in between make the
  // box taller: judged against the current height, a reader who reached the bottom (or our own
  // scroll to it) would look "above the bottom" and following would stop for good. So "at the
  // bottom" is judged against the height the box had at the last frame, unless the reader moved up.
  let followOutput = true;
  let followFrame = 0;
  let heightAtLastFrame = 0;
  let lastScrollTop = 0;
  outputPre.addEventListener('scroll', () => {
    const top = outputPre.scrollTop;
    const movedUp = top < lastScrollTop;
    lastScrollTop = top;
    const height = movedUp ? outputPre.scrollHeight : Math.min(heightAtLastFrame, outputPre.scrollHeight);
    followOutput = height - top - outputPre.clientHeight < 8;
  });
  function followNewest(): void {
    if (followFrame) return;
    followFrame = requestAnimationFrame(() => {
      followFrame = 0;
      if (followOutput) outputPre.scrollTop = outputPre.scrollHeight;
      heightAtLastFrame = outputPre.scrollHeight;
    });
  }

  function setOutput(text: string): void {
    outputPre.hidden = !text;
    outputView.set(text);
    followNewest();
  }

  function tick(): void {
    if (live) timing.textContent = formatMs(performance.now() - startedAt);
  }
  const timer = setInterval(tick, 250);
  function stopTimer(): void {
    live = false;
    clearInterval(timer);
  }
  const ignore = () => undefined;

  return {
    el,
    appendThink(delta) {
      safely(() => thinkView.append(delta), ignore);
    },
    appendCode(delta) {
      if (status.textContent === 'thinking…') status.textContent = 'writing code…';
      codeBlock.hidden = false;
      safely(() => codeView.append(delta), ignore);
    },
    setCode(finalCode, formatErrors) {
      status.textContent = 'running…';
      codeBlock.hidden = false;
      fullCode = String(finalCode ?? '');
      const code = finalCode || '# (no code)';
      safely(
        () => {
          if (code.length > HIGHLIGHT_MAX_CHARS) codeView.set(code);
          else {
            codeView.set('');
            highlightPython(codeEl, code);
          }
        },
        () => codeView.set(code),
      );
      if (formatErrors.length) {
        formatNote.hidden = false;
        formatNote.textContent = clip(`Format: ${formatErrors.join('; ')}`, ITEM_PREVIEW_CHARS);
      }
      // The thinking is long and already read while streaming: fold it once the code is known.
      think.open = false;
    },
    appendOutput(chunk) {
      outputPre.hidden = false;
      safely(() => outputView.append(chunk.text), ignore);
      followNewest();
    },
    setPackage(progress) {
      safely(() => {
        packages.set(String(progress.name ?? ''), progress);
        showPackages();
        if (status.textContent === 'running…' || status.textContent === 'loading packages…') status.textContent = progress.phase === 'ready' || progress.phase === 'failed' ? 'running…' : 'loading packages…';
      }, ignore);
    },
    setResult(result) {
      safely(() => {
        // The streamed text gives way to the final (possibly truncated) result, so a reopened
        // session looks the same; a stopped cell keeps what it printed, and the error is said once.
        const shown = cellText(result, outputView.text);
        setOutput(shown.output);
        const outputs = Array.isArray(result.outputs) ? result.outputs : [];
        showPackages((p) => p.phase === 'failed');
        rich.hidden = outputs.length === 0;
        rich.replaceChildren(...renderRichOutputs(outputs));
        if (shown.traceback !== undefined) {
          traceback.hidden = false;
          tracebackView.set(shown.traceback);
        }
      }, ignore);
      status.textContent = result.status === 'ok' ? 'done' : String(result.status);
      el.classList.toggle('error', result.status !== 'ok');
    },
    addToolCall(call) {
      safely(() => {
        tools.hidden = false;
        const args = clip(JSON.stringify(call.args) ?? '', 120);
        tools.append(h('li', { class: call.ok ? 'ok' : 'failed' }, h('code', {}, `${clip(String(call.name), 80)}(${args})`), ` ${call.ok ? '✓' : '✗ ' + clip(String(call.error?.message ?? ''), 300)} · ${formatMs(call.durationMs)}`));
      }, ignore);
    },
    finish(step) {
      stopTimer();
      el.classList.remove('running');
      if (!step.cell) status.textContent = step.finishReason === 'abort' ? 'stopped' : 'no code ran';
      timing.textContent = `generate ${formatMs(step.timings?.generateMs ?? 0)} · run ${formatMs(step.timings?.cellMs ?? 0)}`;
      safely(() => {
        const figures = stepStats(step);
        stats.hidden = !figures;
        stats.textContent = figures ?? '';
      }, ignore);
      // A finished step can be copied, and run again or forked when it has code.
      actionRow.hidden = false;
      copyOutput.hidden = !outputView.text && !tracebackView.text;
      for (const b of stepButtons) {
        b.hidden = !fullCode.trim();
        b.disabled = actions?.busy() ?? false;
      }
    },
    showRerun(chunk, result) {
      safely(() => {
        if (!rerun) actionRow.before((rerun = createRerunBox(stepNumber)).el);
        rerun.show(chunk, result);
      }, ignore);
    },
    setBusy(busy) {
      for (const b of stepButtons) b.disabled = busy;
    },
    markStopped() {
      if (!live) return;
      stopTimer();
      el.classList.remove('running');
      status.textContent = 'stopped';
    },
  };
}

function showAllButton(): HTMLButtonElement {
  return h('button', { type: 'button', class: 'link-button show-all', hidden: true });
}

/** The output of a step's cell run again: streamed, then its result (error line once), with its status. */
function createRerunBox(stepNumber: number) {
  const pre = h('pre', { class: 'cell-output rerun-output', tabindex: 0, 'aria-label': `Output of step ${stepNumber}, run again` });
  const more = showAllButton();
  const traceback = h('pre', { class: 'traceback', hidden: true, role: 'group', 'aria-label': 'Error traceback of the run again' });
  const tracebackMore = showAllButton();
  const status = h('span', { class: 'rerun-status' });
  const el = h(
    'section',
    { class: 'cell-rerun', 'aria-label': `Step ${stepNumber} run again` },
    h('p', { class: 'rerun-head' }, h('strong', {}, 'Ran again '), status, h('span', { class: 'hint' }, ' · in the live Python, not shown to the model')),
    pre,
    more,
    traceback,
    tracebackMore,
  );
  const output = createLongText({ container: pre, button: more, preview: OUTPUT_PREVIEW_CHARS });
  const tracebackView = createLongText({ container: traceback, button: tracebackMore, preview: TEXT_PREVIEW_CHARS });
  return {
    el,
    /** A new run (neither given), a streamed chunk, or the result. */
    show(chunk?: StreamChunk, result?: CellResult): void {
      if (!chunk && !result) {
        status.textContent = 'running…';
        output.set('');
        traceback.hidden = true;
      }
      if (chunk) output.append(chunk.text);
      if (result) {
        const shown = cellText(result, output.text);
        output.set(shown.output);
        traceback.hidden = shown.traceback === undefined;
        tracebackView.set(shown.traceback ?? '');
        status.textContent = result.status === 'ok' ? `done in ${formatMs(result.durationMs)}` : String(result.status);
      }
      pre.hidden = !output.text;
    },
  };
}

function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) + '…' : text;
}

/** Renders a saved step (a reopened session) as a finished cell. */
function renderSavedStep(step: TrajectoryStep, maxSteps?: number, actions?: CellActions): CellView {
  const view = createCellView(step.index, maxSteps, actions);
  view.appendThink(String(step.think ?? ''));
  view.setCode(String(step.code ?? ''), Array.isArray(step.formatErrors) ? step.formatErrors : []);
  for (const call of (step.cell?.toolCalls ?? []).slice(0, MAX_TOOL_CALLS_SHOWN)) view.addToolCall(call);
  if (step.cell) view.setResult(step.cell);
  view.finish(step);
  return view;
}

/** Tool calls listed per saved cell (the gateway caps them per cell far below this). */
const MAX_TOOL_CALLS_SHOWN = 200;

/**
 * Renders the saved steps of a reopened session into `container`: the first CELL_BATCH at once,
 * the rest CELL_BATCH per task (so a session of any length opens without freezing the page), in
 * order, before an anchor that stays in place so cells of a resumed run follow them. Stops when
 * the container is cleared. `onCell` receives each view as it is made.
 */
export function renderSavedSteps(container: HTMLElement, steps: readonly TrajectoryStep[], maxSteps: number | undefined, onCell: (step: TrajectoryStep, view: CellView) => void, actions?: CellActions): void {
  const start = performance.now();
  const anchor = document.createComment('saved cells');
  container.append(anchor);
  const renderBatch = (from: number): number => {
    const end = Math.min(steps.length, from + CELL_BATCH);
    const els: HTMLElement[] = [];
    for (let i = from; i < end; i++) {
      const step = steps[i]!;
      let view: CellView | undefined;
      safely(() => (view = renderSavedStep(step, maxSteps, actions)), () => els.push(h('p', { class: 'render-note' }, `Step ${i + 1} could not be shown.`)));
      if (!view) continue;
      onCell(step, view);
      els.push(view.el);
    }
    anchor.before(...els);
    return end;
  };
  void (async () => {
    let done = renderBatch(0);
    while (done < steps.length) {
      await nextTask();
      if (anchor.parentNode !== container) return; // the notebook was cleared or replaced
      done = renderBatch(done);
    }
    anchor.remove();
    measureRender('cells', start, { cells: steps.length });
  })();
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
      if (ev.package) cellFor(ev.step).setPackage(ev.package);
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

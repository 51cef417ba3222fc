/**
 * The browser eval page (eval.html): load a QA JSONL file, pick an engine (WebLLM, an
 * OpenAI-compatible server, or a replay), run the real agent over it with live progress, inspect
 * each question's steps, export results and RL trajectories as JSONL.
 */
import './page.css';
import { DEFAULT_CONTEXT_WINDOW } from '../agent/index';
import { createEngine, eocMarkerOfSpec, parseEngineSpec } from '../llm/index';
import type { LLM } from '../protocols';
import { parseDataset, type EvalItem } from './dataset';
import { l0Budgets, l0TaskText, L0_EVAL_DEFAULTS } from './protocol';
import { exportRLJsonl } from './rl-export';
import { runEval, type EvalRecord, type ToolMode } from './runner';
import { formatSummaryTable, summarize } from './summary';

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function field(label: string, input: HTMLElement, wide = false): HTMLLabelElement {
  return el('label', { className: wide ? 'wide' : '' }, label, input);
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/x-ndjson' }));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const DEFAULT_SPEC = 'engine=openai&baseUrl=http://localhost:8000/v1&model=L0-4B';

function drillDown(r: EvalRecord): HTMLElement {
  const box = el('div', { className: 'drill' });
  box.append(el('p', {}, `Gold: ${r.golds.join(' | ')} · reward ${r.reward.total.toFixed(3)} (QA ${r.reward.qa.toFixed(2)}, format ${r.reward.format.toFixed(2)}, code ${r.reward.codeExecution.toFixed(2)}) · ${r.tokens.prompt}+${r.tokens.completion} tokens · ${(r.timeMs / 1000).toFixed(1)} s`));
  if (r.error) box.append(el('p', {}, `Error (${r.error.kind}): ${r.error.message}`));
  for (const s of r.trajectory.steps) {
    box.append(el('h4', {}, `Step ${s.index}`), el('pre', { className: 'think' }, s.think || '(no think)'), el('pre', { className: 'code' }, s.code || '(no code)'), el('pre', { className: 'observation' }, s.observation));
  }
  return box;
}

function mount(root: HTMLElement): void {
  const params = new URLSearchParams(location.search);
  const file = el('input', { type: 'file', accept: '.jsonl,.ndjson,application/x-ndjson', name: 'dataset' });
  const spec = el('input', { type: 'text', name: 'engine', value: params.has('engine') ? params.toString() : DEFAULT_SPEC, spellcheck: false });
  const apiKey = el('input', { type: 'password', name: 'apiKey', autocomplete: 'off', placeholder: 'kept in memory only' });
  const tools = el(
    'select',
    { name: 'tools' },
    el('option', { value: 'corpus', textContent: 'Paragraphs (L0 tool names)', title: "Each question's own paragraphs, offline, as web_search / get_webpage_in_markdown" }),
    el('option', { value: 'app-corpus', textContent: 'Paragraphs (search_corpus)', title: "Each question's own paragraphs, offline, as search_corpus / read_document" }),
    el('option', { value: 'wikipedia', textContent: 'Wikipedia web tools' }),
  );
  const limit = el('input', { type: 'number', name: 'limit', min: '1', placeholder: 'all' });
  const concurrency = el('input', { type: 'number', name: 'concurrency', min: '1', value: '1' });
  const maxSteps = el('input', { type: 'number', name: 'maxSteps', min: '1', value: '10' });
  const form = el(
    'form',
    { className: 'eval-form' },
    field('Dataset (JSONL: id, question, answers)', file),
    field('Engine (e.g. engine=webllm&model=L0-4B-q4f16_1-MLC)', spec, true),
    field('API key (OpenAI-compatible servers)', apiKey),
    field('Tools', tools),
    field('Limit', limit),
    field('Parallel questions', concurrency),
    field('Max steps', maxSteps),
  );
  const run = el('button', { type: 'button', textContent: 'Run' });
  const stop = el('button', { type: 'button', textContent: 'Stop', disabled: true });
  const exportResults = el('button', { type: 'button', textContent: 'Export results JSONL', disabled: true });
  const exportRL = el('button', { type: 'button', textContent: 'Export RL JSONL', disabled: true });
  const status = el('p', { className: 'status', role: 'status' }, 'Choose a dataset file.');
  const progress = el('progress', { max: 1, value: 0 });
  const summary = el('pre', { className: 'summary' });
  const tbody = el('tbody');
  const table = el(
    'table',
    { className: 'results' },
    el('thead', {}, el('tr', {}, ...['#', 'Question', 'Answer', 'Gold', 'EM', 'F1', 'Steps', 'Status'].map((h) => el('th', { scope: 'col' }, h)))),
    tbody,
  );
  root.append(el('h1', {}, 'L0 eval'), form, el('div', { className: 'actions' }, run, stop, exportResults, exportRL), status, progress, summary, table);

  let items: EvalItem[] = [];
  let records: EvalRecord[] = [];
  let controller: AbortController | undefined;

  const setStatus = (text: string, kind: 'info' | 'error' = 'info') => {
    status.textContent = text;
    status.dataset.kind = kind;
  };

  file.addEventListener('change', () => void loadDataset());
  async function loadDataset(): Promise<void> {
    const f = file.files?.[0];
    if (!f) return;
    try {
      items = parseDataset(await f.text(), f.name.replace(/\.[^.]+$/, ''));
      tools.value = items.every((i) => i.context) ? 'corpus' : 'wikipedia';
      setStatus(`${items.length} questions loaded from ${f.name}.`);
    } catch (e) {
      items = [];
      setStatus(`Could not read ${f.name}: ${(e as Error).message}`, 'error');
    }
  }

  function addRow(r: EvalRecord, n: number): void {
    const row = el(
      'tr',
      { className: `result ${r.em ? 'ok' : ''}`, tabIndex: 0 },
      el('td', { className: 'num' }, String(n)),
      el('td', {}, r.question),
      el('td', { className: 'answer' }, r.answer ?? '—'),
      el('td', {}, r.golds.join(' | ')),
      el('td', { className: 'num em' }, String(r.em)),
      el('td', { className: 'num' }, r.f1.toFixed(2)),
      el('td', { className: 'num' }, String(r.steps)),
      el('td', {}, r.status === 'error' ? `error: ${r.error?.kind}` : r.status),
    );
    let detail: HTMLTableRowElement | undefined;
    const toggle = () => {
      if (detail) {
        detail.remove();
        detail = undefined;
      } else {
        detail = el('tr', { className: 'detail' }, el('td', { colSpan: 8 }, drillDown(r)));
        row.after(detail);
      }
      row.setAttribute('aria-expanded', String(!!detail));
    };
    row.addEventListener('click', toggle);
    row.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        toggle();
      }
    });
    tbody.append(row);
  }

  run.addEventListener('click', () => void runQuestions());
  async function runQuestions(): Promise<void> {
    if (!items.length) return setStatus('Choose a dataset file first.', 'error');
    const parsed = parseEngineSpec(spec.value.trim());
    if (!parsed) return setStatus('Give an engine, e.g. engine=openai&baseUrl=http://localhost:8000/v1&model=L0-4B.', 'error');
    if (!parsed.ok) return setStatus(parsed.error.message, 'error');
    const engineSpec = parsed.spec.kind === 'openai' && apiKey.value ? { ...parsed.spec, apiKey: apiKey.value } : parsed.spec;
    const chosen = limit.value ? items.slice(0, Number(limit.value)) : items;
    controller = new AbortController();
    records = [];
    tbody.replaceChildren();
    summary.textContent = '';
    run.disabled = true;
    stop.disabled = false;
    exportResults.disabled = exportRL.disabled = true;
    progress.max = chosen.length;
    progress.value = 0;
    try {
      setStatus('Loading the model…');
      const llm: LLM = await createEngine(engineSpec, { signal: controller.signal, onProgress: (p) => setStatus(p.message) });
      setStatus(`Running ${chosen.length} questions with ${llm.id}…`);
      // L0's protocol (protocol.ts), with the budgets the engine's context window allows.
      await runEval({
        items: chosen,
        llmFor: () => llm,
        tools: tools.value as ToolMode,
        taskText: (item) => l0TaskText(item.question, item.dataset),
        ...l0Budgets(llm.contextWindow ?? DEFAULT_CONTEXT_WINDOW),
        topP: L0_EVAL_DEFAULTS.topP,
        eocMarker: eocMarkerOfSpec(engineSpec),
        concurrency: Number(concurrency.value) || 1,
        maxSteps: Number(maxSteps.value) || L0_EVAL_DEFAULTS.maxSteps,
        signal: controller.signal,
        onRecord: (r) => {
          records.push(r);
          addRow(r, records.length);
          progress.value = records.length;
          const em = records.reduce((a, x) => a + x.em, 0) / records.length;
          setStatus(`${records.length} of ${chosen.length} done · EM ${(100 * em).toFixed(1)}`);
        },
      });
      summary.textContent = formatSummaryTable(summarize(records));
      setStatus(controller.signal.aborted ? `Stopped: ${records.length} of ${chosen.length} done.` : `Done: ${records.length} questions.`);
    } catch (e) {
      setStatus(`Failed: ${(e as Error).message}`, 'error');
    } finally {
      run.disabled = false;
      stop.disabled = true;
      exportResults.disabled = exportRL.disabled = records.length === 0;
    }
  }

  stop.addEventListener('click', () => controller?.abort());
  exportResults.addEventListener('click', () => download('results.jsonl', records.map((r) => `${JSON.stringify(r)}\n`).join('')));
  exportRL.addEventListener('click', () => download('rl.jsonl', exportRLJsonl(records.map((r) => ({ trajectory: r.trajectory, golds: r.golds, id: r.id, sample: r.sample })))));
}

mount(document.getElementById('eval-app')!);

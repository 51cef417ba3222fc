// The Files panel (beside the notepad on the page, a section of the widget): the session's
// /workspace after every cell, with each file's size and change time, a Download button and, for
// text files, an inline preview. File names and contents are written by the model: names are text
// nodes; previews go through the bounded renderers (long-content.ts, and the one sanitiser via
// markdown.ts for Markdown), read at most PREVIEW_BYTES. Downloads are Blobs typed
// application/octet-stream behind a temporary object URL with a `download` name: the browser saves
// them and never renders them.
import type { FileEntry } from '../app/index';
import { toErrorData, type ErrorData } from '../protocols';
import { formatFileSize } from '../protocols';
import { TEXT_PREVIEW_CHARS } from './display-limits';
import { h, setChildren, uid } from './dom';
import { createLongList, longTextBlock, safely } from './long-content';
import { renderMarkdown } from './markdown';

/** How much of a file a preview reads. */
const PREVIEW_BYTES = 256 * 1024;
const TEXT_FILE = /\.(csv|tsv|txt|text|md|markdown|json|jsonl|ndjson|log|xml|ya?ml|toml|ini|cfg|py|sql|tex|rst|html?|css|js|ts)$/i;
const MARKDOWN_FILE = /\.(md|markdown)$/i;
const JSON_FILE = /\.json$/i;

export interface FilesPanelOptions {
  /** The file's bytes (from Python, or the copy saved with the session). */
  read(name: string): Promise<Blob>;
  onError(error: ErrorData): void;
}

export interface FilesPanel {
  readonly el: HTMLElement;
  update(files: readonly FileEntry[]): void;
}

const isTextFile = (name: string): boolean => TEXT_FILE.test(name);
const baseName = (name: string): string => name.split('/').pop() || 'file';

function changedAt(mtime: number): HTMLElement {
  const d = new Date(mtime);
  const sameDay = d.toDateString() === new Date().toDateString();
  const text = sameDay ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
  return h('time', { datetime: Number.isFinite(mtime) ? d.toISOString() : '' }, Number.isFinite(mtime) ? text : '?');
}

/** Saves a Blob under `name` through a temporary link (inside `host`, so it works in a shadow root). */
function downloadBlob(host: HTMLElement, blob: Blob, name: string): void {
  const url = URL.createObjectURL(new Blob([blob], { type: 'application/octet-stream' }));
  const a = h('a', { href: url, download: baseName(name), hidden: true });
  host.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/** Renders the head of a text file into `target`: Markdown sanitised, JSON indented, the rest as text. */
async function renderPreview(target: HTMLElement, name: string, blob: Blob): Promise<void> {
  const head = blob.size > PREVIEW_BYTES ? blob.slice(0, PREVIEW_BYTES) : blob;
  const bytes = new Uint8Array(await head.arrayBuffer());
  let text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const cut = blob.size > PREVIEW_BYTES;
  const parts: Node[] = [];
  if (cut) parts.push(h('p', { class: 'render-note' }, `The first ${formatFileSize(PREVIEW_BYTES)} of ${formatFileSize(blob.size)}; download the file for the rest.`));
  if (MARKDOWN_FILE.test(name)) {
    const body = h('div', { class: 'markdown file-markdown' });
    renderMarkdown(body, text);
    parts.push(body);
  } else {
    if (JSON_FILE.test(name) && !cut) {
      try {
        text = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        // not valid JSON: shown as it is
      }
    }
    parts.push(longTextBlock(text, TEXT_PREVIEW_CHARS, 'plain-text file-text'));
  }
  target.replaceChildren(...parts);
}

export function createFilesPanel(options: FilesPanelOptions): FilesPanel {
  const headingId = uid('files-heading');
  const count = h('span', { class: 'muted small files-count' });
  const empty = h('p', { class: 'muted files-empty' }, 'Files you attach and files the agent saves in /workspace show here, to download.');
  const list = h('div', { class: 'long-list files-list' });
  const more = h('button', { type: 'button', class: 'link-button show-all', hidden: true });
  const el = h('section', { class: 'panel files-panel', 'aria-labelledby': headingId }, h('h2', { id: headingId }, 'Files ', count), empty, list, more);
  /** Which previews are open (by name), so an update after a cell keeps them open. */
  const open = new Set<string>();

  async function download(f: FileEntry, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      downloadBlob(el, await options.read(f.name), f.name);
    } catch (e) {
      options.onError({ ...toErrorData(e, 'file'), message: `${f.name} could not be downloaded: ${toErrorData(e, 'file').message}` });
    } finally {
      button.disabled = false;
    }
  }

  async function togglePreview(f: FileEntry, button: HTMLButtonElement, region: HTMLElement): Promise<void> {
    const show = region.hidden;
    region.hidden = !show;
    // The label stays "Preview" (its accessible name holds the visible text); aria-expanded says whether it shows.
    button.setAttribute('aria-expanded', String(show));
    if (!show) {
      open.delete(f.name);
      region.replaceChildren();
      return;
    }
    open.add(f.name);
    region.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    try {
      await renderPreview(region, f.name, await options.read(f.name));
    } catch (e) {
      region.replaceChildren(h('p', { class: 'muted' }, `No preview: ${toErrorData(e, 'file').message}`));
    }
  }

  function row(f: FileEntry): HTMLElement {
    const previewId = uid('file-preview');
    const buttons: HTMLElement[] = [];
    const region = h('div', { id: previewId, class: 'file-preview', role: 'region', 'aria-label': `Preview of ${f.name}`, hidden: true });
    if (f.available) {
      const dl = h('button', { type: 'button', class: 'small-button file-download', 'aria-label': `Download ${f.name}` }, 'Download');
      dl.addEventListener('click', () => void download(f, dl));
      buttons.push(dl);
      if (isTextFile(f.name)) {
        const pv = h('button', { type: 'button', class: 'small-button file-preview-toggle', 'aria-expanded': 'false', 'aria-controls': previewId, 'aria-label': `Preview ${f.name}` }, 'Preview');
        pv.addEventListener('click', () => void togglePreview(f, pv, region));
        buttons.push(pv);
        if (open.has(f.name)) queueMicrotask(() => void togglePreview(f, pv, region));
      }
    }
    return h(
      'li',
      { class: `file-item${f.available ? '' : ' unavailable'}`, 'data-file': f.name },
      h('div', { class: 'file-name' }, f.name),
      h('div', { class: 'file-meta' }, formatFileSize(f.size), ' · ', changedAt(f.mtime), f.origin === 'attached' ? ' · attached' : ''),
      f.note ? h('div', { class: 'file-note' }, f.note) : null,
      buttons.length ? h('div', { class: 'file-actions' }, buttons) : null,
      region,
    );
  }

  const items = createLongList<FileEntry>({
    container: list,
    listClass: 'files',
    label: 'Files in /workspace',
    button: more,
    noun: 'files',
    render: row,
    empty: () => h('li', { class: 'muted empty-item', hidden: true }),
    same: (a, b) => a.name === b.name && a.size === b.size && a.mtime === b.mtime && a.saved === b.saved && a.available === b.available && a.note === b.note,
  });

  return {
    el,
    update(files) {
      for (const name of [...open]) if (!files.some((f) => f.name === name)) open.delete(name);
      empty.hidden = files.length > 0;
      setChildren(count, files.length ? `(${files.length})` : '');
      safely(
        () => items.set(files),
        () => list.replaceChildren(h('p', { class: 'muted' }, 'The files could not be shown.')),
      );
    },
  };
}

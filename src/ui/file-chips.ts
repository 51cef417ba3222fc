// Files on questions, shared by the page and the widget: the "Attach files" control (a file input
// with that accessible name, styled as a button) with the files waiting for the next question as
// removable chips, read-only chips for the files a question was asked with, and file drops and
// pastes onto an element. File names are user text: always text nodes, never markup.
import type { AttachableFile, PendingAttachment } from '../app/index';
import type { TurnAttachment } from '../protocols';
import { formatFileSize } from '../protocols';
import { h, setChildren, uid } from './dom';

/** Read-only chips of a question's files ("data.csv · 1.2 KB"), in a labelled list. */
export function fileChips(files: readonly Pick<TurnAttachment, 'name' | 'size'>[], label = 'Attached files'): HTMLElement {
  return h(
    'ul',
    { class: 'file-chips', 'aria-label': label },
    files.map((f) => h('li', { class: 'file-chip', title: String(f.name) }, h('span', { class: 'file-chip-name' }, String(f.name)), h('span', { class: 'file-chip-size' }, formatFileSize(Number(f.size))))),
  );
}

export interface AttachControl {
  /** The button and the chips of the files waiting for the next question. */
  readonly el: HTMLElement;
  update(pending: readonly PendingAttachment[]): void;
  /** Greys the control out while files cannot be taken (never hidden: the chips stay readable). */
  setDisabled(disabled: boolean): void;
}

export interface AttachControlOptions {
  attach(files: AttachableFile[]): void;
  remove(name: string): void;
}

/**
 * A visually hidden `<input type=file multiple>` named "Attach files" by its `<label>`, which looks
 * like a button: keyboard users tab to the input (its focus ring shows on the label) and press
 * Enter or Space; the chips after it list the pending files, each with a Remove button.
 */
export function createAttachControl(options: AttachControlOptions): AttachControl {
  const id = uid('attach');
  const input = h('input', { id, type: 'file', multiple: true, class: 'attach-input visually-hidden' });
  const label = h('label', { for: id, class: 'attach-button' }, 'Attach files');
  const chips = h('ul', { class: 'file-chips pending-files', 'aria-label': 'Files for the next question', hidden: true });
  const el = h('div', { class: 'attach-row' }, input, label, chips);
  input.addEventListener('change', () => {
    const files = [...(input.files ?? [])];
    input.value = ''; // the same file can be picked again after it was removed
    if (files.length) options.attach(files);
  });
  let shown: readonly PendingAttachment[] = [];
  return {
    el,
    update(pending) {
      if (pending === shown) return;
      shown = pending;
      chips.hidden = pending.length === 0;
      setChildren(
        chips,
        pending.map((p) =>
          h(
            'li',
            { class: 'file-chip', title: p.name },
            h('span', { class: 'file-chip-name' }, p.name),
            h('span', { class: 'file-chip-size' }, formatFileSize(p.size)),
            h('button', { type: 'button', class: 'file-chip-remove', 'aria-label': `Remove ${p.name}`, onclick: () => options.remove(p.name) }, '×'),
          ),
        ),
      );
    },
    setDisabled(disabled) {
      input.disabled = disabled;
      label.classList.toggle('disabled', disabled);
    },
  };
}

const hasFiles = (e: DragEvent): boolean => [...(e.dataTransfer?.types ?? [])].includes('Files');

/**
 * Files dropped onto `target`, or pasted while focus is inside it, go to `attach`; while files are
 * dragged over it, `target` has the class `drop-target` (the view shows "Drop files to attach").
 * Text drops and pastes are left alone.
 */
export function acceptFileDrops(target: HTMLElement, attach: (files: AttachableFile[]) => void): () => void {
  let depth = 0;
  const over = (e: DragEvent) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
  };
  const enter = (e: DragEvent) => {
    if (!hasFiles(e)) return;
    depth++;
    target.classList.add('drop-target');
  };
  const leave = (e: DragEvent) => {
    if (!hasFiles(e)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) target.classList.remove('drop-target');
  };
  const drop = (e: DragEvent) => {
    depth = 0;
    target.classList.remove('drop-target');
    const files = [...(e.dataTransfer?.files ?? [])];
    if (!files.length) return;
    e.preventDefault();
    attach(files);
  };
  const paste = (e: ClipboardEvent) => {
    const files = [...(e.clipboardData?.files ?? [])];
    if (!files.length) return;
    e.preventDefault();
    attach(files);
  };
  target.addEventListener('dragover', over);
  target.addEventListener('dragenter', enter);
  target.addEventListener('dragleave', leave);
  target.addEventListener('drop', drop);
  target.addEventListener('paste', paste);
  return () => {
    target.removeEventListener('dragover', over);
    target.removeEventListener('dragenter', enter);
    target.removeEventListener('dragleave', leave);
    target.removeEventListener('drop', drop);
    target.removeEventListener('paste', paste);
  };
}

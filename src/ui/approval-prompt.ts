// "May this tool fetch from this host?" shown inside the cell whose code made the call, on the page
// and in the widget alike: one prompt per entry of the controller's `state.approvals`. The URL is
// model-written: it is shown in full as text (normalised, so the host is the one the request goes
// to, IDN as punycode), never as a link, and nothing in the prompt loads anything.
// Keyboard: the prompt takes focus when it appears (unless the person is typing, or is busy
// elsewhere on a widget's host page);
// Tab moves between the three buttons; Escape denies.
import type { PendingApproval } from '../app/index';
import type { FetchDecision } from '../tools/fetch-approval';
import { h, uid } from './dom';

/** Characters of the call's arguments shown (the URL itself is shown in full). */
const ARGS_PREVIEW_CHARS = 400;

export interface ApprovalPromptsOptions {
  /** The element of the cell of `step` (undefined when it is not shown): prompts go at its end. */
  cellFor(step: number | undefined): HTMLElement | undefined;
  /** Where a prompt goes when its cell is not shown. */
  fallback: HTMLElement;
  decide(id: number, decision: FetchDecision): void;
}

export interface ApprovalPrompts {
  /** Shows exactly these questions (new ones appear, answered or withdrawn ones go). */
  update(pending: readonly PendingApproval[]): void;
}

/** Control and formatting characters (bidi overrides, zero-width) are shown as \u{…}, so no text can hide or reorder. */
export function visibleText(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length.toLocaleString('en-US')} characters)` : text;
}

function isTyping(el: Element | null): boolean {
  return !!el && (el instanceof HTMLTextAreaElement || (el instanceof HTMLInputElement && !['button', 'checkbox', 'radio', 'submit'].includes(el.type)) || (el as HTMLElement).isContentEditable);
}

/** A new prompt takes focus unless the person is typing, or (in the widget) is busy elsewhere on the host page. */
function mayTakeFocus(el: HTMLElement): boolean {
  const root = el.getRootNode() as Document | ShadowRoot;
  const doc = el.ownerDocument;
  const outer = doc.activeElement;
  if (root !== doc && outer !== null && outer !== doc.body && outer !== (root as ShadowRoot).host) return false;
  return !isTyping(root.activeElement);
}

function promptFor(a: PendingApproval, decide: (d: FetchDecision) => void): HTMLElement {
  const titleId = uid('approval-title');
  const urlId = uid('approval-url');
  const host = visibleText(a.host);
  const title = h('p', { class: 'approval-title', id: titleId, tabindex: -1 }, h('code', {}, visibleText(a.tool)), ' wants to fetch from ', h('strong', { class: 'approval-host' }, host), '. Allow it?');
  const url = h('code', { class: 'approval-url', id: urlId }, visibleText(a.url));
  const args = h('code', { class: 'approval-args' }, visibleText(clip(JSON.stringify(a.args) ?? '', ARGS_PREVIEW_CHARS)));
  const button = (label: string, decision: FetchDecision, cls: string, hint?: string) =>
    h('button', { type: 'button', class: `small-button ${cls}`, 'data-decision': decision, 'aria-describedby': urlId, title: hint, onclick: () => decide(decision) }, label);
  const el = h(
    'section',
    { class: 'fetch-approval', role: 'group', 'aria-labelledby': titleId, 'data-approval-id': a.id },
    title,
    h('div', { class: 'approval-line' }, h('span', { class: 'approval-label' }, 'URL'), url),
    h('div', { class: 'approval-line' }, h('span', { class: 'approval-label' }, 'Call'), args),
    h(
      'div',
      { class: 'approval-actions' },
      button('Allow once', 'once', 'allow-once'),
      button(`Allow ${host} for this run`, 'host', 'allow-host'),
      button('Deny', 'deny', 'deny', 'The tool call fails and the model is told you did not allow it (Escape)'),
    ),
  );
  el.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    // Escape here answers this prompt; it must not also stop the run (the page's Escape does that).
    e.preventDefault();
    e.stopPropagation();
    decide('deny');
  });
  return el;
}

export function createApprovalPrompts(options: ApprovalPromptsOptions): ApprovalPrompts {
  const shown = new Map<number, HTMLElement>();
  return {
    update(pending) {
      const ids = new Set(pending.map((a) => a.id));
      for (const [id, el] of shown) {
        if (ids.has(id)) continue;
        const hadFocus = el.contains((el.getRootNode() as Document | ShadowRoot).activeElement);
        el.remove();
        shown.delete(id);
        if (hadFocus) shown.values().next().value?.querySelector<HTMLElement>('.approval-title')?.focus();
      }
      for (const a of pending) {
        if (shown.has(a.id)) continue;
        const el = promptFor(a, (d) => options.decide(a.id, d));
        shown.set(a.id, el);
        (options.cellFor(a.step) ?? options.fallback).append(el);
        if (shown.size === 1 && mayTakeFocus(el)) {
          el.querySelector<HTMLElement>('.approval-title')?.focus({ preventScroll: true });
          el.scrollIntoView?.({ block: 'nearest' });
        }
      }
    },
  };
}

// Long model-written content that must never freeze the page: a text shown up to a preview with
// "Show all" revealing the rest one chunk per task, and a list rendered up to a preview with "Show
// all" appending the rest in batches. Shared by the cells, the notepad, the answer and the widget.
import { h } from './dom';
import { ITEM_PREVIEW_CHARS, LIST_BATCH_ITEMS, LIST_PREVIEW_ITEMS, TEXT_CHUNK_CHARS, textChunks } from './display-limits';

/** Yields to the event loop (input, paint) between chunks of rendering work. */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Records how long a render took as a User Timing measure (`l0-render:<what>`), read by tests and devtools. */
export function measureRender(what: string, start: number, detail: Record<string, unknown>): void {
  try {
    performance.measure(`l0-render:${what}`, { start, end: performance.now(), detail });
  } catch {
    // User Timing is optional.
  }
}

/** Runs a render step; if it throws, `fallback` shows the content another way and the UI goes on. */
export function safely(render: () => void, fallback: (error: unknown) => void): void {
  try {
    render();
  } catch (e) {
    try {
      fallback(e);
    } catch {
      // Nothing more to do: the caller's view stays as it was.
    }
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

export interface LongText {
  /** Replaces the text (shown up to the preview again). */
  set(text: string): void;
  /** Appends streamed text: costs O(delta), whatever the length so far. */
  append(delta: string): void;
  readonly text: string;
}

export interface LongTextOptions {
  /** Where the text goes (its children are replaced). */
  container: HTMLElement;
  /** The "Show all" button (hidden while the whole text fits the preview). */
  button: HTMLButtonElement;
  preview: number;
  /** Label of the button while collapsed; default "Show all (N characters)". */
  moreLabel?: (hiddenChars: number, totalChars: number) => string;
}

/**
 * A text shown up to `preview` characters. "Show all" reveals the rest in chunks, one per task,
 * each in its own block (so the browser lays out each chunk once, not the whole text per chunk).
 */
export function createLongText(o: LongTextOptions): LongText {
  let text = '';
  let expanded = false;
  let generation = 0; // bumps to cancel a reveal in progress
  let shownNode: Text | undefined; // the preview text node, while collapsed
  let shownChars = 0;
  let tail: HTMLElement | undefined; // the last chunk block, while expanded

  function updateButton(): void {
    const hidden = text.length - shownChars;
    o.button.hidden = !expanded && hidden <= 0;
    o.button.setAttribute('aria-expanded', String(expanded));
    if (!expanded) o.button.textContent = o.moreLabel ? o.moreLabel(hidden, text.length) : `Show all (${plural(text.length, 'character')})`;
  }

  function collapse(): void {
    generation += 1;
    expanded = false;
    tail = undefined;
    o.button.disabled = false;
    shownChars = Math.min(o.preview, text.length);
    shownNode = document.createTextNode(text.slice(0, shownChars) + (shownChars < text.length ? '\n…' : ''));
    o.container.replaceChildren(shownNode);
    updateButton();
  }

  async function expand(): Promise<void> {
    const mine = ++generation;
    expanded = true;
    shownNode = undefined;
    o.container.replaceChildren();
    o.button.disabled = true;
    const whole = text;
    let done = 0;
    for (const chunk of textChunks(whole, TEXT_CHUNK_CHARS)) {
      if (mine !== generation) return;
      tail = h('div', { class: 'text-chunk' }, chunk);
      o.container.append(tail);
      done += chunk.length;
      shownChars = done;
      o.button.textContent = `Showing… ${Math.floor((done / whole.length) * 100)}%`;
      // The first chunk is shown at once; later ones wait for the next task.
      if (done < whole.length) await nextTask();
    }
    if (mine !== generation) return;
    // Text streamed in while the chunks were shown.
    if (text.length > whole.length) o.container.append((tail = h('div', { class: 'text-chunk' }, text.slice(whole.length))));
    shownChars = text.length;
    o.button.disabled = false;
    o.button.hidden = false;
    o.button.textContent = 'Show less';
    o.button.setAttribute('aria-expanded', 'true');
  }

  o.button.addEventListener('click', () => {
    if (expanded) collapse();
    else void expand();
  });

  return {
    get text() {
      return text;
    },
    set(t) {
      text = t;
      collapse();
    },
    append(delta) {
      if (!delta) return;
      text += delta;
      if (expanded) {
        if (o.button.disabled) return; // still revealing: the loop picks the new text up at the end
        if (!tail || (tail.textContent?.length ?? 0) >= TEXT_CHUNK_CHARS) o.container.append((tail = h('div', { class: 'text-chunk' })));
        tail.append(delta);
        shownChars = text.length;
        return;
      }
      if (!shownNode || shownNode.parentNode !== o.container) {
        collapse();
        return;
      }
      if (shownChars < o.preview) {
        const room = o.preview - shownChars;
        const part = delta.slice(0, room);
        shownNode.appendData(part);
        shownChars += part.length;
        if (shownChars < text.length) shownNode.appendData('\n…');
      }
      updateButton();
    },
  };
}

/** A container plus its "Show all" button, for texts that are not in a cell (list items, the draft's rest). */
export function longTextBlock(text: string, preview: number, className: string, moreLabel?: LongTextOptions['moreLabel']): HTMLElement {
  const container = h('div', { class: `long-text ${className}` });
  const button = h('button', { type: 'button', class: 'link-button show-all' });
  createLongText({ container, button, preview, moreLabel }).set(text);
  return h('div', { class: 'long-text-wrap' }, container, button);
}

/** One list item's text: short ones as they are, long ones cut with their own "Show all". */
export function itemText(text: string): Node {
  return text.length <= ITEM_PREVIEW_CHARS ? document.createTextNode(text) : longTextBlock(text, ITEM_PREVIEW_CHARS, 'item-text');
}

export interface LongList<T> {
  set(items: readonly T[]): void;
}

export interface LongListOptions<T> {
  /** Holds the lists: the first LIST_PREVIEW_ITEMS items in one `<ul>`, each later batch in its own. */
  container: HTMLElement;
  /** Class of each `<ul>` ("facts"). */
  listClass: string;
  /** Accessible name of the lists. */
  label: string;
  /** The "Show all" button. */
  button: HTMLButtonElement;
  /** What the items are called, plural ("facts"). */
  noun: string;
  render(item: T, index: number): HTMLElement;
  /** Shown when there are no items. */
  empty(): HTMLElement;
  same(a: T, b: T): boolean;
}

/**
 * A list showing its first LIST_PREVIEW_ITEMS items; "Show all" appends the rest LIST_BATCH_ITEMS
 * per task, each batch its own `<ul class="… batch">` with `content-visibility: auto`, so the
 * browser lays out only the batches on screen (one list of 100,000 items took ~160 ms of layout
 * per frame). Setting the same items again (the notepad comes after every step) changes nothing.
 */
export function createLongList<T>(o: LongListOptions<T>): LongList<T> {
  let items: readonly T[] | undefined;
  let expanded = false;
  let generation = 0;

  const list = (children: HTMLElement[], batch: boolean) => h('ul', { class: batch ? `${o.listClass} batch` : o.listClass, 'aria-label': o.label }, children);

  function updateButton(shown: number): void {
    const n = items?.length ?? 0;
    o.button.hidden = n <= LIST_PREVIEW_ITEMS;
    o.button.setAttribute('aria-expanded', String(expanded));
    if (expanded && shown < n) o.button.textContent = `Showing ${shown.toLocaleString('en-US')} of ${n.toLocaleString('en-US')}…`;
    else o.button.textContent = expanded ? 'Show fewer' : `Show all ${n.toLocaleString('en-US')} ${o.noun}`;
  }

  async function render(): Promise<void> {
    const mine = ++generation;
    const all = items ?? [];
    if (!all.length) {
      o.container.replaceChildren(list([o.empty()], false));
      updateButton(0);
      return;
    }
    const first = Math.min(all.length, LIST_PREVIEW_ITEMS);
    o.container.replaceChildren(list(all.slice(0, first).map((item, i) => o.render(item, i)), false));
    let shown = first;
    updateButton(shown);
    if (!expanded) return;
    while (shown < all.length) {
      await nextTask();
      if (mine !== generation) return;
      const end = Math.min(all.length, shown + LIST_BATCH_ITEMS);
      const batch: HTMLElement[] = [];
      for (let i = shown; i < end; i++) batch.push(o.render(all[i]!, i));
      o.container.append(list(batch, true));
      shown = end;
      updateButton(shown);
    }
  }

  o.button.addEventListener('click', () => {
    expanded = !expanded;
    void render();
  });

  return {
    set(next) {
      if (items && next.length === items.length && next.every((item, i) => o.same(item, items![i]!))) return;
      items = next;
      void render();
    },
  };
}

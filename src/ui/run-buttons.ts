// Run and Stop, shared by the page and the widget: the buttons follow the run's phase without ever
// dropping the keyboard focus to <body> (a disabled button loses it), and Esc stops a run.
import type { AppController, RunPhase } from '../app/index';

/**
 * Sets the buttons for `phase`. Focus on Run when a run starts moves to Stop; focus on Stop when it
 * ends moves to Run. While stopping, Stop stays focusable (aria-disabled): a second press does
 * nothing more (the controller's stop is idempotent) and focus stays where the user left it.
 */
export function updateRunButtons(run: HTMLButtonElement, stop: HTMLButtonElement, phase: RunPhase): void {
  const root = run.getRootNode() as Document | ShadowRoot;
  const active = root.activeElement;
  run.disabled = phase !== 'idle';
  stop.disabled = phase === 'idle';
  if (phase === 'stopping') stop.setAttribute('aria-disabled', 'true');
  else stop.removeAttribute('aria-disabled');
  if (active === run && run.disabled) stop.focus();
  else if (active === stop && stop.disabled) run.focus();
}

/**
 * Esc stops the run from anywhere under `target` (the page: the whole document; the widget: its own
 * box, so the host page's Esc stays the host's), except while a dialog is open (Esc closes it) or
 * when a control already used the key (a rename field cancels its edit). Returns the unsubscribe.
 */
export function stopOnEscape(target: Document | HTMLElement, app: Pick<AppController, 'state' | 'stop'>, dialogOpen: () => boolean): () => void {
  const onKey = (e: Event) => {
    const k = e as KeyboardEvent;
    if (k.key !== 'Escape' || k.defaultPrevented || k.isComposing || app.state.phase !== 'running') return;
    if (dialogOpen() || (k.target as Element | null)?.closest?.('dialog')) return;
    k.preventDefault();
    void app.stop();
  };
  target.addEventListener('keydown', onKey);
  return () => target.removeEventListener('keydown', onKey);
}

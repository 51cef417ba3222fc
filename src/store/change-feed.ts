// Change notices of a store: listeners in this tab, and other tabs on the same database through a
// BroadcastChannel named after the store's namespace. A UI listens to refresh its session list.

export interface StoreChange {
  sessionId?: string;
  what: 'created' | 'meta' | 'notepad' | 'step' | 'run' | 'deleted' | 'setting' | 'files';
}

export interface ChangeFeed {
  /** Calls `listener` after every write in this tab or another tab on the same database. */
  onChange(listener: (c: StoreChange) => void): () => void;
  /** Tells the listeners here and in the other tabs about a write of this tab. */
  changed(change: StoreChange): void;
  close(): void;
}

export function createChangeFeed(namespace: string): ChangeFeed {
  const listeners = new Set<(c: StoreChange) => void>();
  // Opened on first use: a store nobody listens to never opens a channel (undefined = not yet, null = none).
  let channel: BroadcastChannel | null | undefined;

  const emit = (change: StoreChange): void => {
    for (const l of listeners) {
      try {
        l(change);
      } catch {
        // keep notifying the others
      }
    }
  };

  const open = (): BroadcastChannel | null => {
    if (channel !== undefined) return channel;
    if (typeof BroadcastChannel !== 'function') return (channel = null);
    const ch = new BroadcastChannel(`l0-store/${namespace}`);
    (ch as { unref?: () => void }).unref?.(); // Node: do not keep the process alive
    ch.onmessage = (ev: MessageEvent) => emit(ev.data as StoreChange);
    return (channel = ch);
  };

  return {
    onChange(listener) {
      listeners.add(listener);
      open();
      return () => listeners.delete(listener);
    },
    changed(change) {
      emit(change);
      try {
        open()?.postMessage(change);
      } catch {
        // a closed channel only costs other tabs a refresh
      }
    },
    close() {
      channel?.close();
      channel = null;
    },
  };
}

// Who owns a session: one tab runs it, the others show it read-only or take it over explicitly.
// With Web Locks (every current browser) the lock is held for as long as the owning tab lives, so
// a crashed or reloaded tab frees it by itself and `navigator.locks.query()` tells any tab whether
// a live owner exists. Without Web Locks (Node, old browsers) an in-process registry gives the same
// API for one page; across tabs the per-record revisions (session-store.ts) still reject stale writes.

type LeaseMechanism = 'web-locks' | 'in-process';

export interface SessionLease {
  readonly sessionId: string;
  /** True while this tab owns the session (may write to it). */
  readonly owned: boolean;
  readonly mechanism: LeaseMechanism;
  /** Takes the session from its current owner, who is told through its onLost callbacks. */
  takeOver(): Promise<SessionLease>;
  /** Gives ownership back (no-op when not owned). */
  release(): Promise<void>;
  /** Called once when another tab takes the session over; the old owner must stop writing. */
  onLost(callback: () => void): () => void;
}

export interface LeaseOptions {
  /** Separates databases of one origin (the store passes its dbName). */
  namespace?: string;
  /** The LockManager to use; null forces the in-process fallback. Default: navigator.locks. */
  locks?: LockManager | null;
}

const sessionLockName = (sessionId: string, namespace = 'l0-browser'): string => `${namespace}/session/${sessionId}`;

function defaultLocks(): LockManager | null {
  const nav = (globalThis as { navigator?: { locks?: LockManager } }).navigator;
  return nav?.locks && typeof nav.locks.request === 'function' ? nav.locks : null;
}

abstract class BaseLease implements SessionLease {
  protected isOwned = false;
  private lostCallbacks = new Set<() => void>();
  abstract readonly mechanism: LeaseMechanism;
  constructor(readonly sessionId: string, protected readonly name: string) {}
  get owned(): boolean {
    return this.isOwned;
  }
  onLost(callback: () => void): () => void {
    this.lostCallbacks.add(callback);
    return () => this.lostCallbacks.delete(callback);
  }
  protected lost(): void {
    if (!this.isOwned) return;
    this.isOwned = false;
    for (const cb of this.lostCallbacks) {
      try {
        cb();
      } catch {
        // a listener's failure must not keep the others from hearing about it
      }
    }
  }
  abstract takeOver(): Promise<SessionLease>;
  abstract release(): Promise<void>;
}

class WebLockLease extends BaseLease {
  readonly mechanism = 'web-locks';
  private releaseHeld?: () => void;
  constructor(sessionId: string, name: string, private readonly locks: LockManager) {
    super(sessionId, name);
  }

  /** Requests the lock; resolves true once held, false when `ifAvailable` found it taken. */
  request(options: LockOptions): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      let granted = false;
      this.locks
        .request(this.name, options, (lock) => {
          if (!lock) return resolve(false);
          granted = true;
          this.isOwned = true;
          resolve(true);
          // Held until release() resolves this promise, or until the tab goes away.
          return new Promise<void>((r) => (this.releaseHeld = r));
        })
        .catch((e: unknown) => {
          // A steal by another tab rejects our request with AbortError.
          this.releaseHeld = undefined;
          if (granted) this.lost();
          else reject(e);
        });
    });
  }

  async takeOver(): Promise<SessionLease> {
    if (!this.isOwned) await this.request({ steal: true });
    return this;
  }

  async release(): Promise<void> {
    const r = this.releaseHeld;
    this.releaseHeld = undefined;
    this.isOwned = false;
    r?.();
  }
}

// The in-process registry: lock name -> the lease holding it.
const registry = new Map<string, InProcessLease>();

class InProcessLease extends BaseLease {
  readonly mechanism = 'in-process';
  tryAcquire(): boolean {
    if (registry.has(this.name)) return false;
    registry.set(this.name, this);
    this.isOwned = true;
    return true;
  }
  async takeOver(): Promise<SessionLease> {
    if (this.isOwned) return this;
    const previous = registry.get(this.name);
    registry.set(this.name, this);
    this.isOwned = true;
    previous?.lost();
    return this;
  }
  async release(): Promise<void> {
    if (registry.get(this.name) === this) registry.delete(this.name);
    this.isOwned = false;
  }
}

/**
 * Tries to become the owner of a session without waiting. `owned` is false when a live tab already
 * runs it: show it read-only, or call takeOver() when the person asks to.
 */
export async function acquireSession(sessionId: string, options: LeaseOptions = {}): Promise<SessionLease> {
  const name = sessionLockName(sessionId, options.namespace);
  const locks = options.locks === undefined ? defaultLocks() : options.locks;
  if (locks) {
    const lease = new WebLockLease(sessionId, name, locks);
    await lease.request({ ifAvailable: true });
    return lease;
  }
  const lease = new InProcessLease(sessionId, name);
  lease.tryAcquire();
  return lease;
}

/** True when some live tab (this one included) owns the session. */
export async function isSessionOwned(sessionId: string, options: LeaseOptions = {}): Promise<boolean> {
  const name = sessionLockName(sessionId, options.namespace);
  const locks = options.locks === undefined ? defaultLocks() : options.locks;
  if (locks) {
    try {
      const state = await locks.query();
      return (state.held ?? []).some((l) => l.name === name);
    } catch {
      return false;
    }
  }
  return registry.has(name);
}

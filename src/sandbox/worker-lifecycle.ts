// The sandbox worker's life on the host side: spawning it (through the platform), opening the
// checking channel to it (src/channel/), init(), one fresh retry when a worker dies while starting,
// restarts after a kill, and starting again on demand after a restart failed (so one failed restart
// never leaves Python dead until a reload).
import type * as Comlink from 'comlink';
import { openChannel, type ChannelStats, type GuardedChannel, type WorkerEndpoint } from '../channel/channel';
import { L0Error, toErrorData, type LoadProgress } from '../protocols';
import { sandboxChannelSpec, type WorkerEventHandlers } from './channel-schema';
import type { WorkerApi, WorkerEvents, WorkerInfo, WorkerInit } from './messages';

export interface SpawnedWorker {
  /** The worker's port: a Worker, or comlink's nodeEndpoint() around a worker_threads Worker. */
  endpoint: WorkerEndpoint;
  /** Called once if the worker dies on its own (crash, out of memory, a script error). */
  onExit(cb: (reason: string) => void): void;
  terminate(): void;
}

export interface SandboxPlatform {
  spawn(): SpawnedWorker;
  /** Node: keeps the process alive while the host waits on the worker (its handles are unref'd). */
  keepAlive?(): () => void;
  /** SharedArrayBuffer usable (Node workers; browsers when crossOriginIsolated). */
  sharedMemory: boolean;
  preferJspi: boolean;
  indexURL?: string;
}

export interface LifecycleHooks {
  /** What init() carries to a new worker (the current notepad, the tools). */
  initMessage(): WorkerInit;
  /** Handlers for a new worker's events (stream, progress, tool calls); `api` answers that worker. */
  handlers(api: Comlink.Remote<WorkerApi>, progress?: (p: LoadProgress) => void): WorkerEventHandlers;
  /** Runs before each spawn (clears the interrupt buffer). */
  beforeSpawn?(): void;
  /** A worker that had started died on its own. */
  onExit(reason: string): void;
}

interface Running {
  spawned: SpawnedWorker;
  channel: GuardedChannel<WorkerApi>;
}

const sumStats = (a: ChannelStats, b: ChannelStats): ChannelStats => {
  const reasons = { ...a.reasons };
  for (const [k, n] of Object.entries(b.reasons)) reasons[k] = (reasons[k] ?? 0) + n;
  return { received: a.received + b.received, delivered: a.delivered + b.delivered, dropped: a.dropped + b.dropped, reasons };
};

export class WorkerLifecycle {
  private current?: Running;
  private booting: Promise<WorkerInfo> = Promise.reject(new Error('not started'));
  private bootFailed = true;
  private disposed = false;
  private retired: ChannelStats = { received: 0, delivered: 0, dropped: 0, reasons: {} };

  constructor(
    private readonly platform: SandboxPlatform,
    private readonly outputLimit: number,
    private readonly hooks: LifecycleHooks,
    private readonly maxFileBytes?: number,
  ) {
    this.booting.catch(() => undefined);
  }

  /** Starts the first worker (load progress goes to `progress`); rejects when it cannot start. */
  start(progress?: (p: LoadProgress) => void): Promise<WorkerInfo> {
    return this.startBoot(progress);
  }

  /**
   * The running worker's API once it is ready. When the last start failed (a failed restart in the
   * background), this starts a fresh worker instead of failing for good.
   */
  async ready(): Promise<Comlink.Remote<WorkerApi>> {
    // One fresh start per call at most: a start this call made itself is not repeated.
    let startedHere = false;
    if (this.bootFailed) {
      startedHere = true;
      void this.startBoot();
    }
    for (;;) {
      if (this.disposed) throw new L0Error({ kind: 'sandbox', message: 'The sandbox was disposed.' });
      const p = this.booting;
      try {
        await p;
      } catch (e) {
        if (p !== this.booting) continue; // a newer start replaced it: wait for that one
        if (startedHere || this.disposed) throw e;
        startedHere = true;
        void this.startBoot();
        continue;
      }
      if (p === this.booting && this.current) return this.current.channel.remote;
    }
  }

  /** Terminates the worker and starts a fresh one; the promise settles when it is ready (or failed). */
  restart(): Promise<WorkerInfo> {
    this.stopCurrent('the Python worker was restarted');
    if (this.disposed) return Promise.reject(new L0Error({ kind: 'sandbox', message: 'The sandbox was disposed.' }));
    const p = this.startBoot();
    p.catch(() => undefined); // a background restart's failure surfaces through ready()
    return p;
  }

  dispose(): void {
    this.disposed = true;
    this.stopCurrent('the sandbox was disposed');
  }

  stats(): ChannelStats {
    return this.current ? sumStats(this.retired, this.current.channel.stats()) : this.retired;
  }

  private stopCurrent(reason: string): void {
    const cur = this.current;
    if (!cur) return;
    this.current = undefined;
    cur.spawned.terminate();
    cur.channel.close(reason);
    this.retired = sumStats(this.retired, cur.channel.stats());
  }

  private startBoot(progress?: (p: LoadProgress) => void): Promise<WorkerInfo> {
    this.bootFailed = false;
    // A worker that died while starting (not an error Python or our code reported) gets one more
    // try with a fresh worker; the first reason stays in the console.
    const p = this.boot(progress).catch((e: unknown) => {
      if (!(e instanceof L0Error && e.detail?.workerFailed === true) || this.disposed) throw e;
      console.warn(`l0 sandbox: ${e.message}; starting a fresh worker`);
      return this.boot(progress);
    });
    this.booting = p;
    p.then(
      () => undefined,
      () => {
        if (this.booting === p) this.bootFailed = true;
      },
    );
    return p;
  }

  private async boot(progress?: (p: LoadProgress) => void): Promise<WorkerInfo> {
    this.stopCurrent('a new Python worker was started');
    this.hooks.beforeSpawn?.();
    const spawned = this.platform.spawn();
    // The handlers need the API of this very worker (tool replies go back to it): the channel is
    // opened first, and its events reach the handlers made right after.
    let handlers: WorkerEventHandlers | undefined;
    const channel = openChannel<WorkerApi, WorkerEvents>(
      spawned.endpoint,
      sandboxChannelSpec(this.outputLimit, {
        stream: (e) => handlers?.stream(e),
        progress: (e) => handlers?.progress(e),
        'tool-call': (e) => handlers?.['tool-call'](e),
        package: (e) => handlers?.package(e),
      }, this.maxFileBytes),
    );
    const api = channel.remote;
    handlers = this.hooks.handlers(api, progress);
    const running: Running = { spawned, channel };
    this.current = running;
    // A worker that fails while starting fails this start (with its reason): restarting it here
    // would leave init() below waiting forever for a reply from the terminated worker.
    let booting = true;
    let workerFailed = false;
    let failBoot!: (reason: string) => void;
    const failed = new Promise<never>((_, reject) => (failBoot = (reason) => reject(new Error(reason))));
    spawned.onExit((reason) => {
      if (!booting) {
        if (this.current === running && !this.disposed) this.hooks.onExit(reason);
        return;
      }
      workerFailed = true;
      failBoot(reason);
    });
    const release = this.platform.keepAlive?.();
    try {
      const init = api.init(this.hooks.initMessage());
      init.catch(() => undefined); // when the worker failed first, its late answer is not wanted
      const info = await Promise.race([init, failed]);
      if (this.current !== running) throw new Error(this.disposed ? 'the sandbox was disposed' : 'the worker was replaced while starting');
      progress?.({ phase: 'ready', fraction: 1, message: `Python ${info.pythonVersion} ready` });
      return info;
    } catch (e) {
      if (this.current === running) this.stopCurrent('the Python worker failed to start');
      else spawned.terminate();
      const data = toErrorData(e, 'sandbox');
      throw new L0Error({ kind: 'sandbox', message: `The Python sandbox failed to start: ${data.message}`, detail: { cause: data.message, workerFailed } });
    } finally {
      booting = false;
      release?.();
    }
  }
}

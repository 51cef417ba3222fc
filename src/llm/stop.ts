// Stop strings over a token stream: text is released only once it cannot be the start of a stop
// string, so a stop marker split across deltas never reaches `onToken`.

export interface StopScan {
  /** Text safe to emit now. */
  emit: string;
  /** True when a stop string was found; `emit` then ends right before it. */
  stopped: boolean;
}

export class StopStringFilter {
  private pending = '';
  private readonly stops: string[];

  constructor(stops: readonly string[] | undefined) {
    this.stops = (stops ?? []).filter((s) => s.length > 0);
  }

  /** Feeds one delta. After `stopped`, further input is ignored. */
  push(delta: string): StopScan {
    if (this.stops.length === 0) return { emit: delta, stopped: false };
    this.pending += delta;
    let cut = -1;
    for (const s of this.stops) {
      const i = this.pending.indexOf(s);
      if (i !== -1 && (cut === -1 || i < cut)) cut = i;
    }
    if (cut !== -1) {
      const emit = this.pending.slice(0, cut);
      this.pending = '';
      return { emit, stopped: true };
    }
    // Hold back the longest suffix that is a prefix of some stop string.
    let hold = 0;
    for (const s of this.stops) {
      for (let k = Math.min(s.length - 1, this.pending.length); k > hold; k--) {
        if (this.pending.endsWith(s.slice(0, k))) {
          hold = k;
          break;
        }
      }
    }
    const emit = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    return { emit, stopped: false };
  }

  /** Releases what was held back when the stream ends without a stop string. */
  flush(): string {
    const rest = this.pending;
    this.pending = '';
    return rest;
  }
}

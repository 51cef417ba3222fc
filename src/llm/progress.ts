// WebLLM reports load progress as `{progress, timeElapsed, text}` with the details only in `text`.
// This turns a report into LoadProgress (phase, fraction, bytes) for the UI.
//
// Byte counts: WebLLM's text gives the bytes so far only as whole MB rounded up, while `progress`
// is the exact fraction of the shard bytes. So the bytes are `progress × total` when the total is
// known exactly (the weights check reads it from the shard manifest before the download), and
// the rounded figure otherwise; a total is never guessed from the rounded text (it drifted from
// one report to the next).
import type { LoadProgress } from '../protocols';

export interface InitProgressReportLike {
  progress: number;
  timeElapsed: number;
  text: string;
}

const MiB = 2 ** 20;

/**
 * @param totalBytes the shards' exact size (sum of `nbytes` in tensor-cache.json), when known.
 */
export function parseInitProgress(r: InitProgressReportLike, totalBytes?: number): LoadProgress {
  const text = r.text ?? '';
  const fraction = Number.isFinite(r.progress) ? Math.max(0, Math.min(1, r.progress)) : undefined;
  const counter = /\[(\d+)\/(\d+)\]/.exec(text);
  const of = (unit: string) => (counter ? ` (${counter[1]}/${counter[2]} ${unit})` : '');
  const mb = /(\d+)MB (fetched|loaded)/.exec(text);
  const bytes = (): Pick<LoadProgress, 'loadedBytes' | 'totalBytes'> => {
    if (totalBytes && fraction !== undefined) return { loadedBytes: Math.round(fraction * totalBytes), totalBytes };
    return mb ? { loadedBytes: Number(mb[1]) * MiB } : {};
  };
  const size = (p: Pick<LoadProgress, 'loadedBytes' | 'totalBytes'>) =>
    p.loadedBytes === undefined ? '' : `: ${Math.round(p.loadedBytes / MiB)} MB${p.totalBytes ? ` of ${Math.round(p.totalBytes / MiB)} MB` : ''}`;

  if (/^Fetching param cache/.test(text)) {
    const b = bytes();
    return { phase: 'download', fraction, ...b, message: `Downloading weights${size(b)}${of('shards')}` };
  }
  if (/^Loading model from cache/.test(text)) {
    // Reported after a download too, as the shards go from the browser cache onto the GPU; WebLLM's
    // own fraction then stays at 1 (all bytes fetched), so the shard counter gives the progress.
    const shardFraction = counter && Number(counter[2]) > 0 ? Number(counter[1]) / Number(counter[2]) : fraction;
    return { phase: 'cache', fraction: shardFraction, message: `Loading weights from the browser cache onto the GPU${of('shards')}` };
  }
  if (/^Start to fetch params/.test(text)) {
    return { phase: 'init', fraction: 0, message: 'Opening the weights (browser cache first, then the network)…' };
  }
  if (/^Loading GPU shader modules/.test(text)) {
    return { phase: 'compile', fraction, message: `Compiling GPU shaders${of('shader modules')}` };
  }
  if (/^Finish loading/.test(text)) {
    return { phase: 'ready', fraction: 1, message: text };
  }
  return { phase: 'init', fraction, message: text || 'Starting the model engine…' };
}

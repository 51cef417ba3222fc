// WebLLM reports load progress as `{progress, timeElapsed, text}` with the details only in `text`.
// This turns a report into LoadProgress (phase, fraction, bytes) for the UI.
import type { LoadProgress } from '../protocols';

export interface InitProgressReportLike {
  progress: number;
  timeElapsed: number;
  text: string;
}

const MiB = 2 ** 20;

export function parseInitProgress(r: InitProgressReportLike): LoadProgress {
  const text = r.text ?? '';
  const fraction = Number.isFinite(r.progress) ? Math.max(0, Math.min(1, r.progress)) : undefined;
  const shard = /\[(\d+)\/(\d+)\]/.exec(text);
  const mb = /(\d+)MB (fetched|loaded)/.exec(text);
  const loadedBytes = mb ? Number(mb[1]) * MiB : undefined;
  // WebLLM gives fetched MB and a fraction of the total: the total follows (rounded to whole MB).
  const totalBytes = loadedBytes !== undefined && fraction ? Math.round(loadedBytes / fraction / MiB) * MiB : undefined;
  const shards = shard ? ` (${shard[1]}/${shard[2]} shards)` : '';

  if (/^Fetching param cache/.test(text) || /^Start to fetch params/.test(text)) {
    return {
      phase: 'download',
      fraction,
      loadedBytes,
      totalBytes,
      message: loadedBytes !== undefined
        ? `Downloading weights: ${Math.round(loadedBytes / MiB)} MB${totalBytes ? ` of ${Math.round(totalBytes / MiB)} MB` : ''}${shards}`
        : 'Downloading weights…',
    };
  }
  if (/^Loading model from cache/.test(text)) {
    return { phase: 'cache', fraction, loadedBytes, totalBytes, message: `Loading weights from the browser cache${shards}` };
  }
  if (/^Loading GPU shader modules/.test(text)) {
    return { phase: 'compile', fraction, message: `Compiling GPU shaders${shards}` };
  }
  if (/^Finish loading/.test(text)) {
    return { phase: 'ready', fraction: 1, message: text };
  }
  return { phase: 'init', fraction, message: text || 'Starting the model engine…' };
}

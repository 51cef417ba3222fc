// The host's copies of the files in /workspace: after every cell (and every write) they follow the
// worker's listing, reading only the files whose size or change time moved. A worker that is
// replaced (a runaway cell, a crash, `restart()`) starts with these files, under their change
// times, so the next listing matches and nothing is read again.
import type { WorkspaceFile } from '../protocols';
import { MAX_LISTED_FILES } from './workspace-names';

export type KeptFiles = Map<string, { data: Uint8Array; size: number; mtime: number }>;

export interface KeepLimits {
  /** Files bigger than this are not kept. */
  maxFileBytes: number;
  /** All kept files together stay under this; files that do not fit are not kept (lost on a restart). */
  maxKeptBytes: number;
}

/**
 * The kept files after `listing`: unchanged ones as they were, changed and new ones read with
 * `read` (or taken from `known`, bytes the host just wrote), in name order until the budget is
 * spent. Files that could not be read are left out. When the listing was cut at its cap, kept
 * files it does not show stay kept.
 */
export async function keptFilesAfter(
  kept: KeptFiles,
  listing: readonly WorkspaceFile[],
  limits: KeepLimits,
  read: (name: string) => Promise<Uint8Array>,
  known: ReadonlyMap<string, Uint8Array> = new Map(),
): Promise<KeptFiles> {
  const next: KeptFiles = new Map();
  let total = 0;
  for (const f of listing) {
    const old = kept.get(f.name);
    if (old && old.size === f.size && old.mtime === f.mtime && total + f.size <= limits.maxKeptBytes) {
      next.set(f.name, old);
      total += f.size;
    }
  }
  for (const f of listing) {
    if (next.has(f.name) || f.size > limits.maxFileBytes || total + f.size > limits.maxKeptBytes) continue;
    let data: Uint8Array | undefined = known.get(f.name)?.slice();
    if (!data || data.byteLength !== f.size) data = await read(f.name).catch(() => undefined);
    if (!data || total + data.byteLength > limits.maxKeptBytes) continue;
    next.set(f.name, { data, size: data.byteLength, mtime: f.mtime });
    total += data.byteLength;
  }
  if (listing.length >= MAX_LISTED_FILES) {
    const listed = new Set(listing.map((f) => f.name));
    for (const [name, old] of kept) {
      if (listed.has(name) || total + old.size > limits.maxKeptBytes) continue;
      next.set(name, old);
      total += old.size;
    }
  }
  return next;
}

// navigator.storage helpers for the settings page: ask the browser to keep our data (not evict
// it under storage pressure) and show how much is used.

export interface PersistResult {
  /** False where the browser has no StorageManager.persist (e.g. Node, old Safari). */
  supported: boolean;
  persisted: boolean;
}

export interface StorageEstimateResult {
  supported: boolean;
  usage?: number;
  quota?: number;
  /** usage / quota, 0..1, when both are known. */
  fraction?: number;
  persisted?: boolean;
}

function storageManager(): StorageManager | undefined {
  return (globalThis as { navigator?: { storage?: StorageManager } }).navigator?.storage;
}

/** Requests persistent storage (call it when the person saves a model or starts a long session). */
export async function requestPersistentStorage(): Promise<PersistResult> {
  const sm = storageManager();
  if (!sm?.persist) return { supported: false, persisted: false };
  try {
    if (sm.persisted && (await sm.persisted())) return { supported: true, persisted: true };
    return { supported: true, persisted: await sm.persist() };
  } catch {
    return { supported: true, persisted: false };
  }
}

export async function storageEstimate(): Promise<StorageEstimateResult> {
  const sm = storageManager();
  if (!sm?.estimate) return { supported: false };
  try {
    const { usage, quota } = await sm.estimate();
    const persisted = sm.persisted ? await sm.persisted().catch(() => undefined) : undefined;
    return { supported: true, usage, quota, fraction: usage !== undefined && quota ? usage / quota : undefined, persisted };
  } catch {
    return { supported: true };
  }
}

/** Storage use past this share of the quota counts as nearly full. */
const NEARLY_FULL = 0.8;
/** A write that would bring storage use past this share of the quota is refused up front. */
const WRITE_LIMIT = 0.9;

export interface Room {
  /** False when `bytes` more would pass WRITE_LIMIT of the quota. */
  fits: boolean;
  /** True when use after the write would pass NEARLY_FULL. */
  nearlyFull: boolean;
  usage?: number;
  quota?: number;
}

/** Whether `bytes` more fit in browser storage, by the browser's estimate (unknown counts as room). */
export async function roomFor(bytes: number, estimate: () => Promise<{ usage?: number; quota?: number }> = storageEstimate): Promise<Room> {
  const e = await estimate().catch(() => ({}) as { usage?: number; quota?: number });
  if (e.usage === undefined || !e.quota) return { fits: true, nearlyFull: false };
  const after = e.usage + bytes;
  return { fits: after <= e.quota * WRITE_LIMIT, nearlyFull: after > e.quota * NEARLY_FULL, usage: e.usage, quota: e.quota };
}

/** 1536 -> '1.5 KB'. */
export function formatStorageBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

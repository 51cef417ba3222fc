// Settings and session ownership of a store: settings are `['setting', name] -> { value }` records;
// ownership is a Web Lock per session (locks.ts), which also decides whether a session saved as
// 'running' is still running somewhere or was interrupted.
import type { SessionMeta } from '../protocols';
import { settingKey } from './keys';
import type { KV, WritePlan } from './kv';
import { acquireSession, isSessionOwned, type LeaseOptions, type SessionLease } from './locks';
import { storeIssue, type SettingRecord, type StoreIssue } from './records';

/** Reads a setting; a record without a value is reported and read as absent. */
export async function readSetting<T>(kv: KV, key: string, report: (issue: StoreIssue) => void): Promise<T | undefined> {
  const v = await kv.get(settingKey(key));
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || !('value' in v)) {
    report(storeIssue(settingKey(key), 'setting record has no value'));
    return undefined;
  }
  return (v as SettingRecord).value as T;
}

export function settingWrite(key: string, value: unknown): WritePlan {
  return { put: [[settingKey(key), { value } satisfies SettingRecord]] };
}

/** A session saved as 'running' that no live tab owns was interrupted (page closed or reloaded mid-run). */
export async function displayStatus(status: SessionMeta['status'], id: string, lease: LeaseOptions): Promise<SessionMeta['status']> {
  if (status !== 'running') return status;
  return (await isSessionOwned(id, lease)) ? 'running' : 'interrupted';
}

/** Tries to own a session in this tab (see SessionLease): `owned` false means show it read-only. */
export function ownSession(id: string, lease: LeaseOptions): Promise<SessionLease> {
  return acquireSession(id, lease);
}

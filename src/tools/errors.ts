import { L0Error } from '../protocols';

/** A tool failure, shown in Python as `ToolError: <source>: <message>`. */
export function toolError(source: string, message: string, detail?: Record<string, unknown>, retryable?: boolean): L0Error {
  return new L0Error({ kind: 'tool', message: `${source}: ${message}`, detail: { source, ...detail }, retryable });
}

/** Reads an argument as a non-empty string or throws a tool error naming it. */
export function stringArg(source: string, args: Record<string, unknown>, name: string): string {
  const v = args[name];
  if (typeof v !== 'string' || !v.trim()) throw toolError(source, `argument '${name}' must be a non-empty string`);
  return v;
}

/** Reads an optional integer argument, clamped to [min, max]. */
export function intArg(source: string, args: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const v = args[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw toolError(source, `argument '${name}' must be an integer`);
  return Math.min(max, Math.max(min, v));
}

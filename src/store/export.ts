// The session export formats: JSON (re-importable), Jupyter .ipynb and Markdown, and the notebook
// with the session's workspace files as a zip (fflate).
import { zipSync, type Zippable } from 'fflate';
import { EMPTY_NOTEPAD, L0Error, type NotepadState, type SavedFileInfo, type SessionMeta, type Trajectory, type TrajectoryStep } from '../protocols';
import { sessionToNotebook } from './ipynb';
import { sessionToMarkdown } from './markdown';
import { checkNotepad, checkRun, checkStep } from './records';

const EXPORT_FORMAT = 'l0-session';
const EXPORT_VERSION = 1;

interface SessionExport {
  format: typeof EXPORT_FORMAT;
  formatVersion: number;
  exportedAt: number;
  meta: SessionMeta;
  notepad: NotepadState;
  trajectory: Trajectory;
}

export type ExportKind = 'json' | 'ipynb' | 'md';

export interface ExportedFile {
  filename: string;
  mimeType: string;
  text: string;
}

/** What exports are made from (the store's openSession() result fits). */
export interface ExportSource {
  meta: SessionMeta;
  notepad: NotepadState;
  trajectory: Trajectory;
}

export function sessionToJSON(s: ExportSource, now = Date.now()): string {
  const doc: SessionExport = { format: EXPORT_FORMAT, formatVersion: EXPORT_VERSION, exportedAt: now, meta: s.meta, notepad: s.notepad, trajectory: s.trajectory };
  return JSON.stringify(doc, null, 2);
}

const slug = (title: string): string =>
  title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'session';

export function sessionExportFile(s: ExportSource, kind: ExportKind): ExportedFile {
  const base = slug(s.meta.title || s.trajectory.task);
  switch (kind) {
    case 'json':
      return { filename: `${base}.l0.json`, mimeType: 'application/json', text: sessionToJSON(s) };
    case 'ipynb':
      return { filename: `${base}.ipynb`, mimeType: 'application/x-ipynb+json', text: JSON.stringify(sessionToNotebook(s.trajectory, s.notepad, s.meta.title), null, 1) + '\n' };
    case 'md':
      return { filename: `${base}.md`, mimeType: 'text/markdown', text: sessionToMarkdown(s.trajectory, s.notepad, s.meta.title) };
  }
}

/** A zip export: the bytes, and the files that could not be put in (with why). */
export interface ExportedZip {
  filename: string;
  mimeType: 'application/zip';
  bytes: Uint8Array;
  skipped: string[];
}

/** Files bigger than this are stored in the zip as they are (compressing them would hold the page up for little gain). */
const COMPRESS_UP_TO = 8 * 2 ** 20;

/**
 * The notebook and the session's workspace files in one zip: the .ipynb at the top with the files
 * beside it under their workspace names, so the notebook's `open('data.csv')` works where it is
 * unpacked. `skipped` says which saved files could not be read.
 */
export function sessionZip(s: ExportSource, files: ReadonlyArray<{ info: SavedFileInfo; data: Uint8Array }>, skipped: string[] = []): ExportedZip {
  const notebook = sessionExportFile(s, 'ipynb');
  const names = new Set(files.map((f) => f.info.name));
  const nbName = names.has(notebook.filename) ? notebook.filename.replace(/\.ipynb$/, '.l0-notebook.ipynb') : notebook.filename;
  const entries: Zippable = { [nbName]: [new TextEncoder().encode(notebook.text), { level: 6 }] };
  for (const f of files) {
    entries[f.info.name] = [f.data, { level: f.data.byteLength > COMPRESS_UP_TO ? 0 : 6, mtime: new Date(f.info.mtime) }];
  }
  const base = nbName.replace(/(\.l0-notebook)?\.ipynb$/, '');
  return { filename: `${base}-with-files.zip`, mimeType: 'application/zip', bytes: zipSync(entries), skipped };
}

export interface ParsedImport {
  title?: string;
  notepad: NotepadState;
  trajectory: Trajectory;
  /** Steps that failed their check and were left out, with the reason. */
  skippedSteps: Array<{ position: number; reason: string }>;
}

const bad = (why: string): L0Error => new L0Error({ kind: 'storage', message: `Cannot import: ${why}.` });

/** Parses an export (or a bare Trajectory JSON). Throws L0Error 'storage' when it is not one. */
export function parseSessionJSON(json: string): ParsedImport {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    throw bad(`not valid JSON (${(e as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null) throw bad('not a session export');
  const d = doc as Partial<SessionExport> & Partial<Trajectory>;
  const isEnvelope = d.format === EXPORT_FORMAT;
  if (isEnvelope && typeof d.formatVersion === 'number' && d.formatVersion > EXPORT_VERSION) {
    throw bad(`exported by a newer version (format v${d.formatVersion})`);
  }
  const trajectory = (isEnvelope ? d.trajectory : d) as Trajectory | undefined;
  const runProblem = checkRun(trajectory);
  if (!trajectory || runProblem || !Array.isArray(trajectory.steps)) throw bad(runProblem ?? 'no steps list');
  const skippedSteps: ParsedImport['skippedSteps'] = [];
  const steps: TrajectoryStep[] = [];
  trajectory.steps.forEach((s, i) => {
    const reason = checkStep(s);
    if (reason) skippedSteps.push({ position: i, reason });
    else steps.push(s);
  });
  const lastNotepad = steps.length ? steps[steps.length - 1].notepad : structuredClone(EMPTY_NOTEPAD);
  const notepad = isEnvelope && checkNotepad(d.notepad) === undefined ? d.notepad! : lastNotepad;
  const title = isEnvelope && typeof d.meta?.title === 'string' ? d.meta.title : undefined;
  return { title, notepad, trajectory: { ...trajectory, steps }, skippedSteps };
}

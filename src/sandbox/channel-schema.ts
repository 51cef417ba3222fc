// What the page accepts from a sandbox worker (see src/channel/): the schema of each WorkerApi
// reply and of each event. The worker may be running model-written JavaScript, so every field is
// checked and capped here; the caps are far above what the Python runtime produces.
import type { ChannelSpec } from '../channel/channel';
import { arrayOf, bool, bytes, DEFAULT_MESSAGE_BUDGET, int, none, num, object, oneOf, optional, str, type Check } from '../channel/validate';
import type { NotepadState, WorkspaceFile } from '../protocols';
import { MAX_TOOL_ARGS_CHARS, MAX_TOOL_NAME_CHARS, RICH_MIMES, type RawCellResult, type RawOutput, type WorkerApi, type WorkerEvents, type WorkerInfo } from './messages';
import { DEFAULT_MAX_FILE_BYTES, MAX_LISTED_FILES, MAX_PATH_CHARS, workspacePathProblem } from './workspace-names';

/** Cap on one notepad string (the draft) and on the number of todos or facts. */
const MAX_NOTEPAD_TEXT = 32 * 2 ** 20;
const MAX_NOTEPAD_ITEMS = 1_000_000;
/** Cap on one stream event's text (Python flushes in batches of a few KB). */
const MAX_STREAM_TEXT = 1_000_000;
const MAX_TRACEBACK_LINES = 10_000;
/** Rich outputs of one cell, items of one output, characters of one item (display.py caps them the same). */
const MAX_CELL_OUTPUTS = 50;
const MAX_OUTPUT_ITEMS = RICH_MIMES.length;
const MAX_RICH_ITEM_CHARS = 4 * 2 ** 20;
/** Module and package names (Python identifiers, lock names). */
const MAX_NAME = 200;
const MAX_MISSING_IMPORTS = 200;
const MAX_PACKAGES = 1000;

const notepad: Check<NotepadState> = object({
  todos: arrayOf(object({ text: str(MAX_NOTEPAD_TEXT), done: bool }), MAX_NOTEPAD_ITEMS),
  facts: arrayOf(str(MAX_NOTEPAD_TEXT), MAX_NOTEPAD_ITEMS),
  draft: str(MAX_NOTEPAD_TEXT),
});

const rawListing = arrayOf(object({ name: str(MAX_PATH_CHARS), size: int(0), mtime: num({ min: 0 }) }), MAX_LISTED_FILES);

/**
 * A /workspace listing: names capped, sizes whole numbers, times numbers. Entries whose name is not
 * a plain relative path ('../x', '/etc/x', a NUL) are dropped: the honest worker never lists them,
 * and a name the page shows, saves and zips must not leave the folder it is unpacked in.
 */
export const fileListing: Check<WorkspaceFile[]> = (v, ctx, path) => rawListing(v, ctx, path).filter((f) => workspacePathProblem(f.name) === undefined);

/** A cell's output fields may not exceed the cell's output limit by more than the runtime's markers. */
const outputCap = (outputLimit: number) => 2 * outputLimit + 64 * 1024;

const rawOutput: Check<RawOutput> = object({
  type: oneOf('display_data', 'execute_result'),
  items: arrayOf(
    object({
      mime: oneOf(...RICH_MIMES),
      data: str(MAX_RICH_ITEM_CHARS),
      width: optional(int(1, 100_000)),
      height: optional(int(1, 100_000)),
    }),
    MAX_OUTPUT_ITEMS,
  ),
});

function rawCellResult(outputLimit: number): Check<RawCellResult> {
  const text = str(outputCap(outputLimit));
  return object({
    n: int(0),
    stdout: text,
    stderr: text,
    result: optional(text),
    error: optional(object({ ename: str(200), evalue: text, traceback: arrayOf(text, MAX_TRACEBACK_LINES) })),
    truncated: bool,
    notepad,
    finalAnswer: optional(str(MAX_NOTEPAD_TEXT)),
    files: optional(fileListing),
    outputs: optional(arrayOf(rawOutput, MAX_CELL_OUTPUTS)),
  });
}

const workerInfo: Check<WorkerInfo> = object({
  pyodideVersion: str(64),
  pythonVersion: str(64),
  toolBridge: oneOf('jspi', 'atomics', 'none'),
});

/** Handlers the host gives for the worker's events. */
export type WorkerEventHandlers = { [E in keyof WorkerEvents]: (value: WorkerEvents[E]) => void };

export function sandboxChannelSpec(outputLimit: number, handlers: WorkerEventHandlers, maxFileBytes = DEFAULT_MAX_FILE_BYTES): ChannelSpec<WorkerApi, WorkerEvents> {
  return {
    name: 'sandbox',
    // One file read out of /workspace is one message: the budget grows with the file cap.
    budget: Math.max(DEFAULT_MESSAGE_BUDGET, maxFileBytes + 2 ** 20),
    replies: {
      init: workerInfo,
      runCell: rawCellResult(outputLimit),
      cancelCell: none,
      toolReply: none,
      setPackageLock: none,
      missingImports: arrayOf(str(MAX_NAME), MAX_MISSING_IMPORTS),
      installPackages: arrayOf(object({ name: str(MAX_NAME), ok: bool, error: optional(str(1000)) }), MAX_PACKAGES),
      getNotepad: notepad,
      setNotepad: none,
      reset: none,
      writeFiles: fileListing,
      listFiles: fileListing,
      readFile: bytes(maxFileBytes),
      clearFiles: none,
    },
    events: {
      stream: {
        check: object({ cellId: int(0), name: oneOf('stdout', 'stderr'), text: str(MAX_STREAM_TEXT) }),
        handle: handlers.stream,
      },
      progress: {
        check: object({
          phase: str(64),
          message: str(1000),
          fraction: optional(num({ min: 0, max: 1 })),
          loadedBytes: optional(num({ min: 0 })),
          totalBytes: optional(num({ min: 0 })),
        }),
        handle: handlers.progress,
      },
      'tool-call': {
        check: object({
          cellId: int(0),
          callId: int(1),
          name: str(MAX_TOOL_NAME_CHARS),
          argsJson: str(MAX_TOOL_ARGS_CHARS),
          viaAtomics: bool,
        }),
        handle: handlers['tool-call'],
      },
      package: {
        check: object({ cellId: int(0), name: str(MAX_NAME), phase: oneOf('install', 'failed'), message: str(1000) }),
        handle: handlers.package,
      },
    },
  };
}

// What the page accepts from a sandbox worker (see src/channel/): the schema of each WorkerApi
// reply and of each event. The worker may be running model-written JavaScript, so every field is
// checked and capped here; the caps are far above what the Python runtime produces.
import type { ChannelSpec } from '../channel/channel';
import { arrayOf, bool, bytes, DEFAULT_MESSAGE_BUDGET, int, none, num, object, oneOf, optional, str, type Check } from '../channel/validate';
import type { NotepadState, WorkspaceFile } from '../protocols';
import { MAX_TOOL_ARGS_CHARS, MAX_TOOL_NAME_CHARS, type RawCellResult, type WorkerApi, type WorkerEvents, type WorkerInfo } from './messages';
import { DEFAULT_MAX_FILE_BYTES, MAX_LISTED_FILES, MAX_PATH_CHARS, workspacePathProblem } from './workspace-names';

/** Cap on one notepad string (the draft) and on the number of todos or facts. */
const MAX_NOTEPAD_TEXT = 32 * 2 ** 20;
const MAX_NOTEPAD_ITEMS = 1_000_000;
/** Cap on one stream event's text (Python flushes in batches of a few KB). */
const MAX_STREAM_TEXT = 1_000_000;
const MAX_TRACEBACK_LINES = 10_000;

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
    },
  };
}

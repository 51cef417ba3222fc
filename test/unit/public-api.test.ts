// The package's public surface (issue 17.4): src/index.ts exports what README and docs/ promise,
// not the parts' internals; and shared constants are written once.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index';

describe('src/index.ts', () => {
  it('exports the documented API', () => {
    const documented = [
      // protocols
      'L0Error', 'toErrorData', 'EMPTY_NOTEPAD', 'newSessionId', 'turnsOf',
      // agent
      'runAgent', 'nextAction', 'buildSystemPrompt', 'messagesForStep', 'parseStep', 'EOC_MARKER',
      // engines
      'createEngine', 'parseEngineSpec', 'engineSpecToParams', 'ScriptedLLM', 'OpenAICompatibleLLM', 'WebLLMEngine', 'listModels', 'detectWebGPU',
      'listCachedModels', 'deleteCachedModel', 'estimateModelStorage', 'persistModelStorage', 'listServerModels', 'contextChoices', 'buildAppConfig', 'assessWebGPU',
      // sandbox
      'createPyodideSandbox', 'FakeSandbox', 'readSnapshotInfo', 'clearSnapshot',
      // store
      'createIndexedDBStore', 'createResilientStore', 'MemoryStore', 'IndexedDBStore', 'ResilientStore', 'KVSessionStore', 'acquireSession', 'replayCells',
      'sessionToNotebook', 'sessionToMarkdown', 'requestPersistentStorage', 'storageEstimate', 'formatStorageBytes', 'pruneSessions',
      // tools
      'createCorpus', 'corpusFromSearchFunction', 'searchCorpusTool', 'readDocumentTool', 'defaultTools', 'TOOL_FACTORIES', 'parseCorpusFile', 'loadCorpusFromUrl',
      'documentsFromContext', 'wikipediaClient', 'webSearchTool', 'getWebpageTool',
      // eval
      'runEval', 'summarize', 'formatSummaryTable', 'exportRLJsonl', 'toRLRecords', 'parseDataset', 'exactMatch', 'f1Score', 'normalizeAnswer', 'qaReward', 'formatReward',
      'codeExecutionReward', 'combinedReward', 'QA_REWARD_WEIGHTS', 'COMBINED_QA_WEIGHTS', 'REWARD_WEIGHTS',
    ];
    const missing = documented.filter((name) => !(name in api));
    expect(missing).toEqual([]);
  });

  it('does not export the parts\' internals', () => {
    const internals = [
      'assistantContent', 'MESSAGE_OVERHEAD', 'CHARS_PER_TOKEN', 'stepMessages', 'taskMessage', 'collapseNote', 'reasonNotRun', 'createStreamParser',
      'resumeNoteMessages', 'resumeNotesOf', 'storeKeys', 'memoryKV', 'idbKV', 'resilientKV', 'OBJECT_STORE_NAME', 'migrateStore', 'convertV0Session',
      'V0_SESSION_PREFIX', 'StopStringFilter', 'parseInitProgress', 'classifyWebLLMError', 'toModelRecord', 'INTERRUPT_GRACE_MS',
    ];
    expect(internals.filter((name) => name in api)).toEqual([]);
  });
});

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : /\.ts$/.test(name) ? [path] : [];
  });
}

describe('shared constants', () => {
  it('the empty notepad is EMPTY_NOTEPAD from protocols.ts, not a literal written out again', () => {
    const literal = /todos:\s*\[\],\s*facts:\s*\[\],\s*draft:\s*''/;
    const copies = sourceFiles('src').filter((f) => f !== join('src', 'protocols.ts') && literal.test(readFileSync(f, 'utf8')));
    expect(copies).toEqual([]);
  });

  it('one replay token delay for the page and the widget', () => {
    const owners = sourceFiles('src').filter((f) => /REPLAY_TOKEN_DELAY_MS\s*=/.test(readFileSync(f, 'utf8')));
    expect(owners).toHaveLength(1);
  });
});

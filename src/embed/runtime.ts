// What a run needs beyond the view: loaded by mount() on the first run only (dynamic import).
export { runAgent } from '../agent/index';
export { createPyodideSandbox } from '../sandbox/index';
export { createResilientStore } from '../store/index';
export { corpusTools } from './corpus';

// The library entry: everything an embedder, the UI, the eval runner and tests use.
// Each part owns its barrel file; add exports there, not here.
export * from './protocols';
export * from './sandbox/index';
export * from './agent/index';
export * from './llm/index';
export * from './store/index';
export * from './tools/index';
export * from './eval/index';

// Public API of src/agent (re-exported by src/index.ts).
export {};

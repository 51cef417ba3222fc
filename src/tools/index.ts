// Public API of src/tools (re-exported by src/index.ts).
export {};

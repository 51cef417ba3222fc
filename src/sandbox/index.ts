// Public API of src/sandbox (re-exported by src/index.ts).
export {};

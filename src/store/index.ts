// Public API of src/store (re-exported by src/index.ts).
export {};

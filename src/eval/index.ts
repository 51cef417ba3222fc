// Public API of src/eval (re-exported by src/index.ts).
export {};

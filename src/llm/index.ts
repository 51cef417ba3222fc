// Public API of src/llm (re-exported by src/index.ts).
export {};

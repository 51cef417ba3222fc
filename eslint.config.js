// Lint rules that catch bugs a type check does not: promises nobody awaits or handles, and async
// functions passed where a void callback is expected (their rejections would go unnoticed).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**', 'dist-lib/**', 'dist-webllm-0279/**', 'public/**', 'node_modules/**', 'coverage/**',
      'bench/webllm-gpu/bundle/**', 'bench/results/**', 'test-results/**', 'eval-results/**',
      '.device-carry/**', 'src/sandbox/python/sources.ts',
      // Runs inside a hostile test page as plain browser script, on purpose not TypeScript.
      'test/security/payloads/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // A binding assigned once after closures that read it later (a channel's handlers) stays `let`.
    rules: {
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // File-name and output checks match control characters on purpose (NUL, ESC, C0 range).
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        // The two extra Vite configs belong to their own build commands, not to tsconfig.json.
        projectService: { allowDefaultProject: ['vite.lib.config.ts', 'vite.webllm-0279.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // tsc's noUnusedLocals/noUnusedParameters already report these, with the project's `_` rule.
      '@typescript-eslint/no-unused-vars': 'off',
    },
  },
  {
    // Node scripts (build, bench, examples) run as plain ES modules.
    files: ['**/*.mjs', '*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // Tests poke at untyped shapes on purpose (hostile messages, raw IndexedDB records).
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);

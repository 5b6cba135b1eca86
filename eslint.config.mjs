// ESLint for the TypeScript and the build scripts: the recommended rule sets of ESLint and
// typescript-eslint (syntax only, no type information: the type checker already runs in
// `node scripts/build.mjs --tests`, and a typed lint would double its time on a 2-core machine).
// Run with `npm run lint` (with ruff for the Python) and by scripts/test-all.sh.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/', 'out/', 'node_modules/', '.cache/', '.venv/', 'test-results/',
      // AssemblyScript, not TypeScript: its i32/usize types and @inline decorators are not TS.
      'benchmarks/wasm-word-loop/*.as.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // A leading underscore marks a name kept on purpose: a rest sibling dropped from an object
      // (`{ compute: _c, ...t }`), a callback parameter the signature requires.
      '@typescript-eslint/no-unused-vars': ['error', {
        argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_',
      }],
      // `let x; … closure reads x …; x = make()`: the closure must exist before the value it reads
      // (a worker's callbacks before its handle), which `const` cannot express.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['webview/**/*.ts'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests read the CLI's and the worker's JSON output and index into it freely; the assertions,
      // not the types, check its shape.
      '@typescript-eslint/no-explicit-any': 'off',
      // Tests of the diagnostics' escaping match control characters on purpose.
      'no-control-regex': 'off',
    },
  },
);

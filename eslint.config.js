// Lint: typescript-eslint's recommended rules, no import cycles, and the layers of docs/design.md
// (core ← synth ← loop ← src; fixtures use core and synth; nothing in loop uses fixtures).
// Formatting is Prettier's (eslint-config-prettier turns off the rules that would fight it).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import boundaries from 'eslint-plugin-boundaries';

/** Which layer may import which (the folder map in docs/design.md). */
const LAYERS = {
  core: ['core'],
  synth: ['core', 'synth'],
  fixtures: ['core', 'synth', 'fixtures'],
  loop: ['core', 'synth', 'loop'],
  src: ['core', 'synth', 'loop', 'fixtures', 'src'],
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'vantage-out/', 'runs/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { process: 'readonly', Buffer: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX, boundaries },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
      'boundaries/elements': [
        ...Object.keys(LAYERS).map((type) => ({ type, pattern: `${type}/**`, partialMatch: false })),
        { type: 'test', pattern: 'test/**', partialMatch: false },
        { type: 'tools', pattern: ['bench/**', 'examples/**'], partialMatch: false },
      ],
      'import/resolver': { typescript: { project: './tsconfig.json' } },
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          policies: [
            ...Object.entries(LAYERS).map(([from, allow]) => ({
              from: { element: { type: from } },
              allow: { to: { element: { types: { anyOf: allow } } } },
            })),
            {
              from: { element: { types: { anyOf: ['test', 'tools'] } } },
              allow: { to: { element: { types: { anyOf: [...Object.keys(LAYERS), 'test', 'tools'] } } } },
            },
          ],
        },
      ],
    },
  },
);

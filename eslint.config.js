// Lint for the whole project: typescript-eslint's recommended rules on top of eslint's. Layout is
// Prettier's (.prettierrc.json, checked by `npx prettier --check .` in scripts/test.sh); the line
// limit here catches what Prettier does not break (long strings are left to be split by hand,
// only a string, template or regular expression that cannot be split may run past it).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'dist2/**', 'node_modules/**', 'out/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'max-len': [
        'error',
        { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true },
      ],
    },
  },
);

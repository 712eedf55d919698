import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // eval/review/fixtures: the eval's pull requests, code with bugs on purpose.
  {
    ignores: [
      'dist/',
      'node_modules/',
      'coverage/',
      'eval/review/fixtures/',
      'eval/scan/fixtures/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The bin shim is plain JavaScript run by Node.
    files: ['bin/**/*.js', 'scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'no-console': 'off',
    },
  },
);

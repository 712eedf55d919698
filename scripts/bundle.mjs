#!/usr/bin/env node
// Bundles the CLI into one ES module. Node's ESM loader pays per file, and the openai
// SDK alone is ~300 files: the bundle starts 3-4x faster (dist/ import ~600 ms, bundle
// ~150 ms on the 2-core CI machine), which every `patchling exec` pays. Native packages
// (sharp, better-sqlite3) stay external and load from node_modules.
// The bundle sits two levels below the root, as the tsc output does, so
// `new URL('../../prompts/', import.meta.url)` finds the prompts from both.
import { build } from 'esbuild';

await build({
  entryPoints: { cli: 'src/triggers/cli.ts' },
  outdir: 'dist/bundle',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  sourcemap: true,
  external: ['sharp', 'better-sqlite3'],
  // Some dependencies still call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __patchlingCreateRequire } from 'node:module'; const require = __patchlingCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});

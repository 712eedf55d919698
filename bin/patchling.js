#!/usr/bin/env node
import module from 'node:module';

// Node 22.1+ caches compiled code between runs; on Node 20 this is a no-op.
module.enableCompileCache?.();
const { main, processIo } = await import('../dist/bundle/cli.mjs');
process.exitCode = await main(process.argv.slice(2), processIo());

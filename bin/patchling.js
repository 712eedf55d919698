#!/usr/bin/env node
import module from 'node:module';

// Say so plainly rather than crash later: better-sqlite3's prebuilt binary needs Node 22+.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `patchling: needs Node.js 22 or newer (this is ${process.version}); ` +
      'scripts/ensure-node.sh installs Node 24, see the README.\n',
  );
  process.exit(2);
}
// Caches compiled code between runs (Node 22.1+).
module.enableCompileCache();
const { main, processIo } = await import('../dist/bundle/cli.mjs');
process.exitCode = await main(process.argv.slice(2), processIo());

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const TSX_LOADER = fileURLToPath(
  new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url),
);

/** A fixture script running in a process of its own, and what it printed. */
export interface FixtureProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Its complete stdout lines so far. */
  readonly lines: string[];
  readonly exited: Promise<number | null>;
  stderr(): string;
}

/**
 * Runs the TypeScript `script` (through tsx) with `args` and collects its stdout lines,
 * each also given to `onLine` as it arrives.
 */
export function spawnFixture(
  script: string,
  args: readonly string[],
  onLine?: (line: string) => void,
): FixtureProcess {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, script, ...args], {
    stdio: 'pipe',
  });
  const lines: string[] = [];
  let stderr = '';
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    lines.push(...parts);
    if (onLine !== undefined) for (const line of parts) onLine(line);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  // 'close', not 'exit': stdout may still hold the last line when the process exits.
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => resolve(code)),
  );
  return { child, lines, exited, stderr: () => stderr };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file rather than hard-coded. */
const ROOT = new URL('../../', import.meta.url);
const TSX_LOADER = fileURLToPath(new URL('node_modules/tsx/dist/loader.mjs', ROOT));
const CLI_ENTRY = fileURLToPath(new URL('src/triggers/cli.ts', ROOT));

export interface CliOptions {
  /** The working directory (usually a temp git repository). */
  readonly cwd: string;
  /** The whole environment of the child; build it with cliEnv. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * A string is written to stdin, then stdin is closed. 'open' leaves stdin open and never
   * writes to it (a CI runner whose stdin never ends). Default: stdin is /dev/null.
   */
  readonly stdin?: string | 'open';
}

export interface CliResult {
  /** Exit code, or null when the process was killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** A fresh fake API key, so a test can look for it where it must never be. */
export function testApiKey(): string {
  return `sk-test-${randomBytes(12).toString('hex')}`;
}

/**
 * The environment a CLI run gets: the scripted server as the provider, a private state
 * dir, and only PATH and HOME from this process (nothing else leaks in by accident).
 */
export function cliEnv(options: {
  readonly baseURL: string;
  readonly stateDir: string;
  readonly apiKey?: string;
  readonly extra?: Readonly<Record<string, string | undefined>>;
}): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    OPENAI_BASE_URL: options.baseURL,
    OPENAI_API_KEY: options.apiKey ?? testApiKey(),
    PATCHLING_PROVIDER: 'openai',
    PATCHLING_MODEL: 'test-model',
    PATCHLING_STATE_DIR: options.stateDir,
    // No config file from the host's ~/.config may change a test's outcome.
    XDG_CONFIG_HOME: options.stateDir,
    ...options.extra,
  };
}

/**
 * Starts `patchling <args>` (src/triggers/cli.ts through tsx) as a real process in its own
 * process group, so a test can kill it and everything it started.
 */
export function spawnCli(args: readonly string[], options: CliOptions): ChildProcess {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, CLI_ENTRY, ...args], {
    cwd: options.cwd,
    env: { ...options.env },
    detached: true,
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (typeof options.stdin === 'string' && options.stdin !== 'open') {
    child.stdin?.end(options.stdin);
  }
  return child;
}

/** SIGKILL for the child's whole process group; quiet when it is already gone. */
export function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * Runs the CLI to its end and returns what it printed. Past `timeoutMs` the process group
 * is killed and the promise rejects with what was printed so far: a test never hangs.
 */
export function runCli(
  args: readonly string[],
  options: CliOptions & { readonly timeoutMs?: number },
): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 25_000;
  const started = performance.now();
  const child = spawnCli(args, options);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8');

  return new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child);
      reject(
        new Error(
          `patchling ${args.join(' ')} did not finish within ${timeoutMs} ms\n` +
            `stdout:\n${text(stdout)}\nstderr:\n${text(stderr)}`,
        ),
      );
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      killGroup(child);
      reject(error);
    });
    // 'close', not 'exit': both pipes are drained by then.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      // A stdin left open must not keep anything alive after the run.
      child.stdin?.destroy();
      resolve({
        code,
        signal,
        stdout: text(stdout),
        stderr: text(stderr),
        durationMs: performance.now() - started,
      });
    });
  });
}

import { spawn } from 'node:child_process';

/**
 * The container engine the image test drives: CONTAINER_ENGINE, split on spaces, so
 * `CONTAINER_ENGINE="podman --runtime runc"` works as well as the default `docker`.
 */
export interface ContainerEngine {
  readonly argv: readonly string[];
  readonly isPodman: boolean;
  /** Runs the engine with `args`; rejects with its stderr on a non-zero exit. */
  exec(args: readonly string[], options?: { readonly timeoutMs?: number }): Promise<string>;
  /** Runs the engine with `args` and reports how it ended, whatever the exit code. */
  result(args: readonly string[], options?: { readonly timeoutMs?: number }): Promise<RunResult>;
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function containerEngine(
  env: Readonly<Record<string, string | undefined>>,
): ContainerEngine {
  const argv = (env.CONTAINER_ENGINE?.trim() || 'docker').split(/\s+/);
  const [command, ...prefix] = argv as [string, ...string[]];
  const result = (args: readonly string[], options: { readonly timeoutMs?: number } = {}) =>
    new Promise<RunResult>((resolve, reject) => {
      const child = spawn(command, [...prefix, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  return {
    argv,
    isPodman: command.endsWith('podman'),
    result,
    async exec(args, options) {
      const done = await result(args, options);
      if (done.code !== 0)
        throw new Error(`${[...argv, ...args].join(' ')} exited ${done.code}:\n${done.stderr}`);
      return done.stdout;
    },
  };
}

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'patchling.js');

/**
 * `patchling <args>` in `repo` against the scripted model at `baseURL`, as a user runs it
 * (a fresh process, its state in `stateDir`): wall time, peak RSS and exit code. The peak
 * comes from GNU time when asked and installed, else from sampling VmHWM while it lives.
 */
export async function runPatchlingCli(options: {
  readonly repo: string;
  readonly baseURL: string;
  readonly stateDir: string;
  readonly args: readonly string[];
  readonly gnuTime?: boolean;
  readonly pollMs?: number;
}): Promise<{ wallMs: number; peakKiB: number; code: number | null; stderr: string }> {
  const useTime = options.gnuTime === true && existsSync('/usr/bin/time');
  const argv = [process.execPath, BIN, ...options.args];
  const started = performance.now();
  const child = spawn(
    useTime ? '/usr/bin/time' : argv[0]!,
    useTime ? ['-f', 'PEAK_KIB=%M', ...argv] : argv.slice(1),
    {
      cwd: options.repo,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        OPENAI_BASE_URL: options.baseURL,
        OPENAI_API_KEY: 'sk-bench',
        PATCHLING_PROVIDER: 'openai',
        PATCHLING_MODEL: 'test-model',
        PATCHLING_STATE_DIR: options.stateDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  let polled = 0;
  const poll = useTime
    ? undefined
    : setInterval(() => {
        try {
          const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (hwm) polled = Math.max(polled, Number(hwm[1]));
        } catch {
          // exited
        }
      }, options.pollMs ?? 5);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const wallMs = performance.now() - started;
  if (poll) clearInterval(poll);
  const peak = /PEAK_KIB=(\d+)/.exec(stderr);
  return { wallMs, peakKiB: peak ? Number(peak[1]) : polled, code, stderr };
}

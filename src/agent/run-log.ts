import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  statSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { SecretRedactor } from '../util/redact-secrets.js';
import type { AgentEvent } from './events.js';
import { ImageStore, imagesToRefs, refsToImages } from './image-store.js';

/**
 * Patchling's state directory: PATCHLING_STATE_DIR, else XDG_STATE_HOME/patchling, else
 * ~/.local/state/patchling. Never inside the workspace, so the agent cannot read or edit
 * its own log.
 */
export function stateDir(env: Readonly<Record<string, string | undefined>>): string {
  if (env.PATCHLING_STATE_DIR) return path.resolve(env.PATCHLING_STATE_DIR);
  const base = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'patchling');
}

export function runLogPath(dir: string, runId: string): string {
  if (!/^[\w.-]+$/.test(runId)) throw new UserError(`Not a run id: ${JSON.stringify(runId)}.`);
  return path.join(dir, 'runs', `${runId}.jsonl`);
}

/** Where the images of the run logs under `runs/` are kept: `images/` beside it. */
function imageStoreFor(runLogFile: string): ImageStore {
  return new ImageStore(path.join(path.dirname(path.dirname(runLogFile)), 'images'));
}

/**
 * Appends events to the run's JSONL file, one synchronous write per event: a process
 * killed with SIGKILL loses nothing it had written, and resume starts from there.
 * Every line passes through the redactor first. Images go to the content-addressed
 * store (image-store.ts) and the line keeps only their hash.
 */
export class RunLogWriter {
  private fd: number | undefined;
  private readonly replacer: (key: string, value: unknown) => unknown;

  constructor(
    readonly file: string,
    private readonly redactor: SecretRedactor,
  ) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.fd = openSync(file, 'a', 0o600);
    this.replacer = imagesToRefs(imageStoreFor(file));
  }

  write(event: AgentEvent): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, `${this.redactor.redact(JSON.stringify(event, this.replacer))}\n`);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * The events of a run log, images read back from the store; a torn last line (the
 * process died mid-write) is ignored.
 */
export function readRunLog(file: string): AgentEvent[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`No run log at ${file}.`);
  }
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const events: AgentEvent[] = [];
  const reviver = refsToImages(imageStoreFor(file));
  for (const [index, line] of lines.entries()) {
    try {
      events.push(JSON.parse(line, reviver) as AgentEvent);
    } catch (error) {
      // A missing image is reported as such (a UserError from the store), not as corruption.
      if (!(error instanceof SyntaxError)) throw error;
      if (index === lines.length - 1) break;
      throw new UserError(`The run log ${file} is corrupt at line ${index + 1}.`);
    }
  }
  return events;
}

/** The most recently written run log, for `exec resume --last`. */
export function latestRunId(dir: string): string | undefined {
  const runs = path.join(dir, 'runs');
  let names: string[];
  try {
    names = readdirSync(runs).filter((name) => name.endsWith('.jsonl'));
  } catch {
    return undefined;
  }
  const newest = names
    .map((name) => ({ name, mtime: statSync(path.join(runs, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime)[0];
  return newest?.name.replace(/\.jsonl$/, '');
}

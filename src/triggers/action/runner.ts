/**
 * The GitHub Actions runner protocol, the small part Patchling needs (no @actions/core):
 * inputs are INPUT_<NAME> variables, outputs go to the $GITHUB_OUTPUT file, and workflow
 * commands (`::add-mask::`, `::error::`, `::group::`) are lines on stdout.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { EOL } from 'node:os';

type Env = Readonly<Record<string, string | undefined>>;

/** The variable the runner sets for an input: upper case, spaces to `_`, hyphens kept. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** An input's value, trimmed; undefined when absent or blank. */
export function readInput(env: Env, name: string): string | undefined {
  const value = env[inputVariable(name)]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** Escapes a command's message, as the runner unescapes it. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export type Annotation = 'error' | 'warning' | 'notice';

/** Writes workflow commands and log lines, each line passed through `redact` first. */
export interface RunnerConsole {
  /** A plain log line. */
  readonly log: (text: string) => void;
  /** Shown only when the run has step debug logging on. */
  readonly debug: (text: string) => void;
  /** `::error::`, `::warning::` or `::notice::`, shown on the run's summary page. */
  readonly annotate: (kind: Annotation, text: string) => void;
  /** Starts a collapsible group; `endGroup` ends it. */
  readonly group: (title: string) => void;
  readonly endGroup: () => void;
}

/**
 * Masks a secret in every later log line of the job. A value that spans lines is also
 * masked line by line, since the runner matches each line of the log on its own.
 * Never redacted: the runner must see the value itself.
 */
export function maskSecret(write: (text: string) => void, secret: string | undefined): void {
  if (secret === undefined || secret === '') return;
  const values = new Set([secret, ...secret.split(/\r?\n/)]);
  for (const value of values) {
    if (value.trim() !== '') write(`::add-mask::${escapeData(value)}${EOL}`);
  }
}

export function createRunnerConsole(
  write: (text: string) => void,
  redact: (text: string) => string,
): RunnerConsole {
  return {
    log: (text) => write(`${redact(text)}${EOL}`),
    debug: (text) => write(`::debug::${escapeData(redact(text))}${EOL}`),
    annotate: (kind, text) => write(`::${kind}::${escapeData(redact(text))}${EOL}`),
    group: (title) => write(`::group::${escapeData(redact(title))}${EOL}`),
    endGroup: () => write(`::endgroup::${EOL}`),
  };
}

/**
 * Appends outputs to the $GITHUB_OUTPUT file as `name<<DELIMITER` blocks (values may span
 * lines). Returns false when the variable is unset (not running in a workflow).
 */
export function writeOutputs(
  env: Env,
  outputs: Readonly<Record<string, string>>,
  redact: (text: string) => string,
): boolean {
  const file = env.GITHUB_OUTPUT;
  if (file === undefined || file === '') return false;
  let text = '';
  for (const [name, raw] of Object.entries(outputs)) {
    const value = redact(raw);
    const delimiter = `ghadelimiter_${randomUUID()}`;
    // A random UUID in a value would be a collision GitHub's own toolkit also refuses.
    if (name.includes(delimiter) || value.includes(delimiter)) {
      throw new Error(`the output ${name} contains its delimiter`);
    }
    text += `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`;
  }
  appendFileSync(file, text, 'utf8');
  return true;
}

import { lstat } from 'node:fs/promises';
import path from 'node:path';

export interface DetectedSetupCommand {
  /** One shell script (several ecosystems joined with &&). */
  readonly command: string;
  /** The files it was detected from, for the progress and the docs: "package-lock.json". */
  readonly source: string;
}

/**
 * One installer per ecosystem, the first lockfile found wins within each. Every command
 * installs into the checkout (node_modules, .venv, vendor/), because HOME and /tmp are
 * fresh for every sandboxed command: what lands there is gone before the agent runs.
 */
const ECOSYSTEMS: readonly (readonly { readonly file: string; readonly command: string }[])[] = [
  [
    { file: 'pnpm-lock.yaml', command: 'pnpm install --frozen-lockfile' },
    { file: '.yarnrc.yml', command: 'yarn install --immutable' },
    { file: 'yarn.lock', command: 'yarn install --frozen-lockfile' },
    { file: 'package-lock.json', command: 'npm ci' },
    { file: 'npm-shrinkwrap.json', command: 'npm ci' },
  ],
  [
    { file: 'uv.lock', command: 'uv sync --frozen' },
    {
      file: 'requirements.txt',
      command: 'python3 -m venv .venv && .venv/bin/pip install -r requirements.txt',
    },
  ],
  // Vendored into the checkout: `go build` uses vendor/ by itself, and the module cache
  // would live in the fresh HOME.
  [{ file: 'go.sum', command: 'go mod vendor' }],
  [{ file: 'Cargo.lock', command: 'cargo fetch --locked' }],
  [
    {
      file: 'Gemfile.lock',
      command: 'bundle config set --local path vendor/bundle && bundle install',
    },
  ],
];

/**
 * The setup a repository without `setup.run` gets: detected from the lockfiles at its
 * root, which are looked at, never read or run. Undefined when there is none: no setup.
 */
export async function detectSetupCommand(
  workspace: string,
): Promise<DetectedSetupCommand | undefined> {
  const commands: string[] = [];
  const sources: string[] = [];
  for (const candidates of ECOSYSTEMS) {
    for (const candidate of candidates) {
      if (await isRegularFile(path.join(workspace, candidate.file))) {
        commands.push(candidate.command);
        sources.push(candidate.file);
        break;
      }
    }
  }
  if (commands.length === 0) return undefined;
  return { command: commands.join(' && '), source: sources.join(', ') };
}

/** A regular file, not a symlink (which could point anywhere on the host). */
export async function isRegularFile(file: string): Promise<boolean> {
  const stats = await lstat(file).catch(() => undefined);
  return stats?.isFile() ?? false;
}

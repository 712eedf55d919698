import { readFileSync } from 'node:fs';

/**
 * The version in the project's package.json. This module, its tsc output (dist/util/) and
 * the CLI bundle (dist/bundle/) all sit two levels below the root, so one relative URL
 * finds the file from each; the image copies package.json for the same reason.
 */
export function packageVersion(): string {
  const file = new URL('../../package.json', import.meta.url);
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
  if (typeof parsed.version !== 'string') throw new Error(`no version in ${file.pathname}`);
  return parsed.version;
}

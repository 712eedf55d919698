/** docs/configuration.md lists every key the two config files accept, and no other. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RepoConfig } from '../../src/jobs/repo-config.js';
import { CliConfigFile } from '../../src/triggers/cli/config-file.js';

const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
const [repoPart = '', cliPart = ''] = doc.split(/^# Configuring the CLI/m);

/** The first cell of each table row: `| \`key\` | …`. */
function tableKeys(markdown: string): string[] {
  return [...markdown.matchAll(/^\| `([A-Za-z_]+)`/gm)].map((match) => match[1] as string);
}

describe('docs/configuration.md', () => {
  it("documents every key of the CLI's config file, and PATCHLING_CONFIG", () => {
    expect(tableKeys(cliPart).sort()).toEqual(Object.keys(CliConfigFile.shape).sort());
    expect(cliPart).toContain('PATCHLING_CONFIG');
  });

  it('documents every key of .github/patchling.yml under its section', () => {
    for (const [section, schema] of Object.entries(RepoConfig.shape)) {
      const inner = schema.unwrap() as unknown as { shape: Record<string, unknown> };
      const part = repoPart.split(`### \`${section}\``)[1]?.split(/^##/m)[0];
      expect(part, section).toBeDefined();
      for (const key of Object.keys(inner.shape))
        expect(part, `${section}.${key}`).toMatch(new RegExp(`\`(${section}\\.)?${key}\``));
    }
  });
});

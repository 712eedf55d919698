import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from '../../errors.js';

/** ~/.config/patchling/config.json: defaults below flags and the environment. */
export const CliConfigFile = z
  .object({
    provider: z.enum(['openai', 'azure', 'gemini', 'local']).optional(),
    api: z.enum(['responses', 'chat']).optional(),
    model: z.string().min(1).optional(),
    baseURL: z.url().optional(),
    reasoningEffort: z.enum(['minimal', 'low', 'medium', 'high']).optional(),
    sandbox: z.enum(['read-only', 'workspace-write', 'danger-full-access']).optional(),
    maxTurns: z.number().int().positive().optional(),
    timeout: z.string().optional(),
  })
  .strict();
export type CliConfigFile = z.infer<typeof CliConfigFile>;

/** The config file, if any: --config, else PATCHLING_CONFIG, else the XDG location. */
export function loadCliConfigFile(
  explicit: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): CliConfigFile {
  const file =
    explicit ??
    env.PATCHLING_CONFIG ??
    path.join(
      env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'),
      'patchling',
      'config.json',
    );
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (explicit === undefined && env.PATCHLING_CONFIG === undefined) return {};
    throw new UserError(`Cannot read the config file ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UserError(`The config file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = CliConfigFile.safeParse(json);
  if (!parsed.success) {
    throw new UserError(`The config file ${file} is invalid:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SystemError } from '../errors.js';

/** prompts/ sits two levels above this file both in src/agent/ and in dist/agent/. */
const PROMPTS_DIR = fileURLToPath(new URL('../../prompts/', import.meta.url));

/**
 * A prompt file with its `{{name}}` variables filled in. Every variable in the file must
 * be given and every given variable must be used, so a renamed variable fails loudly
 * instead of sending the model a literal `{{summary}}`.
 */
export function loadPrompt(name: string, variables: Readonly<Record<string, string>> = {}): string {
  const template = readFileSync(`${PROMPTS_DIR}${name}.md`, 'utf8');
  const used = new Set<string>();
  const text = template.replace(/\{\{(\w+)\}\}/g, (_match, key: string) => {
    const value = variables[key];
    if (value === undefined) throw new SystemError(`prompt ${name}.md needs the variable ${key}`);
    used.add(key);
    return value;
  });
  const unused = Object.keys(variables).filter((key) => !used.has(key));
  if (unused.length > 0) {
    throw new SystemError(`prompt ${name}.md has no variable ${unused.join(', ')}`);
  }
  return text.trimEnd();
}

import { lstat, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { tokenSpellings } from '../../workspace/git/auth-header.js';
import { changedFiles, type ChangedFile } from '../../workspace/git/changed-files.js';
import { SecretRedactor } from '../../util/redact-secrets.js';

/** A larger file is not something a fix writes; it is a mistake or a dump. */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

export interface FixChangeRules {
  /** `fix.allow_workflow_changes`: the App would need the workflows permission. */
  readonly allowWorkflowChanges: boolean;
  /** `fix.max_changed_files`. */
  readonly maxChangedFiles?: number | undefined;
  readonly maxFileBytes?: number;
  /** Values that must not leave: tokens, keys. Each is searched in every spelling. */
  readonly secrets: readonly string[];
  /** The user's global excludes (CLI): see GitContext.excludesFile. */
  readonly excludesFile?: string | undefined;
}

export type FixChangeCheck =
  | { readonly ok: true; readonly files: readonly ChangedFile[] }
  | {
      readonly ok: false;
      /** No change at all: nothing to publish (not a violation). */
      readonly empty: boolean;
      readonly problems: readonly string[];
      readonly files: readonly ChangedFile[];
    };

/**
 * What Patchling checks before a fix leaves the machine, whatever the agent said: the
 * working tree differs from `base`; nothing under .github/workflows changes unless the
 * repository allows it; not too many files; no file over the size cap; and no secret
 * value in any changed file's content (read from disk, so binary files count too).
 */
export async function checkFixChanges(
  dir: string,
  base: string,
  rules: FixChangeRules,
  signal?: AbortSignal,
): Promise<FixChangeCheck> {
  const files = await changedFiles({ dir, base, signal, excludesFile: rules.excludesFile });
  if (files.length === 0) {
    return { ok: false, empty: true, problems: ['the change is empty'], files };
  }
  const problems: string[] = [];
  if (!rules.allowWorkflowChanges) {
    const workflows = files.filter(
      (file) =>
        isWorkflowPath(file.path) || (file.oldPath !== undefined && isWorkflowPath(file.oldPath)),
    );
    if (workflows.length > 0) {
      problems.push(
        `it changes ${workflows.map((file) => file.path).join(', ')} under .github/workflows, which fix.allow_workflow_changes does not allow`,
      );
    }
  }
  if (rules.maxChangedFiles !== undefined && files.length > rules.maxChangedFiles) {
    problems.push(
      `it changes ${files.length} files, more than fix.max_changed_files (${rules.maxChangedFiles})`,
    );
  }
  const maxBytes = rules.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const secrets = new SecretRedactor(rules.secrets.flatMap((secret) => tokenSpellings(secret)));
  for (const file of files) {
    if (file.status === 'deleted') continue;
    const full = path.join(dir, file.path);
    const info = await lstat(full).catch(() => undefined);
    if (info?.isSymbolicLink()) {
      // git stores a link as its target path: a target can carry a secret too.
      if (secrets.contains(await readlink(full)))
        problems.push(`${file.path} contains a secret value`);
      continue;
    }
    if (info === undefined || !info.isFile()) continue;
    if (info.size > maxBytes) {
      problems.push(
        `${file.path} is ${info.size} bytes, over the ${maxBytes}-byte limit for one file`,
      );
      continue;
    }
    // latin1 keeps every byte as one character, so a secret inside binary data still matches.
    if (secrets.contains((await readFile(full)).toString('latin1'))) {
      problems.push(`${file.path} contains a secret value`);
    }
  }
  return problems.length === 0 ? { ok: true, files } : { ok: false, empty: false, problems, files };
}

function isWorkflowPath(file: string): boolean {
  return file.toLowerCase().startsWith('.github/workflows/');
}

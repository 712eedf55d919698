import { UserError } from '../../errors.js';

const FULL_SHA = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/** true for a full SHA-1 or SHA-256 object id (abbreviations cannot be fetched). */
export function isFullSha(value: string): boolean {
  return FULL_SHA.test(value);
}

/** Refuses anything but a full object id. */
export function assertFullSha(value: string, what: string): string {
  if (!isFullSha(value)) {
    throw new UserError(
      `${what} must be a full commit SHA (40 hex digits), got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

/**
 * Refuses ref names git would reject or misread (git check-ref-format's rules), and any
 * that start with `-`, which git would take for an option. `refs/pull/7/head`, `main`
 * and `feature/x` pass.
 */
export function assertRefName(name: string, what: string): string {
  const invalid =
    name === '' ||
    name.startsWith('-') ||
    name.startsWith('/') ||
    name.endsWith('/') ||
    name.endsWith('.') ||
    name.endsWith('.lock') ||
    name === '@' ||
    name.includes('..') ||
    name.includes('//') ||
    name.includes('@{') ||
    name.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock')) ||
    [...name].some((char) => char.charCodeAt(0) <= 0x20 || char.charCodeAt(0) === 0x7f) ||
    /[~^:?*[\\]/.test(name);
  if (invalid) throw new UserError(`${what} ${JSON.stringify(name)} is not a valid git ref name.`);
  return name;
}

/** A branch name without its `refs/heads/` prefix, checked. */
export function toBranchName(ref: string, what: string): string {
  const name = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref;
  assertRefName(name, what);
  if (name.startsWith('refs/')) {
    throw new UserError(`${what} must be a branch, got ${JSON.stringify(ref)}.`);
  }
  return name;
}

/**
 * A revision Patchling names itself: a SHA or a ref (`HEAD`, `origin/main`). No `~`, `^`
 * or `:` expressions, nothing that starts with `-`.
 */
export function assertRevision(value: string, what: string): string {
  return isFullSha(value) ? value : assertRefName(value, what);
}

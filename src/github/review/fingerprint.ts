import { createHash } from 'node:crypto';

/** 16 hex digits: short enough for a hidden marker, long enough never to collide on one PR. */
export const FINGERPRINT_PATTERN = /^[0-9a-f]{16}$/;

/**
 * The identity of an issue across pushes: the file and the title, not the lines, so a
 * finding that moved is still recognised. The title is lower-cased and its whitespace
 * collapsed; nothing else is changed (a title that names a line number will not match
 * once the line moves — the prompt asks for titles that say what is wrong, not where).
 */
export function findingFingerprint(finding: {
  readonly path: string;
  readonly title: string;
}): string {
  return createHash('sha256')
    .update(`${finding.path}\n${normalizeTitle(finding.title)}`)
    .digest('hex')
    .slice(0, 16);
}

export function normalizeTitle(title: string): string {
  return title.toLowerCase().replace(/\s+/g, ' ').trim();
}

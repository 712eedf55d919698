import { createHash } from 'node:crypto';

/** 16 hex digits: short enough for a hidden marker, long enough never to collide on one PR. */
export const FINGERPRINT_PATTERN = /^[0-9a-f]{16}$/;

/** What identifies a finding: where, what kind, and the code it points at. */
export interface FingerprintInput {
  readonly path: string;
  readonly title: string;
  /** The kind of problem (absent: "other"). */
  readonly kind?: string | undefined;
  /**
   * The text of the finding's lines at the reviewed commit. Absent (the lines could not be
   * read): the title stands in for it.
   */
  readonly code?: string | undefined;
}

/**
 * The identity of an issue across pushes: the file, the kind of problem and the code of
 * its lines, normalised (whitespace collapsed, blank lines dropped). Not the line numbers,
 * so a finding that moved is still recognised; not the title, so a rephrased finding is
 * too. A finding whose lines were rewritten gets a new identity: whether it is the same
 * problem is decided by matching it to the open threads on those lines (matchOpenThreads).
 *
 * Without the code, the lower-cased title stands in for it (the fingerprints Patchling
 * wrote before it read the lines).
 */
export function findingFingerprint(finding: FingerprintInput): string {
  const text =
    finding.code === undefined
      ? `${finding.path}\n${normalizeTitle(finding.title)}`
      : `code\n${finding.path}\n${finding.kind ?? 'other'}\n${normalizeCode(finding.code)}`;
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export function normalizeTitle(title: string): string {
  return title.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Each line trimmed with its inner whitespace collapsed; blank lines dropped. */
export function normalizeCode(code: string): string {
  return code
    .split(/\r?\n/)
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter((line) => line !== '')
    .join('\n');
}

/** What a marker records of a code fingerprint, so a later run can look for the code again. */
export function codeMarkerFields(finding: {
  readonly code?: string | undefined;
  readonly kind?: string | undefined;
  readonly start_line: number;
  readonly end_line: number;
}): { kind: string; lines: number } | undefined {
  if (finding.code === undefined) return undefined;
  return { kind: finding.kind ?? 'other', lines: finding.end_line - finding.start_line + 1 };
}

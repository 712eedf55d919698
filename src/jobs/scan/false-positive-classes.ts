import type { Candidate } from './scan-output.js';

/**
 * Classes of findings that experienced reviewers do not report from a security scan,
 * each with the reason stated when a candidate is dropped. They are decided by Patchling
 * from the CWE and the path, not by asking the model again.
 */
const DENIAL_OF_SERVICE = new Set([
  'CWE-400',
  'CWE-409',
  'CWE-674',
  'CWE-770',
  'CWE-776',
  'CWE-834',
  'CWE-835',
  'CWE-1333',
]);
const RATE_LIMITING = new Set(['CWE-307', 'CWE-799']);
const RACES = new Set(['CWE-362', 'CWE-364', 'CWE-366', 'CWE-367']);

const TEST_DIRECTORIES = new Set([
  'test',
  'tests',
  '__tests__',
  'spec',
  'specs',
  'testdata',
  'fixtures',
]);
const TEST_NAMES = [
  /\.(?:test|spec)\.[cm]?[jt]sx?$/,
  /_test\.(?:go|py|rb)$/,
  /^test_[^/]*\.py$/,
  /Test\.java$/,
];

/** Why a candidate is a known false-positive class before proving, or undefined. */
export function falsePositiveClass(candidate: Candidate): string | undefined {
  if (DENIAL_OF_SERVICE.has(candidate.cwe)) {
    return `denial of service only (${candidate.cwe}): not reported by security scans`;
  }
  if (RATE_LIMITING.has(candidate.cwe)) {
    return `missing rate limiting (${candidate.cwe}): not reported by security scans`;
  }
  if (isTestOnly(candidate.path)) return `test-only code (${candidate.path})`;
  return undefined;
}

/** A race stays only when a reproduction showed it: otherwise it is theoretical. */
export function theoreticalRace(candidate: Candidate, reproduced: boolean): string | undefined {
  return RACES.has(candidate.cwe) && !reproduced
    ? `theoretical race (${candidate.cwe}) that no reproduction showed`
    : undefined;
}

export function isTestOnly(path: string): boolean {
  const parts = path.split('/');
  const name = parts.at(-1) ?? path;
  if (parts.slice(0, -1).some((part) => TEST_DIRECTORIES.has(part))) return true;
  return TEST_NAMES.some((pattern) => pattern.test(name));
}

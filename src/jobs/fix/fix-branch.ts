import type { FixOrigin } from './render-fix-report.js';

/**
 * The branch Patchling's own fix for `origin` lives on: stable across runs, so a later
 * run finds it (and its open pull request) instead of making another. A commit that
 * cannot go there goes to `<this>-<sha>` (publish-fix.ts).
 */
export function fixBranch(origin: FixOrigin): string {
  switch (origin.kind) {
    case 'issue':
      return `patchling/issue-${origin.number}`;
    case 'pull_request':
      return `patchling/pr-${origin.number}`;
    case 'scan_finding':
      return `patchling/scan-${origin.fingerprint}`;
    default: {
      const unhandled: never = origin;
      throw new Error(`unknown origin ${JSON.stringify(unhandled)}`);
    }
  }
}

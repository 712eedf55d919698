import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * What Patchling last pushed to each of its own branches, kept in the state dir: the
 * lease for the next force-push. A branch someone else moved since (a maintainer's
 * commit on `patchling/issue-N`) no longer matches, so the push fails instead of
 * dropping their work. No record means "the branch must not exist yet".
 */
export interface PushedBranches {
  lastPushed(branch: BranchKey): Promise<string | undefined>;
  record(branch: BranchKey, sha: string): Promise<void>;
}

export interface BranchKey {
  readonly owner: string;
  readonly repo: string;
  readonly branch: string;
}

export function pushedBranches(stateDir: string): PushedBranches {
  const dir = path.join(stateDir, 'pushed-branches');
  const fileOf = (key: BranchKey) =>
    path.join(
      dir,
      `${createHash('sha256')
        .update(`${key.owner.toLowerCase()}/${key.repo.toLowerCase()}\0${key.branch}`)
        .digest('hex')
        .slice(0, 32)}.json`,
    );
  return {
    async lastPushed(key) {
      try {
        const parsed = JSON.parse(await readFile(fileOf(key), 'utf8')) as { sha?: unknown };
        return typeof parsed.sha === 'string' && /^[0-9a-f]{40,64}$/.test(parsed.sha)
          ? parsed.sha
          : undefined;
      } catch {
        return undefined;
      }
    },
    async record(key, sha) {
      await mkdir(dir, { recursive: true });
      const file = fileOf(key);
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(temp, JSON.stringify({ ...key, sha, at: new Date().toISOString() }));
      await rename(temp, file);
    },
  };
}

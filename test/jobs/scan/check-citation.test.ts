import { execFile } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { checkCitation } from '../../../src/jobs/scan/check-citation.js';
import type { Candidate } from '../../../src/jobs/scan/scan-output.js';
import { makeGitRepo, type TempGitRepo } from '../../support/git-repo.js';

const run = promisify(execFile);
const repos: TempGitRepo[] = [];
afterEach(async () => {
  for (const repo of repos.splice(0)) await repo.remove();
});

const base: Candidate = {
  title: 't',
  cwe: 'CWE-89',
  severity: 'high',
  confidence: 0.9,
  path: 'a.py',
  start_line: 2,
  end_line: 2,
  evidence: 'db.execute(sql)',
  root_cause: 'r',
  explanation: 'e',
  flow: [],
};

describe('checkCitation', () => {
  it('accepts evidence on the cited lines, whitespace aside, and names what is wrong otherwise', async () => {
    const repo = await makeGitRepo({ 'a.py': 'sql = q\n    db.execute( sql )\n' });
    repos.push(repo);
    expect(await checkCitation(repo.dir, base)).toBeUndefined();
    expect(await checkCitation(repo.dir, { ...base, start_line: 1, end_line: 1 })).toBe(
      'the quoted evidence is not on a.py:1-1',
    );
    expect(await checkCitation(repo.dir, { ...base, start_line: 2, end_line: 9 })).toBe(
      'cited lines 2-9 are past the end of a.py (2 lines)',
    );
    expect(await checkCitation(repo.dir, { ...base, path: 'b.py' })).toBe(
      'cited file b.py does not exist',
    );
  });

  it('refuses paths outside the checkout, through a symlink too, and what is not a regular file', async () => {
    const repo = await makeGitRepo({ 'a.py': 'x\n' });
    repos.push(repo);
    await symlink('/etc', path.join(repo.dir, 'etc-link'));
    await mkdir(path.join(repo.dir, 'dir'));
    await run('mkfifo', [path.join(repo.dir, 'pipe')]);
    expect(await checkCitation(repo.dir, { ...base, path: '../../etc/passwd' })).toMatch(
      /^cited path refused: /,
    );
    expect(await checkCitation(repo.dir, { ...base, path: 'etc-link/passwd' })).toMatch(
      /^cited path refused: /,
    );
    expect(await checkCitation(repo.dir, { ...base, path: 'pipe' })).toBe(
      'cited path pipe is not a file',
    );
    expect(await checkCitation(repo.dir, { ...base, path: 'dir' })).toBe(
      'cited path dir is not a file',
    );
  });
});

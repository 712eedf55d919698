import { describe, expect, it } from 'vitest';
import { resolveFixedThreads } from '../../../src/github/post-review.js';
import {
  RESOLVE_THREAD_MUTATION,
  REVIEW_THREADS_QUERY,
} from '../../../src/github/review/resolve-fixed-threads.js';
import { expectValidGitHubRequest } from '../../support/github-schemas.js';
import { githubApi, repo, testClient, useNock, type Sent } from '../helpers.js';
import { PR } from './review-fixtures.js';

interface GraphqlBody {
  query: string;
  variables: Record<string, unknown>;
}
const gql = (s: Sent | undefined) => s?.body as GraphqlBody;

const thread = (id: string, databaseId: number | null, isResolved = false) => ({
  id,
  isResolved,
  comments: { nodes: [{ databaseId }] },
});
const threadsPage = (nodes: unknown[], endCursor: string | null = null) => ({
  data: {
    repository: {
      pullRequest: {
        reviewThreads: { pageInfo: { hasNextPage: endCursor !== null, endCursor }, nodes },
      },
    },
  },
});
const resolvedReply = (id: string) => ({
  data: { resolveReviewThread: { thread: { id, isResolved: true } } },
});

const previous = {
  lastReviewedSha: 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9',
  postedFingerprints: new Map([
    ['aaaaaaaaaaaaaaaa', [{ path: 'src/pager.ts', commentId: 11 }]], // fixed
    ['bbbbbbbbbbbbbbbb', [{ path: 'src/pager.ts', commentId: 12 }]], // still there
    ['cccccccccccccccc', [{ path: 'src/untouched.ts', commentId: 13 }]], // not reviewed this time
    ['dddddddddddddddd', [{ path: 'src/pager.ts' }]], // was in a summary: no thread
    ['eeeeeeeeeeeeeeee', [{ path: 'src/cache.ts', commentId: 15 }]], // fixed, already resolved
  ]),
};

describe('resolveFixedThreads', () => {
  useNock();

  it('resolves, by GraphQL, only the open threads of its own findings that the push fixed', async () => {
    const { scope, sent } = githubApi();
    scope
      .post('/graphql')
      .reply(200, threadsPage([thread('PRRT_11', 11), thread('PRRT_99', 99)], 'Y3Vyc29yOjI='));
    scope
      .post('/graphql')
      .reply(
        200,
        threadsPage([
          thread('PRRT_12', 12),
          thread('PRRT_13', 13),
          thread('PRRT_15', 15, true),
          thread('PRRT_x', null),
        ]),
      );
    scope.post('/graphql').reply(200, resolvedReply('PRRT_11'));

    const result = await resolveFixedThreads({
      octokit: testClient(),
      repo,
      pullNumber: PR,
      previous,
      stillPresent: new Set(['bbbbbbbbbbbbbbbb']),
      reviewedFiles: ['src/pager.ts', 'src/cache.ts'],
    });

    expect(sent.map((s) => s.path)).toEqual(['/graphql', '/graphql', '/graphql']);
    expect(gql(sent[0])).toEqual({
      query: REVIEW_THREADS_QUERY,
      variables: { owner: 'octo-org', repo: 'hello-world', number: PR, after: null },
    });
    expect(gql(sent[0]).query).toContain(
      'nodes { id isResolved comments(first: 1) { nodes { databaseId } } }',
    );
    expect(gql(sent[1]).variables).toEqual({
      owner: 'octo-org',
      repo: 'hello-world',
      number: PR,
      after: 'Y3Vyc29yOjI=',
    });
    expect(gql(sent[2])).toEqual({
      query: RESOLVE_THREAD_MUTATION,
      variables: { threadId: 'PRRT_11' },
    });
    expect(gql(sent[2]).query).toContain('resolveReviewThread(input: { threadId: $threadId })');
    expect(result).toEqual({
      resolved: [{ fingerprint: 'aaaaaaaaaaaaaaaa', threadId: 'PRRT_11', commentId: 11 }],
      failed: [],
    });
  });

  it('asks GitHub nothing when no finding of the reviewed files went away', async () => {
    const { sent } = githubApi();

    const result = await resolveFixedThreads({
      octokit: testClient(),
      repo,
      pullNumber: PR,
      previous,
      stillPresent: new Set(['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb', 'eeeeeeeeeeeeeeee']),
      reviewedFiles: ['src/pager.ts', 'src/cache.ts'],
    });

    expect(sent).toEqual([]);
    expect(result).toEqual({ resolved: [], failed: [] });
  });

  it('goes on after a thread it may not resolve, and reports it', async () => {
    const { scope, sent } = githubApi();
    const twoFixed = {
      postedFingerprints: new Map([
        ['aaaaaaaaaaaaaaaa', [{ path: 'src/pager.ts', commentId: 11 }]],
        ['bbbbbbbbbbbbbbbb', [{ path: 'src/pager.ts', commentId: 12 }]],
      ]),
    };
    scope.post('/graphql').reply(200, threadsPage([thread('PRRT_11', 11), thread('PRRT_12', 12)]));
    scope.post('/graphql').reply(200, {
      data: { resolveReviewThread: null },
      errors: [
        {
          type: 'FORBIDDEN',
          path: ['resolveReviewThread'],
          message: 'Resource not accessible by integration',
        },
      ],
    });
    scope.post('/graphql').reply(200, resolvedReply('PRRT_12'));
    const warnings: string[] = [];

    const result = await resolveFixedThreads({
      octokit: testClient(),
      repo,
      pullNumber: PR,
      previous: twoFixed,
      stillPresent: new Set(),
      reviewedFiles: ['src/pager.ts'],
      log: { warn: (message) => warnings.push(message) },
    });

    expect(sent.map((s) => gql(s).variables)).toEqual([
      { owner: 'octo-org', repo: 'hello-world', number: PR, after: null },
      { threadId: 'PRRT_11' },
      { threadId: 'PRRT_12' },
    ]);
    expect(result.resolved).toEqual([
      { fingerprint: 'bbbbbbbbbbbbbbbb', threadId: 'PRRT_12', commentId: 12 },
    ]);
    expect(result.failed).toEqual([
      expect.objectContaining({
        threadId: 'PRRT_11',
        reason: expect.stringContaining('Resource not accessible by integration') as unknown,
      }),
    ]);
    expect(warnings).toHaveLength(1);
  });
});

describe('resolveFixedThreads with a reply', () => {
  useNock();

  it("answers each thread it resolves with the reply, checked against GitHub's schema", async () => {
    const { scope, sent } = githubApi();
    scope.post('/graphql').reply(200, threadsPage([thread('PRRT_11', 11)]));
    scope
      .post(`/repos/${repo.owner}/${repo.repo}/pulls/${PR}/comments/11/replies`)
      .reply(201, { id: 501, in_reply_to_id: 11, body: 'Addressed in 1a2b3c4.' });
    scope.post('/graphql').reply(200, resolvedReply('PRRT_11'));

    const result = await resolveFixedThreads({
      octokit: testClient({ retries: 0 }),
      repo,
      pullNumber: PR,
      previous: {
        postedFingerprints: new Map([
          ['aaaaaaaaaaaaaaaa', [{ path: 'src/pager.ts', commentId: 11 }]],
        ]),
      },
      stillPresent: new Set(),
      reviewedFiles: ['src/pager.ts'],
      reply: 'Addressed in 1a2b3c4.',
    });

    expect(result.resolved.map((r) => r.threadId)).toEqual(['PRRT_11']);
    const reply = sent.find((s) => s.path.endsWith('/replies'));
    expect(reply?.body).toEqual({ body: 'Addressed in 1a2b3c4.' });
    expectValidGitHubRequest(
      'POST',
      '/repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies',
      reply?.body,
    );
    // The reply comes before the resolution.
    expect(sent.map((s) => s.path)).toEqual([
      '/graphql',
      `/repos/${repo.owner}/${repo.repo}/pulls/${PR}/comments/11/replies`,
      '/graphql',
    ]);
  });
});

import type { GitHubMock } from './app-harness.js';

/**
 * A job's progress check run as GitHub plays it: one POST .../check-runs answered with
 * `id` (echoing what was sent, as GitHub does), then the PATCHes that always come (in
 * progress at the start, the final state) and up to `optionalUpdates` more that come only
 * while the run lasts (one per throttle interval). Every body is checked against GitHub's
 * schema by `github.write`.
 */
export function mockProgressCheckRun(
  github: GitHubMock,
  options: {
    readonly owner: string;
    readonly repo: string;
    readonly id: number;
    readonly requiredUpdates?: number;
    readonly optionalUpdates?: number;
  },
): void {
  const { owner, repo, id } = options;
  github.write('POST', '/repos/{owner}/{repo}/check-runs', { owner, repo }, (body) => [
    201,
    {
      id,
      head_sha: body.head_sha,
      external_id: body.external_id,
      name: body.name,
      status: body.status,
      conclusion: null,
      started_at: new Date().toISOString(),
      output: body.output,
      html_url: `https://github.com/${owner}/${repo}/runs/${id}`,
    },
  ]);
  const patched = (body: Record<string, unknown>) =>
    [200, { id, status: body.status, conclusion: body.conclusion ?? null }] as const;
  const route = '/repos/{owner}/{repo}/check-runs/{check_run_id}';
  const params = { owner, repo, check_run_id: id };
  for (let i = 0; i < (options.requiredUpdates ?? 2); i++) {
    github.write('PATCH', route, params, patched);
  }
  github.write('PATCH', route, params, patched, {
    optional: true,
    times: options.optionalUpdates ?? 20,
  });
}

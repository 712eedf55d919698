import { mkdir } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { describeAbort, describeError, SystemError } from '../../errors.js';
import { createProgressCheckRun } from '../../github/progress-check-run.js';
import { readRepoFile } from '../../github/read-repo-file.js';
import { listPatchlingAnalyses } from '../../github/sarif/code-scanning-analyses.js';
import { SecretRedactor } from '../../util/redact-secrets.js';
import { tokenSpellings } from '../../workspace/git/auth-header.js';
import { prepareJobWorkspace } from '../../workspace/git/prepare-job-workspace.js';
import type { ScanJob } from '../job.js';
import { loadBaseAgentsInstructions } from '../load-base-agents.js';
import { loadRepoConfig } from '../load-repo-config.js';
import { formatConfigProblems } from '../repo-config.js';
import type { AgentJobDeps, AgentJobOutcome } from '../run-agent-job.js';
import { runJobSetup } from '../run-job-setup.js';
import { chooseScanScope, confirmDiffScope } from './choose-scan-scope.js';
import { publishScan } from './publish-scan.js';
import { fixAndReportScanFindings } from './report-scan-fixes.js';
import { scanRepository } from './scan-repository.js';
import { scanSarif } from './scan-sarif.js';

const Commit = z.object({ sha: z.string().regex(/^[0-9a-f]{40,64}$/) });

/**
 * A scheduled or requested security scan, as the App and the Action run it: a check run
 * "Patchling scan" on the scanned commit, the repository's config from its default
 * branch, a fresh checkout of the ref, the scan, the SARIF uploaded to code scanning and
 * compared with the alerts already there, and an issue for new findings above
 * `scan.notify_at`. See docs/scan.md.
 */
export async function runScanJob(
  jobId: string,
  job: ScanJob,
  deps: AgentJobDeps,
  signal: AbortSignal,
): Promise<AgentJobOutcome> {
  const repo = { owner: job.repo.owner, repo: job.repo.repo };
  const redactor = new SecretRedactor(deps.secrets);
  const commit = await deps.github.request('GET /repos/{owner}/{repo}/commits/{ref}', {
    ...repo,
    ref: job.ref,
  });
  const parsed = Commit.safeParse(commit.data);
  if (!parsed.success) throw new SystemError(`GitHub named no commit for ${job.ref}`);
  const headSha = parsed.data.sha;
  const progress = createProgressCheckRun({
    octokit: deps.github,
    repo,
    headSha,
    jobId,
    name: 'Patchling scan',
    jobKind: 'scan',
    redactor,
  });
  const progressId = await progress.start();
  let workspace: Awaited<ReturnType<typeof prepareJobWorkspace>> | undefined;
  try {
    await deps.onProgressCreated({ kind: 'check_run', id: progressId });
    const loaded = await loadRepoConfig(deps.github, repo);
    if (!loaded.ok) {
      const message = formatConfigProblems(loaded.problems);
      await progress.failed(message);
      return { status: 'failed', message };
    }
    const config = loaded.config;
    // Full or diff-aware: from the analyses Patchling uploaded before, then the checkout.
    let scope = chooseScanScope({
      job,
      // Any failure to read them is a full scan, not a failed one.
      past: await listPatchlingAnalyses(deps.github, repo, job.ref).catch((error: unknown) => ({
        readable: false as const,
        reason: redactor.redact(describeError(error)),
      })),
      now: deps.now?.() ?? new Date(),
      fullEveryDays: config.scan.full_every_days,
    });
    await mkdir(deps.workRoot, { recursive: true });
    const token = await deps.gitToken();
    redactor.add(...tokenSpellings(token));
    progress.running('Fetching the repository');
    workspace = await prepareJobWorkspace({
      remoteUrl: deps.cloneUrl(repo.owner, repo.repo),
      token,
      headSha,
      parentDir: deps.workRoot,
      cache: deps.gitCache,
      ...(scope.mode === 'diff' ? { since: scope.since } : {}),
      signal,
    });
    scope = await confirmDiffScope({
      choice: scope,
      workspace: workspace.dir,
      since: workspace.since,
      maxFiles: config.scan.diff_max_files,
      signal,
    });
    deps.log({ msg: 'scan scope', jobId, mode: scope.mode, reason: scope.reason });
    // Dependencies before the scan, as for a fix: the provers' scratch copies are copies of
    // this checkout, so a reproduction that imports a dependency finds it installed.
    const setup = await runJobSetup({
      jobId,
      deps,
      repo,
      config,
      workspace: workspace.dir,
      secrets: [...deps.secrets, ...tokenSpellings(token)],
      progress,
      signal,
    });
    if (!setup.ok) {
      await progress.failed(setup.message, setup.details);
      return { status: 'failed', message: redactor.redact(setup.message) };
    }
    if (setup.note) deps.log({ msg: 'warning', jobId, warning: setup.note });
    const gitattributes = await readRepoFile(deps.github, repo, '.gitattributes', headSha, {
      maxBytes: 256 * 1024,
    });
    const result = await scanRepository({
      workspace: workspace.dir,
      ...(scope.mode === 'diff' ? { since: scope.since } : {}),
      settings: config.scan,
      ...(gitattributes === undefined ? {} : { gitattributes }),
      agents: await loadBaseAgentsInstructions(deps.github, repo, headSha),
      sandboxEnv: config.sandbox.env,
      modelConfig: deps.modelConfig,
      stateDir: deps.stateDir,
      env: {},
      extraSecrets: [...deps.secrets, ...tokenSpellings(token)],
      budgets: {
        maxTurnsPerRun: deps.maxTurns,
        maxTokens: config.scan.max_tokens,
        deadlineAt: Date.now() + config.scan.timeout_minutes * 60_000,
      },
      scratchParent: deps.workRoot,
      signal,
      onPass: (pass) => {
        if (pass.pass === 'threat_model') progress.running('Mapping the attack surface');
        else if (pass.pass === 'hunt')
          progress.running(`Hunting, part ${pass.index} of ${pass.total}`);
        else progress.running(`Proving finding ${pass.index} of ${pass.total}`);
      },
      onEvent: (event) => progress.onAgentEvent(event),
      onWarning: (message) => deps.log({ msg: 'warning', jobId, warning: message }),
    });
    const runId = result.runIds.at(-1);
    deps.log({
      msg: 'scan finished',
      jobId,
      status: result.status,
      findings: result.findings.length,
      dropped: result.dropped.length,
      notCovered: result.notCovered.length,
      artefacts: result.artefactsDir,
    });
    if (result.status === 'failed') {
      await progress.failed(result.message);
      return {
        status: 'failed',
        message: redactor.redact(result.message),
        ...(runId ? { runId } : {}),
      };
    }
    progress.running('Uploading the SARIF');
    const scanned = workspace.dir;
    const published = await publishScan({
      github: deps.github,
      repo,
      ref: job.ref,
      result,
      sarif: (carried) =>
        scanSarif(result, {
          workspace: scanned,
          redactor,
          repositoryUri: `https://github.com/${repo.owner}/${repo.repo}`,
          carried,
        }),
      notifyAt: config.scan.notify_at,
      scopeReason: scope.reason,
      sleep: deps.sleep ?? ((ms) => delay(ms, undefined, { signal })),
      redact: (text) => redactor.redact(text),
    });
    // scan.fix: a draft pull request per new reproduced finding, its fix proven the same way.
    const summary = await fixAndReportScanFindings({
      deps,
      job,
      config,
      result,
      published,
      workspace: workspace.dir,
      token,
      redactor,
      signal,
      onProgress: (text) => progress.running(text),
      onEvent: (event) => progress.onAgentEvent(event),
    });
    await progress.succeeded({
      summary,
      conclusion: published.comparison.new.length > 0 ? 'success' : 'neutral',
      ...(published.issue ? { link: published.issue.url } : {}),
    });
    return {
      status: 'completed',
      message: redactor.redact(result.message),
      finalMessage: summary,
      ...(runId ? { runId } : {}),
    };
  } catch (error) {
    await progress.failed(
      signal.aborted ? describeAbort(signal) : redactor.redact(describeError(error)),
    );
    throw error;
  } finally {
    await workspace?.dispose();
    await progress.settled();
  }
}

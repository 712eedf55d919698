import type { GitHubApi } from '../github/types.js';
import type { JobHandler } from '../queue/execute-job.js';
import type { JobStore } from '../queue/types.js';
import { handleDelivery } from './handle-delivery.js';
import type { Job, RoutedJob } from './job.js';
import { runAgentJob, type AgentJobDeps } from './run-agent-job.js';
import { runHelp } from './run-help.js';

export interface JobHandlerDeps {
  readonly store: Pick<JobStore<Job>, 'setProgress'>;
  /** An installation client, with throttling, retries and redaction. */
  readonly githubFor: (installationId: number | undefined) => GitHubApi;
  readonly gitTokenFor: (installationId: number | undefined) => Promise<string>;
  readonly submit: (input: { deliveryId: string; job: RoutedJob }) => Promise<unknown>;
  readonly botLogin: () => Promise<string>;
  readonly commandName: string;
  readonly agent: Omit<
    AgentJobDeps,
    'github' | 'gitToken' | 'botLogin' | 'onProgressCreated' | 'log'
  >;
  readonly log: (entry: Record<string, unknown>) => void;
}

/** One handler for every stored job, by kind. */
export function createJobHandler(deps: JobHandlerDeps): JobHandler<Job> {
  return async (stored, signal) => {
    const job = stored.payload;
    const installationId = job.repo.installationId;
    const github = deps.githubFor(installationId);
    switch (job.kind) {
      case 'delivery':
        return handleDelivery(job, stored.deliveryId, {
          github,
          botLogin: await deps.botLogin(),
          commandName: deps.commandName,
          submit: deps.submit,
          log: deps.log,
        });
      case 'help':
        return runHelp(job, github, deps.commandName);
      case 'review':
      case 'fix':
      case 'scan':
        return runAgentJob(
          stored.id,
          job,
          {
            ...deps.agent,
            ...(stored.deadlineAt === undefined ? {} : { jobDeadlineAt: stored.deadlineAt }),
            github,
            gitToken: () => deps.gitTokenFor(installationId),
            botLogin: deps.botLogin,
            onProgressCreated: async (progress) => {
              await deps.store.setProgress(stored.id, { [progress.kind]: progress.id });
            },
            log: deps.log,
          },
          signal,
        );
      default: {
        const unhandled: never = job;
        throw new Error(`unknown job ${JSON.stringify(unhandled)}`);
      }
    }
  };
}

import path from 'node:path';
import type { ConversationItem, ImageContent, MessageContent } from '../model/types.js';
import type { SandboxPolicy } from '../sandbox/types.js';
import { loadAgentsInstructions, type AgentsInstructions } from './load-agents-md.js';
import { loadPrompt } from './load-prompt.js';
import { wrapUntrusted, type UntrustedText } from './untrusted.js';

export interface AgentTask {
  /** The instruction, from whoever started the run (trusted). */
  readonly prompt: string;
  /** Outside text the task is about (issue body, PR title...), marked as data. */
  readonly untrusted?: readonly UntrustedText[];
  readonly images?: readonly ImageContent[];
}

export interface AssembledPrompt {
  /** Fixed for the run: the same bytes on every turn. */
  readonly instructions: string;
  /** The conversation's head: environment and AGENTS.md, then the task. */
  readonly initialItems: ConversationItem[];
  readonly agentsFiles: readonly string[];
}

/**
 * The fixed part of every request: base instructions (plus a job's own prompt), a short
 * environment block, the repository's AGENTS.md, then the task. Kept small on purpose: a
 * CI task needs none of an interactive assistant's extras, and every byte here is paid
 * again on each turn.
 */
export async function assemblePrompt(options: {
  readonly workspace: string;
  readonly cwd: string;
  readonly policy: SandboxPolicy;
  readonly task: AgentTask;
  readonly jobPrompt?: string;
  readonly now: Date;
  /**
   * AGENTS.md text read elsewhere. A pull request's checkout is its head, written by its
   * author: its instructions must come from the base branch, never from the change itself.
   */
  readonly agents?: AgentsInstructions;
}): Promise<AssembledPrompt> {
  const instructions = [loadPrompt('base'), options.jobPrompt].filter(Boolean).join('\n\n');
  const relativeCwd = path.relative(options.workspace, options.cwd) || '.';
  const environment = loadPrompt('environment', {
    cwd: relativeCwd === '.' ? 'the repository root' : relativeCwd,
    date: options.now.toISOString().slice(0, 10),
    policy: options.policy,
  });
  const agents = options.agents ?? (await loadAgentsInstructions(options.workspace, options.cwd));

  const context = agents.text
    ? `${environment}\n\n<repository-instructions>\n${agents.text}\n</repository-instructions>`
    : environment;

  const taskParts: MessageContent[] = [
    {
      type: 'text',
      text: [options.task.prompt, ...(options.task.untrusted ?? []).map(wrapUntrusted)].join(
        '\n\n',
      ),
    },
    ...(options.task.images ?? []),
  ];
  return {
    instructions,
    initialItems: [
      { type: 'message', role: 'user', content: [{ type: 'text', text: context }] },
      { type: 'message', role: 'user', content: taskParts },
    ],
    agentsFiles: agents.files,
  };
}

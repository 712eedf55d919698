import type { RunSetup } from '../../src/agent/events.js';

/** The RunSetup the agent-loop tests share: a fixed system prompt and one task message. */
export function testRunSetup(options: {
  readonly runId: string;
  readonly workspace: string;
  readonly task: string;
  readonly api: string;
  readonly sandboxPolicy?: string;
}): RunSetup {
  return {
    runId: options.runId,
    instructions: 'You are a test agent.',
    initialItems: [
      { type: 'message', role: 'user', content: [{ type: 'text', text: options.task }] },
    ],
    workspace: options.workspace,
    model: 'test-model',
    provider: 'openai',
    api: options.api,
    sandboxPolicy: options.sandboxPolicy ?? 'read-only',
  };
}

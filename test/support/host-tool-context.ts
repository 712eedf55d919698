import type { SandboxPolicy } from '../../src/sandbox/types.js';
import type { ToolContext, ToolEvent } from '../../src/tools/types.js';

/**
 * A context for tools that work in Patchling's own process (read_file, list_dir,
 * view_image, update_plan, apply_patch): its sandbox fails the test if the tool ever
 * tries to run a command, and emitted events are collected.
 */
export function hostToolContext(
  workspace: string,
  tool: string,
  options: { policy?: SandboxPolicy; events?: ToolEvent[] } = {},
): ToolContext {
  return {
    workspace,
    sandbox: {
      policy: options.policy ?? 'read-only',
      workspace,
      run: () => Promise.reject(new Error(`${tool} must not run commands`)),
    },
    signal: new AbortController().signal,
    emit: (event) => void options.events?.push(event),
  };
}

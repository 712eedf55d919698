import { UserError } from '../errors.js';
import { findWorkspaceHazards } from '../workspace/find-workspace-hazards.js';
import { neutraliseWorkspaceHazards } from '../workspace/neutralise-workspace-hazards.js';
import type { WalkHint } from '../workspace/list-hazard-candidates.js';
import type { CommandResult } from './types.js';

/**
 * What a command leaves in the workspace must not act on the host afterwards (nested
 * repositories, FIFOs, set-id files: see find-workspace-hazards.ts). The repositories
 * already there when the sandbox is made (the workspace's own .git, a user's nested
 * clones) are bound read-only inside, so no command can change them; everything else is
 * neutralised after each command that could write.
 */
export interface WorkspaceSweep {
  /** The repositories found at the start, to bind read-only inside (real paths). */
  readonly protectedPaths: readonly string[];
  /** Neutralises what appeared since the start; one note per hazard, for the model. */
  sweep(): Promise<string[]>;
}

export async function prepareWorkspaceSweep(workspace: string): Promise<WorkspaceSweep> {
  // Per sandbox: once the workspace proved large, each sweep goes straight to find.
  const hint: WalkHint = { large: false };
  const existing = await findWorkspaceHazards(workspace, { hint });
  const known = new Set(existing.map((hazard) => hazard.id));
  const protectedPaths: string[] = [];
  for (const hazard of existing) {
    if (hazard.kind !== 'repository') continue;
    // bwrap's arguments are text; a path that does not survive UTF-8 cannot be bound.
    if (!Buffer.from(hazard.path).equals(hazard.location)) {
      throw new UserError(
        `The workspace holds a git repository at a path that is not valid UTF-8 (${hazard.path}); rename or remove it.`,
      );
    }
    protectedPaths.push(hazard.path);
  }
  return {
    protectedPaths,
    sweep: async () =>
      neutraliseWorkspaceHazards(workspace, await findWorkspaceHazards(workspace, { known, hint })),
  };
}

/** The command's result, with what the sweep neutralised after it (when it could write). */
export async function withSweep(
  result: CommandResult,
  sweep: WorkspaceSweep | undefined,
): Promise<CommandResult> {
  const notes = (await sweep?.sweep()) ?? [];
  return notes.length === 0 ? result : { ...result, neutralised: notes };
}

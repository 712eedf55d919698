import { z } from 'zod';
import { isNotFound } from './errors.js';
import type { GitHubApi, GitHubRepo } from './types.js';

export const PERMISSION_LEVELS = ['none', 'read', 'triage', 'write', 'maintain', 'admin'] as const;
export type PermissionLevel = (typeof PERMISSION_LEVELS)[number];

/** Only the fields we rely on; GitHub sends more. */
const permissionResponse = z.object({
  /** Legacy: admin, write, read or none (maintain reads as write, triage as read). */
  permission: z.string(),
  /** The role: one of ours, or the name of an organisation's custom role. */
  role_name: z.string().optional(),
  user: z
    .object({
      permissions: z
        .object({
          admin: z.boolean().optional(),
          maintain: z.boolean().optional(),
          push: z.boolean().optional(),
          triage: z.boolean().optional(),
          pull: z.boolean().optional(),
        })
        .optional(),
    })
    .nullable()
    .optional(),
});

/**
 * What `login` may do in the repository. 404 (not a collaborator, or an unknown user)
 * is 'none'. A custom role's name is not a level: then the user's permission flags, else
 * the legacy `permission` field, decide.
 */
export async function getPermissionLevel(
  octokit: GitHubApi,
  repo: GitHubRepo,
  login: string,
): Promise<PermissionLevel> {
  let raw: unknown;
  try {
    const response = await octokit.request(
      'GET /repos/{owner}/{repo}/collaborators/{username}/permission',
      { owner: repo.owner, repo: repo.repo, username: login },
    );
    raw = response.data;
  } catch (error) {
    if (isNotFound(error)) return 'none';
    throw error;
  }
  const data = permissionResponse.parse(raw);
  const role = asLevel(data.role_name);
  if (role) return role;
  const flags = data.user?.permissions;
  if (flags) {
    if (flags.admin) return 'admin';
    if (flags.maintain) return 'maintain';
    if (flags.push) return 'write';
    if (flags.triage) return 'triage';
    if (flags.pull) return 'read';
  }
  return asLevel(data.permission) ?? 'none';
}

function asLevel(value: string | undefined): PermissionLevel | undefined {
  return PERMISSION_LEVELS.find((level) => level === value);
}

/** true when `level` is at least `required` (write ≥ triage ≥ read). */
export function hasPermission(level: PermissionLevel, required: PermissionLevel): boolean {
  return PERMISSION_LEVELS.indexOf(level) >= PERMISSION_LEVELS.indexOf(required);
}

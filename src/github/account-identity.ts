import type { GitIdentity } from '../workspace/git/commit-message.js';
import type { GitHubApi } from './types.js';

/**
 * The git identity GitHub links to an account: its login and its no-reply address
 * (`<id>+<login>@users.noreply.github.com`), which works for bots and people alike and
 * never exposes a private email.
 */
export async function accountIdentity(github: GitHubApi, login: string): Promise<GitIdentity> {
  const { data } = await github.request('GET /users/{username}', { username: login });
  return { name: data.login, email: `${data.id}+${data.login}@users.noreply.github.com` };
}

import { z } from 'zod';
import { describeError } from '../errors.js';
import type { GitHubApi } from './types.js';

export const VIEWER_LOGIN_QUERY = 'query { viewer { login } }';

const viewerAnswer = z.object({ viewer: z.object({ login: z.string().min(1) }) });
const userAnswer = z.object({ login: z.string().min(1) });

export interface TokenLogin {
  readonly login: string;
  /** Where it came from; `fallback` when GitHub would not say. */
  readonly source: 'graphql' | 'rest' | 'fallback';
}

/**
 * The account a token acts as, so Patchling recognises its own reviews and comments.
 *
 * GraphQL's `viewer` answers for every kind of token: a personal token (the user), an App
 * installation token (`<app-slug>[bot]`) and the workflow's GITHUB_TOKEN, which is an
 * installation token of the github-actions app (`github-actions[bot]`). REST cannot: `GET
 * /user` is refused to installation tokens (403 "Resource not accessible by integration"),
 * `GET /app` needs the App's JWT, and `GET /installation/repositories` names no account.
 * `GET /user` is still the second try, for servers whose GraphQL endpoint is off. When both
 * fail, `fallback` is assumed (the workflow token's account) and the reason is logged.
 */
export async function resolveTokenLogin(
  github: GitHubApi,
  options: { readonly fallback: string; readonly warn?: (message: string) => void },
): Promise<TokenLogin> {
  const reasons: string[] = [];
  try {
    const data = viewerAnswer.parse(await github.graphql(VIEWER_LOGIN_QUERY));
    return { login: data.viewer.login, source: 'graphql' };
  } catch (error) {
    reasons.push(`GraphQL viewer: ${describeError(error)}`);
  }
  try {
    const { data } = await github.request('GET /user');
    return { login: userAnswer.parse(data).login, source: 'rest' };
  } catch (error) {
    reasons.push(`GET /user: ${describeError(error)}`);
  }
  options.warn?.(
    `could not learn which account the token acts as (${reasons.join('; ')}); assuming ${options.fallback}`,
  );
  return { login: options.fallback, source: 'fallback' };
}

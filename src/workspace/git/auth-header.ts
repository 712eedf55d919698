/**
 * The installation token as git sends it: an HTTP header, set for one git process through
 * environment-scoped config (GIT_CONFIG_COUNT/KEY/VALUE, git >= 2.31). Nothing is written
 * to `.git/config` or the remote URL, and the value is not on the command line (where
 * `ps` would show it). The key is scoped to the remote's origin
 * (`http.https://github.com/.extraheader`), so a redirect, a submodule or a promisor
 * remote on another host never receives it.
 */
export function authHeaderEnv(remote: URL, token: string): Record<string, string> {
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `http.${remote.origin}/.extraheader`,
    GIT_CONFIG_VALUE_0: `Authorization: ${basicCredentials(token)}`,
  };
}

/** `Basic base64("x-access-token:" + token)`, how GitHub takes an App installation token. */
export function basicCredentials(token: string): string {
  return `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
}

/** Every spelling of the token that could show up in git's output, for the redactor. */
export function tokenSpellings(token: string): string[] {
  return [
    token,
    Buffer.from(`x-access-token:${token}`).toString('base64'),
    Buffer.from(token).toString('base64'),
  ];
}

/**
 * Host variables a git process may inherit: how to find programs, temp space, proxies
 * and CA certificates. Everything else is dropped, HOME included, so neither the host's
 * `~/.gitconfig`, its global excludes file nor its `.netrc` changes what git does.
 */
const PASSED_THROUGH: readonly string[] = [
  'PATH',
  'TMPDIR',
  'http_proxy',
  'https_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'no_proxy',
  'NO_PROXY',
  'all_proxy',
  'ALL_PROXY',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'CURL_CA_BUNDLE',
  'GIT_SSL_CAINFO',
  'GIT_SSL_CAPATH',
];

/** Set for every git process Patchling runs. */
const FORCED: Readonly<Record<string, string>> = {
  // English messages: errors are classified by their text.
  LC_ALL: 'C',
  // Nothing in CI can answer a prompt: a missing or refused credential fails at once.
  GIT_TERMINAL_PROMPT: '0',
  // Set but empty: git then skips core.askPass and SSH_ASKPASS as well.
  GIT_ASKPASS: '',
  // Only Patchling's own settings apply, not the host's system or global config.
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

/**
 * The whole environment of one git process, rebuilt from nothing (like the sandbox's):
 * the allowlisted host values, the forced settings, then `extra` (the auth header, the
 * commit identity, a temporary index).
 */
export function buildGitEnvironment(
  parentEnv: Readonly<Record<string, string | undefined>>,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSED_THROUGH) {
    const value = parentEnv[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...FORCED, ...extra };
}

import type { SimpleGitOptions } from 'simple-git';

/**
 * `-c` settings given to every git process. Command-line config beats the repository's
 * own `.git/config`, so these hold even if something edited it.
 */
export const FORCED_GIT_CONFIG: readonly string[] = [
  // Never run the repository's hooks: they are code from the pull request.
  'core.hooksPath=/dev/null',
  // A configured fsmonitor is a program git would start on `status`, `add` or `diff`.
  'core.fsmonitor=false',
  // An empty value clears the list: no host credential helper sees the remote or stores
  // the token.
  'credential.helper=',
  // http(s) only: no ssh (core.sshCommand), no file:// or ext:: remotes, also for lazy
  // fetches of a partial clone, which read the remote's URL from `.git/config`.
  'protocol.allow=never',
  'protocol.https.allow=always',
  'protocol.http.allow=always',
  // Submodules could point anywhere; Patchling never fetches or checks them out.
  'submodule.recurse=false',
  'fetch.recurseSubmodules=false',
  // Signing would run gpg.program.
  'commit.gpgSign=false',
  'tag.gpgSign=false',
  // No background work in a directory that is about to be removed.
  'gc.auto=0',
  'maintenance.auto=false',
  'advice.detachedHead=false',
];

/**
 * simple-git blocks settings it knows can run commands or redirect credentials. Patchling
 * sets exactly those to switch the behaviour *off*, so it must opt in. Every argument
 * Patchling passes is built from validated input (refs, URLs), never raw user text.
 */
export const GIT_UNSAFE_ALLOWANCES: SimpleGitOptions['unsafe'] = {
  // core.hooksPath=/dev/null above.
  allowUnsafeHooksPath: true,
  // core.fsmonitor=false above.
  allowUnsafeFsMonitor: true,
  // credential.helper= above.
  allowUnsafeCredentialHelper: true,
  // protocol.*.allow above.
  allowUnsafeProtocolOverride: true,
  // GIT_CONFIG_COUNT/KEY/VALUE carry the auth header (see auth-header.ts).
  allowUnsafeConfigEnvCount: true,
  // GIT_ASKPASS='' turns askpass off.
  allowUnsafeAskPass: true,
  // GIT_CONFIG_GLOBAL=/dev/null ignores the host's global config.
  allowUnsafeConfigPaths: true,
};

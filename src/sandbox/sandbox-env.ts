import { UserError } from '../errors.js';

/** Always passed through from the parent when set: what tools need to behave. */
export const BASE_ENV_NAMES: readonly string[] = ['PATH', 'LANG', 'LC_ALL', 'TERM', 'CI'];

// Names that almost always hold a credential. Allowlisting one would break the rule that
// no secret reaches a model-chosen command, so it is refused rather than trusted.
const SECRET_LIKE_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|KEY|CREDENTIAL|COOKIE/i;

/**
 * Whether an environment variable's name says it holds a credential (SSH_KEY, NPM_TOKEN,
 * AWS_SECRET_ACCESS_KEY...). The one rule for "never into the sandbox": the repo
 * config's `sandbox.env` is checked with it too.
 */
export function looksLikeSecretName(name: string): boolean {
  return SECRET_LIKE_NAME.test(name);
}

// The operator's own settings: Patchling's (PATCHLING_QUEUE_URL may carry a Redis password,
// PATCHLING_NETWORK_ALLOW names internal hosts) and the model endpoint's. A repository's
// config must not be able to pull them into the sandbox, whatever their names say.
const OPERATOR_SETTING = /^(PATCHLING_|OPENAI_BASE_URL$|AZURE_OPENAI_ENDPOINT$)/i;

/** Whether a variable is one of the operator's settings, which never enter the sandbox. */
export function isOperatorSetting(name: string): boolean {
  return OPERATOR_SETTING.test(name);
}

// scheme://user:password@ or scheme://:password@ (redis, postgres, amqp...).
const URL_WITH_CREDENTIALS = /[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

// Non-interactive defaults: nothing in CI can answer a prompt or page output.
const NON_INTERACTIVE_DEFAULTS: Readonly<Record<string, string>> = {
  CI: 'true',
  LANG: 'C.UTF-8',
  GIT_TERMINAL_PROMPT: '0',
  GIT_PAGER: 'cat',
  PAGER: 'cat',
};

const FALLBACK_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface SandboxEnvOptions {
  /** Where allowlisted values come from; usually process.env. */
  readonly parentEnv: Readonly<Record<string, string | undefined>>;
  /** Extra names the caller wants passed through (never secrets; checked). */
  readonly allowlist: readonly string[];
  readonly home: string;
  readonly tmpdir: string;
  /** Directory of the node binary, put on PATH so `node` resolves inside. */
  readonly nodeBinDir: string;
}

/** Refuses allowlist entries that are not variable names or that look like credentials. */
export function assertEnvAllowlistSafe(names: readonly string[]): void {
  for (const name of names) {
    if (!ENV_NAME.test(name)) {
      throw new UserError(
        `envAllowlist: ${JSON.stringify(name)} is not an environment variable name.`,
      );
    }
    if (looksLikeSecretName(name)) {
      throw new UserError(
        `envAllowlist: ${name} looks like a credential; secrets must never reach sandboxed commands.`,
      );
    }
    if (isOperatorSetting(name)) {
      throw new UserError(
        `envAllowlist: ${name} is one of Patchling's own settings; they never reach sandboxed commands.`,
      );
    }
  }
}

/**
 * The whole environment of a sandboxed command, rebuilt from nothing: defaults, then the
 * allowlisted parent values, then HOME and TMPDIR, which always point inside the sandbox.
 */
export function buildSandboxEnv(options: SandboxEnvOptions): Record<string, string> {
  const env: Record<string, string> = { ...NON_INTERACTIVE_DEFAULTS };
  for (const name of [...BASE_ENV_NAMES, ...options.allowlist]) {
    const value = options.parentEnv[name];
    // A URL with a password in it is a credential whatever the variable is called.
    if (value !== undefined && !URL_WITH_CREDENTIALS.test(value)) env[name] = value;
  }
  const path = (env.PATH ?? FALLBACK_PATH).split(':').filter((entry) => entry !== '');
  if (!path.includes(options.nodeBinDir)) path.push(options.nodeBinDir);
  env.PATH = path.join(':');
  env.HOME = options.home;
  env.TMPDIR = options.tmpdir;
  return env;
}

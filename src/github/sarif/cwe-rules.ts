/**
 * What a SARIF rule says about a weakness, by CWE. The rule id is derived from the CWE
 * alone (`patchling/cwe-89`), so it is the same in every run and every repository: GitHub
 * tracks alerts per rule id.
 */
export interface CweRule {
  readonly id: string;
  readonly name: string;
  readonly shortDescription: string;
  readonly fullDescription: string;
  readonly help: string;
}

const KNOWN: Readonly<
  Record<number, readonly [name: string, short: string, full: string, help: string]>
> = {
  22: [
    'PathTraversal',
    'Path traversal',
    'A file path built from outside input can name files outside the intended directory.',
    'Resolve the path and check that it stays inside the allowed directory, or map input to a fixed set of files.',
  ],
  77: [
    'CommandInjection',
    'Command injection',
    'Outside input reaches a command that is run, and can change what it does.',
    'Pass arguments as a list to a process API that does not use a shell, and validate them.',
  ],
  78: [
    'OsCommandInjection',
    'OS command injection',
    'Outside input is put into a shell command line, so it can run other commands.',
    'Do not build shell command lines from input: run the program with an argument list (no shell), or allowlist the values.',
  ],
  79: [
    'CrossSiteScripting',
    'Cross-site scripting',
    "Outside input is written into HTML without escaping, so it can run script in another user's browser.",
    'Escape output for its context (or use a template engine that does), and never mark input as safe HTML.',
  ],
  89: [
    'SqlInjection',
    'SQL injection',
    'Outside input is put into the text of an SQL query, so it can change the query.',
    'Use parameterised queries (placeholders and bound values); never format input into SQL text.',
  ],
  94: [
    'CodeInjection',
    'Code injection',
    'Outside input is evaluated as code.',
    'Never evaluate input; parse it as data.',
  ],
  200: [
    'InformationExposure',
    'Exposure of sensitive information',
    'Sensitive information is shown to someone who should not see it.',
    'Return only what the caller may see; log and show errors without secrets or internals.',
  ],
  285: [
    'ImproperAuthorization',
    'Improper authorisation',
    'An action is allowed without checking that the caller may perform it.',
    "Check the caller's permission for the object and action on every request, on the server.",
  ],
  287: [
    'ImproperAuthentication',
    'Improper authentication',
    'An identity is accepted without proving it.',
    "Use the framework's authentication, and verify every credential and token.",
  ],
  306: [
    'MissingAuthentication',
    'Missing authentication for a critical function',
    'A critical function can be used without logging in.',
    'Require authentication on the route or function.',
  ],
  327: [
    'BrokenCrypto',
    'Broken or risky cryptography',
    'A weak or broken cryptographic algorithm is used.',
    'Use a current algorithm from a maintained library (e.g. AES-GCM, SHA-256, bcrypt or argon2 for passwords).',
  ],
  352: [
    'CrossSiteRequestForgery',
    'Cross-site request forgery',
    'A state-changing request is accepted without proof that the user meant it.',
    'Require a CSRF token or SameSite cookies for state-changing requests.',
  ],
  434: [
    'UnrestrictedUpload',
    'Unrestricted file upload',
    'Uploaded files of any type are stored where they can be served or run.',
    'Check type and name, store outside the web root, and never execute uploads.',
  ],
  502: [
    'UnsafeDeserialization',
    'Deserialisation of untrusted data',
    'Outside data is deserialised with a format that can create arbitrary objects or run code.',
    'Deserialise untrusted input only with data-only formats (JSON), or a safe loader, and validate it.',
  ],
  601: [
    'OpenRedirect',
    'Open redirect',
    'A redirect target comes from outside input.',
    'Redirect only to relative paths or an allowlist of hosts.',
  ],
  611: [
    'XxeInjection',
    'XML external entity expansion',
    'An XML parser resolves external entities in outside input.',
    'Disable external entities and DTDs in the parser.',
  ],
  639: [
    'InsecureDirectObjectReference',
    'Authorisation bypass through a user-controlled key',
    'An object is fetched by an id from the request without checking it belongs to the caller.',
    'Check ownership or permission for the object on every request.',
  ],
  798: [
    'HardcodedCredentials',
    'Hard-coded credentials',
    'A password, key or token is written in the source code.',
    'Remove it from the code, rotate it, and read it from the environment or a secret store.',
  ],
  862: [
    'MissingAuthorization',
    'Missing authorisation',
    'A route or function performs a protected action without any authorisation check.',
    'Add an authorisation check for the caller before the action.',
  ],
  863: [
    'IncorrectAuthorization',
    'Incorrect authorisation',
    'An authorisation check exists but does not check the right thing.',
    "Check the caller's permission for the specific object and action.",
  ],
  918: [
    'ServerSideRequestForgery',
    'Server-side request forgery',
    'The server makes a request to a URL taken from outside input, which can reach internal services.',
    'Allowlist the hosts and schemes the server may call, and refuse private and link-local addresses.',
  ],
  1321: [
    'PrototypePollution',
    'Prototype pollution',
    'Outside input can set properties on Object.prototype.',
    'Refuse the keys __proto__, constructor and prototype, or use Map or objects without a prototype.',
  ],
};

/** The rule for a CWE id ("CWE-89"); an unknown CWE gets a generic description. */
export function cweRule(cwe: string): CweRule {
  const number = Number(/^CWE-(\d+)$/.exec(cwe)?.[1] ?? NaN);
  const id = `patchling/cwe-${Number.isFinite(number) ? number : 'unknown'}`;
  const known = KNOWN[number];
  const link = `https://cwe.mitre.org/data/definitions/${number}.html`;
  if (known) {
    const [name, short, full, help] = known;
    return {
      id,
      name,
      shortDescription: `${short} (${cwe})`,
      fullDescription: full,
      help: `${help} See ${link}.`,
    };
  }
  return {
    id,
    name: `Cwe${Number.isFinite(number) ? number : 'Unknown'}`,
    shortDescription: `Weakness ${cwe}`,
    fullDescription: `A weakness of the kind ${cwe} describes.`,
    help: `See ${link} for the weakness and how to fix it.`,
  };
}

/** GitHub's tag for a CWE, as CodeQL writes it: external/cwe/cwe-089. */
export function cweTag(cwe: string): string {
  const number = /^CWE-(\d+)$/.exec(cwe)?.[1] ?? '0';
  return `external/cwe/cwe-${number.padStart(3, '0')}`;
}

import { describe, expect, it } from 'vitest';
import { looksLikeNetworkDenial } from '../../src/sandbox/network-denial.js';

describe('looksLikeNetworkDenial', () => {
  it.each([
    'curl: (6) Could not resolve host: registry.npmjs.org',
    "fatal: unable to access 'https://github.com/x/y.git/': Could not resolve host: github.com",
    'ssh: Could not resolve hostname github.com: Temporary failure in name resolution',
    'npm ERR! request to https://registry.npmjs.org/x failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org',
    'Error: getaddrinfo ENOTFOUND example.com',
    'connect ENETUNREACH 140.82.112.3:443',
    'bash: connect: Network is unreachable',
    "WARNING: Retrying ... NewConnectionError('<...>: Failed to establish a new network connection: [Errno -3] Temporary failure in name resolution')",
    'dial tcp: lookup proxy.golang.org: no such host',
    'Error: connect ECONNREFUSED 104.16.0.35:443',
    'curl: (7) Failed to connect to example.com port 443 after 0 ms: Connection refused',
  ])('recognizes %s', (output) => {
    expect(looksLikeNetworkDenial(output)).toBe(true);
  });

  it.each([
    'Error: connect ECONNREFUSED 127.0.0.1:5432',
    'curl: (7) Failed to connect to localhost port 3000 after 0 ms: Connection refused',
    'FAIL src/a.test.ts > adds numbers\nexpected 3 to be 4',
    'error TS2322: Type string is not assignable to type number.',
  ])('does not blame the network for %s', (output) => {
    expect(looksLikeNetworkDenial(output)).toBe(false);
  });
});

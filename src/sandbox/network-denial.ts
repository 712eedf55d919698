/** What the shell tool tells the model when a command failed for want of a network. */
export const NETWORK_DISABLED_HINT =
  'Note: network access is disabled in this sandbox (no DNS, no connections, not even to the ' +
  "host's services). Do not retry; work offline with what is already installed or vendored, " +
  'and mention in your answer anything you could not do without the network.';

// Messages of the tools a model runs most (curl, git, npm/node, pip/python, go, ssh, wget,
// cargo) when DNS or routing is missing.
const NETWORK_FAILURE_PATTERNS: readonly RegExp[] = [
  /could not resolve (host|proxy|hostname)/i,
  /temporary failure in name resolution/i,
  /name or service not known/i,
  /nodename nor servname provided/i,
  /network is unreachable/i,
  /\bENETUNREACH\b/,
  /\bEAI_AGAIN\b/,
  /getaddrinfo\s+(ENOTFOUND|EAI_AGAIN)/i,
  /unable to resolve host address/i,
  /failed to establish a new network connection/i,
  /no such host/i,
  /failed to resolve address/i,
  /dns error/i,
];

// "Connection refused" only counts when the peer is not local: a refused connection to a
// test server on localhost is the command's own business.
const REFUSED_PATTERNS: readonly RegExp[] = [
  /ECONNREFUSED\s+\[?([0-9a-fA-F.:]+?)\]?:\d+/g,
  /(?:failed to connect to|connect to host)\s+([^\s:]+)(?:\s+port|:)\s*\d+[^\n]*connection refused/gi,
  /connection to ([^\s:]+)(?::\d+)? refused/gi,
];

/** true when the output reads like a command that failed because there is no network. */
export function looksLikeNetworkDenial(output: string): boolean {
  if (NETWORK_FAILURE_PATTERNS.some((pattern) => pattern.test(output))) return true;
  for (const pattern of REFUSED_PATTERNS) {
    for (const match of output.matchAll(pattern)) {
      const host = match[1];
      if (host !== undefined && !isLocalHost(host)) return true;
    }
  }
  return false;
}

function isLocalHost(host: string): boolean {
  const lower = host.toLowerCase();
  return (
    lower === 'localhost' ||
    lower.endsWith('.localhost') ||
    lower.startsWith('127.') ||
    lower === '::1' ||
    lower === '0.0.0.0' ||
    lower === '::'
  );
}

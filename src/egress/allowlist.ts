import ipaddr from 'ipaddr.js';
import { UserError } from '../errors.js';

/**
 * The hosts a sandboxed command may reach through the egress proxy. An entry is a host
 * name (`registry.npmjs.org`), a wildcard for its subdomains (`*.pythonhosted.org`: any
 * name below it, not the name itself), or an address (`10.0.0.5`, `10.0.0.0/8`,
 * `[fd00::1]`), each with an optional `:port`. Without a port an entry allows 443 and
 * 80. Addresses that are not public (loopback, private, link-local such as cloud
 * metadata) are reachable only through an address entry: naming a host is not enough,
 * so a registry name that resolves inward, or is made to, is refused.
 */
export type AllowEntry =
  | {
      readonly kind: 'host';
      readonly text: string;
      /** Lower case, no trailing dot; for a wildcard, the part after `*.`. */
      readonly host: string;
      readonly wildcard: boolean;
      readonly port?: number;
    }
  | {
      readonly kind: 'address';
      readonly text: string;
      readonly range: [ipaddr.IPv4 | ipaddr.IPv6, number];
      readonly port?: number;
    };

/** The public package registries: npm, PyPI, Go, crates.io, RubyGems, Maven Central. */
export const DEFAULT_NETWORK_ALLOW: readonly string[] = [
  'registry.npmjs.org',
  'registry.yarnpkg.com',
  'pypi.org',
  'files.pythonhosted.org',
  'proxy.golang.org',
  'sum.golang.org',
  'crates.io',
  'index.crates.io',
  'static.crates.io',
  'rubygems.org',
  'index.rubygems.org',
  'repo.maven.apache.org',
  'repo1.maven.org',
];

const DEFAULT_PORTS = [443, 80];
const HOST_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** Parses a comma-separated list (PATCHLING_NETWORK_ALLOW); `source` names it in errors. */
export function parseAllowlist(text: string, source: string): AllowEntry[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => parseAllowEntry(part, source));
}

export function parseAllowEntry(text: string, source: string): AllowEntry {
  const fail = (why: string): never => {
    throw new UserError(`${source}: ${JSON.stringify(text)} ${why}`);
  };
  let rest = text.trim().toLowerCase();
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(rest)) {
    return fail('is a URL; write host[:port], e.g. registry.npmjs.org');
  }
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (bracketed) {
    rest = bracketed[1] as string;
    if (bracketed[2] !== undefined) port = parsePort(bracketed[2], fail);
  } else if ((rest.match(/:/g) ?? []).length === 1) {
    const [name, portText] = rest.split(':') as [string, string];
    rest = name;
    port = parsePort(portText, fail);
  }
  const range = parseRange(rest);
  if (range !== undefined) return { kind: 'address', text, range, ...portField(port) };
  if (rest.includes('/') || rest.includes(':')) {
    return fail('is not an address, a range or a host name.');
  }
  const wildcard = rest.startsWith('*.');
  const host = (wildcard ? rest.slice(2) : rest).replace(/\.$/, '');
  if (host.includes('*'))
    return fail('may only use a wildcard as its first label (*.example.org).');
  const labels = host.split('.');
  if (host === '' || host.length > 253 || !labels.every((label) => HOST_LABEL.test(label))) {
    return fail('is not a host name.');
  }
  if (wildcard && labels.length < 2) {
    return fail('is too wide: a wildcard needs a domain with at least two labels.');
  }
  return { kind: 'host', text, host, wildcard, ...portField(port) };
}

function portField(port: number | undefined): { port?: number } {
  return port === undefined ? {} : { port };
}

function parsePort(text: string, fail: (why: string) => never): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65_535) fail('has an invalid port.');
  return port;
}

function parseRange(text: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined {
  try {
    if (text.includes('/')) return ipaddr.parseCIDR(text);
    if (!ipaddr.isValid(text)) return undefined;
    // Only canonical literals: `10.1` or `0x7f.1` are valid to inet_aton, not to a reader.
    if (ipaddr.IPv4.isValid(text) && !ipaddr.IPv4.isValidFourPartDecimal(text)) return undefined;
    const address = ipaddr.parse(text);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return undefined;
  }
}

function portAllowed(entry: AllowEntry, port: number): boolean {
  return entry.port === undefined ? DEFAULT_PORTS.includes(port) : entry.port === port;
}

function hostMatches(entry: Extract<AllowEntry, { kind: 'host' }>, host: string): boolean {
  return entry.wildcard ? host.endsWith(`.${entry.host}`) : host === entry.host;
}

/** The literal address a host name is, if it is one (`127.0.0.1`, `[::1]`, `::1`). */
function literalAddress(host: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  const range = parseRange(bare);
  return range === undefined ? undefined : ipaddr.process(bare);
}

/** Normalizes a requested host: lower case, no trailing dot, IPv6 without brackets. */
export function normalizeHost(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}

/** The entry that lets a request for host:port through, if one does. */
export function findAllowEntry(
  entries: readonly AllowEntry[],
  host: string,
  port: number,
): AllowEntry | undefined {
  const name = normalizeHost(host);
  const literal = literalAddress(name);
  return entries.find((entry) => {
    if (!portAllowed(entry, port)) return false;
    if (entry.kind === 'host') return literal === undefined && hostMatches(entry, name);
    return literal !== undefined && inRange(literal, entry.range);
  });
}

/**
 * Whether an address that a request resolved to may be connected to: public unicast
 * addresses may; any other (loopback, private, link-local, unique local, CGNAT,
 * reserved...) only when an address entry names it, with that port.
 */
export function isAddressAllowed(
  entries: readonly AllowEntry[],
  address: string,
  port: number,
): { allowed: true } | { allowed: false; range: string } {
  const parsed = ipaddr.process(address);
  const range = addressRange(parsed);
  if (range === 'unicast') return { allowed: true };
  const named = entries.some(
    (entry) => entry.kind === 'address' && portAllowed(entry, port) && inRange(parsed, entry.range),
  );
  return named ? { allowed: true } : { allowed: false, range };
}

/**
 * ipaddr.js's range name, except that it calls the deprecated IPv4-compatible block
 * `::/96` (RFC 4291 2.5.5.1, `::127.0.0.1`) plain unicast: a stack or tunnel that still
 * maps it would reach the embedded IPv4 address, loopback included, so it is never public.
 */
function addressRange(address: ipaddr.IPv4 | ipaddr.IPv6): string {
  const range = address.range();
  if (range === 'unicast' && address instanceof ipaddr.IPv6 && address.match(IPV4_COMPATIBLE)) {
    return 'ipv4Compatible';
  }
  return range;
}

const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR('::/96');

function inRange(
  address: ipaddr.IPv4 | ipaddr.IPv6,
  [base, bits]: [ipaddr.IPv4 | ipaddr.IPv6, number],
): boolean {
  const candidate = address.kind() === 'ipv6' ? ipaddr.process(address.toString()) : address;
  const network = base.kind() === 'ipv6' ? ipaddr.process(base.toString()) : base;
  if (candidate.kind() !== network.kind()) return false;
  return candidate.match(network, bits);
}

/**
 * The list a repository's config narrows the operator's to: each of its entries must lie
 * within one of the operator's (a host the operator allows, a port it allows); the rest
 * are dropped and reported. A repository can never widen the list.
 */
export function narrowAllowlist(
  operator: readonly AllowEntry[],
  requested: readonly AllowEntry[],
): { entries: AllowEntry[]; dropped: string[] } {
  const entries: AllowEntry[] = [];
  const dropped: string[] = [];
  for (const entry of requested) {
    if (operator.some((outer) => covers(outer, entry))) entries.push(entry);
    else dropped.push(entry.text);
  }
  return { entries, dropped };
}

function covers(outer: AllowEntry, inner: AllowEntry): boolean {
  const innerPorts = inner.port === undefined ? DEFAULT_PORTS : [inner.port];
  if (!innerPorts.every((port) => portAllowed(outer, port))) return false;
  if (outer.kind === 'host' && inner.kind === 'host') {
    if (outer.wildcard) return inner.host.endsWith(`.${outer.host}`);
    return !inner.wildcard && inner.host === outer.host;
  }
  if (outer.kind === 'address' && inner.kind === 'address') {
    return inner.range[1] >= outer.range[1] && inRange(inner.range[0], outer.range);
  }
  return false;
}

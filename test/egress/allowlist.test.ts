import { describe, expect, it } from 'vitest';
import {
  findAllowEntry,
  isAddressAllowed,
  narrowAllowlist,
  parseAllowEntry,
  parseAllowlist,
} from '../../src/egress/allowlist.js';
import { networkSettingsFromEnv, repositoryAllowlist } from '../../src/egress/network-settings.js';
import { UserError } from '../../src/errors.js';

describe('parseAllowlist', () => {
  it('reads hosts, wildcards, ports and addresses, in any case', () => {
    const entries = parseAllowlist(
      ' Registry.NPMJS.org , *.pythonhosted.org:443, 127.0.0.1:4873, 10.0.0.0/8, [::1]:8080 ',
      'PATCHLING_NETWORK_ALLOW',
    );
    expect(entries.map((entry) => entry.kind)).toEqual([
      'host',
      'host',
      'address',
      'address',
      'address',
    ]);
    expect(entries[0]).toMatchObject({ host: 'registry.npmjs.org', wildcard: false });
    expect(entries[1]).toMatchObject({ host: 'pythonhosted.org', wildcard: true, port: 443 });
    expect(entries[2]).toMatchObject({ port: 4873 });
    expect(entries[4]).toMatchObject({ port: 8080 });
  });

  it.each([
    ['*', 'wildcard'],
    ['*.org', 'too wide'],
    ['a.*.org', 'wildcard'],
    ['host:99999', 'invalid port'],
    ['http://registry.npmjs.org', 'is a URL'],
    ['registry:npm:1', 'not an address'],
    ['exa mple.org', 'not a host name'],
  ])('refuses %j with a message naming the entry', (text, why) => {
    expect(() => parseAllowEntry(text, 'PATCHLING_NETWORK_ALLOW')).toThrow(UserError);
    expect(() => parseAllowEntry(text, 'PATCHLING_NETWORK_ALLOW')).toThrow(why);
    expect(() => parseAllowEntry(text, 'PATCHLING_NETWORK_ALLOW')).toThrow(
      `PATCHLING_NETWORK_ALLOW: ${JSON.stringify(text)}`,
    );
  });
});

describe('findAllowEntry', () => {
  const entries = parseAllowlist(
    'registry.npmjs.org,*.pythonhosted.org,127.0.0.1:4873,proxy.golang.org:8443',
    'test',
  );

  it('matches exact names on 443 and 80 when no port is given', () => {
    expect(findAllowEntry(entries, 'registry.npmjs.org', 443)).toBeDefined();
    expect(findAllowEntry(entries, 'REGISTRY.npmjs.org.', 80)).toBeDefined();
    expect(findAllowEntry(entries, 'registry.npmjs.org', 22)).toBeUndefined();
    expect(findAllowEntry(entries, 'evil-registry.npmjs.org', 443)).toBeUndefined();
  });

  it('matches a wildcard below its domain, never the domain itself or a look-alike', () => {
    expect(findAllowEntry(entries, 'files.pythonhosted.org', 443)).toBeDefined();
    expect(findAllowEntry(entries, 'a.b.pythonhosted.org', 443)).toBeDefined();
    expect(findAllowEntry(entries, 'pythonhosted.org', 443)).toBeUndefined();
    expect(findAllowEntry(entries, 'evilpythonhosted.org', 443)).toBeUndefined();
  });

  it('holds a port to the one listed', () => {
    expect(findAllowEntry(entries, 'proxy.golang.org', 8443)).toBeDefined();
    expect(findAllowEntry(entries, 'proxy.golang.org', 443)).toBeUndefined();
    expect(findAllowEntry(entries, '127.0.0.1', 4873)).toBeDefined();
    expect(findAllowEntry(entries, '127.0.0.1', 4874)).toBeUndefined();
  });
});

describe('isAddressAllowed', () => {
  const entries = parseAllowlist('registry.npmjs.org,127.0.0.1:4873,10.1.0.0/16', 'test');

  it('allows public addresses', () => {
    expect(isAddressAllowed(entries, '104.16.1.34', 443)).toEqual({ allowed: true });
    expect(isAddressAllowed(entries, '2606:4700::6810:122', 443)).toEqual({ allowed: true });
  });

  it.each([
    ['127.0.0.1', 443, 'loopback'],
    ['169.254.169.254', 80, 'linkLocal'],
    ['10.9.9.9', 443, 'private'],
    ['192.168.1.1', 443, 'private'],
    ['::1', 443, 'loopback'],
    ['fd00::1', 443, 'uniqueLocal'],
    ['::ffff:127.0.0.1', 4874, 'loopback'],
    ['0.0.0.0', 443, 'unspecified'],
    ['100.64.0.1', 443, 'carrierGradeNat'],
    ['::127.0.0.1', 443, 'loopback'], // ipaddr.js reads the dotted spelling as IPv4-mapped
    ['::7f00:1', 443, 'ipv4Compatible'],
    ['::a9fe:a9fe', 80, 'ipv4Compatible'],
  ])('refuses %s:%d (%s) unless it is named', (address, port, range) => {
    expect(isAddressAllowed(entries, address, port)).toEqual({ allowed: false, range });
  });

  it('allows a non-public address the operator named, on the named port only', () => {
    expect(isAddressAllowed(entries, '127.0.0.1', 4873)).toEqual({ allowed: true });
    expect(isAddressAllowed(entries, '::ffff:127.0.0.1', 4873)).toEqual({ allowed: true });
    expect(isAddressAllowed(entries, '10.1.2.3', 443)).toEqual({ allowed: true });
    expect(isAddressAllowed(entries, '10.1.2.3', 5432)).toMatchObject({ allowed: false });
  });
});

describe('narrowing by the repository', () => {
  const operator = parseAllowlist('registry.npmjs.org,*.pythonhosted.org,10.0.0.0/8:8080', 'op');

  it('keeps what the operator allows and drops the rest: a repository never widens the list', () => {
    const requested = parseAllowlist(
      'registry.npmjs.org,files.pythonhosted.org,evil.example.com,10.1.1.1:8080,10.1.1.1:22,169.254.169.254',
      'setup.network',
    );
    const { entries, dropped } = narrowAllowlist(operator, requested);
    expect(entries.map((entry) => entry.text)).toEqual([
      'registry.npmjs.org',
      'files.pythonhosted.org',
      '10.1.1.1:8080',
    ]);
    expect(dropped).toEqual(['evil.example.com', '10.1.1.1:22', '169.254.169.254']);
  });

  it('uses the operator list as is when the repository says nothing', () => {
    const settings = networkSettingsFromEnv({ PATCHLING_NETWORK_ALLOW: 'registry.npmjs.org' });
    expect(repositoryAllowlist(settings, undefined).entries).toHaveLength(1);
    expect(repositoryAllowlist(settings, ['pypi.org']).entries).toHaveLength(0);
  });
});

describe('networkSettingsFromEnv', () => {
  it('defaults to the public registries and no agent network', () => {
    const settings = networkSettingsFromEnv({});
    expect(settings.agent).toBe('none');
    expect(findAllowEntry(settings.allow, 'registry.npmjs.org', 443)).toBeDefined();
    expect(findAllowEntry(settings.allow, 'files.pythonhosted.org', 443)).toBeDefined();
    expect(findAllowEntry(settings.allow, 'github.com', 443)).toBeUndefined();
  });

  it('reads PATCHLING_AGENT_NETWORK and refuses unknown modes', () => {
    expect(networkSettingsFromEnv({ PATCHLING_AGENT_NETWORK: 'allowlist' }).agent).toBe(
      'allowlist',
    );
    expect(() => networkSettingsFromEnv({ PATCHLING_AGENT_NETWORK: 'full' })).toThrow(
      'PATCHLING_AGENT_NETWORK must be one of none, allowlist',
    );
  });
});

/** The identity the sandbox presents: one unprivileged user, named so tools do not complain. */
export interface SandboxIdentity {
  readonly user: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  readonly hostname: string;
}

export const SANDBOX_IDENTITY: SandboxIdentity = Object.freeze({
  user: 'patchling',
  uid: 1000,
  gid: 1000,
  home: '/home/patchling',
  hostname: 'patchling',
});

export interface SyntheticEtcFiles {
  readonly passwd: string;
  readonly group: string;
  readonly hosts: string;
}

/**
 * /etc/passwd, /etc/group and /etc/hosts written for the sandbox instead of bound from
 * the host: the host's list users and services we do not want to show, and without an
 * entry for our uid git, ssh and npm print "I have no name!"-style errors.
 */
export function synthesizeEtcFiles(identity: SandboxIdentity): SyntheticEtcFiles {
  const { user, uid, gid, home, hostname } = identity;
  return {
    passwd: [
      'root:x:0:0:root:/root:/usr/sbin/nologin',
      `${user}:x:${uid}:${gid}:Patchling sandbox:${home}:/bin/bash`,
      'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
      '',
    ].join('\n'),
    group: ['root:x:0:', `${user}:x:${gid}:`, 'nogroup:x:65534:', ''].join('\n'),
    hosts: [
      `127.0.0.1\tlocalhost ${hostname}`,
      '::1\tlocalhost ip6-localhost ip6-loopback',
      '',
    ].join('\n'),
  };
}

#!/usr/bin/env node
// Derives deploy/seccomp-bwrap.json from a container engine's default seccomp profile: the
// same filter, plus sethostname and setdomainname for a process without CAP_SYS_ADMIN.
// Patchling's bubblewrap sandbox gives each command its own UTS namespace with a fixed
// hostname; the default profiles allow those two calls only with CAP_SYS_ADMIN, which the
// container must not get. Everything else the default profile denies stays denied.
//   usage: node scripts/seccomp-allow-hostname.mjs [IN] [OUT]
//   IN  default /usr/share/containers/seccomp.json (podman's; Docker's is moby's
//       profiles/seccomp/default.json, same format)
//   OUT default deploy/seccomp-bwrap.json
import { readFileSync, writeFileSync } from 'node:fs';

const [input = '/usr/share/containers/seccomp.json', output = 'deploy/seccomp-bwrap.json'] =
  process.argv.slice(2);
const ADDED = ['sethostname', 'setdomainname'];

const profile = JSON.parse(readFileSync(input, 'utf8'));
if (!Array.isArray(profile.syscalls)) throw new Error(`${input}: no "syscalls" list`);
const syscalls = profile.syscalls
  .map((rule) => ({ ...rule, names: rule.names.filter((name) => !ADDED.includes(name)) }))
  .filter((rule) => rule.names.length > 0);
syscalls.push({ names: ADDED, action: 'SCMP_ACT_ALLOW', args: [] });
writeFileSync(output, `${JSON.stringify({ ...profile, syscalls }, null, 2)}\n`);
console.log(`${output}: ${input} plus ${ADDED.join(', ')} without CAP_SYS_ADMIN`);

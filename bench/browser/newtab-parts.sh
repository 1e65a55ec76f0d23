#!/bin/sh
# What each part of identity.js costs a fresh tab (bench/browser/newtab-cdp.mjs, bare Chromium, no relay): no
# overrides, the whole script alone, an empty function, and the script without its WebGL part, in interleaved rounds.
# Prints the median attach -> first evaluate of each. Needs Node >= 20 and chromium.
# Usage: bench/browser/newtab-parts.sh [rounds (3)] [tabs (300)]
set -e
cd "$(dirname "$0")"
ROUNDS=${1:-3}
TABS=${2:-300}
JS=../../aimlib-protocol/src/main/resources/com/aimlib/protocol/identity/identity.js
TMP=$(mktemp -d /tmp/aimlib-newtab-parts.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
echo 'function (v) { }' > "$TMP/empty.js"
# identity.js without the lines from "const gl = {" up to the audio part
sed '/^  const gl = {/,/^  if (G.BaseAudioContext/{/^  if (G.BaseAudioContext/!d}' "$JS" > "$TMP/no-webgl.js"
grep -q "WebGLRenderingContext" "$TMP/no-webgl.js" && { echo "no-webgl.js still has the WebGL part" >&2; exit 1; }
for r in $(seq "$ROUNDS"); do
  printf 'round %s  none       ' "$r"; TABS=$TABS MODE=none node --experimental-websocket --no-warnings newtab-cdp.mjs | tail -1
  printf 'round %s  script     ' "$r"; TABS=$TABS ONLY=2 MODE=host node --experimental-websocket --no-warnings newtab-cdp.mjs | tail -1
  printf 'round %s  empty      ' "$r"; BODY=$TMP/empty.js TABS=$TABS ONLY=2 MODE=host node --experimental-websocket --no-warnings newtab-cdp.mjs | tail -1
  printf 'round %s  no-webgl   ' "$r"; BODY=$TMP/no-webgl.js TABS=$TABS ONLY=2 MODE=host node --experimental-websocket --no-warnings newtab-cdp.mjs | tail -1
done

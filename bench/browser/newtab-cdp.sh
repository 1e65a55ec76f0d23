#!/bin/sh
# A raw CDP client's new tab on a bare Chromium: no identity, the host's paused auto-attach alone, and that plus the
# relay's per-client copy (sent without waiting, and waited for), each in its own Chromium, one after the other.
# Prints the median "evaluate after all" (first evaluate once the client's copy, if any, was sent or answered) and
# "total" (from attach) over 35 tabs each. Needs Node >= 20 (built-in WebSocket) and chromium.
set -e
cd "$(dirname "$0")"
for mode in none host host+copy host+gate; do
  printf '%-10s ' "$mode"
  MODE=$mode node --experimental-websocket --no-warnings newtab-cdp.mjs | tail -1
done

#!/usr/bin/env bash
# Terminal benchmarks: otter demo against neomutt on the same generated mailbox, measured by
# tuibench (../shared/tools/tuibench, not part of this repository) in a 200x50 pty.
# Usage: benchmarks/tui.sh [messages] [out-dir]      Figures go to docs/PERFORMANCE.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
OUT=${2:-/tmp/otter-bench}
TUIBENCH=${TUIBENCH:-../shared/tools/tuibench}
mkdir -p "$OUT"
python3 -c 'import pyte' 2>/dev/null || pip install -q pyte
swift build -c release --product otter --scratch-path .build-release >/dev/null
OTTER=$(pwd)/.build-release/release/otter

common=(--size 200x50 --term xterm-256color --clean-env --env LANG=C.UTF-8 --env TZ=UTC
        --step measure:j:j:50 --step measure:k:k:50 --step 'measure:pgdn:<PgDn>:10')

for run in 1 2 3; do
  H=$(mktemp -d)
  python3 "$TUIBENCH/tuibench.py" "${common[@]}" --env HOME="$H" --env XDG_STATE_HOME="$H/state" \
    --ready-rows 40 --row-regex '(\d\d:\d\d|[A-Z][a-z]{2} \d\d|\d{4}-\d\d-\d\d) +\S' \
    --quit q --json-out "$OUT/otter-$N-$run.json" -- "$OTTER" demo --messages "$N" --seed 1
  rm -rf "$H"
done

CORPUS=/tmp/tuibench/corpus-$N
if command -v neomutt >/dev/null && [ -d "$CORPUS/maildir" ]; then
  H=$(mktemp -d)
  cat > "$H/muttrc" <<RC
set mbox_type=Maildir
set folder="$CORPUS/maildir"
set spoolfile="+Inbox"
set header_cache="$H/hcache/"
set sort=reverse-date
RC
  for run in warmup 1 2; do
    python3 "$TUIBENCH/tuibench.py" "${common[@]}" --env HOME="$H" \
      --ready-rows 40 --row-regex '\d+ +[ NOr!*+D]* +\S' \
      --quit q --json-out "$OUT/neomutt-$N-$run.json" -- neomutt -n -F "$H/muttrc"
  done
  rm -rf "$H"
fi
python3 - "$OUT" <<'PY'
import json, glob, sys, statistics, os
out = sys.argv[1]
for path in sorted(glob.glob(os.path.join(out, "*.json"))):
    r = json.load(open(path))
    steps = {s["name"]: s for s in r.get("steps", [])}
    def med(name, key):
        s = steps.get(name)
        return s and s.get(key, {}).get("median") if isinstance(s.get(key), dict) else s and s.get(key)
    print(os.path.basename(path), "ready_s=%s" % r.get("startup", {}).get("ready_s"),
          "rss_peak_kb=%s" % r.get("rss", {}).get("peak_tree_kb"),
          *["%s: %s" % (n, {k: v for k, v in s.items() if k in ("latency_ms", "bytes_per_key")}) for n, s in steps.items()])
PY

#!/usr/bin/env bash
# A/B of two uboost binaries on a preset's supernet step: R interleaved rounds at 1 and 2 threads of
# `uboost bench step --model supernet --preset $PRESET --steps 8 --json`, medians of images/s and CPU
# seconds per step. Refuses to start when the 1-minute load average is above 0.5 (FORCE=1 runs anyway).
# Usage: OLD=path/to/uboost NEW=path/to/uboost bench/supernet_ab.sh [ROUNDS=3]; PRESET (edge), OUT (dir).
set -euo pipefail
R=${1:-3}
PRESET=${PRESET:-edge}
OUT=${OUT:-$(mktemp -d)}
: "${OLD:?set OLD to the first binary}" "${NEW:?set NEW to the second binary}"
load0=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load0" 'BEGIN { exit !(l > 0.5) }' && [ "${FORCE:-}" != 1 ]; then
  echo "supernet_ab: load average $load0 > 0.5: the machine is busy; wait, or FORCE=1" >&2
  exit 1
fi
echo "start $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg); results in $OUT"
for r in $(seq 1 "$R"); do for t in 1 2; do for b in OLD NEW; do
  "${!b}" bench step --model supernet --preset "$PRESET" --threads "$t" --steps 8 --json >"$OUT/${b}_t${t}_r$r.json"
done; done; done
echo "end $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$OUT" "$R" <<'PY'
import json, statistics, sys
out, R = sys.argv[1], int(sys.argv[2])
def med(b, t, k):
    return statistics.median(json.load(open(f"{out}/{b}_t{t}_r{r}.json"))[k] for r in range(1, R + 1))
for t in (1, 2):
    o, n = med("OLD", t, "images_per_second"), med("NEW", t, "images_per_second")
    print(f"threads {t}: OLD {o:.1f} img/s, NEW {n:.1f} img/s, NEW/OLD {n/o:.2f}x; "
          f"cpu s/step {med('OLD', t, 'cpu_seconds_per_step'):.3f} -> {med('NEW', t, 'cpu_seconds_per_step'):.3f}")
PY

#!/usr/bin/env bash
# Side-by-side of `uboost bench step --model probe` and bench/torch_probe.py (the same network, loss
# and optimizers in PyTorch): R interleaved rounds at each thread count (uboost, then PyTorch, at
# threads t, then the next t), each run's JSON kept, and a table of medians over the rounds:
# images/s of both, the ratio uboost/PyTorch, each one's speedup from 1 thread, peak RSS of both.
# With PRESET set, the same rounds also time `uboost bench step --model supernet --preset $PRESET`
# and its PyTorch twin bench/torch_supernet.py (the preset's batch size), in a second table.
#
# A figure is only worth reporting from an idle machine: the script refuses to start when the
# 1-minute load average is above MAXLOAD (0.5), and FORCE=1 runs anyway with every line flagged.
#
# Usage: bench/engine_vs_torch.sh [ROUNDS=3] [STEPS=8]
# Environment: THREADS="1 2" (thread counts, the first is the speedup's base), PRESET=NAME,
#   MAXLOAD=0.5, FORCE=1, OUT=DIR (results), BIN=path/to/uboost (built if absent).
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-3}
STEPS=${2:-8}
THREADS=${THREADS:-1 2}
PRESET=${PRESET:-}
MAXLOAD=${MAXLOAD:-0.5}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
BIN=${BIN:-$OUT/uboost}
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/uboost
load0=$(cut -d' ' -f1 /proc/loadavg)
flag=""
if awk -v l="$load0" -v m="$MAXLOAD" 'BEGIN { exit !(l > m) }'; then
  if [ "${FORCE:-}" != 1 ]; then
    echo "engine_vs_torch: load average $load0 > $MAXLOAD: the machine is busy, figures would not hold;" \
      "wait for it to be idle or set FORCE=1 to run anyway (every line is then flagged)" >&2
    exit 1
  fi
  flag="LOADED($load0)"
fi
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//'), date $(date -u +%FT%TZ)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; results in $OUT"
for r in $(seq 1 "$R"); do
  for t in $THREADS; do
    "$BIN" bench step --model probe --batch 64 --threads "$t" --steps "$STEPS" --json >"$OUT/uboost_t${t}_r$r.json"
    /usr/bin/python3 bench/torch_probe.py --batch 64 --threads "$t" --steps "$STEPS" --json >"$OUT/torch_t${t}_r$r.json"
    if [ -n "$PRESET" ]; then
      "$BIN" bench step --model supernet --preset "$PRESET" --threads "$t" --steps "$STEPS" --json >"$OUT/supernet_t${t}_r$r.json"
      /usr/bin/python3 bench/torch_supernet.py --preset "$PRESET" --threads "$t" --steps "$STEPS" --json >"$OUT/torchsupernet_t${t}_r$r.json"
    fi
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$OUT" "$R" "$THREADS" "$PRESET" "$flag" <<'PY'
import json, statistics, sys
out, R, threads, preset, flag = sys.argv[1], int(sys.argv[2]), [int(t) for t in sys.argv[3].split()], sys.argv[4], sys.argv[5]
def med(who, t):
    runs = [json.load(open(f"{out}/{who}_t{t}_r{r}.json")) for r in range(1, R + 1)]
    return {k: statistics.median(x[k] for x in runs)
            for k in ("images_per_second", "seconds_per_step", "cpu_seconds_per_step", "peak_rss_mb")}
def table(title, ours, theirs):
    print(title)
    print(f"{'threads':>7} {'uboost img/s':>12} {'torch img/s':>11} {'ratio':>6} {'uboost 1->N':>11} {'torch 1->N':>10} "
          f"{'uboost RSS MB':>13} {'torch RSS MB':>12}")
    base = {who: med(who, threads[0]) for who in (ours, theirs)}
    for t in threads:
        u, p = med(ours, t), med(theirs, t)
        print(f"{t:>7} {u['images_per_second']:12.1f} {p['images_per_second']:11.1f} "
              f"{u['images_per_second'] / p['images_per_second']:5.2f}x "
              f"{u['images_per_second'] / base[ours]['images_per_second']:10.2f}x "
              f"{p['images_per_second'] / base[theirs]['images_per_second']:9.2f}x "
              f"{u['peak_rss_mb']:13.0f} {p['peak_rss_mb']:12.0f} {flag}")
table(f"probe, batch 64, medians of {R} interleaved rounds {flag}", "uboost", "torch")
if preset:
    print()
    table(f"supernet, preset {preset} (its batch size), medians of {R} interleaved rounds {flag}", "supernet", "torchsupernet")
PY

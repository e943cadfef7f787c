#!/usr/bin/env bash
# Side-by-side of `uboost bench step --model probe` and bench/torch_probe.py: R interleaved rounds
# at 1 and 2 threads, each run's JSON kept, and a table of medians (over rounds) of
# seconds_per_step, cpu_seconds_per_step, images/s and peak RSS, with the ratio uboost/PyTorch
# in images per second. Usage: bench/engine_vs_torch.sh [ROUNDS=3] [STEPS=10]
set -euo pipefail
cd "$(dirname "$0")/.."
R=${1:-3}
STEPS=${2:-10}
OUT=${OUT:-$(mktemp -d)}
BIN=${BIN:-$OUT/uboost}
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/uboost
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}, results in $OUT"
for r in $(seq 1 "$R"); do
  for t in 1 2; do
    "$BIN" bench step --model probe --batch 64 --threads "$t" --steps "$STEPS" --json >"$OUT/uboost_t${t}_r$r.json"
    /usr/bin/python3 bench/torch_probe.py --batch 64 --threads "$t" --steps "$STEPS" --json >"$OUT/torch_t${t}_r$r.json"
  done
done
/usr/bin/python3 - "$OUT" "$R" <<'PY'
import json, statistics, sys
out, R = sys.argv[1], int(sys.argv[2])
print(f"{'threads':>7} {'who':>7} {'s/step':>8} {'cpu s/step':>10} {'img/s':>7} {'RSS MB':>7}   (medians of {R} rounds)")
for t in (1, 2):
    med = {}
    for who in ("uboost", "torch"):
        runs = [json.load(open(f"{out}/{who}_t{t}_r{r}.json")) for r in range(1, R + 1)]
        m = {k: statistics.median(x[k] for x in runs) for k in ("seconds_per_step", "cpu_seconds_per_step", "images_per_second", "peak_rss_mb")}
        med[who] = m
        print(f"{t:>7} {who:>7} {m['seconds_per_step']:8.3f} {m['cpu_seconds_per_step']:10.3f} {m['images_per_second']:7.1f} {m['peak_rss_mb']:7.0f}")
    u, p = med["uboost"], med["torch"]
    print(f"{t:>7}   ratio uboost/torch images/s {u['images_per_second'] / p['images_per_second']:.2f}  "
          f"(CPU-time based {p['cpu_seconds_per_step'] / u['cpu_seconds_per_step']:.2f}), RSS {u['peak_rss_mb'] / p['peak_rss_mb']:.2f}x")
PY

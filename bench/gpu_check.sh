#!/usr/bin/env bash
# One short, prepared check of GoMLX's XLA backend on a GPU machine: the probe training step
# (`uboost bench step --model probe`) on XLA/CUDA, next to the uboost CPU engine on the same
# machine. Needs a uboost binary built with -tags xla (see docs/ENGINE.md) at $BIN and a CUDA
# PJRT plugin (e.g. from pip's jax-cuda13-pjrt / jax-cuda12-pjrt). Results go to $OUT (default .).
set -u
BIN=${BIN:-out/uboost-xla}
OUT=${OUT:-.}
STEPS=${STEPS:-20}
log() { echo "== $*"; }
log "machine"; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; nproc
which go python3 2>&1 | sed 's/^/   /'

# The plugin: ask Python where jax's CUDA plugin package lives, else search the disk.
PLUGIN=""
for mod in jax_plugins.xla_cuda13 jax_plugins.xla_cuda12; do
  d=$(python3 -c "import $mod as m, os; print(os.path.dirname(m.__file__))" 2>/dev/null) || continue
  for f in "$d"/xla_cuda_plugin.so "$d"/*.so; do [ -f "$f" ] && PLUGIN=$f && break 2; done
done
[ -z "$PLUGIN" ] && PLUGIN=$(find / -xdev \( -name 'xla_cuda_plugin.so' -o -name 'pjrt_c_api_cuda_plugin.so' \) 2>/dev/null | head -1)
log "plugin: ${PLUGIN:-none found}"
[ -z "$PLUGIN" ] && exit 2
mkdir -p /tmp/pjrt && ln -sf "$PLUGIN" /tmp/pjrt/pjrt_c_api_cuda_plugin.so
export PJRT_PLUGIN_LIBRARY_PATH=/tmp/pjrt
# The plugin loads CUDA from pip's nvidia-* packages when Python is not there to point at them.
site=$(python3 -c "import site; print(' '.join(site.getsitepackages()))" 2>/dev/null)
for s in $site; do
  for l in "$s"/nvidia/*/lib; do [ -d "$l" ] && LD_LIBRARY_PATH="$l:${LD_LIBRARY_PATH:-}"; done
done
export LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}

log "XLA/CUDA, batch 64"
GOMLX_BACKEND=xla:cuda timeout 200 "$BIN" bench step --model probe --batch 64 --steps "$STEPS" --json \
  >"$OUT/gpu_xla_b64.json" 2>"$OUT/gpu_xla_b64.err"; echo "rc=$?"; cat "$OUT/gpu_xla_b64.json"; tail -5 "$OUT/gpu_xla_b64.err"
log "uboost CPU engine on the same machine, all cores"
timeout 90 "$BIN" bench step --model probe --batch 64 --steps 5 --json >"$OUT/cpu_engine_b64.json" 2>&1; echo "rc=$?"
cat "$OUT/cpu_engine_b64.json"

#!/usr/bin/env bash
# Hostile-input checks (issue 16): every command-line case must fail with a one-line error (or, where it
# succeeds, print a sane figure) within 20 s and 1 GB of resident memory. Builds uboost once.
set -uo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/uboost" ./cmd/uboost || exit 1
U="$tmp/uboost"
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "hostile: /usr/bin/time is required (apt-get install time)"; exit 1; }
fails=0

# run NAME WANT CMD...: WANT is "fail" (non-zero exit, one-line "uboost: " error) or "ok".
run() {
  local name=$1 want=$2; shift 2
  local out="$tmp/out" rss="$tmp/rss"
  timeout 20 "$TIME" -q -f %M -o "$rss" "$@" >"$out" 2>&1
  local rc=$?
  local kb; kb=$(tail -1 "$rss" 2>/dev/null || echo 0)
  local verdict=ok
  if [ "$rc" -eq 124 ]; then verdict="timed out (20 s)"
  elif [ "${kb:-0}" -gt 1048576 ] 2>/dev/null; then verdict="RSS ${kb} kB > 1 GB"
  elif [ "$want" = fail ] && [ "$rc" -eq 0 ]; then verdict="exited 0: $(head -c 300 "$out")"
  elif [ "$want" = fail ] && ! grep -q '^uboost: ' "$out"; then verdict="no one-line error: $(head -c 300 "$out")"
  elif [ "$want" = fail ] && grep -q '^goroutine \|^panic:' "$out"; then verdict="panicked"
  elif [ "$want" = ok ] && [ "$rc" -ne 0 ]; then verdict="failed: $(head -c 300 "$out")"
  fi
  if [ "$verdict" = ok ]; then
    printf 'ok   %-44s rss %6d kB  %s\n' "$name" "${kb:-0}" "$(grep -m1 '^uboost: ' "$out" | head -c 110)"
  else
    printf 'FAIL %-44s %s\n' "$name" "$verdict"; fails=$((fails + 1))
  fi
}

# ok_check NAME: the last "ok" run's output must hold no negative, NaN, infinite count or utilization > 1.
check_json() {
  if grep -Eq '"(macs|cycles|latency_ms|bytes)": *-|NaN|Inf' "$tmp/out" ||
     grep -Eo '"utilization": *[0-9.e+-]+' "$tmp/out" | awk -F: '$2 > 1 {bad=1} END {exit !bad}'; then
    echo "FAIL $1: bad figure in output"; fails=$((fails + 1))
  fi
}

printf 'Layer,IFMAP Height,IFMAP Width,Filter Height,Filter Width,Channels,Num Filter,Strides,\nc1,8,8,3,3,9223372036854775807,8,1,\n' >"$tmp/huge.csv"
printf 'Layer,IFMAP Height,IFMAP Width,Filter Height,Filter Width,Channels,Num Filter,Strides,\nfc,1,1,1,1,4096,34359738368,1,\n' >"$tmp/fc.csv"
printf '{"rows":128}{"cols":0}' >"$tmp/two.json"
printf '{"format":"uboost-arch/v1","name":"n","input":{"h":4611686018427387904,"w":8,"c":3},"classes":10,"nodes":[{"name":"c","op":"conv","channels":8,"kernel":3,"inputs":["input"]}]}' >"$tmp/in.json"
printf '{"format":"uboost-arch/v1","name":"n","input":{"h":8,"w":8,"c":3},"classes":10,"nodes":[{"name":"c","op":"conv","channels":8,"kernel":3,"inputs":["input"],"padding":1000000000000000000}]}' >"$tmp/pad.json"
# A PNG whose header declares 20000×20000 (a few hundred bytes here; the 3 MB original decoded to
# 3.2 GB), in an image folder; a gzipped IDX whose header declares 10^6 images of 32×32.
python3 - "$tmp" <<'PY'
import gzip, os, struct, sys, zlib
tmp = sys.argv[1]
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 20000, 20000, 8, 0, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(b"\0" * 20001 * 8)) + chunk(b"IEND", b"")
for split in ("train", "val"):
    for cls in ("a", "b"):
        d = os.path.join(tmp, "imgs", split, cls)
        os.makedirs(d)
        open(os.path.join(d, "huge.png"), "wb").write(png)
os.makedirs(os.path.join(tmp, "idx"))
for name, magic, dims in (("train-images-idx3-ubyte.gz", 0x803, (1000000, 32, 32)), ("train-labels-idx1-ubyte.gz", 0x801, (1000000,)),
                          ("t10k-images-idx3-ubyte.gz", 0x803, (1000000, 32, 32)), ("t10k-labels-idx1-ubyte.gz", 0x801, (1000000,))):
    with gzip.open(os.path.join(tmp, "idx", name), "wb") as f:
        f.write(struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + b"\0" * 4096)
PY

run "topology 2^63-1 channels"            fail "$U" estimate --topology "$tmp/huge.csv"
printf '{"format":"uboost-arch/v1","name":"t","input":{"h":32,"w":32,"c":3},"classes":2,"nodes":[{"name":"c","op":"conv","channels":4,"kernel":3,"inputs":["input"]},{"name":"fc","op":"dense","channels":2,"inputs":["c"]}]}' >"$tmp/rgb2.json"
run "PNG declaring 20000×20000"           fail "$U" train --arch "$tmp/rgb2.json" --data "folder:$tmp/imgs" --epochs 1 --batch 1 --out "$tmp/t2"
grep -q "20000x20000 image" "$tmp/out" || { echo "FAIL PNG: refused for another reason"; fails=$((fails + 1)); }
run "IDX declaring 10^6×32×32"            fail "$U" train --arch examples/smallcnn.json --data "mnist:$tmp/idx" --epochs 1 --out "$tmp/t3"
grep -q "dimensions \[1000000 32 32\]" "$tmp/out" || { echo "FAIL IDX: refused for another reason"; fails=$((fails + 1)); }
run "--array 9223372036854775807x2"       fail "$U" estimate --arch vgg16 --array 9223372036854775807x2
run "--array 4294967296x4294967296"       fail "$U" estimate --arch vgg16 --array 4294967296x4294967296
run "--array 70000x8x8 (arrays)"          fail "$U" estimate --arch vgg16 --array 70000x8x8
run "65536 arrays of 4096x4096"           fail "$U" simulate --arch vgg16 --array 65536x4096x4096 --batch 4096
run "--batch 2^63-1"                      fail "$U" estimate --arch vgg16 --batch 9223372036854775807
run "--element-bytes 2^62"                fail "$U" estimate --arch vgg16 --element-bytes 4611686018427387904
run "arch.json input 2^62"                fail "$U" estimate --arch "$tmp/in.json"
run "paper ceiling past 300 tiles"        fail "$U" estimate --arch vgg16 --array 32x32 --model systolic-smooth-paper
grep -q "the paper ceiling counts up to 300 tiles" "$tmp/out" || { echo "FAIL paper ceiling: refused for another reason"; fails=$((fails + 1)); }
run "arch.json padding 1e18"              fail "$U" estimate --arch "$tmp/pad.json"
run "validate --grid-max/--grid-step huge" fail "$U" validate --grid-max 9223372036854775807 --grid-step 4611686018427387904
run "simulate fc with 2^35 outputs"       fail "$U" simulate --topology "$tmp/fc.csv"
run "--arch /dev/zero"                    fail "$U" estimate --arch /dev/zero
run "--topology /dev/zero"                fail "$U" estimate --topology /dev/zero
run "--accel /dev/zero"                   fail "$U" estimate --arch vgg16 --accel /dev/zero
run "--accel with trailing object"        fail "$U" estimate --arch vgg16 --accel "$tmp/two.json"
run "--sram-mb NaN"                       fail "$U" estimate --arch vgg16 --sram-mb NaN
run "bench --model foo"                   fail "$U" bench step --model foo
grep -q supernet "$tmp/out" || { echo "FAIL bench --model foo: the error does not list every model"; fails=$((fails + 1)); }
run "estimate vgg16 --model lut"          ok   "$U" estimate --arch vgg16 --model lut --json
check_json "estimate vgg16 --model lut"
run "search --array 100000x100000"        fail "$U" search --array 100000x100000 --out "$tmp/s0"
run "search --array 4096x4096 (SRAM fit)" fail "$U" search --array 4096x4096 --out "$tmp/s1"
[ -e "$tmp/s1" ] && { echo "FAIL search --array 4096x4096: run directory created before the check"; fails=$((fails + 1)); }
run "search --threads -1"                 fail "$U" search --threads -1 --out "$tmp/s2"
run "search --limit-train -5"             fail "$U" search --limit-train -5 --out "$tmp/s3"
run "train --threads -1"                  fail "$U" train --arch examples/smallcnn.json --threads -1 --out "$tmp/t0"
run "experiment --search-args --seed 3"   fail "$U" experiment --out "$tmp/e" --search-args "--seed 3"
run "experiment --only matching nothing"  fail "$U" experiment --out "$tmp/e" --only lambda=77
run "experiment bad flag, no --out dir"   fail "$U" experiment --out "$tmp/missing/e" --lambdas x
[ -e "$tmp/missing" ] && { echo "FAIL experiment: files written before the flag error"; fails=$((fails + 1)); }

# Resume with another configuration: a one-epoch, two-step micro stage, then a resume with other flags.
micro=(search --stage micro --epochs-micro 1 --steps-per-epoch 2 --search-batch 8 --json --out "$tmp/r")
run "tiny micro stage"                    ok   "$U" "${micro[@]}"
run "--resume with other λ, array, cost"  fail "$U" "${micro[@]}" --resume --lambda 99 --array 16x16 --cost flops
grep -q 'lambda 1 → 99' "$tmp/out" && grep -q 'accelerator.rows 32 → 16' "$tmp/out" ||
  { echo "FAIL --resume: the error does not name every differing field"; fails=$((fails + 1)); }

if [ "$fails" -ne 0 ]; then echo "hostile: $fails failing case(s)"; exit 1; fi
echo "hostile: all cases ok"

#!/usr/bin/env bash
# The released encoder's two GPU steps (device machine: Python 3.12 + torch, no bpy, no network).
# Carried: .carry/windows.npz (weartwin pretrain --save-windows, here) and .carry/prep
# (bench_transfer.py --prepare-only, here).
#   bash benchmarks/encoder_gpu.sh pretrain OUT      # pretrain -> OUT/enc (encoder.pt, contract.json, MODEL_CARD.md)
#   bash benchmarks/encoder_gpu.sh bench ENC OUT     # bench_transfer, one process per target in parallel:
#                                                    # OUT/res_<target>.json + OUT/bench.log (the device tool
#                                                    # brings back at most 8 files: the rest stays in /tmp)
set -uo pipefail
export PYTHONUNBUFFERED=1
PY=${PY:-python3}
case "$1" in
  pretrain)
    out=$2; mkdir -p "$out"
    $PY -m ml pretrain --windows .carry/windows.npz --out "$out/enc" --arch simpharnet --epochs "${EPOCHS:-40}" \
        --batch-size 512 --lr 2e-3 --device cuda --seed 0 2>&1 | tee "$out/pretrain.log"
    ;;
  bench)
    enc=$2; out=$3; work=/tmp/weartwin_bench; mkdir -p "$out" "$work"
    for t in sp_sw_har sp_sw_har_phone hmp; do
      timeout "${LIMIT:-520}" $PY benchmarks/bench_transfer.py --encoder "$enc" --prep .carry/prep --device cuda \
          --targets "$t" --budgets "${BUDGETS:-10,1,5,20,all}" --seeds 0,1,2,3,4 --ssl-groups "${SSL_GROUPS:-4}" \
          --threads 5 --out "$work/$t" > "$work/$t.log" 2>&1 &
    done
    wait
    for t in sp_sw_har sp_sw_har_phone hmp; do
      f="$work/$t/results.json"; [ -f "$f" ] || f="$work/$t/partial_results.json"
      cp "$f" "$out/res_$t.json" 2>/dev/null
      { echo "== $t"; cat "$work/$t.log"; } >> "$out/bench.log"
      tail -4 "$work/$t.log"
    done
    ;;
esac

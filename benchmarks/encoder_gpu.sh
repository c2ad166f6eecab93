#!/usr/bin/env bash
# The released encoder's GPU run (device machine: Python 3.12 + torch, no bpy, no network), one call:
# pretrain one encoder per rotation recipe from the carried windows, then bench_transfer for every
# (recipe, target) in parallel on the one GPU; everything comes back as OUT/gpu.tgz (the device tool
# brings back at most 8 files).
# Carried (made here): .carry/windows.npz  = weartwin pretrain --corpus CORPUS/exports --save-windows ...
#                      .carry/prep         = python benchmarks/bench_transfer.py --encoder E --prepare-only --prep .carry/prep
#   bash benchmarks/encoder_gpu.sh OUT            # ROTATIONS="so3 45" EPOCHS=100 LIMIT_S=560
set -uo pipefail
export PYTHONUNBUFFERED=1
PY=${PY:-python3}
out=$1; W=/tmp/weartwin_gpu; mkdir -p "$out" "$W"
start=$SECONDS
for r in ${ROTATIONS:-so3 45}; do
  $PY -m ml pretrain --windows .carry/windows.npz --out "$W/enc_$r" --arch simpharnet --epochs "${EPOCHS:-100}" \
      --batch-size 512 --lr 2e-3 --device cuda --seed 0 --rotation "$r" > "$W/pre_$r.log" 2>&1 &
done
wait
echo "pretraining: $((SECONDS - start)) s"
left=$(( ${LIMIT_S:-560} - SECONDS ))
for r in ${ROTATIONS:-so3 45}; do
  for t in sp_sw_har sp_sw_har_phone hmp; do
    [ -f "$W/enc_$r/encoder.pt" ] || continue
    timeout "$left" $PY benchmarks/bench_transfer.py --encoder "$W/enc_$r" --prep .carry/prep --device cuda \
        --targets "$t" --budgets "${BUDGETS:-10,1,5,20,all}" --seeds 0,1,2,3,4 --ssl-groups "${SSL_GROUPS:-4}" \
        --threads 2 --out "$W/b_${r}_$t" > "$W/b_${r}_$t.log" 2>&1 &
  done
done
wait
echo "total: $((SECONDS - start)) s"
for f in "$W"/pre_*.log "$W"/b_*.log; do echo "== $f"; grep -v "Loading weights" "$f" | tail -4; done
(cd "$W" && tar czf "$out/gpu.tgz" enc_* pre_*.log b_*)
ls -la "$out"

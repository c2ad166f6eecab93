#!/usr/bin/env bash
# The encoders' GPU runs (device machine: Python 3.12 + torch, no bpy, no network), one call:
# pretrain one encoder per (backbone, rotation recipe) from the carried windows, and run
# bench_transfer for every (simpharnet encoder, target) in parallel on the one GPU; everything comes
# back as OUT/gpu.tgz (the device tool brings back at most 8 files).
# Carried (made here): .carry/windows.npz  = weartwin pretrain --corpus CORPUS/exports --save-windows ...
#                      .carry/prep         = python benchmarks/bench_transfer.py --encoder E --prepare-only --prep .carry/prep
#   bash benchmarks/encoder_gpu.sh OUT     # ARCHS="simpharnet" ROTATIONS="so3 45" EPOCHS=100 LIMIT_S=560
# Round 1 (weartwin-imu-v1):   bash benchmarks/encoder_gpu.sh OUT
# Round 2 (its resnet and dcl siblings; realism matching of the released encoder, benched at once):
#   ARCHS="resnet dcl" ROTATIONS=45 BENCH=ml/pretrained/weartwin-imu-v1 ARMS=scratch,ssl,encoder,encoder_match \
#   MATCH_WINDOWS=.carry/windows.npz bash benchmarks/encoder_gpu.sh OUT
set -uo pipefail
export PYTHONUNBUFFERED=1
PY=${PY:-python3}
out=$1; W=/tmp/weartwin_gpu; mkdir -p "$out" "$W"
start=$SECONDS
left() { local l=$(( ${LIMIT_S:-560} - (SECONDS - start) )); echo $(( l > 1 ? l : 1 )); }
bench() {   # bench ENCODER TAG: every target in parallel
  for t in ${TARGETS:-sp_sw_har sp_sw_har_phone hmp}; do
    [ -f "$1/encoder.pt" ] || continue
    timeout "$(left)" $PY benchmarks/bench_transfer.py --encoder "$1" --prep .carry/prep --device "${DEVICE:-cuda}" \
        --targets "$t" --budgets "${BUDGETS:-10,1,5,20,all}" --seeds 0,1,2,3,4 --ssl-groups "${SSL_GROUPS:-4}" \
        ${ARMS:+--arms "$ARMS"} ${MATCH_WINDOWS:+--match-windows "$MATCH_WINDOWS"} \
        --threads 2 --out "$W/b_${2}_$t" > "$W/b_${2}_$t.log" 2>&1 &
  done
}
for e in ${BENCH:-}; do bench "$e" "$(basename "$e")"; done      # released encoders: benched beside the pretraining
for a in ${ARCHS:-simpharnet}; do
  [ "$a" = none ] && continue      # ARCHS=none: bench only
  for r in ${ROTATIONS:-so3 45}; do
    tag=$r; [ "$a" = simpharnet ] || tag="${a}_$r"
    timeout "$(left)" $PY -m ml pretrain --windows .carry/windows.npz --out "$W/enc_$tag" --arch "$a" \
        --epochs "${EPOCHS:-100}" --batch-size 512 --lr 2e-3 --device "${DEVICE:-cuda}" --seed 0 --rotation "$r" \
        > "$W/pre_$tag.log" 2>&1 &
  done
done
if [ -z "${BENCH:-}" ]; then      # round 1: bench what was just pretrained
  wait
  echo "pretraining: $((SECONDS - start)) s"
  for r in ${ROTATIONS:-so3 45}; do bench "$W/enc_$r" "$r"; done
fi
wait
echo "total: $((SECONDS - start)) s"
for f in "$W"/pre_*.log "$W"/b_*.log; do [ -f "$f" ] && { echo "== $f"; grep -v "Loading weights" "$f" | tail -4; }; done
(cd "$W" && tar czf "$out/gpu.tgz" enc_* pre_*.log b_* 2>/dev/null)
ls -la "$out"

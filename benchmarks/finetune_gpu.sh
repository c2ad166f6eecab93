#!/usr/bin/env bash
# The released encoders fine-tuned exactly as the README tells a user (`weartwin train ARCH --init
# weartwin-imu-v1`), against the same command without --init, on every subject of three real
# targets, 10 labels per class, seed 0 (SEEDS) — one call of the device machine (no bpy, no network),
# every run side by side. Afterwards, here: tar xzf OUT/ft.tgz -C DIR, then
#   python benchmarks/finetune_report.py DIR_SEED0/runs DIR_SEED1/runs ... --out benchmarks/results/finetune
#   (or one pair: weartwin compare DIR/runs/T_ARCH_scratch DIR/runs/T_ARCH_init)
# Carried: .carry/real/realdata.tgz = tar czf of ../shared/data/imu/{sp_sw_har,hmp}
#   bash benchmarks/finetune_gpu.sh OUT        # ARCHS="resnet dcl" SEEDS=0 K=10 LIMIT_S=540 DEVICE=cuda
# simpharnet embeds its class names with MiniLM, which the device machine lacks: run it here,
#   PY=.venv/bin/python DEVICE=cpu ARCHS=simpharnet bash benchmarks/finetune_gpu.sh OUT
set -uo pipefail
PY=${PY:-python3}
out=$1; W=/tmp/weartwin_ft; D=/tmp/weartwin_real; mkdir -p "$out" "$W" "$D"
[ -d "$D/sp_sw_har" ] || tar xzf .carry/real/realdata.tgz -C "$D"
start=$SECONDS
left() { local l=$(( ${LIMIT_S:-540} - (SECONDS - start) )); echo $(( l > 1 ? l : 1 )); }
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONUNBUFFERED=1   # many runs side by side: no BLAS spin-waiting
declare -A DATA=([watch]="--data $D/sp_sw_har --site wrist"
                 [phone]="--data $D/sp_sw_har --format sp_sw_har:phone --site pocket"
                 [hmp]="--data $D/hmp")
declare -A SCRATCH=([watch]="--inputs imu" [phone]="--inputs imu --sites pocket" [hmp]="--inputs acc")    # HMP has no gyroscope
for t in ${TARGETS:-watch phone hmp}; do
  for a in ${ARCHS:-resnet dcl}; do
    for arm in scratch init; do
      extra=${SCRATCH[$t]}; [ $arm = init ] && extra="--init weartwin-imu-v1"
      r="$W/runs/${t}_${a}_$arm"
      # shellcheck disable=SC2086
      timeout "$(left)" $PY -m ml train "$a" ${DATA[$t]} $extra --labels-per-class "${K:-10}" --seeds "${SEEDS:-0}" \
          --device "${DEVICE:-cuda}" --out "$r" > "$W/${t}_${a}_$arm.log" 2>&1 &
    done
  done
done
wait
echo "total: $((SECONDS - start)) s"
for f in "$W"/*.log; do echo "== $f"; tail -n 2 "$f"; done
(cd "$W" && tar czf "$out/ft.tgz" *.log runs/*/metrics.json runs/*/config.json 2>/dev/null)
ls -la "$out"

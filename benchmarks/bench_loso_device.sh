#!/bin/bash
# Full LOSO of rf, dcl and resnet in one batch, each deep model's folds sharded over processes
# that share one run folder (a last run without --shard collects them; resume reuses every fold).
#   benchmarks/bench_loso_device.sh DATA_ROOT OUT_DIR [DATASETS] [SHARDS]
# DATA_ROOT holds the dataset folders (sp_sw_har/, hmp/); DATASETS default "sp_sw_har";
# hmp has no gyroscope, so it runs with --inputs acc. Logs: OUT_DIR/<dataset>_<model>*.log,
# runs: OUT_DIR/runs/<dataset>_<model>, paired comparisons: OUT_DIR/<dataset>_compare_*.txt/png.
# On one H100 + 16 cores, sp_sw_har alone: keep SHARDS <= 6 (the CPU side launches the kernels).
set -u
DATA=$1; OUT=$2; SETS=${3:-sp_sw_har}; N=${4:-4}
RUNS=$OUT/runs; mkdir -p $RUNS
export PYTHONUNBUFFERED=1 WEARTWIN_THREADS=1 MPLBACKEND=Agg
T=${BENCH_TIMEOUT:-900}
for ds in $SETS; do
  inputs=imu; [ $ds = hmp ] && inputs=acc
  WEARTWIN_THREADS=4 timeout $T python3 -m ml train rf --data $DATA/$ds --inputs $inputs --out $RUNS/${ds}_rf --no-progress > $OUT/${ds}_rf.log 2>&1 &
  for m in dcl resnet; do
    for ((i=0; i<N; i++)); do
      timeout $T python3 -m ml train $m --data $DATA/$ds --inputs $inputs --out $RUNS/${ds}_$m --shard $i/$N --no-progress > $OUT/${ds}_${m}_shard$i.log 2>&1 &
    done
  done
done
wait
for ds in $SETS; do
  inputs=imu; [ $ds = hmp ] && inputs=acc
  for m in dcl resnet; do
    timeout $T python3 -m ml train $m --data $DATA/$ds --inputs $inputs --out $RUNS/${ds}_$m --no-progress > $OUT/${ds}_${m}.log 2>&1
    tail -n 1 $OUT/${ds}_${m}.log
  done
  tail -n 1 $OUT/${ds}_rf.log
  for m in dcl resnet; do
    python3 -m ml compare $RUNS/${ds}_rf $RUNS/${ds}_$m --out $OUT/${ds}_compare_rf_$m.png > $OUT/${ds}_compare_rf_$m.txt 2>&1
    tail -n 2 $OUT/${ds}_compare_rf_$m.txt
  done
done

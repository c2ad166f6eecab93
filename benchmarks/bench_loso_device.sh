#!/bin/bash
# Full LOSO of rf, dcl and resnet on sp_sw_har and hmp in one batch, folds sharded over
# processes that share each run folder (resume collects them). Usage (device or any machine):
#   benchmarks/bench_loso_device.sh DATA_ROOT OUT_DIR [SHARDS_SP] [SHARDS_HMP]
# DATA_ROOT holds sp_sw_har/ and hmp/. Logs: OUT_DIR/<dataset>_<model>*.log; runs: OUT_DIR/runs/.
set -u
DATA=$1; OUT=$2; NSP=${3:-4}; NHMP=${4:-3}
RUNS=$OUT/runs; mkdir -p $RUNS
export PYTHONUNBUFFERED=1 WEARTWIN_THREADS=1 MPLBACKEND=Agg
T=${BENCH_TIMEOUT:-240}
train() { python3 -m ml train "$@" --no-progress; }
for ds in sp_sw_har hmp; do
  n=$NSP; inputs=imu; [ $ds = hmp ] && { n=$NHMP; inputs=acc; }
  WEARTWIN_THREADS=4 timeout $T python3 -m ml train rf --data $DATA/$ds --inputs $inputs --out $RUNS/${ds}_rf --no-progress > $OUT/${ds}_rf.log 2>&1 &
  for m in dcl resnet; do
    for ((i=0; i<n; i++)); do
      timeout $T python3 -m ml train $m --data $DATA/$ds --inputs $inputs --out $RUNS/${ds}_$m --shard $i/$n --no-progress > $OUT/${ds}_${m}_shard$i.log 2>&1 &
    done
  done
done
wait
for ds in sp_sw_har hmp; do
  inputs=imu; [ $ds = hmp ] && inputs=acc
  for m in dcl resnet; do
    timeout 60 python3 -m ml train $m --data $DATA/$ds --inputs $inputs --out $RUNS/${ds}_$m --no-progress > $OUT/${ds}_${m}.log 2>&1
    tail -1 $OUT/${ds}_${m}.log
  done
  tail -1 $OUT/${ds}_rf.log
  python3 -m ml compare $RUNS/${ds}_rf $RUNS/${ds}_resnet --out $OUT/${ds}_compare_rf_resnet.png > $OUT/${ds}_compare_rf_resnet.txt 2>&1
  python3 -m ml compare $RUNS/${ds}_rf $RUNS/${ds}_dcl --out $OUT/${ds}_compare_rf_dcl.png > $OUT/${ds}_compare_rf_dcl.txt 2>&1
  for f in $OUT/${ds}_compare_rf_*.txt; do tail -n 2 $f; done
done

#!/bin/bash
# The full sweep of benchmarks/bench_sim_gain.py on one GPU, in 4 processes at once (the models
# are small: one process leaves the GPU mostly idle): per target, the headline budget (10 labels
# per class, with every control, corpus size and probe) and the other budgets (main corpus only).
#   bash benchmarks/sim_gain/device_sweep.sh PREP OUT [LIMIT_S]
# then: python benchmarks/bench_sim_gain.py --from-results OUT/*/results.json (comma-separated) --out REPORT
set -u
P=$1; O=$2; L=${3:-480}
export PYTHONUNBUFFERED=1 PYTHONPATH=.
C="--prep $P --device cuda --corpora relevant,off_target,procedural --sizes 600,3600 --seeds 0,1,2,3,4
   --arms scratch,pre_text,pre_sup,pre_ssl,mix1,mix1_cal --pre-steps 1000 --pre-batch 256"
mkdir -p "$O"
for t in sp_sw_har hmp; do
  timeout "$L" python3 benchmarks/bench_sim_gain.py $C --targets $t --budgets 10 --out "$O/${t}_k10" \
      > "$O/log_${t}_k10.txt" 2>&1 &
  timeout "$L" python3 benchmarks/bench_sim_gain.py $C --targets $t --budgets 1,5,20,all --no-probes \
      --out "$O/${t}_rest" > "$O/log_${t}_rest.txt" 2>&1 &
done
wait
for d in "$O"/*/; do      # one results file per process (a partial one when the limit stopped it)
  [ -f "$d/results.json" ] || mv "$d/partial_results.json" "$d/results.json" 2>/dev/null
  find "$d" -type f ! -name results.json -delete
done

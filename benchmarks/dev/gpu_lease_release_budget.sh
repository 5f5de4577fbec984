#!/bin/bash
# Developer tool, session 10's GPU call: the hysteresis on D_b with ResNet-34 on the sweep's
# first-class rows and clean data (gpu_lease_resnet34_sweep.sh's cells less ECG5000's minority
# class, where every setting fails), seeds 0-4: the default, release_rank 1.5 / 2 / 3 with D_b
# held to the isolation budget (release_budget=True), and 1.5 / 2 growing D_b. Seeds 3-4 also
# fit the clean model (seeds 0-2 have theirs in resnet34_60ep_sweep_h100.jsonl).
# 15 processes; about 225 fits.
. benchmarks/dev/lease_env.sh 420 /tmp/w4
V="e2abl e2abl:release_rank=1.5,release_budget=True e2abl:release_rank=2,release_budget=True \
e2abl:release_rank=1.5 e2abl:release_rank=2 e2abl:release_rank=3,release_budget=True"
for s in ${SEEDS:-0 1 2 3 4}; do
[ $s -ge 3 ] && VS="$V clean_model" || VS="$V"
B="$BENCH --defenses $VS --seeds $s"
timeout $(left) python3 $B --datasets $U --attacks square sine burst --out $W/u_s$s.jsonl > /dev/null 2>&1 &
timeout $(left) python3 $B --datasets $U $E --attacks none --out $W/n_s$s.jsonl > /dev/null 2>&1 &
timeout $(left) python3 $B --datasets $E --attacks square burst --out $W/e_s$s.jsonl > /dev/null 2>&1 &
done
wait
cat $W/*.jsonl > $OUT/release_budget.jsonl; echo "end t=$(( $(date +%s)-S ))"; wc -l $OUT/release_budget.jsonl

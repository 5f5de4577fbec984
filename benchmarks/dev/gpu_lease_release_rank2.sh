#!/bin/bash
# Developer tool, session 10's second GPU call: release_rank=1.25 on the cells of
# gpu_lease_release_budget.sh (seeds 0-4), and TT-FGSM (the paper's attack) on UWave and
# ECG5000, first class, seeds 0-4: no defense, the default and release_rank=1.5.
# 15 processes; about 65 fits.
. benchmarks/dev/lease_env.sh 300 /tmp/w5
for s in ${SEEDS:-0 1 2 3 4}; do
B="$BENCH --seeds $s"
(timeout $(left) python3 $B --defenses e2abl:release_rank=1.25 --datasets $U --attacks square sine burst none --out $W/r_s$s.jsonl
 timeout $(left) python3 $B --defenses e2abl:release_rank=1.25 --datasets $E --attacks square burst none --out $W/q_s$s.jsonl) > /dev/null 2>&1 &
for d in $U $E; do
timeout $(left) python3 $B --defenses no_defense e2abl e2abl:release_rank=1.5 --datasets $d --attacks tt-fgsm \
    --out $W/t_$(basename $d .npz)_s$s.jsonl > /dev/null 2>&1 &
done
done
wait
cat $W/*.jsonl > $OUT/release_rank2.jsonl; echo "end t=$(( $(date +%s)-S ))"; wc -l $OUT/release_rank2.jsonl

#!/bin/bash
# Developer tool, prepared in session 9 for the next GPU lease (not yet run): does the hysteresis
# on D_b (release_rank) hold across METHOD.md's rows with ResNet-34? The cells and seeds of
# gpu_lease_resnet34_sweep.sh (whose no_defense / clean_model rows serve as the baselines: the
# same seeds poison the same rows), E2ABL at release_rank 1 (the default), 1.5 and 2.
# About 72 fits; the session-9 sweep ran 318 in 12 minutes of one H100.
. benchmarks/dev/lease_env.sh 300 /tmp/w3
V="e2abl e2abl:release_rank=1.5 e2abl:release_rank=2"
B="$BENCH --defenses $V"
for s in ${SEEDS:-0 1 2}; do
timeout $(left) python3 $B --datasets $U --attacks square sine --seeds $s --out $W/u_s$s.jsonl > /dev/null 2>&1 &
timeout $(left) python3 $B --datasets $U --attacks burst none --seeds $s --out $W/ub_s$s.jsonl > /dev/null 2>&1 &
timeout $(left) python3 $B --datasets $E --attacks square burst none --seeds $s --out $W/e_s$s.jsonl > /dev/null 2>&1 &
timeout $(left) python3 $B --datasets $E --attacks square --target minority --seeds $s --out $W/em_s$s.jsonl > /dev/null 2>&1 &
done
wait
cat $W/*.jsonl > $OUT/release_rank.jsonl; echo "end t=$(( $(date +%s)-S ))"; wc -l $OUT/release_rank.jsonl

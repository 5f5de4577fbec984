#!/bin/bash
# Developer tool, session 10's third GPU call: ECG5000 (first class = majority) with
# release_rank=1.5 and a longer warm start (3 or 4 epochs), seeds 0-4: does a later label
# inference fix the seeds whose backdoor label is inferred wrong? About 40 fits.
. benchmarks/dev/lease_env.sh 150 /tmp/w6
for s in ${SEEDS:-0 1 2 3 4}; do
for w in 3 4; do
timeout $(left) python3 $BENCH --seeds $s --defenses e2abl:release_rank=1.5,warmup_epochs=$w --datasets $E \
    --attacks square burst tt-fgsm none --out $W/w${w}_s$s.jsonl > /dev/null 2>&1 &
done
done
wait
cat $W/*.jsonl > $OUT/warmup_ecg.jsonl; echo "end t=$(( $(date +%s)-S ))"; wc -l $OUT/warmup_ecg.jsonl

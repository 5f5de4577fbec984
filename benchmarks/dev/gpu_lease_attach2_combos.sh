#!/bin/bash
# Developer tool, session 9's second (short) GPU call: attach_stage=2 combined with the two other
# choices that beat the default in gpu_lease_resnet34_sweep.sh (cosine schedule; the second head's
# gradient kept for held-back rows), ResNet-34, 60 epochs, seeds 0-2, on the cells where they differ.
. benchmarks/dev/lease_env.sh 110 /tmp/w2
V="e2abl:attach_stage=2,lr_schedule=cosine e2abl:attach_stage=2,detach_second_head=False"
B="$BENCH --defenses $V"
for s in ${SEEDS:-0 1 2}; do
timeout $(left) python3 $B --datasets $U --attacks square --seeds $s --out $W/us$s.jsonl > /dev/null 2>&1 &
timeout $(left) python3 $B --datasets $U --attacks sine --seeds $s --out $W/ui$s.jsonl > /dev/null 2>&1 &
timeout $(left) python3 $B --datasets $E --attacks square --seeds $s --out $W/es$s.jsonl > /dev/null 2>&1 &
timeout $(left) python3 $B --datasets $E --attacks burst --seeds $s --out $W/eb$s.jsonl > /dev/null 2>&1 &
timeout $(left) python3 $B --datasets $U --attacks none --seeds $s --out $W/un$s.jsonl > /dev/null 2>&1 &
timeout $(left) python3 $B --datasets $E --attacks none --seeds $s --out $W/en$s.jsonl > /dev/null 2>&1 &
done
wait
cat $W/*.jsonl > $OUT/attach2_combos.jsonl; echo "end t=$(( $(date +%s)-S ))"; wc -l $OUT/attach2_combos.jsonl

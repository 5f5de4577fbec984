#!/bin/bash
# Developer tool, prepared in session 10 for the next GPU lease (not yet run; bash -n only): the
# steadier label after the warm start. ResNet-34, seeds 0-4, the cells of
# gpu_lease_release_budget.sh plus JapaneseVowels (clean, sine, burst: the warm start misses the
# triggers there): the default, no_evidence="watch" (added in session 11), lock_label="first_alarm", and it with lr_schedule="cosine".
# 15 processes; about 280 fits (the session-10 call ran 224 in 6.3 minutes of one H100).
# JapaneseVowels comes from aeon, which the device lacks: carry it as .gpu/data/JapaneseVowels.npz
# (load_dataset("JapaneseVowels") here, then np.savez with X_train, y_train, X_test, y_test; check that
# its unequal lengths survive, or pad them as load_dataset does).
. benchmarks/dev/lease_env.sh 420 /tmp/w7
J=$D/JapaneseVowels.npz
V="e2abl e2abl:no_evidence=watch e2abl:lock_label=first_alarm e2abl:lock_label=first_alarm,lr_schedule=cosine"
for s in ${SEEDS:-0 1 2 3 4}; do
B="$BENCH --defenses $V --seeds $s"
timeout $(left) python3 $B --datasets $U --attacks square sine burst none --out $W/u_s$s.jsonl > /dev/null 2>&1 &
timeout $(left) python3 $B --datasets $J --attacks none sine burst --out $W/j_s$s.jsonl > /dev/null 2>&1 &
timeout $(left) python3 $B --datasets $E --attacks square burst none --out $W/e_s$s.jsonl > /dev/null 2>&1 &
done
wait
cat $W/*.jsonl > $OUT/lock_label.jsonl; echo "end t=$(( $(date +%s)-S ))"; wc -l $OUT/lock_label.jsonl

#!/bin/bash
# Developer tool, session 9's GPU lease (one shot): E2ABL's open choices swept with ResNet-34 (the
# default backbone), 60 epochs, 10% poison, seeds 0-2, on METHOD.md's rows (UWave square / sine /
# burst on the first class; ECG5000 square / burst on the first (= majority) and the minority
# class) and on clean data. Five processes per seed, one thread each, until DL seconds.
# Reads .gpu/data/*.npz and .whl/ as gpu_lease.sh does; rows go to $OUT.
. benchmarks/dev/lease_env.sh 430 /tmp/w
V="e2abl e2abl:recovery_rate=0.05 e2abl:detach_second_head=False e2abl:attach_stage=2 e2abl:drop=relative
   e2abl:lr_schedule=cosine e2abl:recovery_rate=0.1 e2abl:drop=cumulative e2abl:warmup_epochs=5 e2abl:detector=paper"
B=$BENCH
for s in ${SEEDS:-0 1 2}; do
timeout $(left) python3 $B --datasets $U --attacks square burst --target first --defenses no_defense clean_model $V --seeds $s --out $W/u_first_s$s.jsonl > $W/u_first_s$s.log 2>&1 &
timeout $(left) python3 $B --datasets $U --attacks sine --target first --defenses no_defense clean_model $V --seeds $s --out $W/u_sine_s$s.jsonl > $W/u_sine_s$s.log 2>&1 &
timeout $(left) python3 $B --datasets $E --attacks square burst --target first --defenses no_defense clean_model $V --seeds $s --out $W/e_first_s$s.jsonl > $W/e_first_s$s.log 2>&1 &
timeout $(left) python3 $B --datasets $E --attacks square burst --target minority --defenses no_defense clean_model $V --seeds $s --out $W/e_min_s$s.jsonl > $W/e_min_s$s.log 2>&1 &
timeout $(left) python3 $B --datasets $U $E --attacks none --defenses no_defense $V --seeds $s --out $W/none_s$s.jsonl > $W/none_s$s.log 2>&1 &
done
wait
cat $W/*.jsonl > $OUT/resnet34_sweep.jsonl 2>/dev/null
nvidia-smi --query-gpu=name --format=csv,noheader > $OUT/device.txt 2>&1
for f in $W/*.log; do echo == $f; tail -n 2 $f; done
echo "end t=$(( $(date +%s)-S ))"; wc -l $OUT/resnet34_sweep.jsonl

#!/bin/bash
# Developer tool, prepared in session 7 for the next GPU lease (not yet run): does
# detach_second_head="held_back" (the default for ResNet-34 series since session 8, chosen on
# CPU runs of the square trigger and TT-FGSM; see the README) hold across triggers and targets?
# The robustness matrix at 60 epochs on ECG5000 and UWave, the default beside False, static
# triggers at 10% and the no-attack cells, seeds 0-2, one process per seed until DL seconds.
# Reads .gpu/data/*.npz and .whl/ as gpu_lease.sh does; results go to $OUT.
set -u
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=2 MKL_NUM_THREADS=2
S=$(date +%s); DL=${DL:-480}; DEVICE=${DEVICE:-cuda}
left() { echo $(( DL - ($(date +%s) - S) )); }
W=/tmp/w; mkdir -p $W
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || echo "wheel install failed"
export PYTHONPATH=/tmp/site:$PWD
D=.gpu/data
for s in 0 1 2; do
timeout $(left) python3 benchmarks/robustness_matrix.py --datasets $D/ECG5000_TRAIN.npz $D/UWaveGestureLibrary.npz \
    --triggers square sine burst --targets first majority minority --rates 0.1 --seeds $s \
    --defenses e2abl e2abl:detach_second_head=False --backbone resnet34 --epochs 60 --device $DEVICE \
    --out $W/matrix_r34_s$s.jsonl > $W/matrix_r34_s$s.log 2>&1 &
done
wait
cat $W/matrix_r34_s*.jsonl > $OUT/robustness_matrix_resnet34_detach.jsonl 2>/dev/null
python3 benchmarks/robustness_matrix.py --report-only --out $OUT/robustness_matrix_resnet34_detach.jsonl > $OUT/robustness_matrix_resnet34_detach.txt 2>&1
for f in $W/*.log; do echo == $f; tail -n 3 $f; done

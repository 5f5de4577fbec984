#!/bin/bash
# Developer tool: the one-shot script a GPU lease ran (session 6, one H200). Order: B the
# fit-time ratio alone (a timing), then A the correctness checks, D Fashion-MNIST, C the ResNet-34
# table, E the robustness matrix and F a 3-epoch grid of every attack x defense, in parallel
# until DL seconds have passed. Results go to $OUT (the device tool's output folder).
# It reads, from ignored folders carried to the device: .gpu/data/*.npz (../shared/data),
# .gpu/fmnist/*.gz (the Debian package's files), .gpu/prev/*.jsonl (finished rows to resume)
# and .whl/ (a scikit-learn wheel for the device's Python, which lacks this project's pins).
set -u
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=2 MKL_NUM_THREADS=2
S=$(date +%s); DL=${DL:-500}
left() { echo $(( DL - ($(date +%s) - S) )); }
W=/tmp/w; mkdir -p $W; cp .gpu/prev/*.jsonl $W/ 2>/dev/null
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || echo "wheel install failed"
export PYTHONPATH=/tmp/site:$PWD
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; nproc; python3 -c "import sys,torch,sklearn,numpy,scipy,tqdm;print(sys.version);print('torch',torch.__version__,'sklearn',sklearn.__version__,'numpy',numpy.__version__,'scipy',scipy.__version__)"; } > $OUT/env.txt 2>&1
D=.gpu/data; U=$D/UWaveGestureLibrary.npz; E=$D/ECG5000_TRAIN.npz
timeout 150 python3 benchmarks/fit_time_ratio.py --backbone resnet34 --shape 6600 13 93 --epochs 8 --batch-size 256 --repeats 3 --device cuda --models e2abl abl > $W/b_fit_ratio.log 2>&1; echo "rc=$? t=$(( $(date +%s)-S ))" >> $W/b_fit_ratio.log
cp $W/b_fit_ratio.log $OUT/
(timeout 150 python3 benchmarks/dev/gpu_check.py > $W/a_cuda_check.log 2>&1; echo "rc=$? t=$(( $(date +%s)-S ))" >> $W/a_cuda_check.log; cp $W/a_cuda_check.log $OUT/) &
timeout $(left) python3 benchmarks/image_table.py --data fashion-mnist --root .gpu/fmnist --n-train 30000 --n-test 10000 --width 64 --epochs 15 --batch-size 256 --device cuda --out $W/fmnist_gpu.jsonl > $W/d_fmnist.log 2>&1 &
timeout $(left) python3 -m e2abl_ts bench --datasets $U $E --attacks square tt-fgsm tsba --defenses no_defense e2abl clean_model --seeds 0 1 2 --backbone resnet34 --epochs 60 --device cuda --n-jobs 2 --quiet --out $W/ts_resnet34_60ep_gpu.jsonl > $W/c_ts.log 2>&1 &
for s in 0 1; do
timeout $(left) python3 benchmarks/robustness_matrix.py --datasets $E $U --triggers square sine burst --targets first majority minority --rates 0.01 0.05 0.1 0.2 --seeds $s --defenses e2abl --backbone resnet --epochs 30 --device cuda --out $W/matrix_gpu_s$s.jsonl > $W/e_matrix_s$s.log 2>&1 &
done
timeout $(left) python3 -m e2abl_ts bench --datasets $U --attacks square tt-fgsm tsba tt-de:maxiter=2 none --defenses no_defense e2abl e2abl_paper abl nad fp clean_model --backbone resnet --epochs 3 --device cuda --quiet --out $W/f_bench_tiny.jsonl > $W/f_bench_tiny.log 2>&1 &
wait
echo "end t=$(( $(date +%s)-S ))" >> $W/c_ts.log
cat $W/matrix_gpu_s*.jsonl > $OUT/matrix_gpu.jsonl 2>/dev/null
cp $W/fmnist_gpu.jsonl $W/ts_resnet34_60ep_gpu.jsonl $OUT/ 2>/dev/null
tar czf $OUT/logs.tgz -C $W . 
ls -la $OUT; for f in $W/*.log; do echo == $f; tail -n 4 $f; done

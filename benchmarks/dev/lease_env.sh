# Sourced by the session-9 lease scripts as `. benchmarks/dev/lease_env.sh DEFAULT_DL WORKDIR`:
# one thread per process, a deadline DL (seconds; the environment's DL wins) with left() the
# seconds remaining, the work folder W, the carried wheels (.whl/) installed for the device's
# Python, the data paths U (UWave) and E (ECG5000 TRAIN) under D (default .gpu/data, carried),
# and BENCH, the runner's command line up to the grid.
set -u
DL=${DL:-$1}; W=$2; mkdir -p $W
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
S=$(date +%s); DEVICE=${DEVICE:-cuda}; EP=${EP:-60}; BB=${BB:-resnet34}
left() { echo $(( DL - ($(date +%s) - S) )); }
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        || echo "wheel install failed"
fi
export PYTHONPATH=/tmp/site:$PWD
D=${D:-.gpu/data}; U=$D/UWaveGestureLibrary.npz; E=$D/ECG5000_TRAIN.npz
BENCH="-m e2abl_ts bench --backbone $BB --epochs $EP --device $DEVICE --quiet"

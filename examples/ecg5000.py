"""ECG5000 (UCR, 5 classes, 140 steps): the paper's attacks against every defense.

    python examples/ecg5000.py                                   # through aeon (needs internet)
    python examples/ecg5000.py --data ../shared/data/ECG5000_TRAIN.npz --backbone resnet --epochs 30

A ``.npz`` holding only ``X``/``y`` (or one split) is re-split 70/30, stratified, seed 0.
ECG5000's class 1 is 58% of the data: try ``--attacks burst`` with the target set to it
(``e2abl-ts bench --target majority``) for the hardest case known to us.
"""

from _common import run_example

if __name__ == "__main__":
    run_example("ECG5000", __doc__)

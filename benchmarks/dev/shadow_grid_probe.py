"""Probe: the tracked split on series with and without its 16-cell shadow gate (session 17's lead,
the library's rule since session 18).

The tracked split takes the shared layers' maps averaged over 8 cells. On OSULeaf (427 steps) an
8-step burst is diluted in cells of 53 steps and the label's content splits instead (ASR 71.7 on
the test suite's majority burst). With 16 cells no split qualifies there, D_b holds the poison
(ASR 2.5), but as the whole series default 16 cells cost UWave square with ResNet-34 9 CA points.
So each epoch a shadow split on 16 cells with its own held group runs first, and the 8-cell split
names a group only once the shadow has named one (``E2ABLObjective._flag_clusters``). This probe
fits one cell with ``cluster_mode="tracked", resplit=True`` (the series default since session 18),
gated and ungated, and prints ASR / CA and isolation precision / recall:

    python benchmarks/dev/shadow_grid_probe.py --data JapaneseVowels --attack square --seeds 0 1 2
    python benchmarks/dev/shadow_grid_probe.py --data ../shared/data/UWaveGestureLibrary.npz \
        --attack square --seeds 0 1 --backbone resnet34 --epochs 60
    python benchmarks/dev/shadow_grid_probe.py --osuleaf

Measured on a 2-core CPU (ASR / CA, gated): OSULeaf's majority burst (``resnet``, 20 epochs, as the
test suite fits it) 2.5 / 62.0, recall 0.95 (ungated: 71.7 / 39.3); UWave square, ResNet-34, 60
epochs, seeds 0-2: 4.6 / 68.8, 3.2 / 70.0, 5.0 / 70.6, as the 8-cell split alone (session 15);
JapaneseVowels (``resnet``, 30 epochs, seeds 0-2) as ungated on 8 of 9 fits, square seed 1
23.0 / 77.8 against 3.5 / 92.7; ECG5000 square / burst on the majority class (``resnet``, 30
epochs, seed 0) 1.6 / 85.3, 6.5 / 87.3, as ungated. Matrix: docs/experiments.md, "Session 17" and "Session 18".
"""

import warnings

import numpy as np

from e2abl_ts import E2ABLClassifier, _e2abl
from e2abl_ts.benchmark._registry import ATTACKS
from e2abl_ts.datasets import load_dataset
from e2abl_ts.metrics import attack_success_rate, isolation_precision_recall
from follow_share_probe import cell_parser  # the same one-cell command line (benchmarks/dev)

LIBRARY_FLAGS = _e2abl.E2ABLObjective._flag_clusters


def ungated(self, net):
    """The 8-cell split alone (before session 18)."""
    self.shadow_cells = 0
    LIBRARY_FLAGS(self, net)


def fit(X_p, y_p, gated, **kwargs):
    _e2abl.E2ABLObjective._flag_clusters = LIBRARY_FLAGS if gated else ungated
    try:
        return E2ABLClassifier(cluster_mode="tracked", resplit=True, **kwargs).fit(X_p, y_p)
    finally:
        _e2abl.E2ABLObjective._flag_clusters = LIBRARY_FLAGS


def main():
    parser = cell_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--osuleaf", action="store_true", help="the test suite's OSULeaf majority burst instead")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if args.osuleaf:
        from aeon.datasets import load_classification

        from e2abl_ts.attacks import StaticTriggerAttack

        X_train, y_train = load_classification("OSULeaf", split="train")
        X_test, y_test = load_classification("OSULeaf", split="test")
        attack = StaticTriggerAttack(target_label="4", pattern="burst", amplitude=1.5, window=8, random_state=0)
        cells = [("OSULeaf burst (majority)", 0, attack, dict(backbone="resnet", n_epochs=20))]
    else:
        X_train, y_train, X_test, y_test = load_dataset(args.data)
        cells = [(f"{args.data} {args.attack}", seed, ATTACKS[args.attack](np.unique(y_train)[0], 0.1, seed),
                  dict(backbone=args.backbone, n_epochs=args.epochs)) for seed in args.seeds]
    for name, seed, attack, kwargs in cells:
        X_p, y_p = attack.fit_resample(X_train, y_train)
        for gated in (True, False):
            clf = fit(X_p, y_p, gated, random_state=seed, device="cpu", **kwargs)
            precision, recall = isolation_precision_recall(clf.suspected_poison_mask_, attack.poison_indices_)
            asr = 100 * attack_success_rate(clf, attack, X_test, y_test)
            print(f"{name} seed {seed}, {'gated' if gated else 'ungated'}: ASR {asr:.1f} / CA"
                  f" {100 * clf.score(X_test, y_test):.1f}, isolation P / R {precision:.2f} / {recall:.2f}", flush=True)


if __name__ == "__main__":
    main()

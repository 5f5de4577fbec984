"""Developer tool (issue 6): does the spectral split of the backdoor label's rows at the end of
the warm start (``_flag_cluster``) tell clean data from poisoned data? Trains the warm start and
one epoch per fit (ResNet-34 by default, CPU) and prints, per case, the label the warm start
inferred and whether a split qualified (how many rows it isolated, how many of them poisoned).

    python benchmarks/dev/cluster_evidence.py --datasets ../shared/data/UWaveGestureLibrary.npz \\
        ../shared/data/ECG5000_TRAIN.npz JapaneseVowels --seeds 0 1 2
"""
import argparse
import itertools
import warnings

import numpy as np

import e2abl_ts._e2abl as e2abl_module
from e2abl_ts import E2ABLClassifier
from e2abl_ts.benchmark._registry import ATTACKS
from e2abl_ts.datasets import load_dataset

TRIGGERS = ["square", "sine", "burst"]  # the runner's static triggers, with its parameters

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--datasets", nargs="+", required=True)
p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
p.add_argument("--backbone", default="resnet34")
args = p.parse_args()
warnings.filterwarnings("ignore")
flagged = {}
original = e2abl_module.E2ABLObjective._flag_cluster


def recording(self, net):
    before = self.sticky.clone()
    original(self, net)
    flagged["rows"] = (self.sticky & ~before).cpu().numpy()


e2abl_module.E2ABLObjective._flag_cluster = recording
for name in args.datasets:
    X, y, _, _ = load_dataset(name, random_state=0)
    target = np.unique(y)[0]
    for trigger, seed in itertools.product(["none", *TRIGGERS], args.seeds):
        X_fit, y_fit, pois = X, y, np.zeros(len(y), bool)
        if trigger != "none":
            attack = ATTACKS[trigger](target, 0.1, seed)
            X_fit, y_fit = attack.fit_resample(X, y)
            pois[attack.poison_indices_] = True
        flagged.clear()
        c = E2ABLClassifier(backbone=args.backbone, n_epochs=3, random_state=seed, device="cpu").fit(X_fit, y_fit)
        rows = flagged.get("rows", np.zeros(len(y_fit), bool))
        label = c.history_[1].get("backdoor_label")
        print(f"{name.split('/')[-1][:12]:12s} {trigger:6s} seed {seed}: label after warm start {label!s:5s} "
              f"(target {target if trigger != 'none' else '-'}), split isolated {rows.sum():3d} rows, "
              f"{(rows & pois).sum():3d} poisoned of {pois.sum()}", flush=True)

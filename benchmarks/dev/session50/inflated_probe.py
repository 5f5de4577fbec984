"""At the warm start's end (``resnet``, 3-epoch fits), per label: its rows among the ``isolation_rate`` rows of
largest warm loss (``E2ABLObjective._warm_tail``), how many of them are poisoned, their mean warm loss; the median
warm loss (the inflated-label rule runs only under log(K) / 4); and ``named``: the label with evidence once
``_flag_inflated_label`` has run (its own or the warm start's). One JSON row per fit on stdout. Runs from the
repository root (reads ``../shared/data``); labels are the classes' indices (0-4 for ECG5000's "1"-"5").

    # ECG5000: clean data over network seeds 0-11, square / sine / burst on the minority class at 1%, 5%, 20%
    OMP_NUM_THREADS=2 python benchmarks/dev/session50/inflated_probe.py ecg \\
        > benchmarks/results/inflated_label_warm_tail_cpu_s50.jsonl
    # clean data of the five datasets over network seeds 0-11
    OMP_NUM_THREADS=2 python benchmarks/dev/session50/inflated_probe.py clean \\
        > benchmarks/results/inflated_label_warm_tail_clean_cpu_s50.jsonl
    # JapaneseVowels, GunPoint, BasicMotions, UWave: square / sine / burst on the first class at 10%, seeds 0-2
    OMP_NUM_THREADS=1 python benchmarks/dev/session50/inflated_probe.py attacked \\
        > benchmarks/results/inflated_label_warm_tail_attacked_cpu_s50.jsonl

The ``ecg`` rows were taken before the rule's bar relative to the label (``inflated_share``), the others after;
``named`` reads the rule of its run, the per-label counts do not depend on it.
"""
import json
import math
import sys
import warnings

import numpy as np

from e2abl_ts import E2ABLClassifier
from e2abl_ts._e2abl import E2ABLObjective
from e2abl_ts.benchmark._registry import ATTACKS
from e2abl_ts.datasets import load_dataset

ECG = "../shared/data/ECG5000_TRAIN.npz"
SETS = ["JapaneseVowels", "GunPoint", "BasicMotions", "../shared/data/UWaveGestureLibrary.npz", ECG]
rec = {}
_rule = E2ABLObjective._flag_inflated_label


def _spy(self):
    loss, tail = self._warm_tail()
    labels = {}
    for lab in range(self.n_classes):
        rows = tail[self.y[tail] == lab]
        labels[lab] = dict(n=int((self.y == lab).sum()), tail=len(rows),
                           tail_over=int((loss[rows] > math.log(self.n_classes)).sum()),
                           mean=float(loss[rows].mean()) if len(rows) else None,
                           poison=int(np.isin(rows.cpu().numpy(), rec.get("poison", [])).sum()))
    rec.update(median=float(loss.median()), chance=math.log(self.n_classes), n_isolate=self.n_isolate, labels=labels)
    _rule(self)
    rec["named"] = self.backdoor_label if self.evident else None


def warm_row(X, y, net_seed, attack=None, target=None, rate=None, seed=None, **fields):
    """One 3-epoch fit (on the attacked data when ``attack`` is given) and its warm-tail row."""
    rec.clear()
    if attack is not None:
        poisoner = ATTACKS[attack](target, rate, seed)
        X, y = poisoner.fit_resample(X, y)
        rec["poison"] = list(poisoner.poison_indices_)
    E2ABLClassifier(backbone="resnet", n_epochs=3, random_state=net_seed).fit(X, y)
    rec.pop("poison", None)
    return dict(fields, attack=attack or "none", rate=rate, seed=seed, net=net_seed, **rec)


def main(mode):
    warnings.filterwarnings("ignore")
    E2ABLObjective._flag_inflated_label = _spy
    if mode == "ecg":
        X, y = load_dataset(ECG)[:2]
        rows = [warm_row(X, y, s, seed=0) for s in range(12)]
        rows += [warm_row(X, y, s, a, "5", r, s) for r in (0.01, 0.05, 0.2) for a in ("square", "sine", "burst")
                 for s in (0, 1, 2)]
    elif mode == "clean":
        rows = [warm_row(*load_dataset(d)[:2], s, dataset=d) for d in SETS for s in range(12)]
    else:
        rows = []
        for d in SETS[:4]:
            X, y = load_dataset(d)[:2]
            first = min(set(y.tolist()))
            rows += [warm_row(X, y, s, a, first, 0.1, s, dataset=d) for a in ("square", "sine", "burst")
                     for s in (0, 1, 2)]
    for row in rows:
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "ecg")

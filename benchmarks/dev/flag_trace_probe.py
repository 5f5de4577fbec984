"""Probe (session 39): which rows the outlier test flags for good, epoch by epoch, on an image fit.

Per call of ``E2ABLObjective._flag_mislabelled`` (the warm start's own call, then the main head's
each epoch): how many poisoned and clean rows it flags, and, once a tracked split holds a group of
the label and ``flag_band`` is set, where its candidates lie along the split's direction
(``split_position``: 0 at the clean side's mean, 1 at the held group's; the quartiles of the
poisoned and of the clean candidates, before the band acts, and of the poisoned rows left on the
clean side). Then CA, ASR and the target class's test accuracy. Fashion-MNIST,
``resnet18`` width 16, 15 epochs, 10% on class 0; ``--params`` passes classifier options (JSON), and
``--clean-held`` holds the split's clean rows instead of relabelling them (an oracle: the poison's
indices are known). Measured on a 2-core Intel CPU (session 39; rows in
``benchmarks/results/fashion_mnist_10000_flag_trace_cpu_s39.jsonl``, the session's scratch traces in
``..._flag_trace_cpu_s39.txt``):

    python benchmarks/dev/flag_trace_probe.py --n-train 10000 --n-test 2000 --seeds 2 --attacks trojan \\
        --params '{"flag_band": 0.2}' --out benchmarks/results/fashion_mnist_10000_flag_trace_cpu_s39.jsonl

With session 38's defaults (no ``--params``) 697 rows flagged, 47 of them poisoned; T-shirts 0.58 on
the test set. With the band 390 (40), T-shirts 0.66, ASR 1.17.
"""

import json
import warnings

import numpy as np
import torch

from e2abl_ts import _e2abl
from e2abl_ts.image import E2ABLImageClassifier, load_image_dataset
from e2abl_ts.metrics import attack_success_rate, clean_accuracy
# the probe beside this one (the script's folder is on sys.path)
from image_class_probe import ATTACKS, poisoned, probe_parser


def quartiles(values: torch.Tensor):
    values = values[~torch.isnan(values)]
    return np.round(np.quantile(values.numpy(), [0, 0.25, 0.5, 0.75, 1]), 2).tolist() if len(values) else None


def traced(poison: torch.Tensor, log: list):
    """``_flag_mislabelled``, recording each call's flags and its candidates' positions."""
    flag = _e2abl.E2ABLObjective._flag_mislabelled

    def wrapper(self, loss, rows):
        info = {}
        if self.split_position is not None and self.evident and int(rows.sum()) >= 3:
            candidates, _ = self._outliers(loss, rows)
            info = dict(poisoned_at=quartiles(self.split_position[candidates & poison].cpu()),
                        clean_at=quartiles(self.split_position[candidates & ~poison].cpu()),
                        leftover_at=quartiles(self.split_position[rows & poison].cpu()))
        before = self.sticky.clone()
        flag(self, loss, rows)
        new = self.sticky & ~before
        log.append(dict(call=len(log), rows=int(rows.sum()), new_poisoned=int((new & poison).sum()),
                        new_clean=int((new & ~poison).sum()), flagged=int(self.sticky.sum()),
                        flagged_poisoned=int((self.sticky & poison).sum()), **info))
        print(json.dumps(log[-1]), flush=True)

    return wrapper


def clean_held(poison: torch.Tensor):
    """``_split``, then the relabelled rows that are clean held back as labelled (the oracle)."""
    split = _e2abl.E2ABLObjective._split

    def wrapper(self, net):
        split(self, net)
        clean = self.recovered[~poison[self.recovered]]
        self.targets[clean] = self.y[clean]
        self.main_rows[clean] = False
        self.suspected[clean] = True

    return wrapper


def main():
    parser = probe_parser(__doc__, list(ATTACKS), "benchmarks/results/flag_trace.jsonl")
    parser.add_argument("--clean-held", action="store_true", help="hold the split's clean rows (oracle)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    params = json.loads(args.params)
    originals = _e2abl.E2ABLObjective._flag_mislabelled, _e2abl.E2ABLObjective._split
    for seed in args.seeds:
        X, y, X_test, y_test = load_image_dataset(args.data, n_train=args.n_train, n_test=args.n_test,
                                                  random_state=seed)
        for name in args.attacks:
            attack, X_p, y_p = poisoned(name, X, y, seed)
            poison = torch.zeros(len(y_p), dtype=torch.bool)
            poison[torch.as_tensor(attack.poison_indices_)] = True
            log = []
            _e2abl.E2ABLObjective._flag_mislabelled = traced(poison, log)
            if args.clean_held:
                _e2abl.E2ABLObjective._split = clean_held(poison)
            try:
                clf = E2ABLImageClassifier(backbone="resnet18", backbone_kwargs={"width": 16}, n_epochs=15,
                                           random_state=seed, device="cpu", **params).fit(X_p, y_p)
            finally:
                _e2abl.E2ABLObjective._flag_mislabelled, _e2abl.E2ABLObjective._split = originals
            pred = clf.predict(X_test)
            row = dict(data=args.data, n_train=args.n_train, seed=seed, attack=name, params=args.params,
                       clean_held=args.clean_held, ca=round(100 * clean_accuracy(clf, X_test, y_test), 2),
                       asr=round(100 * attack_success_rate(clf, attack, X_test, y_test), 2),
                       target_class=round(float(np.mean(pred[y_test == 0] == 0)), 3), calls=log)
            print(json.dumps({k: v for k, v in row.items() if k != "calls"}), flush=True)
            with open(args.out, "a") as out:
                out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()

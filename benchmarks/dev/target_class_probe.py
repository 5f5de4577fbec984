"""Probe (session 48): how often a low ASR was bought by losing the target class.

A model that never predicts the target class sends no triggered row there either, so its ASR is low whatever
it learned from the trigger. For every fit listed in ``--fits`` (see ``_cells.listed_fits``) and each network
offset this fits E2ABL with the current defaults and writes CA, ASR, the target class's test accuracy
(``e2abl_ts.metrics.target_class_accuracy``) and the evidence, and, once per dataset, data seed and network
seed, plain training (``StandardClassifier``) on the clean training set with its accuracy on the same class:
the reference. On clean data (``"none"`` in the list) the target is the dataset's first label. ``--params`` passes
estimator parameters (rows then carry them and ``--run`` names them); ``--no-plain`` leaves the reference out.

    OMP_NUM_THREADS=1 python benchmarks/dev/target_class_probe.py --fits benchmarks/dev/basicmotions_fits_s46.json \\
        --network-offset 0 10 20 30 --out benchmarks/results/target_class_cpu_s48.jsonl

Measured (session 48, 2-core Intel Xeon CPU, one thread per process): see docs/experiments.md, "Session 48".
"""

import argparse
import functools
import json
import warnings

import numpy as np
from _cells import label_name, network_seed_fits, write_row

from e2abl_ts import StandardClassifier
from e2abl_ts.datasets import load_dataset
from e2abl_ts.metrics import target_class_accuracy

load = functools.lru_cache(maxsize=None)(load_dataset)


def main(argv=None, extra=None):
    """``extra``: fields every E2ABL row carries (a caller's description of what it changed)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fits", required=True)
    parser.add_argument("--network-offset", type=int, nargs="+", default=[0])
    parser.add_argument("--params", type=json.loads, default={},
                        help="estimator parameters as JSON, e.g. '{\"unlearn_weight\": 0.5}' (default: the defaults)")
    parser.add_argument("--run", default="e2abl_defaults", help="the E2ABL rows' run name")
    parser.add_argument("--no-plain", action="store_true", help="leave out the plain-training reference rows")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    plain_done = set()
    fits = network_seed_fits(args.fits, args.network_offset, **args.params)
    with open(args.out, "a") as out:
        for name, trigger, target, seed, network_seed, clf, ca, asr in fits:
            X, y, X_test, y_test = load(name)
            label = np.unique(y)[0] if target is None else target
            dataset = name.split("/")[-1].removesuffix(".npz")
            if not args.no_plain and (dataset, seed, network_seed, str(label)) not in plain_done:
                plain_done.add((dataset, seed, network_seed, str(label)))
                plain = StandardClassifier(backbone="resnet", n_epochs=30, random_state=network_seed,
                                           device="cpu").fit(X, y)
                write_row(out, dict(run="plain_clean", dataset=dataset, attack="none", target=label_name(label),
                                    seed=seed, network_seed=network_seed, ca=round(100 * plain.score(X_test, y_test), 1),
                                    target_ca=round(100 * target_class_accuracy(plain, X_test, y_test, label), 1)))
            row = dict(run=args.run, dataset=dataset, attack=trigger, target=label_name(label), seed=seed,
                       network_seed=network_seed)
            if args.params:
                row["params"] = args.params
            row.update(extra or {})
            write_row(out, dict(row, ca=ca, asr=asr,
                                target_ca=round(100 * target_class_accuracy(clf, X_test, y_test, label), 1),
                                evidence=clf.attack_evidence_, backdoor_label=label_name(clf.backdoor_label_)))


if __name__ == "__main__":
    main()

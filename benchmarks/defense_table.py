"""CA and ASR of plain training vs E2ABL on a real dataset poisoned with a static trigger.

Prints one row per (model, seed): clean CA of plain training on clean data, no-defense CA/ASR
on the poisoned set, E2ABL CA/ASR, isolation precision/recall, recovery precision, fit seconds.
Writes the rows as JSON to --out.

    python benchmarks/defense_table.py --data ../shared/data/UWaveGestureLibrary.npz \
        --backbone resnet34 --epochs 60 --seeds 0
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

from e2abl_ts import E2ABLClassifier, StandardClassifier
from e2abl_ts.attacks import StaticTriggerAttack
from e2abl_ts.datasets import load_dataset
from e2abl_ts.metrics import attack_success_rate, clean_accuracy, isolation_precision_recall, recovery_precision


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="JapaneseVowels", help="aeon dataset name or .npz/.ts path")
    p.add_argument("--backbone", default="resnet34")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--pattern", default="square", choices=["square", "sine", "burst"])
    p.add_argument("--target", default=None, help="target label (default: the first class)")
    p.add_argument("--poison-rate", type=float, default=0.1)
    p.add_argument("--models", nargs="+", default=["clean", "no_defense", "e2abl"],
                   choices=["clean", "no_defense", "e2abl"])
    p.add_argument("--out", default=None, help="JSON file for the rows")
    args = p.parse_args(argv)

    X_train, y_train, X_test, y_test = load_dataset(args.data)
    target = args.target if args.target is not None else np.unique(y_train)[0]
    print(f"data {args.data}: train {X_train.shape}, test {X_test.shape}; target {target!r}; "
          f"{args.pattern} trigger at {args.poison_rate:.0%}; backbone {args.backbone}, {args.epochs} epochs")
    rows = []
    for seed in args.seeds:
        attack = StaticTriggerAttack(target_label=target, poison_rate=args.poison_rate, pattern=args.pattern,
                                     window=1.0 if args.pattern == "sine" else 0.1,
                                     amplitude=0.6 if args.pattern == "sine" else 2.5, random_state=seed)
        X_p, y_p = attack.fit_resample(X_train, y_train)
        kw = dict(backbone=args.backbone, n_epochs=args.epochs, random_state=seed, verbose=True)
        row = {"data": args.data, "seed": seed, "backbone": args.backbone, "epochs": args.epochs,
               "pattern": args.pattern, "poison_rate": args.poison_rate, "machine": platform.processor() or "cpu"}
        for name, clf, X, y in [("clean", StandardClassifier(**kw), X_train, y_train),
                                ("no_defense", StandardClassifier(**kw), X_p, y_p),
                                ("e2abl", E2ABLClassifier(**kw), X_p, y_p)]:
            if name not in args.models:
                continue
            t0 = time.perf_counter()
            clf.fit(X, y)
            row[f"{name}_fit_s"] = round(time.perf_counter() - t0, 1)
            row[f"{name}_ca"] = clean_accuracy(clf, X_test, y_test)
            row[f"{name}_asr"] = attack_success_rate(clf, attack, X_test, y_test)
            print(f"  seed {seed} {name:10s} CA {row[f'{name}_ca']:.3f} ASR {row[f'{name}_asr']:.3f} "
                  f"({row[f'{name}_fit_s']} s)", flush=True)
        if "e2abl" not in args.models:
            rows.append(row)
            continue
        prec, rec = isolation_precision_recall(clf.suspected_poison_mask_, attack.poison_indices_)
        row.update(isolation_precision=prec, isolation_recall=rec, backdoor_label=str(clf.backdoor_label_),
                   recovery_precision=recovery_precision(clf.recovered_indices_, clf.recovered_labels_, y_train))
        print(f"  seed {seed} isolation P/R {prec:.2f}/{rec:.2f}, backdoor label {clf.backdoor_label_!r}, "
              f"recovery precision {row['recovery_precision']:.2f}", flush=True)
        rows.append(row)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(rows, fh, indent=1)
    return rows


if __name__ == "__main__":
    main()

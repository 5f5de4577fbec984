"""CA, ASR and detection quality of every defense on a real dataset, per attack and seed.

One row per (attack, seed, model): clean accuracy (CA) and attack success rate (ASR) on the
test split, isolation precision/recall and recovery precision where the defense isolates,
fit seconds. Rows are appended to --out (JSON lines) as they finish; a summary table follows.

    python benchmarks/defense_table.py --data ../shared/data/ECG5000_TRAIN.npz --backbone resnet \
        --epochs 30 --attacks burst square tt-fgsm --models no_defense e2abl e2abl_paper --out rows.jsonl

ECG5000_TRAIN.npz holds only the official TRAIN split: it is re-split 70/30, stratified, with
seed 0 (classes with one case stay in train), i.e. 350/150. UWave uses the UEA split 120/320.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections import defaultdict

import numpy as np
import torch

from e2abl_ts import E2ABLClassifier, StandardClassifier
from e2abl_ts.attacks import StaticTriggerAttack, TimeTrojanDEAttack, TimeTrojanFGSMAttack, TSBAAttack
from e2abl_ts.datasets import load_dataset
from e2abl_ts.defenses import ABLClassifier, FinePruningClassifier, NADClassifier
from e2abl_ts.metrics import attack_success_rate, clean_accuracy, isolation_precision_recall, recovery_precision

ATTACKS = {
    "square": lambda t, r, s: StaticTriggerAttack(t, r, pattern="square", random_state=s),
    "sine": lambda t, r, s: StaticTriggerAttack(t, r, pattern="sine", amplitude=0.6, window=1.0, random_state=s),
    "burst": lambda t, r, s: StaticTriggerAttack(t, r, pattern="burst", amplitude=1.5, window=8, random_state=s),
    "tt-fgsm": lambda t, r, s: TimeTrojanFGSMAttack(t, r, random_state=s),
    "tt-de": lambda t, r, s: TimeTrojanDEAttack(t, r, maxiter=10, random_state=s),
    "tsba": lambda t, r, s: TSBAAttack(t, r, random_state=s),
}
MODELS = {
    "no_defense": lambda kw, n: StandardClassifier(**kw),
    "e2abl": lambda kw, n: E2ABLClassifier(**kw),
    "e2abl_paper": lambda kw, n: E2ABLClassifier(**kw, detector="paper"),
    "abl": lambda kw, n: ABLClassifier(**{**kw, "n_epochs": kw["n_epochs"] * 5 // 3},
                                       isolation_epochs=kw["n_epochs"] // 3, unlearning_epochs=kw["n_epochs"] // 3),
    "nad": lambda kw, n: NADClassifier(**kw),
    "fp": lambda kw, n: FinePruningClassifier(**kw),
}


def target_of(y, which):
    labels, counts = np.unique(y, return_counts=True)
    if which == "first":
        return labels[0]
    if which == "majority":
        return labels[np.argmax(counts)]
    if which == "minority":
        return labels[np.argmin(np.where(counts >= 2, counts, np.inf))]
    return type(labels[0])(which)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="JapaneseVowels", help="aeon dataset name or .npz/.ts path")
    p.add_argument("--backbone", default="resnet")
    p.add_argument("--epochs", type=int, default=30, help="E2ABL / no-defense epochs (ABL gets 5/3 of them)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--attacks", nargs="+", default=["square"], choices=[*ATTACKS, "none"])
    p.add_argument("--target", default="first", help="first, majority, minority or a label")
    p.add_argument("--poison-rate", type=float, default=0.1)
    p.add_argument("--models", nargs="+", default=["clean", "no_defense", "e2abl"], choices=["clean", *MODELS])
    p.add_argument("--out", default=None, help="JSON-lines file the rows are appended to")
    args = p.parse_args(argv)

    X_train, y_train, X_test, y_test = load_dataset(args.data)
    target = target_of(y_train, args.target)
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else f"CPU ({platform.processor() or 'x86'})"
    print(f"data {args.data}: train {np.shape(X_train)}, test {np.shape(X_test)}; target {target!r} ({args.target}); "
          f"poison {args.poison_rate:.0%}; backbone {args.backbone}, {args.epochs} epochs; {device}", flush=True)
    rows = []
    for seed in args.seeds:
        kw = dict(backbone=args.backbone, n_epochs=args.epochs, random_state=seed)
        for attack_name in args.attacks:
            attack = None
            X_p, y_p = X_train, y_train
            if attack_name != "none":
                attack = ATTACKS[attack_name](target, args.poison_rate, seed)
                t0 = time.perf_counter()
                X_p, y_p = attack.fit_resample(X_train, y_train)
                print(f"  {attack_name}: poisoned {len(attack.poison_indices_)} rows in "
                      f"{time.perf_counter() - t0:.0f} s", flush=True)
            for model in args.models:
                if model == "clean" and attack_name != args.attacks[0]:
                    continue  # clean training does not depend on the attack
                clf = MODELS.get(model, MODELS["no_defense"])(kw, len(y_p))
                X_fit, y_fit = (X_train, y_train) if model == "clean" else (X_p, y_p)
                t0 = time.perf_counter()
                clf.fit(X_fit, y_fit)
                row = {"data": args.data, "attack": attack_name if model != "clean" else "none", "model": model,
                       "seed": seed, "backbone": args.backbone, "epochs": args.epochs, "target": str(target),
                       "poison_rate": args.poison_rate, "device": device,
                       "fit_s": round(time.perf_counter() - t0, 1), "ca": clean_accuracy(clf, X_test, y_test)}
                if attack is not None and model != "clean":
                    row["asr"] = attack_success_rate(clf, attack, X_test, y_test)
                    if hasattr(clf, "suspected_poison_mask_"):
                        prec, rec = isolation_precision_recall(clf.suspected_poison_mask_, attack.poison_indices_)
                        row.update(isolation_precision=prec, isolation_recall=rec)
                if hasattr(clf, "backdoor_label_"):
                    row["backdoor_label"] = None if clf.backdoor_label_ is None else str(clf.backdoor_label_)
                    if len(clf.recovered_indices_) and attack is not None:
                        row["recovery_precision"] = recovery_precision(clf.recovered_indices_, clf.recovered_labels_,
                                                                       y_train)
                rows.append(row)
                print("   ", {k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()
                              if k not in ("data", "backbone", "epochs", "device", "poison_rate")}, flush=True)
                if args.out:
                    with open(args.out, "a") as fh:
                        fh.write(json.dumps(row) + "\n")
    summary(rows)
    return rows


def summary(rows):
    cells = defaultdict(list)
    for r in rows:
        cells[(r["attack"], r["model"])].append(r)
    print(f"\n{'attack':10s} {'model':12s} {'CA':>13s} {'ASR':>13s} {'iso P/R':>11s}  n")
    for (attack, model), rs in sorted(cells.items()):
        def ms(key):
            v = [r[key] for r in rs if key in r]
            return f"{100 * np.mean(v):5.1f}+-{100 * np.std(v):4.1f}" if v else "-"
        pr = [(r["isolation_precision"], r["isolation_recall"]) for r in rs if "isolation_recall" in r]
        pr_s = f"{np.mean([a for a, _ in pr]):.2f}/{np.mean([b for _, b in pr]):.2f}" if pr else "-"
        print(f"{attack:10s} {model:12s} {ms('ca'):>13s} {ms('asr'):>13s} {pr_s:>11s}  {len(rs)}")


if __name__ == "__main__":
    main()

"""Images: clean CA, and per attack no-defense vs E2ABL (ASR / CA), on Fashion-MNIST or digits.

    python benchmarks/image_table.py --data fashion-mnist --n-train 6000 --n-test 2000 --width 16 \
        --epochs 20 --out benchmarks/results/fashion_mnist_resnet18.jsonl

Fashion-MNIST comes from the Debian package dataset-fashion-mnist (offline). Subsets are
stratified. Rows (JSON lines) are appended as they finish; a summary table follows.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from e2abl_ts.benchmark._runner import device_name
from e2abl_ts.image import (
    BadNetsAttack,
    BlendAttack,
    E2ABLImageClassifier,
    LabelConsistentAttack,
    SIGAttack,
    StandardImageClassifier,
    TrojanAttack,
    load_image_dataset,
)
from e2abl_ts.metrics import attack_success_rate, clean_accuracy, isolation_precision_recall

ATTACKS = {"badnets": BadNetsAttack, "blend": BlendAttack, "trojan": TrojanAttack, "sig": SIGAttack,
           "cl": LabelConsistentAttack}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="fashion-mnist")
    p.add_argument("--n-train", type=int, default=6000)
    p.add_argument("--n-test", type=int, default=2000)
    p.add_argument("--backbone", default="resnet18")
    p.add_argument("--width", type=int, default=64, help="first-stage channels (64 = the standard ResNet-18)")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--attacks", nargs="+", default=list(ATTACKS), choices=list(ATTACKS))
    p.add_argument("--target", type=int, default=0)
    p.add_argument("--poison-rate", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=64, help="64 (the estimators' default); 256 or more on a GPU")
    p.add_argument("--device", default="auto")
    p.add_argument("--root", default=None, help="folder with the dataset's files (default: where its loader looks)")
    p.add_argument("--models", nargs="+", default=["no_defense", "e2abl"], choices=["no_defense", "e2abl"],
                   help="the models fitted on each attack's poisoned data")
    p.add_argument("--clean-models", nargs="*", default=["no_defense"], choices=["no_defense", "e2abl"],
                   help="the models fitted on the clean data (e2abl: its clean CA and false alarms)")
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)

    X_train, y_train, X_test, y_test = load_image_dataset(args.data, n_train=args.n_train, n_test=args.n_test,
                                                          random_state=args.seed, root=args.root)
    kw = dict(backbone=args.backbone, backbone_kwargs={"width": args.width}, n_epochs=args.epochs,
              batch_size=args.batch_size, device=args.device, random_state=args.seed)
    base = dict(data=args.data, n_train=len(X_train), n_test=len(X_test), backbone=args.backbone, width=args.width,
                epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, poison_rate=args.poison_rate,
                device=device_name(args.device))
    print(f"{args.data}: train {X_train.shape} {X_train.dtype}, test {X_test.shape}; {base['device']}", flush=True)
    rows = []

    def record(**row):
        row = {**base, **row}
        rows.append(row)
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items() if k not in base}, flush=True)
        if args.out:
            with open(args.out, "a") as fh:
                fh.write(json.dumps(row) + "\n")

    models = {"no_defense": StandardImageClassifier, "e2abl": E2ABLImageClassifier}

    def labels(clf):
        # the label named as an attack's (with its evidence), and the label the defense acted on
        name = {"backdoor_label": clf.backdoor_label_, "suspected_label": clf.suspected_label_}
        return {**{k: None if v is None else int(v) for k, v in name.items()}, "attack_evidence": clf.attack_evidence_}

    for model in args.clean_models:
        t0 = time.perf_counter()
        clean = models[model](**kw).fit(X_train, y_train)
        row = dict(attack="none", model=model, ca=clean_accuracy(clean, X_test, y_test),
                   fit_s=round(time.perf_counter() - t0, 1))
        record(**row, **(labels(clean) if model == "e2abl" else {}))
    for name in args.attacks:
        t0 = time.perf_counter()
        attack = ATTACKS[name](args.target, args.poison_rate, random_state=args.seed)
        X_p, y_p = attack.fit_resample(X_train, y_train)
        attack_s = round(time.perf_counter() - t0, 1)
        for model in args.models:
            cls = models[model]
            t0 = time.perf_counter()
            clf = cls(**kw).fit(X_p, y_p)
            row = dict(attack=name, model=model, ca=clean_accuracy(clf, X_test, y_test),
                       asr=attack_success_rate(clf, attack, X_test, y_test), attack_s=attack_s,
                       fit_s=round(time.perf_counter() - t0, 1))
            if model == "e2abl":
                row["isolation_precision"], row["isolation_recall"] = isolation_precision_recall(
                    clf.suspected_poison_mask_, attack.poison_indices_)
                row.update(labels(clf))
            record(**row)
    print(f"\n{'attack':8s} {'no defense ASR / CA':>20s} {'E2ABL ASR / CA':>16s}")
    for name in ["none", *args.attacks]:
        cells = {r["model"]: r for r in rows if r["attack"] == name}
        def cell(m):
            return f"{(100 * cells[m].get('asr', np.nan)):6.1f} / {100 * cells[m]['ca']:5.1f}" if m in cells else "-"

        print(f"{name:8s} " + " ".join(cell(m).rjust(w) for m, w in (("no_defense", 20), ("e2abl", 16))))
    return rows


if __name__ == "__main__":
    main()

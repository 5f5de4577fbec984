"""Probe (session 45): does the second head fit the poisoned side of a tracked split better, when the split is named?

Each time the tracked split names a group by the side rules (:func:`e2abl_ts._e2abl.agreed_side`: a split
that :func:`~e2abl_ts._e2abl.follow` did not continue), one row: the epoch, which split (the library's or the
series' shadow), whether a group was held before, how many side rules were asked, the picked side's and the
other side's rows and poisoned rows, and the median second-head loss of this epoch on each side. The question
(issue 5, Fashion-MNIST 10,000, Blend data seed 2, network seed 22: the split named the clean side at the warm
start's end, median loss 0.361 against 0.028) is whether "the poison is the side the second head fits better"
would have chosen right wherever the side rules were asked.

Series, the walk's fits (``benchmarks/dev/_cells.py``; ``resnet``, 30 epochs)::

    python benchmarks/dev/side_fit_probe.py series --datasets JapaneseVowels --seeds 0

Images, Fashion-MNIST (``resnet18`` width 16; ``--epochs 3`` stops after the warm start's end)::

    python benchmarks/dev/side_fit_probe.py images --n-train 10000 --n-test 2000 --seeds 0 --attacks blend --epochs 3

``--network-seed`` sets the image fits' ``random_state`` (default: the data seed); ``--params`` passes classifier
options (JSON).
"""

import argparse
import json
import sys
import warnings

import numpy as np
import torch

import e2abl_ts._e2abl as core

EVENTS: list[dict] = []
STATE: dict = {}


def install():
    """Patch the core so that every side-rule naming is recorded (the library's behaviour is unchanged)."""
    agreed, flag_cluster, after_epoch = core.agreed_side, core.E2ABLObjective._flag_cluster, core.E2ABLObjective.after_epoch

    def logged_agreed_side(upper, rules, by_margin=False):
        picked = agreed(upper, rules, by_margin)
        ctx = STATE.get("ctx")
        if ctx is not None:
            obj, rows, shadow, had = ctx
            loss = obj.loss_now[rows]
            poison = STATE["poison"][rows.cpu().numpy()]
            side = upper if picked is None else picked
            row = {"epoch": STATE["epoch"], "split": "shadow" if shadow else "library", "had_group": had,
                   "n_rules": len(rules), "named": picked is not None}
            for key, group in (("picked", side), ("other", ~side)):
                g = group.cpu().numpy()
                row[f"{key}_rows"], row[f"{key}_poison"] = int(g.sum()), int(poison[g].sum())
                row[f"{key}_loss"] = round(float(loss[group].median()), 4) if bool(group.any()) else None
            EVENTS.append(row)
        return picked

    def logged_flag_cluster(self, net, held, cells=core.GRID_CELLS):
        rows = torch.nonzero(self.y == self.backdoor_label).flatten() if self.backdoor_label is not None else None
        STATE["ctx"] = None if rows is None else (self, rows, held is self.shadow, bool(held.any()))
        try:
            return flag_cluster(self, net, held, cells)
        finally:
            STATE["ctx"] = None

    def counted_after_epoch(self, epoch, net):
        STATE["epoch"] = epoch + 1
        return after_epoch(self, epoch, net)

    core.agreed_side = logged_agreed_side
    core.E2ABLObjective._flag_cluster = logged_flag_cluster
    core.E2ABLObjective.after_epoch = counted_after_epoch


def poison_mask(attack, n):
    mask = np.zeros(n, dtype=bool)
    if attack is not None:
        mask[attack.poison_indices_] = True
    return mask


def series(args):
    from _cells import poisoned_fits
    from e2abl_ts import E2ABLClassifier
    from e2abl_ts.metrics import attack_success_rate

    for data, trigger, target, seed, attack, X_p, y_p, X_test, y_test in poisoned_fits(
            args.datasets, args.seeds, args.attacks):
        STATE["poison"] = poison_mask(attack, len(y_p))
        EVENTS.clear()
        clf = E2ABLClassifier(backbone="resnet", n_epochs=args.epochs, random_state=seed, device="cpu",
                              **args.params).fit(X_p, y_p)
        asr = None if attack is None else round(100 * attack_success_rate(clf, attack, X_test, y_test), 1)
        yield {"data": data.split("/")[-1].removesuffix(".npz"), "trigger": trigger,
               "target": None if target is None else str(target), "seed": seed,
               "ca": round(100 * clf.score(X_test, y_test), 1), "asr": asr}


def images(args):
    from image_class_probe import poisoned
    from e2abl_ts.image import E2ABLImageClassifier, load_image_dataset
    from e2abl_ts.metrics import attack_success_rate

    for seed in args.seeds:
        X, y, X_test, y_test = load_image_dataset(args.data, n_train=args.n_train, n_test=args.n_test,
                                                  random_state=seed)
        for name in args.attacks:
            attack, X_p, y_p = poisoned(name, X, y, seed)
            STATE["poison"] = poison_mask(attack, len(y_p))
            EVENTS.clear()
            rs = seed if args.network_seed is None else args.network_seed
            clf = E2ABLImageClassifier(backbone="resnet18", backbone_kwargs={"width": 16}, n_epochs=args.epochs,
                                       random_state=rs, **args.params).fit(X_p, y_p)
            asr = None if attack is None else round(100 * attack_success_rate(clf, attack, X_test, y_test), 1)
            yield {"data": args.data, "trigger": name, "seed": seed, "network_seed": rs, "epochs": args.epochs,
                   "ca": round(100 * clf.score(X_test, y_test), 1), "asr": asr}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modality", choices=["series", "images"])
    parser.add_argument("--datasets", nargs="+", default=["JapaneseVowels"])
    parser.add_argument("--data", default="fashion-mnist")
    parser.add_argument("--n-train", type=int, default=10000)
    parser.add_argument("--n-test", type=int, default=2000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--network-seed", type=int, default=None)
    parser.add_argument("--attacks", nargs="+", default=None)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--params", type=json.loads, default={}, help="classifier options as JSON")
    parser.add_argument("--out", default="benchmarks/results/side_fit_probe.jsonl")
    args = parser.parse_args()
    if args.attacks is None:
        args.attacks = ["none", "square", "sine", "burst"] if args.modality == "series" else ["badnets", "blend", "trojan"]
    if args.epochs is None:
        args.epochs = 30 if args.modality == "series" else 15
    warnings.filterwarnings("ignore")
    install()
    for fit in (series if args.modality == "series" else images)(args):
        row = {**fit, "params": args.params, "namings": list(EVENTS)}
        print(json.dumps(row), flush=True)
        with open(args.out, "a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    sys.exit(main())

"""Trace an E2ABL fit epoch by epoch: clean accuracy, ASR, and how many poisoned rows sit in
the main head's training data (the leak) after each epoch.

    python benchmarks/dev/leak_trace.py --data ../shared/data/UWaveGestureLibrary.npz \
        --attack tt-fgsm --backbone resnet34 --epochs 60 --seed 1 --param detach_second_head=held_back

Target: the dataset's first class, 10% poison; the attack and the fit both use ``--seed``.
Prints every fifth epoch as ``epoch:CA/ASR Lleak`` and, at the end, the isolation recall and
the number of epochs with a leak. On a 2-core CPU a ResNet-34 fit on UWave takes about 6 minutes.
"""

import argparse
import time
import warnings

import numpy as np

import e2abl_ts._e2abl as e2abl_module
from e2abl_ts import E2ABLClassifier
from e2abl_ts.attacks import StaticTriggerAttack, TimeTrojanFGSMAttack
from e2abl_ts.benchmark._registry import DEFENSES, parse_spec
from e2abl_ts.datasets import load_dataset


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--attack", default="tt-fgsm", help="tt-fgsm or a StaticTriggerAttack pattern (square, sine, burst)")
    p.add_argument("--backbone", default="resnet34")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--param", action="append", default=[], help="an E2ABLClassifier parameter, name=value")
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore")
    _, params = parse_spec("e2abl:" + ",".join(args.param), DEFENSES, "defense")  # as the runner reads specs
    X_train, y_train, X_test, y_test = load_dataset(args.data, random_state=0)
    target = np.unique(y_train)[0]
    if args.attack == "tt-fgsm":
        attack = TimeTrojanFGSMAttack(target_label=target, random_state=args.seed)
    else:
        attack = StaticTriggerAttack(target_label=target, pattern=args.attack, random_state=args.seed)
    X_p, y_p = attack.fit_resample(X_train, y_train)
    poisoned = np.zeros(len(y_p), bool)
    poisoned[attack.poison_indices_] = True
    others = np.flatnonzero(y_test != target)
    # aeon's unequal-length datasets come as lists
    X_others = [X_test[i] for i in others] if isinstance(X_test, list) else X_test[others]
    triggered = attack.apply_trigger(X_others)
    eval_sets = {"clean": (X_test, y_test), "asr": (triggered, np.full(len(others), target))}

    leak = []
    after_epoch = e2abl_module.E2ABLObjective.after_epoch

    def traced(self, epoch, net):  # count the poisoned rows the main head trains on with their given label
        record = after_epoch(self, epoch, net)
        main = (self.main_rows & (self.targets == self.y)).cpu().numpy()
        leak.append(None if self.warm else int((main & poisoned).sum()))
        return record

    e2abl_module.E2ABLObjective.after_epoch = traced
    try:
        t0 = time.time()
        clf = E2ABLClassifier(backbone=args.backbone, n_epochs=args.epochs, random_state=args.seed, **params)
        clf.fit(X_p, y_p, eval_sets=eval_sets)
    finally:
        e2abl_module.E2ABLObjective.after_epoch = after_epoch
    print(f"{args.attack} {args.backbone} {args.epochs} epochs, seed {args.seed}, {params}: {time.time() - t0:.0f} s")
    cells = []
    for i, r in enumerate(clf.history_):
        if (i + 1) % 5 == 0 or i < 2:
            cells.append(f"{i + 1}:{100 * r['acc_clean']:.0f}/{100 * r['acc_asr']:.0f}"
                         + ("" if leak[i] is None else f"L{leak[i]}"))
    print(" ".join(cells))
    print(f"CA {100 * clf.history_[-1]['acc_clean']:.1f}  ASR {100 * clf.history_[-1]['acc_asr']:.1f}  "
          f"isolation recall {clf.suspected_poison_mask_[poisoned].mean():.2f}  "
          f"epochs with a leak {sum(1 for v in leak if v)}  largest leak {max((v or 0) for v in leak)}")


if __name__ == "__main__":
    main()

"""Trace an E2ABL fit epoch by epoch: clean accuracy, ASR, how many poisoned rows sit in the main
head's training data (the leak) and, with ``--every 1``, what D_b and the tracked split hold.

    python benchmarks/dev/leak_trace.py --data ../shared/data/UWaveGestureLibrary.npz \
        --attack tt-fgsm --backbone resnet34 --epochs 60 --seed 1 --param detach_second_head=held_back
    python benchmarks/dev/leak_trace.py --data ../shared/data/UWaveGestureLibrary.npz \
        --attack burst --seed 0 --every 1 --param unlearn_weight=4

The attack comes from the benchmark's registry (``square``, ``sine``, ``burst``, ``tt-fgsm``,
``tt-de``, ``tsba``: the runner's triggers), ``--rate`` poison (10%) on ``--target`` (the first
class by default; ``majority``, ``minority`` or a label); the attack and the fit both use
``--seed``. Prints every ``--every``-th epoch (and the first two) as ``epoch:CA/ASR Lleak``; with
``--every 1`` one line per epoch: CA, ASR, poisoned rows in D_b / |D_b|, the leak (poisoned rows
the main head trains on with their given label), rows unlearned (of them poisoned) and the
inferred label. At the end: isolation recall and the epochs with a leak. On a 2-core CPU a
ResNet-34 fit on UWave takes 6-10 minutes. It patches ``E2ABLObjective.after_epoch`` and is not
part of the library.
"""

import argparse
import time
import warnings

import numpy as np

import e2abl_ts._e2abl as e2abl_module
from e2abl_ts import E2ABLClassifier
from e2abl_ts.benchmark._registry import ATTACKS, DEFENSES, parse_spec, resolve_target
from e2abl_ts.datasets import load_dataset


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--attack", default="tt-fgsm", choices=sorted(ATTACKS))
    p.add_argument("--target", default="first", help="first, majority, minority or a label of the data")
    p.add_argument("--rate", type=float, default=0.1)
    p.add_argument("--backbone", default="resnet34")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--every", type=int, default=5, help="print every N-th epoch; 1: a line per epoch with D_b")
    p.add_argument("--param", action="append", default=[], help="an E2ABLClassifier parameter, name=value")
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore")
    _, params = parse_spec("e2abl:" + ",".join(args.param), DEFENSES, "defense")  # as the runner reads specs
    X_train, y_train, X_test, y_test = load_dataset(args.data, random_state=0)
    target = resolve_target(y_train, args.target)
    attack = ATTACKS[args.attack](target, args.rate, args.seed)
    X_p, y_p = attack.fit_resample(X_train, y_train)
    poisoned = np.zeros(len(y_p), bool)
    poisoned[attack.poison_indices_] = True
    eval_sets = {"clean": (X_test, y_test), "asr": attack.make_attack_set(X_test, y_test)}

    trace = []
    after_epoch = e2abl_module.E2ABLObjective.after_epoch

    def traced(self, epoch, net):
        record = after_epoch(self, epoch, net)
        held, unlearned = self.suspected.cpu().numpy(), self.unlearn.cpu().numpy()
        # the leak: poisoned rows the main head trains on with their given label
        main = (self.main_rows & (self.targets == self.y)).cpu().numpy() & ~unlearned
        trace.append({"leak": None if self.warm else int((main & poisoned).sum()),
                      "held": int((held & poisoned).sum()), "d_b": int(held.sum()),
                      "unlearned": int(unlearned.sum()), "unlearned_poison": int((unlearned & poisoned).sum()),
                      "label": record.get("backdoor_label")})
        return record

    e2abl_module.E2ABLObjective.after_epoch = traced
    try:
        t0 = time.time()
        clf = E2ABLClassifier(backbone=args.backbone, n_epochs=args.epochs, random_state=args.seed, **params)
        clf.fit(X_p, y_p, eval_sets=eval_sets)
    finally:
        e2abl_module.E2ABLObjective.after_epoch = after_epoch
    print(f"{args.attack} on {str(target)!r} at {args.rate:g}, {args.backbone}, {args.epochs} epochs, "
          f"seed {args.seed}, {params}: {time.time() - t0:.0f} s")
    cells = []
    for i, (r, t) in enumerate(zip(clf.history_, trace)):
        ca_asr = f"{100 * r['acc_clean']:.0f}/{100 * r['acc_asr']:.0f}"
        if args.every == 1:
            print(f"{i + 1} CA/ASR {ca_asr} poisoned in D_b {t['held']}/{t['d_b']} leak {t['leak']} "
                  f"unlearned {t['unlearned']} ({t['unlearned_poison']} poisoned) label {t['label']}")
        elif (i + 1) % args.every == 0 or i < 2:
            cells.append(f"{i + 1}:{ca_asr}" + ("" if t["leak"] is None else f"L{t['leak']}"))
    if cells:
        print(" ".join(cells))
    leaks = [t["leak"] or 0 for t in trace]
    print(f"CA {100 * clf.history_[-1]['acc_clean']:.1f}  ASR {100 * clf.history_[-1]['acc_asr']:.1f}  "
          f"isolation recall {clf.suspected_poison_mask_[poisoned].mean():.2f}  "
          f"epochs with a leak {sum(1 for v in leaks if v)}  largest leak {max(leaks)}")


if __name__ == "__main__":
    main()

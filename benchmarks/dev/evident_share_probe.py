"""Probe (session 36): the labels of the isolation budget's suspects at every split of one image fit.

Per call of ``_split`` (twice an epoch from the end of the warm start): the label the defense acts
on and its share of the suspects (the top ``isolation_rate`` of scores), the next label's share,
the top label of the top half of the suspects and its share, whether the attack is evident, and
its evidence; the last line CA / ASR. ``--rule`` changes the evident rule: ``half_warm`` (the
fit asks for ``warm_top_half=True``: at the warm start's end the top half decides when the whole
budget does not), ``ratio`` (the label holds a third of the suspects and ``--ratio`` times the next
label's share), ``split`` (no evidence yet: the tracked split is tried on the predominant label
each epoch, and a qualifying split of a large label names and locks it), ``warm_split`` (the fit asks
for ``warm_split=True``: the same split, at the warm start's end only; the image default since
session 37), ``none`` (neither: session 36's default, logged). Fashion-MNIST, ``resnet18`` width
16, 15 epochs, 10% on class 0 (``--attack none``: clean data). Measured on a 2-core Intel CPU (session 36;
``benchmarks/results/fashion_mnist_10000_warm_top_half_cpu_s36_intel.txt``):

    python benchmarks/dev/evident_share_probe.py --attack badnets --seed 1 --rule half_warm

At 10% poison under the 20% budget the poisoned label holds 0.483-0.4985 of the suspects on the
fits that never name it; the top half holds 0.65-0.80 of it at the warm start's end on 4 of 5.
``half_warm`` names 4 of those 5, ``split`` the 2 it was run on (BadNets seed 1, Blend seed 2);
both name trousers on clean seed 2 (a false alarm). Session 37 (``--rule warm_split``, rows in
``benchmarks/results/fashion_mnist_10000_warm_split_cpu_s37_intel.jsonl``): all 9 dirty-label fits
named at the warm start's end, none of 3 clean fits.
"""

import argparse
import json
import warnings

import torch

from e2abl_ts._e2abl import LARGE_LABEL_ROWS, E2ABLObjective
from e2abl_ts.image import E2ABLImageClassifier, load_image_dataset
from e2abl_ts.metrics import attack_success_rate, clean_accuracy
from image_class_probe import ATTACKS  # the probe beside this one (the script's folder is on sys.path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attack", default="none", choices=["none", *ATTACKS])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rule", default="none", choices=["none", "ratio", "half_warm", "split", "warm_split"])
    parser.add_argument("--ratio", type=float, default=4.0)
    parser.add_argument("--n-train", type=int, default=10000)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    X, y, X_test, y_test = load_image_dataset("fashion-mnist", n_train=args.n_train, n_test=2000,
                                              random_state=args.seed)
    attack = None if args.attack == "none" else ATTACKS[args.attack](0, 0.1, random_state=args.seed)
    if attack is not None:
        X, y = attack.fit_resample(X, y)
    split, calls = E2ABLObjective._split, [0]

    def logged(self, net):
        split(self, net)
        if self.train_all:
            return
        order = torch.argsort(self.scores(), descending=True)[: self.n_isolate]
        share = torch.bincount(self.y[order], minlength=self.n_classes).float() / len(order)
        half = torch.bincount(self.y[order[: self.n_isolate // 2]], minlength=self.n_classes).float()
        half = half / (self.n_isolate // 2)
        y_b = self.backdoor_label
        nxt = float(torch.cat([share[:y_b], share[y_b + 1:]]).max())
        fired = False
        if not self.evident and args.rule == "ratio" and share[y_b] >= 1 / 3 and share[y_b] >= args.ratio * nxt:
            self.evident = fired = True
        print(f"split {calls[0]}: label {y_b} share {float(share[y_b]):.3f} next {nxt:.3f}; top half: label "
              f"{int(half.argmax())} share {float(half.max()):.3f}; evident {self.evident} (fired {fired}), "
              f"evidence {self.attack_evidence}", flush=True)
        calls[0] += 1

    E2ABLObjective._split = logged
    flag_clusters = E2ABLObjective._flag_clusters

    def split_decides(self, net):
        # --rule split: while no label is evident, the library's warm_split test (E2ABLObjective._warm_split)
        # runs every epoch, not only at the warm start's end; it calls _flag_clusters (this method) with
        # the attack made evident, which then runs the library's split
        large = self.backdoor_label is not None and int((self.y == self.backdoor_label).sum()) >= LARGE_LABEL_ROWS
        if self.evident or not large:
            return flag_clusters(self, net)
        self._warm_split(net)
        if self.evident:
            print(f"split named label {self.backdoor_label}: {int(self.clustered.sum())} rows held", flush=True)

    if args.rule == "split":
        E2ABLObjective._flag_clusters = split_decides
    clf = E2ABLImageClassifier(backbone="resnet18", backbone_kwargs={"width": 16}, n_epochs=15,
                               random_state=args.seed, device="cpu", warm_top_half=args.rule == "half_warm",
                               warm_split=args.rule == "warm_split").fit(X, y)
    print(json.dumps(dict(attack=args.attack, seed=args.seed, rule=args.rule,
                          ca=round(100 * clean_accuracy(clf, X_test, y_test), 2),
                          asr=None if attack is None else round(100 * attack_success_rate(clf, attack, X_test, y_test),
                                                                2),
                          label=None if clf.backdoor_label_ is None else int(clf.backdoor_label_),
                          evidence=clf.attack_evidence_)), flush=True)


if __name__ == "__main__":
    main()

"""Trace what an alarm holds back, clean vs attacked (session 48).

    python benchmarks/dev/session48/alarm_trace.py FITS OFFSETS    # OFFSETS: network offsets, e.g. 0,10

Per epoch from the warm start's end: the label acted on, its evidence, its rows; the rows of it (``held``) and of the
poison (``held_p``) the main head does not train on; the poisoned rows flagged (``stk_p``), the flagged rows
(``sticky``), the relabelled (``tg``), split (``clus``; poisoned ``clus_p``) and unlearned (``unl``; ``unl_p``) rows;
the label's rows ordered by score (``P``: poisoned). ``EVERY=K`` prints every K-th epoch (default 4); with ``evident_label_cap.patch`` applied,
``CAP=0.5 ORDER=main_loss`` sets its cap.
"""
import functools
import os
import sys
import warnings

import numpy as np
import torch

sys.path.insert(0, "benchmarks/dev")
from _cells import listed_fits

from e2abl_ts import E2ABLClassifier
from e2abl_ts._e2abl import E2ABLObjective
from e2abl_ts.metrics import attack_success_rate

LOG = []
POISON = torch.zeros(0, dtype=torch.bool)
after_epoch = E2ABLObjective.after_epoch


def traced_after_epoch(self, epoch, net):
    out = after_epoch(self, epoch, net)
    if epoch + 1 >= self.warmup_epochs and self.backdoor_label is not None:
        label, poison = self.y == self.backdoor_label, POISON.to(self.y.device)
        rows = torch.nonzero(label).flatten()
        order = rows[torch.argsort(self.scores()[rows], descending=True)]
        LOG.append(dict(ep=epoch, lab=int(self.backdoor_label), ev=self.attack_evidence, n_lab=int(label.sum()),
                        held=int((label & ~self.main_rows).sum()), held_p=int((poison & ~self.main_rows).sum()),
                        stk_p=int((poison & self.sticky).sum()), sticky=int(self.sticky.sum()),
                        tg=int((self.targets != self.y).sum()), clus=int(self.clustered.sum()),
                        clus_p=int((poison & self.clustered).sum()), unl=int(self.unlearn.sum()),
                        unl_p=int((poison & self.unlearn).sum()),
                        prank="".join("P" if poison[i] else "." for i in order.tolist())))
    return out


def main():
    global POISON
    warnings.filterwarnings("ignore")
    E2ABLObjective.after_epoch = traced_after_epoch
    if os.environ.get("CAP"):  # needs evident_label_cap.patch
        cap = os.environ["CAP"]
        E2ABLObjective.__init__ = functools.partialmethod(
            E2ABLObjective.__init__, evident_label_cap=cap if cap == "peers" else float(cap),
            evident_cap_order=os.environ.get("ORDER", "score"))
    every = int(os.environ.get("EVERY", "4"))
    for name, trigger, target, seed, attack, X, y, X_test, y_test in listed_fits(sys.argv[1]):
        for offset in (int(o) for o in sys.argv[2].split(",")):
            LOG.clear()
            POISON = torch.zeros(len(y), dtype=torch.bool)
            if attack is not None:
                POISON[torch.as_tensor(attack.poison_indices_)] = True
            clf = E2ABLClassifier(backbone="resnet", n_epochs=30, random_state=seed + offset, device="cpu").fit(X, y)
            asr = None if attack is None else 100 * attack_success_rate(clf, attack, X_test, y_test)
            pred = clf.predict(X_test)
            per_class = {str(c): round(float((pred[y_test == c] == c).mean()), 2) for c in np.unique(y_test)}
            print(f"== {name} {trigger} {target} s{seed} n{seed + offset} CA {100 * clf.score(X_test, y_test):.1f} "
                  f"ASR {asr} label {clf.suspected_label_} ev {clf.attack_evidence_} {per_class}")
            for entry in LOG[:1] + LOG[1::every] + LOG[-1:]:
                print("   ", entry)
            sys.stdout.flush()


if __name__ == "__main__":
    main()

"""Trace the tracked split's held group on attacked fits (session 49).

    python benchmarks/dev/session49/held_trace.py split|unlearn FITS OFFSETS    # OFFSETS: network offsets, e.g. 0,10

``split``: every split of the backdoor label each epoch (the 16-cell shadow's, its fallback, the 8-cell one), the
label's rows sorted along the split's direction, ``P`` poisoned, ``.`` clean, upper case where the library's held
group (``clustered``) holds the row after the epoch, ``|`` where Otsu's cut falls, with the separation, whether it
qualified, and the composition (poisoned / clean) of the poisoned side under Otsu's cut and under the two-Gaussian
cut (``mixture_side`` of ``held_group_variants.patch``, which must be applied for that column).
``unlearn``: the rows the main head unlearns, sorted by the main head's probability of the backdoor label.
``OPTIONS='{"keep_inside": 0.9}'`` replaces resolved options (a patch's too).
"""
import json
import os
import sys
import warnings

import torch

sys.path.insert(0, "benchmarks/dev")
from _cells import listed_fits
from options_probe import replaced_options

import e2abl_ts._e2abl as objective_module
from e2abl_ts import E2ABLClassifier
from e2abl_ts._trainer import eval_mode, predict_logits
from e2abl_ts.metrics import attack_success_rate, target_class_accuracy

POISON = torch.zeros(0, dtype=torch.bool)
SPLITS = []
split_along, after_epoch = objective_module.split_along, objective_module.E2ABLObjective.after_epoch


def recorded_split_along(centred, direction, bar):
    out = split_along(centred, direction, bar)
    proj = centred @ direction
    upper = proj > objective_module.otsu_threshold(proj)
    a, b = proj[upper], proj[~upper]
    pooled = torch.sqrt((a.var(unbiased=False) * len(a) + b.var(unbiased=False) * len(b)) / len(proj))
    SPLITS.append((proj.cpu(), upper.cpu(), float((a.mean() - b.mean()).abs() / pooled.clamp(min=1e-12)), out is not None))
    return out


def composition(group, poison):
    return f"{int((group & poison).sum())}P/{int((group & ~poison).sum())}c"


def split_epoch(self, epoch, net):
    SPLITS.clear()
    out = after_epoch(self, epoch, net)
    if self.backdoor_label is None:
        return out
    rows = torch.nonzero(self.y == self.backdoor_label).flatten().cpu()
    poison, held = POISON[rows], self.clustered.cpu()[rows]
    for proj, upper, sep, ok in SPLITS:
        if len(proj) != len(rows):
            continue  # a split of another label (the label scan)
        side = upper if int((upper & poison).sum()) >= int((~upper & poison).sum()) else ~upper
        cuts = f"otsu {composition(side, poison)}"
        if hasattr(objective_module, "mixture_side"):
            cuts += f" mixture {composition(side & objective_module.mixture_side(proj, side), poison)}"
        line = ""
        for i in torch.argsort(proj).tolist():
            if upper[i] and "|" not in line:
                line += "|"
            mark = "P" if poison[i] else "."
            line += mark if held[i] else mark.lower()
        print(f"  ep{epoch} {cuts} sep {sep:.2f} qualifies {ok} held {composition(held, poison)} {line}")
    return out


def unlearn_epoch(self, epoch, net):
    out = after_epoch(self, epoch, net)
    rows = torch.nonzero(self.unlearn).flatten()
    if self.backdoor_label is None or len(rows) == 0:
        return out
    with eval_mode(net):
        p = torch.softmax(predict_logits(lambda xb: net(xb)[0], self.X[rows], 256), dim=1)[:, self.backdoor_label].cpu()
    poison = POISON[rows.cpu()]
    order = torch.argsort(p).tolist()
    print(f"  ep{epoch} unlearned {composition(torch.ones_like(poison), poison)}, median p(y_b) clean "
          f"{float(p[~poison].median()) if bool((~poison).any()) else float('nan'):.2f} poisoned "
          f"{float(p[poison].median()) if bool(poison.any()) else float('nan'):.2f} "
          + "".join("P" if poison[i] else "." for i in order) + " " + " ".join(f"{float(p[i]):.2f}" for i in order[::4]))
    return out


def main():
    warnings.filterwarnings("ignore")
    mode, fits, offsets = sys.argv[1:4]
    if mode == "split":
        objective_module.split_along = recorded_split_along
    objective_module.E2ABLObjective.after_epoch = split_epoch if mode == "split" else unlearn_epoch
    with replaced_options(json.loads(os.environ.get("OPTIONS", "{}"))):
        trace(fits, offsets)


def trace(fits, offsets):
    global POISON
    for name, trigger, target, seed, attack, X, y, X_test, y_test in listed_fits(fits):
        for offset in (int(o) for o in offsets.split(",")):
            POISON = torch.zeros(len(y), dtype=torch.bool)
            POISON[torch.as_tensor(attack.poison_indices_)] = True
            clf = E2ABLClassifier(backbone="resnet", n_epochs=30, random_state=seed + offset, device="cpu").fit(X, y)
            print(f"== {name} {trigger} {target} s{seed} n{seed + offset} CA {100 * clf.score(X_test, y_test):.1f} "
                  f"ASR {100 * attack_success_rate(clf, attack, X_test, y_test):.1f} "
                  f"target class {100 * target_class_accuracy(clf, X_test, y_test, target):.1f}", flush=True)


if __name__ == "__main__":
    main()

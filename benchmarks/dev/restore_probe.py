"""Developer tool (issues 2 and 6): can a fine-tune after E2ABL give back the target class that D_b
swallowed, without the backdoor? Loads the model ``class_probe.py`` saved (UWave, square trigger
on the first class) and fine-tunes a copy of its network (SGD, lr 0.01, batch 64) for K epochs on:
D_c only; every row with the poisoned ones relabelled to their true class (an oracle); every
row but the poison (an oracle); and D_c plus the held rows of the backdoor label, those the main
head places in another class with probability > t relabelled to it, the rest kept as the label.
Prints CA and ASR of each.

    python benchmarks/dev/class_probe.py ../shared/data/UWaveGestureLibrary.npz 0
    python benchmarks/dev/restore_probe.py 0 [K=10]
"""
import copy
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from e2abl_ts.metrics import attack_success_rate

from saved_probe import load_saved_probe

warnings.filterwarnings("ignore")
seed = int(sys.argv[1])
K = int(sys.argv[2]) if len(sys.argv) > 2 else 10
p = load_saved_probe(seed)
c, ytr, Xte, yte, target, att, Xp, yp, pois = p.c, p.ytr, p.Xte, p.yte, p.target, p.att, p.Xp, p.yp, p.pois
S = c.suspected_poison_mask_
cls = list(c.classes_)
y_true = np.array([cls.index(v) for v in ytr])
y_given = np.array([cls.index(v) for v in yp])
Xt = c._prepare(Xp)
proba = c.predict_proba(Xp)
proba[:, cls.index(target)] = 0
conf, arg = proba.max(1), proba.argmax(1)
held_b = S & (yp == target)
print(f"seed {seed}: held rows of the label {held_b.sum()} (poisoned {(held_b & pois).sum()}), "
      f"E2ABL CA {c.score(Xte, yte):.3f} ASR {attack_success_rate(c, att, Xte, yte):.3f}; fine-tunes of {K} epochs:")


def finetune(rows, targets):
    net = copy.deepcopy(c.module_).train()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    g = torch.Generator().manual_seed(0)
    rows_t, tg = torch.as_tensor(np.flatnonzero(rows)), torch.as_tensor(targets)
    for _ in range(K):
        order = rows_t[torch.randperm(len(rows_t), generator=g)]
        for s in range(0, len(order) - 1, 64):
            idx = order[s:s + 64]
            loss = F.cross_entropy(net(Xt[idx]), tg[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    tuned = copy.copy(c)
    tuned.module_ = net.eval()
    return tuned


relabelled = y_given.copy()
relabelled[pois] = y_true[pois]
variants = {"D_c only": (~S, y_given),
            "oracle: poison relabelled, every row": (np.ones(len(yp), bool), relabelled),
            "oracle: every row but the poison": (~pois, y_given)}
for thr in (0.5, 0.7, 0.9):
    t = y_given.copy()
    sel = held_b & (conf > thr)
    t[sel] = arg[sel]
    variants[f"main head relabels p > {thr}, rest kept"] = (~S | held_b, t)
    print(f"  p > {thr}: relabels {sel.sum()} (poisoned {(sel & pois).sum()}, to their true class "
          f"{(arg[sel] == y_true[sel]).sum()}); kept as the label: poisoned {(held_b & ~sel & pois).sum()}, "
          f"clean {(held_b & ~sel & ~pois).sum()}")
for name, (rows, t) in variants.items():
    tuned = finetune(rows, t)
    print(f"  {name:42s} CA {tuned.score(Xte, yte):.3f}  ASR {attack_success_rate(tuned, att, Xte, yte):.3f}")

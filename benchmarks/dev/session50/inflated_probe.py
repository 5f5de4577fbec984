"""At the warm start's end (``resnet``, 3 epochs), per label: its rows among the ``isolation_rate`` rows of largest warm
loss, how many of them are poisoned, their mean warm loss; and ``named``: the label with evidence once ``_flag_inflated_label`` has run (its own or the warm start's).
ECG5000 (the TRAIN file re-split, seed 0): clean data over network seeds 0-11, and square / sine / burst on the
minority class at 1%, 5% and 20%, data seeds 0-2. One JSON row per fit on stdout:

    OMP_NUM_THREADS=2 python benchmarks/dev/session50/inflated_probe.py > benchmarks/results/inflated_label_warm_tail_cpu_s50.jsonl

Labels are the classes' indices (0-4 for "1"-"5"). Runs from the repository root (reads ``../shared/data``).
"""
import json, math, sys, warnings
import numpy as np, torch
warnings.filterwarnings("ignore")
from e2abl_ts import E2ABLClassifier
from e2abl_ts._e2abl import E2ABLObjective
from e2abl_ts.benchmark._registry import ATTACKS
from e2abl_ts.datasets import load_dataset

rec = {}
orig = E2ABLObjective._flag_inflated_label
def spy(self):
    loss = self.warm_loss / max(self.n_warm_loss, 1)
    tail = torch.argsort(loss, descending=True)[: self.n_isolate]
    labels = {}
    for lab in range(self.n_classes):
        rows = tail[self.y[tail] == lab]
        n_label = int((self.y == lab).sum())
        labels[lab] = dict(n=n_label, tail=len(rows), tail_over=int((loss[rows] > math.log(self.n_classes)).sum()),
                           mean=float(loss[rows].mean()) if len(rows) else None,
                           poison=int(np.isin(rows.cpu().numpy(), rec.get("poison", [])).sum()))
    rec.update(median=float(loss.median()), chance=math.log(self.n_classes), n_isolate=self.n_isolate, labels=labels)
    orig(self)
    rec["named"] = self.backdoor_label if self.evident else None
E2ABLObjective._flag_inflated_label = spy

data = load_dataset("../shared/data/ECG5000_TRAIN.npz")
X, y, Xt, yt = data
cases = [("none", None, 0, s) for s in range(12)]
cases += [(a, r, s, s) for r in (0.01, 0.05, 0.2) for a in ("square", "sine", "burst") for s in (0, 1, 2)]
for attack, rate, seed, net_seed in cases:
    rec.clear()
    if attack == "none":
        Xf, yf = X, y
    else:
        att = ATTACKS[attack]("5", rate, seed)
        Xf, yf = att.fit_resample(X, y)
        rec["poison"] = list(att.poison_indices_)
    E2ABLClassifier(backbone="resnet", n_epochs=3, random_state=net_seed).fit(Xf, yf)
    rec.pop("poison", None)
    print(json.dumps(dict(attack=attack, rate=rate, seed=seed, net=net_seed, **rec)), flush=True)

"""Developer tool (issues 2 and 6): trace the tracked split of one E2ABL fit epoch by epoch.

    python benchmarks/dev/split_trace.py ../shared/data/UWaveGestureLibrary.npz burst 1.0 0   # data trigger target seed

Environment: BB (backbone, default resnet34), EP (epochs, default 60), UW (unlearn_weight, default 1),
UR (unlearn_ramp, default 0).
Prints per epoch CA / ASR on the test split, poisoned rows in D_b / |D_b|, poisoned rows the main head
trains on with their given label (leak), rows unlearned (of them poisoned) and the inferred label.
Target: ``type(y[0])(target)``; the trigger comes from the benchmark's registry at 10% poison. It
patches ``E2ABLObjective.after_epoch`` and is not part of the library.
"""
import os, sys, warnings, numpy as np
warnings.filterwarnings("ignore")
import e2abl_ts._e2abl as m
from e2abl_ts import E2ABLClassifier
from e2abl_ts.benchmark._registry import ATTACKS
from e2abl_ts.datasets import load_dataset
data, trig, target, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
X, y, Xt, yt = load_dataset(data)
target = type(y[0])(target)
att = ATTACKS[trig](target, 0.1, seed)
Xp, yp = att.fit_resample(X, y)
pois = np.zeros(len(yp), bool); pois[att.poison_indices_] = True
others = np.flatnonzero(yt != target)
eval_sets = {"clean": (Xt, yt), "asr": (att.apply_trigger(Xt[others]), np.full(len(others), target))}
rec = []
orig = m.E2ABLObjective.after_epoch
def traced(self, epoch, net):
    r = orig(self, epoch, net)
    s = self.suspected.cpu().numpy(); mr = self.main_rows.cpu().numpy()
    un = self.unlearn.cpu().numpy(); ok = (self.targets == self.y).cpu().numpy()
    rec.append((int((s & pois).sum()), int(s.sum()), int((mr & pois & ok & ~un).sum()), int(un.sum()),
                int((un & pois).sum()), r.get("backdoor_label")))
    return r
m.E2ABLObjective.after_epoch = traced
clf = E2ABLClassifier(backbone=os.environ.get("BB", "resnet34"), n_epochs=int(os.environ.get("EP", "60")),
                      random_state=seed, device="cpu", unlearn_weight=float(os.environ.get("UW", "1")),
                      unlearn_ramp=int(os.environ.get("UR", "0")))
clf.fit(Xp, yp, eval_sets=eval_sets)
for i, (h, r) in enumerate(zip(clf.history_, rec)):
    print(i + 1, "CA %.0f ASR %.0f" % (100 * h["acc_clean"], 100 * h["acc_asr"]),
          "poisDb %d/|Db| %d leak %d unlearn %d (poison %d) label %s" % r, flush=True)

"""Developer tool (issues 2 and 6): where E2ABL's clean accuracy goes. Fits E2ABL (ResNet-34, 60
epochs, CPU) on a dataset poisoned on its first class, prints each class's test accuracy, what
D_b holds at the end, and how confidently the main head places the backdoor label's training
rows in another class (poisoned rows are other classes' series; clean ones a class it never saw).

    python benchmarks/dev/class_probe.py ../shared/data/UWaveGestureLibrary.npz 0 [square] [param=value ...]

About 2.5 minutes on a 2-core CPU for UWave. Saves the fitted model to
``scratch/class_probe_{seed}.joblib`` for ``last_layer_probe.py``.
"""
import sys
import time
import warnings

import joblib
import numpy as np
from sklearn.metrics import roc_auc_score

from e2abl_ts import E2ABLClassifier
from e2abl_ts.benchmark._registry import ATTACKS
from e2abl_ts.datasets import load_dataset
from e2abl_ts.metrics import attack_success_rate

warnings.filterwarnings("ignore")
data, seed = sys.argv[1], int(sys.argv[2])
pattern = sys.argv[3] if len(sys.argv) > 3 else "square"
extra = {k: eval(v) for k, v in (kv.split("=") for kv in sys.argv[4:])}
Xtr, ytr, Xte, yte = load_dataset(data, random_state=0)
target = np.unique(ytr)[0]
att = ATTACKS[pattern](target, 0.1, seed)
Xp, yp = att.fit_resample(Xtr, ytr)
pois = np.zeros(len(yp), bool)
pois[att.poison_indices_] = True
t = time.time()
c = E2ABLClassifier(backbone="resnet34", n_epochs=60, random_state=seed, device="cpu", **extra).fit(Xp, yp)
pred = c.predict(Xte)
print(f"fit {time.time() - t:.0f} s  CA {(pred == yte).mean():.3f}  ASR {attack_success_rate(c, att, Xte, yte):.3f}")
for k in np.unique(yte):
    m = yte == k
    print(f"  class {k}: test accuracy {(pred[m] == k).mean():.2f}, predicted {(pred == k).sum()} times, "
          f"{(yp == k).sum()} training rows")
S = c.suspected_poison_mask_
clean_b = ~pois & (yp == target)
print(f"D_b {S.sum()}: poisoned {(S & pois).sum()} / {pois.sum()}, clean rows of the label {(S & clean_b).sum()} / "
      f"{clean_b.sum()}, other labels {(S & (yp != target)).sum()}; backdoor label {c.backdoor_label_}")
rows = np.nonzero(yp == target)[0]
proba = c.predict_proba(Xp[rows])
proba[:, np.searchsorted(c.classes_, target)] = 0
conf, lab = proba.max(1), pois[rows]
print("main head's highest other-class probability, poisoned:", np.round(np.sort(conf[lab]), 2))
print("                                            clean:   ", np.round(np.sort(conf[~lab]), 2))
print(f"AUC of that probability for the poison: {roc_auc_score(lab, conf):.2f}")
joblib.dump(c, f"scratch/class_probe_{seed}.joblib")

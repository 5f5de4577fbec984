"""Developer tool (issue 6): can a last-layer refit give back the target class that D_b swallowed?

Loads the model ``class_probe.py`` saved (UWave, square trigger on the first class), takes the
defended network's pooled features (the input of its linear head) and fits a logistic
regression on them from three sets of training rows: D_c only, every row, and every row but
the true poison (an oracle). Prints CA and ASR for each.

    python benchmarks/dev/class_probe.py ../shared/data/UWaveGestureLibrary.npz 0
    python benchmarks/dev/last_layer_probe.py 0
"""
import sys
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression

from saved_probe import load_saved_probe, stage_features

warnings.filterwarnings("ignore")
seed = int(sys.argv[1])
p = load_saved_probe(seed)
c, ytr, Xte, yte, target, att, Xp, yp, pois = p.c, p.ytr, p.Xte, p.yte, p.target, p.att, p.Xp, p.yp, p.pois


def pooled(X):
    return stage_features(c, X)[-1]


F_train, F_test = pooled(Xp), pooled(Xte)
X_triggered = att.apply_trigger(Xte[yte != target])
F_trig = pooled(X_triggered)
print(f"defended model: CA {(c.predict(Xte) == yte).mean():.3f}  ASR {(c.predict(X_triggered) == target).mean():.3f}")
for name, rows in [("D_c only", ~c.suspected_poison_mask_), ("every row", np.ones(len(yp), bool)),
                   ("every row but the poison", ~pois)]:
    lr = LogisticRegression(C=0.1, max_iter=2000).fit(F_train[rows], yp[rows])
    print(f"{name:26s} CA {(lr.predict(F_test) == yte).mean():.3f}  ASR {(lr.predict(F_trig) == target).mean():.3f}")

"""Developer tool (issues 2 and 6): which signals tell the clean rows of the backdoor label from the
poisoned ones among the rows D_b holds at the end (UWave, square trigger on the first class)?
Prints the AUC, within the held rows of the label, of the final loss-drop score and of a
nearest-neighbour vote (the fraction of a row's k neighbours that are held rows of the label)
in the raw standardised input and in each stage's pooled features of the defended network.

    python benchmarks/dev/class_probe.py ../shared/data/UWaveGestureLibrary.npz 0
    python benchmarks/dev/held_row_signals.py 0
"""
import sys
import warnings

import numpy as np
from sklearn.metrics import roc_auc_score

from saved_probe import load_saved_probe, stage_features

warnings.filterwarnings("ignore")
seed = int(sys.argv[1])
p = load_saved_probe(seed)
c, ytr, Xte, yte, target, att, Xp, yp, pois = p.c, p.ytr, p.Xte, p.yte, p.target, p.att, p.Xp, p.yp, p.pois
S = c.suspected_poison_mask_
held = S & (yp == target)
feats = stage_features(c, Xp)
raw = c._prepare(Xp).reshape(len(Xp), -1).numpy()


def knn_frac(F, k=5, metric="cos"):
    if metric == "cos":
        Fn = F / np.linalg.norm(F, axis=1, keepdims=True)
        D = 1 - Fn @ Fn.T
    else:
        sq = (F**2).sum(1)
        D = sq[:, None] + sq[None] - 2 * F @ F.T
    np.fill_diagonal(D, np.inf)
    nn = np.argsort(D, axis=1)[:, :k]
    return held[nn].mean(1)  # fraction of neighbours that are held rows of the label


lab = pois[held]
print(f"seed {seed}: held {held.sum()} poison {lab.sum()}")
print(f"  score AUC (high=poison): {roc_auc_score(lab, c.poison_scores_[held]):.2f}")
for name, F in [("raw", raw)] + [(f"stage{i+1}", f) for i, f in enumerate(feats)]:
    for k in (3, 5):
        fr = knn_frac(F, k, "cos" if name != "raw" else "euc")
        print(f"  {name} k={k} AUC(low frac = poison): {roc_auc_score(lab, -fr[held]):.2f}")

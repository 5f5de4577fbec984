"""Shared by the dev probes that read ``class_probe.py``'s saved model: the model and the UWave
training set poisoned as it was (square trigger on the first class, 10%, the model's seed)."""
from types import SimpleNamespace

import joblib
import numpy as np
import torch

from e2abl_ts.benchmark._registry import ATTACKS
from e2abl_ts.datasets import load_dataset
from e2abl_ts.networks._base import forward_stages


def load_saved_probe(seed: int) -> SimpleNamespace:
    c = joblib.load(f"scratch/class_probe_{seed}.joblib")
    Xtr, ytr, Xte, yte = load_dataset("../shared/data/UWaveGestureLibrary.npz", random_state=0)
    target = np.unique(ytr)[0]
    att = ATTACKS["square"](target, 0.1, seed)
    Xp, yp = att.fit_resample(Xtr, ytr)
    pois = np.zeros(len(yp), bool)
    pois[att.poison_indices_] = True
    return SimpleNamespace(c=c, Xtr=Xtr, ytr=ytr, Xte=Xte, yte=yte, target=target, att=att, Xp=Xp, yp=yp, pois=pois)


def stage_features(clf, X) -> list[np.ndarray]:
    """Every stage's output of ``clf``'s network on ``X``, averaged over time."""
    net = clf.module_.eval()
    with torch.no_grad():
        return [h.mean(-1).numpy() for h in forward_stages(net, clf._prepare(X))[1]]

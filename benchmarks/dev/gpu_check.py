"""Developer tool: GPU correctness checks (CUDA fit -> CPU pickle, determinism, the image bf16 path).

    python benchmarks/dev/gpu_check.py          # on a machine with CUDA
    DEV=cpu python benchmarks/dev/gpu_check.py  # the same steps on CPU

Prints what it measures (an exception stops it). Run by ``gpu_lease.sh``; its first run
on an H200 found the second head's CPU-generator bug fixed in ``reset_parameters``.
"""
import io
import os
import pickle
import time

import joblib
import numpy as np
import torch

from e2abl_ts import E2ABLClassifier, StandardClassifier
from e2abl_ts.image import BadNetsAttack, E2ABLImageClassifier, StandardImageClassifier, load_digits_images
from e2abl_ts.metrics import attack_success_rate, clean_accuracy

DEV = os.environ.get("DEV", "cuda")
TINY = dict(backbone="resnet", backbone_kwargs={"widths": (8, 16, 16)}, n_epochs=4, batch_size=16)
print("cuda", torch.cuda.is_available(), (torch.cuda.get_device_name(0) if torch.cuda.is_available() else "-"), flush=True)
rng = np.random.default_rng(0)
X = rng.normal(size=(40, 2, 30)).astype(np.float32)
y = np.array(["a", "b", "c", "d"] * 10)
X[y == "b", :, 5:10] += 2.0
X0 = X.copy()

t = time.perf_counter()
clf = E2ABLClassifier(**TINY, device=DEV, random_state=0).fit(X, y)
print(f"fit on {DEV}", round(time.perf_counter() - t, 2), "s; module on", next(clf.module_.parameters()).device)
assert np.array_equal(X, X0), "caller's array mutated"
p_dev = clf.predict_proba(X)
restored = pickle.loads(pickle.dumps(clf))
print("pickled module on", next(restored.module_.parameters()).device)
restored.set_params(device="cpu")
p_cpu = restored.predict_proba(X)
print(f"{DEV} -> CPU pickle: max |dp| =", float(np.abs(p_cpu - p_dev).max()))
buf = io.BytesIO(); joblib.dump(clf, buf); buf.seek(0)
r2 = joblib.load(buf); r2.set_params(device="cpu")
print("joblib round trip: max |dp| =", float(np.abs(r2.predict_proba(X) - p_dev).max()))
print("history keys", sorted(clf.history_[-1]), "backdoor_label_", clf.backdoor_label_)

for name, est in (("E2ABL", E2ABLClassifier), ("Standard", StandardClassifier)):
    a = est(**TINY, device=DEV, random_state=3).fit(X, y).predict_proba(X)
    b = est(**TINY, device=DEV, random_state=3).fit(X, y).predict_proba(X)
    print(f"determinism on {DEV} ({name}, same random_state): max |dp| =", float(np.abs(a - b).max()))

Xtr, ytr, Xte, yte = load_digits_images(random_state=0)
att = BadNetsAttack(0, 0.1, random_state=0)
Xp, yp = att.fit_resample(Xtr, ytr)
kw = dict(backbone="resnet18", backbone_kwargs={"width": 8}, n_epochs=12, batch_size=64, device=DEV, random_state=0)
for name, est in (("no defense", StandardImageClassifier), ("E2ABL", E2ABLImageClassifier)):
    t = time.perf_counter()
    m = est(**kw).fit(Xp, yp)
    print(f"digits BadNets {name} ({DEV}; bf16 autocast on cuda): CA {clean_accuracy(m, Xte, yte):.3f} "
          f"ASR {attack_success_rate(m, att, Xte, yte):.3f} fit {time.perf_counter() - t:.1f} s", flush=True)
    r = pickle.loads(pickle.dumps(m)); r.set_params(device="cpu")
    print(f"  image {DEV} -> CPU pickle max |dp| =", float(np.abs(r.predict_proba(Xte) - m.predict_proba(Xte)).max()))
print("OK")

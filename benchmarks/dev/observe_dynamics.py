"""Developer tool (issue 6): record the learning dynamics that a detector can use.

Both heads train on every row (no isolation), and after each epoch every row's loss under the
second head (``lb``) and the main head (``lm``) and its pooled shallow features (``fs``) are
saved with the poison indices, for offline study of detection statistics (AUCs per epoch,
within-label z-scores, spectral signatures). BAL=1 trains the second head class-balanced.

    python benchmarks/dev/observe_dynamics.py ecg burst 1 resnet 10      # data pattern target backbone epochs
    python benchmarks/dev/observe_dynamics.py JapaneseVowels square none resnet 10   # clean data

Writes ``scratch/obs/b{BAL}_{data}_{pattern}_{target}_{backbone}_{seed}.npz``. It patches
``E2ABLObjective`` and is not part of the library.
"""
import sys, os, numpy as np, torch, torch.nn.functional as F
from e2abl_ts import E2ABLClassifier, _e2abl
from e2abl_ts._trainer import eval_mode, predict_logits
from e2abl_ts.attacks import StaticTriggerAttack
from e2abl_ts.datasets import load_dataset
from e2abl_ts.metrics import clean_accuracy, attack_success_rate
name, pattern, target, backbone, epochs = sys.argv[1:6]
seed = int(sys.argv[6]) if len(sys.argv) > 6 else 0
os.makedirs("scratch/obs", exist_ok=True)
path = {"ecg": "../shared/data/ECG5000_TRAIN.npz", "uwave": "../shared/data/UWaveGestureLibrary.npz"}.get(name, name)
Xtr, ytr, Xte, yte = load_dataset(path, random_state=0)
kw = dict(amplitude=1.5, window=8) if pattern == "burst" else {}
if pattern == "sine": kw = dict(amplitude=0.6, window=1.0)
att = StaticTriggerAttack(target_label=target, pattern=pattern, random_state=seed, **kw)
if target == "none":
    Xp, yp, P = Xtr, ytr, np.zeros(0, int)
else:
    Xp, yp = att.fit_resample(Xtr, ytr)
    P = att.poison_indices_
rec = {"lb": [], "lm": [], "fs": [], "fd": []}
orig_after = _e2abl.E2ABLObjective.after_epoch
def after(self, epoch, net):
    with torch.no_grad(), eval_mode(net):
        lb = F.cross_entropy(predict_logits(net.second, self.X, 256), self.y, reduction="none")
        lm = F.cross_entropy(predict_logits(lambda x: net(x)[0], self.X, 256), self.y, reduction="none")
        fs = torch.cat([net.shallow(self.X[i:i+256]).mean(-1) for i in range(0, len(self.X), 256)])
    rec["lb"].append(lb.numpy()); rec["lm"].append(lm.numpy()); rec["fs"].append(fs.numpy())
    r = orig_after(self, epoch, net)
    self.suspected[:] = True; self.main_rows[:] = True; self.targets = self.y.clone()
    return r
_e2abl.E2ABLObjective.after_epoch = after
BAL = os.environ.get("BAL", "1") == "1"
def batch_loss(self, net, xb, yb, idx):
    if not hasattr(self, "w"):
        cnt = torch.bincount(self.y, minlength=self.n_classes).float()
        w = (len(self.y) / (self.n_classes * cnt.clamp(min=1))) if BAL else torch.ones(self.n_classes)
        self.w = w / w[self.y].mean()
    z = net.shallow(xb)
    lb = (F.cross_entropy(net.second_head(z), yb, reduction="none") * self.w[yb]).mean()
    if self.warm: return lb, {}
    return lb + F.cross_entropy(net.deep(z), yb), {}
_e2abl.E2ABLObjective.batch_loss = batch_loss
c = E2ABLClassifier(backbone=backbone, n_epochs=int(epochs), random_state=seed).fit(Xp, yp)
ca = clean_accuracy(c, Xte, yte); asr = attack_success_rate(c, att, Xte, yte) if len(P) else 0.0
print(name, pattern, target, "CA", ca, "ASR", asr)
np.savez(f"scratch/obs/b{int(BAL)}_{name}_{pattern}_{target}_{backbone}_{seed}.npz", P=P, y=np.searchsorted(c.classes_, yp),
         yt=np.searchsorted(c.classes_, ytr), **{k: np.stack(v) for k, v in rec.items() if v}, ca=ca, asr=asr)

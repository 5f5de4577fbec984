"""Developer tool (issue 6): lock the backdoor label at the first alarm after the warm start.

The robust detector locks the label only when the warm start shows evidence; otherwise the label
is re-inferred every epoch, and on clean data it wanders (JapaneseVowels, ResNet-34: None / '1' /
'2' from epoch to epoch), the held-back rows change with it and the clean accuracy swings
between 46 and 96 from one epoch to the next. MODE "lock" locks it at the first later alarm
(a monkeypatch, not part of the library); any other MODE runs the default.

    python benchmarks/dev/lock_probe.py JapaneseVowels none lock 0     # data attack MODE seed

ResNet-34, 60 epochs, CPU, target = the first class; about 45 s per JapaneseVowels fit.
"""
import sys, numpy as np, warnings
warnings.filterwarnings("ignore")
import e2abl_ts._e2abl as m
from e2abl_ts import E2ABLClassifier
from e2abl_ts.attacks import StaticTriggerAttack
from e2abl_ts.datasets import load_dataset
from e2abl_ts.metrics import attack_success_rate
orig = m.E2ABLObjective.after_epoch
def after(self, epoch, net):
    r = orig(self, epoch, net)
    if self.detector == "robust" and not self.warm and self.locked_label is None and self.evident and MODE == "lock":
        self.locked_label = self.backdoor_label
    return r
m.E2ABLObjective.after_epoch = after
data, attack, MODE = sys.argv[1], sys.argv[2], sys.argv[3]
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 0
X, y, Xt, yt = load_dataset(data, random_state=0)
target = np.unique(y)[0]
att = None
if attack != "none":
    kw = {"sine": dict(amplitude=0.6, window=1.0), "burst": dict(amplitude=1.5, window=8)}.get(attack, {})
    att = StaticTriggerAttack(target_label=target, pattern=attack, random_state=seed, **kw)
    X, y = att.fit_resample(X, y)
c = E2ABLClassifier(backbone="resnet34", n_epochs=60, random_state=seed, device="cpu").fit(X, y)
asr = attack_success_rate(c, att, Xt, yt) if att else float("nan")
print(data.split("/")[-1][:10], attack, MODE, seed, "CA", round((c.predict(Xt) == yt).mean() * 100, 1), "ASR", round(asr * 100, 1),
      "label", c.backdoor_label_, "first alarm", next((h["epoch"] for h in c.history_ if h.get("backdoor_label") is not None), None), flush=True)

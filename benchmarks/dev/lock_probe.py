"""Developer tool (issue 6): lock the backdoor label at the first alarm after the warm start.

The robust detector locks the label only when the warm start shows evidence; otherwise the label
is re-inferred every epoch, and on clean data it wanders (JapaneseVowels, ResNet-34: None / '1' /
'2' from epoch to epoch), the held-back rows change with it and the clean accuracy swings
between 46 and 96 from one epoch to the next. MODE "lock" fits with ``lock_label="first_alarm"``,
which locks it at the first later alarm; any other MODE fits with the default.

    python benchmarks/dev/lock_probe.py JapaneseVowels none lock 0     # data attack MODE seed

ResNet-34, 60 epochs, CPU, target = the first class, the runner's attacks (square, sine, burst,
tt-fgsm, ...); about 45 s per JapaneseVowels fit.
"""
import sys
import warnings

import numpy as np

from e2abl_ts import E2ABLClassifier
from e2abl_ts.benchmark._registry import ATTACKS
from e2abl_ts.datasets import load_dataset
from e2abl_ts.metrics import attack_success_rate

warnings.filterwarnings("ignore")
data, attack, mode = sys.argv[1], sys.argv[2], sys.argv[3]
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 0
X, y, Xt, yt = load_dataset(data, random_state=0)
target = np.unique(y)[0]
att = None
if attack != "none":
    att = ATTACKS[attack](target, 0.1, seed)
    X, y = att.fit_resample(X, y)
lock = "first_alarm" if mode == "lock" else "warmup"
c = E2ABLClassifier(backbone="resnet34", n_epochs=60, random_state=seed, device="cpu", lock_label=lock).fit(X, y)
asr = f"{attack_success_rate(c, att, Xt, yt) * 100:.1f}" if att else "-"
first_alarm = next((h["epoch"] for h in c.history_ if h.get("backdoor_label") is not None), None)
print(f"{data.split('/')[-1][:10]} {attack} lock_label={lock} seed {seed}: CA {(c.predict(Xt) == yt).mean() * 100:.1f} "
      f"ASR {asr}, label {c.backdoor_label_}, first alarm at epoch {first_alarm}", flush=True)

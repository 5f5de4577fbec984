"""Developer tool (issue 6): clean accuracy after every epoch of an E2ABL (or plain) fit on clean
JapaneseVowels with ResNet-34, and the backdoor label each epoch names ("." for none).

    python benchmarks/dev/clean_trace.py "{}"                  # E2ABL, defaults
    python benchmarks/dev/clean_trace.py "{'plain': True}"     # plain training
"""
import sys
import warnings

from e2abl_ts import E2ABLClassifier, StandardClassifier
from e2abl_ts.datasets import load_dataset

warnings.filterwarnings("ignore")
X, y, Xt, yt = load_dataset("JapaneseVowels", random_state=0)
kw = eval(sys.argv[1])
cls = StandardClassifier if kw.pop("plain", False) else E2ABLClassifier
c = cls(backbone="resnet34", n_epochs=60, random_state=0, device="cpu", **kw).fit(X, y, eval_sets={"clean": (Xt, yt)})
print(kw, cls.__name__, "CA per 3 epochs:", [round(h["acc_clean"] * 100) for h in c.history_][::3])
print("labels:", "".join("." if h.get("backdoor_label") is None else str(h["backdoor_label"]) for h in c.history_))

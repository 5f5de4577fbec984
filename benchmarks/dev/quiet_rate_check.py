"""Probe (session 46): the quiet-fit rules at low poison rates. Each fit with the defaults and with
``quiet_z=None, quiet_split_share=None`` (all of D_b held back from the main head, as before session 43);
JapaneseVowels square also with ``quiet_split_share=None`` alone. ``resnet``, 30 epochs, seed 0, target the
first class.

    python benchmarks/dev/quiet_rate_check.py

Measured (2-core Intel Xeon CPU): see docs/experiments.md, "Session 46".
"""

import json
import warnings

from e2abl_ts import E2ABLClassifier
from e2abl_ts.benchmark import resolve_target
from e2abl_ts.benchmark._registry import ATTACKS
from e2abl_ts.datasets import load_dataset
from e2abl_ts.metrics import attack_success_rate

OFF = {"quiet_z": None, "quiet_split_share": None}
FITS = [("JapaneseVowels", "square", 0.01, [{}, OFF, {"quiet_split_share": None}]),
        ("JapaneseVowels", "burst", 0.01, [{}, OFF]),
        ("../shared/data/UWaveGestureLibrary.npz", "burst", 0.05, [{}, OFF]),
        ("../shared/data/ECG5000_TRAIN.npz", "burst", 0.01, [{}, OFF])]


def main():
    warnings.filterwarnings("ignore")
    for data, trigger, rate, variants in FITS:
        X_train, y_train, X_test, y_test = load_dataset(data, random_state=0)
        attack = ATTACKS[trigger](resolve_target(y_train, "first"), rate, 0)
        X_p, y_p = attack.fit_resample(X_train, y_train)
        for params in variants:
            clf = E2ABLClassifier(backbone="resnet", n_epochs=30, random_state=0, device="cpu", **params).fit(X_p, y_p)
            print(json.dumps({"data": data.split("/")[-1], "trigger": trigger, "rate": rate, "params": params,
                              "ca": round(100 * clf.score(X_test, y_test), 1),
                              "asr": round(100 * attack_success_rate(clf, attack, X_test, y_test), 1),
                              "evidence": clf.attack_evidence_}), flush=True)


if __name__ == "__main__":
    main()

"""Probe (session 44): ``quiet_split_share`` on the fits that spend epochs with no attack evidence.

Runs E2ABL (``resnet``, 30 epochs, the library's defaults plus ``--params``) on a list of fits
(``--fits``: a JSON list of ``[dataset, trigger, target, seed]``; triggers from the walk and the
benchmark's registry, ``"none"`` for clean data) and records, besides CA / ASR / evidence, on how
many of the fit's split calls a quiet fit's tracked split was released from the hold-back
(``released_calls``; 0: the fit is the defaults' own, bit for bit on the same machine).

    python benchmarks/dev/quiet_split_probe.py --fits benchmarks/dev/quiet_fits_s44.json \\
        --params '{"quiet_split_share": 0.5}'

Measured (session 44, 2-core Intel Xeon CPU): see docs/experiments.md, "Session 44".
"""

import argparse
import json
import warnings

from _cells import label_name, listed_fits

from e2abl_ts import E2ABLClassifier
from e2abl_ts._e2abl import E2ABLObjective
from e2abl_ts.metrics import attack_success_rate


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fits", required=True)
    parser.add_argument("--params", default="{}", help="E2ABLClassifier parameters, JSON")
    parser.add_argument("--out", default="benchmarks/results/quiet_split_probe.jsonl")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    params = json.loads(args.params)
    quiet_split, released = E2ABLObjective._quiet_split, []

    def counted(self):
        held = quiet_split(self)
        released.append(int((self.clustered & ~held).sum()))
        return held

    E2ABLObjective._quiet_split = counted
    with open(args.out, "a") as out:
        for name, trigger, target, seed, attack, X_p, y_p, X_t, y_t in listed_fits(args.fits):
            released.clear()
            clf = E2ABLClassifier(backbone="resnet", n_epochs=30, random_state=seed, device="cpu", **params)
            clf.fit(X_p, y_p)
            row = dict(dataset=name.split("/")[-1], attack=trigger, target=label_name(target), seed=seed,
                       params=params, ca=clf.score(X_t, y_t),
                       asr=None if attack is None else attack_success_rate(clf, attack, X_t, y_t),
                       evidence=clf.attack_evidence_, backdoor_label=label_name(clf.backdoor_label_),
                       released_calls=sum(r > 0 for r in released), released_last=released[-1] if released else 0)
            print(json.dumps(row), flush=True)
            out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()

"""Probe (session 36): release D_b for the last epochs of a fit that has found no attack evidence.

A quiet fit (no evidence after the warm start, none later) still holds the isolation budget back
from the main head, chosen by the hold-back's own feedback: on clean data that costs ECG5000 and
UWave 5-19 points of CA (issue 6). The variant, patched onto ``E2ABLObjective.after_epoch``: after
epoch ``n_epochs - k``, a fit whose ``attack_evidence`` is still None trains the main head on every
row with its own label for the last ``k`` epochs (as ``no_evidence="train_all"`` does). ``--k 0``
is the default, for a baseline on the same machine. ``--quiet-z Z`` (session 41) is another variant,
the library's ``quiet_z`` since session 43 (the probe passes ``quiet_z=Z``, or None for 0, so its
baseline is the hold-back of the whole of D_b): while a fit has no attack evidence, the main head
gives up only D_b's rows whose score is a robust outlier over all rows (z over ``Z``; flagged and
split rows stay held). The fits: ``--fits``, a JSON list of
``[dataset, trigger, target, seed]`` from the walk of ``_cells.py`` (``resnet``, 30 epochs).

    python benchmarks/dev/release_probe.py --k 5 --out rows.jsonl

Measured (session 36, 2-core Intel Xeon CPU; ``benchmarks/results/release_quiet_fits_cpu_s36.jsonl``):
see docs/experiments.md, "Session 36". Not kept: the clean fits gain on ECG5000 only, and every
attacked fit held only by the hold-back lets its trigger in (same machine, ``--k 0`` -> ``--k 5``:
GunPoint burst seed 1 ASR 52.7 -> 77.0, ECG5000 burst seed 2 8.1 -> 95.2).
"""

import argparse
import json
import warnings

import torch
from _cells import label_name, listed_fits

from e2abl_ts import E2ABLClassifier
from e2abl_ts._e2abl import E2ABLObjective
from e2abl_ts.metrics import attack_success_rate

# the walk's 17 fits with no attack evidence at the end (benchmarks/results/label_trace_cpu_s28_amd.jsonl)
QUIET = "benchmarks/dev/quiet_fits_s36.json"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--k", type=int, default=5, help="epochs released at the end (0: the default)")
    parser.add_argument("--quiet-z", type=float, default=0.0,
                        help="quiet fits hold back only D_b's score outliers (robust z over this; 0: off)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--fits", default=QUIET)
    parser.add_argument("--out", default="benchmarks/results/release_quiet_fits.jsonl")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    after_epoch, hold_quiet, released, held = E2ABLObjective.after_epoch, E2ABLObjective._hold_quiet_outliers, {}, []

    def hold_outliers(self):  # the library's quiet_z (session 43), counting the rows it holds
        hold_quiet(self)
        held.append(int((self.suspected & ~self.main_rows).sum()))

    def release(self, epoch, net):
        out = after_epoch(self, epoch, net)
        if args.k > 0 and epoch + 1 == args.epochs - args.k and self.quiet:
            self.train_all = True  # _split holds nothing back from now on
            self.main_rows = torch.ones_like(self.main_rows)
            self.targets = self.y.clone()
            self.unlearn.zero_()
            self.second_rows = self.main_rows.clone()
            released["at"] = epoch + 1
        return out

    E2ABLObjective.after_epoch = release
    E2ABLObjective._hold_quiet_outliers = hold_outliers
    with open(args.out, "a") as out:
        for name, trigger, target, seed, attack, X_p, y_p, X_t, y_t in listed_fits(args.fits):
            released.clear()
            held.clear()
            clf = E2ABLClassifier(backbone="resnet", n_epochs=args.epochs, random_state=seed, device="cpu",
                                  quiet_z=args.quiet_z or None)
            clf.fit(X_p, y_p)
            asr = None if attack is None else attack_success_rate(clf, attack, X_t, y_t)
            row = dict(dataset=name.split("/")[-1], attack=trigger, target=label_name(target), seed=seed,
                       k=args.k, ca=clf.score(X_t, y_t), asr=asr, released=released.get("at"),
                       evidence=clf.attack_evidence_, quiet_z=args.quiet_z or None,
                       held_last=held[-1] if held else None)
            print(json.dumps(row), flush=True)
            out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()

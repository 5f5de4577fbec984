"""Probe (session 43): ``quiet_z`` on the robustness matrix's TT-FGSM / TSBA-B fits at 10%.

Each fit (``resnet``, 30 epochs, the first and the majority label as targets) runs with
``quiet_z=None`` (the whole of D_b held back from the main head while no evidence names a label,
the default before session 43); where that fit ends with no warm-start evidence it runs again with
``quiet_z=6`` (the series default since). A fit named at the warm start's end is not touched by
``quiet_z``, so its second fit would repeat the first and is skipped. Rows go to stdout and ``--out``.

    python benchmarks/dev/quiet_z_probe.py --cells GunPoint:0 BasicMotions:2 ../shared/data/ECG5000_TRAIN.npz:2

Measured (session 43, 2-core Intel Xeon CPU; ``benchmarks/results/ttfgsm_tsba_quiet_z_cpu_s43.jsonl``):
see docs/experiments.md, "Session 43".
"""

import argparse
import json
import warnings

from _cells import label_name, poisoned_fits

from e2abl_ts import E2ABLClassifier
from e2abl_ts.metrics import attack_success_rate


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", nargs="+", required=True, help="DATASET:SEED ...")
    parser.add_argument("--triggers", nargs="+", default=["tt-fgsm", "tsba"])
    parser.add_argument("--z", type=float, default=6.0)
    parser.add_argument("--out", default="benchmarks/results/quiet_z_probe.jsonl")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    with open(args.out, "a") as out:
        for cell in args.cells:
            data, seed = cell.rsplit(":", 1)
            fits = poisoned_fits([data], [int(seed)], attacks=args.triggers, kinds=("first", "majority"))
            for data, trigger, target, seed, attack, X_p, y_p, X_test, y_test in fits:
                for quiet_z in (None, args.z):
                    clf = E2ABLClassifier(backbone="resnet", n_epochs=30, random_state=seed, device="cpu",
                                          quiet_z=quiet_z).fit(X_p, y_p)
                    row = dict(dataset=data.split("/")[-1], attack=trigger, target=label_name(target), seed=seed,
                               quiet_z=quiet_z, ca=clf.score(X_test, y_test),
                               asr=attack_success_rate(clf, attack, X_test, y_test),
                               evidence=clf.attack_evidence_, backdoor_label=label_name(clf.backdoor_label_))
                    print(json.dumps(row), flush=True)
                    out.write(json.dumps(row) + "\n")
                    if clf.attack_evidence_ in ("warm_start", "inflated_label"):
                        break  # named at the warm start's end: quiet_z never acts


if __name__ == "__main__":
    main()

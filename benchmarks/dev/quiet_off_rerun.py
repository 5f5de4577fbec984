"""Probe (session 46): re-fit, with ``quiet_z=None, quiet_split_share=None``, every JapaneseVowels fit of
``benchmarks/results/japanesevowels_network_seeds_cpu_s46.jsonl`` whose ASR is over 5 (same data seed and
network seed). One thread, as the fits it re-runs:

    OMP_NUM_THREADS=1 python benchmarks/dev/quiet_off_rerun.py \\
        > benchmarks/results/japanesevowels_network_seeds_quiet_off_cpu_s46.jsonl

Measured (2-core Intel Xeon CPU): see docs/experiments.md, "Session 46".
"""

import json
import warnings

from _cells import label_name, listed_fits

from e2abl_ts import E2ABLClassifier
from e2abl_ts.metrics import attack_success_rate

ROWS = "benchmarks/results/japanesevowels_network_seeds_cpu_s46.jsonl"
OFF = {"quiet_z": None, "quiet_split_share": None}


def main():
    warnings.filterwarnings("ignore")
    failed = {}
    for row in map(json.loads, open(ROWS)):
        if row["asr"] > 5:
            failed.setdefault((row["attack"], row["seed"]), []).append(row["network_seed"])
    for _, trigger, _, seed, attack, X_p, y_p, X_t, y_t in listed_fits("benchmarks/dev/japanesevowels_fits_s46.json"):
        for network_seed in failed.get((trigger, seed), []):
            clf = E2ABLClassifier(backbone="resnet", n_epochs=30, random_state=network_seed, device="cpu", **OFF)
            clf.fit(X_p, y_p)
            print(json.dumps({"dataset": "JapaneseVowels", "attack": trigger, "seed": seed,
                              "network_seed": network_seed, "params": "quiet_z=None,quiet_split_share=None",
                              "ca": round(100 * clf.score(X_t, y_t), 1),
                              "asr": round(100 * attack_success_rate(clf, attack, X_t, y_t), 1),
                              "evidence": clf.attack_evidence_, "backdoor_label": label_name(clf.backdoor_label_)}),
                  flush=True)


if __name__ == "__main__":
    main()

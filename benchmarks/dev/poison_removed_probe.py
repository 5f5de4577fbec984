"""Probe (session 27): the CA a perfect filter reaches on the walk's attacked fits.

Per attacked fit of ``_cells.py``'s walk (square / sine / burst at 10% on each distinct first /
majority / minority label), plain training (``StandardClassifier``, ``resnet``, 30 epochs, the
fit's seed) on the attacked set without its poisoned rows: the runner's ``poison_removed``
reference, the CA left once an attack has taken its rows, and the ceiling for a defense's CA. The
rows dropped depend on the dataset, target and seed, not on the trigger, so each model is fitted
once and shared by the three triggers. Question asked: how much of E2ABL's CA gap to clean
training is the defense's own cost? Measured on a 2-core CPU (rows in
``benchmarks/results/poison_removed_walk_cpu_s27.jsonl``, read against session 26's walk rows
``label_trace_quiet_split_holds_cpu_s26.jsonl``):

    python benchmarks/dev/poison_removed_probe.py --datasets JapaneseVowels GunPoint BasicMotions \\
        ../shared/data/UWaveGestureLibrary.npz ../shared/data/ECG5000_TRAIN.npz

E2ABL's CA against the perfect filter's, mean over the 63 attacked fits: -1.7 points (against
clean training: -2.2 over all 78). UWave -2.6 and ECG5000 -2.6: close to a perfect filter;
JapaneseVowels -7.1 and BasicMotions -9.7: a cost of the defense (the backdoor label's clean rows
held back); GunPoint +6.4 (plain training is at 49-66 there at 30 epochs).
"""

import json
import warnings

from _cells import label_name, poisoned_fits, probe_parser

from e2abl_ts import StandardClassifier
from e2abl_ts.benchmark._runner import without_rows


def main():
    parser = probe_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="benchmarks/results/poison_removed_walk.jsonl")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    fitted = {}
    with open(args.out, "a") as out:
        for data, trigger, target, seed, attack, X, y, X_test, y_test in poisoned_fits(args.datasets, args.seeds):
            if attack is None:
                continue
            dropped = tuple(sorted(int(i) for i in attack.poison_indices_))
            key = (data, seed, label_name(target), dropped)
            if key not in fitted:
                clf = StandardClassifier(backbone="resnet", n_epochs=30, random_state=seed, device="cpu")
                fitted[key] = clf.fit(*without_rows(X, y, dropped)).score(X_test, y_test)
            row = dict(dataset=data.split("/")[-1], attack=trigger, target=label_name(target), seed=seed,
                       poison_removed_ca=fitted[key], n_removed=len(dropped))
            print(json.dumps(row), flush=True)
            out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()

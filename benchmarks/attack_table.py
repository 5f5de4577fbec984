"""Issue 3's attack table: attack x backbone -> clean CA, no-defense CA / ASR, E2ABL CA / ASR,
isolation precision / recall and recovery precision, from ``run_benchmark`` rows.

    python benchmarks/attack_table.py --datasets ../shared/data/UWaveGestureLibrary.npz \\
        ../shared/data/ECG5000_TRAIN.npz --attacks square tt-fgsm tsba --backbones resnet \\
        --epochs 30 --out benchmarks/results/attack_table_resnet_30ep.jsonl

Cells already in ``--out`` are not run again. CPU, ``resnet``, 30 epochs: about 20 minutes for
UWave and ECG5000 with three attacks on 2 cores; ``resnet34`` belongs on a GPU.
"""

import argparse
from collections import defaultdict

from e2abl_ts.benchmark import ResultsFile, percent_text, run_benchmark


def _col(rows, key) -> str:
    return percent_text([r.get(key) for r in rows])


def attack_table(rows) -> str:
    """One line per (dataset, attack, backbone); values in %, mean±std over seeds."""
    by = defaultdict(list)
    for r in rows:
        by[r["dataset"], r["attack"], r["backbone"], r["defense"]].append(r)
    head = ["dataset", "attack", "backbone", "clean CA", "no-def CA / ASR", "E2ABL CA / ASR",
            "isolation P / R", "recovery P"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    keys = dict.fromkeys((d, a, b) for d, a, b, _ in by if a != "none")
    for d, a, b in keys:
        clean, nodef, e2 = by[d, "none", b, "no_defense"], by[d, a, b, "no_defense"], by[d, a, b, "e2abl"]
        lines.append("| " + " | ".join([
            d, a, b, _col(clean, "ca"), f"{_col(nodef, 'ca')} / {_col(nodef, 'asr')}",
            f"{_col(e2, 'ca')} / {_col(e2, 'asr')}",
            f"{_col(e2, 'isolation_precision')} / {_col(e2, 'isolation_recall')}", _col(e2, "recovery_precision"),
        ]) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["JapaneseVowels"])
    parser.add_argument("--attacks", nargs="+", default=["square", "tt-fgsm", "tsba"])
    parser.add_argument("--backbones", nargs="+", default=["resnet"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--out", required=True, help="results file (.jsonl or .csv), one per backbone suffix")
    args = parser.parse_args(argv)
    rows = []
    for backbone in args.backbones:
        out = args.out if len(args.backbones) == 1 else args.out.replace(".", f"_{backbone}.", 1)
        run_benchmark(args.datasets, [*args.attacks, "none"], ["no_defense", "e2abl"], args.seeds,
                      backbone=backbone, n_epochs=args.epochs, out=out, verbose=False)
        rows += ResultsFile(out).rows
    print(attack_table(rows))


if __name__ == "__main__":
    main()

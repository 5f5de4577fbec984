"""Issue 6's robustness matrix: datasets x triggers x targets x poison rates (+ clean data) x
seeds -> no-defense ASR / CA, E2ABL ASR / CA, isolation precision / recall, and a summary
(worst-case ASR, mean CA gap to clean training, false alarms on clean data). Beside them,
the clean-model ASR: plain training on the clean training set, scored on the same triggered
test rows (how often a model that never saw poison maps the trigger to the target anyway), and
the poison-removed CA: plain training on the poisoned set without its poisoned rows, the CA a
perfect filter reaches (what is left to learn from; the defense's own cost is its CA below it).

The full grid (5 datasets x 5 triggers x 3 targets x 4 rates x 3 seeds) is GPU work. On a
2-core CPU run a subset with the ``resnet`` backbone and say which, e.g. (21 minutes, with a
second E2ABL variant beside the default; results in ``benchmarks/results/robustness_matrix_cpu.txt``):

    python benchmarks/robustness_matrix.py --datasets JapaneseVowels GunPoint BasicMotions \\
        ../shared/data/ECG5000_TRAIN.npz ../shared/data/UWaveGestureLibrary.npz \\
        --triggers square sine burst --targets first majority minority --rates 0.1 --seeds 0 \\
        --defenses e2abl e2abl:detach_second_head=held_back \\
        --out benchmarks/results/robustness_matrix_cpu.jsonl

Targets that name the same label on a dataset (all three on balanced classes; "first" and
"majority" on ECG5000) run once.

Rows go to ``--out`` through ``run_benchmark``; cells already there are not run again, so a
grid can grow over several runs and ``--report-only`` prints what the file holds.
"""

import argparse
import warnings
from collections import defaultdict

import numpy as np

from e2abl_ts.benchmark import REFERENCES, ResultsFile, percent_text, resolve_target, run_benchmark
from e2abl_ts.benchmark._results import finite
from e2abl_ts.datasets import load_dataset


def _pct(rows, key):
    return percent_text([r.get(key) for r in rows])


def _cell(r) -> tuple:
    """A row's cell of the grid, seeds and defenses apart."""
    return r["dataset"], r["attack"], r["target"], float(r["poison_rate"])


def _defended(rows):
    return list(dict.fromkeys(r["defense"] for r in rows if r["defense"] not in REFERENCES))


def matrix_table(rows) -> str:
    """One line per (dataset, trigger, target, rate); values in %, mean±std over seeds. Each
    defense (E2ABL variants included) gets ASR / CA, isolation precision / recall and how
    often it named the target (on clean data: how often it raised no alarm)."""
    by = defaultdict(list)
    for r in rows:
        by[(*_cell(r), r["defense"])].append(r)
    defenses = _defended(rows)
    head = ["dataset", "trigger", "target", "rate", "no-def ASR / CA", "clean-model ASR", "poison-removed CA"]
    for d in defenses:
        head += [f"{d} ASR / CA", "isolation P / R", "label"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for d, a, t, rate in dict.fromkeys(k[:4] for k in by):
        nodef = by.get((d, a, t, rate, "no_defense"), [])
        cells = [d, a, "-" if a == "none" else t, "-" if a == "none" else f"{100 * rate:g}%",
                 f"{_pct(nodef, 'asr')} / {_pct(nodef, 'ca')}",
                 _pct(by.get((d, a, t, rate, "clean_model"), []), "asr"),
                 _pct(by.get((d, a, t, rate, "poison_removed"), []), "ca")]
        for defense in defenses:
            rs = by.get((d, a, t, rate, defense), [])
            if a == "none":
                label = f"{sum(r.get('backdoor_label') in (None, '') for r in rs)}/{len(rs)} quiet"
            else:
                label = f"{sum(str(r.get('backdoor_label')) == str(r.get('target_label')) for r in rs)}/{len(rs)} right"
            cells += [f"{_pct(rs, 'asr')} / {_pct(rs, 'ca')}",
                      f"{_pct(rs, 'isolation_precision')} / {_pct(rs, 'isolation_recall')}", label]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def matrix_summary(rows, defense="e2abl") -> str:
    """Issue 6's targets for ``defense``, measured on the cells in ``rows``."""
    e2 = [r for r in rows if r["defense"] == defense]
    attacked = [r for r in e2 if r["attack"] != "none" and finite(r.get("asr"))]
    at10 = [r for r in attacked if abs(_cell(r)[3] - 0.1) < 1e-9]
    clean_ca = defaultdict(list)
    for r in rows:
        if r["attack"] == "none" and r["defense"] == "no_defense":
            clean_ca[r["dataset"], r["seed"]].append(r["ca"])
    gaps = [r["ca"] - np.mean(clean_ca[r["dataset"], r["seed"]]) for r in e2 if clean_ca.get((r["dataset"], r["seed"]))]
    # against a perfect filter (the poisoned rows dropped, the rest trained plainly): the CA the
    # defense itself costs, apart from the rows an attack takes away
    removed_ca = {(*_cell(r), r["seed"]): r["ca"] for r in rows if r["defense"] == "poison_removed"}
    removed_gaps = [r["ca"] - removed_ca[(*_cell(r), r["seed"])]
                    for r in attacked if (*_cell(r), r["seed"]) in removed_ca]
    clean_e2 = [r for r in e2 if r["attack"] == "none"]

    def worst(rs):
        if not rs:
            return "-"
        r = max(rs, key=lambda r: r["asr"])
        return (f"{100 * r['asr']:.1f} ({r['dataset']}, {r['attack']}, {r['target']}, "
                f"{100 * float(r['poison_rate']):g}%, seed {r['seed']})")

    floor = {(*_cell(r), r["seed"]): r["asr"] for r in rows if r["defense"] == "clean_model" and finite(r.get("asr"))}
    excess = [(r["asr"] - floor[(*_cell(r), r["seed"])], r) for r in at10 if (*_cell(r), r["seed"]) in floor]
    excess_line = "  clean-model ASR: no 10% cell with it" if floor else "  clean-model ASR: not run"
    if excess:
        most, r = max(excess, key=lambda t: t[0])
        excess_line = (f"  cells at 10% more than 5 points above the clean model's ASR: "
                       f"{sum(e > 0.05 for e, _ in excess)} of {len(excess)}; the largest excess "
                       f"{100 * most:.1f} ({r['dataset']}, {r['attack']}, {r['target']}, seed {r['seed']})")
    recall10 = [r["isolation_recall"] for r in at10 if finite(r.get("isolation_recall"))]
    # a low ASR from a model that has lost the target class: clean training's accuracy on that class as
    # the reference (same dataset, seed and target label; rows from before session 48 carry no target_ca)
    clean_target = {(r["dataset"], r["seed"], r["target_label"]): r["target_ca"] for r in rows
                    if r["attack"] == "none" and r["defense"] == "no_defense" and finite(r.get("target_ca"))}
    held = [r for r in attacked if r["asr"] <= 0.05 and finite(r.get("target_ca"))
            and (r["dataset"], r["seed"], r["target_label"]) in clean_target]
    lost = [r for r in held if r["target_ca"] < 0.5 * clean_target[r["dataset"], r["seed"], r["target_label"]]]
    lost_line = (f"  attacked fits at ASR <= 5 whose target-class accuracy is under half clean training's "
                 f"(same dataset, seed and target label): {len(lost)} of {len(held)}" if held
                 else "  target-class accuracy: no attacked fit at ASR <= 5 with a clean reference")
    lines = [
        f"{defense}: {len(attacked)} attacked fits ({len(at10)} at 10%), {len(clean_e2)} on clean data",
        f"  worst-case ASR at 10% poison: {worst(at10)}   (target <= 5)",
        f"  worst-case ASR over all cells: {worst(attacked)}   (target <= 10)",
        f"  cells with ASR > 5 at 10%: {sum(r['asr'] > 0.05 for r in at10)} of {len(at10)}; "
        f"mean ASR over all cells {100 * np.mean([r['asr'] for r in attacked]):.1f}" if attacked else "  -",
        excess_line,
        f"  mean CA gap to clean training (same dataset and seed): {100 * np.mean(gaps):+.1f} points "
        f"over {len(gaps)} fits   (target within 2)" if gaps else "  mean CA gap: -",
        f"  mean CA gap of the attacked fits to a perfect filter (poisoned rows dropped, same cell and seed): "
        f"{100 * np.mean(removed_gaps):+.1f} points over {len(removed_gaps)} fits" if removed_gaps
        else "  mean CA gap to a perfect filter: not run",
        lost_line,
        f"  isolation recall at 10%: mean {100 * np.mean(recall10):.1f}, min {100 * np.min(recall10):.1f}"
        f"   (target >= 95)" if recall10 else "  isolation recall at 10%: -",
        f"  false alarms on clean data (a backdoor label reported): "
        f"{sum(r.get('backdoor_label') not in (None, '') for r in clean_e2)} of {len(clean_e2)}",
    ]
    for rate in sorted({_cell(r)[3] for r in attacked}):
        # per poison rate: the 10% targets above are one rate's; the matrix asks for 1-20%
        at = [r for r in attacked if abs(_cell(r)[3] - rate) < 1e-9]
        recall = [r["isolation_recall"] for r in at if finite(r.get("isolation_recall"))]
        over = [r["asr"] - floor[(*_cell(r), r["seed"])] for r in at if (*_cell(r), r["seed"]) in floor]
        lines.append(
            f"  at {100 * rate:g}% poison: {len(at)} fits, mean ASR {100 * np.mean([r['asr'] for r in at]):.1f}, "
            f"worst {worst(at)}, ASR > 5 on {sum(r['asr'] > 0.05 for r in at)}"
            + (f", more than 5 points above the clean model on {sum(e > 0.05 for e in over)} of {len(over)}"
               if over else "")
            + (f", isolation recall mean {100 * np.mean(recall):.1f} / min {100 * np.min(recall):.1f}" if recall else "")
        )
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", nargs="+", default=["JapaneseVowels"])
    p.add_argument("--triggers", nargs="+", default=["square", "sine", "burst", "tt-fgsm", "tsba"])
    p.add_argument("--targets", nargs="+", default=["first", "majority", "minority"])
    p.add_argument("--rates", nargs="+", type=float, default=[0.01, 0.05, 0.1, 0.2])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--defenses", nargs="+", default=["e2abl"],
                   help="defense specs beside no_defense, e.g. e2abl e2abl:detach_second_head=held_back")
    p.add_argument("--backbone", default="resnet")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--device", default="auto")
    p.add_argument("--out", default="benchmarks/results/robustness_matrix.jsonl")
    p.add_argument("--report-only", action="store_true", help="print the table of the rows in --out, run nothing")
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore")
    common = dict(defenses=["no_defense", "clean_model", "poison_removed", *args.defenses], seeds=args.seeds,
                  backbone=args.backbone, n_epochs=args.epochs, out=args.out, device=args.device)
    if not args.report_only:
        run_benchmark(args.datasets, ["none"], **{**common, "defenses": ["no_defense", *args.defenses]})
        targets = {}  # per dataset, the targets that name distinct labels (balanced classes tie)
        for dataset in args.datasets:
            y = load_dataset(dataset, random_state=0)[1]
            labels = {}
            for which in args.targets:
                labels.setdefault(str(resolve_target(y, which)), which)
            targets[dataset] = list(labels.values())
            if len(targets[dataset]) < len(args.targets):
                print(f"{dataset}: targets {args.targets} name the labels of {targets[dataset]} only; "
                      f"the others are not run twice", flush=True)
        for rate in args.rates:
            for dataset in args.datasets:
                for target in targets[dataset]:
                    try:
                        run_benchmark([dataset], args.triggers, poison_rate=rate, target=target, **common)
                    except ValueError as err:  # e.g. a minority class too small for the rate
                        print(f"skipped {dataset}, target {target}, rate {rate}: {err}", flush=True)
    rows = ResultsFile(args.out).rows
    print(matrix_table(rows))
    print()
    for defense in _defended(rows):
        print(matrix_summary(rows, defense))


if __name__ == "__main__":
    main()

"""The command line every dataset example shares: poison, compare defenses, print Table I."""

import argparse

from e2abl_ts.benchmark import ATTACKS, DEFENSES, run_benchmark, summary_table

PAPER_ATTACKS = ["tt-fgsm", "tt-de", "tsba", "square"]  # the paper's three, plus the static trigger
ALL_DEFENSES = ["no_defense", "e2abl", "abl", "nad", "fp"]


def run_example(aeon_name: str, description: str, argv=None):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data", default=aeon_name,
                   help=f"aeon name (downloads when online) or a local .npz/.ts path (default: {aeon_name})")
    p.add_argument("--attacks", nargs="+", default=PAPER_ATTACKS, help=f"any of {', '.join(ATTACKS)}, none")
    p.add_argument("--defenses", nargs="+", default=ALL_DEFENSES, help=f"any of {', '.join(DEFENSES)}")
    p.add_argument("--seeds", nargs="+", type=int, default=[0])
    p.add_argument("--backbone", default="resnet34", help="resnet34 (the paper's), resnet18, resnet or fcn")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--out", default=None, help="results file (.csv/.jsonl); a re-run skips finished cells")
    p.add_argument("--n-jobs", type=int, default=1)
    args = p.parse_args(argv)
    rows = run_benchmark([args.data], args.attacks, args.defenses, args.seeds, backbone=args.backbone,
                         n_epochs=args.epochs, out=args.out, n_jobs=args.n_jobs)
    print(f"\nASR / CA in % ({args.backbone}, {args.epochs} epochs, 10% poison):")
    print(summary_table(rows))
    return rows

"""Command line: ``e2abl-ts demo | bench | audit`` (also ``python -m e2abl_ts``)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

DESCRIPTION = """e2abl-ts: train classifiers that stay clean on backdoor-poisoned time series (E2ABL).

commands:
  demo    poison a real dataset that ships offline with a static trigger, then compare
          plain training with E2ABL: clean accuracy (CA), attack success rate (ASR), the
          target class's own accuracy and how many of the poisoned samples E2ABL isolated
          (about 2 minutes on 2 cores).
  bench   the experiment runner: datasets x attacks x defenses x seeds, one row per cell
          in a CSV/JSONL file (re-runs skip finished cells), then the paper's Table I.
  audit   fit E2ABL on your training set and write a report of its most suspicious
          samples, the inferred backdoor label and the loss-drop distribution.

run "e2abl-ts COMMAND --help" for a command's options.
"""

BENCH_EPILOG = """attacks: {attacks}, or none (every defense on clean data)
defenses: {defenses}
A spec may carry parameters: "e2abl:isolation_rate=0.1,recovery_rate=0.02", "tt-de:maxiter=10".

A config file (TOML or JSON) holds the same options, e.g.
  datasets = ["JapaneseVowels", "../shared/data/ECG5000_TRAIN.npz"]
  attacks = ["square", "tt-fgsm"]
  defenses = ["no_defense", "e2abl", "abl", "nad", "fp"]
  seeds = [0, 1, 2]
  backbone = "resnet"
  epochs = 30
  out = "results.jsonl"
Flags given on the command line override the file.
"""


def demo(args) -> int:
    from . import E2ABLClassifier, StandardClassifier
    from .attacks import StaticTriggerAttack
    from .datasets import load_dataset
    from .metrics import attack_success_rate, clean_accuracy, isolation_precision_recall, target_class_accuracy

    X_train, y_train, X_test, y_test = load_dataset(args.dataset)
    target = np.unique(y_train)[0]
    attack = StaticTriggerAttack(target_label=target, poison_rate=args.poison_rate, random_state=args.seed)
    X_poisoned, y_poisoned = attack.fit_resample(X_train, y_train)
    print(f"{args.dataset}: {len(X_train)} training / {len(X_test)} test series, "
          f"{len(X_train[0])} channels; {len(attack.poison_indices_)} training series "
          f"({args.poison_rate:.0%}) poisoned with a square-wave trigger, relabelled '{target}'.")
    print(f"backbone {args.backbone}, {args.epochs} epochs, random_state={args.seed}\n")
    kw = dict(backbone=args.backbone, n_epochs=args.epochs, random_state=args.seed, verbose=not args.quiet)
    runs = [("no defense, clean data", StandardClassifier(**kw), X_train, y_train),
            ("no defense, poisoned", StandardClassifier(**kw), X_poisoned, y_poisoned),
            ("E2ABL, poisoned", E2ABLClassifier(**kw), X_poisoned, y_poisoned)]
    # the target class's own accuracy beside the ASR: a model that has lost the class has a low ASR for free
    print(f"{'model':26s} {'CA':>7s} {'ASR':>7s} {'target':>7s} {'fit s':>7s}")
    for name, clf, X, y in runs:
        t0 = time.perf_counter()
        clf.fit(X, y)
        seconds = time.perf_counter() - t0
        ca, asr = clean_accuracy(clf, X_test, y_test), attack_success_rate(clf, attack, X_test, y_test)
        on_target = target_class_accuracy(clf, X_test, y_test, target)
        print(f"{name:26s} {ca:7.1%} {asr:7.1%} {on_target:7.1%} {seconds:7.1f}", flush=True)
    precision, recall = isolation_precision_recall(clf.suspected_poison_mask_, attack.poison_indices_)
    label = None if clf.backdoor_label_ is None else str(clf.backdoor_label_)
    print(f"\nE2ABL isolated {clf.suspected_poison_mask_.sum()} suspects: precision {precision:.0%}, "
          f"recall {recall:.0%} of the poisoned series; inferred backdoor label: {label!r} (true: {str(target)!r}; "
          f"evidence: {clf.attack_evidence_}).")
    return 0


BENCH_DEFAULTS = dict(datasets=["JapaneseVowels"], attacks=["square"], defenses=["no_defense", "e2abl"], seeds=[0],
                      backbone="resnet34", epochs=60, poison_rate=0.1, target="first", out=None, n_jobs=1,
                      plots=None, device="auto", markdown=False, quiet=False)


def _read_config(path: str) -> dict:
    if not os.path.isfile(path):
        raise ValueError(f"no such config file: {path!r}.")
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        if path.endswith(".json"):
            config = json.loads(raw)
        else:
            import tomllib

            config = tomllib.loads(raw.decode())
    except ValueError as exc:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        raise ValueError(f"cannot read config file {path!r}: {exc}") from exc
    config = {k.replace("-", "_"): v for k, v in config.items()}
    unknown = sorted(set(config) - set(BENCH_DEFAULTS))
    if unknown:
        raise ValueError(f"unknown option(s) in {path}: {unknown}; valid options: {sorted(BENCH_DEFAULTS)}.")
    return config


def bench(args) -> int:
    from .benchmark import run_benchmark, summary_table

    options = dict(BENCH_DEFAULTS)
    if args.config:
        options.update(_read_config(args.config))
    options.update({k: v for k, v in vars(args).items() if k in BENCH_DEFAULTS and v is not None})
    rows = run_benchmark(
        options["datasets"], options["attacks"], options["defenses"], options["seeds"], backbone=options["backbone"],
        n_epochs=int(options["epochs"]), poison_rate=float(options["poison_rate"]), target=options["target"],
        out=options["out"], n_jobs=int(options["n_jobs"]), plots_dir=options["plots"], device=options["device"],
        verbose=not options["quiet"],
    )
    print(f"\nASR / CA in % (mean±std over seeds), {options['backbone']}, {options['epochs']} epochs, "
          f"poison rate {options['poison_rate']:.0%}, target {options['target']}:")
    print(summary_table(rows, fmt="markdown" if options["markdown"] else "text"))
    if options["out"]:
        print(f"\nrows: {options['out']}")
    return 0


def audit_cmd(args) -> int:
    from .audit import audit
    from .classifier import E2ABLClassifier
    from .datasets import load_training_set

    X, y = load_training_set(args.data)
    poison = None
    if args.drill:
        from .benchmark import ATTACKS, parse_spec, resolve_target

        name, params = parse_spec(args.drill, ATTACKS, "attack")
        attack = ATTACKS[name](resolve_target(y, args.drill_target), args.drill_rate, args.seed, **params)
        X, y = attack.fit_resample(X, y)
        poison = attack.poison_indices_
        print(f"drill: {len(poison)} rows poisoned with {args.drill}, relabelled {attack.target_label_!s}")
    est = E2ABLClassifier(backbone=args.backbone, n_epochs=args.epochs, isolation_rate=args.isolation_rate,
                          recovery_rate=args.recovery_rate, random_state=args.seed, verbose=not args.quiet)
    name = os.path.basename(args.data)
    path, fitted = audit(X, y, estimator=est, out_dir=args.out_dir, fmt=args.format, top=args.top,
                         poison_indices=poison, dataset_name=name)
    label = fitted.backdoor_label_
    print(f"{name}: {int(fitted.suspected_poison_mask_.sum())} of {len(y)} samples suspected; inferred backdoor "
          f"label: {'none' if label is None else f'{label} (evidence: {fitted.attack_evidence_})'}. Report: {path}")
    return 0


def main(argv=None) -> int:
    from .benchmark import ATTACKS, DEFENSES

    parser = argparse.ArgumentParser(prog="e2abl-ts", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="command")

    p = sub.add_parser("demo", help="no defense vs E2ABL on a poisoned real dataset (offline)")
    p.add_argument("--dataset", default="JapaneseVowels",
                   help="aeon dataset name or .npz/.ts path (default: JapaneseVowels, shipped with aeon)")
    p.add_argument("--backbone", default="resnet", help="resnet34, resnet18, resnet or fcn (default: resnet)")
    p.add_argument("--epochs", type=int, default=30, help="training epochs per model (default: 30)")
    p.add_argument("--poison-rate", type=float, default=0.1, help="fraction of the training set poisoned")
    p.add_argument("--seed", type=int, default=0, help="random_state for the attack and the models")
    p.add_argument("--quiet", action="store_true", help="no progress bars")

    p = sub.add_parser("bench", help="the experiment runner (datasets x attacks x defenses x seeds)",
                       description="Run a grid of datasets x attacks x defenses x seeds; print Table I.",
                       epilog=BENCH_EPILOG.format(attacks=", ".join(ATTACKS), defenses=", ".join(DEFENSES)),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", help="TOML or JSON file with the options below")
    p.add_argument("--datasets", nargs="+", help="aeon names or .npz/.ts paths (default: JapaneseVowels)")
    p.add_argument("--attacks", nargs="+", help="attack specs (default: square)")
    p.add_argument("--defenses", nargs="+", help="defense specs (default: no_defense e2abl)")
    p.add_argument("--seeds", nargs="+", type=int, help="default: 0")
    p.add_argument("--backbone", help="resnet34 (default), resnet18, resnet or fcn")
    p.add_argument("--epochs", type=int, help="training epochs (default: 60; ABL adds 2/3 for its phases)")
    p.add_argument("--poison-rate", type=float, help="default: 0.1")
    p.add_argument("--target", help="first (default), majority, minority or a label")
    p.add_argument("--out", help="results file, .csv or .jsonl: rows appended as cells finish, finished cells skipped")
    p.add_argument("--n-jobs", type=int, help="cells in parallel through joblib (default: 1; -1: every core)")
    p.add_argument("--plots", metavar="DIR", help="save each E2ABL cell's loss-drop histogram and training curves")
    p.add_argument("--device", help="auto (default), cpu or cuda")
    p.add_argument("--markdown", action="store_true", default=None, help="print the table as markdown")
    p.add_argument("--quiet", action="store_true", default=None, help="no progress bars or per-row lines")

    p = sub.add_parser("audit", help="report the most suspicious samples of a training set",
                       description="Fit E2ABL on DATA's training set and write a report (markdown or HTML) of "
                                   "its most suspicious samples, the inferred backdoor label and the loss-drop "
                                   "distribution, with plots.")
    p.add_argument("data", help="aeon dataset name, .ts file, or .npz (X/y: every row; X_train/y_train: the train part)")
    p.add_argument("--out-dir", default="e2abl_audit", help="where the report goes (default: e2abl_audit)")
    p.add_argument("--format", choices=["md", "html"], default="md")
    p.add_argument("--top", type=int, default=20, help="suspects listed (default: 20)")
    p.add_argument("--backbone", default="resnet", help="default: resnet")
    p.add_argument("--epochs", type=int, default=30, help="default: 30")
    p.add_argument("--isolation-rate", type=float, default=0.2)
    p.add_argument("--recovery-rate", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--drill", metavar="ATTACK", help="poison the data first with this attack spec, to see what "
                   "the audit catches (precision and recall in the report)")
    p.add_argument("--drill-rate", type=float, default=0.1)
    p.add_argument("--drill-target", default="first")
    p.add_argument("--quiet", action="store_true", help="no progress bars")

    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return {"demo": demo, "bench": bench, "audit": audit_cmd}[args.command](args)
    except (ValueError, TypeError, OSError) as exc:
        print(f"e2abl-ts {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"e2abl-ts {args.command}: interrupted; finished rows are kept.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

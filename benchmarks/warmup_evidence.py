"""How often the robust detector sees an attack at the end of the warm start, on clean and
poisoned data: the false alarms and misses behind ``E2ABLClassifier(no_evidence=...)``.

Reads the verdict from ``history_`` (the epoch that ends the warm start), so only the warm
start and one epoch are trained per fit. CPU, ``resnet``: about 5 minutes on 2 cores.

    python benchmarks/warmup_evidence.py --datasets ../shared/data/UWaveGestureLibrary.npz \\
        JapaneseVowels ../shared/data/ECG5000_TRAIN.npz ArrowHead GunPoint BasicMotions
"""

import argparse
import itertools
import warnings

from e2abl_ts import E2ABLClassifier
from e2abl_ts.attacks import StaticTriggerAttack
from e2abl_ts.benchmark import resolve_target
from e2abl_ts.datasets import load_dataset

TRIGGERS = {"square": {}, "sine": dict(amplitude=0.6, window=1.0), "burst": dict(amplitude=1.5, window=8)}
CASES = [("none", None), ("square", "first"), ("sine", "majority"), ("burst", "minority")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["JapaneseVowels"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--warmup-epochs", type=int, default=2)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    clean, poisoned = [], []  # the label seen at the warm-up end, and the target (poisoned)
    for name in args.datasets:
        X, y, _, _ = load_dataset(name, random_state=0)
        for seed, (trigger, which) in itertools.product(args.seeds, CASES):
            target = None
            X_fit, y_fit = X, y
            if trigger != "none":
                target = resolve_target(y, which)
                attack = StaticTriggerAttack(target_label=target, pattern=trigger, random_state=seed,
                                             **TRIGGERS[trigger])
                X_fit, y_fit = attack.fit_resample(X, y)
            clf = E2ABLClassifier(backbone="resnet", n_epochs=args.warmup_epochs + 1,
                                  warmup_epochs=args.warmup_epochs, random_state=seed).fit(X_fit, y_fit)
            seen = clf.history_[args.warmup_epochs - 1]["backdoor_label"]
            if target is None:
                clean.append(seen)
            else:
                poisoned.append((seen, target))
            print(f"{str(name)[-24:]:24s} {trigger:6s} target={target!s:10s} seed {seed}: "
                  f"attack seen at the warm-up end: {seen}", flush=True)
    named = sum(seen is not None and str(seen) == str(target) for seen, target in poisoned)
    wrong = sum(seen is not None and str(seen) != str(target) for seen, target in poisoned)
    print(f"\nclean fits with no alarm: {sum(seen is None for seen in clean)} of {len(clean)}")
    print(f"poisoned fits with the target named: {named} of {len(poisoned)} (another label named: {wrong})")


if __name__ == "__main__":
    main()

"""Tune E2ABL's isolation and recovery rates with GridSearchCV, under attack.

The pipeline poisons each training fold (the attack step acts at fit time only, as
imbalanced-learn's samplers do), trains E2ABL on it, and is scored on the clean validation
fold by CA - ASR: a setting wins by keeping accuracy *and* keeping the trigger out.

    python examples/grid_search.py                               # JapaneseVowels, ships with aeon
    python examples/grid_search.py --data ../shared/data/UWaveGestureLibrary.npz --epochs 30
"""

import argparse

from imblearn.pipeline import Pipeline
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from e2abl_ts import E2ABLClassifier
from e2abl_ts.attacks import StaticTriggerAttack
from e2abl_ts.datasets import load_dataset
from e2abl_ts.metrics import attack_success_rate, backdoor_scorer, clean_accuracy


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="JapaneseVowels")
    p.add_argument("--backbone", default="resnet")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--isolation-rates", nargs="+", type=float, default=[0.1, 0.2, 0.3])
    p.add_argument("--recovery-rates", nargs="+", type=float, default=[0.0, 0.01, 0.05])
    p.add_argument("--folds", type=int, default=3)
    args = p.parse_args(argv)

    X_train, y_train, X_test, y_test = load_dataset(args.data)
    attack = StaticTriggerAttack(target_label=sorted(set(y_train))[0], poison_rate=0.1, random_state=0)
    pipe = Pipeline([("attack", attack),
                     ("clf", E2ABLClassifier(backbone=args.backbone, n_epochs=args.epochs, random_state=0))])
    grid = {"clf__isolation_rate": args.isolation_rates, "clf__recovery_rate": args.recovery_rates}
    search = GridSearchCV(pipe, grid, scoring=backdoor_scorer(), cv=StratifiedKFold(args.folds), error_score="raise")
    search.fit(X_train, y_train)

    print(f"{'isolation':>9s} {'recovery':>8s} {'CA - ASR':>9s}")
    for params, score in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"]):
        print(f"{params['clf__isolation_rate']:9.2f} {params['clf__recovery_rate']:8.2f} {score:9.3f}")
    best = search.best_estimator_
    print(f"\nbest: {search.best_params_}; on the test set: CA {clean_accuracy(best, X_test, y_test):.1%}, "
          f"ASR {attack_success_rate(best, best.named_steps['attack'], X_test, y_test):.1%}")
    return search


if __name__ == "__main__":
    main()

"""The fits the session-18/19 probes walk: every dataset x seed, clean data first, then square /
sine / burst at 10% on each distinct first / majority / minority label."""

import argparse
import json
import warnings

import numpy as np

from e2abl_ts import E2ABLClassifier
from e2abl_ts.benchmark._registry import ATTACKS
from e2abl_ts.datasets import load_dataset
from e2abl_ts.metrics import attack_success_rate

WALK = ("none", "square", "sine", "burst")  # clean data, then the triggers at 10% on each target


def label_name(label):
    """A label as the probes' rows write it: a string, or None."""
    return None if label is None else str(label)


def probe_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--datasets", nargs="+", default=["JapaneseVowels"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--attacks", nargs="+", default=list(WALK), choices=WALK,
                        help="the walk's fits to run: clean data ('none') and / or its triggers")
    return parser


def poisoned_fits(datasets, seeds, attacks=WALK, kinds=("first", "majority", "minority")):
    """Yield ``(data, trigger, target, seed, attack, X_fit, y_fit, X_test, y_test)``; ``attack``
    and ``target`` are None on clean data. ``attacks`` keeps those of the walk's fits ("none": clean data),
    in the walk's order, then any other trigger of the benchmark's registry (``"tt-fgsm"``, ``"tsba"``) as
    given, at 10% on each distinct label of ``kinds``."""
    triggers = [a for a in WALK[1:] if a in attacks] + [a for a in attacks if a not in WALK]
    for data in datasets:
        X_train, y_train, X_test, y_test = load_dataset(data)
        labels, counts = np.unique(y_train, return_counts=True)
        by_kind = {"first": labels[0], "majority": labels[np.argmax(counts)], "minority": labels[np.argmin(counts)]}
        targets = sorted({by_kind[k] for k in kinds})
        for seed in seeds:
            clean = [("none", None)] if "none" in attacks else []
            for trigger, target in clean + [(a, t) for a in triggers for t in targets]:
                attack = None if target is None else ATTACKS[trigger](target, 0.1, seed)
                X_fit, y_fit = (X_train, y_train) if attack is None else attack.fit_resample(X_train, y_train)
                yield data, trigger, target, seed, attack, X_fit, y_fit, X_test, y_test


def listed_fits(path: str):
    """Yield what :func:`poisoned_fits` yields for the fits listed in the JSON file ``path``: a list of
    ``[dataset, trigger, target, seed]`` (``"none"`` and None for clean data; the registry's triggers too)."""
    with open(path) as f:
        wanted = json.load(f)
    for data in dict.fromkeys(w[0] for w in wanted):
        mine = [w for w in wanted if w[0] == data]
        seeds = sorted({w[3] for w in mine})
        triggers = ["none", *sorted({w[1] for w in mine} - {"none"})]
        for fit in poisoned_fits([data], seeds, triggers):
            _, trigger, target, seed = fit[:4]
            if [data, trigger, label_name(target), seed] in mine:
                yield fit


def network_seed_fits(path: str, offsets, n_epochs: int = 30, **params):
    """Yield ``(name, trigger, target, seed, network_seed, clf, ca, asr)``: an E2ABL fit (``resnet``, ``params``
    passed on) of every fit listed in ``path`` (:func:`listed_fits`) with ``random_state = seed + offset`` for each
    of ``offsets``, with its clean accuracy and attack success rate in percent (None on clean data)."""
    for name, trigger, target, seed, attack, X_p, y_p, X_t, y_t in listed_fits(path):
        for offset in offsets:
            clf = E2ABLClassifier(backbone="resnet", n_epochs=n_epochs, random_state=seed + offset, device="cpu",
                                  **params).fit(X_p, y_p)
            asr = None if attack is None else round(100 * attack_success_rate(clf, attack, X_t, y_t), 1)
            yield name, trigger, target, seed, seed + offset, clf, round(100 * clf.score(X_t, y_t), 1), asr


def write_row(out, row: dict) -> None:
    """Print a probe's row and append it to the open JSON-lines file ``out``."""
    print(json.dumps(row), flush=True)
    out.write(json.dumps(row) + "\n")
    out.flush()


def warm_start_fits(description: str):
    """Parse ``--datasets --seeds --backbone`` and yield ``(name, trigger, target, seed, clf)`` for
    every fit of the walk, fitted through the end of the warm start only (``warmup_epochs + 1``
    epochs): what a probe of the warm start's end needs, the library patched by the caller."""
    parser = probe_parser(description)
    parser.add_argument("--backbone", default="resnet")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    for data, trigger, target, seed, _, X_p, y_p, _, _ in poisoned_fits(args.datasets, args.seeds):
        clf = E2ABLClassifier(backbone=args.backbone, random_state=seed, device="cpu")
        clf.set_params(n_epochs=clf.warmup_epochs + 1).fit(X_p, y_p)
        yield data.split("/")[-1], trigger, target, seed, clf


def defended_fits(datasets, seeds, backbone="resnet", n_epochs=30, attacks=WALK, **params):
    """Yield ``(data, trigger, target, seed, clf, ca, asr)``: an E2ABL fit (``params`` passed on)
    per fit of the walk, with its clean accuracy and attack success rate (None on clean data)."""
    for data, trigger, target, seed, attack, X_p, y_p, X_test, y_test in poisoned_fits(datasets, seeds, attacks):
        clf = E2ABLClassifier(backbone=backbone, n_epochs=n_epochs, random_state=seed, device="cpu", **params)
        clf.fit(X_p, y_p)
        asr = None if attack is None else attack_success_rate(clf, attack, X_test, y_test)
        yield data, trigger, target, seed, clf, clf.score(X_test, y_test), asr

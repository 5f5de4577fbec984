"""Names the runner and the command line accept for attacks and defenses, with parameters.

A spec is a name, optionally followed by parameters: ``"e2abl"``,
``"e2abl:isolation_rate=0.1,recovery_rate=0.02"``, ``"tt-de:maxiter=10"``. Values are Python
literals (numbers, strings, tuples); a bare word is a string.
"""

from __future__ import annotations

import ast

import numpy as np


def _static(pattern, **defaults):
    def make(target, rate, seed, **kw):
        from ..attacks import StaticTriggerAttack

        return StaticTriggerAttack(target, rate, pattern=pattern, random_state=seed, **{**defaults, **kw})

    return make


def _attack(cls_name):
    def make(target, rate, seed, **kw):
        from .. import attacks

        return getattr(attacks, cls_name)(target, rate, random_state=seed, **kw)

    return make


#: attack name -> factory ``f(target_label, poison_rate, seed, **params)``
ATTACKS = {
    "square": _static("square"),
    "sine": _static("sine", amplitude=0.6, window=1.0),
    "burst": _static("burst", amplitude=1.5, window=8),
    "tt-fgsm": _attack("TimeTrojanFGSMAttack"),
    "tt-de": _attack("TimeTrojanDEAttack"),
    "tsba": _attack("TSBAAttack"),
}
NO_ATTACK = "none"


def _defense(cls_name, **fixed):
    def make(common, **kw):
        from .. import defenses
        from ..classifier import E2ABLClassifier

        cls = E2ABLClassifier if cls_name == "E2ABLClassifier" else getattr(defenses, cls_name)
        return cls(**common, **{**fixed, **kw})

    return make


def _abl(common, **kw):
    # ABL's schedule scaled to the budget: isolation n/3, training n, unlearning n/3 epochs
    # (its paper: 20 / 60 / 20 for 60 epochs of plain training)
    from ..defenses import ABLClassifier

    n = common["n_epochs"]
    sched = dict(n_epochs=n + 2 * (n // 3), isolation_epochs=n // 3, unlearning_epochs=n // 3)
    return ABLClassifier(**{**common, **sched, **kw})


#: defense name -> factory ``f(common_params, **params)``
DEFENSES = {
    "no_defense": _defense("StandardClassifier"),
    "e2abl": _defense("E2ABLClassifier"),
    "e2abl_paper": _defense("E2ABLClassifier", detector="paper"),
    "abl": _abl,
    "nad": _defense("NADClassifier"),
    "fp": _defense("FinePruningClassifier"),
    # plain training on the *clean* training set, scored on the attack's triggered test set:
    # how often a model that never saw poison maps the trigger to the target (the ASR floor)
    "clean_model": _defense("StandardClassifier"),
    # plain training on the poisoned training set with its poisoned rows dropped: a filter that
    # finds every poisoned row and nothing else (the best any isolation can do). Its CA is what
    # an attack leaves to learn from; a defense's CA below it is the defense's own cost
    "poison_removed": _defense("StandardClassifier"),
}
#: defenses that train on the clean training set even in an attacked cell
CLEAN_TRAINING = {"clean_model"}
#: defenses that train on the poisoned training set without its poisoned rows
POISON_REMOVED = {"poison_removed"}
#: reference models beside the defenses: what no defense, a model that never saw poison and a
#: perfect filter reach
REFERENCES = ("no_defense", *CLEAN_TRAINING, *POISON_REMOVED)

TARGETS = ("first", "majority", "minority")


def parse_spec(spec: str, registry: dict, kind: str, extra=()) -> tuple[str, dict]:
    """Split ``"name:key=value,..."`` into the name and its parameters, checking the name."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"{kind} must be a non-empty string; got {spec!r}.")
    name, _, params = spec.strip().partition(":")
    if name not in registry and name not in extra:
        valid = ", ".join([*registry, *extra])
        raise ValueError(f"unknown {kind} {name!r}; valid {kind}s: {valid}.")
    kwargs = {}
    for part in filter(None, (p.strip() for p in params.split(","))):
        key, eq, value = part.partition("=")
        if not eq or not key.strip().isidentifier():
            raise ValueError(f"{kind} parameters must read key=value; got {part!r} in {spec!r}.")
        try:
            kwargs[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            kwargs[key.strip()] = value.strip()
    return name, kwargs


def resolve_target(y, which):
    """The target label for ``which``: "first", "majority", "minority" (of the classes with at
    least two cases) or a label of ``y`` (compared as text)."""
    labels, counts = np.unique(y, return_counts=True)
    if which == "first":
        return labels[0]
    if which == "majority":
        return labels[np.argmax(counts)]
    if which == "minority":
        return labels[np.argmin(np.where(counts >= 2, counts, np.inf))]
    match = [lab for lab in labels if str(lab) == str(which)]
    if not match:
        raise ValueError(
            f"target {which!r} is neither one of {list(TARGETS)} nor a label of the data: {[str(v) for v in labels]}."
        )
    return match[0]

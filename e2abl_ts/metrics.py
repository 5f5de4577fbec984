"""How to judge a defense: clean accuracy, attack success rate, the target class's accuracy, isolation and
recovery precision."""

from __future__ import annotations

import numpy as np


def clean_accuracy(estimator, X, y) -> float:
    """Accuracy on the clean test set (CA)."""
    return float(np.mean(estimator.predict(X) == np.asarray(y)))


def attack_success_rate(estimator, attack, X, y) -> float:
    """ASR: fraction of *non-target* test rows that, triggered, are classified as the target.

    ``attack`` is a fitted attack (``fit_resample`` has run); ``estimator`` may be a pipeline
    that contains it (its attack step is skipped at predict time).
    """
    X_attack, y_attack = attack.make_attack_set(X, y)
    return float(np.mean(estimator.predict(X_attack) == y_attack))


def target_class_accuracy(estimator, X, y, target) -> float:
    """Accuracy on the clean test rows of the class ``target`` (its recall); nan when ``y`` has none.

    Read it beside the ASR: a model that never predicts the target class sends no triggered row
    there either, so a low ASR with a low target-class accuracy was bought by losing the class,
    not by unlearning the trigger.
    """
    y = np.asarray(y)
    rows = y == target
    if not rows.any():
        return float("nan")
    X_target = [x for x, keep in zip(X, rows) if keep] if isinstance(X, list) else np.asarray(X)[rows]
    return float(np.mean(estimator.predict(X_target) == target))


def isolation_precision_recall(suspected, poison_indices) -> tuple[float, float]:
    """Precision and recall of a suspected set against the truly poisoned rows.

    ``suspected`` is a boolean mask over the training rows (e.g. ``suspected_poison_mask_``)
    or an array of row indices. Precision is nan when nothing is suspected.
    """
    suspected = np.asarray(suspected)
    rows = np.flatnonzero(suspected) if suspected.dtype == bool else suspected.astype(int)
    poison = np.asarray(poison_indices, dtype=int)
    hits = np.isin(rows, poison).sum()
    precision = float(hits / len(rows)) if len(rows) else float("nan")
    recall = float(hits / len(poison)) if len(poison) else float("nan")
    return precision, recall


def recovery_precision(recovered_indices, recovered_labels, y_clean) -> float:
    """Fraction of relabelled rows whose new label equals their original clean label.

    ``y_clean`` holds the training labels before poisoning; nan when nothing was relabelled.
    """
    idx = np.asarray(recovered_indices, dtype=int)
    if len(idx) == 0:
        return float("nan")
    return float(np.mean(np.asarray(recovered_labels) == np.asarray(y_clean)[idx]))


def backdoor_scorer(attack_step: str = "attack", asr_weight: float = 1.0):
    """A scorer for ``GridSearchCV`` over a pipeline with an attack step: ``CA - asr_weight * ASR``.

    At scoring time the pipeline's attack step has been fitted on the training fold; the
    validation fold is scored clean (CA) and triggered with that fold's trigger (ASR).
    """
    if asr_weight < 0:
        raise ValueError(f"asr_weight must be non-negative; got {asr_weight}.")

    def score(estimator, X, y):
        steps = getattr(estimator, "named_steps", None)
        if steps is None or attack_step not in steps:
            raise ValueError(f"backdoor_scorer needs a pipeline with a step named {attack_step!r}; "
                             f"got {type(estimator).__name__} with steps {list(steps or [])}.")
        return clean_accuracy(estimator, X, y) - asr_weight * attack_success_rate(estimator, steps[attack_step], X, y)

    return score

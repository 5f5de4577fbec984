import numpy as np
import pytest
from imblearn.pipeline import Pipeline
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from conftest import TINY
from e2abl_ts import StandardClassifier
from e2abl_ts.attacks import StaticTriggerAttack
from e2abl_ts.metrics import (
    attack_success_rate,
    clean_accuracy,
    isolation_precision_recall,
    recovery_precision,
    target_class_accuracy,
)


@pytest.mark.parametrize("pattern", ["square", "sine", "burst"])
def test_static_trigger_contract(toy, pattern):
    X, y = toy
    X_copy, y_copy = X.copy(), y.copy()
    attack = StaticTriggerAttack(target_label="a", poison_rate=0.25, pattern=pattern, random_state=0)
    Xp, yp = attack.fit_resample(X, y)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    assert Xp.shape == X.shape and Xp.dtype == np.float32
    idx = attack.poison_indices_
    assert len(idx) == round(0.25 * len(X))
    changed = np.flatnonzero(np.any(Xp != X, axis=(1, 2)))
    np.testing.assert_array_equal(changed, idx)
    np.testing.assert_array_equal(np.flatnonzero(yp != y), idx)
    assert np.all(yp[idx] == "a") and np.all(y[idx] != "a")
    # same seed, same poisoned set; another seed, other rows
    Xq, _ = clone(attack).fit_resample(X, y)
    np.testing.assert_array_equal(Xp, Xq)
    assert not np.array_equal(StaticTriggerAttack(target_label="a", poison_rate=0.25, random_state=1)
                              .fit_resample(X, y)[1], yp)


def test_apply_trigger_and_attack_set(toy):
    X, y = toy
    attack = StaticTriggerAttack(target_label="a", random_state=0)
    with pytest.raises(NotFittedError, match="fit_resample"):
        attack.apply_trigger(X)
    Xp, _ = attack.fit_resample(X, y)
    np.testing.assert_allclose(attack.apply_trigger(X)[attack.poison_indices_], Xp[attack.poison_indices_])
    Xa, ya = attack.make_attack_set(X, y)
    assert len(Xa) == np.sum(y != "a") and np.all(ya == "a")
    # 2D input stays 2D
    assert attack.fit_resample(X[:, 0], y)[0].ndim == 2


def test_unequal_length_trigger_sits_inside_each_series(vowels):
    X, y = vowels[0][:100], vowels[1][:100]
    attack = StaticTriggerAttack(target_label=y[0], position="end", random_state=0)
    Xp, _ = attack.fit_resample(X, y)
    assert isinstance(Xp, list) and [x.shape for x in Xp] == [x.shape for x in X]
    i = attack.poison_indices_[0]
    diff = np.abs(Xp[i] - X[i]).sum(axis=0)
    assert diff[-1] > 0 and np.all(np.isfinite(Xp[i]))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"target_label": "z"}, "not among the labels"),
        ({"poison_rate": 1.5}, "poison_rate"),
        ({"poison_rate": 0.001}, "poisons no row"),
        ({"poison_rate": 0.9}, "only 30 rows are eligible"),
    ],
)
def test_attack_bad_input(toy, params, match):
    X, y = toy
    with pytest.raises(ValueError, match=match):
        StaticTriggerAttack(**{"target_label": "a", **params}).fit_resample(X, y)


def test_attack_rejects_nan(toy):
    X, y = toy
    X = X.copy()
    X[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        StaticTriggerAttack(target_label="a").fit_resample(X, y)


def test_pipeline_poisons_at_fit_time_only(vowels):
    X_train, y_train, X_test, y_test = vowels
    attack = StaticTriggerAttack(target_label="1", random_state=0)
    pipe = Pipeline([("attack", attack), ("clf", StandardClassifier(**{**TINY, "n_epochs": 12}, random_state=0))])
    pipe.fit(X_train, y_train)
    # plain training learns the backdoor: triggered test series go to the target class
    assert attack_success_rate(pipe, attack, X_test, y_test) > 0.5
    assert clean_accuracy(pipe, X_test, y_test) > 0.6


def test_metrics():
    assert isolation_precision_recall(np.array([True, True, False, False]), [1, 2]) == (0.5, 0.5)
    assert isolation_precision_recall(np.array([0, 3]), [0]) == (0.5, 1.0)
    assert np.isnan(isolation_precision_recall(np.zeros(3, bool), [0])[0])
    assert recovery_precision([0, 2], ["a", "c"], np.array(["a", "b", "b"])) == 0.5
    assert np.isnan(recovery_precision([], [], np.array(["a"])))


class _FirstStep:
    """Predicts "a" for a series whose first value is positive, "b" otherwise."""

    def predict(self, X):
        return np.array(["a" if x[0][0] > 0 else "b" for x in X])


def test_target_class_accuracy_scores_only_the_target_rows():
    X = np.array([[[1.0]], [[-1.0]], [[1.0]], [[-1.0]], [[-1.0]]])
    y = np.array(["a", "a", "b", "b", "a"])
    before = X.copy()
    assert target_class_accuracy(_FirstStep(), X, y, "a") == pytest.approx(1 / 3)  # rows 0, 1, 4: one right
    assert target_class_accuracy(_FirstStep(), X, y, "b") == 0.5  # rows 2, 3: row 3 right
    # aeon's list of unequal-length series (lengths 1 and 2): the same rows
    uneven = [np.concatenate([x, x], axis=1) if i % 2 else x for i, x in enumerate(X)]
    assert target_class_accuracy(_FirstStep(), uneven, y, "a") == pytest.approx(1 / 3)
    assert np.isnan(target_class_accuracy(_FirstStep(), X, y, "c"))  # no test row of the class
    assert np.array_equal(X, before)


# --- optimised, sample-specific attacks (small surrogate, CPU, seconds) -----------------------
from e2abl_ts.attacks import TimeTrojanDEAttack, TimeTrojanFGSMAttack, TSBAAttack  # noqa: E402

FAST_SURROGATE = dict(surrogate="fcn", surrogate_epochs=3, device="cpu")
OPTIMISED = [
    lambda **kw: TimeTrojanFGSMAttack(target_label="1", n_rounds=1, **FAST_SURROGATE, **kw),
    lambda **kw: TimeTrojanDEAttack(target_label="1", n_rounds=0, popsize=3, maxiter=2, **FAST_SURROGATE, **kw),
    lambda **kw: TSBAAttack(target_label="1", generator_epochs=2, **FAST_SURROGATE, **kw),
]


@pytest.fixture(scope="module")
def vowels_equal(vowels):
    """JapaneseVowels cut to a common length of 7 steps: equal-length, real, small."""
    X_train, y_train, X_test, y_test = vowels
    return (np.stack([x[:, :7] for x in X_train]).astype(np.float32), y_train,
            np.stack([x[:, :7] for x in X_test]).astype(np.float32), y_test)


@pytest.mark.parametrize("make", OPTIMISED, ids=["tt-fgsm", "tt-de", "tsba"])
def test_optimised_attack_contract(vowels_equal, make):
    X, y, X_test, _ = vowels_equal
    X, y = X[:80], y[:80]
    X_copy = X.copy()
    attack = make(poison_rate=0.1, random_state=0)
    with pytest.raises(NotFittedError):
        attack.apply_trigger(X)
    Xp, yp = attack.fit_resample(X, y)
    np.testing.assert_array_equal(X, X_copy)
    assert Xp.shape == X.shape and Xp.dtype == np.float32
    idx = attack.poison_indices_
    assert len(idx) == 8
    np.testing.assert_array_equal(np.flatnonzero(np.any(Xp != X, axis=(1, 2))), idx)
    np.testing.assert_array_equal(np.flatnonzero(yp != y), idx)
    # sample-specific: two series get different triggers
    delta = Xp[idx] - X[idx]
    assert not np.allclose(delta[0], delta[1])
    Xq, yq = clone(attack).fit_resample(X, y)
    np.testing.assert_array_equal(Xp, Xq)
    assert attack.apply_trigger(X_test[:5]).shape == X_test[:5].shape
    with pytest.raises(ValueError, match="channels"):
        attack.apply_trigger(X_test[:5, :3])


def test_tt_fgsm_trigger_is_sparse_and_learned(vowels_equal):
    X, y, X_test, y_test = vowels_equal
    attack = TimeTrojanFGSMAttack(target_label="1", n_points=0.1, eta=2.0, n_rounds=1, **FAST_SURROGATE,
                                  random_state=0)
    Xp, yp = attack.fit_resample(X, y)
    delta = Xp[attack.poison_indices_] - X[attack.poison_indices_]
    changed = np.count_nonzero(delta.reshape(len(delta), -1), axis=1)
    assert np.all(changed <= round(0.1 * 12 * 7))
    plain = StandardClassifier(**{**TINY, "n_epochs": 15}, random_state=0).fit(Xp, yp)
    # 9 classes: chance is 1/9; measured 0.74 with this tiny network
    assert attack_success_rate(plain, attack, X_test, y_test) > 0.3


def test_tsba_trigger_is_bounded_and_multiplicative(vowels_equal):
    X, y, _, _ = vowels_equal
    attack = TSBAAttack(target_label="1", amplitude=0.1, generator_epochs=2, **FAST_SURROGATE, random_state=0)
    Xp, _ = attack.fit_resample(X, y)
    idx = attack.poison_indices_
    ratio = np.abs(Xp[idx] - X[idx]) / np.maximum(np.abs(X[idx]), 1e-6)
    assert ratio.max() <= 0.1 + 1e-5 and ratio.max() > 0

"""The image adapter on scikit-learn's digits: input checks, each attack's contract, and the
core behaviour (BadNets learned by plain training, trapped by E2ABL) with a tiny ResNet-18."""

import numpy as np
import pytest
from imblearn.pipeline import Pipeline
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from e2abl_ts import E2ABLClassifier
from e2abl_ts.attacks import StaticTriggerAttack
from e2abl_ts.image import (
    ABLImageClassifier,
    BadNetsAttack,
    BlendAttack,
    E2ABLImageClassifier,
    FinePruningImageClassifier,
    LabelConsistentAttack,
    NADImageClassifier,
    SIGAttack,
    StandardImageClassifier,
    TrojanAttack,
    load_digits_images,
    load_image_dataset,
)
from e2abl_ts.metrics import attack_success_rate, clean_accuracy, isolation_precision_recall

TINY = dict(backbone="resnet18", backbone_kwargs={"width": 8}, random_state=0)
SURROGATE = dict(surrogate_kwargs={"width": 4}, surrogate_epochs=1)


@pytest.fixture(scope="module")
def digits():
    return load_digits_images()


def make(cls, target=0, rate=0.1):
    extra = SURROGATE if cls in (TrojanAttack, LabelConsistentAttack) else {}
    if cls is TrojanAttack:
        extra = {**extra, "steps": 5}
    return cls(target, rate, random_state=0, **extra)


DIRTY = [BadNetsAttack, BlendAttack, TrojanAttack]
CLEAN = [SIGAttack, LabelConsistentAttack]


@pytest.mark.parametrize("cls", DIRTY + CLEAN)
def test_attack_contract(cls, digits):
    X, y = digits[0][:300], digits[1][:300]
    X_before, y_before = X.copy(), y.copy()
    attack = make(cls, rate=0.05)
    X_p, y_p = attack.fit_resample(X, y)
    np.testing.assert_array_equal(X, X_before)  # the caller's arrays are untouched
    np.testing.assert_array_equal(y, y_before)
    assert X_p.shape == X.shape and X_p.dtype == X.dtype and X_p.min() >= 0 and X_p.max() <= 1
    idx = attack.poison_indices_
    assert len(idx) == 15
    changed = np.flatnonzero(np.any(X_p != X, axis=(1, 2, 3)))
    assert set(changed) <= set(idx) and len(changed) >= 13  # a trigger may coincide with a few pixels
    if cls in DIRTY:
        assert (y[idx] != 0).all() and (y_p[idx] == 0).all()
    else:  # clean-label: target-class images, labels kept
        assert (y[idx] == 0).all() and np.array_equal(y_p, y)
    triggered = attack.apply_trigger(digits[2][:20])
    assert triggered.shape == (20, 1, 8, 8) and not np.array_equal(triggered, digits[2][:20])
    X_a, y_a = attack.make_attack_set(digits[2][:50], digits[3][:50])
    assert len(X_a) == (digits[3][:50] != 0).sum() and (y_a == 0).all()
    # the same random_state, the same poison
    X_p2, _ = clone(attack).fit_resample(X, y)
    np.testing.assert_array_equal(X_p, X_p2)


def test_uint8_and_grayscale_layouts_come_back_as_given(digits):
    X = np.rint(digits[0][:200, 0] * 255).astype(np.uint8)  # (n, h, w) uint8
    attack = BadNetsAttack(0, 0.1, random_state=0)
    X_p, _ = attack.fit_resample(X, digits[1][:200])
    assert X_p.dtype == np.uint8 and X_p.shape == X.shape
    assert set(np.unique(X_p[attack.poison_indices_, -3:, -3:])) == {0, 255}
    assert attack.apply_trigger(X[:5]).dtype == np.uint8


def test_bad_input_gets_clear_errors(digits):
    X, y = digits[0][:100], digits[1][:100]
    series = np.random.default_rng(0).normal(size=(40, 3, 50)).astype(np.float32)
    with pytest.raises(ValueError, match="time series goes to e2abl_ts.E2ABLClassifier"):
        E2ABLImageClassifier(**TINY, n_epochs=3).fit(series, np.arange(40) % 2)
    with pytest.raises(ValueError, match="time series"):
        StandardImageClassifier(**TINY).fit(series[:, 0], np.arange(40) % 2)
    with pytest.raises(ValueError, match=r"images\? use the estimators and attacks in e2abl_ts.image"):
        E2ABLClassifier(backbone="fcn", n_epochs=3).fit(X, y)
    with pytest.raises(ValueError, match=r"images\?"):
        StaticTriggerAttack(0, 0.1).fit_resample(X, y)
    with pytest.raises(ValueError, match="channels-last"):
        StandardImageClassifier(**TINY).fit(np.zeros((10, 8, 8, 3)), np.arange(10) % 2)
    with pytest.raises(ValueError, match="floats in \\[0, 1\\] or uint8"):
        BadNetsAttack(0, 0.1).fit_resample(X * 16, y)
    X_nan = X.copy()
    X_nan[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        StandardImageClassifier(**TINY).fit(X_nan, y)
    with pytest.raises(ValueError, match="NaN"):
        BlendAttack(0, 0.1).fit_resample(X_nan, y)
    with pytest.raises(ValueError, match=r"only 7 rows are eligible \(images of the target class"):
        SIGAttack(0, 0.2).fit_resample(X, y)
    with pytest.raises(ValueError, match="too large"):
        BadNetsAttack(0, 0.1, patch_size=5).fit_resample(X, y)
    with pytest.raises(ValueError, match="unknown image dataset 'mnist'.*digits, fashion-mnist"):
        load_image_dataset("mnist")
    with pytest.raises(ValueError, match="dataset-fashion-mnist"):
        load_image_dataset("fashion-mnist", root="/nonexistent")


@pytest.mark.parametrize("cls", [StandardImageClassifier, E2ABLImageClassifier, ABLImageClassifier,
                                 NADImageClassifier, FinePruningImageClassifier])
def test_every_defense_fits_images_and_is_a_sklearn_estimator(cls, digits):
    X, y, X_test, y_test = digits[0][:200], digits[1][:200], digits[2][:60], digits[3][:60]
    n_epochs = {ABLImageClassifier: 5}.get(cls, 3)
    kw = dict(isolation_epochs=1, unlearning_epochs=1) if cls is ABLImageClassifier else {}
    clf = cls(**TINY, n_epochs=n_epochs, **kw).fit(X, y)
    proba = clf.predict_proba(X_test)
    assert proba.shape == (60, 10) and np.allclose(proba.sum(1), 1, atol=1e-5)
    assert clf.module_.dim == 2 and clone(clf).get_params() == clf.get_params()
    np.testing.assert_array_equal(cls(**TINY, n_epochs=n_epochs, **kw).fit(X, y).predict(X_test), clf.predict(X_test))
    with pytest.raises(ValueError, match="channels"):
        clf.predict(np.zeros((3, 3, 8, 8), dtype=np.float32))


def test_pipeline_and_grid_search_with_an_image_attack(digits):
    X, y = digits[0][:240], digits[1][:240]
    pipe = Pipeline([("attack", BadNetsAttack(0, 0.1, random_state=0)),
                     ("clf", E2ABLImageClassifier(**TINY, n_epochs=3))])
    search = GridSearchCV(pipe, {"clf__isolation_rate": [0.1, 0.2]}, cv=2).fit(X, y)
    assert set(search.cv_results_["param_clf__isolation_rate"]) == {0.1, 0.2}


# the issue asks for BadNets; Blend (50 s more on two cores) runs with the slow evaluations (-m slow)
@pytest.mark.parametrize("cls", [BadNetsAttack, pytest.param(BlendAttack, marks=pytest.mark.slow)])
def test_dirty_label_attack_is_learned_by_plain_training_and_trapped_by_e2abl(cls, digits):
    """Measured (resnet18 width 16, 15 epochs, seeds 0-4, 2-core CPU): no defense ASR 100%, CA
    97.4-98.9%; E2ABL ASR <= 0.2% on all 15 fits of BadNets, Blend and Trojan, with
    cluster_mode="tracked" ("auto" on images): the split of label 0 in the shared layers' grid
    features finds the poisoned rows, which are relabelled by true-class recovery, and the rest
    of the label trains the main head. Before it, BadNets got through on seeds 0-2 on one CPU
    and not on another. Asserted with margins."""
    X_train, y_train, X_test, y_test = digits
    attack = cls(0, 0.1, random_state=0)
    X_p, y_p = attack.fit_resample(X_train, y_train)
    kw = dict(backbone="resnet18", backbone_kwargs={"width": 16}, n_epochs=15, random_state=0)
    plain = StandardImageClassifier(**kw).fit(X_p, y_p)
    assert attack_success_rate(plain, attack, X_test, y_test) > 0.9
    assert clean_accuracy(plain, X_test, y_test) > 0.95
    e2abl = E2ABLImageClassifier(**kw).fit(X_p, y_p)
    assert attack_success_rate(e2abl, attack, X_test, y_test) < 0.05
    assert clean_accuracy(e2abl, X_test, y_test) > 0.95
    assert isolation_precision_recall(e2abl.suspected_poison_mask_, attack.poison_indices_)[1] > 0.9
    assert e2abl.backdoor_label_ == 0
    # the split returned the clean rows of label 0 to the main head: the class is still predicted
    assert (e2abl.predict(X_test[y_test == 0]) == 0).mean() > 0.9
    # the poisoned rows were relabelled away from the target; for BadNets often with their true
    # class (measured 71%, 66% before flag_band, 49% with it, where ASR 0.0 and CA 98.5 against 0.2 and
    # 97.8: a 3 x 3 patch leaves the digit readable; chance is 10%). Blend's noise muddles the content:
    # its rows get their true class about as often as chance, and relabelling them still unlearns it
    poison = np.isin(e2abl.recovered_indices_, attack.poison_indices_)
    assert poison.sum() > 0.9 * len(attack.poison_indices_) and poison.mean() > 0.8
    assert (e2abl.recovered_labels_ != 0).all()
    true_class = e2abl.recovered_labels_[poison] == y_train[e2abl.recovered_indices_[poison]]
    if cls is BadNetsAttack:
        assert true_class.mean() > 0.4


def _write_idx(path, array):
    import gzip

    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + array.astype(np.uint8).tobytes())


def test_fashion_mnist_idx_files_are_read(tmp_path):
    rng = np.random.default_rng(0)
    images = {s: rng.integers(0, 256, size=(n, 28, 28)) for s, n in (("train", 30), ("t10k", 20))}
    labels = {s: np.arange(len(images[s])) % 10 for s in images}
    for s in images:
        _write_idx(tmp_path / f"{s}-images-idx3-ubyte.gz", images[s])
        _write_idx(tmp_path / f"{s}-labels-idx1-ubyte.gz", labels[s])
    X_tr, y_tr, X_te, y_te = load_image_dataset("fashion-mnist", root=str(tmp_path), n_train=20)
    assert X_tr.shape == (20, 1, 28, 28) and X_tr.dtype == np.uint8 and X_te.shape == (20, 1, 28, 28)
    assert np.bincount(y_tr).tolist() == [2] * 10  # a stratified subset
    np.testing.assert_array_equal(X_te[:, 0], images["t10k"])
    np.testing.assert_array_equal(y_te, labels["t10k"])


def test_auto_pooling_follows_the_image_size(digits, monkeypatch):
    from e2abl_ts import classifier

    seen = []

    class Spy(classifier.DualHeadNetwork):
        def __init__(self, *args, **kwargs):
            seen.append(kwargs.get("second_head_pool"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(classifier, "DualHeadNetwork", Spy)
    X, y = digits[0][:64], digits[1][:64]
    big = np.repeat(np.repeat(X, 2, axis=2), 2, axis=3)  # 16 x 16
    E2ABLImageClassifier(**TINY, n_epochs=3).fit(X, y)
    E2ABLImageClassifier(**TINY, n_epochs=3).fit(big, y)
    E2ABLImageClassifier(**TINY, n_epochs=3, second_head_pool="avg").fit(big, y)
    assert seen == ["avg", "avgmax", "avg"]


# "auto" keeps the second head's gradient and stage 1 on images (held_back / stage 2: series only), and
# warms up at 0.01 (the paper's 0.1: series only)
@pytest.mark.parametrize("param, resolved, other", [("detach_second_head", False, "held_back"), ("attach_stage", 1, 2),
                                                    ("warmup_lr", 0.01, 0.1)])
def test_auto_choices_on_images(digits, param, resolved, other):
    X, y = digits[:2]
    X_p, y_p = BadNetsAttack(0, 0.1, random_state=0).fit_resample(X[:200], y[:200])
    kw = dict(backbone="resnet18", backbone_kwargs={"width": 4}, n_epochs=3, random_state=0)
    proba = {v: E2ABLImageClassifier(**kw, **{param: v}).fit(X_p, y_p).predict_proba(X[:50])
             for v in ("auto", resolved, other)}
    assert np.array_equal(proba["auto"], proba[resolved])
    assert not np.allclose(proba["auto"], proba[other])

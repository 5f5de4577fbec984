import numpy as np
import pytest

from e2abl_ts import E2ABLClassifier
from e2abl_ts.__main__ import main
from e2abl_ts.datasets import load_dataset


def test_aeon_unequal_length_comes_back_as_lists_the_estimators_accept():
    X_train, y_train, X_test, y_test = load_dataset("JapaneseVowels")
    assert isinstance(X_train, list) and X_train[0].dtype == np.float32
    assert len(X_train) == len(y_train) == 270 and len(X_test) == len(y_test) == 370
    assert all(np.isfinite(x).all() for x in X_train)
    E2ABLClassifier(backbone="fcn", backbone_kwargs={"widths": (4, 4, 4)}, n_epochs=3).fit(X_train[:50], y_train[:50])


def test_npz_with_X_y_is_split_stratified(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 1, 20)).astype(np.float32)
    y = np.array(["a"] * 30 + ["b"] * 19 + ["c"])  # a class with a single case stays in train
    np.savez(tmp_path / "d.npz", X=X, y=y)
    X_tr, y_tr, X_te, y_te = load_dataset(str(tmp_path / "d.npz"))
    assert len(X_tr) + len(X_te) == 50 and "c" in y_tr and set(y_te) == {"a", "b"}


def test_bad_dataset_names_and_formats():
    with pytest.raises(ValueError, match="Offline, use one that aeon ships"):
        load_dataset("NoSuchDatasetAnywhere")
    with pytest.raises(ValueError, match="unknown file format"):
        load_dataset("./data.csv")
    with pytest.raises(ValueError, match="unknown file format"):
        load_dataset("data.arff")
    with pytest.raises(ValueError, match="no such file"):
        load_dataset("missing.npz")


def test_demo_runs_end_to_end(capsys):
    assert main(["demo", "--epochs", "3", "--backbone", "fcn", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "E2ABL, poisoned" in out and "inferred backdoor label" in out
    # CA, ASR and the target class's own accuracy in every model's line
    header = next(line for line in out.splitlines() if line.startswith("model"))
    assert header.split()[1:] == ["CA", "ASR", "target", "fit", "s"]
    assert all(line.count("%") == 3 for line in out.splitlines() if line.startswith(("no defense", "E2ABL,")))

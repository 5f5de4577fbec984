"""Every example runs end to end on tiny settings (offline data, a tiny backbone, few epochs)."""

import runpy
import sys

import numpy as np
import pytest

from e2abl_ts.datasets import load_dataset

EXAMPLES = __import__("pathlib").Path(__file__).resolve().parents[1] / "examples"


def run(script, argv, monkeypatch):
    monkeypatch.setattr(sys, "argv", [str(EXAMPLES / script), *argv])
    monkeypatch.syspath_prepend(str(EXAMPLES))
    return runpy.run_path(str(EXAMPLES / script), run_name="__main__")


@pytest.mark.parametrize("script", ["ecg5000.py", "uwave.py", "arabic_digits.py"])
def test_dataset_examples(script, tmp_path, monkeypatch, capsys):
    if script == "arabic_digits.py":
        data = "JapaneseVowels"  # unequal length, as SpokenArabicDigits
    else:  # a local .npz, as the examples take offline
        X_train, y_train, X_test, y_test = load_dataset("ItalyPowerDemand")
        data = str(tmp_path / "d.npz")
        np.savez(data, X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test)
    run(script, ["--data", data, "--attacks", "square", "--defenses", "no_defense", "e2abl", "--backbone", "fcn",
                 "--epochs", "3"], monkeypatch)
    out = capsys.readouterr().out
    assert "no_defense ASR / CA" in out and "square" in out


def test_grid_search_example(monkeypatch, capsys):
    run("grid_search.py", ["--data", "ItalyPowerDemand", "--backbone", "fcn", "--epochs", "3", "--isolation-rates",
                           "0.2", "0.3", "--recovery-rates", "0.0", "--folds", "2"], monkeypatch)
    out = capsys.readouterr().out
    assert "best: {" in out and out.count("\n") >= 4

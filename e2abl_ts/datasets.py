"""Loaders returning float32 ``(n_cases, n_channels, n_timepoints)`` arrays and labels."""

from __future__ import annotations

import os

import numpy as np
from sklearn.model_selection import train_test_split

from ._validation import check_series, series_lengths

OFFLINE_DATASETS = ("JapaneseVowels", "BasicMotions", "GunPoint", "ItalyPowerDemand", "OSULeaf", "ArrowHead")


def load_dataset(name_or_path: str, *, test_size: float = 0.3, random_state: int = 0):
    """Load ``(X_train, y_train, X_test, y_test)`` from a UCR/UEA name or a local file.

    - a ``.npz`` with ``X_train``/``y_train``/``X_test``/``y_test``, or with ``X``/``y`` only,
      which is split stratified with ``test_size`` and ``random_state`` (classes with a single
      case go to the training side);
    - a ``.ts`` file (aeon's format): its ``_TRAIN.ts``/``_TEST.ts`` sibling is used as the
      test split when it exists, else the file is split as above;
    - any other string is a UCR/UEA dataset name loaded with ``aeon.datasets.load_classification``
      (aeon ships a few offline: ``OFFLINE_DATASETS``; the rest need internet).

    Unequal-length data come back in aeon's form, a list of 2D float32 arrays, which every
    estimator and attack accepts.
    """
    if name_or_path.endswith((".npz", ".ts")) and not os.path.isfile(name_or_path):
        raise ValueError(f"no such file: {name_or_path!r}.")
    if name_or_path.endswith(".npz"):
        return _load_npz(name_or_path, test_size, random_state)
    if name_or_path.endswith(".ts"):
        return _load_ts(name_or_path, test_size, random_state)
    if os.path.sep in name_or_path or os.path.exists(name_or_path) or os.path.splitext(name_or_path)[1]:
        # a path, or a name with an extension (UCR/UEA names have none)
        raise ValueError(f"unknown file format for {name_or_path!r}: expected a .npz or .ts file, or a UCR/UEA "
                         "dataset name.")
    from aeon.datasets import load_classification

    try:
        X_train, y_train = load_classification(name_or_path, split="train")
        X_test, y_test = load_classification(name_or_path, split="test")
    except Exception as exc:  # aeon raises several types for unknown names and failed downloads
        raise ValueError(
            f"could not load dataset {name_or_path!r} through aeon ({type(exc).__name__}: {exc}). "
            f"Offline, use one that aeon ships ({', '.join(OFFLINE_DATASETS)}) or a local .npz/.ts file."
        ) from exc
    return _as_float32(X_train), np.asarray(y_train), _as_float32(X_test), np.asarray(y_test)


def _as_float32(X):
    if series_lengths(X) is not None:
        return [np.asarray(x, dtype=np.float32) for x in X]
    return check_series(X)


def _split(X, y, test_size, random_state):
    classes, counts = np.unique(y, return_counts=True)
    single = np.isin(y, classes[counts < 2])
    rest = np.flatnonzero(~single)
    tr, te = train_test_split(rest, test_size=test_size, random_state=random_state, stratify=y[rest])
    tr = np.sort(np.concatenate([tr, np.flatnonzero(single)]))
    return X[tr], y[tr], X[np.sort(te)], y[np.sort(te)]


def _load_npz(path, test_size, random_state):
    with np.load(path, allow_pickle=False) as data:
        keys = set(data.files)
        if {"X_train", "y_train", "X_test", "y_test"} <= keys:
            return (check_series(data["X_train"]), data["y_train"], check_series(data["X_test"]), data["y_test"])
        if {"X", "y"} <= keys:
            return _split(check_series(data["X"]), data["y"], test_size, random_state)
    raise ValueError(f"{path} must hold X_train, y_train, X_test, y_test or X, y; it holds {sorted(keys)}.")


def _load_ts(path, test_size, random_state):
    from aeon.datasets import load_from_ts_file

    X, y = load_from_ts_file(path)
    for a, b in (("_TRAIN.ts", "_TEST.ts"), ("_TEST.ts", "_TRAIN.ts")):
        if path.endswith(a) and os.path.exists(path[: -len(a)] + b):
            X2, y2 = load_from_ts_file(path[: -len(a)] + b)
            pair = (_as_float32(X), np.asarray(y), _as_float32(X2), np.asarray(y2))
            return pair if a == "_TRAIN.ts" else (pair[2], pair[3], pair[0], pair[1])
    return _split(check_series(X), np.asarray(y), test_size, random_state)


def load_training_set(name_or_path: str):
    """The set to audit: every row of an ``.npz`` with ``X``/``y``, else the training split."""
    if name_or_path.endswith(".npz") and os.path.exists(name_or_path):
        with np.load(name_or_path, allow_pickle=False) as data:
            if {"X", "y"} <= set(data.files):
                return check_series(data["X"]), data["y"]
    X_train, y_train, _, _ = load_dataset(name_or_path)
    return X_train, y_train

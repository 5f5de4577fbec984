"""Image loaders: offline (scikit-learn's digits, Fashion-MNIST from the Debian package) and,
with torchvision and internet, CIFAR-10 and GTSRB. Each returns ``(X_train, y_train, X_test,
y_test)`` with images ``(n, c, h, w)`` in [0, 1] floats (digits) or uint8 (the rest)."""

from __future__ import annotations

import gzip
import os

import numpy as np
from sklearn.model_selection import train_test_split

FASHION_MNIST_DIRS = ("/usr/share/datasets/fashion-mnist",)
IMAGE_DATASETS = ("digits", "fashion-mnist", "cifar10", "gtsrb")


def load_image_dataset(name: str, *, n_train: int | None = None, n_test: int | None = None, random_state: int = 0,
                       root: str | None = None):
    """Load one of :data:`IMAGE_DATASETS`, optionally a stratified subset of ``n_train`` / ``n_test`` images."""
    loaders = {"digits": lambda: load_digits_images(random_state=random_state),
               "fashion-mnist": lambda: load_fashion_mnist(root),
               "cifar10": lambda: _torchvision("CIFAR10", root),
               "gtsrb": lambda: _torchvision("GTSRB", root)}
    if name not in loaders:
        raise ValueError(f"unknown image dataset {name!r}; valid names: {', '.join(IMAGE_DATASETS)}.")
    X_train, y_train, X_test, y_test = loaders[name]()
    X_train, y_train = _subset(X_train, y_train, n_train, random_state)
    X_test, y_test = _subset(X_test, y_test, n_test, random_state)
    return X_train, y_train, X_test, y_test


def load_digits_images(*, test_size: float = 0.3, random_state: int = 0):
    """scikit-learn's 1,797 handwritten digits, 8 x 8, as ``(n, 1, 8, 8)`` floats in [0, 1], split stratified."""
    from sklearn.datasets import load_digits

    data = load_digits()
    X = (data.images / 16.0).astype(np.float32)[:, None]
    X_tr, X_te, y_tr, y_te = train_test_split(X, data.target, test_size=test_size, random_state=random_state,
                                              stratify=data.target)
    return X_tr, y_tr, X_te, y_te


def load_fashion_mnist(root: str | None = None):
    """Fashion-MNIST (60,000 / 10,000 images, 28 x 28, uint8) from its idx files.

    ``root`` holds ``train-images-idx3-ubyte.gz`` and the three other files; by default the
    Debian package ``dataset-fashion-mnist`` (``apt install dataset-fashion-mnist``), which
    installs them under ``/usr/share/datasets/fashion-mnist``.
    """
    dirs = (root,) if root else FASHION_MNIST_DIRS
    for d in dirs:
        if os.path.isfile(os.path.join(d, "train-images-idx3-ubyte.gz")):
            parts = [_idx(os.path.join(d, f"{split}-{kind}-idx{dims}-ubyte.gz"))
                     for split in ("train", "t10k") for kind, dims in (("images", 3), ("labels", 1))]
            return parts[0][:, None], parts[1].astype(np.int64), parts[2][:, None], parts[3].astype(np.int64)
    raise ValueError(
        f"Fashion-MNIST not found in {', '.join(dirs)}: install the Debian package dataset-fashion-mnist "
        "(apt install dataset-fashion-mnist) or pass root= a folder with the four idx .gz files."
    )


def _idx(path):
    with gzip.open(path, "rb") as fh:
        raw = fh.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _torchvision(name, root):
    try:
        import torchvision
    except ImportError as exc:
        raise ValueError(f"{name} needs torchvision (pip install torchvision) and internet for the first "
                         "download; offline, use 'digits' or 'fashion-mnist'.") from exc
    root = root or os.path.join(os.path.expanduser("~"), ".cache", "e2abl_ts")
    out = []
    for train in (True, False):
        try:
            kw = {"train": train} if name == "CIFAR10" else {"split": "train" if train else "test"}
            ds = getattr(torchvision.datasets, name)(root, download=True, **kw)
        except Exception as exc:  # torchvision raises several types for failed downloads
            raise ValueError(f"could not load {name} through torchvision ({type(exc).__name__}: {exc}); offline, "
                             "use 'digits' or 'fashion-mnist'.") from exc
        if name == "CIFAR10":
            X, y = np.moveaxis(ds.data, -1, 1), np.asarray(ds.targets)
        else:  # GTSRB images vary in size: resized to 32 x 32 as is customary
            imgs = [np.asarray(img.convert("RGB").resize((32, 32))) for img, _ in ds]
            X, y = np.moveaxis(np.stack(imgs), -1, 1), np.asarray([t for _, t in ds])
        out += [X.astype(np.uint8), y.astype(np.int64)]
    return tuple(out)


def _subset(X, y, n, random_state):
    if n is None or n >= len(X):
        return X, y
    if n < 1:
        raise ValueError(f"a subset needs at least one image; got n={n}.")
    idx, _ = train_test_split(np.arange(len(X)), train_size=n, random_state=random_state, stratify=y)
    idx = np.sort(idx)
    return X[idx], y[idx]

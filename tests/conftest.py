import numpy as np
import pytest
from aeon.datasets import load_classification

# tiny networks and few epochs keep the suite fast on two CPU cores
TINY = dict(backbone="resnet", backbone_kwargs={"widths": (8, 16, 16)}, n_epochs=4, batch_size=16)


@pytest.fixture(scope="session")
def vowels():
    """JapaneseVowels, shipped with aeon (offline): 270/370 cases, 12 channels, unequal length."""
    X_train, y_train = load_classification("JapaneseVowels", split="train")
    X_test, y_test = load_classification("JapaneseVowels", split="test")
    return X_train, np.asarray(y_train), X_test, np.asarray(y_test)


@pytest.fixture
def toy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2, 30)).astype(np.float32)
    y = np.array(["a", "b", "c", "d"] * 10)
    X[y == "b", :, 5:10] += 2.0
    return X, y

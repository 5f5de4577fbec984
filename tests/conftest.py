import numpy as np
import pytest
from aeon.datasets import load_classification

# tiny networks and few epochs keep the suite fast on two CPU cores
TINY = dict(backbone="resnet", backbone_kwargs={"widths": (8, 16, 16)}, n_epochs=4, batch_size=16)
# scikit-learn's common checks fit every estimator dozens of times: 15 epochs of 10 batches of 32 on
# their 300 blobs pass check_classifiers_train (training accuracy > 0.83) for all five estimators,
# E2ABL included, at a third of the time of 30 epochs of batch 16 (on which E2ABL scored under 0.83)
CHECK_CONFIG = dict(backbone="fcn", backbone_kwargs={"widths": (8, 8, 8)}, n_epochs=15, batch_size=32, lr=0.05,
                    random_state=0)


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


# float32 convolutions of a batch of 20 and of 60 differ by ~2e-7 (the CPU backend picks its
# algorithm per shape); check_methods_subset_invariance's tolerance is 1e-7. Whether a fit's
# weights cross it depends on the CPU: in CI StandardClassifier passed and E2ABL did not, on
# another 2-core machine the reverse (1 of 60 probabilities off by 1.6e-7), and ABLClassifier too.
ROUND_OFF = {"check_methods_subset_invariance": "float32 batch-shape round-off of ~2e-7 against atol 1e-7"}

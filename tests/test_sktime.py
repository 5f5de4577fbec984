"""sktime interop (the ``sktime`` extra; the test extra installs it): its loaders and data formats feed our estimators."""

import numpy as np

from conftest import TINY
from e2abl_ts import E2ABLClassifier

# imported by module: a missing sktime is an error here, not a skip (CI installs it with the test extra)
import sktime.datasets
import sktime.datatypes


def test_sktime_loader_and_its_pandas_format_feed_the_estimators():
    X, y = sktime.datasets.load_basic_motions(split="train", return_type="numpy3D")
    X_test, y_test = sktime.datasets.load_basic_motions(split="test", return_type="numpy3D")
    assert X.shape == (40, 6, 100)  # sktime's numpy3D is aeon's (n_cases, n_channels, n_timepoints)
    clf = E2ABLClassifier(**TINY, random_state=0).fit(X, y)
    assert set(clf.classes_) == set(np.unique(y)) and clf.predict(X_test).shape == y_test.shape
    assert 0.0 <= clf.score(X_test, y_test) <= 1.0
    # sktime's pandas multi-index frame, converted by sktime, gives the same fit and the same predictions
    X_pd, y_pd = sktime.datasets.load_basic_motions(split="train", return_type="pd-multiindex")
    X_conv = sktime.datatypes.convert_to(X_pd, to_type="numpy3D")
    np.testing.assert_array_equal(X_conv, X)
    again = E2ABLClassifier(**TINY, random_state=0).fit(X_conv, y_pd)
    np.testing.assert_array_equal(again.predict(X_test), clf.predict(X_test))

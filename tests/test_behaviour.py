"""E2ABL on real data (JapaneseVowels, shipped with aeon) poisoned with an additive trigger."""

import numpy as np
import pytest
from aeon.datasets import load_classification

from e2abl_ts import E2ABLClassifier, StandardClassifier
from e2abl_ts.attacks import StaticTriggerAttack
from e2abl_ts.metrics import attack_success_rate, clean_accuracy, isolation_precision_recall

# the Wang ResNet at its published widths; narrower (32/64/64) it isolates only 78% (issue 6)
SMALL = dict(backbone="resnet", n_epochs=12, random_state=0)


@pytest.fixture(scope="module")
def poisoned_fits(vowels):
    X_train, y_train, X_test, y_test = vowels
    attack = StaticTriggerAttack(target_label="1", poison_rate=0.1, random_state=0)
    X_p, y_p = attack.fit_resample(X_train, y_train)
    plain = StandardClassifier(**SMALL).fit(X_p, y_p)
    e2abl = E2ABLClassifier(**SMALL).fit(X_p, y_p)
    return attack, plain, e2abl, X_test, y_test


def test_plain_training_learns_the_backdoor(poisoned_fits):
    attack, plain, _, X_test, y_test = poisoned_fits
    assert attack_success_rate(plain, attack, X_test, y_test) > 0.8


def test_e2abl_isolates_the_poison_and_names_the_target(poisoned_fits):
    attack, _, e2abl, _, _ = poisoned_fits
    _, recall = isolation_precision_recall(e2abl.suspected_poison_mask_, attack.poison_indices_)
    assert recall >= 0.9
    assert e2abl.backdoor_label_ == "1" and e2abl.suspected_label_ == "1"
    # named at the end of the warm start, before any row was held back (measured: epoch 1)
    assert e2abl.attack_evidence_ == "warm_start"


def test_e2abl_resists_the_backdoor_and_keeps_clean_accuracy(poisoned_fits):
    attack, plain, e2abl, X_test, y_test = poisoned_fits
    asr_plain = attack_success_rate(plain, attack, X_test, y_test)
    asr_e2abl = attack_success_rate(e2abl, attack, X_test, y_test)
    assert asr_e2abl < asr_plain / 3
    assert clean_accuracy(e2abl, X_test, y_test) > clean_accuracy(plain, X_test, y_test) - 0.1


def test_paper_detector_is_kept_for_reproduction(poisoned_fits, vowels):
    attack, plain, _, X_test, y_test = poisoned_fits
    X_train, y_train, _, _ = vowels
    X_p, y_p = attack.fit_resample(X_train, y_train)
    paper = E2ABLClassifier(**SMALL, detector="paper").fit(X_p, y_p)
    _, recall = isolation_precision_recall(paper.suspected_poison_mask_, attack.poison_indices_)
    assert recall >= 0.9
    assert attack_success_rate(paper, attack, X_test, y_test) < attack_success_rate(plain, attack, X_test, y_test)
    assert paper.backdoor_label_ == "1" and paper.attack_evidence_ == "isolated_rows"



def test_without_recovery_the_target_is_still_named(poisoned_fits, vowels):
    # recovery_rate=0 used to skip the backdoor-label inference altogether
    attack, plain, _, X_test, y_test = poisoned_fits
    X_train, y_train, _, _ = vowels
    X_p, y_p = attack.fit_resample(X_train, y_train)
    e2abl = E2ABLClassifier(**SMALL, recovery_rate=0.0).fit(X_p, y_p)
    assert e2abl.backdoor_label_ == "1"
    assert len(e2abl.recovered_indices_) == 0
    # the tracked split's rows are unlearned instead (measured ASR 0.118, isolation recall 0.70: the
    # split holds 19 of the 27 poisoned rows in the last epochs; with recovery_rate=0.01, 1.00)
    assert attack_success_rate(e2abl, attack, X_test, y_test) < attack_success_rate(plain, attack, X_test, y_test) / 3
    warmup = E2ABLClassifier(**SMALL, recovery_rate=0.0, cluster_mode="warmup").fit(X_p, y_p)
    _, recall = isolation_precision_recall(warmup.suspected_poison_mask_, attack.poison_indices_)
    assert warmup.backdoor_label_ == "1" and recall >= 0.9


def test_the_label_scan_names_a_sine_the_warm_start_misses(vowels):
    """A sine on class "1" (10%, data seed 0), learned by the shallow model no faster than the vowels: the warm
    start's D_b holds 0-1 of the 27 poisoned rows, and on network seeds 10 and 30 it names nothing. The label
    scan then splits "1" at 3.2-3.8 pooled standard deviations: under the bar of 5 used before session 47 (ASR
    100 / 96.8, no label, measured with one thread), over today's 3.5 (0.6 / 0.0, named by "label_split")."""
    X_train, y_train, X_test, y_test = vowels
    attack = StaticTriggerAttack(target_label="1", poison_rate=0.1, pattern="sine", amplitude=0.6, window=1.0,
                                 random_state=0)
    X_p, y_p = attack.fit_resample(X_train, y_train)
    for seed in (10, 30):
        model = E2ABLClassifier(backbone="resnet", n_epochs=30, random_state=seed).fit(X_p, y_p)
        assert model.backdoor_label_ == "1"
        assert attack_success_rate(model, attack, X_test, y_test) < 0.05


def test_train_all_costs_nothing_on_clean_data(vowels):
    X_train, y_train, X_test, y_test = vowels
    plain = StandardClassifier(**SMALL).fit(X_train, y_train)
    held = E2ABLClassifier(**SMALL).fit(X_train, y_train)
    free = E2ABLClassifier(**SMALL, no_evidence="train_all").fit(X_train, y_train)
    # the default keeps holding back the fastest-learned rows, one easy label's (measured 27 of 30)
    assert held.suspected_poison_mask_.sum() > 0
    # the warm start was quiet: the label those rows carry (measured "1", from epoch 7) comes from the
    # hold-back's own feedback, so it is the label acted on, not an attack named
    assert held.suspected_label_ in held.classes_
    assert held.backdoor_label_ is None and held.attack_evidence_ is None
    # no evidence after the warm start: nothing held back, no attack named, no accuracy lost
    assert free.backdoor_label_ is None
    assert free.suspected_poison_mask_.sum() == 0
    assert len(free.recovered_indices_) == 0
    assert clean_accuracy(free, X_test, y_test) >= clean_accuracy(plain, X_test, y_test) - 0.02


def osuleaf_burst(pool):
    """OSULeaf (aeon ships it: 200/242, length 427), averaged over blocks of ``pool`` steps, with a
    short localized burst (8 steps, 1.5 sd) whose target is the majority class "4" (53 of 200):
    the case METHOD.md shows the paper's recipe failing on ECG5000, on data that ships offline."""
    def load(split):
        X, y = load_classification("OSULeaf", split=split)
        n = X.shape[-1] // pool * pool
        return X[..., :n].reshape(len(X), X.shape[1], -1, pool).mean(-1), y
    (X_train, y_train), (X_test, y_test) = load("train"), load("test")
    attack = StaticTriggerAttack(target_label="4", pattern="burst", amplitude=1.5, window=8, random_state=0)
    X_p, y_p = attack.fit_resample(X_train, y_train)
    return attack, X_p, y_p, X_test, y_test


def isolation_recall(model, attack):
    return isolation_precision_recall(model.suspected_poison_mask_, attack.poison_indices_)[1]


@pytest.fixture(scope="module")
def majority_burst():
    """The burst case at a size the suite can afford: length 106 (blocks of 4)."""
    return osuleaf_burst(4)


def test_robust_detector_holds_on_a_majority_class_burst(majority_burst):
    # Three seeds: a single fit here depends on the CPU. At full length and width, seed 0 was held
    # at ASR 0.12 on one 2-core machine and 0.51 on another (one poisoned row of 20 escaped), while
    # seeds 1 and 2 held (0.01, 0.10) on both. Measured on seeds 0, 1, 2 with this configuration:
    # plain ASR 0.90 / 1.00 / 0.67; the paper's recipe isolates 3 / 3 / 2 of the 20 poisoned rows
    # (recall 0.15 / 0.15 / 0.10) and lets 0.72 / 0.15 / 0.95 through; the robust detector isolates
    # 19 / 20 / 20 and names "4" each time, ASR 0.015 / 0 / 0. With one thread (another summation
    # order, as on another CPU) seed 0 isolates 16 and holds at 0.04.
    attack, X_p, y_p, X_test, y_test = majority_burst
    kw = dict(backbone="resnet", backbone_kwargs={"widths": (32, 64, 64)}, n_epochs=20)
    asr, recall = {"plain": [], "paper": [], "robust": []}, []
    for seed in (0, 1, 2):
        fits = {"plain": StandardClassifier(**kw, random_state=seed).fit(X_p, y_p),
                "paper": E2ABLClassifier(**kw, random_state=seed, detector="paper").fit(X_p, y_p),
                "robust": E2ABLClassifier(**kw, random_state=seed).fit(X_p, y_p)}
        for name, model in fits.items():
            asr[name].append(attack_success_rate(model, attack, X_test, y_test))
        recall.append(isolation_recall(fits["robust"], attack))
        assert isolation_recall(fits["paper"], attack) < 0.5  # the failure this detector exists for
        assert recall[-1] >= 0.75
        assert fits["robust"].backdoor_label_ == "4"
    assert np.median(recall) >= 0.95
    assert np.median(asr["plain"]) > 0.8
    assert np.mean(asr["paper"]) > 0.4
    assert np.median(asr["robust"]) < 0.1
    assert np.mean(asr["robust"]) < np.mean(asr["plain"]) / 3


@pytest.mark.slow
def test_robust_detector_holds_on_the_full_length_burst():
    """The same case at OSULeaf's full length and the published widths (about 110 s a fit on two
    cores; run with ``-m slow``). Measured on an AMD EPYC 2-core machine, seeds 0, 1, 2: ASR 0.51
    / 0.01 / 0.10, recall 0.95 / 1.00 / 1.00 (seed 0 was 0.12 on an earlier machine)."""
    attack, X_p, y_p, X_test, y_test = osuleaf_burst(1)
    asr, recall = [], []
    for seed in (0, 1, 2):
        robust = E2ABLClassifier(backbone="resnet", n_epochs=20, random_state=seed).fit(X_p, y_p)
        asr.append(attack_success_rate(robust, attack, X_test, y_test))
        recall.append(isolation_recall(robust, attack))
        assert robust.backdoor_label_ == "4"
    assert np.median(asr) < 0.3
    assert min(recall) >= 0.9

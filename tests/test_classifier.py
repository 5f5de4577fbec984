import pickle
import warnings

import joblib
import numpy as np
import pytest
import torch
from imblearn.pipeline import Pipeline as ImbPipeline
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from conftest import CHECK_CONFIG, ROUND_OFF, TINY
from e2abl_ts import E2ABLClassifier, StandardClassifier
from e2abl_ts.attacks import StaticTriggerAttack
from e2abl_ts.networks import BACKBONES, DualHeadNetwork, StagedBackbone, build_backbone


# every check passes but the round-off one (see conftest.py), E2ABL's check_classifiers_train included
@parametrize_with_checks(
    [E2ABLClassifier(**CHECK_CONFIG), StandardClassifier(**CHECK_CONFIG)],
    expected_failed_checks=lambda est: ROUND_OFF,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_backbones_expose_stages_and_accept_a_second_head_anywhere(name):
    net = build_backbone(name, 3, 5, backbone_kwargs={"width": 8} if "resnet3" in name or "18" in name else None)
    x = torch.randn(4, 3, 37)
    assert net(x).shape == (4, 5)
    for stage in range(1, len(net.stages) + 1):
        main, second = DualHeadNetwork(net, 5, stage)(x)
        assert main.shape == second.shape == (4, 5)
    with pytest.raises(ValueError, match="attach_stage must be between 1 and"):
        DualHeadNetwork(net, 5, len(net.stages) + 1)


def test_resnet34_has_the_paper_layout():
    net = build_backbone("resnet34", 1, 2)
    assert [len(s) for s in net.stages] == [3, 4, 6, 3]
    assert net.stage_channels == [64, 128, 256, 512]
    # a 140-step series (ECG5000) is downsampled 8x at most, not over-downsampled
    z = net.stem(torch.randn(2, 1, 140))
    for s in net.stages:
        z = s(z)
    assert z.shape[-1] == 18


def test_custom_backbone_factory(toy):
    X, y = toy

    def factory(n_channels, n_classes):
        return BACKBONES["fcn"](n_channels, n_classes, widths=(4, 4, 4))

    clf = E2ABLClassifier(backbone=factory, n_epochs=3, random_state=0).fit(X, y)
    assert clf.predict(X).shape == (40,)
    with pytest.raises(TypeError, match="StagedBackbone attributes"):
        E2ABLClassifier(backbone=lambda c, k: torch.nn.Linear(c, k), n_epochs=3).fit(X, y)


def test_audit_attributes(toy):
    X, y = toy
    clf = E2ABLClassifier(**TINY, random_state=0).fit(X, y)
    n = len(X)
    assert clf.poison_scores_.shape == (n,) and np.isfinite(clf.poison_scores_).all()
    assert clf.suspected_poison_mask_.dtype == bool and clf.suspected_poison_mask_.any()
    # without the tracked split (which holds its group and returns the rest of the label), the
    # suspected set is the isolation budget's top of the scores
    warmup = E2ABLClassifier(**TINY, random_state=0, cluster_mode="warmup").fit(X, y)
    mask, scores = warmup.suspected_poison_mask_, warmup.poison_scores_
    assert mask.sum() == round(0.2 * n) and scores[mask].min() >= scores[~mask].max()
    assert len(clf.history_) == TINY["n_epochs"]
    assert [h["phase"] for h in clf.history_] == ["warmup", "warmup", "train", "train"]
    assert {"main_loss", "second_loss", "n_suspected", "backdoor_label"} <= set(clf.history_[-1])
    assert set(clf.recovered_labels_) <= set(clf.classes_)
    assert clf.backdoor_label_ is None or clf.backdoor_label_ in clf.classes_
    # an attack is named only with its evidence, and it is the label the defense acted on
    assert (clf.backdoor_label_ is None) == (clf.attack_evidence_ is None)
    assert clf.backdoor_label_ is None or clf.backdoor_label_ == clf.suspected_label_
    # recovered rows get a label other than the one they were given
    assert np.all(clf.recovered_labels_ != y[clf.recovered_indices_])


def test_same_random_state_same_model(toy):
    X, y = toy
    a = E2ABLClassifier(**TINY, random_state=3).fit(X, y)
    b = E2ABLClassifier(**TINY, random_state=3).fit(X, y)
    c = E2ABLClassifier(**TINY, random_state=4).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    np.testing.assert_array_equal(a.poison_scores_, b.poison_scores_)
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))


def test_global_rng_untouched(toy):
    X, y = toy
    state = torch.get_rng_state()
    np_state = np.random.get_state()[1].copy()
    E2ABLClassifier(**TINY, random_state=0).fit(X, y)
    assert torch.equal(state, torch.get_rng_state())
    np.testing.assert_array_equal(np_state, np.random.get_state()[1])


def test_inputs_never_modified(toy):
    X, y = toy
    X_copy, y_copy = X.copy(), y.copy()
    clf = E2ABLClassifier(**TINY, random_state=0).fit(X, y)
    clf.predict(X)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)


def test_two_dimensional_input_is_univariate(toy):
    X, y = toy
    clf = StandardClassifier(**TINY, random_state=0).fit(X[:, 0], y)
    assert clf.n_channels_ == 1
    assert clf.predict(X[:, :1]).shape == (40,)


def test_unequal_length_list(vowels):
    X_train, y_train, X_test, _ = vowels
    assert len({x.shape[1] for x in X_train}) > 1
    clf = StandardClassifier(**TINY, random_state=0).fit(X_train[:60], y_train[:60])
    assert clf.predict(X_test[:10]).shape == (10,)
    assert clf.predict_proba(X_test[:10]).sum(axis=1) == pytest.approx(np.ones(10), abs=1e-5)


def test_two_classes_recovery_flips_to_the_other_class(toy):
    X, y = toy
    yy = np.where(y == "b", "b", "a")
    clf = E2ABLClassifier(**TINY, recovery_rate=0.05, random_state=0).fit(X, yy)
    assert len(clf.recovered_indices_) > 0
    np.testing.assert_array_equal(clf.recovered_labels_, np.where(yy[clf.recovered_indices_] == "a", "b", "a"))


def test_pickle_and_joblib_round_trip(toy, tmp_path):
    X, y = toy
    clf = E2ABLClassifier(**TINY, random_state=0).fit(X, y)
    for restored in (pickle.loads(pickle.dumps(clf)), _joblib_round_trip(clf, tmp_path)):
        np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def _joblib_round_trip(clf, tmp_path):
    joblib.dump(clf, tmp_path / "clf.joblib")
    return joblib.load(tmp_path / "clf.joblib")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU to fit on CUDA")
def test_fitted_on_cuda_pickles_to_cpu(toy):
    X, y = toy
    clf = E2ABLClassifier(**TINY, device="cuda", random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    assert next(restored.module_.parameters()).device.type == "cpu"
    restored.set_params(device="cpu")
    np.testing.assert_allclose(restored.predict_proba(X), clf.predict_proba(X), atol=1e-4)


def test_pipelines_grid_search_and_cross_validation(toy):
    X, y = toy
    grid = GridSearchCV(E2ABLClassifier(**TINY, random_state=0),
                        {"isolation_rate": [0.1, 0.2], "recovery_rate": [0.0, 0.05]}, cv=2)
    grid.fit(X, y)
    assert set(grid.best_params_) == {"isolation_rate", "recovery_rate"}
    assert len(cross_val_score(clone(E2ABLClassifier(**TINY, random_state=0)), X, y, cv=2)) == 2
    pipe = Pipeline([("scale", FunctionTransformer(lambda a: a * 2.0)), ("clf", StandardClassifier(**TINY))])
    assert pipe.fit(X, y).predict(X).shape == (40,)
    imb = ImbPipeline([("attack", StaticTriggerAttack(target_label="a", random_state=0)),
                       ("clf", E2ABLClassifier(**TINY, random_state=0))])
    assert imb.fit(X, y).predict(X).shape == (40,)


@pytest.mark.parametrize(
    "params, X_fn, y_fn, match",
    [
        ({}, lambda X: np.where(np.arange(X.size).reshape(X.shape) == 5, np.nan, X), None, "NaN"),
        ({}, lambda X: np.where(np.arange(X.size).reshape(X.shape) == 5, np.inf, X), None, "infinity"),
        ({}, lambda X: X[..., None], None, "got an array of shape"),
        ({}, lambda X: X[0, 0], None, "Expected 2D array, got 1D array"),
        ({}, None, lambda y: np.full(len(y), "a"), "at least 2 classes"),
        ({}, None, lambda y: y[:-1], "X has 40 cases, y has 39 labels"),
        ({"isolation_rate": 1.0}, None, None, "isolation_rate"),
        ({"isolation_rate": 0.0}, None, None, "isolation_rate"),
        ({"isolation_rate": 0.1, "recovery_rate": 0.2}, None, None, "recovery_rate must not exceed isolation_rate"),
        ({"isolation_rate": 0.01}, None, None, "isolates no sample out of 40"),
        ({"warmup_epochs": 4}, None, None, "warmup_epochs must be smaller than n_epochs"),
        ({"backbone": "vgg"}, None, None, "backbone"),
        ({"attach_stage": 9}, None, None, "attach_stage must be between 1 and"),
        ({"release_rank": 0.5}, None, None,
         "'release_rank' parameter of E2ABLClassifier must be a str among {'auto'} or a float in the range \\[1.0"),
        ({"unlearn_weight": 0.0}, None, None,
         "'unlearn_weight' parameter of E2ABLClassifier must be a float in the range"),
        ({"unlearn_ramp": -1}, None, None,
         "'unlearn_ramp' parameter of E2ABLClassifier must be an int in the range \\[0, inf\\)"),
        ({"held_cut": "gmm"}, None, None,
         "'held_cut' parameter of E2ABLClassifier must be a str among \\{.*'mixture'"),
        ({"keep_inside": 1.5}, None, None,
         "'keep_inside' parameter of E2ABLClassifier must be None, a str among \\{'auto'\\} or a float in the range"),
    ],
)
def test_bad_input_clear_errors(toy, params, X_fn, y_fn, match):
    X, y = toy
    X = X_fn(X) if X_fn else X
    y = y_fn(y) if y_fn else y
    with pytest.raises(ValueError, match=match):
        E2ABLClassifier(**{**TINY, **params}).fit(X, y)


def test_predict_errors(toy):
    X, y = toy
    with pytest.raises(NotFittedError):
        E2ABLClassifier().predict(X)
    clf = StandardClassifier(**TINY, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 channels, but StandardClassifier was fitted with 2 channels"):
        clf.predict(np.zeros((2, 3, 30), dtype=np.float32))
    with pytest.raises(ValueError, match=r"X has 25 features, but StandardClassifier is expecting 30 features"):
        clf.predict(np.zeros((2, 2, 25), dtype=np.float32))


def test_device_argument_is_validated(toy):
    X, y = toy
    with pytest.raises(ValueError, match="device must be"):
        StandardClassifier(**TINY, device="tpu-ish").fit(X, y)


@pytest.mark.parametrize("detach, reaches_shared", [(False, True), (True, False), ("held_back", False)])
def test_held_back_rows_reach_the_shared_layers_only_when_asked(detach, reaches_shared):
    from e2abl_ts._e2abl import E2ABLObjective

    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(8, 2, 24, generator=gen), torch.arange(8) % 2
    net = DualHeadNetwork(build_backbone("fcn", 2, 2, backbone_kwargs={"widths": (4, 4, 4)}), 2, 1)
    objective = E2ABLObjective(X, y, 2, warmup_epochs=0, lr=0.01, second_head_lr=0.005, warmup_lr=0.01,
                               isolation_rate=0.5, recovery_rate=0.0, gamma=1.0, drop="absolute",
                               return_unsuspicious=True, detach_second_head=detach, batch_size=8)
    objective.warm = False
    held = torch.tensor([True, True, False, False, True, True, False, False])
    objective.main_rows, objective.second_rows = ~held, held
    rows = torch.nonzero(held).flatten()  # a batch of held-back rows only: the main head's loss is 0
    loss, _ = objective.batch_loss(net, X[rows], y[rows], rows)
    loss.backward()
    shared = [p.grad for p in [*net.backbone.stem.parameters(), *net.backbone.stages[0].parameters()]]
    assert any(g is not None and g.abs().sum() > 0 for g in shared) == reaches_shared
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in net.second_head.parameters())


def test_history_and_progress_bar_name_the_users_label(toy, capsys):
    X, y = toy
    X_p, y_p = StaticTriggerAttack("c", poison_rate=0.25, random_state=0).fit_resample(X, y)
    clf = E2ABLClassifier(**{**TINY, "n_epochs": 6}, verbose=True, random_state=0).fit(X_p, y_p)
    labels = [h["backdoor_label"] for h in clf.history_ if h["backdoor_label"] is not None]
    assert labels and set(labels) <= set(clf.classes_)  # "c", never its index 2
    err = capsys.readouterr().err
    assert f"backdoor_label={labels[-1]}" in err


def test_cosine_schedule_scales_the_rates_the_objective_sets():
    from e2abl_ts._trainer import Objective, lr_factor, train

    class Recorder(Objective):
        def __init__(self, optimizer):
            self.optimizer, self.seen, self.used = optimizer, [], []

        def before_epoch(self, epoch, optimizer):
            self.seen.append(optimizer.param_groups[0]["lr"])  # unscaled, as last set
            optimizer.param_groups[0]["lr"] = 0.1 if epoch < 2 else 0.02  # a phase change

        def batch_loss(self, net, xb, yb, idx):
            self.used.append(self.optimizer.param_groups[0]["lr"])
            return torch.nn.functional.cross_entropy(net(xb), yb), {}

    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 2))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.5)
    objective = Recorder(optimizer)
    X, y = torch.randn(8, 1, 6), torch.arange(8) % 2
    train(net, X, y, objective, n_epochs=4, batch_size=8, optimizer=optimizer,
          generator=torch.Generator().manual_seed(0), lr_schedule="cosine")
    assert objective.seen == [0.5, 0.1, 0.1, 0.02]
    expected = [r * lr_factor("cosine", e, 4) for e, r in enumerate([0.1, 0.1, 0.02, 0.02])]
    assert objective.used == pytest.approx(expected)
    assert expected[0] == 0.1 and expected[-1] < 0.02 * 0.2
    assert optimizer.param_groups[0]["lr"] == 0.02  # the unscaled rate is left behind
    with pytest.raises(ValueError, match="lr_schedule must be one of"):
        lr_factor("step", 0, 4)


def test_lr_schedule_is_a_parameter_of_every_estimator(toy):
    X, y = toy
    a = StandardClassifier(**TINY, random_state=0).fit(X, y).predict_proba(X)
    b = StandardClassifier(**TINY, lr_schedule="cosine", random_state=0).fit(X, y).predict_proba(X)
    assert not np.allclose(a, b)
    with pytest.raises(ValueError, match="lr_schedule"):
        E2ABLClassifier(**TINY, lr_schedule="linear").fit(X, y)


def test_average_last_loads_the_mean_of_the_last_epochs_weights():
    from e2abl_ts._trainer import Objective, train

    class Snapshots(Objective):
        def __init__(self):
            self.states = []

        def batch_loss(self, net, xb, yb, idx):
            return torch.nn.functional.cross_entropy(net(xb), yb), {}

        def after_epoch(self, epoch, net):
            self.states.append({k: v.clone() for k, v in net.state_dict().items()})
            return {}

    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.BatchNorm1d(6), torch.nn.Linear(6, 2))
    objective = Snapshots()
    X, y = torch.randn(8, 1, 6), torch.arange(8) % 2
    train(net, X, y, objective, n_epochs=8, batch_size=4, optimizer=torch.optim.SGD(net.parameters(), lr=0.5),
          generator=torch.Generator().manual_seed(0), average_last=0.25)
    last_two = objective.states[-2:]
    for key, value in net.state_dict().items():
        if value.is_floating_point():  # parameters and batch-norm running statistics: the mean of epochs 7 and 8
            assert torch.allclose(value, (last_two[0][key] + last_two[1][key]) / 2)
            assert not torch.allclose(value, last_two[1][key])
        else:  # the batch count: the last epoch's
            assert torch.equal(value, last_two[1][key])


@pytest.mark.parametrize("estimator", [E2ABLClassifier, StandardClassifier])
def test_average_last_is_a_parameter_of_the_single_loop_estimators(toy, estimator):
    X, y = toy
    a = estimator(**TINY, random_state=0).fit(X, y)
    b = estimator(**TINY, average_last=0.5, random_state=0).fit(X, y)
    # the same training path (the history is that of each epoch's own weights), another final model
    losses = [[h.get("main_loss", h.get("loss")) for h in m.history_] for m in (a, b)]
    assert losses[0] == losses[1]
    assert not np.allclose(a.predict_proba(X), b.predict_proba(X))
    with pytest.raises(ValueError, match="average_last"):
        estimator(**TINY, average_last=1.0).fit(X, y)


def _objective(X, y, n_classes=2, **kw):
    from e2abl_ts._e2abl import E2ABLObjective

    defaults = dict(warmup_epochs=1, lr=0.01, second_head_lr=0.005, warmup_lr=0.01, recovery_rate=0.0, gamma=1.0,
                    return_unsuspicious=True, detach_second_head=False, batch_size=8)
    return E2ABLObjective(X, y, n_classes, **{**defaults, **kw})


def test_cumulative_drop_ranks_rows_learned_early_above_rows_learned_late():
    X, y = torch.zeros(3, 1, 8), torch.tensor([0, 0, 1])
    scores = {}
    for drop in ("absolute", "cumulative"):
        objective = _objective(X, y, isolation_rate=0.4, drop=drop)
        objective.loss_first = objective.loss_prev = torch.full((3,), 2.0)
        # row 0 is fitted in the first epoch, row 1 only in the third; row 2 never
        for losses in ([0.1, 2.0, 2.0], [0.1, 1.0, 2.0], [0.1, 0.1, 2.0]):
            objective.loss_now = torch.tensor(losses)
            objective._update_scores()
        scores[drop] = objective.scores()
    assert torch.allclose(scores["absolute"], torch.tensor([1.9, 1.9, 0.0]))  # the total drop ties rows 0 and 1
    assert torch.allclose(scores["cumulative"], torch.tensor([5.7, 2.9, 0.0]))  # summed over the epochs


class _FixedHeads(torch.nn.Module):
    """Stands in for a dual-head network: the second head predicts class 1, the main head class 0."""

    def second(self, xb):
        return torch.tensor([[0.0, 1.0]]).repeat(len(xb), 1)

    def forward(self, xb):
        return torch.tensor([[1.0, 0.0]]).repeat(len(xb), 1), None


def _top(rows, n):
    """Scores for ``n`` rows: ``rows`` highest, in that order; every other row 0."""
    scores = torch.zeros(n)
    scores[rows] = torch.arange(len(rows), 0, -1, dtype=torch.float)
    return scores


def _split_with_top(objective, top):
    """Split with the rows in ``top`` scoring highest, in that order; returns D_b's rows."""
    objective.score = _top(top, len(objective.y))
    objective._split(_FixedHeads())
    return sorted(torch.nonzero(objective.suspected).flatten().tolist())


@pytest.mark.parametrize("split_recovery, recovered, unlearned", [("relabel", [2, 3], []), ("unlearn", [0, 1], [2, 3])])
def test_a_split_keeps_recovery_to_its_own_rows_when_relabelling(split_recovery, recovered, unlearned):
    """Rows 0-1 (label 1) drop fastest but lie outside the tracked split (rows 2-3). Relabelling
    names a class for the split's rows only; the top rows outside it train as labelled. Unlearning
    (the series default) still relabels the recovery_rate top rows."""
    X, y = torch.zeros(10, 1, 8), torch.tensor([1, 1, 1, 1, 1, 1, 0, 0, 0, 0])
    objective = _objective(X, y, isolation_rate=0.4, recovery_rate=0.2, drop="absolute", cluster_mode="tracked",
                           split_recovery=split_recovery)
    objective.warm, objective.locked_label = False, 1
    objective.clustered[[2, 3]] = True
    _split_with_top(objective, [0, 1, 2, 3])
    assert sorted(objective.recovered.tolist()) == recovered
    assert (objective.targets[recovered] == 0).all()  # the main head's class other than 1
    assert sorted(torch.nonzero(objective.unlearn).flatten().tolist()) == unlearned
    others = [r for r in range(6) if r not in recovered and r not in unlearned]
    assert objective.main_rows[others].all() and (objective.targets[others] == 1).all()


@pytest.mark.parametrize("warm_top_half, warm, top, evident", [
    (False, True, [0, 3, 1, 2, 4, 5, 6, 7], False),  # label 1: 3 of the 8 suspects
    (True, True, [0, 3, 1, 2, 4, 5, 6, 7], True),  # ... but 3 of the top 4
    (True, False, [0, 3, 1, 2, 4, 5, 6, 7], False),  # only at the warm start's end
    (True, True, [3, 4, 0, 5, 1, 2, 6, 7], False),  # 1 of the top 4
])
def test_warm_top_half_names_a_label_holding_most_of_the_top_half_of_the_suspects(warm_top_half, warm, top, evident):
    """At a poison rate of half the isolation budget, a D_b holding all the poison gives its label
    half of the suspects; warm_top_half lets the top half decide at the end of the warm start."""
    X, y = torch.zeros(16, 1, 8), torch.tensor([1, 1, 1] + [0] * 13)
    objective = _objective(X, y, isolation_rate=0.5, drop="absolute", detector="robust", warm_top_half=warm_top_half)
    objective.warm = warm
    _split_with_top(objective, top)  # the second head predicts label 1 for every suspect
    assert objective.evident is evident and objective.backdoor_label == 1


@pytest.mark.parametrize("evidence, unlearned", [(None, []), ("label_split", [2, 3])])
def test_a_split_of_a_label_without_evidence_holds_its_rows_without_unlearning_them(evidence, unlearned):
    """The robust detector unlearns a split's rows only once the label has evidence: clean labels of
    15-30 rows split too, and unlearning a clean group trains the main head away from its class."""
    X, y = torch.zeros(10, 1, 8), torch.tensor([1, 1, 1, 1, 1, 1, 0, 0, 0, 0])
    objective = _objective(X, y, isolation_rate=0.4, recovery_rate=0.2, drop="absolute", cluster_mode="tracked",
                           split_recovery="unlearn", detector="robust")
    objective.warm, objective.locked_label = False, 1
    if evidence is not None:
        objective._found(evidence, 1)
    objective.clustered[[2, 3]] = True
    _split_with_top(objective, [0, 1, 2, 3])
    assert objective.attack_evidence == evidence
    assert sorted(torch.nonzero(objective.unlearn).flatten().tolist()) == unlearned
    held = [r for r in (2, 3) if r not in unlearned]
    assert objective.suspected[held].all() and not objective.main_rows[held].any()
    assert objective.main_rows[[4, 5]].all() and (objective.targets[[4, 5]] == 1).all()  # the rest of the label


@pytest.mark.parametrize("release_rank, kept", [(1.0, []), (2.0, [0, 1])])
def test_release_rank_keeps_suspects_of_the_backdoor_label_until_they_fall_far(release_rank, kept):
    X, y = torch.zeros(10, 1, 8), torch.tensor([1, 1, 1, 1, 1, 1, 0, 0, 0, 0])
    objective = _objective(X, y, isolation_rate=0.2, drop="absolute", release_rank=release_rank)

    assert _split_with_top(objective, [0, 1]) == [0, 1]
    assert objective.backdoor_label == 1
    # rows 0 and 1 fall to ranks 2 and 3: inside 2 x n_isolate = 4, outside 1 x n_isolate = 2
    assert _split_with_top(objective, [2, 3, 0, 1]) == sorted([2, 3, *kept])
    assert not objective.main_rows[kept].any() and objective.main_rows[4:].all()
    # ranks 4 and 5: out for every release_rank here; rows 2 and 3 (ranks 2, 3) stay when kept
    assert _split_with_top(objective, [4, 5, 2, 3, 0, 1]) == sorted([4, 5] + ([2, 3] if kept else []))


def test_release_budget_keeps_suspects_first_and_fills_only_the_places_left():
    X, y = torch.zeros(10, 1, 8), torch.tensor([1, 1, 1, 1, 1, 1, 0, 0, 0, 0])
    objective = _objective(X, y, isolation_rate=0.2, drop="absolute", release_rank=2.0, release_budget=True)

    assert _split_with_top(objective, [0, 1]) == [0, 1]
    # both fall to ranks 2 and 3, inside 2 x n_isolate: they keep their places, no newcomer enters
    assert _split_with_top(objective, [2, 3, 0, 1]) == [0, 1]
    # row 0 at rank 3 stays, row 1 at rank 4 leaves; the best newcomer (row 2) takes its place
    assert _split_with_top(objective, [2, 3, 4, 0, 1]) == [0, 2]
    assert objective.main_rows.sum() == 8


@pytest.mark.parametrize("n_trained", [0, 1, 2])
def test_warns_when_the_main_head_keeps_almost_no_row_of_the_backdoor_label(n_trained):
    X, y = torch.zeros(10, 1, 8), torch.tensor([1, 1, 1, 1, 1, 1, 0, 0, 0, 0])
    objective = _objective(X, y, isolation_rate=0.2, drop="absolute", detector="robust")
    objective.backdoor_label, objective.evident = 1, True
    objective._found("warm_start", 1)
    objective.suspected = y == 1
    objective.suspected[:n_trained] = False
    objective.main_rows = ~objective.suspected
    clf = E2ABLClassifier()
    clf.classes_ = np.array(["a", "b"])
    if n_trained < 2:
        with pytest.warns(UserWarning, match=f"held back {6 - n_trained} of the 6 training rows labelled 'b' "
                          r"\(the inferred backdoor label, evidence: warm_start\)"):
            clf._warn_if_label_held_back(objective)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            clf._warn_if_label_held_back(objective)


def test_the_held_back_warning_counts_neither_unlearned_rows_nor_a_fifth_of_the_label_as_learned():
    """Rows a split unlearns train the main head away from the label; 2 of 10 rows left to it did not
    teach BasicMotions' "badminton" (test accuracy 0.00, clean data, seed 0)."""
    X, y = torch.zeros(14, 1, 8), torch.tensor([1] * 10 + [0] * 4)
    clf = E2ABLClassifier()
    clf.classes_ = np.array(["a", "b"])
    for held, unlearned in [(8, 0), (2, 6)]:  # 2 of 10 rows learned as "b": under a quarter
        objective = _objective(X, y, isolation_rate=0.2, drop="absolute", detector="robust")
        objective.backdoor_label, objective.evident = 1, True
        objective.suspected = torch.zeros(14, dtype=torch.bool)
        objective.suspected[:held] = True
        objective.unlearn[held:held + unlearned] = True
        objective.main_rows = ~objective.suspected
        with pytest.warns(UserWarning, match=f"held back {held} of the 10 training rows labelled 'b'"):
            clf._warn_if_label_held_back(objective)
    objective.unlearn.zero_()  # the same 8 rows trained as "b" (not unlearned): no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf._warn_if_label_held_back(objective)


def test_the_held_back_warning_names_no_attack_when_there_is_no_evidence():
    """After a quiet warm start the label held back is a precaution, not an inferred backdoor label."""
    X, y = torch.zeros(10, 1, 8), torch.tensor([1, 1, 1, 1, 1, 1, 0, 0, 0, 0])
    objective = _objective(X, y, isolation_rate=0.2, drop="absolute", detector="robust")
    objective.backdoor_label, objective.evident = 1, True  # named by the hold-back's feedback only
    objective.suspected = y == 1
    objective.main_rows = ~objective.suspected
    clf = E2ABLClassifier()
    clf.classes_ = np.array(["a", "b"])
    assert objective.attack_evidence is None
    precaution = r"labelled 'b' \(a precaution: no attack was evident.*no_evidence='train_all'"
    with pytest.warns(UserWarning, match=precaution) as record:
        clf._warn_if_label_held_back(objective)
    assert "inferred backdoor label" not in str(record[0].message)


def test_lock_label_first_alarm_keeps_the_label_of_the_first_alarm_after_the_warm_start():
    X, y = torch.zeros(10, 1, 8), torch.tensor([1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
    labels = {}
    for lock in ("warmup", "first_alarm"):
        objective = _objective(X, y, isolation_rate=0.2, drop="absolute", detector="robust", cluster_sep=0.0,
                               lock_label=lock)
        objective.warm = False

        def epoch(top):  # one epoch after the warm start, the rows in ``top`` dropping most
            objective.score, objective.loss_prev, objective.loss_now = torch.zeros(10), torch.zeros(10), -_top(top, 10)
            objective.after_epoch(5, _FixedHeads())
            return objective.backdoor_label if objective.evident else None

        assert epoch([6, 7]) is None  # the suspects carry label 0, the second head says 1: no evidence
        assert epoch([0, 1]) == 1  # the first alarm
        labels[lock] = epoch([8, 9])  # no evidence again
    assert labels == {"warmup": None, "first_alarm": 1}


@pytest.mark.parametrize("cap, evidence, held", [
    (None, None, [0, 1, 2, 3, 4, 5, 6, 7]),  # no cap: D_b's eight rows of label 1
    (0.5, None, [0, 1, 2, 3, 4]),  # half of label 1's ten rows, the largest scores; the rest train the main head
    (0.5, "warm_start", [0, 1, 2, 3, 4, 5, 6, 7]),  # the label has evidence: no cap
])
def test_quiet_label_cap_bounds_the_share_of_a_label_held_without_evidence(cap, evidence, held):
    X, y = torch.zeros(20, 1, 8), torch.tensor([1] * 10 + [0] * 10)
    objective = _objective(X, y, isolation_rate=0.5, drop="absolute", detector="robust", quiet_label_cap=cap)
    objective.warm = False
    objective.evidence, objective.evidence_label = evidence, 1 if evidence else None
    # D_b: rows 0-7 of label 1 and rows 10-11 of label 0, in that order; the second head says 1
    objective.score = _top(list(range(8)) + [10, 11], 20)
    objective._split(_FixedHeads())
    assert objective.backdoor_label == 1 and objective.evident
    assert torch.nonzero(objective.suspected & (y == 1)).flatten().tolist() == held
    assert torch.equal(objective.main_rows & (y == 1), ~objective.suspected & (y == 1))
    assert bool(objective.main_rows[y == 0].all())  # D_b's rows of other labels train it too (return_unsuspicious)


@pytest.mark.parametrize("quiet_z, evidence, main_held", [
    (None, None, list(range(8))),  # off: every row of D_b is kept from the main head
    (3.0, None, [0, 1]),  # a quiet fit: only D_b's score outliers (rows 0 and 1)
    (3.0, "warm_start", list(range(8))),  # the label has evidence: the whole of D_b
])
def test_quiet_z_keeps_only_the_score_outliers_of_a_quiet_fit_from_the_main_head(quiet_z, evidence, main_held):
    X, y = torch.zeros(20, 1, 8), torch.tensor([1] * 10 + [0] * 10)
    objective = _objective(X, y, isolation_rate=0.4, drop="absolute", detector="robust", quiet_z=quiet_z)
    objective.warm = False
    objective.evidence, objective.evidence_label = evidence, 1 if evidence else None
    # every row's drop spread over [0, 0.2]; D_b's eight rows (label 1) just above it, rows 0 and 1 far above
    objective.score = torch.linspace(0.0, 0.2, 20)
    objective.score[:8] = torch.tensor([5.0, 4.0, 0.3, 0.29, 0.28, 0.27, 0.26, 0.25])
    objective._split(_FixedHeads())
    assert torch.nonzero(objective.suspected).flatten().tolist() == list(range(8))  # D_b itself is unchanged
    assert torch.nonzero(~objective.main_rows).flatten().tolist() == main_held


@pytest.mark.parametrize("share, split_rows, main_held", [
    (None, range(2, 8), [2, 3, 4, 5, 6, 7]),  # off: the split's six rows of label 1 stay held
    (0.5, range(2, 8), [2]),  # six of the label's ten rows: only the score outlier among them stays held
    (0.5, range(2, 5), [2, 3, 4]),  # three of ten: the split's group stays held
])
def test_quiet_split_share_returns_a_quiet_split_that_cuts_off_most_of_its_label(share, split_rows, main_held):
    X, y = torch.zeros(20, 1, 8), torch.tensor([1] * 10 + [0] * 10)
    objective = _objective(X, y, isolation_rate=0.4, drop="absolute", detector="robust", quiet_z=3.0,
                           quiet_split_share=share)
    objective.warm = False
    objective.clustered[list(split_rows)] = True  # the tracked split's group of label 1, no evidence
    objective.score = torch.linspace(0.0, 0.2, 20)
    objective.score[:8] = torch.tensor([0.3, 0.29, 5.0, 0.28, 0.27, 0.26, 0.25, 0.24])  # row 2: the outlier
    objective._split(_FixedHeads())
    assert objective.backdoor_label == 1 and objective.attack_evidence is None
    assert torch.nonzero(objective.suspected).flatten().tolist() == list(split_rows)  # D_b: the split's rows
    assert torch.nonzero(~objective.main_rows).flatten().tolist() == main_held


@pytest.mark.parametrize("band, flagged", [
    (None, [4, 5, 6]),  # no band: every outlier of the label's clean side
    (0.2, [5, 6]),  # only those the split's direction places toward its held group
])
def test_flag_band_keeps_the_outlier_flags_that_lie_toward_the_split_group(band, flagged):
    X, y = torch.zeros(20, 1, 8), torch.tensor([1] * 12 + [0] * 8)
    objective = _objective(X, y, isolation_rate=0.5, drop="absolute", detector="robust", flag_band=band)
    objective.evident, objective.backdoor_label = True, 1
    label_rows, held = torch.arange(12), torch.arange(12) < 3  # the split held rows 0-2 of label 1
    objective.clustered[:3] = True
    # along the split's direction: the held group at 10, the clean side's mean at 0 (rows 5 and 6 at 5)
    proj = torch.tensor([10.0] * 3 + [-10 / 6, 0.0, 5.0, 5.0] + [-10 / 6] * 5, dtype=torch.float64)
    objective._place_on_split(label_rows, held, proj)
    assert objective.split_position[:12].tolist() == pytest.approx((proj / 10).tolist())
    assert bool(objective.split_position[12:].isnan().all())
    # the clean side's rows 3-11: rows 4, 5 and 6 the main head fits far worse than the rest
    loss = 0.1 + 0.01 * torch.arange(20, dtype=torch.float32)
    loss[[4, 5, 6]] = 3.0
    objective._flag_mislabelled(loss, (y == 1) & ~objective.clustered)
    assert torch.nonzero(objective.sticky).flatten().tolist() == flagged


@pytest.mark.parametrize("agreement, held, flagged", [
    (False, True, [4, 5]),  # off: the warm start's call flags the label's high-loss rows
    (True, False, [4, 5]),  # no split group yet: the call runs
    (True, True, []),  # a split group of the label: the call is skipped
])
def test_flag_agreement_skips_the_warm_start_outlier_call_once_a_split_holds_a_group(agreement, held, flagged):
    X, y = torch.zeros(20, 1, 8), torch.tensor([1] * 12 + [0] * 8)
    objective = _objective(X, y, isolation_rate=0.5, drop="absolute", detector="robust", flag_agreement=agreement)
    objective.evident, objective.backdoor_label = True, 1
    objective.clustered[:3] = held  # the split held rows 0-2 of label 1
    # the warm start's mean loss: rows 4 and 5 of label 1 far above the rest of the label
    objective.warm_loss = 0.1 + 0.01 * torch.arange(20, dtype=torch.float32)
    objective.warm_loss[[4, 5]] = 3.0
    objective.n_warm_loss = 1
    objective._flag_warm_outliers()
    assert torch.nonzero(objective.sticky).flatten().tolist() == flagged


@pytest.mark.parametrize("agreement, flagged", [
    (False, [4, 5, 6]),  # every row the main head finds far harder than the rest of its label
    (True, [5, 6]),  # only those the second head fits at least as well as the label's median row
])
def test_flag_agreement_keeps_the_main_heads_outliers_that_the_second_head_fits(agreement, flagged):
    X, y = torch.zeros(20, 1, 8), torch.tensor([1] * 12 + [0] * 8)
    objective = _objective(X, y, isolation_rate=0.5, drop="absolute", detector="robust", flag_agreement=agreement)
    objective.evident, objective.backdoor_label, objective.warm = True, 1, False
    # the main head: rows 4, 5 and 6 far worse than the rest of label 1
    main = 0.1 + 0.01 * torch.arange(20, dtype=torch.float32)
    main[[4, 5, 6]] = 3.0
    # the second head: row 4 as hard as for the main head (a hard clean row), rows 5 and 6 easy (a trigger)
    objective.loss_now = torch.full((20,), 0.5)
    objective.loss_now[4], objective.loss_now[[5, 6]] = 2.0, 0.05
    objective._flag_mislabelled(main, y == 1)
    assert torch.nonzero(objective.sticky).flatten().tolist() == flagged
    # the warm start's own call is not gated: its loss is the second head's
    objective.sticky.zero_()
    objective.warm = True
    objective._flag_mislabelled(main, y == 1)
    assert torch.nonzero(objective.sticky).flatten().tolist() == [4, 5, 6]


@pytest.mark.parametrize("held_loss, flagged", [
    (0.01, [5, 6]),  # the second head fits the held group best: the test stands
    (1.0, [4, 5, 6]),  # it fits the held group worse than most of the label's rows: every outlier passes
])
def test_flag_agreement_stands_only_while_the_second_head_fits_the_held_group(held_loss, flagged):
    X, y = torch.zeros(20, 1, 8), torch.tensor([1] * 12 + [0] * 8)
    objective = _objective(X, y, isolation_rate=0.5, drop="absolute", detector="robust", flag_agreement=True)
    objective.evident, objective.backdoor_label, objective.warm = True, 1, False
    objective.clustered[[9, 10, 11]] = True  # the tracked split's group of label 1
    main = 0.1 + 0.01 * torch.arange(20, dtype=torch.float32)
    main[[4, 5, 6]] = 3.0
    objective.loss_now = torch.full((20,), 0.5)
    objective.loss_now[4], objective.loss_now[[5, 6]] = 2.0, 0.05
    objective.loss_now[[9, 10, 11]] = held_loss
    objective._flag_mislabelled(main, (y == 1) & ~objective.clustered)
    assert torch.nonzero(objective.sticky).flatten().tolist() == flagged


@pytest.mark.parametrize("tops, alarm_after", [
    ([[0, 1]] * 3, 3),  # label 1 leads three epochs running: the alarm, after the third
    ([[0, 1], [0, 1], [6, 7], [0, 1], [0, 1]], None),  # the lead is broken: no three running
    ([[6, 7]] * 3, None),  # the second head says 1, the rows that drop most carry 0
])
def test_watch_rings_only_when_one_label_leads_the_drops_for_watch_epochs_running(tops, alarm_after):
    X, y = torch.zeros(10, 1, 8), torch.tensor([1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    objective = _objective(X, y, isolation_rate=0.2, drop="absolute", detector="robust", no_evidence="watch")
    objective.train_all = True  # no evidence after the warm start: watching
    rang = None
    for i, top in enumerate(tops, start=1):
        # the rows in ``top`` dropped most over the window
        objective.loss_window = [torch.zeros(10), -_top(top, 10)]
        objective._watch(_FixedHeads())
        if rang is None and not objective.watching:
            rang = i
    assert rang == alarm_after
    if alarm_after:
        assert objective.locked_label == 1 and not objective.train_all
        assert torch.equal(objective.score, _top(tops[-1], 10))  # the hold-back starts from the window's drops
    else:
        assert objective.locked_label is None and objective.train_all


# "auto" resolves to the paper's stage 2, to "held_back" and to release_rank 1.5 for the four-stage series
# backbones only (with the warm-start split: on this toy the tracked split makes the hysteresis moot)
@pytest.mark.parametrize("param, backbone, kwargs, resolved, other", [
    ("attach_stage", "resnet18", {"width": 4}, 2, 1),
    ("attach_stage", "resnet", {"widths": (4, 8, 8)}, 1, 2),
    ("detach_second_head", "resnet18", {"width": 4}, "held_back", False),
    ("detach_second_head", "resnet", {"widths": (4, 8, 8)}, False, "held_back"),
    ("release_rank", "resnet18", {"width": 4}, 1.5, 1.0),
    ("release_rank", "resnet", {"widths": (4, 8, 8)}, 1.0, 1.5),
])
def test_auto_choices_follow_the_backbone(toy, param, backbone, kwargs, resolved, other):
    X, y = toy
    X_p, y_p = StaticTriggerAttack("c", poison_rate=0.2, random_state=0).fit_resample(X, y)
    kw = dict(backbone=backbone, backbone_kwargs=kwargs, n_epochs=5, batch_size=16, random_state=0,
              cluster_mode="warmup")
    proba = {v: E2ABLClassifier(**kw, **{param: v}).fit(X_p, y_p).predict_proba(X) for v in ("auto", resolved, other)}
    assert np.array_equal(proba["auto"], proba[resolved])
    assert not np.allclose(proba["auto"], proba[other])


def test_label_specific_direction_finds_the_trigger_where_the_top_direction_is_content():
    """The backdoor label's rows vary most by content (axis 0, which every label shares); half of
    them carry a trigger (axis 1), which the other labels never have. The top principal direction
    is the content; the label-specific direction is the trigger, and the split along it is exact."""
    from e2abl_ts._e2abl import label_specific_direction, otsu_threshold

    g = torch.Generator().manual_seed(0)
    n, d = 200, 6
    trigger = torch.arange(n) % 2 == 0
    label = torch.randn(n, d, generator=g, dtype=torch.float64) * 0.5
    label[:, 0] *= 20.0  # content: the largest variance
    label[trigger, 1] += 3.0
    others = torch.randn(800, d, generator=g, dtype=torch.float64) * 0.5
    others[:, 0] *= 20.0
    centred = label - label.mean(dim=0)
    top = torch.linalg.svd(centred, full_matrices=False).Vh
    assert abs(float(top[0, 1])) < 0.5  # the plain top direction misses the trigger
    direction = label_specific_direction(centred, others, top)
    assert abs(float(direction[1])) > 0.95 and abs(float(direction.norm()) - 1) < 1e-9
    proj = centred @ direction
    upper = proj > otsu_threshold(proj)
    assert torch.equal(upper, trigger) or torch.equal(upper, ~trigger)


def test_follow_keeps_the_name_of_the_group_the_previous_split_held():
    """Otsu's upper group is the poison in one epoch and the clean rows in the next: follow names
    the group that is the previous one again, keeps the previous rows when the split cut inside
    them, and gives up when neither group is."""
    from e2abl_ts._e2abl import follow

    rows = torch.arange(20)
    previous = rows < 8  # rows 0-7 held last epoch
    lower = (rows < 7) | (rows == 8) | (rows == 9)  # this epoch: 7 of the held rows and 2 new ones
    upper = ~lower  # Otsu's upper group is the rest
    assert torch.equal(follow(upper, previous), lower)  # Jaccard 0.7: this group, not the old rows
    assert torch.equal(follow(lower, previous), lower)
    nested = rows < 3  # the split cut inside the held group: 3 of its 8 rows (Jaccard 0.375)
    assert torch.equal(follow(nested, previous), previous)  # the held group stays whole
    assert torch.equal(follow(~nested, previous), previous)
    grown = rows < 10  # two more rows join the held group
    assert torch.equal(follow(grown, previous), grown)
    scattered = rows % 2 == 0  # the split found another structure
    assert follow(scattered, previous) is None
    assert follow(upper, torch.zeros(20, dtype=torch.bool)) is None  # no split named yet


def test_follow_keeps_the_whole_group_when_a_side_lies_inside_it_with_keep_inside():
    """The held group is two source classes of poison; this epoch's split cuts between them, so one
    side is mostly the group (Jaccard >= 0.5) but lies wholly inside it. By Jaccard alone the group
    shrinks to that side; with keep_inside the whole group stays held. A side that reaches out of
    the group by more than keep_inside allows is followed as before."""
    from e2abl_ts._e2abl import follow

    rows = torch.arange(40)
    previous = rows < 20  # held last epoch: two sources' poison, rows 0-11 and 12-19
    inside = rows < 12  # Jaccard 0.6, wholly inside the group
    assert torch.equal(follow(inside, previous), inside)
    assert torch.equal(follow(inside, previous, keep_inside=0.9), previous)
    assert torch.equal(follow(~inside, previous, keep_inside=0.9), previous)  # the same split, read from the other side
    reaching = rows < 16
    reaching = reaching | (rows >= 36)  # 16 held rows and 4 new ones: a share of 0.8 inside the group
    assert torch.equal(follow(reaching, previous, keep_inside=0.9), reaching)
    assert torch.equal(follow(reaching, previous, keep_inside=0.8), reaching | previous)


def test_mixture_side_cuts_past_the_clean_rows_that_otsu_holds():
    """Along a backdoor label's split the poison is tight and the label's clean rows spread wide.
    Otsu's cut, which assumes equal spreads, falls inside the clean rows; the two-Gaussian cut
    keeps the poison and leaves (almost) every clean row out, whichever side the poison is on."""
    from e2abl_ts._e2abl import mixture_side, otsu_threshold

    g = torch.Generator().manual_seed(0)
    poison = torch.randn(27, generator=g, dtype=torch.float64) * 0.3 + 4.0
    clean = torch.randn(40, generator=g, dtype=torch.float64) * 2.0
    proj = torch.cat([poison, clean])
    is_poison = torch.arange(67) < 27
    for sign in (1.0, -1.0):
        x = sign * proj
        otsu = x > otsu_threshold(x) if sign > 0 else x <= otsu_threshold(x)
        assert int((otsu & is_poison).sum()) == 27
        otsu_clean = int((otsu & ~is_poison).sum())
        assert otsu_clean >= 8  # the equal-spread cut holds clean rows beside the poison
        kept = mixture_side(x, otsu)
        assert int((kept & is_poison).sum()) == 27
        assert int((kept & ~is_poison).sum()) <= 1 < otsu_clean
        assert not bool((kept & ~otsu).any())  # callers intersect; the cut itself lies past Otsu's here


def test_neighbour_label_entropy_is_higher_for_a_group_gathered_from_several_labels():
    from e2abl_ts._e2abl import neighbour_label_entropy

    g = torch.Generator().manual_seed(0)
    centres = torch.eye(5, dtype=torch.float64) * 10
    labels = torch.arange(500) % 5
    reference = centres[labels] + torch.randn(500, 5, generator=g, dtype=torch.float64)
    one_class = centres[torch.zeros(50, dtype=torch.long)] + torch.randn(50, 5, generator=g, dtype=torch.float64)
    mixed = centres[torch.arange(50) % 5] + torch.randn(50, 5, generator=g, dtype=torch.float64)
    assert neighbour_label_entropy(one_class, reference, labels) < 0.1
    assert neighbour_label_entropy(mixed, reference, labels) > 1.5  # log 5 = 1.61


def _past_warm_start(X, y, n_classes, **params):
    """An E2ABL objective on ``(X, y)`` after its warm start (isolation_rate 0.5, no recovery)."""
    from e2abl_ts._e2abl import E2ABLObjective

    objective = E2ABLObjective(X, y, n_classes, warmup_epochs=0, lr=0.01, second_head_lr=0.005, warmup_lr=0.01,
                               isolation_rate=0.5, recovery_rate=0.0, gamma=1.0, drop="absolute",
                               return_unsuspicious=True, detach_second_head=False, batch_size=8, **params)
    objective.warm = False
    return objective


def _unlearning_objective(**params):
    """A tiny net and an E2ABL objective past its warm start whose even rows are unlearned."""
    from e2abl_ts.networks import reset_parameters

    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(8, 2, 24, generator=gen), torch.arange(8) % 3
    net = DualHeadNetwork(build_backbone("fcn", 2, 3, backbone_kwargs={"widths": (4, 4, 4)}), 3, 1)
    reset_parameters(net, gen)
    objective = _past_warm_start(X, y, 3, split_recovery="unlearn", **params)
    objective.second_rows = torch.zeros(8, dtype=torch.bool)  # the main head's loss alone
    away = torch.tensor([True, False, True, False, True, False, True, False])
    objective.unlearn = away.clone()
    return net, objective, X, y, away


def _expected_unlearning_loss(net, X, y, away, weight):
    """The main head's mean loss: -weight * log(1 - p(label)) on unlearned rows, cross-entropy on the rest."""
    logits = net(X)[0].detach()
    p = torch.softmax(logits, dim=1)[torch.arange(len(y)), y]
    ce = torch.nn.functional.cross_entropy(logits, y, reduction="none")
    return torch.where(away, -weight * torch.log1p(-p), ce).mean()


@pytest.mark.parametrize("weight", [1.0, 3.0])
def test_unlearned_rows_train_the_main_head_away_from_their_label(weight):
    """split_recovery="unlearn": a row of the split's poisoned group costs -log(1 - p(label)) in the
    main head, times ``unlearn_weight``, so a step lowers its label's probability without naming
    another class; the mean is still taken over the main head's rows."""
    net, objective, X, y, away = _unlearning_objective(unlearn_weight=weight)
    idx = torch.arange(8)

    def p_label():
        with torch.no_grad():
            return torch.softmax(net(X)[0], dim=1)[idx, y]

    before = p_label()
    loss, _ = objective.batch_loss(net, X, y, idx)
    assert torch.allclose(loss, _expected_unlearning_loss(net, X, y, away, weight), atol=1e-5)
    # a few steps on the unlearned rows alone push their label down
    objective.main_rows = away
    optimizer = torch.optim.SGD(net.parameters(), lr=0.5)
    for _ in range(5):
        optimizer.zero_grad()
        objective.batch_loss(net, X, y, idx)[0].backward()
        optimizer.step()
    assert float(p_label()[away].mean()) < float(before[away].mean()) - 0.05


def test_unlearn_ramp_raises_the_weight_linearly_from_one():
    """unlearn_ramp=R: an unlearned row weighs 1 in epoch 0, rising linearly to unlearn_weight at
    epoch R and staying there; the loss of an epoch uses that epoch's weight."""
    net, objective, X, y, away = _unlearning_objective(unlearn_weight=4.0, unlearn_ramp=4)
    assert [objective.unlearn_weight_at(e) for e in (0, 1, 2, 4, 9)] == [1.0, 1.75, 2.5, 4.0, 4.0]
    _, unramped, *_ = _unlearning_objective(unlearn_weight=4.0)
    assert [unramped.unlearn_weight_at(e) for e in (0, 9)] == [4.0, 4.0]
    optimizer = torch.optim.SGD(objective.param_groups(net))
    objective.before_epoch(2, optimizer)
    loss, _ = objective.batch_loss(net, X, y, torch.arange(8))
    assert torch.allclose(loss, _expected_unlearning_loss(net, X, y, away, 2.5), atol=1e-5)


def _label_objective(share):
    """An E2ABL objective past its warm start: rows 0-9 carry label 0 (the backdoor label), 10-19 label 1."""
    X, y = torch.randn(20, 1, 16, generator=torch.Generator().manual_seed(0)), torch.arange(20) // 10
    return _past_warm_start(X, y, 2, detector="robust", hold_label_share=share), y


def _hold(objective, held, split=()):
    """One epoch's D_b: ``held`` rows of label 0; row 0 relabelled by recovery; ``split``: a split's rows."""
    objective.suspected.zero_()
    objective.suspected[list(held)] = True
    objective.main_rows = ~objective.suspected
    objective.targets = objective.y.clone()
    objective.targets[0] = 1
    objective.main_rows[0] = True
    clustered = torch.zeros(20, dtype=torch.bool)
    clustered[list(split)] = True
    objective._hold_whole_label(0, clustered)
    return objective.main_rows & (objective.targets == objective.y)  # rows trained as labelled


def test_hold_label_share_gives_up_a_label_whose_rows_are_almost_all_held_back():
    """hold_label_share: once D_b holds that share of the backdoor label with no split, none of the
    label's rows trains the main head as labelled again, whatever later epochs hold; relabelled
    rows still train (as their new class) and the other labels are untouched."""
    objective, y = _label_objective(0.8)
    assert _hold(objective, range(7))[7:10].all() and objective.whole_label is None  # 7 of 10: under
    assert _hold(objective, range(8), split=[3, 4])[8:10].all()  # a split separates them: not given up
    assert objective.whole_label is None
    trained = _hold(objective, range(8))
    assert objective.whole_label == 0
    assert not trained[y == 0].any() and trained[10:].all()
    assert objective.main_rows[0] and objective.suspected[1:10].all()  # row 0 trains as its recovered class
    # decided once: a later epoch holding fewer rows, or a split forming, does not bring the label back
    assert not _hold(objective, range(2), split=[3, 4])[y == 0].any()
    with pytest.raises(ValueError, match="hold_label_share"):
        E2ABLClassifier(hold_label_share=0.0).fit(np.zeros((10, 1, 8)), np.arange(10) % 2)


def _separable_poisoned():
    """Four classes, each a bump at its own place, 20% of the rows poisoned onto "c"."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 2, 40)).astype(np.float32)
    y = np.array(["a", "b", "c", "d"] * 30)
    for i, c in enumerate("abcd"):
        X[y == c, :, 5 + 5 * i: 10 + 5 * i] += 2.0
    attack = StaticTriggerAttack("c", poison_rate=0.2, random_state=0)
    return X, *attack.fit_resample(X, y)


SPLIT_KW = dict(backbone="resnet", backbone_kwargs={"widths": (8, 16, 16)}, n_epochs=8, batch_size=16, random_state=0)


def test_tracked_split_rows_are_unlearned_on_series_and_relabelled_when_asked():
    X, X_p, y_p = _separable_poisoned()
    kw = dict(**SPLIT_KW, cluster_mode="tracked")
    fits = {sr: E2ABLClassifier(**kw, split_recovery=sr).fit(X_p, y_p) for sr in ("auto", "unlearn", "relabel")}
    assert np.array_equal(fits["auto"].predict_proba(X), fits["unlearn"].predict_proba(X))
    unlearned = fits["unlearn"].unlearned_indices_
    assert len(unlearned) >= 5 and set(y_p[unlearned]) == {"c"}
    assert not set(unlearned) & set(fits["unlearn"].recovered_indices_)  # those are relabelled, these not
    assert len(fits["unlearn"].recovered_indices_) <= 1  # recovery_rate's top row only
    assert len(fits["relabel"].unlearned_indices_) == 0
    assert len(fits["relabel"].recovered_indices_) > len(fits["unlearn"].recovered_indices_)
    no_recovery = E2ABLClassifier(**kw, recovery_rate=0.0).fit(X_p, y_p)
    assert len(no_recovery.recovered_indices_) == 0 and len(no_recovery.unlearned_indices_) > 0


class _Identity(torch.nn.Module):
    """Stands in for the shared layers: a row's features are the row itself."""

    def shallow(self, x):
        return x


def test_resplit_catches_the_poison_the_split_left_on_the_clean_side():
    """Label 0 holds 40 clean rows and 20 poisoned rows (true classes 1-4 plus a trigger); the split
    held the poison of classes 1 and 2. The resplit adds the rest of the poison (classes 3 and 4),
    and on a clean side without poison it adds nothing."""
    g = torch.Generator().manual_seed(0)
    centres = torch.randn(5, 16, generator=g) * 6
    trigger = torch.randn(16, generator=g) * 4

    def rows(k, n, poisoned=False):
        return centres[k] + (trigger if poisoned else 0) + torch.randn(n, 16, generator=g) * 0.5

    source = torch.tensor([0] * 40 + [1, 2, 3, 4] * 5 + [k for k in range(1, 5) for _ in range(40)])
    X = torch.cat([rows(0, 40)] + [rows(k, 1, True) for k in [1, 2, 3, 4] * 5]
                  + [rows(k, 40) for k in range(1, 5)]).reshape(-1, 2, 8)
    y = torch.cat([torch.zeros(60, dtype=torch.long), source[60:]])
    poison = torch.zeros(len(y), dtype=torch.bool)
    poison[40:60] = True
    for left_behind, expected in [((3, 4), poison & ((source == 3) | (source == 4))), ((), None)]:
        objective = _objective(X, y, isolation_rate=0.2, drop="absolute", detector="robust",
                               cluster_mode="tracked", resplit=True)
        objective.evident, objective.backdoor_label = True, 0
        held = poison & ~torch.isin(source, torch.tensor(left_behind, dtype=torch.long))
        objective.clustered = held.clone()
        objective._resplit(_Identity())
        if expected is None:
            assert torch.equal(objective.clustered, held)  # only clean rows left: nothing added
        else:
            assert torch.equal(objective.clustered, held | expected)


@pytest.mark.parametrize("shadow_cells", [16, 0])
def test_the_tracked_split_acts_only_once_the_shadow_has_named_a_group(monkeypatch, shadow_cells):
    """With a shadow grid the 8-cell split may hold rows only after the shadow split (its own held
    group) has named one; without one it acts at once."""
    from e2abl_ts._e2abl import E2ABLObjective

    gated = shadow_cells > 0
    y = torch.tensor([0] * 10 + [1] * 10)
    objective = _objective(torch.zeros(20, 1, 32), y, isolation_rate=0.5, drop="absolute", detector="robust",
                           cluster_mode="tracked", shadow_cells=shadow_cells)
    shadow_names = []  # whether the shadow split holds rows 0-2, call by call: on the second call only

    def fake_split(self, net, held, cells=8):
        held.zero_()
        if cells == shadow_cells:
            shadow_names.append(len(shadow_names) == 1)
            held[:3] = shadow_names[-1]
        else:
            held[:5] = True
    monkeypatch.setattr(E2ABLObjective, "_flag_cluster", fake_split)
    objective._flag_clusters(None)
    assert int(objective.clustered.sum()) == (0 if gated else 5)
    objective._flag_clusters(None)
    assert int(objective.clustered.sum()) == 5 and int(objective.shadow.sum()) == (3 if gated else 0)
    objective._flag_clusters(None)  # once named, the gate stays open
    assert int(objective.clustered.sum()) == 5 and not objective.shadow.any()


@pytest.mark.parametrize("cluster_mode, shadow_cells", [("auto", 16), ("tracked", 16), ("warmup", 0)])
def test_the_estimator_asks_for_the_16_cell_shadow_on_series_only(cluster_mode, shadow_cells):
    """The modality choice lives in the estimator: series get the shadow gate, images none."""
    from e2abl_ts.image import E2ABLImageClassifier

    series = E2ABLClassifier(cluster_mode=cluster_mode)
    net = build_backbone("resnet", 1, 2)
    assert series._resolved_options(net, torch.zeros(4, 1, 32))["shadow_cells"] == shadow_cells
    image = E2ABLImageClassifier(cluster_mode=cluster_mode)
    net = build_backbone("resnet18", 1, 2, dim=2)
    assert image._resolved_options(net, torch.zeros(4, 1, 8, 8))["shadow_cells"] == 0
    # and when the split's side rules disagree, the larger margin decides: on images always, on
    # series from 40 rows of the backdoor label
    assert image._resolved_options(net, torch.zeros(4, 1, 8, 8))["margin_rows"] == 0
    series_options = series._resolved_options(build_backbone("resnet", 1, 2), torch.zeros(4, 1, 32))
    assert series_options["margin_rows"] == 40
    # the warm start's learning rate: the paper's 0.1 on series, 0.01 on images, a number as given
    assert series_options["warmup_lr"] == 0.1
    assert image._resolved_options(net, torch.zeros(4, 1, 8, 8))["warmup_lr"] == 0.01
    assert image.set_params(warmup_lr=0.05)._resolved_options(net, torch.zeros(4, 1, 8, 8))["warmup_lr"] == 0.05
    # the top half of the warm start's suspects may name the attack: images only, unless asked
    assert image.set_params(warm_top_half="auto")._resolved_options(net, torch.zeros(4, 1, 8, 8))["warm_top_half"]
    assert not series.set_params(warm_top_half="auto")._resolved_options(build_backbone("resnet", 1, 2),
                                                                         torch.zeros(4, 1, 32))["warm_top_half"]
    assert series.set_params(warm_top_half=True)._resolved_options(build_backbone("resnet", 1, 2),
                                                                   torch.zeros(4, 1, 32))["warm_top_half"]
    # the warm start's end tries the tracked split when nothing is evident: images only, unless asked
    assert image.set_params(warm_split="auto")._resolved_options(net, torch.zeros(4, 1, 8, 8))["warm_split"]
    assert not series._resolved_options(build_backbone("resnet", 1, 2), torch.zeros(4, 1, 32))["warm_split"]
    assert series.set_params(warm_split=True)._resolved_options(build_backbone("resnet", 1, 2),
                                                                torch.zeros(4, 1, 32))["warm_split"]
    # the outlier bar of the backdoor label's rows: 4.0 on images, the 2.5 tuned on series, a number as given
    assert image._resolved_options(net, torch.zeros(4, 1, 8, 8))["mislabel_z"] == 4.0
    assert series._resolved_options(build_backbone("resnet", 1, 2), torch.zeros(4, 1, 32))["mislabel_z"] == 2.5
    assert image.set_params(mislabel_z=3.0)._resolved_options(net, torch.zeros(4, 1, 8, 8))["mislabel_z"] == 3.0
    # the share of a label that D_b may hold while no evidence names it: 0.55 on images, off on series
    assert image._resolved_options(net, torch.zeros(4, 1, 8, 8))["quiet_label_cap"] == 0.55
    assert series._resolved_options(build_backbone("resnet", 1, 2), torch.zeros(4, 1, 32))["quiet_label_cap"] is None
    uncapped = image.set_params(quiet_label_cap=None)._resolved_options(net, torch.zeros(4, 1, 8, 8))
    assert uncapped["quiet_label_cap"] is None
    # the band the outlier flags must lie in once a split holds the label: 0.2 on images, off on series
    assert image.set_params(quiet_label_cap="auto")._resolved_options(net, torch.zeros(4, 1, 8, 8))["flag_band"] == 0.2
    assert series._resolved_options(build_backbone("resnet", 1, 2), torch.zeros(4, 1, 32))["flag_band"] is None
    assert image.set_params(flag_band=None)._resolved_options(net, torch.zeros(4, 1, 8, 8))["flag_band"] is None
    # a quiet fit keeps only D_b's score outliers from the main head: z over 6 on series, off on images
    assert series._resolved_options(build_backbone("resnet", 1, 2), torch.zeros(4, 1, 32))["quiet_z"] == 6.0
    assert image._resolved_options(net, torch.zeros(4, 1, 8, 8))["quiet_z"] is None
    assert image.set_params(quiet_z=3.0)._resolved_options(net, torch.zeros(4, 1, 8, 8))["quiet_z"] == 3.0
    # the main head's outlier flags ask for the second head's agreement on images, not on series
    assert image._resolved_options(net, torch.zeros(4, 1, 8, 8))["flag_agreement"] is True
    assert series._resolved_options(build_backbone("resnet", 1, 2), torch.zeros(4, 1, 32))["flag_agreement"] is False
    image.set_params(flag_agreement=False)
    assert image._resolved_options(net, torch.zeros(4, 1, 8, 8))["flag_agreement"] is False
    assert series.set_params(flag_agreement=True)._resolved_options(
        build_backbone("resnet", 1, 2), torch.zeros(4, 1, 32))["flag_agreement"] is True
    # a first split named against the second head's losses is turned on images, not on series
    assert image._resolved_options(net, torch.zeros(4, 1, 8, 8))["side_loss_ratio"] == 4.0
    assert series._resolved_options(build_backbone("resnet", 1, 2), torch.zeros(4, 1, 32))["side_loss_ratio"] is None
    image.set_params(side_loss_ratio=None)
    assert image._resolved_options(net, torch.zeros(4, 1, 8, 8))["side_loss_ratio"] is None
    assert series.set_params(side_loss_ratio=8.0)._resolved_options(
        build_backbone("resnet", 1, 2), torch.zeros(4, 1, 32))["side_loss_ratio"] == 8.0
    # a split must leave its label half the median peer's rows on series; images were not measured with it
    assert series._resolved_options(build_backbone("resnet", 1, 2), torch.zeros(4, 1, 32))["min_clean_side"] == 0.5
    assert image._resolved_options(net, torch.zeros(4, 1, 8, 8))["min_clean_side"] is None
    assert series.set_params(min_clean_side=None)._resolved_options(
        build_backbone("resnet", 1, 2), torch.zeros(4, 1, 32))["min_clean_side"] is None
    # the held side ends at the two-Gaussian cut and stays whole when a split cuts inside it, on series
    series_options = series._resolved_options(build_backbone("resnet", 1, 2), torch.zeros(4, 1, 32))
    assert (series_options["held_cut"], series_options["keep_inside"]) == ("mixture", 0.9)
    image_options = image._resolved_options(net, torch.zeros(4, 1, 8, 8))
    assert (image_options["held_cut"], image_options["keep_inside"]) == ("otsu", None)
    series_options = series.set_params(held_cut="otsu", keep_inside=None)._resolved_options(
        build_backbone("resnet", 1, 2), torch.zeros(4, 1, 32))
    assert (series_options["held_cut"], series_options["keep_inside"]) == ("otsu", None)
    # the inflated-label rule's bar relative to the label: series only
    assert series._resolved_options(build_backbone("resnet", 1, 2), torch.zeros(4, 1, 32))["inflated_share"] == 2 / 3
    assert image._resolved_options(net, torch.zeros(4, 1, 8, 8))["inflated_share"] is None


def test_disagreeing_side_rules_name_a_side_only_by_margin_and_only_when_asked():
    from e2abl_ts._e2abl import agreed_side

    upper = torch.tensor([True] * 4 + [False] * 4)

    def rule(upper_value, lower_value):
        return lambda group: upper_value if torch.equal(group, upper) else lower_value

    assert torch.equal(agreed_side(upper, [rule(2.0, 1.0), rule(3.0, 1.0)]), upper)  # agreement
    barely_upper, clearly_lower = rule(1.01, 1.0), rule(1.0, 2.0)
    assert agreed_side(upper, [barely_upper, clearly_lower]) is None
    assert torch.equal(agreed_side(upper, [barely_upper, clearly_lower], by_margin=True), ~upper)
    assert torch.equal(agreed_side(upper, [rule(3.0, 1.0), clearly_lower], by_margin=True), upper)


def _label_with_trigger(n_clean: int):
    """Label 0: ``n_clean`` rows of its own content, then 10 rows of classes 1 and 2 carrying a trigger; labels 1
    and 2: 30 clean rows each. Rows of 2 channels x 8 steps."""
    g = torch.Generator().manual_seed(0)
    centres, trigger = torch.randn(3, 16, generator=g) * 6, torch.randn(16, generator=g) * 4
    source = torch.tensor([0] * n_clean + [1, 2] * 5 + [1] * 30 + [2] * 30)
    X = (centres[source] + torch.randn(len(source), 16, generator=g) * 0.5).reshape(-1, 2, 8)
    X[n_clean: n_clean + 10] += trigger.reshape(2, 8)
    return X, torch.cat([torch.zeros(n_clean + 10, dtype=torch.long), source[n_clean + 10:]])


@pytest.mark.parametrize("ratio, poison_loss, held_poison", [
    (None, 0.02, False),  # off: the side the rules named (here the clean one) is held
    (4.0, 0.02, True),  # the second head fits the other side over 4 times better: that side is held
    (4.0, 0.35, False),  # it fits both sides alike: the rules' side stands
])
def test_side_loss_ratio_names_the_side_the_second_head_fits_far_better(monkeypatch, ratio, poison_loss,
                                                                       held_poison):
    """A split the side rules name wrongly (the clean side) is turned by the second head's losses, and only
    when they tell the sides apart; a group named before keeps its name (follow) without asking them."""
    from e2abl_ts import _e2abl

    n_clean = 40
    X, y = _label_with_trigger(n_clean)
    poison = torch.arange(n_clean, n_clean + 10)
    monkeypatch.setattr(_e2abl, "agreed_side", lambda upper, rules, by_margin=False:
                        ~upper if int(upper.sum()) == 10 else upper)  # the clean side, as fooled rules name it
    objective = _objective(X, y, n_classes=3, isolation_rate=0.8, drop="absolute", detector="robust",
                           cluster_mode="tracked", side_loss_ratio=ratio)
    objective.evident, objective.backdoor_label = True, 0
    objective.loss_now = torch.full((len(y),), 0.4)
    objective.loss_now[poison] = poison_loss
    objective._flag_cluster(_Identity(), objective.clustered)
    held = torch.nonzero(objective.clustered).flatten()
    assert torch.equal(held, poison) if held_poison else torch.equal(held, torch.arange(n_clean))
    # the next split follows the group it named, whatever the losses say now
    objective.loss_now = torch.full((len(y),), 0.4)
    objective.loss_now[held] = 2.0
    objective._flag_cluster(_Identity(), objective.clustered)
    assert torch.equal(torch.nonzero(objective.clustered).flatten(), held)


@pytest.mark.parametrize("n_clean, by_margin", [(20, False), (40, True)])
def test_the_margin_rule_decides_a_split_only_on_a_label_of_margin_rows_or_more(monkeypatch, n_clean, by_margin):
    """The tracked split asks agreed_side for the margin rule only when the backdoor label has at
    least ``margin_rows`` rows (here 40: 20 or 40 clean rows plus 10 poisoned ones)."""
    from e2abl_ts import _e2abl

    X, y = _label_with_trigger(n_clean)
    asked = []

    def record(upper, rules, by_margin=False):
        asked.append(by_margin)
        return upper if int(upper.sum()) == 10 else ~upper  # the poison, as a rule would name it
    monkeypatch.setattr(_e2abl, "agreed_side", record)
    objective = _objective(X, y, n_classes=3, isolation_rate=0.3, drop="absolute", detector="robust",
                           cluster_mode="tracked", margin_rows=40)
    objective.evident, objective.backdoor_label = True, 0
    objective._flag_cluster(_Identity(), objective.clustered)
    assert asked and set(asked) == {by_margin}
    assert torch.equal(torch.nonzero(objective.clustered).flatten(), torch.arange(n_clean, n_clean + 10))


def test_auto_split_is_tracked_with_resplit_on_series():
    X, X_p, y_p = _separable_poisoned()
    auto = E2ABLClassifier(**SPLIT_KW).fit(X_p, y_p)
    tracked = E2ABLClassifier(**SPLIT_KW, cluster_mode="tracked", resplit=True).fit(X_p, y_p)
    assert np.array_equal(auto.predict_proba(X), tracked.predict_proba(X))
    assert len(auto.unlearned_indices_) > 0  # the tracked split's rows, unlearned
    warmup = E2ABLClassifier(**SPLIT_KW, cluster_mode="warmup").fit(X_p, y_p)
    assert len(warmup.unlearned_indices_) == 0 and not np.allclose(auto.predict_proba(X), warmup.predict_proba(X))


def _inflated(warm_loss, y, inflated_share=None):
    objective = _objective(torch.zeros(len(y), 1, 8), y, 4, warmup_epochs=2, isolation_rate=0.2, drop="absolute",
                           detector="robust", inflated_label=True, inflated_share=inflated_share)
    objective.warm_loss, objective.n_warm_loss = warm_loss * 2, 2  # the mean of two warm epochs
    objective.backdoor_label, objective.evident = 0, True  # what the loss drops said: the easy label
    objective._flag_inflated_label()
    return objective


def test_a_label_that_other_classes_fill_is_named_from_the_warm_starts_high_loss_tail():
    # 40 rows, 4 classes (log 4 = 1.39), an isolation budget of 8: the data are learned (loss 0.05)
    # except 7 of label 3's 8 rows, which the shallow model places elsewhere (loss 3), and one row
    # of label 0 (the eighth of the tail)
    y = torch.tensor([0] * 12 + [1] * 12 + [2] * 8 + [3] * 8)
    loss = torch.full((40,), 0.05)
    inflated = torch.arange(32, 39)
    loss[inflated] = torch.linspace(2.5, 3.5, 7)
    loss[0] = 2.0
    objective = _inflated(loss, y)
    assert objective.backdoor_label == 3 and objective.evident and objective.attack_evidence == "inflated_label"
    # 7 of the label's 8 rows are other classes' series: none of its rows is trusted
    assert torch.equal(objective.sticky, y == 3)
    # the same 7 rows in a label of 20 (label 1's rows too): only they are held
    big = torch.where(y == 1, torch.tensor(3), y)
    objective = _inflated(loss, big)
    assert objective.backdoor_label == 3 and objective.evident
    assert torch.equal(torch.nonzero(objective.sticky).flatten(), inflated)
    # no label holds half of the tail: the warm start's label stands, nothing is isolated
    spread = torch.full((40,), 0.05)
    for label, n in ((3, 3), (2, 3), (1, 2)):
        spread[torch.nonzero(y == label).flatten()[:n]] = 3.0
    objective = _inflated(spread, y)
    assert objective.backdoor_label == 0 and not objective.sticky.any() and objective.attack_evidence is None
    # the tail's rows are hard but not placed elsewhere (loss under log 4): a hard class, not poison
    objective = _inflated(torch.where(loss > 1, torch.tensor(1.2), loss), y)
    assert objective.backdoor_label == 0 and not objective.sticky.any()
    # the data are not learned yet (median loss over log(4) / 4): no evidence either way
    objective = _inflated(torch.where(loss > 1, loss, torch.tensor(0.6)), y)
    assert objective.backdoor_label == 0 and not objective.sticky.any()


def test_a_poisoned_label_under_half_the_tail_is_named_when_two_thirds_of_it_are_there():
    """ECG5000's minority class under TT-FGSM (data seed 2): 26 of its 37 rows sit in the 70-row tail, short of
    the half (35) the rule asks, and the warm start named another label. A label of at least a quarter of the
    tail's size with two thirds of its rows there is named, and none of its rows is trusted; a smaller label
    wholly in the tail (a rare clean class the shallow model has not learned) is not."""
    # 80 rows, 4 classes (log 4 = 1.39), a tail of 16: 5 of label 3's 6 rows and 11 rows of the others
    y = torch.tensor([0] * 25 + [1] * 25 + [2] * 24 + [3] * 6)
    loss = torch.full((80,), 0.05)
    loss[74:79] = 3.0  # label 3's rows, placed elsewhere
    for label, n in ((0, 4), (1, 4), (2, 3)):
        loss[torch.nonzero(y == label).flatten()[:n]] = 2.0
    assert _inflated(loss, y).backdoor_label == 0  # without the share (images): the half of the tail only
    objective = _inflated(loss, y, inflated_share=2 / 3)
    assert objective.n_isolate == 16
    assert objective.backdoor_label == 3 and objective.evident and objective.attack_evidence == "inflated_label"
    assert torch.equal(objective.sticky, y == 3)
    # a 3-row label (under a quarter of the tail) wholly in it: the warm start's label stands
    small = torch.tensor([0] * 26 + [1] * 26 + [2] * 25 + [3] * 3)
    loss = torch.full((80,), 0.05)
    loss[77:] = 3.0
    for label, n in ((0, 5), (1, 4), (2, 4)):
        loss[torch.nonzero(small == label).flatten()[:n]] = 2.0
    objective = _inflated(loss, small, inflated_share=2 / 3)
    assert objective.backdoor_label == 0 and not objective.sticky.any() and objective.attack_evidence is None


class _IdentityShallow(torch.nn.Module):
    """Stands in for a dual-head network whose shared layers pass the series through."""

    def shallow(self, xb):
        return xb


def _content_and_trigger(poisoned: bool, noise: float = 0.3):
    """Three classes whose content sits in different cells of 64 steps, under Gaussian ``noise``; with
    ``poisoned``, 20 series of classes 1 and 2 carry a step in the last cells and are labelled 0 (60 rows)."""
    gen = torch.Generator().manual_seed(0)
    X = noise * torch.randn(150, 1, 64, generator=gen)
    y = torch.tensor([0] * 40 + [1] * 55 + [2] * 55)
    for label, cells in ((0, slice(0, 16)), (1, slice(16, 32)), (2, slice(32, 48))):
        X[y == label, 0, cells] += 2.0
    if poisoned:
        rows = torch.cat([torch.arange(40, 50), torch.arange(95, 105)])
        X[rows, 0, 48:] += 3.0
        y[rows] = 0
        return X, y, rows
    return X, y, torch.zeros(0, dtype=torch.long)


@pytest.mark.parametrize("poisoned", [True, False])
def test_scan_labels_moves_a_quiet_start_to_the_label_that_splits(poisoned):
    X, y, rows = _content_and_trigger(poisoned)
    objective = _objective(X, y, n_classes=3, isolation_rate=0.2, drop="absolute", detector="robust",
                           cluster_mode="tracked", shadow_cells=16, scan_rows=40)
    objective.warm = False
    objective._scan_labels(_IdentityShallow())
    if poisoned:
        # label 0's rows split into its content and the triggered series of classes 1 and 2
        assert objective.locked_label == 0 and objective.backdoor_label == 0 and objective.evident
        assert objective.attack_evidence == "label_split"
        assert sorted(torch.nonzero(objective.clustered).flatten().tolist()) == rows.tolist()
        assert torch.equal(objective.shadow, objective.clustered) and objective.shadow_named
    else:  # content alone varies in every label: nothing splits, nothing is named
        assert objective.locked_label is None and not objective.evident and not objective.clustered.any()
        assert objective.attack_evidence is None


@pytest.mark.parametrize("bar, named", [(None, True), (5.0, False)])
def test_scan_labels_names_a_noisy_split_at_the_default_bar(bar, named):
    """Under noise 3 the poisoned label splits between 3.5 and 5 pooled standard deviations, as JapaneseVowels'
    poisoned label does in a quiet fit: the default bar (SCAN_BAR, 3.5) names it with its 20 poisoned rows, the
    bar of 5 used before session 47 does not; the clean data under the same noise name nothing."""
    from e2abl_ts._e2abl import SCAN_BAR

    assert SCAN_BAR == 3.5
    kw = {} if bar is None else {"bar": bar}
    for poisoned in (True, False):
        X, y, rows = _content_and_trigger(poisoned, noise=3.0)
        objective = _objective(X, y, n_classes=3, isolation_rate=0.2, drop="absolute", detector="robust",
                               cluster_mode="tracked", shadow_cells=16, scan_rows=40)
        objective.warm = False
        objective._scan_labels(_IdentityShallow(), **kw)
        if poisoned and named:
            assert objective.locked_label == 0 and objective.attack_evidence == "label_split"
            assert sorted(torch.nonzero(objective.clustered).flatten().tolist()) == rows.tolist()
        else:
            assert objective.locked_label is None and not objective.clustered.any()


@pytest.mark.parametrize("min_clean_side, named", [(None, True), (0.1, True), (0.5, False)])
def test_min_clean_side_refuses_a_split_that_leaves_its_label_too_few_rows(min_clean_side, named):
    """Label 0 keeps 6 of its own rows beside the 20 poisoned ones, its peers 45 rows each: a split naming the
    poison leaves it 6 rows, under half the peers' median (22.5), so with 0.5 neither the scan nor the tracked
    split counts it; with 0.1 (4.5 rows) or None both name it; on a label with "inflated_label" evidence, always."""
    X, y, rows = _content_and_trigger(poisoned=True)
    keep = torch.cat([torch.arange(6), torch.arange(40, 150)])
    X, y = X[keep], y[keep]
    rows = rows - 34
    common = dict(n_classes=3, isolation_rate=0.3, drop="absolute", detector="robust", cluster_mode="tracked",
                  cluster_sep=3.5, min_clean_side=min_clean_side)
    scan = _objective(X, y, scan_rows=20, **common)
    scan.warm = False
    scan._scan_labels(_IdentityShallow())
    tracked = _objective(X, y, **common)
    tracked.backdoor_label, tracked.evident, tracked.warm = 0, True, False
    tracked._flag_cluster(_IdentityShallow(), tracked.clustered)
    for objective in (scan, tracked):
        held = sorted(torch.nonzero(objective.clustered).flatten().tolist())
        assert held == (rows.tolist() if named else [])
    assert (scan.locked_label == 0) is named
    # a label named by "inflated_label" evidence is mostly other classes' series: the rule does not apply
    inflated = _objective(X, y, **common)
    inflated.backdoor_label, inflated.evident, inflated.warm = 0, True, False
    inflated._found("inflated_label", 0)
    inflated._flag_cluster(_IdentityShallow(), inflated.clustered)
    assert sorted(torch.nonzero(inflated.clustered).flatten().tolist()) == rows.tolist()


def test_scan_labels_skips_labels_under_scan_rows():
    X, y, _ = _content_and_trigger(poisoned=True)
    objective = _objective(X, y, n_classes=3, isolation_rate=0.2, drop="absolute", detector="robust",
                           cluster_mode="tracked", scan_rows=61)  # label 0 has 60 rows
    objective._scan_labels(_IdentityShallow())
    assert objective.locked_label is None and not objective.clustered.any()


@pytest.mark.parametrize("poisoned, clean_rows, named", [(True, 40, True), (False, 40, False), (True, 15, False)])
def test_warm_split_names_the_predominant_label_when_its_rows_split(poisoned, clean_rows, named):
    """No evidence at the warm start's end (the share rule did not fire): the tracked split of the
    label the second head predicts names it when the label's rows split and it has 40 rows or more;
    a label that does not split, or a small one, is left as it was."""
    X, y, rows = _content_and_trigger(poisoned)
    keep = torch.cat([torch.arange(clean_rows), torch.arange(40, 150)])
    X, y = X[keep], y[keep]
    rows = rows - (40 - clean_rows)
    objective = _objective(X, y, n_classes=3, isolation_rate=0.3, drop="absolute", detector="robust",
                           cluster_mode="tracked", cluster_sep=3.5, warm_split=True)
    objective.backdoor_label, objective.evident = 0, False
    objective._warm_split(_IdentityShallow())
    assert objective.evident is named and objective.locked_label == (0 if named else None)
    assert objective.attack_evidence == ("label_split" if named else None)
    held = sorted(torch.nonzero(objective.clustered).flatten().tolist())
    assert held == (rows.tolist() if named else [])


@pytest.mark.parametrize("warm_split", [True, False])
def test_the_warm_starts_end_tries_the_split_only_with_warm_split(monkeypatch, warm_split):
    """The hook: at the end of the warm start, with no evidence, warm_split names the poisoned label
    and locks it; without it the label stays unnamed (the hold-back's feedback decides later)."""
    from e2abl_ts._e2abl import E2ABLObjective

    X, y, rows = _content_and_trigger(poisoned=True)
    objective = _objective(X, y, n_classes=3, isolation_rate=0.3, drop="absolute", detector="robust",
                           cluster_mode="tracked", cluster_sep=3.5, warm_split=warm_split, inflated_label=False)
    objective.loss_prev = objective.loss_first = torch.zeros(len(y))

    def split(self, net):  # the share rule: label 0 predicted, not evident (unless locked)
        self.backdoor_label = 0 if self.locked_label is None else self.locked_label
        self.evident = self.locked_label is not None
    monkeypatch.setattr(E2ABLObjective, "_split", split)
    objective.after_epoch(0, _IdentityShallow())
    assert objective.locked_label == (0 if warm_split else None) and objective.evident is warm_split
    assert objective.attack_evidence == ("label_split" if warm_split else None)
    assert sorted(torch.nonzero(objective.clustered).flatten().tolist()) == (rows.tolist() if warm_split else [])


@pytest.mark.parametrize("clean_rows", [40, 15])
def test_a_tracked_split_names_the_attack_only_on_a_large_label(clean_rows):
    # the label acted on came from the hold-back's feedback (no evidence yet); its rows split into
    # content and the 20 triggered series of classes 1 and 2. A split of 60 rows is evidence; of 35
    # rows it is held all the same, but clean labels of 15-30 rows split too (the 10% walk, docs/experiments.md)
    X, y, rows = _content_and_trigger(poisoned=True)
    keep = torch.cat([torch.arange(clean_rows), torch.arange(40, 150)])
    X, y = X[keep], y[keep]
    rows = rows - (40 - clean_rows)  # their places once the dropped rows are gone
    objective = _objective(X, y, n_classes=3, isolation_rate=0.3, drop="absolute", detector="robust",
                           cluster_mode="tracked", cluster_sep=3.5)
    objective.backdoor_label, objective.evident = 0, True
    assert objective.attack_evidence is None
    objective._flag_clusters(_IdentityShallow())
    assert sorted(torch.nonzero(objective.clustered).flatten().tolist()) == rows.tolist()
    assert objective.attack_evidence == ("label_split" if clean_rows + 20 >= 40 else None)
    # evidence is for its label: once the label acted on is another, nothing is named
    objective.backdoor_label = 1
    assert objective.attack_evidence is None

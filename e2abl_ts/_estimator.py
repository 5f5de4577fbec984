"""The scikit-learn side shared by every defense and both modalities.

A concrete classifier states its parameters in ``__init__`` (scikit-learn requires explicit
signatures) and implements ``_fit_module``; input checks, scaling, labels, devices,
prediction and pickling live here once.
"""

from __future__ import annotations

import copy
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._trainer import LR_SCHEDULES, fast_math, make_optimizer, predict_logits, resolve_device, seed_from
from ._validation import ChannelScaler, check_labels, check_series, series_lengths
from .networks import BACKBONES, build_backbone, reset_parameters

COMMON_CONSTRAINTS = {
    "backbone": [StrOptions(set(BACKBONES)), callable],
    "backbone_kwargs": [dict, None],
    "n_epochs": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 2, None, closed="left")],
    "lr": [Interval(Real, 0, None, closed="neither")],
    "lr_schedule": [StrOptions(set(LR_SCHEDULES))],
    "optimizer": [StrOptions({"sgd", "adam"})],
    "momentum": [Interval(Real, 0, 1, closed="left")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "device": [str, torch.device, None],
    "random_state": ["random_state"],
    "verbose": ["boolean"],
}


# the fraction of the last epochs whose weights are averaged (single-loop trainers: E2ABL, no defense)
AVERAGE_LAST_CONSTRAINT = [Interval(Real, 0, 1, closed="left")]


class SeriesInput:
    """Input handling for time series (aeon's layout); the image adapter swaps this part."""

    def _check_X(self, X, input_name: str = "X") -> np.ndarray:
        return check_series(X, input_name=input_name)


class BaseDeepClassifier(ClassifierMixin, BaseEstimator):
    """Shared fit/predict machinery. Subclasses implement ``_fit_module``."""

    _parameter_constraints: dict = dict(COMMON_CONSTRAINTS)
    _data_dim = 1  # 1: series; the image adapter's input mixin sets 2
    _amp = False  # bf16 autocast on CUDA (the image adapter turns it on)

    # --- hooks for subclasses -------------------------------------------------------------
    def _check_fit_params(self, n_cases: int) -> None:
        """Checks that depend on the data (e.g. rates against the number of cases)."""

    def _fit_module(self, backbone, X: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> torch.nn.Module:
        """Train and return the final network (a backbone mapping inputs to logits)."""
        raise NotImplementedError

    # --- public API -----------------------------------------------------------------------
    def fit(self, X, y, eval_sets=None):
        """Fit on ``X`` (see the class docstring for the accepted layouts) and labels ``y``.

        ``eval_sets`` (optional) maps names to labelled sets ``(X_eval, y_eval)`` scored after
        every epoch: ``history_`` records gain ``acc_<name>`` (the network being trained) and,
        for E2ABL, ``second_acc_<name>`` (its second head), e.g. ``{"clean": (X_test, y_test),
        "attack": attack.make_attack_set(X_test, y_test)}`` gives the paper's Figure 3. It
        costs one prediction pass per set and epoch and changes nothing about the training.
        """
        self._validate_params()
        lengths = series_lengths(X)
        X = self._check_X(X)
        self.classes_, y_enc = check_labels(y, len(X))
        self._check_fit_params(len(X))
        self.n_channels_ = X.shape[1]
        self.n_features_in_ = X.shape[-1]  # the (longest) series length or image width seen in fit
        # equal-length training data fix the input length; unequal-length data accept any
        self.input_shape_ = None if lengths is not None and len(set(lengths.tolist())) > 1 else X.shape[1:]
        self.scaler_ = ChannelScaler().fit(X)
        device = resolve_device(self.device)
        generator = torch.Generator().manual_seed(seed_from(self.random_state))
        X_t = self._to_device(self.scaler_.transform(X), device)
        y_t = torch.from_numpy(y_enc).to(device)
        self._monitor = self._make_monitor(eval_sets, device)
        try:
            with fast_math(device, amp=self._amp):
                backbone = self._to_device(self._new_backbone(generator), device)
                module = self._fit_module(backbone, X_t, y_t, generator)
        finally:
            del self._monitor  # holds the evaluation data: never pickled with the model
        self.module_ = module.eval()
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``."""
        logits = self._logits(X)
        return torch.softmax(logits.float(), dim=1).cpu().numpy().astype(np.float64)

    def predict(self, X) -> np.ndarray:
        winners = self._logits(X).argmax(dim=1).cpu().numpy()
        return self.classes_[winners]

    # --- internals ------------------------------------------------------------------------
    def _to_device(self, x, device):
        """An array or module on ``device``; 2D data on CUDA in channels_last memory format."""
        if isinstance(x, np.ndarray):
            x = torch.from_numpy(x)
        x = x.to(device)
        if self._data_dim == 2 and device.type == "cuda":
            x = x.to(memory_format=torch.channels_last) if isinstance(x, torch.nn.Module) else x.contiguous(
                memory_format=torch.channels_last)
        return x

    def _make_monitor(self, eval_sets, device):
        """The per-epoch scorer of ``eval_sets`` passed to the training loop (None without sets)."""
        if eval_sets is None:
            return None
        if not isinstance(eval_sets, dict) or not eval_sets:
            raise ValueError(
                f"eval_sets must be a non-empty dict mapping names to (X, y) pairs; got {type(eval_sets).__name__}."
            )
        sets = {}
        for name, pair in eval_sets.items():
            if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
                raise ValueError(f"eval_sets[{name!r}] must be an (X, y) pair; got {type(pair).__name__}.")
            X_e = self._check_X(pair[0], input_name=f"eval_sets[{name!r}] X")
            y_e = np.asarray(pair[1])
            if len(y_e) != len(X_e):
                raise ValueError(f"eval_sets[{name!r}] has {len(X_e)} cases but {len(y_e)} labels.")
            known = np.isin(y_e, self.classes_)
            codes = np.full(len(y_e), -1, dtype=np.int64)  # a label unseen in fit is never predicted
            codes[known] = np.searchsorted(self.classes_, y_e[known])
            sets[name] = (self._to_device(self.scaler_.transform(X_e), device), torch.from_numpy(codes).to(device))
        batch = max(self.batch_size, 256)

        def accuracy(fn, X_e, y_e):
            return float((predict_logits(fn, X_e, batch).argmax(1) == y_e).float().mean())

        def monitor(net):
            record = {}
            dual = hasattr(net, "second_head")
            for name, (X_e, y_e) in sets.items():
                if dual:
                    record[f"second_acc_{name}"] = accuracy(net.second, X_e, y_e)
                record[f"acc_{name}"] = accuracy((lambda xb: net(xb)[0]) if dual else net, X_e, y_e)
            return record

        return monitor

    def _new_backbone(self, generator: torch.Generator) -> torch.nn.Module:
        with torch.random.fork_rng(devices=[]):
            # layer constructors draw from the global RNG; forking leaves the caller's stream
            # as it was, and the weights are redrawn from ``generator`` below
            net = build_backbone(self.backbone, self.n_channels_, len(self.classes_), dim=self._data_dim,
                                 backbone_kwargs=self.backbone_kwargs)
        reset_parameters(net, generator)
        return net

    def _optimizer(self, groups: list[dict]):
        return make_optimizer(self.optimizer, groups, self.lr, self.momentum, self.weight_decay)

    def _prepare(self, X) -> torch.Tensor:
        """Validate and scale new data exactly as in ``fit``; returns a tensor on the device."""
        check_is_fitted(self, "module_")
        X = self._check_X(X)
        if X.shape[1] != self.n_channels_:
            raise ValueError(
                f"X has {X.shape[1]} channels, but {type(self).__name__} was fitted with {self.n_channels_} channels."
            )
        if self.input_shape_ is not None and X.shape[1:] != self.input_shape_:
            raise ValueError(
                f"X has {X.shape[-1]} features, but {type(self).__name__} is expecting {self.n_features_in_} features "
                f"as input: cases of shape {X.shape[1:]} were given, {self.input_shape_} were seen in fit (to predict "
                "series of any length, fit on aeon's unequal-length form, a list of 2D arrays)."
            )
        device = resolve_device(self.device)
        if next(self.module_.parameters()).device != device:
            self.module_.to(device)
        return self._to_device(self.scaler_.transform(X), device)

    def _logits(self, X) -> torch.Tensor:
        X_t = self._prepare(X)
        self.module_.eval()
        return predict_logits(self.module_, X_t, max(self.batch_size, 256))

    def __getstate__(self):
        state = self.__dict__.copy()
        module = state.get("module_")
        if module is not None and next(module.parameters()).device.type != "cpu":
            # a model fitted on a GPU must load on a CPU-only machine
            state["module_"] = copy.deepcopy(module).cpu()
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = False
        return tags

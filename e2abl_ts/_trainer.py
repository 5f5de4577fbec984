"""THE training loop: epochs, batches, per-sample losses, device, progress.

Every defense (E2ABL, no defense, ABL, NAD, fine-pruning) is an :class:`Objective` run by
:func:`train`: it declares its parameter groups, computes the loss of one batch and updates
its own state (sample masks, schedules) at epoch boundaries. Nothing here knows about
estimators, series or images.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections import defaultdict

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm


class Objective:
    """What a training method changes about the loop. Subclasses override what they need.

    ``batch_loss`` receives the batch, its labels and ``idx``, the batch's row indices in the
    training set (on the device), so an objective can keep per-sample state such as masks,
    corrected labels and loss histories as device tensors indexed by row.
    """

    def param_groups(self, net: nn.Module) -> list[dict]:
        return [{"params": list(net.parameters()), "name": "all"}]

    def start(self, net: nn.Module) -> None:
        """Called once before the first epoch (e.g. to record initial per-sample losses)."""

    def before_epoch(self, epoch: int, optimizer: torch.optim.Optimizer) -> None:
        """Called before epoch ``epoch`` (0-based): set learning rates, switch phases."""

    def epoch_rows(self, epoch: int) -> torch.Tensor | None:
        """The training rows this epoch iterates over (``None`` = all of them)."""
        return None

    def batch_loss(self, net: nn.Module, xb: torch.Tensor, yb: torch.Tensor, idx: torch.Tensor):
        """Return ``(loss, logs)``; ``logs`` maps names to floats averaged over the epoch."""
        raise NotImplementedError

    def after_epoch(self, epoch: int, net: nn.Module) -> dict:
        """Called after epoch ``epoch`` (0-based); returns extra fields for the history record."""
        return {}


def resolve_device(device) -> torch.device:
    """``"auto"`` picks CUDA when it is available, else the CPU."""
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or a torch.device; got {device!r}.") from exc


_AMP = contextvars.ContextVar("e2abl_amp", default=False)


@contextlib.contextmanager
def fast_math(device: torch.device, amp: bool = False):
    """TF32 matmuls and convolutions on CUDA for the duration of a fit, restored afterwards.

    With ``amp``, :func:`train` runs each batch's forward pass under bfloat16 autocast, on CUDA
    only (on CPUs bf16 autocast is 10-20 times slower: measured).
    """
    if device.type != "cuda":
        yield
        return
    old = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = True
    token = _AMP.set(bool(amp))
    try:
        yield
    finally:
        _AMP.reset(token)
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32, torch.backends.cudnn.benchmark = old


def make_optimizer(name: str, groups: list[dict], lr: float, momentum: float, weight_decay: float):
    if name == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(groups, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be 'sgd' or 'adam'; got {name!r}.")


def set_lr(optimizer: torch.optim.Optimizer, **lrs: float) -> None:
    """Set the learning rate of the parameter groups named in ``lrs``."""
    for group in optimizer.param_groups:
        if group.get("name") in lrs:
            group["lr"] = lrs[group["name"]]


def batches(rows: torch.Tensor, batch_size: int):
    """Split ``rows`` into batches, never leaving a last batch of one (batch norm needs two)."""
    n = len(rows)
    starts = list(range(0, n, batch_size))
    if n > 1 and n % batch_size == 1:
        starts.pop()
    for i, s in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else n
        yield rows[s:end]


LR_SCHEDULES = ("constant", "cosine")


def lr_factor(schedule: str, epoch: int, n_epochs: int) -> float:
    """The multiplier of every learning rate in epoch ``epoch`` (0-based) of ``n_epochs``.

    ``"cosine"`` anneals from 1 in the first epoch towards 0 in the last (Loshchilov & Hutter
    2017, without restarts), per epoch; ``"constant"`` is 1 throughout.
    """
    if schedule == "constant":
        return 1.0
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * epoch / n_epochs))
    raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}; got {schedule!r}.")


def train(net: nn.Module, X: torch.Tensor, y: torch.Tensor, objective: Objective, *, n_epochs: int,
          batch_size: int, optimizer: torch.optim.Optimizer, generator: torch.Generator,
          verbose: bool = False, desc: str = "training", monitor=None, lr_schedule: str = "constant",
          average_last: float = 0.0) -> list[dict]:
    """Run ``n_epochs`` epochs of ``objective`` on ``(X, y)``, both already on the device.

    Returns one record per epoch: the epoch number, the epoch means of the objective's logs,
    what its ``after_epoch`` adds, and what ``monitor(net)`` returns (evaluated in eval mode
    after each epoch, e.g. accuracies on held-out sets; it must not draw random numbers).
    ``lr_schedule`` scales every group's learning rate, as the objective sets it for the
    epoch, by :func:`lr_factor`; the unscaled rates are restored at the end. ``average_last``: the
    fraction of the last epochs whose end-of-epoch weights are averaged into ``net`` at the end
    (stochastic weight averaging, Izmailov et al. 2018; :class:`WeightAverage`); 0 keeps the last
    epoch's weights. ``monitor`` and the objective see each epoch's own weights.
    """
    history = []
    n = len(X)
    amp = _AMP.get() and X.device.type == "cuda"
    objective.start(net)
    bar = tqdm(range(n_epochs), desc=desc, disable=not verbose, leave=False, unit="epoch")
    base = [group["lr"] for group in optimizer.param_groups]
    average = WeightAverage()
    n_average = int(round(average_last * n_epochs))
    for epoch in bar:
        for group, lr in zip(optimizer.param_groups, base):
            group["lr"] = lr  # the objective sees (and may change) the unscaled rates
        objective.before_epoch(epoch, optimizer)
        base = [group["lr"] for group in optimizer.param_groups]
        factor = lr_factor(lr_schedule, epoch, n_epochs)
        for group in optimizer.param_groups:
            group["lr"] *= factor
        rows = objective.epoch_rows(epoch)
        rows = torch.arange(n) if rows is None else rows.cpu()
        order = rows[torch.randperm(len(rows), generator=generator)].to(X.device)
        net.train()
        sums, n_seen = defaultdict(float), 0
        for idx in batches(order, batch_size):
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
                loss, logs = objective.batch_loss(net, X[idx], y[idx], idx)
            if loss.requires_grad:
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            for key, value in logs.items():
                sums[key] += float(value) * len(idx)
            n_seen += len(idx)
        record = {"epoch": epoch + 1, **{k: v / max(n_seen, 1) for k, v in sums.items()}}
        record.update(objective.after_epoch(epoch, net))
        if monitor is not None:
            with eval_mode(net), torch.no_grad():
                record.update(monitor(net))
        if epoch >= n_epochs - n_average:
            average.add(net)
        history.append(record)
        bar.set_postfix({k: (f"{v:.3f}" if isinstance(v, float) else v) for k, v in record.items() if k != "epoch"})
    for group, lr in zip(optimizer.param_groups, base):
        group["lr"] = lr
    average.load_into(net)
    return history


class WeightAverage:
    """The running mean of a network's floating-point state (parameters and batch-norm running
    statistics) over the snapshots added; integer buffers (batch counts) keep the last value."""

    def __init__(self):
        self.mean: dict[str, torch.Tensor] | None = None
        self.count = 0

    @torch.no_grad()
    def add(self, net: nn.Module) -> None:
        state = net.state_dict()
        self.count += 1
        if self.mean is None:
            self.mean = {k: v.detach().clone() for k, v in state.items()}
            return
        for key, value in state.items():
            if value.is_floating_point():
                self.mean[key] += (value - self.mean[key]) / self.count
            else:
                self.mean[key].copy_(value)

    def load_into(self, net: nn.Module) -> None:
        """Replace ``net``'s state by the mean (nothing to do with fewer than two snapshots)."""
        if self.count >= 2:
            net.load_state_dict(self.mean)


@torch.no_grad()
def predict_logits(fn, X: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Batched ``fn(X)`` in inference mode; ``fn`` maps a batch to logits."""
    if len(X) == 0:
        raise ValueError("cannot predict on zero samples.")
    return torch.cat([fn(X[s : s + batch_size]) for s in range(0, len(X), batch_size)])


@contextlib.contextmanager
def eval_mode(net: nn.Module):
    """Put ``net`` in eval mode and restore its previous mode afterwards."""
    was_training = net.training
    net.eval()
    try:
        yield net
    finally:
        net.train(was_training)


def seed_from(random_state) -> int:
    """An integer seed for a private ``torch.Generator``, from sklearn-style ``random_state``."""
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**63 - 1))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    if random_state is None:
        return int(np.random.default_rng().integers(2**63 - 1))
    return int(random_state)

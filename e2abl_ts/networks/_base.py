"""Building blocks shared by every backbone: the staged-backbone contract, the second head,
the dual-head wrapper and generator-driven initialisation (no global RNG is touched)."""

from __future__ import annotations

import math

import torch
from torch import nn

_CONV = {1: nn.Conv1d, 2: nn.Conv2d}
_BN = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d}


_PAD = {1: nn.ConstantPad1d, 2: nn.ConstantPad2d}


def conv(dim: int, c_in: int, c_out: int, kernel: int, stride: int = 1) -> nn.Module:
    """A bias-free convolution that keeps the length (or size) at stride 1, odd or even kernel."""
    if stride == 1 and kernel % 2 == 0:
        # "same" padding for an even kernel is asymmetric: one more step after than before
        pad = _PAD[dim]((kernel // 2 - 1, kernel // 2) * dim, 0.0)
        return nn.Sequential(pad, _CONV[dim](c_in, c_out, kernel, bias=False))
    return _CONV[dim](c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False)


def batch_norm(dim: int, channels: int) -> nn.Module:
    return _BN[dim](channels)


def conv_bn_relu(dim: int, c_in: int, c_out: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(conv(dim, c_in, c_out, kernel, stride), batch_norm(dim, c_out), nn.ReLU(inplace=True))


class GlobalPoolLinear(nn.Module):
    """Global pooling over every axis after the channel axis, then a linear layer.

    ``pool="avg"`` averages; ``"avgmax"`` concatenates the average and the maximum, so a
    feature that fires in one small region (a patch or burst trigger) is not diluted by the
    size of the input.
    """

    def __init__(self, in_features: int, n_classes: int, pool: str = "avg"):
        super().__init__()
        if pool not in ("avg", "avgmax"):
            raise ValueError(f"pool must be 'avg' or 'avgmax'; got {pool!r}.")
        self.pool = pool
        self.fc = nn.Linear(in_features * (2 if pool == "avgmax" else 1), n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(2)
        if self.pool == "avgmax":
            return torch.cat([x.mean(dim=2), x.amax(dim=2)], dim=1)
        return x.mean(dim=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))


class StagedBackbone(nn.Module):
    """The contract every backbone fulfils so that a second head can attach after any stage.

    Attributes
    ----------
    stem : nn.Module
        Applied to the input before the first stage (may be ``nn.Identity``).
    stages : nn.ModuleList
        The stages, in order; a second head can attach after any of them.
    stage_channels : list of int
        The number of output channels of each stage.
    head : nn.Module
        Maps the last stage's output to class logits.
    dim : int
        1 for series ``(batch, channels, time)``, 2 for images ``(batch, channels, h, w)``.

    A custom backbone subclasses this class (or provides the same attributes).
    """

    dim: int = 1

    def __init__(self, stem: nn.Module, stages: list[nn.Module], stage_channels: list[int], head: nn.Module, dim: int):
        super().__init__()
        self.stem = stem
        self.stages = nn.ModuleList(stages)
        self.stage_channels = list(stage_channels)
        self.head = head
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
        return self.head(x)


def forward_stages(backbone: StagedBackbone, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The logits of ``backbone`` on ``x`` and every stage's output (attention distillation, pruning)."""
    x = backbone.stem(x)
    outputs = []
    for stage in backbone.stages:
        x = stage(x)
        outputs.append(x)
    return backbone.head(x), outputs


class ChannelMask(nn.Module):
    """Multiplies a feature map by a fixed 0/1 mask over its channels (pruned channels read 0)."""

    def __init__(self, mask: torch.Tensor):
        super().__init__()
        self.register_buffer("mask", mask.float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.mask.view(1, -1, *([1] * (x.dim() - 2)))


class SecondHead(nn.Module):
    """The E2ABL second head: two conv layers and one fully connected layer (paper, Figure 1)."""

    def __init__(self, dim: int, in_channels: int, n_classes: int, width: int | None = None, kernel: int = 3,
                 pool: str = "avg"):
        super().__init__()
        width = width or in_channels
        self.body = nn.Sequential(
            conv_bn_relu(dim, in_channels, width, kernel),
            conv_bn_relu(dim, width, width, kernel),
        )
        self.head = GlobalPoolLinear(width, n_classes, pool)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


class DualHeadNetwork(nn.Module):
    """A backbone with a second head after stage ``attach_stage`` (1-based).

    ``shallow`` = stem + stages[:attach_stage] (f_s), ``deep`` = the remaining stages (f_d),
    ``head`` = the backbone's own head (h_m), ``second_head`` = h_b.
    """

    def __init__(self, backbone: StagedBackbone, n_classes: int, attach_stage: int, second_head_width: int | None = None,
                 second_head_pool: str = "avg"):
        super().__init__()
        n_stages = len(backbone.stages)
        if not 1 <= attach_stage <= n_stages:
            raise ValueError(
                f"attach_stage must be between 1 and the backbone's number of stages ({n_stages}); "
                f"got {attach_stage}."
            )
        self.backbone = backbone
        self.attach_stage = attach_stage
        self.second_head = SecondHead(
            backbone.dim, backbone.stage_channels[attach_stage - 1], n_classes, width=second_head_width,
            pool=second_head_pool,
        )

    def shallow(self, x: torch.Tensor) -> torch.Tensor:
        x = self.backbone.stem(x)
        for stage in self.backbone.stages[: self.attach_stage]:
            x = stage(x)
        return x

    def deep(self, z: torch.Tensor) -> torch.Tensor:
        for stage in self.backbone.stages[self.attach_stage :]:
            z = stage(z)
        return self.backbone.head(z)

    def second(self, x: torch.Tensor) -> torch.Tensor:
        """The shallow model alone: f_s followed by the second head."""
        return self.second_head(self.shallow(x))

    def forward(self, x: torch.Tensor, detach_second: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.shallow(x)
        second = self.second_head(z.detach() if detach_second else z)
        return self.deep(z), second

    def main_parameters(self):
        return list(self.backbone.parameters())

    def second_parameters(self):
        return list(self.second_head.parameters())


@torch.no_grad()
def reset_parameters(module: nn.Module, generator: torch.Generator) -> None:
    """Re-initialise every layer with PyTorch's default scheme, drawing from ``generator``.

    PyTorch layers initialise from the global RNG in their constructors; redrawing here makes
    a fit depend on ``random_state`` alone, without seeding anything global.
    """
    for m in module.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Linear)):
            nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5), generator=generator)
            if m.bias is not None:
                fan_in = m.weight[0].numel()
                bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
                nn.init.uniform_(m.bias, -bound, bound, generator=generator)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.reset_running_stats()
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

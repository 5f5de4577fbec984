"""Torch modules only: backbones that expose their stages, the second head, the dual-head net."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from ._base import ChannelMask, DualHeadNetwork, SecondHead, StagedBackbone, forward_stages, reset_parameters
from .resnet import FCN, ResNet, WangResNet

BACKBONES: dict[str, Callable[..., StagedBackbone]] = {
    "resnet34": lambda c, k, dim=1, **kw: ResNet(c, k, blocks=(3, 4, 6, 3), dim=dim, **kw),
    "resnet18": lambda c, k, dim=1, **kw: ResNet(c, k, blocks=(2, 2, 2, 2), dim=dim, **kw),
    "resnet": lambda c, k, dim=1, **kw: WangResNet(c, k, dim=dim, **kw),
    "fcn": lambda c, k, dim=1, **kw: FCN(c, k, dim=dim, **kw),
}


def build_backbone(backbone, in_channels: int, n_classes: int, dim: int = 1, backbone_kwargs=None) -> StagedBackbone:
    """Build a backbone from a name in ``BACKBONES`` or a factory ``f(in_channels, n_classes)``.

    ``backbone_kwargs`` are passed to the named builders (``width`` for the ResNets, ``widths``
    for ``resnet`` and ``fcn``) or to the user's factory.
    """
    kwargs = dict(backbone_kwargs or {})
    if isinstance(backbone, str):
        if backbone not in BACKBONES:
            raise ValueError(f"backbone must be one of {sorted(BACKBONES)} or a callable; got {backbone!r}.")
        net = BACKBONES[backbone](in_channels, n_classes, dim=dim, **kwargs)
    elif callable(backbone):
        net = backbone(in_channels, n_classes, **kwargs)
    else:
        raise TypeError(
            f"backbone must be a name in {sorted(BACKBONES)} or a callable returning a StagedBackbone; "
            f"got {type(backbone).__name__}."
        )
    missing = [a for a in ("stem", "stages", "stage_channels", "head") if not hasattr(net, a)]
    if not isinstance(net, nn.Module) or missing:
        raise TypeError(
            "a backbone factory must return a torch.nn.Module with the StagedBackbone attributes "
            f"(stem, stages, stage_channels, head); got {type(net).__name__} missing {missing}."
        )
    if getattr(net, "dim", dim) != dim:
        raise ValueError(f"backbone is {net.dim}D but the data are {dim}D.")
    return net


__all__ = [
    "BACKBONES", "ChannelMask", "DualHeadNetwork", "FCN", "ResNet", "SecondHead", "StagedBackbone", "WangResNet",
    "build_backbone", "forward_stages", "reset_parameters",
]

"""Residual backbones, 1D and 2D from one definition.

- ``resnet18`` / ``resnet34``: He et al., "Deep Residual Learning for Image Recognition",
  CVPR 2016, BasicBlock stages [2, 2, 2, 2] / [3, 4, 6, 3], widths 64-512. The stem is a
  stride-1 convolution without max-pooling (the CIFAR form for images; for series it keeps
  short series such as ECG5000's 140 steps from being over-downsampled).
- ``resnet`` (Wang et al., "Time Series Classification from Scratch with Deep Neural Networks",
  IJCNN 2017): three residual blocks of three convolutions (kernels 8, 5, 3), 64/128/128 filters.
"""

from __future__ import annotations

from torch import nn

from ._base import GlobalPoolLinear, StagedBackbone, batch_norm, conv, conv_bn_relu


class BasicBlock(nn.Module):
    def __init__(self, dim: int, c_in: int, c_out: int, stride: int, kernel: int = 3):
        super().__init__()
        self.body = nn.Sequential(
            conv(dim, c_in, c_out, kernel, stride),
            batch_norm(dim, c_out),
            nn.ReLU(inplace=True),
            conv(dim, c_out, c_out, kernel),
            batch_norm(dim, c_out),
        )
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(conv(dim, c_in, c_out, 1, stride), batch_norm(dim, c_out))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.body(x) + self.shortcut(x))


class ResNet(StagedBackbone):
    """He et al.'s ResNet with BasicBlocks, for series (``dim=1``) or images (``dim=2``).

    Parameters
    ----------
    in_channels, n_classes : int
    blocks : sequence of int
        BasicBlocks per stage ([3, 4, 6, 3] is ResNet-34).
    width : int, default=64
        Channels of the first stage; stage ``k`` has ``width * 2**k``.
    dim : {1, 2}
    stem_kernel : int, default=7 for series, 3 for images
    """

    def __init__(self, in_channels: int, n_classes: int, blocks=(3, 4, 6, 3), width: int = 64, dim: int = 1,
                 stem_kernel: int | None = None):
        stem_kernel = stem_kernel or (7 if dim == 1 else 3)
        widths = [width * 2**i for i in range(len(blocks))]
        stages, c_in = [], width
        for i, (n_blocks, c_out) in enumerate(zip(blocks, widths)):
            stride = 1 if i == 0 else 2
            layers = [BasicBlock(dim, c_in if j == 0 else c_out, c_out, stride if j == 0 else 1) for j in range(n_blocks)]
            stages.append(nn.Sequential(*layers))
            c_in = c_out
        super().__init__(
            stem=conv_bn_relu(dim, in_channels, width, stem_kernel),
            stages=stages,
            stage_channels=widths,
            head=GlobalPoolLinear(widths[-1], n_classes),
            dim=dim,
        )


class WangBlock(nn.Module):
    def __init__(self, dim: int, c_in: int, c_out: int, kernels=(8, 5, 3)):
        super().__init__()
        layers = []
        for i, k in enumerate(kernels):
            layers += [conv(dim, c_in if i == 0 else c_out, c_out, k), batch_norm(dim, c_out)]
            if i < len(kernels) - 1:
                layers.append(nn.ReLU(inplace=True))
        self.body = nn.Sequential(*layers)
        self.shortcut = nn.Sequential(conv(dim, c_in, c_out, 1), batch_norm(dim, c_out))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.body(x) + self.shortcut(x))


class WangResNet(StagedBackbone):
    """Wang et al. (2017) time-series ResNet: three residual blocks, one per stage."""

    def __init__(self, in_channels: int, n_classes: int, widths=(64, 128, 128), dim: int = 1):
        stages, c_in = [], in_channels
        for c_out in widths:
            stages.append(WangBlock(dim, c_in, c_out))
            c_in = c_out
        super().__init__(nn.Identity(), stages, list(widths), GlobalPoolLinear(widths[-1], n_classes), dim)


class FCN(StagedBackbone):
    """Wang et al. (2017) fully convolutional network: three conv blocks (kernels 8, 5, 3)."""

    def __init__(self, in_channels: int, n_classes: int, widths=(128, 256, 128), dim: int = 1):
        stages, c_in = [], in_channels
        for c_out, k in zip(widths, (8, 5, 3)):
            stages.append(conv_bn_relu(dim, c_in, c_out, k))
            c_in = c_out
        super().__init__(nn.Identity(), stages, list(widths), GlobalPoolLinear(widths[-1], n_classes), dim)

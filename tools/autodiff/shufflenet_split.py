"""A ShuffleNetV2 from torchvision (random weights, small widths) for the autodiff: its blocks split the
channels with x.chunk(2, dim=1) after a channel shuffle (Reshape/Transpose/Reshape), which torch.onnx writes
as Slice nodes whose starts and ends are computed from Shape at run time. Exported without constant folding
at opsets 11 and 13, with PyTorch autograd input gradients for a random seed.

Run with Debian's Python (torch 1.13, torchvision):  /usr/bin/python3 tools/autodiff/shufflenet_split.py
Writes tests/autodiff/data/shufflenet/opset<N>.onnx and opset<N>.bin: float32 little-endian x [2, 3, 32, 32],
seed [2, 5], PyTorch output [2, 5] and gradient d(seed · output)/dx [2, 3, 32, 32], concatenated.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torchvision.models import ShuffleNetV2
from torch_reference import export_with_gradients

OUT = Path(__file__).resolve().parents[2] / 'tests' / 'autodiff' / 'data' / 'shufflenet'
SEED = 2024


def main() -> None:
    torch.manual_seed(SEED)
    model = ShuffleNetV2(stages_repeats=[2, 1, 1], stages_out_channels=[8, 16, 32, 48, 64], num_classes=5)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
    model.eval()
    x = torch.randn(2, 3, 32, 32)
    export_with_gradients(model, x, OUT, (11, 13), SEED)


if __name__ == '__main__':
    main()

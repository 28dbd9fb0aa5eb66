"""Exporter patterns for the autodiff rules: a small untrained network whose forward pass uses the op families
the rules cover in the forms torch.onnx writes them (Split, LeakyRelu, Elu, Selu, Sigmoid, Tanh, Softplus,
HardSigmoid, HardSwish, Gelu via Erf, ReLU6/clamp via Clip, Concat, InstanceNorm, PRelu, F.pad's pads chain,
Slice and flip, bilinear Resize, Transpose, ReduceMean/Sum/Max, LayerNorm, Gather, Squeeze/Unsqueeze), exported
without constant folding at opsets 11, 13 and 17, with PyTorch autograd input gradients for a random seed.

Run with Debian's Python (torch 1.13):  /usr/bin/python3 tools/autodiff/exporter_patterns.py
Writes tests/autodiff/data/exporter-patterns/opset<N>.onnx and opset<N>.bin: float32 little-endian
x [3, 4, 8, 8], seed [3, 5], PyTorch output [3, 5] and gradient d(seed · output)/dx [3, 4, 8, 8], concatenated.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch_reference import export_with_gradients

OUT = Path(__file__).resolve().parents[2] / 'tests' / 'autodiff' / 'data' / 'exporter-patterns'
SEED = 4242


class Patterns(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 6, 3, padding=1)
        self.bn = nn.BatchNorm2d(6)
        self.inorm = nn.InstanceNorm2d(6, affine=True)
        self.ln = nn.LayerNorm(8)
        self.prelu = nn.PReLU(6)
        self.fc = nn.Linear(8, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn(self.conv(x))  # [N, 6, 8, 8]
        a, b, c = torch.split(y, [2, 3, 1], dim=1)
        a = F.leaky_relu(a, 0.1) + F.elu(a)
        b = F.selu(b) * torch.sigmoid(b) + torch.tanh(b) + F.softplus(b) + F.hardsigmoid(b)
        c = F.gelu(c) + F.relu6(c) + torch.clamp(c, -0.5, 0.7) + torch.erf(c)
        y = self.prelu(self.inorm(torch.cat([c, a, b], dim=1)))
        y = F.pad(y, (1, 0, 2, 1))  # [N, 6, 11, 9]
        y = torch.flip(y[:, :, 1:9, 1:], dims=[3])  # [N, 6, 8, 8]
        y = F.interpolate(y, scale_factor=2, mode='bilinear', align_corners=False)  # [N, 6, 16, 16]
        y = F.avg_pool2d(y, 2).permute(0, 2, 3, 1)  # [N, 8, 8, 6]
        y = self.ln(y.mean(dim=2).transpose(1, 2))  # [N, 6, 8]
        y = y - y.amax(dim=1, keepdim=True)
        z = y[:, 0].unsqueeze(1).squeeze(1) + y.sum(dim=1) + y[:, torch.tensor([1, 1, 4])].sum(dim=1)
        return self.fc(F.hardswish(z))


def main() -> None:
    torch.manual_seed(SEED)
    model = Patterns()
    with torch.no_grad():
        model.bn.running_mean.uniform_(-0.5, 0.5)
        model.bn.running_var.uniform_(0.5, 2.0)
    model.eval()
    x = torch.randn(3, 4, 8, 8)
    export_with_gradients(model, x, OUT, (11, 13, 17), SEED, training=torch.onnx.TrainingMode.PRESERVE)


if __name__ == '__main__':
    main()

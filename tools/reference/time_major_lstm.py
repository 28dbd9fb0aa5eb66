"""A small time-major sequence classifier, as torch.onnx writes it from nn.LSTM(batch_first=False): the graph
input x [T, N, C] goes straight into an ONNX LSTM with layout 0 (no Transpose, no netlens metadata). With
PyTorch's logits and input gradients for a batch, so a test can check that netlens reads the model batch-first.

Run with Debian's Python (torch 1.13):  /usr/bin/python3 tools/reference/time_major_lstm.py
Writes tests/methods/sequence/data/time-major-lstm.onnx and time-major-lstm.bin: float32 little-endian
x [T, N, C] (time-major, as the model takes it), logits [N, K], then d(sum_n logits[n, n % K]) / dx [T, N, C].
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

OUT = Path(__file__).resolve().parents[2] / 'tests' / 'methods' / 'sequence' / 'data'
SEED = 2121
T, N, C, H, K = 7, 3, 4, 6, 3


class TimeMajorLstm(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(C, H)  # batch_first=False: x is [T, N, C]
        self.fc = nn.Linear(H, K)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(x)
        return self.fc(h[-1])


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED)
    model = TimeMajorLstm().eval()
    for p in model.parameters():
        nn.init.uniform_(p, -0.7, 0.7)
    x = torch.randn(T, N, C)
    torch.onnx.export(
        model,
        (x,),
        str(OUT / 'time-major-lstm.onnx'),
        opset_version=14,
        input_names=['x'],
        output_names=['logits'],
        dynamic_axes={'x': {0: 'T', 1: 'N'}, 'logits': {0: 'N'}},
    )
    x.requires_grad_(True)
    logits = model(x)
    target = torch.arange(N) % K
    (grad,) = torch.autograd.grad(logits.gather(1, target[:, None]).sum(), x)
    parts = [x.detach(), logits.detach(), grad]
    np.concatenate([p.numpy().astype('<f4').ravel() for p in parts]).tofile(OUT / 'time-major-lstm.bin')
    print(f'wrote {OUT / "time-major-lstm.onnx"}: x {tuple(x.shape)}, logits {tuple(logits.shape)}')


if __name__ == '__main__':
    main()

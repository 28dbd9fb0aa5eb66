"""Recurrent layers as torch.onnx writes them (ONNX LSTM, GRU with linear_before_reset, RNN with tanh and relu;
bidirectional, batch-first, two layers, initial states fed as inputs), with PyTorch autograd gradients of
seed · output with respect to the input and the initial states.

Run with Debian's Python (torch 1.13):  /usr/bin/python3 tools/autodiff/recurrent_reference.py
Writes tests/autodiff/data/recurrent/<name>.onnx and <name>.bin: float32 little-endian x [3, 6, 4],
h0 [4, 3, 5] (and c0 for the LSTM), seed, PyTorch output [3, 6·10 + 4·5], then the gradients with respect to
x, h0 (and c0), concatenated in that order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

OUT = Path(__file__).resolve().parents[2] / 'tests' / 'autodiff' / 'data' / 'recurrent'
SEED = 1313
N, T, C, H, LAYERS = 3, 6, 4, 5, 2


class Recurrent(nn.Module):
    def __init__(self, cell: nn.Module, with_c: bool) -> None:
        super().__init__()
        self.cell = cell
        self.with_c = with_c

    def forward(self, x: torch.Tensor, h0: torch.Tensor, *c0: torch.Tensor) -> torch.Tensor:
        state = (h0, c0[0]) if self.with_c else h0
        y, final = self.cell(x, state)
        h_n = final[0] if self.with_c else final
        # Both the per-step outputs and the final states reach the output.
        return torch.cat([y.flatten(1), h_n.transpose(0, 1).flatten(1)], dim=1)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    cells = {
        'lstm': (nn.LSTM(C, H, LAYERS, batch_first=True, bidirectional=True), True),
        'gru': (nn.GRU(C, H, LAYERS, batch_first=True, bidirectional=True), False),
        'rnn-tanh': (nn.RNN(C, H, LAYERS, batch_first=True, bidirectional=True), False),
        'rnn-relu': (nn.RNN(C, H, 1, nonlinearity='relu', batch_first=True), False),
    }
    for k, (name, (cell, with_c)) in enumerate(cells.items()):
        torch.manual_seed(SEED + k)
        for p in cell.parameters():
            nn.init.uniform_(p, -0.6, 0.6)
        model = Recurrent(cell, with_c).eval()
        layers = cell.num_layers * (2 if cell.bidirectional else 1)
        x = torch.randn(N, T, C)
        states = [torch.randn(layers, N, H) * 0.5 for _ in range(2 if with_c else 1)]
        names = ['x', 'h0', 'c0'][: 1 + len(states)]
        torch.onnx.export(
            model,
            (x, *states),
            str(OUT / f'{name}.onnx'),
            opset_version=14,
            input_names=names,
            output_names=['output'],
            dynamic_axes={**{n: {0: 'N'} for n in names[:1]}, **{n: {1: 'N'} for n in names[1:]}, 'output': {0: 'N'}},
        )
        leaves = [t.clone().requires_grad_(True) for t in (x, *states)]
        out = model(*leaves)
        seed = torch.randn(out.shape, generator=torch.Generator().manual_seed(SEED + 100 + k))
        out.backward(seed)
        parts = [x, *states, seed, out.detach(), *(leaf.grad for leaf in leaves)]
        np.concatenate([p.numpy().astype('<f4').ravel() for p in parts]).tofile(OUT / f'{name}.bin')
        print(f'{name}: output {tuple(out.shape)}, wrote {OUT / (name + ".onnx")}')


if __name__ == '__main__':
    main()

"""An LSTM cell stepped by a Python loop, scripted (torch.jit.script) so that torch.onnx writes an ONNX Loop
whose trip count is the input's time length (Shape → Gather) and whose body reads the input from the outer
scope; a linear read-out of the final state. With PyTorch autograd gradients of seed · output with respect to
the input.

Run with Debian's Python (torch 1.13):  /usr/bin/python3 tools/autodiff/scripted_loop_reference.py
Writes tests/autodiff/data/scripted-loop/model.onnx and reference.bin: float32 little-endian x [2, 7, 3],
seed [2, 4], PyTorch output [2, 4], then the gradient with respect to x.
"""

from pathlib import Path

import numpy as np
import torch
from torch import nn

OUT = Path(__file__).resolve().parents[2] / 'tests' / 'autodiff' / 'data' / 'scripted-loop'
SEED = 2024
N, T, C, H, K = 2, 7, 3, 5, 4


class SteppedLstm(nn.Module):
    hidden: int

    def __init__(self) -> None:
        super().__init__()
        self.hidden = H
        self.cell = nn.LSTMCell(C, H)
        self.head = nn.Linear(H, K)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(x.size(0), self.hidden)
        c = torch.zeros(x.size(0), self.hidden)
        for t in range(x.size(1)):
            h, c = self.cell(x[:, t], (h, c))
        return self.head(h)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(SEED)
    model = SteppedLstm().eval()
    for p in model.parameters():
        nn.init.uniform_(p, -0.6, 0.6)
    scripted = torch.jit.script(model)
    x = torch.randn(N, T, C)
    torch.onnx.export(
        scripted,
        (x,),
        str(OUT / 'model.onnx'),
        opset_version=14,
        input_names=['x'],
        output_names=['scores'],
        dynamic_axes={'x': {0: 'N', 1: 'T'}, 'scores': {0: 'N'}},
    )
    leaf = x.clone().requires_grad_(True)
    out = model(leaf)
    seed = torch.randn(out.shape, generator=torch.Generator().manual_seed(SEED + 1))
    out.backward(seed)
    parts = [x, seed, out.detach(), leaf.grad]
    np.concatenate([p.numpy().astype('<f4').ravel() for p in parts]).tofile(OUT / 'reference.bin')
    print(f'output {tuple(out.shape)}, wrote {OUT / "model.onnx"}')


if __name__ == '__main__':
    main()

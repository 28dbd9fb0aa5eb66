"""Shared by the autodiff reference scripts: export a model at several opsets and write, beside each export,
the float32 little-endian file the tests read (tests/autodiff/reference-file.ts): the input, a random output
seed, PyTorch's output and the input gradient d(seed · output)/dx, concatenated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch


def export_with_gradients(model, x, out: Path, opsets, seed: int, **export_options) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for opset in opsets:
        torch.onnx.export(
            model,
            x,
            str(out / f'opset{opset}.onnx'),
            opset_version=opset,
            input_names=['input'],
            output_names=['logits'],
            dynamic_axes={'input': {0: 'N'}, 'logits': {0: 'N'}},
            do_constant_folding=False,
            **export_options,
        )
        xr = x.clone().requires_grad_(True)
        output = model(xr)
        output_seed = torch.randn(output.shape, generator=torch.Generator().manual_seed(seed + opset))
        output.backward(output_seed)
        parts = [x, output_seed, output.detach(), xr.grad]
        np.concatenate([p.numpy().astype('<f4').ravel() for p in parts]).tofile(out / f'opset{opset}.bin')
        print(f'opset {opset}: wrote {out / f"opset{opset}.onnx"}')

#!/usr/bin/python3
"""Exports torchvision ResNet-18, MobileNetV3-Small and EfficientNet-B0 with random weights to ONNX for the bench.

The files (tens of MB) are not committed: they go to bench/models/ (git-ignored), where `npm run bench` picks them
up; without them the bench says it skipped these models. Random weights are fine for timing, and the graphs are
the real architectures (Conv/BN folded by the exporter's eval mode; HardSwish, SiLU, squeeze-excitation).

Run with Debian's Python (python3-torch, torchvision, onnx): /usr/bin/python3 tools/bench/export_torchvision.py
"""
import os

import torch
import torchvision

MODELS = {
    'resnet-18': torchvision.models.resnet18,
    'mobilenet-v3-small': torchvision.models.mobilenet_v3_small,
    'efficientnet-b0': torchvision.models.efficientnet_b0,
}
OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'bench', 'models')


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    for name, build in MODELS.items():
        model = build().eval()
        path = os.path.normpath(os.path.join(OUT, f'{name}.onnx'))
        torch.onnx.export(
            model,
            torch.rand(1, 3, 224, 224),
            path,
            input_names=['input'],
            output_names=['logits'],
            dynamic_axes={'input': {0: 'N'}, 'logits': {0: 'N'}},
            opset_version=13,
            do_constant_folding=True,
        )
        print('wrote', path)


if __name__ == '__main__':
    main()

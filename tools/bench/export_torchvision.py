#!/usr/bin/python3
"""Exports torchvision ResNet-18, MobileNetV3-Small, EfficientNet-B0 and MobileNetV2 with random weights to ONNX.

The files (tens of MB) are not committed: they go to bench/models/ (git-ignored), where `npm run bench` picks them
up; without them the bench says it skipped these models. Random weights are fine for timing, and the graphs are
the real architectures (Conv/BN folded by the exporter's eval mode; HardSwish, SiLU, squeeze-excitation).

MobileNetV2 (5 classes, as tools/bench/torch_methods.py builds it) is the graph the bench compares with the
PyTorch figures of Captum's methods.

Run with Debian's Python (python3-torch, torchvision, onnx): /usr/bin/python3 tools/bench/export_torchvision.py [names]
"""
import json
import os
import sys

import onnx
import torch
import torchvision

MODELS = {
    'resnet-18': torchvision.models.resnet18,
    'mobilenet-v3-small': torchvision.models.mobilenet_v3_small,
    'efficientnet-b0': torchvision.models.efficientnet_b0,
    'mobilenet-v2-torchvision': lambda: torchvision.models.mobilenet_v2(num_classes=5),
}
OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'bench', 'models')
# torchvision's ImageNet preprocessing, so netlens knows the input is an image and how to normalise it.
INPUT = {
    'height': 224,
    'width': 224,
    'channels': 3,
    'layout': 'NCHW',
    'channelOrder': 'RGB',
    'scale': 1 / 255,
    'mean': [0.485, 0.456, 0.406],
    'std': [0.229, 0.224, 0.225],
}


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    for name, build in MODELS.items():
        if len(sys.argv) > 1 and name not in sys.argv[1:]:
            continue
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
        exported = onnx.load(path)
        entry = exported.metadata_props.add()
        entry.key, entry.value = 'netlens.input', json.dumps(INPUT)
        onnx.save(exported, path)
        print('wrote', path)


if __name__ == '__main__':
    main()

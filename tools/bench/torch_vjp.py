#!/usr/bin/python3
"""Input-gradient VJP against the forward pass in PyTorch autograd: the peer figure for netlens's VJP ratio.

For torchvision's MobileNetV2 / ResNet-18 / MobileNetV3-Small / EfficientNet-B0 (random weights: the time does not
depend on them; ImageNet-sized 224x224 inputs, 5 or 1000 classes), times at batch 1 and 8 the forward pass under
no_grad and the gradient of the summed top-class scores with respect to the input (forward with the graph kept +
backward), alternating the two and quoting medians. Writes tools/bench/torch-vjp.json.

Run with Debian's Python (python3-torch, torchvision): /usr/bin/python3 tools/bench/torch_vjp.py [--repeats 9]
"""
import argparse
import json
import os
import statistics
import time

import blas_threads

blas_threads.pin(2)  # before torch: see blas_threads.py

import torch
import torchvision

from peer_report import write_report

MODELS = {
    'mobilenet-v2': lambda: torchvision.models.mobilenet_v2(num_classes=5),
    'resnet-18': lambda: torchvision.models.resnet18(),
    'mobilenet-v3-small': lambda: torchvision.models.mobilenet_v3_small(),
    'efficientnet-b0': lambda: torchvision.models.efficientnet_b0(),
}


def time_ms(fn):
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def measure(model, batch, repeats):
    x = torch.rand(batch, 3, 224, 224)

    def forward():
        with torch.no_grad():
            model(x)

    def vjp():
        xg = x.clone().requires_grad_(True)
        scores = model(xg)
        selected = scores.gather(1, scores.argmax(dim=1, keepdim=True)).sum()
        torch.autograd.grad(selected, xg)

    forward()
    vjp()
    fwd, grad = [], []
    for _ in range(repeats):
        fwd.append(time_ms(forward))
        grad.append(time_ms(vjp))
    ratios = [g / f for f, g in zip(fwd, grad)]
    return {
        'batch': batch,
        'forwardMsPerImage': statistics.median(fwd) / batch,
        'vjpMsPerImage': statistics.median(grad) / batch,
        'medianRatio': statistics.median(ratios),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeats', type=int, default=9)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--models', nargs='+', default=list(MODELS))
    parser.add_argument('--out', default=os.path.join(os.path.dirname(__file__), 'torch-vjp.json'))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rows = []
    for name in args.models:
        model = MODELS[name]().eval()
        for batch in (1, 8):
            row = {'model': name, **measure(model, batch, args.repeats)}
            print(json.dumps(row), flush=True)
            rows.append(row)
    write_report(
        args.out,
        'PyTorch autograd input-gradient VJP vs forward (medians of alternated runs)',
        'tools/bench/torch_vjp.py',
        args.threads,
        rows,
    )


if __name__ == '__main__':
    main()

#!/usr/bin/python3
"""Captum's gradient and perturbation methods, per image, in PyTorch autograd: the peer figures for `npm run bench`.

Captum is not packaged for Debian, so each method is written here with plain autograd exactly as Captum 0.8
computes it (same passes, same batching defaults):
- saliency: |d score / d input| (Saliency: one forward with the graph kept + one backward);
- guided backprop: ReLU6 layers pass only positive gradients where they passed their input (GuidedBackprop's
  hooks on every ReLU-like module);
- Grad-CAM at the last feature layer (LayerGradCam: mean gradient per channel, ReLU of the weighted sum, then
  bilinear up-sampling as LayerAttribution.interpolate);
- integrated gradients, 50 steps (IntegratedGradients' defaults: one batch of 50 points on the path, forward +
  backward; midpoint weights here instead of Gauss-Legendre, which costs the same);
- SmoothGrad, 25 samples (NoiseTunnel over Saliency: one batch of 25 noisy copies);
- occlusion with a 45x45 window, stride 22 (Occlusion, perturbations_per_eval=1: 81 forward passes of one image).
The model is torchvision's MobileNetV2 with 5 classes and random weights (seed 0): the same graph that
`tools/bench/export_torchvision.py` exports to bench/models/mobilenet-v2.onnx for netlens. 224x224, one image,
medians of repeated runs of wall time and of process CPU time (user + system: with one thread, the figure
that a loaded machine disturbs least). With --threads above 1, each method is timed with OpenBLAS on that many
threads and on one, and the faster is kept (`blasThreads`; see blas_threads.py). Writes
tools/bench/torch-methods.json.

Run with Debian's Python (python3-torch, torchvision): /usr/bin/python3 tools/bench/torch_methods.py
"""
import argparse
import json
import os
import statistics
import time

import blas_threads

blas_threads.pin(1)  # before torch: see blas_threads.py

import torch
import torch.nn.functional as F
import torchvision

from peer_report import write_report


def build():
    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v2(num_classes=5).eval()
    # Backward hooks refuse in-place modules (Captum warns and does the same).
    for m in model.modules():
        if isinstance(m, torch.nn.ReLU6):
            m.inplace = False
    return model


def target_score(model, x):
    scores = model(x)
    return scores[:, scores[:1].argmax(dim=1)].sum()


def saliency(model, x):
    xg = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(target_score(model, xg), xg)
    return grad.abs()


def guided_backprop(model, x):
    def hook(module, grad_input, grad_output):
        return (F.relu(grad_input[0]),)

    handles = [m.register_full_backward_hook(hook) for m in model.modules() if isinstance(m, torch.nn.ReLU6)]
    try:
        xg = x.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(target_score(model, xg), xg)
    finally:
        for h in handles:
            h.remove()
    return grad


def grad_cam(model, x):
    activations = model.features(x)
    scores = model.classifier(torch.flatten(F.adaptive_avg_pool2d(activations, 1), 1))
    selected = scores[:, scores.argmax(dim=1)].sum()
    (grads,) = torch.autograd.grad(selected, activations)
    weights = grads.mean(dim=(2, 3), keepdim=True)
    cam = (weights * activations).sum(dim=1, keepdim=True)
    return F.interpolate(F.relu(cam), size=x.shape[2:], mode='bilinear', align_corners=False)


def integrated_gradients(model, x, steps=50):
    alphas = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps
    path = (alphas[:, None, None, None] * x).requires_grad_(True)
    (grads,) = torch.autograd.grad(target_score(model, path), path)
    return x * grads.mean(dim=0, keepdim=True)


def smoothgrad(model, x, samples=25, stdev=0.15):
    noisy = (x + stdev * torch.randn(samples, *x.shape[1:])).requires_grad_(True)
    (grads,) = torch.autograd.grad(target_score(model, noisy), noisy)
    return grads.abs().mean(dim=0, keepdim=True)


def occlusion(model, x, window=45, stride=22):
    with torch.no_grad():
        base = model(x)
        target = base.argmax(dim=1)
        out = torch.zeros(x.shape[2:])
        for top in range(0, x.shape[2] - window + 1, stride):
            for left in range(0, x.shape[3] - window + 1, stride):
                masked = x.clone()
                masked[:, :, top : top + window, left : left + window] = 0
                drop = base[0, target] - model(masked)[0, target]
                out[top : top + window, left : left + window] += drop.item()
    return out


def forward(model, x):
    with torch.no_grad():
        return model(x)


METHODS = {
    'forward': (forward, 15),
    'saliency': (saliency, 15),
    'guided backprop': (guided_backprop, 15),
    'Grad-CAM': (grad_cam, 15),
    'integrated gradients (50 steps)': (integrated_gradients, 5),
    'SmoothGrad (25 samples)': (smoothgrad, 5),
    'occlusion (45x45, stride 22: 81 masks)': (occlusion, 3),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--scale', type=float, default=1.0, help='multiply every repeat count')
    parser.add_argument('--out', default=os.path.join(os.path.dirname(__file__), 'torch-methods.json'))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = build()
    x = torch.rand(1, 3, 224, 224)
    # With several threads each method runs with OpenBLAS on as many and on one (see blas_threads.py).
    blas_options = [args.threads] if args.threads == 1 else [args.threads, 1]
    rows = []
    for name, (fn, repeats) in METHODS.items():
        best = None
        for blas in blas_options:
            blas_threads.set_openblas(blas)
            fn(model, x)
            times, cpu = [], []
            for _ in range(max(1, round(repeats * args.scale))):
                start, start_cpu = time.perf_counter(), time.process_time()
                fn(model, x)
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
            row = {
                'method': name,
                'msPerImage': statistics.median(times),
                'cpuMsPerImage': statistics.median(cpu),
                'blasThreads': blas,
                'samplesMs': times,
            }
            if best is None or row['msPerImage'] < best['msPerImage']:
                best = row
        print(json.dumps({k: v for k, v in best.items() if k != 'samplesMs'}), flush=True)
        rows.append(best)
    write_report(
        args.out,
        "Captum's methods written in PyTorch autograd, per image (medians)",
        'tools/bench/torch_methods.py',
        args.threads,
        rows,
        {'model': 'torchvision mobilenet_v2(num_classes=5), random weights, 1x3x224x224'},
    )


if __name__ == '__main__':
    main()

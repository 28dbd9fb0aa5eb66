"""Grad-CAM on MobileNetV2 in PyTorch, timed the way docs/methods/cam.md times netlens.

The same computation Captum's LayerGradCam performs (forward with the feature map kept, gradient of the predicted
class score with respect to it, channel weights = mean gradient, ReLU of the weighted sum, bilinear up-sampling),
written with plain autograd so it runs on Debian's python3-torch. Weights are random: the time does not depend
on them. Run: /usr/bin/python3 tools/bench/torch_gradcam.py
"""
import statistics
import time

import blas_threads

blas_threads.pin(2)  # before torch: see blas_threads.py

import torch
import torch.nn.functional as F
import torchvision

torch.set_num_threads(2)
torch.manual_seed(0)
model = torchvision.models.mobilenet_v2(num_classes=5).eval()
features = model.features
head = lambda a: model.classifier(torch.flatten(F.adaptive_avg_pool2d(a, 1), 1))


def grad_cam(x):
    activations = features(x)
    scores = head(activations)
    target = scores.argmax(dim=1)
    selected = scores.gather(1, target[:, None]).sum()
    (grads,) = torch.autograd.grad(selected, activations)
    weights = grads.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((weights * activations).sum(dim=1, keepdim=True))
    return F.interpolate(cam, size=x.shape[2:], mode="bilinear", align_corners=False)


for blas in (2, 1):
    # OpenBLAS on two threads under ATen's two can oversubscribe the cores (see blas_threads.py): both are timed.
    blas_threads.set_openblas(blas)
    for batch in (1, 8):
        x = torch.rand(batch, 3, 224, 224)
        grad_cam(x)
        times = []
        for _ in range(15):
            start = time.perf_counter()
            grad_cam(x)
            times.append((time.perf_counter() - start) * 1000 / batch)
        with torch.no_grad():
            forward = []
            for _ in range(15):
                start = time.perf_counter()
                model(x)
                forward.append((time.perf_counter() - start) * 1000 / batch)
        print(
            f"batch {batch}: Grad-CAM {statistics.median(times):.1f} ms/image, "
            f"forward {statistics.median(forward):.1f} ms/image "
            f"(torch {torch.__version__}, 2 threads, OpenBLAS on {blas})"
        )

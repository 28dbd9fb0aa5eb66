"""Reference resize results from Pillow, an independent implementation of the same convention
(half-pixel centres, triangle / Keys a=-0.5 kernels stretched when shrinking).

Pillow clips kernels at the border instead of mirroring, so tests compare only outputs whose kernel
support lies inside the image. Run with Debian's python3:
    /usr/bin/python3 tools/image/resize_reference.py > tests/image/resize-reference.json
    npx prettier --write tests/image/resize-reference.json
"""
import json

import numpy as np
from PIL import Image

rng = np.random.default_rng(7)
src = rng.uniform(0, 100, size=(16, 20)).astype(np.float32)  # height 16, width 20
filters = {'bilinear': Image.BILINEAR, 'bicubic': Image.BICUBIC}
cases = []
for method, pil_filter in filters.items():
    for (w, h) in [(47, 35), (6, 5), (41, 7)]:
        out = Image.fromarray(src, mode='F').resize((w, h), resample=pil_filter)
        cases.append({
            'method': method,
            'width': w,
            'height': h,
            'data': [round(float(v), 5) for v in np.asarray(out, dtype=np.float64).ravel()],
        })
print(json.dumps({
    'source': {'width': 20, 'height': 16, 'data': [round(float(v), 5) for v in src.ravel()]},
    'cases': cases,
}))

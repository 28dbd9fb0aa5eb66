"""scikit-learn's trustworthiness of a seeded embedding, for tests/projection/reference/trustworthiness.json.

Data: gaussianMixture({ n: 300, dim: 6, clusters: 3, centerScale: 1, seed: 3 }) (regenerated as
tools/reference/tsne_sklearn.py does); embedding: the first two features plus 0.5 × a seeded normal (seed 11),
rounded to float32, row by row. Run: python3 tools/reference/trustworthiness_sklearn.py
"""
import json
import pathlib
import sys

import numpy as np
from sklearn.manifold import trustworthiness

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from tsne_sklearn import gaussian_mixture, seeded_normal  # noqa: E402

data, _ = gaussian_mixture(300, 6, 3, 1.0, 3)
normal = seeded_normal(11)
embedding = np.empty((300, 2), dtype=np.float32)
for i in range(300):
    for c in range(2):
        embedding[i, c] = np.float32(float(data[i, c]) + 0.5 * normal())
values = {str(k): float(trustworthiness(data, embedding, n_neighbors=k)) for k in (5, 10, 20)}
out = pathlib.Path(__file__).resolve().parents[2] / "tests" / "projection" / "reference" / "trustworthiness.json"
out.write_text(json.dumps({"generator": "tools/reference/trustworthiness_sklearn.py", "trustworthiness": values}, indent=1) + "\n")
print(values)

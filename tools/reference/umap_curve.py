"""UMAP's a, b curve parameters as umap-learn's find_ab_params computes them (scipy curve_fit), for
tests/projection/reference/umap-curve.json. Run: python3 tools/reference/umap_curve.py"""
import json
import pathlib

import numpy as np
from scipy.optimize import curve_fit


def find_ab_params(spread, min_dist):
    def curve(x, a, b):
        return 1.0 / (1.0 + a * x ** (2 * b))

    xv = np.linspace(0, spread * 3, 300)
    yv = np.zeros(xv.shape)
    yv[xv < min_dist] = 1.0
    yv[xv >= min_dist] = np.exp(-(xv[xv >= min_dist] - min_dist) / spread)
    params, _ = curve_fit(curve, xv, yv)
    return float(params[0]), float(params[1])


cases = []
for spread, min_dist in [(1.0, 0.1), (1.0, 0.0), (1.0, 0.5), (2.0, 0.25), (0.5, 0.05)]:
    a, b = find_ab_params(spread, min_dist)
    cases.append({"spread": spread, "minDist": min_dist, "a": a, "b": b})
out = pathlib.Path(__file__).resolve().parents[2] / "tests" / "projection" / "reference" / "umap-curve.json"
out.write_text(json.dumps({"generator": "tools/reference/umap_curve.py (scipy curve_fit)", "cases": cases}, indent=1) + "\n")
print(cases)

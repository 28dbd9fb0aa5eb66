#!/usr/bin/python3
"""scikit-learn Barnes-Hut t-SNE KL divergences on the two 70 000-point benchmark data sets of netlens.

Data sets (the same points as `npm run bench -- --suite projection`):
  mixture   the seeded 10-cluster Gaussian mixture of src/projection/gaussian-mixture.ts, 70 000 x 50
            (regenerated value for value by tools/reference/tsne_sklearn.py's generator);
  fashion   Debian's dataset-fashion-mnist, training + test images (70 000 x 784, pixels / 255), reduced to their
            top 50 principal components (exact: eigendecomposition of the 784 x 784 covariance).
Settings are scikit-learn's Barnes-Hut defaults as in tsne_sklearn.py (exaggeration 12 for 250 iterations, learning
rate 'auto', perplexity 30, angle 0.5, 1000 iterations, random start). One run per data set; it takes tens of
minutes. Writes tests/projection/reference/tsne-sklearn-70k-<data>.json.

    nice -n 10 /usr/bin/python3 tools/reference/tsne_sklearn_70k.py --data mixture [--threads 1] [--embedding-out e.npy]
"""
import argparse
import gzip
import json
import os
import platform
import sys
import time

import numpy as np
import sklearn
from threadpoolctl import threadpool_info, threadpool_limits

sys.path.insert(0, os.path.dirname(__file__))
from tsne_sklearn import MIXTURE, SETTINGS, gaussian_mixture, run_on  # noqa: E402

FASHION_DIR = '/usr/share/datasets/fashion-mnist'


def idx(name, header):
    with gzip.open(os.path.join(FASHION_DIR, name), 'rb') as f:
        return np.frombuffer(f.read(), dtype=np.uint8)[header:]


def fashion_pca50():
    images = np.concatenate([idx(f'{s}-images-idx3-ubyte.gz', 16) for s in ('train', 't10k')])
    labels = np.concatenate([idx(f'{s}-labels-idx1-ubyte.gz', 8) for s in ('train', 't10k')]).astype(np.int64)
    x = images.reshape(-1, 784).astype(np.float64) / 255.0
    x -= x.mean(axis=0)
    covariance = x.T @ x / (x.shape[0] - 1)
    values, vectors = np.linalg.eigh(covariance)
    order = np.argsort(values)[::-1][:50]
    scores = (x @ vectors[:, order]).astype(np.float32)
    explained = values[order] / values.sum()
    return scores, labels, {'explainedVariance': float(explained.sum())}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data', choices=['mixture', 'fashion'], required=True)
    parser.add_argument('--threads', type=int, default=None, help='limit OpenMP/BLAS threads')
    parser.add_argument('--random-state', type=int, default=0)
    parser.add_argument('--out', default=None)
    parser.add_argument('--embedding-out', default=None, help='also save the final embedding (float32 .npy)')
    args = parser.parse_args()
    out = args.out or os.path.join(
        os.path.dirname(__file__), '..', '..', 'tests', 'projection', 'reference', f'tsne-sklearn-70k-{args.data}.json'
    )
    if args.threads is not None:
        threadpool_limits(limits=args.threads)
    threads = {info['user_api']: info['num_threads'] for info in threadpool_info()}

    if args.data == 'mixture':
        data, labels = gaussian_mixture(70000, MIXTURE['dim'], MIXTURE['clusters'], MIXTURE['centerScale'], MIXTURE['seed'])
        details = {'mixture': MIXTURE, 'sum': float(np.sum(data, dtype=np.float64))}
    else:
        data, labels, details = fashion_pca50()
    load_before = os.getloadavg()
    result = run_on(data, labels, args.random_state, args.embedding_out)
    print(json.dumps(result), flush=True)
    report = {
        'description': f'scikit-learn Barnes-Hut t-SNE KL on the 70 000-point {args.data} benchmark data',
        'script': 'tools/reference/tsne_sklearn_70k.py',
        'sklearn': sklearn.__version__,
        'numpy': np.__version__,
        'machine': {
            'cpus': os.cpu_count(),
            'processor': platform.processor() or platform.machine(),
            'loadAverageBefore': load_before,
            'loadAverageAfter': os.getloadavg(),
        },
        'threads': threads,
        'data': args.data,
        'details': details,
        'settings': SETTINGS,
        'runs': [result],
    }
    with open(out, 'w') as f:
        json.dump(report, f, indent=2)
        f.write('\n')
    print('wrote', os.path.normpath(out))


if __name__ == '__main__':
    main()

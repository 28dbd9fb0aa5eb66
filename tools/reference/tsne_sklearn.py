#!/usr/bin/python3
"""Reference KL divergences and timings of scikit-learn's Barnes-Hut t-SNE for the netlens t-SNE tests.

Regenerates the seeded Gaussian mixture of src/projection/gaussian-mixture.ts (the same mulberry32 + Box-Muller
generator, value for value), runs sklearn.manifold.TSNE on it with the settings the TypeScript test uses, and
writes tests/projection/reference/tsne-sklearn.json.

Run with Debian's Python (it has scikit-learn):
    /usr/bin/python3 tools/reference/tsne_sklearn.py [--sizes 5000 20000] [--repeats 3]
"""
import argparse
import json
import math
import os
import platform
import time

import numpy as np
import sklearn
from threadpoolctl import threadpool_info, threadpool_limits
from sklearn.manifold import TSNE
from sklearn.neighbors import NearestNeighbors

MASK = 0xFFFFFFFF


def imul(a, b):
    """32-bit wrapping multiply, as JavaScript's Math.imul (result kept unsigned)."""
    return (a * b) & MASK


def mulberry32(seed):
    state = seed & MASK

    def next_uniform():
        nonlocal state
        state = (state + 0x6D2B79F5) & MASK
        t = imul(state ^ (state >> 15), state | 1)
        t = ((t + imul(t ^ (t >> 7), t | 61)) & MASK) ^ t
        return ((t ^ (t >> 14)) & MASK) / 4294967296.0

    return next_uniform


def seeded_normal(seed):
    uniform = mulberry32(seed)

    def normal():
        u1 = 1.0 - uniform()
        u2 = uniform()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    return normal


def gaussian_mixture(n, dim, clusters, center_scale, seed):
    """Same order of draws as gaussianMixture() in TypeScript: centres, then points row by row."""
    normal = seeded_normal(seed)
    centers = np.array([center_scale * normal() for _ in range(clusters * dim)]).reshape(clusters, dim)
    data = np.empty((n, dim), dtype=np.float32)
    labels = np.arange(n) % clusters
    for i in range(n):
        c = centers[labels[i]]
        for k in range(dim):
            data[i, k] = np.float32(c[k] + normal())
    return data, labels


def neighbour_label_agreement(embedding, labels, k=10):
    nn = NearestNeighbors(n_neighbors=k + 1).fit(embedding)
    _, idx = nn.kneighbors(embedding)
    return float(np.mean(labels[idx[:, 1:]] == labels[:, None]))


MIXTURE = {'dim': 50, 'clusters': 10, 'centerScale': 1.0, 'seed': 1}
# sklearn's exaggeration phase is fixed at 250 iterations with momentum 0.5, then momentum 0.8.
SETTINGS = {
    'perplexity': 30.0,
    'early_exaggeration': 12.0,
    'exaggeration_iterations': 250,
    'learning_rate': 'auto',
    'n_iter': 1000,
    'init': 'random',
    'method': 'barnes_hut',
    'angle': 0.5,
    'metric': 'euclidean',
    'min_grad_norm': 1e-10,
    'n_iter_without_progress': 1000,
}


def run(n, random_state):
    data, labels = gaussian_mixture(n, MIXTURE['dim'], MIXTURE['clusters'], MIXTURE['centerScale'], MIXTURE['seed'])
    return run_on(data, labels, random_state), data


def run_on(data, labels, random_state, embedding_out=None):
    """One scikit-learn Barnes-Hut run with SETTINGS on `data` (n x dim float32).

    `embedding_out`: where to save the final embedding as float32 .npy, so that its KL can be evaluated exactly
    (scikit-learn's own figure approximates the normalisation by Barnes-Hut and sums in float32)."""
    n = data.shape[0]
    tsne = TSNE(
        n_components=2,
        perplexity=SETTINGS['perplexity'],
        early_exaggeration=SETTINGS['early_exaggeration'],
        learning_rate=SETTINGS['learning_rate'],
        n_iter=SETTINGS['n_iter'],
        n_iter_without_progress=SETTINGS['n_iter_without_progress'],
        min_grad_norm=SETTINGS['min_grad_norm'],
        metric=SETTINGS['metric'],
        init=SETTINGS['init'],
        method=SETTINGS['method'],
        angle=SETTINGS['angle'],
        random_state=random_state,
    )
    start = time.perf_counter()
    cpu_start = time.process_time()
    embedding = tsne.fit_transform(data)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    if embedding_out is not None:
        np.save(embedding_out, embedding.astype(np.float32))
    return {
        'n': n,
        'randomState': random_state,
        'kl': float(tsne.kl_divergence_),
        'iterations': int(tsne.n_iter_),
        'seconds': seconds,
        # All threads together: on a shared machine wall time depends on the load, CPU time much less.
        'cpuSeconds': cpu_seconds,
        'agreement10': neighbour_label_agreement(embedding, labels),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[5000, 20000])
    parser.add_argument('--repeats', type=int, default=3, help='random states per size (timings: 1 for n > 5000)')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='limit OpenMP/BLAS threads (1 compares CPU time with single-threaded code; default: all cores)',
    )
    parser.add_argument(
        '--out',
        default=os.path.join(os.path.dirname(__file__), '..', '..', 'tests', 'projection', 'reference', 'tsne-sklearn.json'),
    )
    args = parser.parse_args()

    if args.threads is not None:
        threadpool_limits(limits=args.threads)
    threads = {info['user_api']: info['num_threads'] for info in threadpool_info()}

    runs = []
    samples = {}
    for n in args.sizes:
        repeats = args.repeats if n <= 5000 else 1
        for random_state in range(repeats):
            result, data = run(n, random_state)
            print(json.dumps(result), flush=True)
            runs.append(result)
        samples[str(n)] = {
            'first': [float(v) for v in data[0, :4]],
            'last': [float(v) for v in data[-1, -4:]],
            'sum': float(np.sum(data, dtype=np.float64)),
        }

    report = {
        'description': 'scikit-learn Barnes-Hut t-SNE on the seeded Gaussian mixture of gaussian-mixture.ts',
        'script': 'tools/reference/tsne_sklearn.py',
        'sklearn': sklearn.__version__,
        'numpy': np.__version__,
        'machine': {
            'cpus': os.cpu_count(),
            'processor': platform.processor() or platform.machine(),
            'loadAverage': os.getloadavg(),
        },
        'threads': threads,
        'mixture': MIXTURE,
        'settings': SETTINGS,
        'dataSamples': samples,
        'runs': runs,
    }
    with open(args.out, 'w') as f:
        json.dump(report, f, indent=2)
        f.write('\n')
    print('wrote', os.path.normpath(args.out))


if __name__ == '__main__':
    main()

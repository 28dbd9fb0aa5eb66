"""Controls the BLAS and OpenMP thread pools of Debian's PyTorch, which has no MKL.

Its matrix products run on OpenBLAS, which starts a thread per core whatever torch.set_num_threads says
(measured: MobileNetV2's forward pass at "one thread" took 18.2 ms wall and 36 ms of CPU, with
OPENBLAS_NUM_THREADS=1 20.3 ms and 20.3 ms). `pin` sets the pools' sizes from the script's --threads before
torch is imported (they read the environment once, when the libraries load); `set_openblas` resizes OpenBLAS's
pool afterwards through its C API. With several threads, ATen's own threads call OpenBLAS from inside their
parallel regions, so two OpenBLAS threads each can oversubscribe the cores (occlusion's 82 passes took 1.8 s
wall with two, 1.1 s with one, on two cores) while a single large product gains from them: the scripts
measure each method both ways and keep the faster.
"""
import ctypes
import os
import sys


def pin(default):
    """Sets OPENBLAS / OMP / MKL_NUM_THREADS to the value of --threads in sys.argv (else `default`) unless set."""
    threads = default
    for i, arg in enumerate(sys.argv):
        if arg == '--threads' and i + 1 < len(sys.argv):
            threads = int(sys.argv[i + 1])
        elif arg.startswith('--threads='):
            threads = int(arg.split('=', 1)[1])
    for name in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        os.environ.setdefault(name, str(threads))
    return threads


def set_openblas(threads):
    """Resizes the pool of the OpenBLAS this process loaded; False when none is loaded (another BLAS)."""
    with open('/proc/self/maps') as maps:
        paths = {line.split()[-1] for line in maps if 'openblas' in line}
    for path in sorted(paths):
        if '.so' in os.path.basename(path):
            ctypes.CDLL(path).openblas_set_num_threads(int(threads))
            return True
    return False

"""The JSON file every PyTorch peer script in tools/bench writes: what was measured, with which versions, on
which machine and when, then the rows."""
import json
import os
import platform
import time

import torch
import torchvision


def write_report(path, description, script, threads, rows, details=None):
    """Writes the report to `path` (keys in a fixed order; `details` go after the script) and says so."""
    report = {
        'description': description,
        'script': script,
        **(details or {}),
        'torch': torch.__version__,
        'torchvision': torchvision.__version__,
        'threads': threads,
        'machine': {'cpus': os.cpu_count(), 'processor': platform.machine(), 'loadAverage': os.getloadavg()},
        'date': time.strftime('%Y-%m-%d'),
        'rows': rows,
    }
    with open(path, 'w') as f:
        json.dump(report, f, indent=2)
        f.write('\n')
    print('wrote', os.path.normpath(path))

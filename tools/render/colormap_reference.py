"""Reference colormap tables from matplotlib, which ships the published 256-entry viridis and turbo
tables. Entry i is the colour at t = i / 255, as 8-bit RGB. Run with Debian's python3:
    /usr/bin/python3 tools/render/colormap_reference.py > tests/render/colormap-reference.json
    npx prettier --write tests/render/colormap-reference.json
"""
import json

import numpy as np
from matplotlib import cm

t = np.linspace(0, 1, 256)
tables = {}
for name in ['viridis', 'turbo']:
    rgb = cm.get_cmap(name, 256)(t)[:, :3]
    tables[name] = [[int(round(v * 255)) for v in row] for row in rgb]
print(json.dumps({'source': 'matplotlib ' + __import__('matplotlib').__version__, 'tables': tables}))

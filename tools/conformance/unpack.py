#!/usr/bin/python3
"""Unpack ONNX's backend test suite (Debian's libonnx-testdata) for the autodiff conformance run.

Copies every case of node/, pytorch-converted/, pytorch-operator/ and simple/ to tmp/conformance/<group>/<case>/
(model.onnx and the first test data set's input_*.pb / output_*.pb). Models older than opset 11 are converted to
opset 13 with onnx.version_converter; a case whose conversion fails keeps its original model and is recorded as
such (the VJP builder upgrades it in memory, as netlens's Model does when it loads an old model). Writes tmp/conformance/manifest.tsv (group, case, opset, converted).

Run: /usr/bin/python3 tools/conformance/unpack.py [source] [destination]
"""
import os
import shutil
import sys

import onnx
from onnx import version_converter

SOURCE = sys.argv[1] if len(sys.argv) > 1 else '/usr/share/libonnx-testdata/data'
DEST = sys.argv[2] if len(sys.argv) > 2 else 'tmp/conformance'
GROUPS = ['node', 'pytorch-converted', 'pytorch-operator', 'simple']
MIN_OPSET = 11
TARGET_OPSET = 13


def default_opset(model):
    for o in model.opset_import:
        if o.domain in ('', 'ai.onnx'):
            return o.version
    return 0


def main():
    rows = []
    for group in GROUPS:
        for case in sorted(os.listdir(os.path.join(SOURCE, group))):
            src = os.path.join(SOURCE, group, case)
            data = os.path.join(src, 'test_data_set_0')
            if not os.path.isfile(os.path.join(src, 'model.onnx')) or not os.path.isdir(data):
                continue
            dst = os.path.join(DEST, group, case)
            os.makedirs(dst, exist_ok=True)
            for name in os.listdir(data):
                shutil.copyfile(os.path.join(data, name), os.path.join(dst, name))
            model = onnx.load(os.path.join(src, 'model.onnx'))
            opset = default_opset(model)
            converted = '-'
            if 0 < opset < MIN_OPSET:
                try:
                    model = version_converter.convert_version(model, TARGET_OPSET)
                    onnx.checker.check_model(model)
                    converted = str(TARGET_OPSET)
                except Exception as error:  # the converter raises many types; keep the original model
                    converted = 'failed: ' + str(error).splitlines()[0][:80] if str(error) else 'failed'
                    model = onnx.load(os.path.join(src, 'model.onnx'))
            onnx.save(model, os.path.join(dst, 'model.onnx'))
            rows.append((group, case, str(opset), converted))
    with open(os.path.join(DEST, 'manifest.tsv'), 'w') as out:
        out.write('group\tcase\topset\tconverted\n')
        for row in rows:
            out.write('\t'.join(row) + '\n')
    print(f'{len(rows)} cases unpacked to {DEST}')


if __name__ == '__main__':
    main()

#!/usr/bin/env bash
# Runs tests on an emulated AVX2-only CPU (no AVX-512): ONNX Runtime's kernels then take their AVX2 paths,
# whose float32 rounding differs in the last bits, as on another machine. Reference tests must still pass.
#   tools/portability/avx2.sh tests/autodiff/fixtures.test.ts [more vitest args]
# Needs Debian's qemu-user (apt-get install qemu-user). Emulation is ~30x slower: pick the files to run.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v qemu-x86_64 >/dev/null || { echo "avx2.sh: qemu-x86_64 not found (apt-get install qemu-user)" >&2; exit 2; }
# Threads, not forks: a forked worker would exec node natively, outside the emulator.
exec qemu-x86_64 -cpu Haswell "$(command -v node)" node_modules/vitest/vitest.mjs run --pool=threads \
  --testTimeout=1800000 --hookTimeout=1800000 "$@" 2> >(grep -v "TCG doesn't support" >&2)

#!/usr/bin/env bash
# The CUDA path measured on one GPU: official per-object fp32 loop vs the batched engine in fp32
# and bf16 (R101, 360p, N = 1, 6, 10), peak memory vs clip length, Lite fps, trainer steps/s.
# Writes $OUT/gpu_check.json (or --out DIR) and prints a table with PASS/FAIL per target.
# Exit code 0 even when a target is missed (a measurement); 1 when a section crashed.
#
# How to run (one H200; expected well under the 8 minutes allowed, and the JSON's
# section_seconds says where the time went):
#   1. here, once, in the checkout the device tool sends:
#        PYTHON=.venv/bin/python bash bench/gpu_check.sh --prepare
#      copies platformdirs and MiniLM's config + tokenizer (no weights) into .gpu_carry/, which
#      .gitignore lists: the GPU image lacks them and MiniLM's weights are too big to carry
#   2. one device call:
#        run(command="set -o pipefail; bash bench/gpu_check.sh --out $OUT 2>&1 | tee $OUT/log",
#            carry=[".gpu_carry"], timeout_s=540)
#      the table ends output_tail; $OUT/gpu_check.json (rewritten after every section, so a
#      timeout still returns what was measured) and $OUT/log come back in files_at.
#   Only part of it again: --sections inference,memory (or lite, train).
#   On the CPU, at tiny sizes, in under a minute (tests/test_bench_gpu_check.py does this):
#        PYTHON=.venv/bin/python bash bench/gpu_check.sh --smoke --out /tmp/gpu_check
#
# PYTHON picks the interpreter (default: python3, the one with torch on the GPU image).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
CARRY="$ROOT/.gpu_carry"

shim="$(mktemp -d)"
trap 'rm -rf "$shim"' EXIT
# The package data folder imports as actionvos_resources (setup maps it); no install needed.
ln -s "$ROOT/resources" "$shim/actionvos_resources"
export PYTHONPATH="$ROOT/model:$ROOT:$shim:$CARRY/site${PYTHONPATH:+:$PYTHONPATH}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONUNBUFFERED=1
# transformers' load reports and progress bars would push the table out of a short log tail.
export TRANSFORMERS_VERBOSITY=error HF_HUB_DISABLE_PROGRESS_BARS=1

if [[ "${1:-}" == "--prepare" ]]; then
    mkdir -p "$CARRY/site"
    "$PY" - "$CARRY" <<'EOF'
import shutil, sys
from pathlib import Path

import platformdirs

from bench.gpu_measure import copy_minilm_config

carry = Path(sys.argv[1])
src = Path(platformdirs.__file__).parent
shutil.copytree(
    src, carry / "site" / src.name, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
)
print("copied", src, "and", copy_minilm_config(carry / "minilm"))
EOF
    du -sh "$CARRY"
    exit 0
fi

"$PY" "$ROOT/bench/gpu_check.py" "$@"

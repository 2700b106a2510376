#!/usr/bin/env bash
# The CUDA path measured on one GPU: official per-object fp32 loop vs the batched engine in fp32
# and bf16 (R101, 360p, N = 1, 6, 10), peak memory vs clip length, Lite fps, trainer steps/s.
# Writes $OUT/gpu_check.json (or --out DIR) and prints a table with PASS/FAIL per target.
# Exit code 0 even when a target is missed (a measurement); 1 when a section crashed.
#
# How to run (one H200, about 5 of the 8 minutes it may take):
#   1. here, once, where the project's venv is installed:
#        bash bench/gpu_check.sh --prepare
#      copies platformdirs and MiniLM's config + tokenizer (no weights) into .gpu_carry/, which
#      .gitignore lists: the GPU image lacks them and MiniLM's weights are too big to carry
#   2. one device call:
#        run(command="bash bench/gpu_check.sh --out $OUT", carry=[".gpu_carry"], timeout_s=540)
#      then read the table in output_tail and $OUT/gpu_check.json in files_at.
#   Only part of it again: add --sections inference,memory (or lite, train).
#   On the CPU, at tiny sizes, in about a minute (tests/test_bench_gpu_check.py does this):
#        bash bench/gpu_check.sh --smoke --out /tmp/gpu_check
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

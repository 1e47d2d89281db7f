#!/usr/bin/env bash
# Runs every benchmark; each prints its figures and writes JSON under benchmarks/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p benchmarks/results
for script in benchmarks/*.py; do
  echo "== $script =="
  .venv/bin/python "$script" "$@"
done

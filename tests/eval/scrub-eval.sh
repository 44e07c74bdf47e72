#!/usr/bin/env bash
# The scrubber's evaluation, rerunnable: generates the labelled corpus (fixed seed), and prints
# recall and precision per family for Modicum and, side by side on the same corpus, Microsoft
# Presidio's pattern recognizers (presidio-analyzer from PyPI, installed once into the cache).
#
# Usage: tests/eval/scrub-eval.sh [SEED]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo_root=$(cd "$here/../.." && pwd)
cache=${MODICUM_CACHE:-$HOME/.cache/modicum}
seed=${1:-14}
out="$repo_root/target/eval"
mkdir -p "$out"
cd "$repo_root"

cargo build --release -p modicum-cli >&2
modicum="$repo_root/target/release/modicum"
"$modicum" corpus --seed "$seed" > "$out/corpus.jsonl"

presidio_version=2.2.366
venv="$cache/presidio-venv"
others=()
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import presidio_analyzer" 2>/dev/null; then
  echo "installing presidio-analyzer $presidio_version into $venv" >&2
  python3 -m venv "$venv" && "$venv/bin/pip" install --quiet "presidio-analyzer==$presidio_version" >&2 \
    || echo "presidio-analyzer did not install; the report shows Modicum alone" >&2
fi
if "$venv/bin/python" -c "import presidio_analyzer" 2>/dev/null; then
  # Presidio's own defaults (English recognizers, no score threshold), every model-free
  # recognizer, and the defaults with findings scored under 0.5 left out.
  for config in default:0 all:0 default:0.5; do
    preset=${config%%:*} threshold=${config##*:}
    name="presidio-$preset"
    [ "$threshold" = 0 ] || name="$name-$threshold"
    "$venv/bin/python" "$here/presidio_scan.py" "$out/corpus.jsonl" --preset "$preset" \
      --threshold "$threshold" > "$out/$name.jsonl"
    others+=(--other "$name=$out/$name.jsonl")
  done
fi
"$modicum" scrub --report "$out/corpus.jsonl" "${others[@]}"

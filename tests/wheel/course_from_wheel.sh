#!/usr/bin/env bash
# The course as a pip user meets it: tinysr's wheel in a fresh venv outside the repository, the chapters copied out
# with `tinysr notebooks DEST`, and every chapter run by nbval at the smoke preset in DEST -- no repository on disk
# for the kernels to read. Each section a chapter skips for missing data prints one "[skipped]" line
# (tinysr.skip_note), logged to $work/skips.log and counted here. With TINYSR_SHARED set (CI) a skip is a failure:
# the data rule must find the benchmarks and the released checkpoints there.
#   usage: tests/wheel/course_from_wheel.sh [PYTHON]     (make test-wheel; PYTHON defaults to python3)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
python=${1:-python3}
torch_pin=${TORCH:-torch==2.13.0}
work=$(mktemp -d "${TMPDIR:-/tmp}/tinysr-wheel.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
"$python" -m pip wheel -q --no-deps -w "$work/dist" "$repo"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --upgrade pip
"$work/venv/bin/python" -m pip install -q "$torch_pin"
"$work/venv/bin/python" -m pip install -q "$work"/dist/tinysr-*.whl "nbval>=0.10" ipykernel
cd "$work"
if "$work/venv/bin/python" -c "import tinysr, sys; sys.exit(not tinysr.__file__.startswith('$repo'))"; then
    echo "course_from_wheel: tinysr was imported from the repository, not the wheel" >&2; exit 1
fi
"$work/venv/bin/tinysr" notebooks "$work/course" > /dev/null
installed=$(date +%s)
status=0
TINYSR_PRESET=smoke OMP_WAIT_POLICY=PASSIVE TINYSR_SKIP_LOG="$work/skips.log" \
    "$work/venv/bin/python" -m pytest -q -p no:cacheprovider --nbval --nbval-current-env course/0*.ipynb || status=$?
skips=$( [ -f "$work/skips.log" ] && wc -l < "$work/skips.log" || echo 0 )
echo "course_from_wheel: install $((installed - start)) s, nbval $(( $(date +%s) - installed )) s;" \
     "skipped data sections: $skips (TINYSR_SHARED $([ -n "${TINYSR_SHARED:-}" ] && echo set || echo unset))"
[ "$skips" -eq 0 ] || sed 's/^/  /' "$work/skips.log"
if [ -n "${TINYSR_SHARED:-}" ] && [ "$skips" -ne 0 ]; then
    echo "course_from_wheel: with TINYSR_SHARED set no section may skip" >&2; status=1
fi
exit $status

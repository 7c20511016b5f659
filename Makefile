# tinysr: `make demo` runs the whole method on a laptop, `make test` runs every test and notebook.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
TORCH  ?= torch==2.13.0
# Benchmarks for the demo (their Set5 folder), found by the one data rule of tinysr/data/paths.py ($TINYSR_DATA,
# ./datasets, $TINYSR_SHARED/data), else empty: built-in photos. Expanded when the demo runs, after install.
BENCH   = $(shell $(PY) -c "from tinysr.data.paths import find_benchmarks; b = find_benchmarks(); print(b / 'Set5' if b else '')")

.PHONY: install demo test test-device test-wheel test-slow test-browser lint book lab clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[dev,export]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(PY) -m tinysr run --preset laptop --out runs/demo $(if $(BENCH),--benchmarks $(dir $(BENCH)))
	@echo "Report: runs/demo/report.md"

# Idle OpenMP threads sleep rather than spin: a test process and a notebook kernel share 2 cores.
test: export OMP_WAIT_POLICY = PASSIVE
test: install
	$(PY) -m pytest -q -m "not slow" tests
	TINYSR_PRESET=smoke $(PY) -m pytest -q --nbval --nbval-current-env notebooks
	$(MAKE) --no-print-directory test-device

# The course under an emulated GPU (docs/devices.md): get_device() is `cpu:0`, and an op that mixes its tensors
# with host tensors fails as on CUDA, so a machine without a GPU catches a forgotten move.
test-device: export OMP_WAIT_POLICY = PASSIVE
test-device: install
	TINYSR_PRESET=smoke TINYSR_EMULATE_DEVICE=1 $(PY) -m pytest -q --nbval --nbval-current-env \
		notebooks/*.ipynb notebooks/assignments/*.ipynb

# The course as a pip user meets it (tests/wheel/course_from_wheel.sh): the wheel in a fresh venv outside the
# repository, `tinysr notebooks DEST`, nbval of every chapter at smoke in DEST; counts the skipped data sections
# (none allowed when TINYSR_SHARED is set).
test-wheel: install
	tests/wheel/course_from_wheel.sh $(PY)

# ruff with the rules of pyproject.toml ([tool.ruff]): pyflakes, pycodestyle, bugbear, import order, pyupgrade
lint: install
	$(PY) -m ruff check tinysr tests benchmarks data_scripts

test-slow: install
	$(PY) -m pytest -q -m slow tests

# The panels of 07_playground in a real browser (tests/browser, docs/browser.md): JupyterLab on 127.0.0.1
# and headless Chromium driven by playwright. Installs what is missing: Debian's chromium (apt), and the
# pinned versions below into $(VENV) (playwright drives the system browser: never `playwright install`).
BROWSER_PINS = jupyterlab==4.6.6 ipywidgets==8.1.9 playwright==1.65.2
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
PINNED = $(PY) -c "import sys; from importlib.metadata import version as v; \
	sys.exit(any(v(p.split('==')[0]) != p.split('==')[1] for p in sys.argv[1:]))"

test-browser: export OMP_WAIT_POLICY = PASSIVE
test-browser: export OMP_NUM_THREADS = 1
test-browser: install
	test -x /usr/bin/chromium || ($(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)
	$(PINNED) $(BROWSER_PINS) 2>/dev/null || $(PY) -m pip install -q $(BROWSER_PINS)
	$(PY) -m pytest -q -m browser tests/browser

# The course as a book: every chapter and assignment solution executed at BOOK_PRESET (laptop: about an
# hour on 2 cores; smoke: minutes) and rendered with its outputs to build/book/*.html + index.html.
# build/book is this target's own output and is replaced.
BOOK_PRESET ?= laptop

book: export OMP_WAIT_POLICY = PASSIVE
book: install
	$(PY) -c "import nbconvert" 2>/dev/null || $(PY) -m pip install -q "nbconvert>=7.16"
	rm -rf build/book
	$(PY) -m tinysr notebooks build/book --book --preset $(BOOK_PRESET)
	@echo "Book: build/book/index.html"

lab: install
	$(PY) -m pip install -q -e ".[dev,lab]"
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf $(VENV) runs .pytest_cache

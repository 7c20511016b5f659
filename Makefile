# tinysr: `make demo` runs the whole method on a laptop, `make test` runs every test and notebook.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
TORCH  ?= torch==2.13.0
# Benchmarks for the demo (their Set5 folder), found by the one data rule of tinysr/paths.py ($TINYSR_DATA,
# ./datasets, $TINYSR_SHARED/data), else empty: built-in photos. Expanded when the demo runs, after install.
BENCH   = $(shell $(PY) -c "from tinysr.paths import find_benchmarks; b = find_benchmarks(); print(b / 'Set5' if b else '')")

.PHONY: install demo test test-slow lab clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[dev]"
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

test-slow: install
	$(PY) -m pytest -q -m slow tests

lab: install
	$(PY) -m pip install -q -e ".[dev,lab]"
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf $(VENV) runs .pytest_cache

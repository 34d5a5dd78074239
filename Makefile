# The two entry points of the README: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test venv pipeline clean-artefacts

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required (set PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --upgrade --quiet pip
	$(PY) -m pip install --quiet -e '.[test,techwatch]'
	touch $(STAMP)

venv: $(STAMP)

## Build whatever artefact is missing (data -> features -> model -> SHAP cache), then serve the dashboard
## in development mode (no sign-in, a banner says so; `python main.py serve` signs advisors in).
run: venv
	$(PY) main.py pipeline
	$(PY) main.py serve --dev

## Run the whole test suite.
test: venv
	$(PY) -m pytest

pipeline: venv
	$(PY) main.py pipeline

clean-artefacts:
	find data cache -mindepth 1 ! -name README.md -exec rm -rf {} +

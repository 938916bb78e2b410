VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-quick install

$(PY):
	python3 -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.14.1 torchvision==0.29.1 || $(PY) -m pip install -q torch torchvision
	$(PY) -m pip install -q -e '.[test,h5,tensorboard,plot,sklearn]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) examples/tutorial_demo.py

# In parallel (pytest-xdist, one worker per core, each with one torch thread: tests/conftest.py). Exit status 5
# ("no tests collected", as for a filter that matches nothing) is not a failure.
PYTEST := $(PY) -m pytest -q -n auto --dist worksteal

test: $(STAMP)
	$(PYTEST) || [ $$? -eq 5 ]

test-quick: $(STAMP)
	$(PYTEST) -m "not slow" || [ $$? -eq 5 ]

.PHONY: bench
# Quick comparison with the hand-written PyTorch loop, Keras 3 and tf.keras (those two when installed:
# `pip install -e .[bench]`). Full run: $(PY) -m benchmarks --out bench-out
bench: $(STAMP)
	$(PY) -m benchmarks --quick --out bench-out

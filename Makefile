# Two commands set up a fresh machine:  make demo   and   make test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
W2V := $(VENV)/bin/w2v
CORPUS ?= demo/text8_prefix.xz
BENCH_CORPUS ?= ../shared/corpora/text8_prefix
DEMO_WORDS ?= king france computer three river

.PHONY: demo test bench install clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

# The demo trains on the 2.1M-word corpus shipped in demo/ (or CORPUS=any file), prints
# neighbours, and scores the vectors on the bundled analogy and WordSim353 sets.
demo: $(VENV)/.installed
	$(W2V) train $(CORPUS) -o demo-vectors.bin
	@for w in $(DEMO_WORDS); do echo "== nearest to $$w"; $(W2V) nearest $$w -m demo-vectors.bin -n 8; done
	@echo "== evaluation (analogies: top 30k words, as compute-accuracy; WordSim353: Spearman)"
	@$(W2V) eval -m demo-vectors.bin | tail -4

test: $(VENV)/.installed-test
	$(PY) -m pytest

# Side-by-side speed and quality against word2vec.c and gensim (needs ../shared/corpora, minutes).
bench: $(VENV)/.installed-test
	$(PY) -m benchmarks.train_speed --corpus $(BENCH_CORPUS) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) demo-vectors.bin demo-vectors.bin.w2vcache bench-out *.egg-info

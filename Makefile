# Two commands set up a fresh machine:  make demo   and   make test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
W2V := $(VENV)/bin/w2v
CORPUS ?= ../shared/corpora/text8_prefix
EVAL ?= ../shared/eval
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

demo: $(VENV)/.installed
	@if [ ! -f "$(CORPUS)" ]; then \
	  echo "demo corpus $(CORPUS) not found: download text8 (http://mattmahoney.net/dc/text8.zip)," \
	       "unzip it and run: make demo CORPUS=path/to/text8"; exit 1; fi
	$(W2V) train $(CORPUS) -o demo-vectors.bin
	@for w in $(DEMO_WORDS); do echo "== nearest to $$w"; $(W2V) nearest $$w -m demo-vectors.bin -n 8; done
	@if [ -f "$(EVAL)/questions-words.txt" ]; then \
	  $(W2V) eval -m demo-vectors.bin --analogies $(EVAL)/questions-words.txt --pairs $(EVAL)/wordsim353.tsv | tail -4; fi

test: $(VENV)/.installed-test
	$(PY) -m pytest

# Side-by-side speed and quality against word2vec.c and gensim (needs ../shared/corpora, minutes).
bench: $(VENV)/.installed-test
	$(PY) -m benchmarks.train_speed --corpus $(CORPUS) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) demo-vectors.bin demo-vectors.bin.w2vcache bench-out *.egg-info

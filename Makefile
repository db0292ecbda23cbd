# Every task CI runs is a target here. Each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := tests/node/node_modules/.installed

.PHONY: run test lint proto-check unit e2e golden mutation fuzz-long bench bench-ingest bench-trajectory bench-storage bench-chats bench-sessions bench-export bench-load bench-soak clean

PROTOS := $(wildcard proto/tracechat/v1/*.proto)

# the install also generates tracechat.v1 from proto/ (setup.py runs scripts/gen_proto.py)
$(STAMP): pyproject.toml setup.py scripts/gen_proto.py $(PROTOS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# the AI SDK's chat client, which tests/e2e/test_use_chat_node.py drives under node; the gRPC
# client of tests/e2e/test_grpc_node.py; buf, which checks proto/
$(NODE_STAMP): tests/node/package.json tests/node/package-lock.json
	npm ci --prefix tests/node --no-audit --no-fund
	touch $(NODE_STAMP)

## run: set up and start the service on its embedded default (sample traces loaded)
run: $(STAMP)
	$(BIN)/tracechat serve --demo

## test: lint, type-check, then the whole test suite, in a new random order each run
## (pytest-randomly prints the seed; rerun one order with --randomly-seed=N, keep file order with -p no:randomly)
test: lint proto-check
	$(BIN)/pytest

## proto-check: buf lint, format and breaking changes against main (scripts/buf_check.sh)
proto-check: $(NODE_STAMP)
	scripts/buf_check.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit tests/contract

e2e: $(STAMP) $(NODE_STAMP)
	$(BIN)/pytest tests/e2e

golden: $(STAMP)
	$(BIN)/pytest tests/golden

## mutation: mutmut over the modules the suite must pin down, each against its own fast
## unit and contract tests, one module at a time, niced; prints the killed share per module
## and the survivors (docs/testing.md). Every mutant of every module takes hours on a shared
## 2-core machine; a sample or some modules: make mutation MUTATION="--every 4 store/schema.py"
## or MUTATION="--sample 40 --seed 16 query/reader.py" (40 drawn at random)
MUTATION ?=
mutation: $(STAMP)
	nice -n 19 $(BIN)/python scripts/mutation.py $(MUTATION)

## fuzz-long: property-based fuzzers at 20,000 examples (500 per API operation), then ten
## minutes of coverage-guided atheris on the ingest-to-trajectory pipeline (findings in fuzz-findings/)
fuzz-long: $(STAMP)
	TRACECHAT_FUZZ_EXAMPLES=20000 $(BIN)/pytest tests/fuzz -p no:cacheprovider
	mkdir -p fuzz-findings fuzz-corpus
	$(BIN)/python tests/fuzz/atheris_pipeline.py --seed fuzz-corpus
	$(BIN)/python tests/fuzz/atheris_pipeline.py -max_total_time=600 -rss_limit_mb=4096 \
		-artifact_prefix=fuzz-findings/ fuzz-corpus

## bench: ingest throughput, trajectory latency, storage, chat lookups, the session index (see docs/benchmarks.md)
bench: bench-ingest bench-trajectory bench-storage bench-chats bench-sessions

bench-ingest: $(STAMP)
	$(BIN)/python bench/ingest.py

bench-trajectory: $(STAMP)
	$(BIN)/python bench/trajectory.py

bench-storage: $(STAMP)
	$(BIN)/python bench/storage.py

bench-chats: $(STAMP)
	$(BIN)/python bench/chats.py

bench-sessions: $(STAMP)
	$(BIN)/python bench/sessions.py

## bench-export: ingest spans/s alone and during a live Parquet export of a 1M-span store (docs/benchmarks.md)
bench-export: $(STAMP)
	$(BIN)/python bench/export_live.py

## bench-load: ingest at saturation with trajectory queries and chat (docs/reliability.md)
bench-load: $(STAMP)
	$(BIN)/python bench/load.py --seconds 60 --clients 24 --queue-mb 1
	$(BIN)/python bench/load.py --seconds 60 --clients 24

## bench-soak: SIGKILL and restart the server 20 times under writes; lost must be 0
bench-soak: $(STAMP)
	$(BIN)/python bench/soak.py --kills 20 --clients 4

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache tests/node/node_modules mutants

# Top-level entry points; CMake does the building. See README.md.
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
JOBS       ?= 2
CMAKE_ARGS ?=

.PHONY: all deps check test test-asan fuzz-build fuzz-smoke fuzz bench monitor clean

all: deps
	cmake -S . -B $(BUILD) $(CMAKE_ARGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# Installs missing Debian packages (idempotent; uses sudo when not root).
deps:
	@scripts/install-deps.sh

# The whole suite: a normal build, then again under ASan + UBSan, then a
# short run of every fuzz target.
check: test test-asan fuzz-smoke

# After each run: how many machine-dependent checks were skipped, and why.
test: all
	cd $(BUILD) && { ctest --output-on-failure -j $(JOBS); rc=$$?; $(CURDIR)/tests/common/skips-summary.sh .; exit $$rc; }

test-asan: deps
	cmake -S . -B $(BUILD_ASAN) -DBPFHOST_SANITIZE=ON $(CMAKE_ARGS) >/dev/null
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && { ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS); \
	  rc=$$?; $(CURDIR)/tests/common/skips-summary.sh .; exit $$rc; }

# libFuzzer targets (tests/fuzz), built with clang and ASan + UBSan.
# fuzz-smoke: FUZZ_SMOKE_TIME seconds of each (CI); fuzz: FUZZ_TIME seconds
# of each, the corpus kept in $(BUILD_FUZZ)/fuzz-corpus for the next run;
# FUZZ_FLAGS adds libFuzzer options (e.g. FUZZ_FLAGS="-fork=1 -ignore_crashes=1").
FUZZ_SMOKE_TIME ?= 60
FUZZ_TIME ?= 3600
FUZZ_FLAGS ?=
fuzz-build: deps
	cmake -S . -B $(BUILD_FUZZ) -DCMAKE_C_COMPILER=clang -DBPFHOST_FUZZ=ON $(CMAKE_ARGS) >/dev/null
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target fuzz_all

fuzz-smoke: fuzz-build
	scripts/run-fuzz.sh $(BUILD_FUZZ) $(FUZZ_SMOKE_TIME) $(FUZZ_FLAGS)

fuzz: fuzz-build
	scripts/run-fuzz.sh $(BUILD_FUZZ) $(FUZZ_TIME) $(FUZZ_FLAGS)

bench: all
	$(BUILD)/bin/bpfhost_bench

# The main job: every process creation and exit on this machine, live, until
# Ctrl-C. System-wide monitoring needs root: sudo is used when not root.
# MONITOR_ARGS passes options, e.g. make monitor MONITOR_ARGS=--json
# The build is quiet unless it fails (then its log is shown).
MONITOR_ARGS ?=
monitor: deps
	@cmake -S . -B $(BUILD) $(CMAKE_ARGS) >/dev/null && \
	  { cmake --build $(BUILD) -j $(JOBS) >$(BUILD)/monitor-build.log 2>&1 || { cat $(BUILD)/monitor-build.log; exit 1; }; }
	@if [ "$$(id -u)" -eq 0 ]; then exec $(BUILD)/bin/process_monitor $(MONITOR_ARGS); \
	else exec sudo $(BUILD)/bin/process_monitor $(MONITOR_ARGS); fi

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)

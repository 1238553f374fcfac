# tollgate - the entry point. CMake + Ninja underneath.
#   make          build ./build/tollgate
#   make test     the whole test suite: normal build, every fuzz target for
#                 CI_FUZZ_TIME seconds, a Release (-O3) build of the binary,
#                 then the suite again under ASan+UBSan
#   make release  the binary built as a packager would (-O3, still -Werror)
#   make asan     the test suite under AddressSanitizer + UndefinedBehaviorSanitizer only
#   make fuzz     build the libFuzzer targets and run each for FUZZ_TIME seconds
#   make bench    the benchmarks in bench/, with their peers
#   make demo     set up, build and run the example plan end to end
#   make setup    install missing Debian packages (idempotent)
#   make install  the binary, man pages and bash/zsh/fish completions under
#                 PREFIX (default /usr/local; DESTDIR is honoured)

BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
RELEASE_BUILD ?= build-release
FUZZ_TIME ?= 60
CI_FUZZ_TIME ?= 15
JOBS ?= 2
PREFIX ?= /usr/local

.PHONY: all build setup test asan check unit fuzz release bench demo clean install

all: build

setup:
	@sh scripts/setup.sh

$(BUILD)/build.ninja:
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: setup $(BUILD)/build.ninja
	@cmake --build $(BUILD) -j $(JOBS)

unit: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

$(ASAN_BUILD)/build.ninja:
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTOLLGATE_SANITIZE=ON >/dev/null

asan: setup $(ASAN_BUILD)/build.ninja
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --output-on-failure -j $(JOBS)

test: build
	@echo "== test suite (RelWithDebInfo) =="
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@echo "== fuzz targets, $(CI_FUZZ_TIME) s each (libFuzzer + ASan + UBSan) =="
	@$(MAKE) --no-print-directory fuzz FUZZ_TIME=$(CI_FUZZ_TIME)
	@echo "== Release build (-O3 -Werror: its warnings differ from -O2's) =="
	@$(MAKE) --no-print-directory release
	@echo "== test suite (AddressSanitizer + UndefinedBehaviorSanitizer) =="
	@$(MAKE) --no-print-directory asan

check: test

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

$(RELEASE_BUILD)/build.ninja:
	@cmake -S . -B $(RELEASE_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null

release: setup $(RELEASE_BUILD)/build.ninja
	@cmake --build $(RELEASE_BUILD) -j $(JOBS) --target tollgate

$(FUZZ_BUILD)/build.ninja:
	@cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_C_COMPILER=clang -DTOLLGATE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

fuzz: setup $(FUZZ_BUILD)/build.ninja
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TIME)

bench: build
	@sh bench/run.sh $(BUILD)

demo: build
	@sh examples/q1-2026/demo.sh $(BUILD)/tollgate

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(RELEASE_BUILD)

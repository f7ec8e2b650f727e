# dieuhanh build. `make` builds build/dieuhanh; `make test` installs what is
# missing, builds a normal and a sanitizer variant and runs every suite;
# `make demo` builds, loads the demo data and serves it.
#
# Sources are found by wildcard so that adding a file to src/<folder>/, a
# test to tests/unit/test_<name>.c or a storage conformance test to
# tests/store/<name>.c (built as tests/store_<name>) needs no edit here.

CC      ?= cc
PKGS    := libmicrohttpd sqlite3 libpq jansson libsodium libutf8proc pangocairo xlsxwriter libcurl zlib
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Wno-unused-parameter -Wno-format-truncation
CFLAGS_BASE = -std=c11 -D_GNU_SOURCE -g $(WARN) -Isrc -I$(GEN) \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

SAN ?= 0
ifeq ($(SAN),1)
BUILD   ?= build/asan
OPT     := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
else
BUILD   ?= build
OPT     := -O2
endif
GEN     := $(BUILD)/gen
CFLAGS  := $(CFLAGS_BASE) $(OPT) $(EXTRA_CFLAGS)
LDFLAGS := $(OPT) $(EXTRA_LDFLAGS)

MAIN_SRC := src/cli/main.c
LIB_SRC  := $(filter-out $(MAIN_SRC),$(wildcard src/*/*.c src/store/*/*.c))
MIG_SQL  := $(sort $(wildcard src/store/*/migrations/*.sql))
GEN_SRC  := $(GEN)/migrations.c
EMBED_FILES := $(sort $(wildcard data/demo/* data/calendar/* data/plans/*))
LIB_OBJ  := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIB_SRC)) $(BUILD)/obj/gen/migrations.o $(BUILD)/obj/gen/embedded.o
TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
STORE_TEST := $(wildcard tests/store/*.c)
STORE_BIN  := $(patsubst tests/store/%.c,$(BUILD)/tests/store_%,$(STORE_TEST))
# Fuzzing (docs/FUZZING.md): each tests/fuzz/NAME.c is a libFuzzer harness.
# `make fuzz T=NAME S=SECONDS` builds it with clang and libFuzzer
# (build/fuzz/) and runs it on its corpus; the replay builds
# $(BUILD)/tests/fuzz_NAME (in unit-tests: the harness with
# tests/fuzz/lib/replay.c as main) let `make test` run every corpus and
# crashing input once.
FUZZ_SRC := $(wildcard tests/fuzz/*.c)
FUZZ_LIB := $(filter-out tests/fuzz/lib/replay.c,$(wildcard tests/fuzz/lib/*.c))
FUZZ_HDR := $(wildcard tests/fuzz/lib/*.h)
FUZZ_REPLAY := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/fuzz_%,$(FUZZ_SRC))
FUZZ_CC  ?= clang
FUZZ_OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
            -fno-sanitize-recover=undefined
# cmd_gen.c skips an option's value by moving the loop index on purpose.
FUZZ_WARN := -Wno-unknown-warning-option -Wno-for-loop-analysis
S ?= 60
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

.PHONY: all deps test-deps unit-tests asan test demo bench clean deb fuzz fuzz-bin
all: $(BUILD)/dieuhanh

deps:
	@scripts/deps.sh build
test-deps:
	@scripts/deps.sh all

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(GEN_SRC): $(MIG_SQL) scripts/embed-sql.sh
	@mkdir -p $(GEN)
	scripts/embed-sql.sh $(MIG_SQL) > $@.tmp && mv $@.tmp $@

$(GEN)/embedded.c: $(EMBED_FILES) scripts/embed-files.sh
	@mkdir -p $(GEN)
	scripts/embed-files.sh data $(EMBED_FILES) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/%.o: $(GEN)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libdh.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/dieuhanh: $(BUILD)/obj/cli/main.o $(BUILD)/libdh.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libdh.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DDH_SOURCE_ROOT='"$(CURDIR)"' -o $@ $< $(BUILD)/libdh.a $(LIBS) -lcmocka \
		$(TEST_LDFLAGS)

# The fault sweep fails our own allocations: the program's calls and the
# library's go through its __wrap_ functions (in this test build only).
$(BUILD)/tests/test_faults: TEST_LDFLAGS := \
	-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup

$(BUILD)/tests/store_%: tests/store/%.c $(BUILD)/libdh.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libdh.a $(LIBS) -lcmocka

$(BUILD)/bench/%: bench/%.c bench/bench.h bench/dossier.h $(BUILD)/libdh.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -O2 -o $@ $< $(BUILD)/libdh.a $(LIBS)

$(BUILD)/tests/fuzz_%: tests/fuzz/%.c tests/fuzz/lib/replay.c $(FUZZ_LIB) $(FUZZ_HDR) $(BUILD)/libdh.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/fuzz -o $@ $< tests/fuzz/lib/replay.c $(FUZZ_LIB) $(BUILD)/libdh.a $(LIBS)

# Only built by `make fuzz` (BUILD=build/fuzz, CC=clang).
$(BUILD)/bin/%: tests/fuzz/%.c $(FUZZ_LIB) $(FUZZ_HDR) $(BUILD)/libdh.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/fuzz -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(BUILD)/libdh.a $(LIBS)

# New inputs go to build/fuzz/corpus/NAME (tests/fuzz/corpus/NAME is the
# kept seed corpus), crashing ones to tests/fuzz/crashes/NAME.
fuzz-bin:
	@test -n "$(T)" && test -f tests/fuzz/$(T).c || \
	  { echo "usage: make fuzz T=NAME S=SECONDS; NAME: $(notdir $(basename $(FUZZ_SRC)))" >&2; exit 2; }
	$(MAKE) --no-print-directory CC=$(FUZZ_CC) BUILD=build/fuzz OPT="$(FUZZ_OPT)" \
	  EXTRA_CFLAGS="$(FUZZ_WARN)" build/fuzz/bin/$(T)

fuzz: fuzz-bin
	mkdir -p build/fuzz/corpus/$(T) tests/fuzz/corpus/$(T) tests/fuzz/crashes/$(T)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  build/fuzz/bin/$(T) -max_total_time=$(S) -print_final_stats=1 -rss_limit_mb=2048 \
	  -artifact_prefix=tests/fuzz/crashes/$(T)/ $(FUZZ_ARGS) build/fuzz/corpus/$(T) tests/fuzz/corpus/$(T)

unit-tests: $(TEST_BIN) $(STORE_BIN) $(FUZZ_REPLAY)
bench: $(BENCH_BIN)

asan:
	$(MAKE) SAN=1 all unit-tests

test: test-deps
	$(MAKE) all unit-tests $(BUILD)/bench/mega
	$(MAKE) SAN=1 all unit-tests
	$(MAKE) deb
	scripts/run-tests.sh

DEMO_DB := sqlite:demo/dieuhanh.db
demo: deps
	$(MAKE) all
	scripts/demo-data.sh $(BUILD)/dieuhanh $(DEMO_DB) demo
	$(BUILD)/dieuhanh demo --db $(DEMO_DB) --listen 127.0.0.1:8080

# The Debian package (debian/, scripts/make-deb.sh, docs/DEPLOY.md): the
# binary built again in build/deb/ with dpkg-buildflags' hardening flags.
DEB_VERSION := $(shell sed -n 's/^\#define DH_VERSION "\(.*\)"$$/\1/p' src/version.h)
DEB_ARCH    := $(shell dpkg --print-architecture 2>/dev/null)
DEB_FILE    := build/dieuhanh_$(DEB_VERSION)_$(DEB_ARCH).deb
DEB_FLAGS   = DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get
deb:
	$(MAKE) BUILD=build/deb EXTRA_CFLAGS="$$($(DEB_FLAGS) CFLAGS) $$($(DEB_FLAGS) CPPFLAGS)" \
	  EXTRA_LDFLAGS="$$($(DEB_FLAGS) LDFLAGS)" build/deb/dieuhanh
	scripts/make-deb.sh build/deb/dieuhanh $(DEB_FILE)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

# mlfscope build. `make` builds build/mlfscope; `make test` installs what is missing,
# builds and runs every test; `make demo` runs the main job on bundled data;
# `make SANITIZE=address,undefined test` builds in build/san/ and runs the same tests;
# `make check` = tests + sanitized tests + layer and symbol checks; `make fuzz`; `make bench`.

CC ?= cc
PKG_CONFIG ?= pkg-config
BUILD := build
SANFLAGS :=
ifdef SANITIZE
BUILD := build/san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer -g
endif

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wwrite-strings -Wformat=2 -Wundef -Wvla
ifeq ($(CI),true)
WARN += -Werror
endif
OPT ?= -O2 -g
LIBS_PC := libprotobuf-c libgvc libcgraph libcjson libarchive zlib
PC_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(LIBS_PC))
PC_LIBS = $(shell $(PKG_CONFIG) --libs $(LIBS_PC) ncursesw)
NCURSES_CFLAGS = $(shell $(PKG_CONFIG) --cflags ncursesw)
# Hidden visibility: the binary must not export our symbols, or shared libraries calling
# their own same-named functions get ours instead (libgvc's graph_init, graph_cleanup,
# node_induce, gv_* were interposed by src/graph.c's graph_init and crashed gvLayout).
VISIBILITY := -fvisibility=hidden
CFLAGS_ALL = -std=c11 $(OPT) $(WARN) $(SANFLAGS) $(VISIBILITY) -I. -Isrc -I$(BUILD)/gen \
             $(PC_CFLAGS) $(CFLAGS)
REF_WARN := -Wconversion -Wsign-conversion
LDLIBS_ALL = $(PC_LIBS) -lm -lpthread

PROTOS := $(wildcard src/*.proto)
GEN_C := $(patsubst src/%.proto,$(BUILD)/gen/%.pb-c.c,$(PROTOS))
GEN_H := $(GEN_C:.c=.h)
LIB_SRCS := $(filter-out src/main.c,$(wildcard src/*.c)) $(wildcard ref/*.c) \
            $(wildcard dump/*.c) $(wildcard dump/firmware/*.c) $(wildcard views/*.c)
# Files `twin` and `instrument` write out, embedded into the binary (scripts/embed.sh).
EMBED_FILES := $(sort $(wildcard ref/*.c ref/*.h ref/cmsis/*.c ref/cmsis/include/*.h \
               ref/twin/*.c ref/twin/*.h) $(shell find ref/twin/include -name '*.h') \
               dump/firmware/mlfscope_dump.c dump/firmware/mlfscope_dump.h)
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS)) $(GEN_C:.c=.o) $(BUILD)/gen/twin_files.o
TEST_SRCS := $(wildcard tests/*.c) $(wildcard tests/fuzz/fuzz_*.c)
TEST_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_SRCS))
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/%,$(wildcard tests/bench/bench_*.c))

.PHONY: all deps test run-tests check check-more demo fuzz bench golden clean
all: $(BUILD)/mlfscope

deps:
	@sh scripts/deps.sh

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: src/%.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --proto_path=src --c_out=$(BUILD)/gen $<

.SECONDARY: $(GEN_C) $(GEN_H)

$(BUILD)/gen/%.pb-c.o: $(BUILD)/gen/%.pb-c.c
	$(CC) -std=c11 $(OPT) $(SANFLAGS) $(VISIBILITY) $(PC_CFLAGS) -I$(BUILD)/gen -c $< -o $@

$(BUILD)/obj/ref/%.o: ref/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(REF_WARN) -MMD -MP -c $< -o $@

# The interpreter's fast kernels rely on loop vectorisation (-O3) to keep up with ONNX Runtime.
$(BUILD)/obj/src/interp_kernels.o: src/interp_kernels.c | $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -O3 -MMD -MP -c $< -o $@

$(BUILD)/obj/views/term.o: views/term.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(NCURSES_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.c | $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(BUILD)/gen/twin_files.c: $(EMBED_FILES) scripts/embed.sh
	@mkdir -p $(BUILD)/gen
	sh scripts/embed.sh $@ $(EMBED_FILES)

$(BUILD)/gen/twin_files.o: $(BUILD)/gen/twin_files.c src/twin_files.h
	$(CC) -std=c11 $(OPT) $(SANFLAGS) $(VISIBILITY) -I. -c $< -o $@

CMD_SRCS := $(wildcard src/cmd_*.c)
$(BUILD)/gen/cmd_list.h: $(CMD_SRCS) scripts/gen-cmd-list.sh
	@mkdir -p $(BUILD)/gen
	sh scripts/gen-cmd-list.sh $@ $(CMD_SRCS)

$(BUILD)/obj/src/main.o: $(BUILD)/gen/cmd_list.h

INTERP_OP_SRCS := $(wildcard src/interp_*.c)
$(BUILD)/gen/interp_ops.h: $(INTERP_OP_SRCS) scripts/gen-interp-ops.sh
	@mkdir -p $(BUILD)/gen
	sh scripts/gen-interp-ops.sh $@ $(INTERP_OP_SRCS)

$(BUILD)/obj/src/interp.o: $(BUILD)/gen/interp_ops.h

$(BUILD)/libmlfscope.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/mlfscope: $(BUILD)/obj/src/main.o $(BUILD)/libmlfscope.a
	$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/gen/test_list.h: $(TEST_SRCS) scripts/gen-test-list.sh
	@mkdir -p $(BUILD)/gen
	sh scripts/gen-test-list.sh $@ $(TEST_SRCS)

$(BUILD)/obj/tests/%.o: tests/%.c $(BUILD)/gen/test_list.h | $(GEN_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests -MMD -MP -c $< -o $@

$(BUILD)/tests/run: $(TEST_OBJS) $(BUILD)/libmlfscope.a
	@mkdir -p $(dir $@)
	$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS_ALL)

# Benchmark programs (tests/bench/bench_*.c), run by scripts/bench-*.sh.
$(BUILD)/bench_%: tests/bench/bench_%.c $(BUILD)/libmlfscope.a
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libmlfscope.a $(LDLIBS_ALL)

# The tests run the binary they were built with (MLFSCOPE_BIN). ORT_LIVE=build/ort-live
# (set by `make test` when scripts/ort-live.sh made it) compares with live ONNX Runtime dumps.
ORT_LIVE ?=
run-tests: $(BUILD)/mlfscope $(BUILD)/tests/run
	MLFSCOPE_BIN=$(BUILD)/mlfscope MLFSCOPE_ORT_LIVE=$(ORT_LIVE) $(BUILD)/tests/run $(T)

# Rewrites the goldens (TUI screens so far); review them with `git diff tests/golden`.
golden: $(BUILD)/mlfscope $(BUILD)/tests/run
	TUI_GOLDEN_UPDATE=1 MLFSCOPE_BIN=$(BUILD)/mlfscope $(BUILD)/tests/run tui

# scripts/ort-live.sh dumps live ONNX Runtime results when onnxruntime-node is (or can quickly
# be) installed in build/node, and says which reference the tests use (docs/testing.md).
test:
	@$(MAKE) --no-print-directory deps
	@sh scripts/ort-live.sh
	@$(MAKE) --no-print-directory run-tests \
	    ORT_LIVE=$$([ -f build/ort-live/VERSION ] && echo build/ort-live)

# check = the tests, then check-more: the same tests under ASan+UBSan, the layer and symbol
# checks. .ci/run calls `make test` and `make check-more`, so CI runs the plain tests once.
check:
	@$(MAKE) --no-print-directory test
	@$(MAKE) --no-print-directory check-more

check-more:
	@$(MAKE) --no-print-directory SANITIZE=address,undefined run-tests
	sh scripts/check-layers.sh
	sh scripts/check-symbols.sh $(BUILD)/libmlfscope.a

demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory $(BUILD)/mlfscope
	@sh scripts/demo.sh $(BUILD)/mlfscope

FUZZ_BUILD := build/fuzz
fuzz:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang \
	    SANFLAGS="-fsanitize=fuzzer-no-link,address,undefined -g" $(FUZZ_BUILD)/libmlfscope.a
	@for t in $(FUZZ_TARGETS); do \
	    echo "fuzz: building $(FUZZ_BUILD)/fuzz_$$t"; \
	    clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -I. -Isrc -Itests \
	        -I$(FUZZ_BUILD)/gen $(PC_CFLAGS) -DFUZZ_FN=fuzz_$$t -o $(FUZZ_BUILD)/fuzz_$$t \
	        tests/fuzz/libfuzzer_main.c tests/fuzz/fuzz_$$t.c $(FUZZ_BUILD)/libmlfscope.a \
	        $(LDLIBS_ALL) || exit 1; \
	done
	@echo "fuzz: built $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_TARGETS))"
	@echo "fuzz: run one target on a copy of its corpus (libFuzzer adds every new input to the"
	@echo "fuzz: folder it is given, so never point it at tests/fuzz/corpus/ itself), e.g."
	@echo "fuzz:   cp -r tests/fuzz/corpus/onnx /tmp/corpus-onnx"
	@echo "fuzz:   $(FUZZ_BUILD)/fuzz_onnx -max_total_time=150 -rss_limit_mb=2048 /tmp/corpus-onnx"
	@echo "fuzz: a crash-*, leak-* or timeout-* file is written to the current folder; replay it"
	@echo "fuzz: with $(FUZZ_BUILD)/fuzz_onnx FILE, fix it, then copy it into tests/fuzz/corpus/onnx/"

bench:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory OPT="-O3 -g" $(BUILD)/mlfscope $(BENCH_BINS)
	@sh scripts/bench.sh $(BUILD)/mlfscope

clean:
	rm -rf build

-include $(shell find build/obj build/san/obj -name '*.d' 2>/dev/null)

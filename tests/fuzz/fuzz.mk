# Fuzzing the trace reader and every command that reads a trace, with
# libFuzzer (tests/fuzz/fuzz_trace.c).  Included by the top-level Makefile,
# or used on its own next to it:  make -f Makefile -f tests/fuzz/fuzz.mk fuzz-short
#
#   make fuzz-build     $(BUILD)/fuzz/fuzz_trace, with ASan and UBSan
#   make fuzz-regress   every file of the seed corpus and of tests/fuzz/crashes, once
#   make fuzz-short     a minute of fuzzing (FUZZ_SHORT_SECONDS)
#   make fuzz           a long run (FUZZ_SECONDS, default 1800; FUZZ_JOBS processes, default 1)
#
# The committed corpus is only read: what the fuzzer finds goes to
# $(BUILD)/fuzz/corpus, crashes to $(BUILD)/fuzz/artifacts/.  libFuzzer needs
# clang, whatever CC is.

# Keep the including Makefile's default goal.
FUZZ_SAVED_GOAL := $(.DEFAULT_GOAL)

BUILD ?= build
LIBDIR ?= /usr/local/lib/exectrace
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 1800
FUZZ_SHORT_SECONDS ?= 60
FUZZ_JOBS ?= 1
# Per input: a hang is a bug (the analyzer must finish on any file).
FUZZ_OPTIONS ?= -timeout=10 -rss_limit_mb=2048 -max_len=69632
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_BIN := $(FUZZ_DIR)/fuzz_trace
FUZZ_CORPUS := tests/fuzz/corpus
FUZZ_CRASHES := tests/fuzz/crashes
FUZZ_DICT := tests/fuzz/trace.dict

# The analyzer without its main(), the code it shares with the shim, and the
# harness, compiled together; et_trace_open is wrapped so that the commands
# read the fuzzer's buffer.
FUZZ_LIB_C := $(filter-out analyzer/main.c,$(ANALYZER_C)) $(TRACER_C) $(COMMON_C)
ifeq ($(strip $(FUZZ_LIB_C)),)
FUZZ_LIB_C := $(filter-out analyzer/main.c,$(wildcard analyzer/*.c)) $(wildcard tracer/*.c) shim/writer.c shim/procstat.c
endif
# The timeline page's built-in style and script (.incbin of files relative to
# the top of the tree).
FUZZ_SRC := tests/fuzz/fuzz_trace.c $(FUZZ_LIB_C) analyzer/timeline_assets.S
FUZZ_CFLAGS := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer -Wall -Wextra -Wno-missing-field-initializers \
               -Iinclude -Ishim -Ianalyzer -Itracer -DEXECTRACE_LIBDIR='"$(LIBDIR)"'
FUZZ_LDFLAGS := -Wl,--wrap=et_trace_open -ldw -lelf

fuzz-build: $(FUZZ_BIN)

$(FUZZ_BIN): $(FUZZ_SRC) shim/*.h analyzer/*.h tracer/*.h include/exectrace/*.h tests/fuzz/fuzz.mk \
             analyzer/timeline_page.css analyzer/timeline_page.js
	@mkdir -p $(@D)
	@printf '  %-6s %s\n' FUZZCC $@
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(FUZZ_SRC) $(FUZZ_LDFLAGS)

# Each file once; any crash, leak, hang or failed check fails the target.
# The files are named, not their directories, so nothing is written there.
fuzz-regress: $(FUZZ_BIN)
	$(Q)$(FUZZ_BIN) $(FUZZ_OPTIONS) -dict=$(FUZZ_DICT) $(wildcard $(FUZZ_CORPUS)/* $(FUZZ_CRASHES)/*) \
	    >$(FUZZ_DIR)/regress.log 2>&1 || { tail -n 60 $(FUZZ_DIR)/regress.log; echo "fuzz-regress: failed, see $(FUZZ_DIR)/regress.log"; exit 1; }
	@echo "fuzz-regress: $(words $(wildcard $(FUZZ_CORPUS)/* $(FUZZ_CRASHES)/*)) files, no failure"

# New inputs go to the first directory given, the scratch corpus; the
# committed corpus after it is read only.
fuzz-short: $(FUZZ_BIN)
	@mkdir -p $(FUZZ_DIR)/corpus-short $(FUZZ_DIR)/artifacts
	$(Q)$(FUZZ_BIN) $(FUZZ_OPTIONS) -dict=$(FUZZ_DICT) -max_total_time=$(FUZZ_SHORT_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_DIR)/artifacts/ $(FUZZ_DIR)/corpus-short $(FUZZ_CORPUS) >$(FUZZ_DIR)/short.log 2>&1 \
	    || { tail -n 60 $(FUZZ_DIR)/short.log; echo "fuzz-short: failed, see $(FUZZ_DIR)/short.log"; exit 1; }
	@echo "fuzz-short: $$(grep -m1 -o 'stat::number_of_executed_units: [0-9]*' $(FUZZ_DIR)/short.log | grep -o '[0-9]*$$') inputs in $(FUZZ_SHORT_SECONDS) s, no failure"

# Fork mode: FUZZ_JOBS fuzzing processes at a time, restarted after a crash
# so that one bug does not end the run; every reproducer found is kept, and
# the target fails if there is any.
fuzz: $(FUZZ_BIN)
	@mkdir -p $(FUZZ_DIR)/corpus $(FUZZ_DIR)/artifacts
	@touch $(FUZZ_DIR)/.fuzz-start
	$(FUZZ_BIN) $(FUZZ_OPTIONS) -dict=$(FUZZ_DICT) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -fork=$(FUZZ_JOBS) -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
	    -artifact_prefix=$(FUZZ_DIR)/artifacts/ $(FUZZ_DIR)/corpus $(FUZZ_CORPUS)
	@found=$$(find $(FUZZ_DIR)/artifacts -type f -newer $(FUZZ_DIR)/.fuzz-start | wc -l); \
	if [ "$$found" -ne 0 ]; then echo "fuzz: $$found new reproducer(s) in $(FUZZ_DIR)/artifacts"; exit 1; fi

.PHONY: fuzz-build fuzz-regress fuzz-short fuzz

.DEFAULT_GOAL := $(FUZZ_SAVED_GOAL)

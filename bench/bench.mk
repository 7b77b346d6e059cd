# `make bench`: the benchmark suite (bench/run.py), which writes
# bench/RESULTS.md.  Not part of `make check`: it measures, it does not test.
# `make bench-quick` runs it on small workloads, to check the suite itself.

BENCH_PROGS := $(patsubst bench/progs/%.c,$(BUILD)/bench/%,$(wildcard bench/progs/*.c))
BENCH_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror

$(BUILD)/bench/%: bench/progs/%.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) -o $@ $<

# The synthetic trace generator writes through the shim's own writer.
$(BUILD)/bench/gen_trace: bench/gen_trace.c shim/writer.c shim/*.h include/exectrace/*.h
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) -Wno-missing-field-initializers -Iinclude -Ishim -o $@ bench/gen_trace.c shim/writer.c

# The cost of one record, taken apart, through the same writer.
$(BUILD)/bench/record_cost: bench/record_cost.c shim/writer.c shim/unwind.c shim/*.h include/exectrace/*.h
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) -Wno-missing-field-initializers -Iinclude -Ishim -o $@ bench/record_cost.c shim/writer.c \
	    shim/unwind.c

# The run summary's cost, through the analyzer's reader.
$(BUILD)/bench/summary_cost: bench/summary_cost.c analyzer/reader.c analyzer/procmap.c analyzer/*.h include/exectrace/*.h
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) -Iinclude -Ianalyzer -o $@ bench/summary_cost.c analyzer/reader.c analyzer/procmap.c

# The shim built to time the steps of each new image's start
# (bench/image_steps.c); never installed.
STEPS_OBJ := $(SHIM_OBJ:$(BUILD)/%=$(BUILD)/bench/steps/%) $(BUILD)/bench/steps/bench/image_steps.o
$(BUILD)/bench/steps/%.o: %.c shim/*.h include/exectrace/*.h
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SHIM_CFLAGS) -Ishim -DET_BENCH_IMAGE_STEPS $(CFLAGS) -c $< -o $@
$(BUILD)/bench/steps/%.o: %.S
	$(call say,AS,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SHIM_CFLAGS) $(CFLAGS) -c $< -o $@
$(BUILD)/bench/libexectrace-steps.so: $(STEPS_OBJ) shim/exports.map
	$(call say,LD,$@)
	$(Q)$(CC) -shared $(CFLAGS) -Wl,--version-script=shim/exports.map -Wl,-z,defs -Wl,-z,now -o $@ $(STEPS_OBJ) -ldl

$(BUILD)/bench/libempty_preload.so: bench/empty_preload.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_CFLAGS) -shared -fPIC -o $@ $<

# The Go workload, when Go is installed (./make.sh installs golang-go).
ifneq ($(shell command -v $(GO) 2>/dev/null),)
BENCH_GO := $(BUILD)/bench/go_spawn
$(BUILD)/bench/go_spawn: bench/progs/go_spawn.go
	$(call say,GO,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(GO_ENV) $(GO) build -o $@ $<
endif

bench-build: all $(BENCH_PROGS) $(BENCH_GO) $(BUILD)/bench/gen_trace $(BUILD)/bench/record_cost $(BUILD)/bench/summary_cost \
             $(BUILD)/bench/libempty_preload.so \
             $(BUILD)/bench/libexectrace-steps.so

bench: bench-build
	python3 bench/run.py --build $(BUILD)

bench-quick: bench-build
	python3 bench/run.py --build $(BUILD) --quick --rounds 2 --out $(BUILD)/bench/RESULTS-quick.md

.PHONY: bench bench-build bench-quick

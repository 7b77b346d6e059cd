# The teaching examples: every examples/<kind>/<name>.c becomes
# $(BUILD)/examples/<kind>/<name>.  Included by the top-level Makefile;
# `make examples` builds them, and `make tests` (hence `make check`) needs
# them for tests/integration/test_examples.c.
#
# Plain C built the way a learner would build it: no sanitizers (the
# programs run under the shim), no project headers.  The untraced example
# is linked -static on purpose (a static program does not load the shim);
# its twin, like every other example, is linked dynamically.

# Keep the including Makefile's default goal (`all`) whatever the order of
# the includes.
EXAMPLES_SAVED_GOAL := $(.DEFAULT_GOAL)

EXAMPLE_SRC := $(sort $(wildcard examples/*/*.c))
EXAMPLE_BIN := $(EXAMPLE_SRC:examples/%.c=$(BUILD)/examples/%)
EXAMPLE_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror
EXAMPLE_LIBS := -lpthread
EXAMPLE_STATIC := $(BUILD)/examples/untraced/untraced $(BUILD)/examples/blocked-on-held-pipe/static_parent

$(BUILD)/examples/%: examples/%.c
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(EXAMPLE_CFLAGS) $(if $(filter $@,$(EXAMPLE_STATIC)),-static) -o $@ $< $(EXAMPLE_LIBS)

examples: $(EXAMPLE_BIN)

# Each C example's timeline, to look at beside its README section:
# $(BUILD)/examples/<kind>/<name>.html.  The hang examples run with
# --hang-after 1 --kill-after-report, as the README runs them.
HANG_KINDS := pipe-deadlock blocked-on-held-pipe self-held-pipe stuck-wait
EXAMPLE_MAIN_BIN := $(filter-out %_fixed,$(EXAMPLE_BIN))
example-timelines: all $(EXAMPLE_MAIN_BIN)
	$(Q)for bin in $(EXAMPLE_MAIN_BIN); do \
	    kind=$$(basename $$(dirname $$bin)); \
	    case " $(HANG_KINDS) " in *" $$kind "*) hang="--hang-after 1 --kill-after-report";; *) hang=;; esac; \
	    $(CMD) run -q -o $$bin.trace $$hang -- $$bin >/dev/null 2>&1; \
	    $(CMD) timeline -o $$bin.html $$bin.trace 2>/dev/null && echo "  $$bin.html"; \
	done

.PHONY: example-timelines

# Every C example again, linked -static and -static-pie: programs that never
# load the shim, which the ptrace recorder must see as the shim sees the
# dynamic builds (tests/integration/test_examples.c).
EXAMPLE_STATIC_BIN := $(EXAMPLE_SRC:examples/%.c=$(BUILD)/examples-static/%) \
                      $(EXAMPLE_SRC:examples/%.c=$(BUILD)/examples-static-pie/%)

$(BUILD)/examples-static/%: examples/%.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(EXAMPLE_CFLAGS) -static -o $@ $< $(EXAMPLE_LIBS)

$(BUILD)/examples-static-pie/%: examples/%.c
	$(call say,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(EXAMPLE_CFLAGS) -static-pie -fPIE -o $@ $< $(EXAMPLE_LIBS)

tests: $(EXAMPLE_STATIC_BIN)

# The Go examples, each examples/<kind>/<name>.go a program of its own,
# built when a Go toolchain is installed (./make.sh installs Debian's
# golang-go).  GOPATH mode: they use the standard library only, and nothing
# is looked up on a network.
GO ?= go
ifneq ($(shell command -v $(GO) 2>/dev/null),)
EXAMPLE_GO_SRC := $(sort $(wildcard examples/*/*.go))
EXAMPLE_GO_BIN := $(EXAMPLE_GO_SRC:examples/%.go=$(BUILD)/examples/%)
GO_ENV := GOCACHE=$(abspath $(BUILD))/go-cache GOPATH=$(abspath $(BUILD))/go-path GO111MODULE=off GOFLAGS= CGO_ENABLED=0

$(BUILD)/examples/%: examples/%.go
	$(call say,GO,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(GO_ENV) $(GO) build -o $@ $<

examples: $(EXAMPLE_GO_BIN)
tests: $(EXAMPLE_GO_BIN)

# One Go example again built with cgo, linked by gcc: a dynamic program that
# loads the shim, whose own system calls only the recorder sees.
EXAMPLE_GO_CGO_BIN := $(BUILD)/examples-cgo/held-pipe/go_command_context

$(BUILD)/examples-cgo/%: examples/%.go
	$(call say,GO,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(GO_ENV) CGO_ENABLED=1 $(GO) build -ldflags=-linkmode=external -o $@ $<

tests: $(EXAMPLE_GO_CGO_BIN)
endif

# The Go examples again, built by Go 1.23 when Debian's golang-1.23-go (from
# bookworm-backports, ./make.sh installs it) is there: that Go starts,
# waits for and kills its children through pidfds.
GO123 ?= /usr/lib/go-1.23/bin/go
ifneq ($(wildcard $(GO123)),)
EXAMPLE_GO123_BIN := $(sort $(wildcard examples/*/*.go))
EXAMPLE_GO123_BIN := $(EXAMPLE_GO123_BIN:examples/%.go=$(BUILD)/examples-go1.23/%)
GO123_ENV := GOCACHE=$(abspath $(BUILD))/go1.23-cache GOPATH=$(abspath $(BUILD))/go-path GO111MODULE=off GOFLAGS= \
             CGO_ENABLED=0 GOTOOLCHAIN=local

$(BUILD)/examples-go1.23/%: examples/%.go
	$(call say,GO1.23,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(GO123_ENV) $(GO123) build -o $@ $<

examples: $(EXAMPLE_GO123_BIN)
tests: $(EXAMPLE_GO123_BIN)
endif

# The integration test runs every example and its twin.
tests: $(EXAMPLE_BIN)

.PHONY: examples

.DEFAULT_GOAL := $(EXAMPLES_SAVED_GOAL)

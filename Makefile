# exectrace: `make` builds build/libexectrace.so and build/exectrace,
# `make check` runs every test, `make install` honours PREFIX and DESTDIR.

CC ?= cc
CFLAGS ?= -O2 -g
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib/exectrace
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR ?=

# The one place the version is written (see CHANGELOG.md).
VERSION := $(shell sed -n 's/^\#define EXECTRACE_VERSION "\(.*\)"/\1/p' include/exectrace/version.h)

BUILD ?= build

# `make V=1` shows the commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wwrite-strings -Wstrict-prototypes \
            -Wmissing-prototypes -Wvla-larger-than=65536 -Wno-missing-field-initializers
BASE_CFLAGS := -std=gnu11 $(WARNINGS) -Iinclude

# SANITIZE=1 builds the analyzer and the tests with ASan and UBSan.  The shim
# is never built with them: it runs inside programs that were not.
ifeq ($(SANITIZE),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

SHIM_C := shim/real.c shim/writer.c shim/procstat.c shim/image_kind.c shim/record.c shim/seize_request.c shim/life.c shim/pipe_table.c shim/fork.c \
          shim/exec.c shim/spawn.c shim/signal.c shim/wait.c shim/fd.c shim/pipe_io.c shim/group.c shim/stack.c \
          shim/unwind.c
SHIM_S := shim/vfork_x86_64.S
SHIM_OBJ := $(SHIM_C:%.c=$(BUILD)/%.o) $(SHIM_S:%.S=$(BUILD)/%.o)
SHIM_CFLAGS := $(BASE_CFLAGS) -fPIC -fvisibility=hidden -fno-strict-aliasing

# Code shared by the shim and the command (the launcher writes records too).
COMMON_C := shim/writer.c shim/procstat.c shim/image_kind.c
ANALYZER_C := analyzer/main.c analyzer/commands.c analyzer/run.c analyzer/reader.c analyzer/decode.c analyzer/emit.c analyzer/events.c analyzer/names.c \
              analyzer/procmap.c analyzer/output.c analyzer/cli.c analyzer/stream.c \
              analyzer/model.c analyzer/findings.c analyzer/rules.c analyzer/rules_calls.c analyzer/rules_ending.c \
              analyzer/rules_hang.c analyzer/report.c analyzer/tree.c analyzer/timeline.c analyzer/timeline_html.c analyzer/export.c \
              analyzer/snapshot.c analyzer/snapshot_cmd.c analyzer/symbols.c analyzer/sarif.c \
              analyzer/findings_cmd.c
# The ptrace + seccomp recorder, run by the launcher (tracer/tracer.h).
TRACER_C := tracer/filter.c tracer/tracer.c tracer/fds.c tracer/image.c tracer/calls.c tracer/stack.c
ANALYZER_OBJ := $(ANALYZER_C:%.c=$(BUILD)/cmd/%.o) $(TRACER_C:%.c=$(BUILD)/cmd/%.o) $(COMMON_C:%.c=$(BUILD)/cmd/%.o) \
                $(BUILD)/cmd/analyzer/timeline_assets.o
ANALYZER_CFLAGS := $(BASE_CFLAGS) -Ishim -Itracer -Ianalyzer -DEXECTRACE_LIBDIR='"$(LIBDIR)"' $(SAN_FLAGS)
# Symbols and lines for call sites: elfutils.
ANALYZER_LIBS := -ldw -lelf
# Everything but main(), for the tests.
ANALYZER_LIB_OBJ := $(filter-out $(BUILD)/cmd/analyzer/main.o,$(ANALYZER_OBJ))

SHIM := $(BUILD)/libexectrace.so
CMD := $(BUILD)/exectrace

all: $(SHIM) $(CMD)

$(BUILD)/shim/%.o: shim/%.c shim/*.h include/exectrace/*.h | $(BUILD)/shim
	$(call say,CC,$<)
	$(Q)$(CC) $(SHIM_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/shim/%.o: shim/%.S | $(BUILD)/shim
	$(call say,AS,$<)
	$(Q)$(CC) $(SHIM_CFLAGS) $(CFLAGS) -c $< -o $@

$(SHIM): $(SHIM_OBJ) shim/exports.map
	$(call say,LD,$@)
	$(Q)$(CC) -shared $(CFLAGS) -Wl,--version-script=shim/exports.map -Wl,-z,defs -Wl,-z,now -o $@ $(SHIM_OBJ) -ldl

$(BUILD)/cmd/%.o: %.c shim/*.h analyzer/*.h tracer/*.h include/exectrace/*.h | $(BUILD)/cmd/shim $(BUILD)/cmd/analyzer $(BUILD)/cmd/tracer
	$(call say,CC,$<)
	$(Q)$(CC) $(ANALYZER_CFLAGS) $(CFLAGS) -c $< -o $@

# The timeline page's style and script, built in as strings.
$(BUILD)/cmd/analyzer/timeline_assets.o: analyzer/timeline_assets.S analyzer/timeline_page.css analyzer/timeline_page.js | $(BUILD)/cmd/analyzer
	$(call say,AS,$<)
	$(Q)$(CC) -c $< -o $@

$(CMD): $(ANALYZER_OBJ)
	$(call say,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -Wl,-z,relro,-z,now -o $@ $(ANALYZER_OBJ) $(ANALYZER_LIBS)

$(BUILD)/shim $(BUILD)/cmd/shim $(BUILD)/cmd/analyzer $(BUILD)/cmd/tracer $(BUILD)/tests $(BUILD)/tests/progs:
	$(Q)mkdir -p $@

include tests/tests.mk
include examples/examples.mk
include tests/fuzz/fuzz.mk
include bench/bench.mk

# The main job on a bundled example: trace a program that hangs on a pipe its
# grandchild holds, and show what went wrong and how to fix it.
DEMO := examples/held-pipe/python_timeout_holds_pipe.py
demo: all
	@echo "== exectrace run -o $(BUILD)/demo.trace -- python3 $(DEMO)"
	@$(CMD) run -o $(BUILD)/demo.trace -- python3 $(DEMO)
	@echo
	@echo "== exectrace tree $(BUILD)/demo.trace"
	@$(CMD) tree $(BUILD)/demo.trace
	@echo
	@echo "== exectrace report $(BUILD)/demo.trace"
	@$(CMD) report --fail-on never $(BUILD)/demo.trace
	@echo
	@echo "== exectrace timeline -o $(BUILD)/demo.html $(BUILD)/demo.trace"
	@$(CMD) timeline -o $(BUILD)/demo.html $(BUILD)/demo.trace 2>/dev/null
	@echo "The picture of it: open file://$(abspath $(BUILD))/demo.html in a browser (no network needed)."

# The manual pages: exectrace(1) written by hand, with the version and the
# shim's directory filled in (again by `install`, for its PREFIX);
# exectrace-findings(7) made from the analyzer's own catalogue, so that the
# two cannot disagree.
MAN_PAGES := $(BUILD)/man/exectrace.1 $(BUILD)/man/exectrace-findings.7

$(BUILD)/man/exectrace.1: docs/man/exectrace.1 include/exectrace/version.h
	$(call say,MAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)sed -e 's/@VERSION@/$(VERSION)/' -e 's|@LIBDIR@|$(LIBDIR)|' $< >$@

$(BUILD)/man/exectrace-findings.7: $(CMD)
	$(call say,MAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CMD) findings --man >$@

all: $(MAN_PAGES)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7 \
	    $(DESTDIR)$(BASHCOMPDIR)
	install -m 755 $(CMD) $(DESTDIR)$(BINDIR)/exectrace
	install -m 644 $(SHIM) $(DESTDIR)$(LIBDIR)/libexectrace.so
	sed -e 's/@VERSION@/$(VERSION)/' -e 's|@LIBDIR@|$(LIBDIR)|' docs/man/exectrace.1 >$(DESTDIR)$(MANDIR)/man1/exectrace.1
	chmod 644 $(DESTDIR)$(MANDIR)/man1/exectrace.1
	install -m 644 $(BUILD)/man/exectrace-findings.7 $(DESTDIR)$(MANDIR)/man7/exectrace-findings.7
	install -m 644 dist/exectrace.bash-completion $(DESTDIR)$(BASHCOMPDIR)/exectrace

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/exectrace $(DESTDIR)$(LIBDIR)/libexectrace.so \
	    $(DESTDIR)$(MANDIR)/man1/exectrace.1 $(DESTDIR)$(MANDIR)/man7/exectrace-findings.7 \
	    $(DESTDIR)$(BASHCOMPDIR)/exectrace
	-rmdir $(DESTDIR)$(LIBDIR) 2>/dev/null

# The Debian package, $(BUILD)/exectrace_$(VERSION)_ARCH.deb (dist/deb.sh).
# DEB_MAINTAINER="Name <address>" names who distributes it.
deb: all
	$(Q)MAKE="$(MAKE)" DEB_MAINTAINER="$(DEB_MAINTAINER)" sh dist/deb.sh $(BUILD) $(VERSION)

clean:
	rm -rf $(BUILD)

.PHONY: all demo install uninstall clean deb
.DELETE_ON_ERROR:

# Tests.  Every tests/unit/test_*.c and tests/integration/test_*.c is a cmocka
# program, found by name; tests/progs/*.c are the programs the integration
# tests run under the shim.  `make check` builds and runs them all.

CMOCKA_LIBS := -lcmocka -lpthread
TEST_CFLAGS := $(ANALYZER_CFLAGS) -Itests -Ianalyzer -DEXECTRACE_BUILD_DIR='"$(abspath $(BUILD))"' \
               -DEXECTRACE_SOURCE_DIR='"$(abspath .)"' \
               -Wno-missing-prototypes -Wno-format-truncation

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
INTEGRATION_SRC := $(wildcard tests/integration/test_*.c)
INTEGRATION_BIN := $(INTEGRATION_SRC:tests/integration/%.c=$(BUILD)/tests/integration/%)
PROG_SRC := $(wildcard tests/progs/*.c)
PROG_BIN := $(PROG_SRC:tests/progs/%.c=$(BUILD)/tests/progs/%)
HARNESS_OBJ := $(BUILD)/tests/integration/harness.o $(BUILD)/tests/integration/synth.o $(BUILD)/tests/integration/scenarios.o
TEST_FILES_OBJ := $(BUILD)/tests/files.o

$(BUILD)/tests/unit $(BUILD)/tests/integration:
	$(Q)mkdir -p $@

$(TEST_FILES_OBJ): tests/files.c tests/files.h | $(BUILD)/tests/unit
	$(call say,CC,$<)
	$(Q)$(CC) $(TEST_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/unit/%: tests/unit/%.c $(ANALYZER_LIB_OBJ) $(TEST_FILES_OBJ) | $(BUILD)/tests/unit
	$(call say,CC,$<)
	$(Q)$(CC) $(TEST_CFLAGS) $(CFLAGS) -o $@ $< $(TEST_FILES_OBJ) $(ANALYZER_LIB_OBJ) $(ANALYZER_LIBS) $(SAN_FLAGS) $(CMOCKA_LIBS)

$(HARNESS_OBJ): $(BUILD)/tests/integration/%.o: tests/integration/%.c tests/integration/%.h analyzer/*.h shim/*.h include/exectrace/*.h | $(BUILD)/tests/integration
	$(call say,CC,$<)
	$(Q)$(CC) $(TEST_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/integration/%: tests/integration/%.c $(HARNESS_OBJ) $(TEST_FILES_OBJ) $(ANALYZER_LIB_OBJ) | $(BUILD)/tests/integration
	$(call say,CC,$<)
	$(Q)$(CC) $(TEST_CFLAGS) $(CFLAGS) -o $@ $< $(HARNESS_OBJ) $(TEST_FILES_OBJ) $(ANALYZER_LIB_OBJ) $(ANALYZER_LIBS) $(SAN_FLAGS) $(CMOCKA_LIBS)

# The programs run under the shim: plain C, no sanitizers (they would
# interpose on the same functions as the shim).
$(BUILD)/tests/progs/%: tests/progs/%.c | $(BUILD)/tests/progs
	$(call say,CC,$<)
	$(Q)$(CC) -std=gnu11 -Wall -Wextra -Werror -O1 -g -o $@ $< -lpthread

# A static build, which does not load the shim.
$(BUILD)/tests/progs/hang_zombie_static: tests/progs/hang_zombie.c | $(BUILD)/tests/progs
	$(call say,CC,$@)
	$(Q)$(CC) -std=gnu11 -Wall -Wextra -Werror -O1 -g -static -o $@ $<

# Programs whose own calls stop in the ptrace recorder: linked -static, and
# -static-pie (loaded where libraries are, outside the filter's windows).
RECORDER_PROGS := recorder_cases go_patterns
RECORDER_BIN := $(RECORDER_PROGS:%=$(BUILD)/tests/progs/%_static) $(RECORDER_PROGS:%=$(BUILD)/tests/progs/%_static_pie)

$(BUILD)/tests/progs/%_static: tests/progs/%.c | $(BUILD)/tests/progs
	$(call say,CC,$@)
	$(Q)$(CC) -std=gnu11 -Wall -Wextra -Werror -O1 -g -static -pthread -o $@ $<

$(BUILD)/tests/progs/%_static_pie: tests/progs/%.c | $(BUILD)/tests/progs
	$(call say,CC,$@)
	$(Q)$(CC) -std=gnu11 -Wall -Wextra -Werror -O1 -g -static-pie -fPIE -pthread -o $@ $<

# A library whose constructor makes hooked calls before the shim's has run.
$(BUILD)/tests/progs/libearly.so: tests/progs/lib/libearly.c | $(BUILD)/tests/progs
	$(call say,CC,$<)
	$(Q)$(CC) -std=gnu11 -Wall -Wextra -Werror -O1 -g -shared -fPIC -o $@ $<

# Call sites across a library boundary (test_stacks.c): stack_sites links
# libsites.so, and loads the same code again with dlopen as libsites_dl.so.
$(BUILD)/tests/progs/libsites.so $(BUILD)/tests/progs/libsites_dl.so: tests/progs/lib/libsites.c | $(BUILD)/tests/progs
	$(call say,CC,$@)
	$(Q)$(CC) -std=gnu11 -Wall -Wextra -Werror -O1 -g -shared -fPIC -o $@ $<

$(BUILD)/tests/progs/stack_sites: tests/progs/stack_sites.c $(BUILD)/tests/progs/libsites.so | $(BUILD)/tests/progs
	$(call say,CC,$<)
	$(Q)$(CC) -std=gnu11 -Wall -Wextra -Werror -O1 -g -o $@ $< -L$(BUILD)/tests/progs -lsites '-Wl,-rpath,$$ORIGIN' -ldl

tests: all $(UNIT_BIN) $(INTEGRATION_BIN) $(PROG_BIN) $(RECORDER_BIN) $(BUILD)/tests/progs/libearly.so \
       $(BUILD)/tests/progs/hang_zombie_static \
       $(BUILD)/tests/progs/libsites_dl.so

# Each test program runs on its own; a failure does not hide the others.
check-run: tests
	@failed=0; \
	for t in $(UNIT_BIN) $(INTEGRATION_BIN); do \
	    echo "== $$t"; \
	    $$t || failed=$$((failed + 1)); \
	done; \
	if [ $$failed -ne 0 ]; then echo "check: $$failed test program(s) failed in $(BUILD)"; exit 1; fi

# Everything, then everything again with the analyzer and the tests built
# with AddressSanitizer and UndefinedBehaviorSanitizer (the shim is never
# built with them: it runs inside programs that were not).
check: check-run
	@echo "== the library's exported symbols against shim/exports.map"
	@sh tests/check-exports.sh $(SHIM)
	@echo "== the manual pages"
	@sh tests/check-man.sh $(CMD) $(BUILD)/man
	@echo "== make install"
	@$(MAKE) --no-print-directory install-check
	@echo "== the same tests, built with ASan and UBSan, in $(BUILD)/sanitize"
	@$(MAKE) --no-print-directory SANITIZE=1 BUILD=$(BUILD)/sanitize check-run
	@echo "== the fuzz corpus and every past crash, then $(FUZZ_SHORT_SECONDS) s of fuzzing"
	@$(MAKE) --no-print-directory fuzz-regress
	@$(MAKE) --no-print-directory fuzz-short
	@echo "== transparency: other people's tests with and without the shim (the fast part)"
	@$(MAKE) --no-print-directory transparency-fast
	@echo "== real suites: every error and warning as docs/real-suites.md triages it"
	@$(MAKE) --no-print-directory real-suites
	@echo "== the Debian package"
	@$(MAKE) --no-print-directory deb-check
	@echo "check: all test programs passed"

# Other people's test suites (CPython's, a bash workload) run plainly and
# under exectrace: the same tests must pass (tests/transparency/README.md).
transparency: all
	python3 tests/transparency/compare.py --exectrace $(CMD)

transparency-fast: all
	python3 tests/transparency/compare.py --fast --exectrace $(CMD)

# CPython's test_subprocess and test_signal, and Go's os/exec tests, under
# exectrace: their findings judged against docs/real-suites.md.
real-suites: all
	python3 tests/real-suites/check.py --exectrace $(CMD) --build $(BUILD)

# The Debian package, installed with apt-get, used and removed (as root).
deb-check: deb
	@sh tests/check-deb.sh $(BUILD)/exectrace_$(VERSION)_$(shell dpkg --print-architecture).deb

# An installed tree, moved under DESTDIR, finds its shim and traces.
INSTALL_TEST := $(abspath $(BUILD))/install-test
install-check: all
	$(Q)rm -rf $(INSTALL_TEST)
	$(Q)$(MAKE) --no-print-directory install DESTDIR=$(INSTALL_TEST) PREFIX=/opt/exectrace >/dev/null
	$(Q)test -x $(INSTALL_TEST)/opt/exectrace/bin/exectrace
	$(Q)test -f $(INSTALL_TEST)/opt/exectrace/lib/exectrace/libexectrace.so
	$(Q)status=0; $(INSTALL_TEST)/opt/exectrace/bin/exectrace run -q -o $(INSTALL_TEST)/t.trace -- sh -c 'exit 7' \
	    || status=$$?; test $$status -eq 7
	$(Q)$(INSTALL_TEST)/opt/exectrace/bin/exectrace events $(INSTALL_TEST)/t.trace | grep -q 'start exec ".*" \["sh", "-c", "exit 7"\]'
	$(Q)rm $(INSTALL_TEST)/t.trace
	$(Q)MANPATH=$(INSTALL_TEST)/opt/exectrace/share/man man -P cat exectrace 2>/dev/null | grep -q -- '--fail-on'
	$(Q)MANPATH=$(INSTALL_TEST)/opt/exectrace/share/man man -P cat 7 exectrace-findings 2>/dev/null | grep -q 'held-pipe'
	$(Q)grep -q '/opt/exectrace/lib/exectrace/libexectrace.so' $(INSTALL_TEST)/opt/exectrace/share/man/man1/exectrace.1
	$(Q)bash -n $(INSTALL_TEST)/opt/exectrace/share/bash-completion/completions/exectrace
	$(Q)$(MAKE) --no-print-directory uninstall DESTDIR=$(INSTALL_TEST) PREFIX=/opt/exectrace >/dev/null
	$(Q)left=$$(find $(INSTALL_TEST) -type f); if [ -n "$$left" ]; then echo "uninstall left: $$left"; exit 1; fi
	$(Q)rm -rf $(INSTALL_TEST)
	@echo "install: the installed exectrace found its shim and traced; its man pages and completion are there;"
	@echo "install: uninstall took every file away"

.PHONY: tests check check-run install-check transparency transparency-fast real-suites deb-check

# The shim's stack walker, tested apart: built from its source, without the
# sanitizers (the shim never runs with them, and the walk reads other frames).
$(BUILD)/tests/unit/test_unwind: tests/unit/test_unwind.c shim/unwind.c shim/unwind.h | $(BUILD)/tests/unit
	$(call say,CC,$<)
	$(Q)$(CC) $(filter-out $(SAN_FLAGS),$(TEST_CFLAGS)) $(CFLAGS) -Ishim -o $@ tests/unit/test_unwind.c shim/unwind.c \
	    $(CMOCKA_LIBS)

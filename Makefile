# v6kit - plain GNU make.  `make`, `make check`, `make sanitize`, `make demo`,
# `make install PREFIX=/usr/local DESTDIR=`, `make bench`, `make deb`,
# `make dist`, `make clean`.  `make V=1` shows every command in full.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
UNITDIR     ?= $(PREFIX)/lib/systemd/system
DOCDIR      ?= $(PREFIX)/share/doc/v6kit
SYSCONFDIR  ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)

# The one version: the top entry of debian/changelog (`dch -v X.Y.Z`) gives
# `v6kit --version`, the package version, the man pages' .TH date and version,
# and the `make dist` tarball's name.
VERSION      := $(shell head -n1 debian/changelog | cut -d' ' -f2 | tr -d '()')
RELEASE_DATE := $(shell date -u -d "$$(sed -n '/^ -- /{s/^ -- .*>  //p;q}' debian/changelog)" +%Y-%m-%d)
ifeq ($(VERSION),)
$(error cannot read the version from debian/changelog)
endif

# Quiet build as in Linux and iproute2: one short line per step; V=1 prints
# the commands.  Compiler warnings and errors show in full either way.
V ?= 0
ifeq ($(V),1)
Q :=
say = @:
else
Q := @
say = @printf '  %-7s %s\n'
endif

CC      ?= cc
BUILD   ?= build
PKGS    := libpcap jansson readline

OPTFLAGS ?= -O2 -g
SANFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lpcap -ljansson -lreadline)

override CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-missing-field-initializers \
	$(OPTFLAGS) $(EXTRA_CFLAGS) -Icore -Icmd -I$(BUILD) $(PKG_CFLAGS) -MMD -MP
override LDLIBS := $(PKG_LIBS) $(EXTRA_LDLIBS)

CORE_SRC := $(sort $(wildcard core/*.c))
CMD_SRC  := $(sort $(wildcard cmd/*.c))
TEST_SRC := $(sort $(wildcard tests/core/test_*.c))
BENCH_SRC := $(sort $(wildcard tests/bench/*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
TOOLS_SRC := $(sort $(wildcard tests/tools/*.c))

CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ  := $(CMD_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:tests/core/%.c=$(BUILD)/tests/%)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
# Fuzz harnesses built with GCC around tests/fuzz/standalone.c replay the
# corpora and past findings in every test run; `make fuzz` builds them with
# clang's libFuzzer and fuzzes each for FUZZ_SECONDS.
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
TOOLS_BIN := $(TOOLS_SRC:tests/tools/%.c=$(BUILD)/tools/%)
CORE_LIB := $(BUILD)/libv6core.a

APPLETS = $(shell $(BUILD)/v6kit --list 2>/dev/null | cut -f1)
MAN_SRC := $(sort $(wildcard man/*.1))
MAN_OUT := $(MAN_SRC:%=$(BUILD)/%)
UNITS   := $(sort $(wildcard packaging/systemd/*.service))

.PHONY: all deps check test unit tools sanitize soak torture demo install uninstall bench clean fixtures man deb dist version
all: v6kit unit tools man

version:
	@echo $(VERSION)

v6kit: $(BUILD)/v6kit
ifeq ($(BUILD),build)
	@ln -sf $(BUILD)/v6kit v6kit
endif

$(BUILD)/v6kit: $(CMD_OBJ) $(CORE_LIB)
	$(say) LD $(@:$(BUILD)/%=%)
	$(Q)$(CC) $(CFLAGS) -o $@ $(CMD_OBJ) $(CORE_LIB) $(LDFLAGS) $(LDLIBS)

$(CORE_LIB): $(CORE_OBJ)
	$(say) AR $(@:$(BUILD)/%=%)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(say) CC $(@:$(BUILD)/%=%)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# Generated from debian/changelog (see VERSION above).
$(BUILD)/version.h: debian/changelog
	@mkdir -p $(dir $@)
	$(say) GEN $(@:$(BUILD)/%=%)
	$(Q)printf '#define V6KIT_VERSION "%s"\n' '$(VERSION)' > $@
$(BUILD)/cmd/main.o: $(BUILD)/version.h

# Man pages as installed: the .TH line's date and version from debian/changelog.
man: $(MAN_OUT)
$(BUILD)/man/%.1: man/%.1 debian/changelog
	@mkdir -p $(dir $@)
	$(say) GEN $(@:$(BUILD)/%=%)
	$(Q)sed '1,/^\.TH/s/^\(\.TH [^ ]* [^ ]*\) .*/\1 "$(RELEASE_DATE)" "v6kit $(VERSION)" "User Commands"/' $< > $@

$(BUILD)/tests/%: tests/core/%.c tests/core/t.h $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(say) CC $(@:$(BUILD)/%=%)
	$(Q)$(CC) $(CFLAGS) -MF $@.d -Itests/core -o $@ $< $(CORE_LIB) $(LDFLAGS) $(LDLIBS) -lm

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/standalone.c $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(say) CC $(@:$(BUILD)/%=%)
	$(Q)$(CC) $(CFLAGS) -MF $@.d -o $@ $< tests/fuzz/standalone.c $(CORE_LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench/%: tests/bench/%.c $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(say) CC $(@:$(BUILD)/%=%)
	$(Q)$(CC) $(CFLAGS) -O3 -o $@ $< $(CORE_LIB) $(LDFLAGS) $(LDLIBS) -lm

unit: $(TEST_BIN) $(FUZZ_BIN)

# libFuzzer: core instrumented for coverage, each harness fuzzed for
# FUZZ_SECONDS under ASan+UBSan; any finding fails (and is kept in
# tests/fuzz/out/ to be turned into a regression input).
fuzz:
	$(MAKE) BUILD=build-fuzz CC=$(FUZZ_CC) OPTFLAGS="$(FUZZFLAGS) -fsanitize=fuzzer-no-link" build-fuzz/libv6core.a
	@mkdir -p build-fuzz/lf
	for h in $(FUZZ_SRC:tests/fuzz/%.c=%); do \
		$(FUZZ_CC) $(CFLAGS) $(FUZZFLAGS) -fsanitize=fuzzer -MF build-fuzz/lf/$$h.d -o build-fuzz/lf/$$h \
			tests/fuzz/$$h.c build-fuzz/libv6core.a $(LDFLAGS) $(LDLIBS) || exit 1; \
	done
	tests/fuzz/run build-fuzz/lf $(FUZZ_SECONDS)

# Test tools (tests/tools/*.c): helpers the bats labs drive, not installed.
tools: $(TOOLS_BIN)

$(BUILD)/tools/%: tests/tools/%.c $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(say) CC $(@:$(BUILD)/%=%)
	$(Q)$(CC) $(CFLAGS) -MF $@.d -o $@ $< $(CORE_LIB) $(LDFLAGS) $(LDLIBS)

deps:
	@tests/deps.sh

# Every test: C unit tests and bats suites; last line "N passed, N failed".
check: deps
	$(MAKE) all
	V6KIT=$(CURDIR)/$(BUILD)/v6kit V6KIT_TESTBIN=$(CURDIR)/$(BUILD)/tests tests/run

test: all
	V6KIT=$(CURDIR)/$(BUILD)/v6kit V6KIT_TESTBIN=$(CURDIR)/$(BUILD)/tests tests/run

# The same tests against an ASan+UBSan build.
sanitize: deps
	$(MAKE) BUILD=build-san OPTFLAGS="$(SANFLAGS)" EXTRA_LDLIBS="-fsanitize=address,undefined" $(BUILD:build=build-san)/v6kit unit tools
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 V6KIT_SANITIZE=1 \
	V6KIT=$(CURDIR)/build-san/v6kit V6KIT_TESTBIN=$(CURDIR)/build-san/tests tests/run

# Soak tests (tests/soak/*.bats): each daemon under sustained load in a
# namespace lab for up to ~40 s; RSS and descriptors must stay flat.
# SOAK_V6KIT is the binary under test (default: this build's, built first);
# CI runs it once against the ASan build: make soak SOAK_V6KIT=build-san/v6kit.
# No unit tests here (V6KIT_TESTBIN names no directory).  A small ASan
# quarantine keeps the RSS of a sanitized daemon meaningful.
SOAK_V6KIT ?= $(BUILD)/v6kit
soak: $(if $(filter $(BUILD)/v6kit,$(SOAK_V6KIT)),all)
	@[ -x "$(SOAK_V6KIT)" ] || { echo "make soak: no $(SOAK_V6KIT) (make sanitize builds build-san/v6kit)" >&2; exit 2; }
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:quarantine_size_mb=2 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	V6KIT=$(abspath $(SOAK_V6KIT)) V6KIT_TESTBIN=/nonexistent V6KIT_SUITES="$(wildcard tests/soak/*.bats)" tests/run

# Fault campaign (issue 20), bounded: mutated captures through every offline
# applet, then hostile datagrams at a live dnsfrag in a namespace.  Any
# sanitizer report, crash, hang or exit outside 0-3 fails; the input is kept
# in $TMPDIR/v6kit-torture-findings.  CI: make torture
# TORTURE_V6KIT=build-san/v6kit (TORTURE_SECONDS=75).  TORTURE_SEED replays.
TORTURE_V6KIT ?= $(BUILD)/v6kit
TORTURE_SECONDS ?= 60
torture: $(if $(filter $(BUILD)/v6kit,$(TORTURE_V6KIT)),all)
	@[ -x "$(TORTURE_V6KIT)" ] || { echo "make torture: no $(TORTURE_V6KIT) (make sanitize builds build-san/v6kit)" >&2; exit 2; }
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	/usr/bin/python3 tests/torture/torture.py --v6kit $(abspath $(TORTURE_V6KIT)) \
		--seconds $(TORTURE_SECONDS) $(if $(TORTURE_SEED),--seed $(TORTURE_SEED))

# memcheck over the unit tests, fuzz replays and applets on golden captures.
valgrind: all
	tests/valgrind.sh $(BUILD)

bench: all $(BENCH_BIN)
	V6KIT=$(CURDIR)/$(BUILD)/v6kit V6KIT_BENCHBIN=$(CURDIR)/$(BUILD)/bench tests/bench/run

demo: deps
	$(MAKE) all
	tests/demo.sh

fixtures:
	/usr/bin/python3 tests/fixtures/pkt_vectors.py > tests/core/pkt_vectors.h
	/usr/bin/python3 tests/fixtures/pkt_vectors.py --corpus tests/fuzz/corpus

# Also the systemd template units (ExecStart= pointing at BINDIR), the
# logrotate snippet, and the commented example configurations.
install: v6kit man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/logrotate.d $(DESTDIR)$(DOCDIR)/examples
	install -m 0755 $(BUILD)/v6kit $(DESTDIR)$(BINDIR)/v6kit
	for a in $(APPLETS); do ln -sf v6kit $(DESTDIR)$(BINDIR)/$$a; done
	install -m 0644 $(MAN_OUT) $(DESTDIR)$(MANDIR)/man1/
	for a in $(APPLETS); do ln -sf v6kit-$$a.1 $(DESTDIR)$(MANDIR)/man1/$$a.1; done
	install -m 0644 completions/v6kit.bash $(DESTDIR)$(BASHCOMPDIR)/v6kit
	for a in $(APPLETS); do ln -sf v6kit $(DESTDIR)$(BASHCOMPDIR)/$$a; done
	install -m 0644 completions/_v6kit $(DESTDIR)$(ZSHCOMPDIR)/_v6kit
	for u in $(UNITS); do \
		sed 's|/usr/bin/v6kit|$(BINDIR)/v6kit|' $$u > $(DESTDIR)$(UNITDIR)/$${u##*/} && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$${u##*/} || exit 1; \
	done
	install -m 0644 packaging/logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/v6kit
	install -m 0644 packaging/examples/*.conf packaging/examples/*.table $(DESTDIR)$(DOCDIR)/examples/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/v6kit $(DESTDIR)$(BASHCOMPDIR)/v6kit $(DESTDIR)$(ZSHCOMPDIR)/_v6kit
	for a in $(APPLETS); do rm -f $(DESTDIR)$(BINDIR)/$$a $(DESTDIR)$(BASHCOMPDIR)/$$a $(DESTDIR)$(MANDIR)/man1/$$a.1; done
	rm -f $(DESTDIR)$(MANDIR)/man1/v6kit.1 $(DESTDIR)$(MANDIR)/man1/v6kit-*.1
	for u in $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$${u##*/}; done
	rm -f $(DESTDIR)$(SYSCONFDIR)/logrotate.d/v6kit
	rm -rf $(DESTDIR)$(DOCDIR)/examples

# ../v6kit_VERSION_ARCH.deb (native package; debian/).
deb:
	dpkg-buildpackage -us -uc -b

# v6kit-VERSION.tar.gz of the committed tree (HEAD): builds and passes
# `make test` unpacked anywhere.
dist:
	git archive --format=tar.gz --prefix=v6kit-$(VERSION)/ -o v6kit-$(VERSION).tar.gz HEAD
	@echo v6kit-$(VERSION).tar.gz

clean:
	rm -rf build build-san build-fuzz v6kit v6kit-*.tar.gz

-include $(CORE_OBJ:.o=.d) $(CMD_OBJ:.o=.d) $(TEST_BIN:=.d) $(FUZZ_BIN:=.d) $(TOOLS_BIN:=.d)

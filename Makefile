# ttsync - keeps a TikTok Shop (US) and a Shopify store in step.
#
#   make            build ttsync and the test emulators
#   make demo       install missing Debian packages (as root), build, run a real
#                   sync against both emulators with the demo fixtures
#   make check      the whole test suite, plain and under ASan+UBSan
#   make bench      benchmarks (print their figures)
#   make install    PREFIX=/usr/local DESTDIR=
#
# The source lists below are the table of contents.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
B         ?= build

CC        ?= cc
PKGS      := libcurl sqlite3 yaml-0.1 jansson openssl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CSV_LIBS  := -lcsv
MHD_LIBS  := $(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wno-unused-parameter -Wformat=2 -Wvla
OPT       ?= -O2 -g
SAN       ?=
CFLAGS    ?=
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) $(SAN) -Iinclude $(PKG_CFLAGS) \
             -DTTSYNC_VERSION='"$(VERSION)"' $(CFLAGS)
ALL_LDFLAGS = $(SAN) $(LDFLAGS)

# ---- ttsync ---------------------------------------------------------------
# main.c tells the story of one run; one file per concern below it.
LIB_SRCS_FINAL := \
	src/common.c      \
	src/money.c       \
	src/model.c       \
	src/reasons.c     \
	src/config.c      \
	src/state.c       \
	src/http.c        \
	src/tiktok.c      \
	src/shopify.c     \
	src/map_order.c   \
	src/carriers.c    \
	src/plan.c        \
	src/apply.c       \
	src/fetch.c       \
	src/report.c      \
	src/report_csv.c  \
	src/report_html.c \
	src/lock.c        \
	src/cmd_run.c     \
	src/cmd_status.c  \
	src/cmd_link.c    \
	src/cmd_check.c   \
	src/run.c         \
	src/crashpoint.c
MAIN_SRC := src/main.c
# While modules land, build whatever exists (the list above is the plan).
LIB_SRCS := $(filter-out $(MAIN_SRC),$(wildcard src/*.c))

LIB_OBJS := $(LIB_SRCS:src/%.c=$(B)/src/%.o)
MAIN_OBJ := $(B)/src/main.o
LIBTTSYNC := $(B)/libttsync.a

# ---- emulators (test and demo infrastructure, never in ttsync) -----------
EMU_COMMON := tests/emulator/emu_common.c
TT_EMU_SRCS := tests/emulator/tiktok_emu.c tests/emulator/tiktok_emu_orders.c tests/emulator/tiktok_emu_ship.c
SH_EMU_SRCS := tests/emulator/shopify_emu.c tests/emulator/shopify_emu_store.c tests/emulator/shopify_emu_search.c tests/emulator/shopify_emu_resolve.c tests/emulator/shopify_emu_mutate.c tests/emulator/shopify_emu_b64.c tests/emulator/gql.c tests/emulator/gql_schema.c src/common.c
GEN_SRCS    := tests/emulator/fixturegen.c

# ---- tests ----------------------------------------------------------------
UNIT_SRCS := $(sort $(wildcard tests/unit/check_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/unit/%)
E2E_SRCS  := $(sort $(wildcard tests/e2e/check_*.c))
E2E_BINS  := $(E2E_SRCS:tests/e2e/%.c=$(B)/tests/e2e/%)
E2E_LIB   := tests/e2e/harness.c
EMUTEST_SRCS := $(sort $(wildcard tests/emulator/check_*.c))
EMUTEST_BINS := $(EMUTEST_SRCS:tests/emulator/%.c=$(B)/tests/emulator/%)
BENCH_SRCS := $(sort $(wildcard tests/bench/bench_*.c))
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(B)/tests/bench/%)

EMUS := $(B)/tiktok-emu $(B)/shopify-emu $(B)/fixturegen $(B)/emu-events

.PHONY: all deps demo check check-plain check-san test-bins bench install \
        uninstall clean

all: $(B)/ttsync $(EMUS)

$(B)/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBTTSYNC): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/ttsync: $(MAIN_OBJ) $(LIBTTSYNC)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CSV_LIBS)

# The crash-test binary: ttsync with crash points compiled in (crashpoint.h);
# used only by tests/e2e/check_e2e_crash.c.
CRASH_OBJS := $(patsubst src/%.c,$(B)/crash/%.o,$(LIB_SRCS) $(MAIN_SRC))
$(B)/crash/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DTTSYNC_CRASH_POINTS -MMD -MP -c -o $@ $<

$(B)/ttsync-crashtest: $(CRASH_OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CSV_LIBS)

$(B)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/emulator -Itests/e2e -MMD -MP -c -o $@ $<

$(B)/tiktok-emu: $(patsubst %.c,$(B)/%.o,$(TT_EMU_SRCS) $(EMU_COMMON))
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(MHD_LIBS) $(PKG_LIBS) -lpthread

$(B)/shopify-emu: $(patsubst %.c,$(B)/%.o,$(SH_EMU_SRCS) $(EMU_COMMON))
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(MHD_LIBS) $(PKG_LIBS) -lpthread

$(B)/fixturegen: $(patsubst %.c,$(B)/%.o,$(GEN_SRCS))
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lpthread

$(B)/emu-events: $(B)/tests/emulator/emu_events.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/tests/unit/%: $(B)/tests/unit/%.o $(LIBTTSYNC)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CSV_LIBS) $(CHECK_LIBS)

$(B)/tests/e2e/%: $(B)/tests/e2e/%.o $(B)/tests/e2e/harness.o $(LIBTTSYNC)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CSV_LIBS) $(CHECK_LIBS)

$(B)/tests/emulator/check_%: $(B)/tests/emulator/check_%.o $(B)/tests/e2e/harness.o $(LIBTTSYNC)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CSV_LIBS) $(CHECK_LIBS)

# The GraphQL parser/validator unit tests link the engine directly.
$(B)/tests/emulator/check_gql: $(B)/tests/emulator/check_gql.o $(B)/tests/emulator/gql.o $(B)/tests/emulator/gql_schema.o $(B)/tests/e2e/harness.o $(LIBTTSYNC)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CSV_LIBS) $(CHECK_LIBS)

$(B)/tests/bench/%: $(B)/tests/bench/%.o $(B)/tests/e2e/harness.o $(LIBTTSYNC)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CSV_LIBS) $(CHECK_LIBS)

test-bins: all $(B)/ttsync-crashtest $(UNIT_BINS) $(E2E_BINS) $(EMUTEST_BINS)

# ---- Debian packages ------------------------------------------------------
DEB_PKGS := gcc make pkg-config libcurl4-openssl-dev libsqlite3-dev libyaml-dev \
            libcsv-dev libjansson-dev libssl-dev libmicrohttpd-dev check \
            node-graphql nodejs python3 curl ca-certificates

deps:
	@sh tests/install-deps.sh $(DEB_PKGS)

# ---- the two commands -----------------------------------------------------
demo: deps
	@$(MAKE) --no-print-directory all
	@sh tests/demo.sh $(B)

# The whole suite: unit, emulator conformance, end to end (plain build),
# then the same under AddressSanitizer + UndefinedBehaviorSanitizer.
check: deps
	@$(MAKE) --no-print-directory check-plain
	@$(MAKE) --no-print-directory check-san

check-plain: test-bins
	@sh tests/run-tests.sh $(B)

check-san:
	@$(MAKE) --no-print-directory B=build-san OPT="-O1 -g -fno-omit-frame-pointer" \
	  SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" test-bins
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  sh tests/run-tests.sh build-san

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BINS)
	@sh tests/run-bench.sh $(B)

# ---- install --------------------------------------------------------------
install: $(B)/ttsync
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(B)/ttsync $(DESTDIR)$(BINDIR)/ttsync
	install -m 0644 man/ttsync.1 $(DESTDIR)$(MANDIR)/man1/ttsync.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ttsync $(DESTDIR)$(MANDIR)/man1/ttsync.1

clean:
	rm -rf build build-san

-include $(shell find $(B) -name '*.d' 2>/dev/null)

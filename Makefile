# SPDX-License-Identifier: AGPL-3.0-or-later
#
# make            build ./trawl
# make check      every test, plain and under ASan+UBSan
# make demo       install deps, build, ingest samples/, show the result
# make bench      benchmarks (never part of check)
# make fuzz       libFuzzer targets (clang), FUZZ_SECONDS each
#
# Objects go to build/$(VARIANT)/; VARIANT=asan builds with sanitizers.

VARIANT ?= plain
B := build/$(VARIANT)

PKGS := gmime-3.0 glib-2.0 sqlite3 libzstd libarchive jansson gumbo libutf8proc nettle
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lmagic -lstemmer -lm -pthread

CC ?= cc
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wvla -Wno-unused-parameter -Wno-sign-compare
BASE_CFLAGS := -std=c17 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -ffp-contract=off \
	-fno-strict-aliasing $(WARN) -Ilib $(PKG_CFLAGS)
ifeq ($(VARIANT),asan)
OPT := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
else
OPT ?= -O2 -g
endif
# The programs (trawl, qbench) allocate through mimalloc, linked first so
# that GLib's and GMime's mallocs use it too: an ingest's parsers spend
# about a tenth of their instructions in glibc's malloc and free.  Not under
# the sanitizers, which bring their own allocator.
ifeq ($(VARIANT),asan)
ALLOC_LIBS :=
else
ALLOC_LIBS ?= -Wl,--push-state,--no-as-needed -lmimalloc -Wl,--pop-state
endif
ALL_CFLAGS := $(BASE_CFLAGS) $(OPT) $(CFLAGS)
ALL_LDFLAGS := $(OPT) $(LDFLAGS)

LIB_SRC := $(sort $(wildcard lib/*.c))
CLI_SRC := $(sort $(wildcard cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test-*.c))
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz-*.c))
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(B)/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
FUZZ_DRV := $(FUZZ_SRC:fuzz/%.c=$(B)/fuzz/%)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(B)/tools/%)

.PHONY: all check test-bins demo bench fuzz clean
.DELETE_ON_ERROR:

all: trawl

ifeq ($(VARIANT),plain)
trawl: $(B)/trawl
	rm -f $@ && cp $< $@
endif

$(B)/libtrawl.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(B)/trawl: $(CLI_OBJ) $(B)/libtrawl.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(ALLOC_LIBS) $(CLI_OBJ) $(B)/libtrawl.a $(PKG_LIBS)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(B)/libtrawl.a tests/unit/tap.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(B)/libtrawl.a $(PKG_LIBS)

# Fuzz targets built with a plain main() that replays fuzz/corpus/<name>/.
$(B)/fuzz/%: fuzz/%.c fuzz/driver.c $(B)/libtrawl.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< fuzz/driver.c $(B)/libtrawl.a $(PKG_LIBS)

# Test tools: programs the shell tests run (the index oracle).
$(B)/tools/%: tests/tools/%.c $(B)/libtrawl.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libtrawl.a $(PKG_LIBS)

test-bins: $(B)/trawl $(UNIT_BIN) $(FUZZ_DRV) $(TOOL_BIN)

check:
	@scripts/install-deps
	@$(MAKE) --no-print-directory VARIANT=plain trawl test-bins
	@$(MAKE) --no-print-directory VARIANT=asan test-bins
	@tests/run plain asan

demo:
	@scripts/install-deps
	@$(MAKE) --no-print-directory trawl
	@scripts/demo

bench:
	@scripts/install-deps --bench
	@$(MAKE) --no-print-directory trawl $(B)/bench/qbench
	@bench/run

# The query benchmark that bench/run runs: in process, over libtrawl.a.
$(B)/bench/qbench: bench/qbench.c bench/peers/harness.h $(B)/libtrawl.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $(ALLOC_LIBS) $< $(B)/libtrawl.a $(PKG_LIBS)

FUZZ_SECONDS ?= 60
fuzz:
	@scripts/install-deps
	@$(MAKE) --no-print-directory VARIANT=plain build/plain/libtrawl.a
	@fuzz/run $(FUZZ_SECONDS)

clean:
	rm -rf build trawl

-include $(shell find build -name '*.d' 2>/dev/null)

# SPDX-License-Identifier: GPL-2.0-or-later
#
# Thin front end: meson and ninja do the work.  `make help` lists targets.

BUILD ?= build
ASAN_BUILD ?= build-asan
# The sanitizer build uses clang so every `make check` + `make check-asan`
# run compiles the tree with both gcc (default cc) and clang.
ASAN_CC ?= clang
MESON ?= meson
NINJA ?= ninja
CLANG_FORMAT ?= clang-format
# Extra `meson test` arguments, e.g. make check TESTFLAGS="--suite unit".
TESTFLAGS ?=
# The one knob for slow hosts (docs/devel/testing.rst): every wait inside
# the tests (tests/timescale.h) and, as --timeout-multiplier, meson's
# time-outs are multiplied by it.  make check KVMAGE_TEST_TIME_SCALE=20
KVMAGE_TEST_TIME_SCALE ?= 1
export KVMAGE_TEST_TIME_SCALE
# Sanitized code is slower: give its tests ASAN_TIME_FACTOR times more
# time (meson's time-outs only; the waits inside follow the knob).
ASAN_TIME_FACTOR ?= 3
ASAN_TESTFLAGS ?= --timeout-multiplier $(shell awk \
	'BEGIN { print $(KVMAGE_TEST_TIME_SCALE) * $(ASAN_TIME_FACTOR) }')

# UBSan errors are fatal, with a stack trace; ASan stops at the first error.
SANITIZER_ENV = \
	ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:print_summary=1 \
	UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1:print_summary=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan.supp:print_suppressions=0

# The demo (scripts/demo.sh): guest programs over the serial console and a
# verified workload on a preallocated memfd.  Later issues add aging/reclaim.

# C sources to format: everything but imported headers and build trees.
FORMAT_FILES = $(shell find . \( -path ./.git -o -path ./linux-headers \
	-o -path './build*' -o -path ./subprojects \) -prune \
	-o -type f \( -name '*.c' -o -name '*.h' \) -print | sort)

.PHONY: all demo check check-setup check-asan format format-check bench \
	install clean distclean help

all: $(BUILD)/build.ninja
	$(NINJA) -C $(BUILD)

# Configure only once; afterwards meson regenerates build.ninja by itself.
$(BUILD)/build.ninja:
	./configure --builddir=$(BUILD)

demo: all
	scripts/demo.sh $(BUILD)

# What the tests need from the host (scripts/setup-host.sh): as root, QEMU
# (the qmp-diff peer), huge pages, hugetlbfs and zram swap are set up if
# missing, and a failed step stops here; as another user nothing changes
# and it says which tests will skip and what sets them up.  check and
# check-asan run it first.
SETUP_HOST = scripts/setup-host.sh

check-setup:
	$(SETUP_HOST)

check: all
	$(SETUP_HOST)
	$(MESON) test -C $(BUILD) --print-errorlogs \
		--timeout-multiplier $(KVMAGE_TEST_TIME_SCALE) $(TESTFLAGS)

$(ASAN_BUILD)/build.ninja:
	./configure --builddir=$(ASAN_BUILD) --cc=$(ASAN_CC) --enable-asan --enable-ubsan

check-asan: $(ASAN_BUILD)/build.ninja
	$(NINJA) -C $(ASAN_BUILD)
	$(SETUP_HOST)
	$(SANITIZER_ENV) $(MESON) test -C $(ASAN_BUILD) --print-errorlogs \
		$(ASAN_TESTFLAGS) $(TESTFLAGS)

# Every benchmark (prealloc, aging, residency, populate, reclaim, migration,
# touch-speed; minutes each), or some: make bench BENCH="aging residency".
BENCH ?=
bench: all
	$(MESON) test -C $(BUILD) --benchmark --verbose $(BENCH)

install: all
	$(MESON) install -C $(BUILD)

format:
	$(if $(FORMAT_FILES),$(CLANG_FORMAT) -i $(FORMAT_FILES))

format-check:
	$(if $(FORMAT_FILES),$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_FILES))

clean:
	@for d in $(BUILD) $(ASAN_BUILD); do \
		if [ -f $$d/build.ninja ]; then $(NINJA) -C $$d clean || exit 1; fi; \
	done

distclean:
	rm -rf $(BUILD) $(ASAN_BUILD)

help:
	@echo "make              configure (first time) and build in $(BUILD)/"
	@echo "make demo         build, then run the demo guests (scripts/demo.sh)"
	@echo "make check        build, set up the host (check-setup), run the test suites"
	@echo "make check-setup  as root: QEMU, huge pages, hugetlbfs, swap for the tests;"
	@echo "                  otherwise: say which tests will skip and why"
	@echo "make check-asan   build in $(ASAN_BUILD)/ with ASan+UBSan ($(ASAN_CC)) and run the suites"
	@echo "make bench        build, then run the benchmarks (BENCH=\"aging ...\" for some)"
	@echo "make format       clang-format all C files in place"
	@echo "make format-check list formatting differences, fail if any"
	@echo "make install      install under the configured prefix"
	@echo "make clean        remove build products"
	@echo "make distclean    remove $(BUILD)/ and $(ASAN_BUILD)/"

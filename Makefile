# vmm: a KVM virtual machine monitor in one binary.
#
#   make              build/vmm
#   make test         unit tests + guest tests (+ Linux tier in a nested L1)
#   make run          boot Debian's cloud kernel with the console on this tty
#   make SANITIZE=1   everything built with ASan + UBSan into build-san/
#   make bench        start-up, memory and console figures
#
# Non-recursive: every source list is below. Objects go to $(O)/obj/.

# The vmm binary is linked statically (liburing, libfdt and json-c ship .a
# files in Debian): no loader work at start-up, half the RSS, and one file
# to copy into a container or a nested VM. Sanitizer builds stay dynamic.
STATIC ?= 1

ifeq ($(SANITIZE),1)
STATIC = 0
O ?= build-san
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all \
	    -fno-omit-frame-pointer
else ifeq ($(FUZZ),1)
# The fuzz build (make fuzz, tests/fuzz/): the library and its clients
# compiled by clang with coverage for libFuzzer and ASan + UBSan into
# build-fuzz/; only the harnesses link libFuzzer itself.
STATIC = 0
O ?= build-fuzz
CC = clang
SAN_FLAGS = -fsanitize=fuzzer-no-link,address,undefined \
	    -fno-sanitize-recover=all -fno-omit-frame-pointer
else ifeq ($(SANITIZE),thread)
STATIC = 0
O ?= build-tsan
SAN_FLAGS = -fsanitize=thread -fno-omit-frame-pointer
else
O ?= build
SAN_FLAGS =
endif

VERSION = 0.2.0
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
DESTDIR ?=
# crun's handler directory (Debian 12's crun 1.8.1 loads every file there)
# and where the handler finds the runner's kernel and init.
CRUN_HANDLER_DIR ?= /usr/lib/x86_64-linux-gnu/crun/handlers
CRUN ?= /usr/bin/crun
RUNNER_INSTALL_DIR = $(PREFIX)/share/vmm/runner

CC ?= gcc
WERROR ?= 1
WARNINGS = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wpointer-arith -Wcast-qual -Wwrite-strings -Wformat=2 -Wundef
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -D_GNU_SOURCE $(WARNINGS) -fstack-protector-strong \
	  -MMD -MP -I. -Iinclude -Isrc -I$(O)/gen $(SAN_FLAGS)
LDFLAGS += $(SAN_FLAGS)
LDLIBS = -luring -ljson-c -lseccomp -lpthread -lm

# Missing build packages: `make run` and `make test` install them (apt-get),
# anything else stops with their names.
ifeq ($(filter deps clean format check-format,$(MAKECMDGOALS)),)
MISSING_DEPS := $(shell tools/install-deps.sh --check)
ifneq ($(strip $(MISSING_DEPS)),)
ifneq ($(filter run test,$(MAKECMDGOALS)),)
$(info installing missing packages: $(MISSING_DEPS))
$(shell tools/install-deps.sh >&2)
MISSING_DEPS := $(shell tools/install-deps.sh --check)
endif
endif
ifneq ($(strip $(MISSING_DEPS)),)
$(error missing Debian packages: $(MISSING_DEPS)-- run 'make deps' or apt-get install them)
endif
endif

ifeq ($(V),1)
Q =
else
Q = @
endif

# The library is every .c under src/ (one folder a layer; see README) but
# src/crun/, the crun handler plugin, a client like the CLI (cli/, main()
# in cli/main.c) and the benchmarks (bench/): these are kept in archives of
# their own that the unit tests link too.
CRUN_SRCS = $(wildcard src/crun/*.c)
LIB_SRCS = $(filter-out $(CRUN_SRCS),$(wildcard src/*/*.c src/arch/*/*.c))
LIB_OBJS = $(LIB_SRCS:%.c=$(O)/obj/%.o)
APP_SRCS = $(filter-out cli/main.c,$(wildcard cli/*.c bench/*.c))
APP_OBJS = $(APP_SRCS:%.c=$(O)/obj/%.o)
CRUN_OBJS = $(CRUN_SRCS:%.c=$(O)/obj/%.o)
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_HELPERS = $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/unit/%)

all: $(O)/vmm $(O)/libvmm.so.0 $(O)/libvmm.pc $(O)/crun-vmm.so

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# The CLI is a client of the library like any other: it sees the public
# header (include/), not src/.
$(O)/obj/cli/%.o: cli/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(filter-out -Isrc,$(CFLAGS)) -c -o $@ $<

# Archives let each program link only the objects it uses.
$(O)/libvmm.a: $(LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

# The shared library: the same sources position-independent, everything
# hidden but the vmm_* functions (libvmm.c; the version script says so too).
LIB_PIC_OBJS = $(LIB_SRCS:%.c=$(O)/obj-pic/%.o)
SONAME = libvmm.so.0

$(O)/obj-pic/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC [pic] $<")
	$(Q)$(CC) $(CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(O)/$(SONAME): $(LIB_PIC_OBJS) src/libvmm.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) \
		-Wl,--version-script=src/libvmm.map -Wl,-z,defs -o $@ \
		$(LIB_PIC_OBJS) -luring -ljson-c -Wl,-Bstatic -lseccomp \
		-Wl,-Bdynamic -lpthread -lm

PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	-e 's|@VERSION@|$(VERSION)|'

$(O)/libvmm.pc: src/libvmm.pc.in Makefile
	$(Q)$(PC_SED) $< >$@

$(O)/libvmm-app.a: $(APP_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

# The crun handler plugin: a client of the library (the public header
# only), linked with a position-independent copy of it, liburing and
# json-c into one .so that needs nothing but libc, since crun loads it for
# every command and a file there that does not load breaks them all. It
# exports run_oci_handler_get_handler() alone. The runner's directory is
# compiled in (a header rewritten only when PREFIX changes).
CRUN_PIC_OBJS = $(CRUN_SRCS:%.c=$(O)/obj-pic/%.o)
CRUN_CFLAGS = $(filter-out -Isrc,$(CFLAGS)) -I$(O)/gen

# The syscall names of this architecture, for the seccomp report.
$(O)/gen/syscall_names.h:
	@mkdir -p $(dir $@)
	$(Q)echo '#include <asm/unistd.h>' | $(CC) -E -dM - | \
		sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9][0-9]*\)$$/\t[\2] = "\1",/p' \
		>$@.tmp && mv $@.tmp $@

$(O)/obj/src/sandbox/seccomp.o $(O)/obj-pic/src/sandbox/seccomp.o: \
	$(O)/gen/syscall_names.h

$(O)/gen/crun_paths.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define VMM_CRUN_RUNNER_DIR "$(RUNNER_INSTALL_DIR)"' >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@

$(O)/obj/src/crun/%.o: src/crun/%.c | $(O)/gen/crun_paths.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CRUN_CFLAGS) -c -o $@ $<

$(O)/obj-pic/src/crun/%.o: src/crun/%.c | $(O)/gen/crun_paths.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC [pic] $<")
	$(Q)$(CC) $(CRUN_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(O)/libvmm-pic.a: $(LIB_PIC_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/libcrun-vmm.a: $(CRUN_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/crun-vmm.so: $(CRUN_PIC_OBJS) $(O)/libvmm-pic.a src/crun/crun-vmm.map
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -shared -Wl,--version-script=src/crun/crun-vmm.map \
		-Wl,-z,defs -Wl,-z,now -o $@ $(CRUN_PIC_OBJS) $(O)/libvmm-pic.a \
		-Wl,-Bstatic -luring -ljson-c -lseccomp -Wl,-Bdynamic \
		-lpthread -lm

$(O)/vmm: $(O)/obj/cli/main.o $(O)/libvmm-app.a $(O)/libvmm.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $(if $(filter 1,$(STATIC)),-static) -o $@ $^ $(LDLIBS)

$(O)/tests/unit/%: tests/unit/%.c $(UNIT_HELPERS:%.c=$(O)/obj/%.o) $(O)/libvmm-app.a $(O)/libcrun-vmm.a $(O)/libvmm.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The test runner's platform probe: can the host's /dev/kvm run a guest?
KVM_PROBE = $(O)/tools/kvm-probe
$(KVM_PROBE): tools/kvm-probe.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

# test_crun_plugin dlopen()s the plugin: built first, not linked in.
$(O)/tests/unit/test_crun_plugin: | $(O)/crun-vmm.so

unit-tests: $(UNIT_BINS) $(KVM_PROBE) $(O)/crun-vmm.so

-include guests/guests.mk
-include tests/fuzz/fuzz.mk

# The runner image (docs/runner-protocol.md, guests/runner/): a kernel
# configured for containers (guests/runner/build.sh; minutes once, then
# cached like the minimal guest's) and a static init in C. The init's
# parts but main() (init.c) also go, built with the host flags (and
# sanitizers), into an archive that the unit tests test_runner_* link
# instead of libvmm: the init is a guest program, not part of the library.
RUNNER_DIR = $(O)/guests/runner
RUNNER_SRCS = $(wildcard guests/runner/*.c)
RUNNER_INIT_OBJS = $(RUNNER_SRCS:guests/runner/%.c=$(RUNNER_DIR)/obj/%.o)
RUNNER_LIB_OBJS = $(patsubst %.c,$(O)/obj/%.o,$(filter-out \
	guests/runner/init.c,$(RUNNER_SRCS)))
RUNNER_CFLAGS = -std=gnu11 -O2 -D_GNU_SOURCE $(WARNINGS) \
	-fstack-protector-strong -MMD -MP -I.

$(RUNNER_DIR)/obj/%.o: guests/runner/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC [runner] $<")
	$(Q)$(CC) $(RUNNER_CFLAGS) -c -o $@ $<

# glibc's static libc (libc6-dev): no loader in an initramfs of two files.
$(RUNNER_DIR)/init: $(RUNNER_INIT_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -static -s -o $@ $^

$(O)/librunner.a: $(RUNNER_LIB_OBJS)
	$(Q)rm -f $@ && ar rcs $@ $^

# More specific than the rule above, so make takes it for these tests.
$(O)/tests/unit/test_runner_%: tests/unit/test_runner_%.c $(O)/librunner.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TEST    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

guests: $(RUNNER_DIR)/init

guest-runner: $(RUNNER_DIR)/init
	$(Q)guests/runner/build.sh $(RUNNER_DIR)

# Real Linux guests (built from Debian packages; the kernel build takes a
# few minutes once, then is cached) and the nested L1 that runs them on
# hosts whose /dev/kvm cannot run Linux; the three build at once.
guests-linux:
	$(Q)guests/build-linux-guests.sh $(O)/guests

test: deps all unit-tests guests guests-linux guest-runner
	$(Q)O=$(O) SAN_FLAGS="$(SAN_FLAGS)" tests/run.sh all

test-unit: all unit-tests guests
	$(Q)O=$(O) SAN_FLAGS="$(SAN_FLAGS)" tests/run.sh unit

# Asked for together (make -j test-unit test-guest), the two tiers run one
# after the other: each may boot a nested L1 and they share test-logs/.
test-guest: all guests $(KVM_PROBE) | $(filter test-unit,$(MAKECMDGOALS))
	$(Q)O=$(O) tests/run.sh guest

# The guest tier again with every VM on the epoll io loop (the fallback
# where io_uring is refused): tests/guest/lib.bash adds --io-loop=epoll.
test-guest-epoll: all guests $(KVM_PROBE) | $(filter test-unit,$(MAKECMDGOALS))
	$(Q)O=$(O) VMM_TEST_IO_LOOP=epoll tests/run.sh guest

test-linux: all guests-linux
	$(Q)O=$(O) tests/run.sh linux

# crun and podman running containers through the crun handler (nested L1).
test-containers: all guests-linux guest-runner
	$(Q)O=$(O) tests/run.sh containers

# The Linux tier with every L2's vmm on the epoll io loop.
test-linux-epoll: all guests-linux
	$(Q)O=$(O) VMM_TEST_IO_LOOP=epoll tests/run.sh linux

bench: all guests guests-linux guest-runner $(KVM_PROBE)
	$(Q)O=$(O) tests/bench/run.sh

run: deps all guests-linux
	$(Q)O=$(O) guests/run-demo.sh

deps:
	$(Q)tools/install-deps.sh

format:
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h')

check-format:
	$(Q)clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

# Every header must compile on its own.
check-headers:
	$(Q)for h in $$(git ls-files 'src/*.h' 'cli/*.h' 'bench/*.h' 'guests/runner/*.h'); do \
		echo "#include \"$$h\"" | $(CC) $(filter-out -MMD -MP,$(CFLAGS)) -fsyntax-only \
			-x c - || exit 1; done

clean:
	rm -rf build build-san build-tsan build-fuzz

.SECONDARY:

FORCE:

.PHONY: all test test-unit test-guest test-guest-epoll test-linux test-linux-epoll \
	test-containers unit-tests bench run deps \
	format check-format check-headers clean guests guests-linux \
	guest-runner install uninstall FORCE

# RUNNER=0: vmm and libvmm only, without the runner image (whose kernel
# takes minutes to build the first time).
RUNNER ?= 1
RUNNER_SHARE = $(DESTDIR)$(RUNNER_INSTALL_DIR)

install: all $(if $(filter 1,$(RUNNER)),guest-runner)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include/vmm \
		$(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(O)/vmm $(DESTDIR)$(PREFIX)/bin/vmm
	install -m 644 include/vmm/vmm.h $(DESTDIR)$(PREFIX)/include/vmm/vmm.h
	install -m 755 $(O)/$(SONAME) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sfn $(SONAME) $(DESTDIR)$(LIBDIR)/libvmm.so
	install -m 644 $(O)/libvmm.a $(DESTDIR)$(LIBDIR)/libvmm.a
	$(PC_SED) src/libvmm.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/libvmm.pc
	install -m 644 docs/vmm.1 $(DESTDIR)$(PREFIX)/share/man/man1/vmm.1
	install -d $(DESTDIR)$(CRUN_HANDLER_DIR)
	install -m 644 $(O)/crun-vmm.so $(DESTDIR)$(CRUN_HANDLER_DIR)/crun-vmm.so
	ln -sfn $(CRUN) $(DESTDIR)$(PREFIX)/bin/crun-vmm
ifeq ($(RUNNER),1)
	install -d $(RUNNER_SHARE)
	install -m 644 $(RUNNER_DIR)/bzImage $(RUNNER_SHARE)/bzImage
	install -m 755 $(RUNNER_DIR)/init $(RUNNER_SHARE)/init
endif

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/vmm \
		$(DESTDIR)$(PREFIX)/include/vmm/vmm.h \
		$(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libvmm.so \
		$(DESTDIR)$(LIBDIR)/libvmm.a \
		$(DESTDIR)$(LIBDIR)/pkgconfig/libvmm.pc \
		$(DESTDIR)$(PREFIX)/share/man/man1/vmm.1 \
		$(DESTDIR)$(CRUN_HANDLER_DIR)/crun-vmm.so \
		$(DESTDIR)$(PREFIX)/bin/crun-vmm \
		$(RUNNER_SHARE)/bzImage $(RUNNER_SHARE)/init
	-rmdir $(DESTDIR)$(PREFIX)/include/vmm $(RUNNER_SHARE) \
		$(DESTDIR)$(PREFIX)/share/vmm 2>/dev/null

-include $(LIB_OBJS:.o=.d) $(LIB_PIC_OBJS:.o=.d) $(APP_OBJS:.o=.d) $(O)/obj/cli/main.d \
	$(CRUN_OBJS:.o=.d) $(CRUN_PIC_OBJS:.o=.d) \
	$(UNIT_HELPERS:%.c=$(O)/obj/%.d) $(RUNNER_INIT_OBJS:.o=.d) \
	$(RUNNER_LIB_OBJS:.o=.d)

# libFuzzer harnesses (tests/fuzz/, docs/fuzzing.md), included by the
# Makefile. `make fuzz` and `make fuzz-smoke` build them with FUZZ=1
# (clang, ASan + UBSan, build-fuzz/) and run tests/fuzz/run.sh.
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="fuse virtqueue"]
#   make fuzz-smoke            what CI runs: corpus + regressions, then 10 s

FUZZ_SRCS = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_ALL = $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=%)
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_SECONDS ?= $(if $(filter fuzz-smoke,$(MAKECMDGOALS)),10,60)
FUZZ_HELPERS = tests/fuzz/input.c tests/unit/fake_mem.c
FUZZ_HELPER_OBJS = $(FUZZ_HELPERS:%.c=$(O)/obj/%.o)
FUZZ_BINS = $(FUZZ_ALL:%=$(O)/fuzz/fuzz_%)

# The runner's archive (guests/runner/ but init.c, host-built) comes
# before libvmm's: fuzz_crun parses what the handler writes as the
# runner's init does.
$(O)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_HELPER_OBJS) $(O)/libvmm-app.a \
		$(O)/libcrun-vmm.a $(O)/librunner.a $(O)/libvmm.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZ    $@")
	$(Q)$(CC) $(CFLAGS) -I$(O)/gen -Itests/unit -fsanitize=fuzzer $(LDFLAGS) \
		-o $@ $^ $(LDLIBS)

fuzz-bins: $(FUZZ_BINS)

# clang and libFuzzer's runtime, probed by linking an empty harness.
FUZZ_PROBE = printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\
	{ (void)d; (void)n; return 0; }\n' | clang -fsanitize=fuzzer -x c - \
	-o /dev/null >/dev/null 2>&1
FUZZ_CLANG_MSG = clang with libFuzzer is needed: apt-get install clang \
	libclang-rt-14-dev (tools/install-deps.sh does)

fuzz fuzz-smoke:
	@$(FUZZ_PROBE) || { echo "make $@: $(FUZZ_CLANG_MSG)"; exit 1; }
	$(Q)$(MAKE) --no-print-directory FUZZ=1 O=build-fuzz fuzz-bins
	$(Q)tests/fuzz/run.sh $(if $(filter fuzz-smoke,$@),smoke,fuzz) build-fuzz \
		$(FUZZ_SECONDS) $(FUZZ_TARGETS)

.PHONY: fuzz fuzz-smoke fuzz-bins

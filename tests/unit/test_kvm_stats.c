/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of vcpu/kvm_stats.c: the descriptor parser on synthetic stats
 * files written to a memfd (good, partial and malformed layouts), then the
 * real thing: a VM and vCPU on /dev/kvm, read before and after one
 * KVM_RUN of a three-instruction real-mode guest (skipped, 77, when
 * /dev/kvm is not usable).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "check.h"
#include "vcpu/kvm_stats.h"

#define NAME_SIZE 48
#define DESC_SIZE (sizeof(struct kvm_stats_desc) + NAME_SIZE)

struct fake_desc {
	const char *name;
	uint32_t flags;
	int16_t exponent;
	uint16_t size;
	uint32_t offset;
	uint64_t value;
};

#define NS (KVM_STATS_UNIT_SECONDS | KVM_STATS_BASE_POW10)

/* Write a stats file with these descriptors; returns the memfd. */
static int make_stats(const struct fake_desc *d, unsigned int n,
		      uint32_t data_size)
{
	struct kvm_stats_header h = {
	    .name_size = NAME_SIZE,
	    .num_desc = n,
	    .id_offset = sizeof(h),
	    .desc_offset = sizeof(h) + NAME_SIZE,
	};
	int fd = memfd_create("stats", 0);
	char desc[DESC_SIZE];

	h.data_offset = h.desc_offset + n * DESC_SIZE;
	CHECK(fd >= 0);
	CHECK_EQ(pwrite(fd, &h, sizeof(h), 0), sizeof(h));
	CHECK_EQ(pwrite(fd, "kvm-1/vcpu-0", 13, h.id_offset), 13);
	for (unsigned int i = 0; i < n; i++) {
		struct kvm_stats_desc sd = {
		    .flags = d[i].flags,
		    .exponent = d[i].exponent,
		    .size = d[i].size,
		    .offset = d[i].offset,
		};

		memset(desc, 0, sizeof(desc));
		memcpy(desc, &sd, sizeof(sd));
		/* Full-width names stay unterminated on purpose. */
		memcpy(desc + sizeof(sd), d[i].name,
		       strnlen(d[i].name, NAME_SIZE));
		CHECK_EQ(
		    pwrite(fd, desc, DESC_SIZE, h.desc_offset + i * DESC_SIZE),
		    DESC_SIZE);
		if (d[i].offset < data_size)
			CHECK_EQ(pwrite(fd, &d[i].value, 8,
					h.data_offset + d[i].offset),
				 8);
	}
	CHECK_EQ(ftruncate(fd, h.data_offset + data_size), 0);
	return fd;
}

static void test_parse_good(void)
{
	static const struct fake_desc d[] = {
	    {"halt_successful_poll", 0, 0, 1, 0, 5},
	    {"halt_wakeup", 0, 0, 1, 24, 7},
	    {"halt_wait_ns", NS, -9, 1, 48, 123456789},
	    {"halt_wait_hist", NS | KVM_STATS_TYPE_LOG_HIST, -9, 32, 56, 0},
	    {"blocking", KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_BOOLEAN, 0, 1,
	     824, 1},
	    {"exits", 0, 0, 1, 904, 1000},
	    {"io_exits", 0, 0, 1, 912, 300},
	    {"mmio_exits", 0, 0, 1, 920, 200},
	    {"halt_exits", 0, 0, 1, 960, 9},
	};
	struct kvm_stats ks;
	struct kvm_stats_values v;

	CHECK_EQ(kvm_stats_parse(&ks, make_stats(d, 9, 1104)), 0);
	CHECK_EQ(ks.off[KVM_STAT_HALT_WAIT_NS], 48);
	CHECK_EQ(ks.span_start, 24);
	CHECK_EQ(ks.span_len, 968 - 24);
	CHECK_EQ(kvm_stats_read(&ks, &v), 0);
	CHECK_EQ(v.present, (1u << KVM_STAT_NR) - 1);
	CHECK_EQ(v.v[KVM_STAT_EXITS], 1000);
	CHECK_EQ(v.v[KVM_STAT_IO_EXITS], 300);
	CHECK_EQ(v.v[KVM_STAT_MMIO_EXITS], 200);
	CHECK_EQ(v.v[KVM_STAT_HALT_EXITS], 9);
	CHECK_EQ(v.v[KVM_STAT_HALT_WAKEUP], 7);
	CHECK_EQ(v.v[KVM_STAT_HALT_WAIT_NS], 123456789);
	CHECK_EQ(v.v[KVM_STAT_BLOCKING], 1);
	CHECK_EQ(v.v[KVM_STAT_HALT_WAITS], 0);
	/* Values change under a reader: the next read sees them. */
	uint64_t more = 1001, b2 = 3, b31 = 4;
	CHECK_EQ(pwrite(ks.fd, &more, 8, ks.data_offset + 904), 8);
	CHECK_EQ(pwrite(ks.fd, &b2, 8, ks.data_offset + 56 + 2 * 8), 8);
	CHECK_EQ(pwrite(ks.fd, &b31, 8, ks.data_offset + 56 + 31 * 8), 8);
	CHECK_EQ(kvm_stats_read(&ks, &v), 0);
	CHECK_EQ(v.v[KVM_STAT_EXITS], 1001);
	/* The histogram is reported as its total: halts that waited. */
	CHECK_EQ(v.v[KVM_STAT_HALT_WAITS], 7);
	CHECK_EQ(ks.size[KVM_STAT_HALT_WAITS], 32);
	CHECK(!strcmp(kvm_stat_name(KVM_STAT_HALT_WAITS), "halt_waits"));
	kvm_stats_close(&ks);
	CHECK_EQ(ks.fd, -1);
	CHECK_EQ(kvm_stats_read(&ks, &v), -EBADF);
	CHECK_EQ(v.present, 0);
	CHECK(!strcmp(kvm_stat_name(KVM_STAT_HALT_WAKEUP), "halt_wakeup"));
	CHECK(!strcmp(kvm_stat_name(99), "?"));
}

static void test_parse_partial(void)
{
	/* Wrong shapes are absent, not errors; so are missing names. */
	static const struct fake_desc d[] = {
	    {"halt_wait_ns", NS, -6, 1, 0, 1},		     /* microseconds */
	    {"exits", KVM_STATS_TYPE_LOG_HIST, 0, 32, 8, 1}, /* a histogram */
	    {"io_exits", 0, 0, 1, 0xfffffff8u, 1},	     /* absurd offset */
	    {"halt_exits", 0, 0, 1, 8000, 4},		     /* far away */
	    {"halt_wakeup", 0, 0, 1, 16, 3},
	    {"halt_wakeup", 0, 0, 1, 24, 99}, /* duplicate */
	    {"halt_wait_hist", KVM_STATS_TYPE_LOG_HIST, 0, 65, 0, 1},
	    {"halt_wait_hist", 0, 0, 1, 0, 1}, /* not a histogram */
	    /* Last, unterminated: an overread would leave the buffer. */
	    {"mmio_exits_and_a_name_that_fills_all_48_bytes___", 0, 0, 1, 32,
	     1},
	};
	struct kvm_stats ks;
	struct kvm_stats_values v;

	CHECK_EQ(kvm_stats_parse(&ks, make_stats(d, 9, 8008)), 0);
	CHECK_EQ(ks.off[KVM_STAT_HALT_WAIT_NS], -1);
	CHECK_EQ(ks.off[KVM_STAT_EXITS], -1);
	CHECK_EQ(ks.off[KVM_STAT_IO_EXITS], -1);
	CHECK_EQ(ks.off[KVM_STAT_MMIO_EXITS], -1);
	CHECK_EQ(ks.off[KVM_STAT_BLOCKING], -1);
	CHECK_EQ(ks.off[KVM_STAT_HALT_WAITS], -1);
	/* The span is too wide for one read: per-counter reads. */
	CHECK_EQ(kvm_stats_read(&ks, &v), 0);
	CHECK_EQ(v.present,
		 (1u << KVM_STAT_HALT_EXITS) | (1u << KVM_STAT_HALT_WAKEUP));
	CHECK_EQ(v.v[KVM_STAT_HALT_EXITS], 4);
	CHECK_EQ(v.v[KVM_STAT_HALT_WAKEUP], 3);
	kvm_stats_close(&ks);

	/* Nothing we know: fine, nothing present. */
	static const struct fake_desc other[] = {{"pf_fixed", 0, 0, 1, 0, 1}};
	CHECK_EQ(kvm_stats_parse(&ks, make_stats(other, 1, 8)), 0);
	CHECK_EQ(kvm_stats_read(&ks, &v), 0);
	CHECK_EQ(v.present, 0);
	kvm_stats_close(&ks);
}

static void test_parse_bad(void)
{
	static const struct fake_desc d[] = {{"exits", 0, 0, 1, 0, 1}};
	struct kvm_stats_header h;
	struct kvm_stats ks;
	struct kvm_stats_values v;
	int fd;

	/* Empty file: short header. */
	fd = memfd_create("empty", 0);
	CHECK_EQ(kvm_stats_parse(&ks, fd), -EIO);
	kvm_stats_close(&ks);

	/* Absurd header fields. */
	fd = make_stats(d, 1, 8);
	CHECK_EQ(pread(fd, &h, sizeof(h), 0), sizeof(h));
	h.num_desc = 1u << 30;
	CHECK_EQ(pwrite(fd, &h, sizeof(h), 0), sizeof(h));
	CHECK_EQ(kvm_stats_parse(&ks, fd), -EINVAL);
	kvm_stats_close(&ks);

	fd = make_stats(d, 1, 8);
	h.num_desc = 1;
	h.name_size = 0;
	CHECK_EQ(pwrite(fd, &h, sizeof(h), 0), sizeof(h));
	CHECK_EQ(kvm_stats_parse(&ks, fd), -EINVAL);
	kvm_stats_close(&ks);

	/* Descriptors past the end of the file. */
	fd = make_stats(d, 1, 8);
	CHECK_EQ(pread(fd, &h, sizeof(h), 0), sizeof(h));
	h.num_desc = 50;
	CHECK_EQ(pwrite(fd, &h, sizeof(h), 0), sizeof(h));
	CHECK_EQ(kvm_stats_parse(&ks, fd), -EIO);
	kvm_stats_close(&ks);

	/* Data block shorter than the descriptors say: read fails cleanly. */
	static const struct fake_desc far[] = {{"exits", 0, 0, 1, 64, 1}};
	CHECK_EQ(kvm_stats_parse(&ks, make_stats(far, 1, 8)), 0);
	CHECK_EQ(kvm_stats_read(&ks, &v), -EIO);
	CHECK_EQ(v.present, 0);
	kvm_stats_close(&ks);
}

/* Real KVM: returns 77 when /dev/kvm cannot make a VM and vCPU. */
static int test_real_kvm(void)
{
	static const uint8_t code[] = {
	    0xb0, 0x42, /* mov $0x42, %al */
	    0xe6, 0x10, /* out %al, $0x10 */
	    0xf4,	/* hlt */
	};
	struct kvm_userspace_memory_region region;
	struct kvm_stats_values v0, v1;
	struct kvm_stats ks;
	struct kvm_sregs sregs;
	struct kvm_regs regs = {.rip = 0x1000, .rflags = 2};
	struct kvm_run *run;
	int kvm, vm, vcpu, run_size;
	uint8_t *mem;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return 77;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return 77;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return 77;
	CHECK_EQ(kvm_stats_open(&ks, vcpu), 0);
	CHECK_EQ(kvm_stats_read(&ks, &v0), 0);
	/* In every kernel with binary stats (5.14+). */
	CHECK(v0.present & (1u << KVM_STAT_EXITS));
	CHECK(v0.present & (1u << KVM_STAT_IO_EXITS));
	CHECK(v0.present & (1u << KVM_STAT_HALT_EXITS));
	CHECK_EQ(v0.v[KVM_STAT_IO_EXITS], 0);
	for (unsigned int i = 0; i < KVM_STAT_NR; i++)
		printf("  %-14s %s\n", kvm_stat_name(i),
		       v0.present & (1u << i) ? "present" : "absent");

	mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(mem != MAP_FAILED);
	memcpy(mem + 0x1000, code, sizeof(code));
	region = (struct kvm_userspace_memory_region){
	    .slot = 0,
	    .guest_phys_addr = 0,
	    .memory_size = 0x10000,
	    .userspace_addr = (uintptr_t)mem,
	};
	CHECK_EQ(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region), 0);
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu, 0);
	CHECK(run != MAP_FAILED);
	CHECK_EQ(ioctl(vcpu, KVM_GET_SREGS, &sregs), 0);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	CHECK_EQ(ioctl(vcpu, KVM_SET_SREGS, &sregs), 0);
	CHECK_EQ(ioctl(vcpu, KVM_SET_REGS, &regs), 0);
	CHECK_EQ(ioctl(vcpu, KVM_RUN, 0), 0);
	CHECK_EQ(run->exit_reason, KVM_EXIT_IO);
	CHECK_EQ(run->io.port, 0x10);

	CHECK_EQ(kvm_stats_read(&ks, &v1), 0);
	/* PVM does not count io_exits; every vendor module counts exits. */
	CHECK(v1.v[KVM_STAT_EXITS] >= 1);
	CHECK(v1.v[KVM_STAT_IO_EXITS] <= 1);
	CHECK_EQ(v1.v[KVM_STAT_HALT_EXITS], 0);

	/* Then the HLT: with no in-kernel irqchip it exits to us. */
	CHECK_EQ(ioctl(vcpu, KVM_RUN, 0), 0);
	CHECK_EQ(run->exit_reason, KVM_EXIT_HLT);
	CHECK_EQ(kvm_stats_read(&ks, &v1), 0);
	CHECK_EQ(v1.v[KVM_STAT_HALT_EXITS], 1);
	CHECK_EQ(v1.v[KVM_STAT_BLOCKING], 0);
	kvm_stats_close(&ks);
	munmap(run, (size_t)run_size);
	close(vcpu);
	close(vm);
	close(kvm);
	munmap(mem, 0x10000);
	return 0;
}

int main(void)
{
	int r;

	test_parse_good();
	test_parse_partial();
	test_parse_bad();
	r = test_real_kvm();
	if (r == 77 && !check_failures) {
		printf(
		    "test_kvm_stats: /dev/kvm not usable, skipping its part\n");
		return 77;
	}
	return check_done("test_kvm_stats");
}

/* SPDX-License-Identifier: MIT */
/*
 * A vCPU's KVM binary statistics (Documentation/virt/kvm/api.rst,
 * KVM_GET_STATS_FD): the header and descriptors are parsed once into a
 * name -> offset map of the counters we use, then each read is one pread()
 * of the data block. Reading never stops the vCPU: unlike KVM_GET_* ioctls
 * it does not take the vCPU mutex, so any thread may read while the vCPU
 * thread sits in KVM_RUN. Counters the host kernel lacks are reported as
 * absent, never as an error.
 */
#ifndef VCPU_KVM_STATS_H
#define VCPU_KVM_STATS_H

#include <stdbool.h>
#include <stdint.h>

enum kvm_stat {
	KVM_STAT_EXITS,	       /* every VM exit */
	KVM_STAT_IO_EXITS,     /* exits to userspace for port I/O */
	KVM_STAT_MMIO_EXITS,   /* exits to userspace for MMIO */
	KVM_STAT_HALT_EXITS,   /* HLT instructions */
	KVM_STAT_HALT_WAKEUP,  /* wake-ups of a halted (blocked) vCPU */
	KVM_STAT_HALT_WAIT_NS, /* ns halted, credited when a halt ends */
	KVM_STAT_BLOCKING,     /* 1 while the vCPU is halted (instant) */
	KVM_STAT_HALT_WAITS,   /* halts that blocked and ended: the sum of
				* the "halt_wait_hist" log histogram */
	KVM_STAT_NR,
};

/* Descriptor sanity limits: far above what any kernel exports. */
#define KVM_STATS_MAX_NAME 4096
#define KVM_STATS_MAX_DESC 65536

struct kvm_stats {
	int fd;			  /* the stats fd, -1 when closed */
	uint64_t data_offset;	  /* of the data block in the file */
	uint32_t span_start;	  /* bytes of the data block one read covers */
	uint32_t span_len;	  /* 0: nothing present */
	int64_t off[KVM_STAT_NR]; /* in the data block; -1 absent */
	uint16_t size[KVM_STAT_NR]; /* u64 items (histogram buckets) */
};

struct kvm_stats_values {
	uint64_t v[KVM_STAT_NR];
	uint32_t present; /* bit (1 << enum kvm_stat) per value read */
};

/*
 * The name @s is reported under: KVM's own ("halt_wait_ns"...), except
 * "halt_waits" for KVM_STAT_HALT_WAITS. "?" out of range.
 */
const char *kvm_stat_name(unsigned int s);

/* Mark @ks closed with nothing present (so kvm_stats_close() is safe). */
void kvm_stats_init(struct kvm_stats *ks);

/*
 * KVM_GET_STATS_FD on @vcpu_fd, then kvm_stats_parse(). Any thread that
 * owns @vcpu_fd before the vCPU runs. Returns 0, or -errno (-ENOTTY on
 * kernels without binary stats) with @ks closed.
 */
int kvm_stats_open(struct kvm_stats *ks, int vcpu_fd);

/*
 * Parse the header and descriptors of the stats file @fd and keep @fd
 * (closed by kvm_stats_close(), also when this fails). A counter counts
 * as present only with its exact name, one u64 (halt_wait_hist: a log
 * histogram of at most 64 buckets) and a sane offset; halt_wait_ns must
 * be in nanoseconds. Returns 0 (even with nothing
 * present), or -EINVAL for a malformed header, -EIO for a short read,
 * -ENOMEM, or -errno of pread().
 */
int kvm_stats_parse(struct kvm_stats *ks, int fd);

/*
 * Read the current values: one pread() of the span that covers them.
 * Any thread, concurrently with others. Returns 0 (out->present says
 * what was read), or -errno with out->present 0.
 */
int kvm_stats_read(const struct kvm_stats *ks, struct kvm_stats_values *out);

/* Close the stats fd. */
void kvm_stats_close(struct kvm_stats *ks);

#endif /* VCPU_KVM_STATS_H */

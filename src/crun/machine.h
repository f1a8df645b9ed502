/* SPDX-License-Identifier: MIT */
/*
 * How big the container's VM is: the annotations vmm.cpus and vmm.mem
 * when given, else what the spec's resources allow, else the defaults
 * below. Pure functions of the spec and the host's CPU count.
 */
#ifndef CRUN_MACHINE_H
#define CRUN_MACHINE_H

#include <stddef.h>
#include <stdint.h>

struct oci_spec;

/* Without a memory limit or an annotation. */
#define MACHINE_DEFAULT_MEM (512ull << 20)
/* Without a CPU quota, a cpuset or an annotation: min(this, host CPUs). */
#define MACHINE_DEFAULT_CPUS 2u
/*
 * What the VMM itself (page tables, device buffers, the virtio-fs
 * server's descriptors) keeps for itself out of a memory limit, which
 * holds the VMM and the guest's RAM alike.
 */
#define MACHINE_MEM_HEADROOM (64ull << 20)
/* The least guest RAM a memory limit may leave. */
#define MACHINE_MIN_MEM (64ull << 20)

struct machine {
	unsigned int cpus;
	uint64_t mem; /* bytes, a multiple of 1 MiB */
};

/*
 * "512M", "2G", "1GiB", "1048576": a number, then optionally K, M, G or T
 * (powers of 1024, either case) and optionally "B" or "iB". 0 and
 * *@bytes, or -EINVAL with a reason in @err.
 */
int machine_parse_size(const char *s, uint64_t *bytes, char *err,
		       size_t err_len);

/*
 * The number of CPUs in a cpuset list ("0-3,8,10-11" is 7), or -EINVAL
 * for a malformed list.
 */
int machine_cpuset_count(const char *list);

/*
 * The VM for @spec on a host where this process may run on @host_cpus
 * CPUs. 0 and *@m, or -EINVAL with a one-line reason in @err (a bad
 * annotation, a memory limit too small for a VM).
 */
int machine_from_spec(const struct oci_spec *spec, unsigned int host_cpus,
		      struct machine *m, char *err, size_t err_len);

#endif /* CRUN_MACHINE_H */

/* SPDX-License-Identifier: MIT */
/*
 * The VM's vCPUs and memory from the annotations, the spec's resources or
 * the defaults (machine.h). A malformed annotation is an error, never
 * silently a default: the user asked for something we cannot give.
 */
#include "machine.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <vmm/vmm.h>

#include "oci.h"

#define MiB (1ull << 20)

/* Leading decimal digits of @s into *@v (no sign); the end, or NULL. */
static const char *parse_digits(const char *s, uint64_t *v)
{
	const char *p = s;

	*v = 0;
	for (; *p >= '0' && *p <= '9'; p++)
		if (__builtin_mul_overflow(*v, 10, v) ||
		    __builtin_add_overflow(*v, (uint64_t)(*p - '0'), v))
			return NULL;
	return p == s ? NULL : p;
}

int machine_parse_size(const char *s, uint64_t *bytes, char *err,
		       size_t err_len)
{
	static const char units[] = "kmgt";
	const char *p = parse_digits(s, bytes), *u;
	unsigned int shift = 0;

	if (p && *p && (u = strchr(units, *p | 0x20))) {
		shift = 10 * (unsigned int)(u - units + 1);
		p++;
		if (!strcasecmp(p, "b") || !strcasecmp(p, "ib"))
			p += strlen(p);
	}
	if (!p || *p || (shift && *bytes > (UINT64_MAX >> shift))) {
		snprintf(err, err_len,
			 "'%s' is not a size: want a number of bytes, or one "
			 "with K, M, G or T (powers of 1024), such as 512M or "
			 "2G",
			 s);
		return -EINVAL;
	}
	*bytes <<= shift;
	return 0;
}

int machine_cpuset_count(const char *list)
{
	const char *p = list;
	int n = 0;

	while (*p) {
		uint64_t a, b;

		p = parse_digits(p, &a);
		if (!p)
			return -EINVAL;
		b = a;
		if (*p == '-' && !(p = parse_digits(p + 1, &b)))
			return -EINVAL;
		if (b < a || b >= 65536 || (*p && *p != ','))
			return -EINVAL;
		n += (int)(b - a + 1);
		if (*p == ',' && !*++p)
			return -EINVAL; /* a trailing comma */
	}
	return n;
}

static int vcpus_of(const struct oci_spec *s, unsigned int host_cpus,
		    unsigned int *cpus, char *err, size_t err_len)
{
	const char *end;
	uint64_t n = 0;
	int set;

	if (s->ann_cpus) {
		end = parse_digits(s->ann_cpus, &n);
		if (!end || *end || n < 1 || n > VMM_MAX_VCPUS) {
			snprintf(err, err_len,
				 "annotation " OCI_ANN_CPUS "='%s': want a "
				 "number of vCPUs, 1..%d",
				 s->ann_cpus, VMM_MAX_VCPUS);
			return -EINVAL;
		}
		*cpus = (unsigned int)n;
		return 0;
	}
	/* A quota of 1.5 CPUs gets 2 vCPUs: a vCPU may idle, not split. */
	if (s->cpu_quota > 0 && s->cpu_period > 0)
		n = ((uint64_t)s->cpu_quota + s->cpu_period - 1) /
		    s->cpu_period;
	if (s->cpuset && *s->cpuset) {
		set = machine_cpuset_count(s->cpuset);
		if (set < 0) {
			snprintf(err, err_len,
				 "linux.resources.cpu.cpus '%s' is not a CPU "
				 "list",
				 s->cpuset);
			return -EINVAL;
		}
		n = n && n < (uint64_t)set ? n : (uint64_t)set;
	}
	if (!n)
		n = host_cpus && host_cpus < MACHINE_DEFAULT_CPUS
			? host_cpus
			: MACHINE_DEFAULT_CPUS;
	*cpus = n > VMM_MAX_VCPUS ? VMM_MAX_VCPUS : (unsigned int)n;
	return 0;
}

static int mem_of(const struct oci_spec *s, uint64_t *mem, char *err,
		  size_t err_len)
{
	uint64_t limit = s->mem_limit > 0 ? (uint64_t)s->mem_limit : 0;
	char why[160];

	if (s->ann_mem) {
		if (machine_parse_size(s->ann_mem, mem, why, sizeof(why))) {
			snprintf(err, err_len, "annotation " OCI_ANN_MEM ": %s",
				 why);
			return -EINVAL;
		}
		if (*mem < VMM_MIN_MEM || *mem > VMM_MAX_MEM) {
			snprintf(err, err_len,
				 "annotation " OCI_ANN_MEM "='%s': want 16M "
				 "to 1T",
				 s->ann_mem);
			return -EINVAL;
		}
		if (limit && *mem + MACHINE_MEM_HEADROOM > limit) {
			snprintf(err, err_len,
				 "annotation " OCI_ANN_MEM "='%s' does not fit "
				 "the container's memory limit of %llu MiB, "
				 "which also holds the VMM (%llu MiB)",
				 s->ann_mem, (unsigned long long)(limit / MiB),
				 MACHINE_MEM_HEADROOM / MiB);
			return -EINVAL;
		}
	} else if (limit) {
		if (limit < MACHINE_MIN_MEM + MACHINE_MEM_HEADROOM) {
			snprintf(err, err_len,
				 "the container's memory limit of %llu MiB is "
				 "too small for a VM: at least %llu MiB (%llu "
				 "for the guest, %llu for the VMM)",
				 (unsigned long long)(limit / MiB),
				 (MACHINE_MIN_MEM + MACHINE_MEM_HEADROOM) / MiB,
				 MACHINE_MIN_MEM / MiB,
				 MACHINE_MEM_HEADROOM / MiB);
			return -EINVAL;
		}
		*mem = limit - MACHINE_MEM_HEADROOM;
		if (*mem > VMM_MAX_MEM)
			*mem = VMM_MAX_MEM;
	} else {
		*mem = MACHINE_DEFAULT_MEM;
	}
	*mem &= ~(MiB - 1);
	return 0;
}

int machine_from_spec(const struct oci_spec *spec, unsigned int host_cpus,
		      struct machine *m, char *err, size_t err_len)
{
	int r = vcpus_of(spec, host_cpus, &m->cpus, err, err_len);

	return r ? r : mem_of(spec, &m->mem, err, err_len);
}

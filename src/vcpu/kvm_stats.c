/* SPDX-License-Identifier: MIT */
/*
 * KVM binary statistics of one vCPU. The file is laid out as
 * struct kvm_stats_header, an id string, num_desc descriptors of
 * sizeof(struct kvm_stats_desc) + name_size bytes each, and the data block
 * of u64 values (<linux/kvm.h>). Everything read from it is checked before
 * use: a kernel bug or an unexpected layout must not crash the VMM.
 */
#define pr_fmt(fmt) "kvm-stats: " fmt
#include "kvm_stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "base/log.h"
#include "base/util.h"

/* Largest span read with one pread(); wider layouts read per counter. */
#define KVM_STATS_MAX_SPAN 4096
/* Offsets beyond this are not believed. */
#define KVM_STATS_MAX_DATA (1u << 24)

/* Histograms longer than this are not believed. */
#define KVM_STATS_MAX_BUCKETS 64

/* The names KVM exports. */
static const char *const kvm_names[KVM_STAT_NR] = {
    [KVM_STAT_EXITS] = "exits",
    [KVM_STAT_IO_EXITS] = "io_exits",
    [KVM_STAT_MMIO_EXITS] = "mmio_exits",
    [KVM_STAT_HALT_EXITS] = "halt_exits",
    [KVM_STAT_HALT_WAKEUP] = "halt_wakeup",
    [KVM_STAT_HALT_WAIT_NS] = "halt_wait_ns",
    [KVM_STAT_BLOCKING] = "blocking",
    [KVM_STAT_HALT_WAITS] = "halt_wait_hist",
};

const char *kvm_stat_name(unsigned int s)
{
	if (s == KVM_STAT_HALT_WAITS)
		return "halt_waits";
	return s < KVM_STAT_NR ? kvm_names[s] : "?";
}

void kvm_stats_init(struct kvm_stats *ks)
{
	memset(ks, 0, sizeof(*ks));
	ks->fd = -1;
	for (unsigned int i = 0; i < KVM_STAT_NR; i++)
		ks->off[i] = -1;
}

void kvm_stats_close(struct kvm_stats *ks)
{
	if (ks->fd >= 0)
		close(ks->fd);
	kvm_stats_init(ks);
}

int kvm_stats_open(struct kvm_stats *ks, int vcpu_fd)
{
	int fd;

	kvm_stats_init(ks);
	fd = ioctl(vcpu_fd, KVM_GET_STATS_FD, NULL);
	if (fd < 0)
		return -errno;
	return kvm_stats_parse(ks, fd);
}

/* pread() all of @len or fail: -errno, or -EIO on a short read. */
static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* Is descriptor @d a counter we can use as @which? */
static bool desc_usable(const struct kvm_stats_desc *d, unsigned int which)
{
	uint32_t type = d->flags & KVM_STATS_TYPE_MASK;
	uint32_t unit = d->flags & KVM_STATS_UNIT_MASK;

	if (which == KVM_STAT_HALT_WAITS) {
		if (type != KVM_STATS_TYPE_LOG_HIST || !d->size ||
		    d->size > KVM_STATS_MAX_BUCKETS)
			return false;
	} else if (d->size != 1 || (type != KVM_STATS_TYPE_CUMULATIVE &&
				    type != KVM_STATS_TYPE_INSTANT &&
				    type != KVM_STATS_TYPE_PEAK)) {
		return false;
	}
	/* Both terms are bounded: no overflow. */
	if (d->offset > KVM_STATS_MAX_DATA - d->size * sizeof(uint64_t))
		return false;
	/* The one time counter: the model wants nanoseconds. */
	if (which == KVM_STAT_HALT_WAIT_NS)
		return unit == KVM_STATS_UNIT_SECONDS &&
		       (d->flags & KVM_STATS_BASE_MASK) ==
			   KVM_STATS_BASE_POW10 &&
		       d->exponent == -9;
	return true;
}

/* Match one descriptor of @desc_size bytes against the wanted names. */
static void parse_desc(struct kvm_stats *ks, const char *raw, size_t name_size)
{
	struct kvm_stats_desc d;
	const char *name = raw + sizeof(d);
	size_t len = strnlen(name, name_size);

	memcpy(&d, raw, sizeof(d));
	if (len == name_size)
		return; /* not NUL-terminated inside its field */
	for (unsigned int i = 0; i < KVM_STAT_NR; i++) {
		if (strcmp(name, kvm_names[i]) || ks->off[i] >= 0)
			continue;
		if (desc_usable(&d, i)) {
			ks->off[i] = d.offset;
			ks->size[i] = d.size;
		} else
			pr_debug("%s: unexpected layout (flags 0x%x size %u)",
				 name, d.flags, d.size);
	}
}

/* The byte range of the data block covering every present counter. */
static void compute_span(struct kvm_stats *ks)
{
	int64_t lo = -1, hi = -1;

	for (unsigned int i = 0; i < KVM_STAT_NR; i++) {
		if (ks->off[i] < 0)
			continue;
		if (lo < 0 || ks->off[i] < lo)
			lo = ks->off[i];
		if (ks->off[i] + 8 * ks->size[i] > hi)
			hi = ks->off[i] + 8 * ks->size[i];
	}
	ks->span_start = lo < 0 ? 0 : (uint32_t)lo;
	ks->span_len = lo < 0 ? 0 : (uint32_t)(hi - lo);
}

int kvm_stats_parse(struct kvm_stats *ks, int fd)
{
	struct kvm_stats_header h;
	size_t desc_size, total;
	char *descs;
	int r;

	kvm_stats_init(ks);
	ks->fd = fd;
	r = pread_all(fd, &h, sizeof(h), 0);
	if (r)
		return r;
	if (!h.name_size || h.name_size > KVM_STATS_MAX_NAME ||
	    h.num_desc > KVM_STATS_MAX_DESC)
		return -EINVAL;
	desc_size = sizeof(struct kvm_stats_desc) + h.name_size;
	/* Both factors are bounded above: this cannot overflow. */
	total = desc_size * h.num_desc;
	descs = malloc(total ? total : 1);
	if (!descs)
		return -ENOMEM;
	r = pread_all(fd, descs, total, h.desc_offset);
	if (!r) {
		for (size_t i = 0; i < h.num_desc; i++)
			parse_desc(ks, descs + i * desc_size, h.name_size);
		ks->data_offset = h.data_offset;
		compute_span(ks);
	}
	free(descs);
	return r;
}

/* Sum the @n u64 items at @p (one for a counter, all buckets else). */
static uint64_t sum_items(const uint8_t *p, unsigned int n)
{
	uint64_t v, sum = 0;

	for (unsigned int i = 0; i < n; i++) {
		memcpy(&v, p + i * sizeof(v), sizeof(v));
		sum += v;
	}
	return sum;
}

/* Fallback for a spread-out layout: one pread() per counter. */
static int read_each(const struct kvm_stats *ks, struct kvm_stats_values *out)
{
	uint8_t buf[KVM_STATS_MAX_BUCKETS * sizeof(uint64_t)];

	for (unsigned int i = 0; i < KVM_STAT_NR; i++) {
		int r;

		if (ks->off[i] < 0)
			continue;
		r = pread_all(ks->fd, buf, ks->size[i] * sizeof(uint64_t),
			      ks->data_offset + (uint64_t)ks->off[i]);
		if (r) {
			out->present = 0;
			return r;
		}
		out->v[i] = sum_items(buf, ks->size[i]);
		out->present |= 1u << i;
	}
	return 0;
}

int kvm_stats_read(const struct kvm_stats *ks, struct kvm_stats_values *out)
{
	uint8_t buf[KVM_STATS_MAX_SPAN];
	int r;

	memset(out, 0, sizeof(*out));
	if (ks->fd < 0)
		return -EBADF;
	if (!ks->span_len)
		return 0;
	if (ks->span_len > sizeof(buf))
		return read_each(ks, out);
	r = pread_all(ks->fd, buf, ks->span_len,
		      ks->data_offset + ks->span_start);
	if (r)
		return r;
	for (unsigned int i = 0; i < KVM_STAT_NR; i++) {
		if (ks->off[i] < 0)
			continue;
		out->v[i] =
		    sum_items(buf + (ks->off[i] - ks->span_start), ks->size[i]);
		out->present |= 1u << i;
	}
	return 0;
}

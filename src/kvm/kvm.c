/* SPDX-License-Identifier: MIT */
/*
 * /dev/kvm: open, API version, capabilities, supported CPUID.
 */
#define pr_fmt(fmt) "kvm: " fmt
#include "kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "base/log.h"
#include "base/util.h"

struct kvm_required_cap {
	long cap;
	const char *name;
};

#define CAP(c)                                                                 \
	{                                                                      \
		c, #c                                                          \
	}
/* Everything the VMM uses unconditionally. */
static const struct kvm_required_cap required_caps[] = {
    CAP(KVM_CAP_IRQCHIP), /* in-kernel LAPIC/IOAPIC/PIC */
    CAP(KVM_CAP_PIT2),	  /* in-kernel i8254 */
    CAP(KVM_CAP_HLT),
    CAP(KVM_CAP_USER_MEMORY),
    CAP(KVM_CAP_SET_TSS_ADDR),
    CAP(KVM_CAP_EXT_CPUID),
    CAP(KVM_CAP_IOEVENTFD),	 /* virtio doorbells without exits */
    CAP(KVM_CAP_IRQFD),		 /* interrupts from the io thread */
    CAP(KVM_CAP_IMMEDIATE_EXIT), /* race-free vCPU kick */
    CAP(KVM_CAP_MP_STATE),
    CAP(KVM_CAP_NR_MEMSLOTS),
};
#undef CAP

int kvm_cap(int fd, long cap)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

int kvm_open(char *err, size_t err_len)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int version;

	if (fd < 0) {
		int e = errno;

		snprintf(err, err_len, "/dev/kvm: %s", strerror(e));
		return -e;
	}
	version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		snprintf(err, err_len, "/dev/kvm: KVM API version %d, need %d",
			 version, KVM_API_VERSION);
		close(fd);
		return -ENOTSUP;
	}
	return fd;
}

int kvm_check_caps(int kvm_fd, char *err, size_t err_len)
{
	for (size_t i = 0; i < ARRAY_SIZE(required_caps); i++) {
		if (!kvm_cap(kvm_fd, required_caps[i].cap)) {
			snprintf(err, err_len,
				 "this host's KVM lacks %s, which vmm needs",
				 required_caps[i].name);
			return -ENOTSUP;
		}
	}
	return 0;
}

unsigned int kvm_max_vcpus(int kvm_fd)
{
	int max = kvm_cap(kvm_fd, KVM_CAP_MAX_VCPUS);

	/* api.rst: without KVM_CAP_MAX_VCPUS use KVM_CAP_NR_VCPUS. */
	if (max <= 0)
		max = kvm_cap(kvm_fd, KVM_CAP_NR_VCPUS);
	return max > 0 ? (unsigned int)max : 1;
}

int kvm_vcpu_mmap_size(int kvm_fd)
{
	int size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	return size < 0 ? -errno : size;
}

int kvm_supported_cpuid(int kvm_fd, struct kvm_cpuid2 **out)
{
	/* Grow the table until KVM stops answering E2BIG. */
	for (unsigned int n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c =
		    calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c)
			return -ENOMEM;
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			*out = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG)
			return -errno;
	}
	return -E2BIG;
}

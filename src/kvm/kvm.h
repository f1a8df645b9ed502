/* SPDX-License-Identifier: MIT */
/*
 * Thin wrappers for /dev/kvm and the capability checks. Every capability
 * the VMM relies on is listed once here, so a host that lacks one gets an
 * error naming it.
 */
#ifndef VMM_KVM_H
#define VMM_KVM_H

#include <stdbool.h>
#include <stddef.h>

struct kvm_cpuid2;

/*
 * Open /dev/kvm and check the API version. Returns the fd or -errno; on
 * error @err says why ("/dev/kvm: No such file or directory", "KVM API
 * version 11, need 12").
 */
int kvm_open(char *err, size_t err_len);

/*
 * Check every required capability. Returns 0 or -ENOTSUP with @err naming
 * the first one missing ("KVM_CAP_IOEVENTFD").
 */
int kvm_check_caps(int kvm_fd, char *err, size_t err_len);

/* KVM_CHECK_EXTENSION; returns the value (0 = absent). */
int kvm_cap(int fd, long cap);

/* Largest number of vCPUs this host's KVM accepts for one VM. */
unsigned int kvm_max_vcpus(int kvm_fd);

/* Size of the struct kvm_run mapping of a vCPU, or -errno. */
int kvm_vcpu_mmap_size(int kvm_fd);

/*
 * KVM_GET_SUPPORTED_CPUID into a malloc'd table; the caller frees it.
 * Returns 0 or -errno.
 */
int kvm_supported_cpuid(int kvm_fd, struct kvm_cpuid2 **out);

#endif /* VMM_KVM_H */

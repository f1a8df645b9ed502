// SPDX-License-Identifier: MIT
/*
 * kvm-probe: can this host's /dev/kvm run a guest? The test runner asks once
 * per run and, if the answer is no, runs every KVM-needing test in the
 * nested L1 instead (tests/run.sh, guests/l1/).
 *
 * "Usable" means: /dev/kvm exists and opens read-write, the API version is
 * 12, and a VM with one vCPU executes a few real-mode instructions
 * (mov al, 0x5a; out 0x10, al; hlt) to the expected KVM_EXIT_IO. Prints one
 * line, "usable" or the reason it is not (the runner quotes it), and exits
 * 0 when usable, 1 when not, 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

#define PROBE_PORT 0x10
#define PROBE_BYTE 0x5a
#define PROBE_MEM  0x1000

/* Real mode at 0:0. */
static const unsigned char probe_code[] = {
    0xb0, PROBE_BYTE, /* mov al, PROBE_BYTE */
    0xe6, PROBE_PORT, /* out PROBE_PORT, al */
    0xf4,	      /* hlt */
};

struct probe {
	int kvm, vm, vcpu;
	void *mem;
	struct kvm_run *run;
	size_t run_size;
	char why[160];
};

static int fail(struct probe *p, const char *what, int err)
{
	snprintf(p->why, sizeof(p->why), "%s: %s", what, strerror(err));
	return -err;
}

static int probe_vcpu(struct probe *p)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = {.rflags = 2, .rip = 0};
	int mmap_size;

	p->vcpu = ioctl(p->vm, KVM_CREATE_VCPU, 0);
	if (p->vcpu < 0)
		return fail(p, "KVM_CREATE_VCPU", errno);
	mmap_size = ioctl(p->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < (int)sizeof(*p->run))
		return fail(p, "KVM_GET_VCPU_MMAP_SIZE",
			    mmap_size < 0 ? errno : EINVAL);
	p->run_size = (size_t)mmap_size;
	p->run = mmap(NULL, p->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      p->vcpu, 0);
	if (p->run == MAP_FAILED) {
		p->run = NULL;
		return fail(p, "mmap kvm_run", errno);
	}
	if (ioctl(p->vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail(p, "KVM_GET_SREGS", errno);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(p->vcpu, KVM_SET_SREGS, &sregs) < 0)
		return fail(p, "KVM_SET_SREGS", errno);
	if (ioctl(p->vcpu, KVM_SET_REGS, &regs) < 0)
		return fail(p, "KVM_SET_REGS", errno);
	return 0;
}

static int probe_run(struct probe *p)
{
	struct kvm_userspace_memory_region region = {
	    .slot = 0,
	    .guest_phys_addr = 0,
	    .memory_size = PROBE_MEM,
	};
	const unsigned char *data;
	int api, r;

	p->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (p->kvm < 0) {
		if (errno == ENOENT) {
			snprintf(p->why, sizeof(p->why), "absent");
			return -ENOENT;
		}
		return fail(p, "open /dev/kvm", errno);
	}
	api = ioctl(p->kvm, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		snprintf(p->why, sizeof(p->why), "KVM API version %d, want %d",
			 api, KVM_API_VERSION);
		return -EINVAL;
	}
	p->vm = ioctl(p->kvm, KVM_CREATE_VM, 0);
	if (p->vm < 0)
		return fail(p, "KVM_CREATE_VM", errno);
	p->mem = mmap(NULL, PROBE_MEM, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->mem == MAP_FAILED) {
		p->mem = NULL;
		return fail(p, "mmap guest memory", errno);
	}
	memcpy(p->mem, probe_code, sizeof(probe_code));
	region.userspace_addr = (__u64)(unsigned long)p->mem;
	if (ioctl(p->vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail(p, "KVM_SET_USER_MEMORY_REGION", errno);
	r = probe_vcpu(p);
	if (r < 0)
		return r;
	do {
		r = ioctl(p->vcpu, KVM_RUN, 0);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return fail(p, "KVM_RUN", errno);
	data = (const unsigned char *)p->run + p->run->io.data_offset;
	if (p->run->exit_reason != KVM_EXIT_IO ||
	    p->run->io.direction != KVM_EXIT_IO_OUT ||
	    p->run->io.port != PROBE_PORT || p->run->io.size != 1 ||
	    p->run->io.data_offset + 1 > p->run_size || *data != PROBE_BYTE) {
		snprintf(
		    p->why, sizeof(p->why),
		    "a test vCPU did not reach its I/O exit (exit reason %u)",
		    p->run->exit_reason);
		return -EIO;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct probe p = {.kvm = -1, .vm = -1, .vcpu = -1};
	int r;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: kvm-probe\n");
		return 2;
	}
	r = probe_run(&p);
	if (p.run)
		munmap(p.run, p.run_size);
	if (p.mem)
		munmap(p.mem, PROBE_MEM);
	if (p.vcpu >= 0)
		close(p.vcpu);
	if (p.vm >= 0)
		close(p.vm);
	if (p.kvm >= 0)
		close(p.kvm);
	printf("%s\n", r == 0 ? "usable" : p.why);
	return r == 0 ? 0 : 1;
}

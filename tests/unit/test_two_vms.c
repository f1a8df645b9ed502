/* SPDX-License-Identifier: MIT */
/*
 * Two VMs in one process, at the same time, through the public API only
 * (<vmm/vmm.h>): the library keeps no global state, so each VM boots its
 * own hello guest, with its own vCPUs, io thread and serial file, and
 * reports its own exit. Needs /dev/kvm and the hello guest
 * (O/guests/hello.bzImage); skips (77) without them.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vmm/vmm.h>

#include "check.h"
#include "files.h"

int main(void)
{
	const char *out = getenv("O") ? getenv("O") : "build";
	char kernel[256], dir[] = "/tmp/two-vms-XXXXXX";
	struct vmm *vms[2];
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	snprintf(kernel, sizeof(kernel), "%s/guests/hello.bzImage", out);
	if (fd < 0 || access(kernel, R_OK) != 0) {
		printf("skip: needs /dev/kvm and %s\n", kernel);
		return 77;
	}
	close(fd);
	if (!mkdtemp(dir))
		return 1;
	for (int i = 0; i < 2; i++) {
		char serial[96], cmdline[96];

		snprintf(serial, sizeof(serial), "file:%s/serial%d", dir, i);
		/* Different shapes, so a mix-up would show in the checks. */
		snprintf(cmdline, sizeof(cmdline), "mem_mb=%d cpus=%d",
			 i ? 128 : 64, i ? 2 : 1);
		CHECK_EQ(vmm_create(&vms[i]), 0);
		CHECK_EQ(vmm_set_machine(vms[i], i ? 2 : 1,
					 (i ? 128ULL : 64ULL) << 20),
			 0);
		CHECK_EQ(vmm_set_kernel(vms[i], kernel, NULL, cmdline), 0);
		CHECK_EQ(vmm_add_serial(vms[i], serial), 0);
		CHECK_EQ(vmm_set_debug_exit(vms[i], 1), 0);
	}
	for (int i = 0; i < 2; i++)
		CHECK_EQ(vmm_start(vms[i]), 0);
	for (int i = 0; i < 2; i++) {
		struct vmm_exit ex;
		char path[128];

		CHECK_EQ(vmm_wait(vms[i], &ex), 0);
		CHECK_EQ(ex.reason, VMM_EXIT_DEBUG);
		CHECK_EQ(ex.status, 0);
		vmm_destroy(vms[i]);
		snprintf(path, sizeof(path), "%s/serial%d", dir, i);
		CHECK(file_has(path, "SUCCESS"));
		CHECK(file_has(path, i ? "MADT 2 CPUs" : "MADT 1 CPUs"));
		unlink(path);
	}
	rmdir(dir);
	return check_done("test_two_vms");
}

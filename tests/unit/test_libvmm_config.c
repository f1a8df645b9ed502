/* SPDX-License-Identifier: MIT */
/*
 * The public API's configuration calls for disks, nets, vsock, file
 * systems, the io loop, the runner control port and the console size,
 * without KVM: what they accept, what they refuse (status and
 * vmm_last_error()), and that a refused call leaves the VM as it was.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <vmm/vmm.h>

#include "check.h"

static void test_nets(void)
{
	struct vmm *vm;

	CHECK_EQ(vmm_create(&vm), 0);
	CHECK_EQ(vmm_add_net(vm, "tap=tap0"), 0);
	CHECK_EQ(
	    vmm_add_net(vm, "socket=/run/passt.sock,mac=52:54:00:ab:cd:ef"), 0);
	CHECK_EQ(vmm_add_net(vm, "tap=tap1,mac=52:54:00:zz:cd:ef"), -EINVAL);
	CHECK(strstr(vmm_last_error(vm), "mac"));
	CHECK_EQ(vmm_add_net(vm, "user"), -EINVAL);
	CHECK(strstr(vmm_last_error(vm), "user"));
	CHECK_EQ(vmm_add_net(vm, NULL), -EINVAL);
	CHECK_EQ(vmm_add_net(vm, "fd=3"), 0);
	CHECK_EQ(vmm_add_net(vm, "socket=/x"), 0);
	/* Four in all; refused calls did not count. */
	CHECK_EQ(vmm_add_net(vm, "socket=/y"), -ENOSPC);
	CHECK(strstr(vmm_last_error(vm), "more than 4"));
	vmm_destroy(vm);
}

static void test_vsock(void)
{
	char longpath[200];
	struct vmm *vm;

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	CHECK_EQ(vmm_create(&vm), 0);
	CHECK_EQ(vmm_add_vsock(vm, 2, "/tmp/v.sock"), -EINVAL);
	CHECK(strstr(vmm_last_error(vm), "cid 2"));
	CHECK_EQ(vmm_add_vsock(vm, 0xffffffffu, "/tmp/v.sock"), -EINVAL);
	CHECK_EQ(vmm_add_vsock(vm, 3, ""), -EINVAL);
	CHECK_EQ(vmm_add_vsock(vm, 3, NULL), -EINVAL);
	CHECK_EQ(vmm_add_vsock(vm, 3, longpath), -ENAMETOOLONG);
	/* sun_path (108) less "_4294967295" and its NUL: 96 bytes fit. */
	longpath[96] = '\0';
	CHECK_EQ(vmm_add_vsock(vm, 3, longpath), 0);
	CHECK_EQ(vmm_add_vsock(vm, 4, "/tmp/w.sock"), -EEXIST);
	vmm_destroy(vm);

	CHECK_EQ(vmm_create(&vm), 0);
	longpath[96] = 'a';
	longpath[97] = '\0';
	CHECK_EQ(vmm_add_vsock(vm, 3, longpath), -ENAMETOOLONG);
	CHECK_EQ(vmm_add_vsock(vm, 0xfffffffeu, "/tmp/v.sock"), 0);
	vmm_destroy(vm);
}

static void test_fs(void)
{
	char tag[40];
	struct vmm *vm;

	memset(tag, 't', sizeof(tag) - 1);
	tag[sizeof(tag) - 1] = '\0';
	CHECK_EQ(vmm_create(&vm), 0);
	CHECK_EQ(vmm_add_fs(vm, "", "/srv", 0), -EINVAL);
	CHECK_EQ(vmm_add_fs(vm, NULL, "/srv", 0), -EINVAL);
	CHECK_EQ(vmm_add_fs(vm, tag, "/srv", 0), -EINVAL); /* 39 bytes */
	CHECK(strstr(vmm_last_error(vm), "1 to 36 bytes"));
	CHECK_EQ(vmm_add_fs(vm, "share", "", 0), -EINVAL);
	CHECK_EQ(vmm_add_fs(vm, "share", "/srv", 0x2), -EINVAL);
	tag[36] = '\0';
	CHECK_EQ(vmm_add_fs(vm, tag, "/srv", VMM_FS_READONLY), 0);
	CHECK_EQ(vmm_add_fs(vm, tag, "/srv", 0), -EEXIST); /* tag taken */
	for (unsigned int i = 1; i < VMM_MAX_FS; i++) {
		tag[0] = (char)('a' + i);
		CHECK_EQ(vmm_add_fs(vm, tag, "/srv", 0), 0);
	}
	CHECK_EQ(vmm_add_fs(vm, "another", "/srv", 0), -ENOSPC);
	vmm_destroy(vm);
}

static void test_disks(void)
{
	struct vmm *vm;

	CHECK_EQ(vmm_create(&vm), 0);
	CHECK_EQ(vmm_add_disk(vm, "/a.img", 0x4, NULL), -EINVAL);
	CHECK_EQ(vmm_add_disk(vm, "", 0, NULL), -EINVAL);
	CHECK_EQ(vmm_add_disk(vm, "/a.img", 0, "123456789012345678901"),
		 -EINVAL);
	for (int i = 0; i < VMM_MAX_DISKS; i++)
		CHECK_EQ(vmm_add_disk(vm, "/a.img", VMM_DISK_READONLY, "s"), 0);
	CHECK_EQ(vmm_add_disk(vm, "/a.img", 0, NULL), -ENOSPC);
	vmm_destroy(vm);
}

static void test_io_loop(void)
{
	struct vmm *vm;

	CHECK_EQ(vmm_create(&vm), 0);
	CHECK_EQ(vmm_set_io_loop(vm, VMM_IO_LOOP_EPOLL), 0);
	CHECK_EQ(vmm_set_io_loop(vm, VMM_IO_LOOP_URING), 0);
	CHECK_EQ(vmm_set_io_loop(vm, VMM_IO_LOOP_AUTO), 0);
	CHECK_EQ(vmm_set_io_loop(vm, (enum vmm_io_loop)3), -EINVAL);
	CHECK(strstr(vmm_last_error(vm), "auto, uring or epoll"));
	CHECK_EQ(vmm_set_io_loop(vm, (enum vmm_io_loop) - 1), -EINVAL);
	vmm_destroy(vm);
}

static void test_runner(void)
{
	char name[16];
	struct vmm *vm;

	CHECK_EQ(vmm_create(&vm), 0);
	/* Before the start there is nothing to signal. */
	CHECK_EQ(vmm_signal_workload(vm, 15), -EINVAL);
	CHECK(strstr(vmm_last_error(vm), "not started"));
	CHECK_EQ(vmm_add_console(vm, "vmm.ctl", "none"), 0);
	CHECK_EQ(vmm_add_runner_control(vm), -EEXIST);
	CHECK(strstr(vmm_last_error(vm), "vmm.ctl"));
	vmm_destroy(vm);

	CHECK_EQ(vmm_create(&vm), 0);
	CHECK_EQ(vmm_add_runner_control(vm), 0);
	CHECK_EQ(vmm_add_runner_control(vm), -EEXIST);
	CHECK_EQ(vmm_add_console(vm, "vmm.ctl", "none"), -EEXIST);
	/* The control port takes one of the 16 named ports. */
	for (int i = 0; i < VMM_MAX_CONSOLE_PORTS - 1; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		CHECK_EQ(vmm_add_console(vm, name, "none"), 0);
	}
	CHECK_EQ(vmm_add_console(vm, "one-more", "none"), -ENOSPC);
	vmm_destroy(vm);

	CHECK_EQ(vmm_create(&vm), 0);
	for (int i = 0; i < VMM_MAX_CONSOLE_PORTS; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		CHECK_EQ(vmm_add_console(vm, name, "none"), 0);
	}
	CHECK_EQ(vmm_add_runner_control(vm), -ENOSPC);
	vmm_destroy(vm);
}

static void test_console_size(void)
{
	struct vmm *vm;

	CHECK_EQ(vmm_create(&vm), 0);
	CHECK_EQ(vmm_set_console_size(vm, 80, 24), 0);
	CHECK_EQ(vmm_set_console_size(vm, 65535, 1), 0);
	CHECK_EQ(vmm_set_console_size(vm, 0, 24), -EINVAL);
	CHECK(strstr(vmm_last_error(vm), "0x24"));
	CHECK_EQ(vmm_set_console_size(vm, 80, 65536), -EINVAL);
	CHECK_EQ(vmm_set_console_size(NULL, 80, 24), -EINVAL);
	vmm_destroy(vm);
}

int main(void)
{
	test_fs();
	test_nets();
	test_vsock();
	test_disks();
	test_io_loop();
	test_runner();
	test_console_size();
	return check_done("test_libvmm_config");
}

/* SPDX-License-Identifier: MIT */
/*
 * The runner's port lookup (guests/runner/ports.c) against a fake sysfs in
 * a temporary directory: class/virtio-ports/<dev>/name as the virtio
 * console driver writes it ("NAME\n"), ports without a name, names that
 * only share a prefix, a DEV buffer too small, no class directory, and a
 * port whose name appears while port_wait() waits.
 */
#include "guests/runner/ports.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static char root[] = "/tmp/test_runner_ports.XXXXXX";

/* A port directory DEV, with a name file holding TEXT unless it is NULL. */
static void add_port(const char *dev, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/class/virtio-ports/%s", root, dev);
	CHECK_EQ(mkdir(path, 0755), 0);
	if (!text)
		return;
	snprintf(path, sizeof(path), "%s/class/virtio-ports/%s/name", root,
		 dev);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void test_find(void)
{
	char dev[32];

	CHECK_EQ(port_find(root, "vmm.ctl", dev, sizeof(dev)), 0);
	CHECK(!strcmp(dev, "vport0p1"));
	/* Not vport0p5, "vmm.stdout2", nor vport0p6, "vmm.stdout\n\n". */
	CHECK_EQ(port_find(root, "vmm.stdout", dev, sizeof(dev)), 0);
	CHECK(!strcmp(dev, "vport0p2"));
	/* A name file without its '\n' matches too. */
	CHECK_EQ(port_find(root, "vmm.stdin", dev, sizeof(dev)), 0);
	CHECK(!strcmp(dev, "vport0p4"));
	CHECK_EQ(port_find(root, "vmm.stdout2", dev, sizeof(dev)), 0);
	CHECK(!strcmp(dev, "vport0p5"));
	CHECK_EQ(port_find(root, "vmm.std", dev, sizeof(dev)), -ENOENT);
	CHECK_EQ(port_find(root, "vmm.stderr", dev, sizeof(dev)), -ENOENT);
	CHECK_EQ(port_find(root, "VMM.CTL", dev, sizeof(dev)), -ENOENT);
	/* "vport0p1" and its NUL need 9 bytes. */
	CHECK_EQ(port_find(root, "vmm.ctl", dev, 8), -ENAMETOOLONG);
	CHECK_EQ(port_find(root, "vmm.ctl", dev, 9), 0);
	/* No class directory (no driver) at all. */
	CHECK_EQ(port_find("/nonexistent", "vmm.ctl", dev, sizeof(dev)),
		 -ENOENT);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_wait(void)
{
	char dev[32];
	double t0 = now();
	pid_t pid;
	int ws;

	CHECK_EQ(port_wait(root, "vmm.ctl", dev, sizeof(dev), 1000), 0);
	CHECK(now() - t0 < 0.5);
	t0 = now();
	CHECK_EQ(port_wait(root, "vmm.nothing", dev, sizeof(dev), 50), -ENOENT);
	CHECK(now() - t0 >= 0.05);

	/* The driver names a port after the directory appears. */
	pid = fork();
	if (!pid) {
		usleep(100 * 1000);
		add_port("vport1p1", "vmm.late\n");
		_exit(0);
	}
	CHECK_EQ(port_wait(root, "vmm.late", dev, sizeof(dev), 5000), 0);
	CHECK(!strcmp(dev, "vport1p1"));
	CHECK_EQ(waitpid(pid, &ws, 0), pid);
}

int main(void)
{
	char path[256];

	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/class", root);
	CHECK_EQ(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/class/virtio-ports", root);
	CHECK_EQ(mkdir(path, 0755), 0);
	add_port("vport0p1", "vmm.ctl\n");
	add_port("vport0p2", "vmm.stdout\n");
	add_port("vport0p3", NULL);
	add_port("vport0p4", "vmm.stdin");
	add_port("vport0p5", "vmm.stdout2\n");
	add_port("vport0p6", "vmm.stdout\n\n");
	add_port("vport0p7", "");
	test_find();
	test_wait();
	nftw(root, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return check_done("test_runner_ports");
}

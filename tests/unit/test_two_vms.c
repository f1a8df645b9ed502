/* SPDX-License-Identifier: MIT */
/*
 * Two VMs in one process, at the same time: the VMM keeps no global state,
 * so each VM boots its own hello guest, with its own vCPUs, io loop and
 * serial file, and reports its own exit status. Needs /dev/kvm and the
 * hello guest (O/guests/hello.bzImage); skips (77) without them.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "vm/vm.h"

struct run {
	struct vm_config cfg;
	char serial[96];
	char cmdline[96];
	struct vm vm;
	int status;
};

static void *run_vm(void *arg)
{
	struct run *r = arg;

	r->status = vm_run(&r->vm);
	return NULL;
}

static bool file_has(const char *path, const char *needle)
{
	char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

int main(void)
{
	const char *out = getenv("O") ? getenv("O") : "build";
	char kernel[256], err[256], dir[] = "/tmp/two-vms-XXXXXX";
	struct run runs[2];
	pthread_t threads[2];
	int fd = open("/dev/kvm", O_RDWR);

	snprintf(kernel, sizeof(kernel), "%s/guests/hello.bzImage", out);
	if (fd < 0 || access(kernel, R_OK) != 0) {
		printf("skip: needs /dev/kvm and %s\n", kernel);
		return 77;
	}
	close(fd);
	if (!mkdtemp(dir))
		return 1;
	memset(runs, 0, sizeof(runs));
	for (int i = 0; i < 2; i++) {
		struct run *r = &runs[i];
		int status;

		snprintf(r->serial, sizeof(r->serial), "file:%s/serial%d", dir,
			 i);
		/* Different shapes, so a mix-up would show in the checks. */
		snprintf(r->cmdline, sizeof(r->cmdline), "mem_mb=%d cpus=%d",
			 i ? 128 : 64, i ? 2 : 1);
		r->cfg = (struct vm_config){
		    .kernel = kernel,
		    .cmdline = r->cmdline,
		    .mem_size = (i ? 128ULL : 64ULL) << 20,
		    .nr_cpus = i ? 2 : 1,
		    .serial = r->serial,
		    .sample_ms = 10,
		    .debug_exit = true,
		};
		CHECK_EQ(vm_create(&r->vm, &r->cfg, err, sizeof(err), &status),
			 0);
	}
	for (int i = 0; i < 2; i++)
		CHECK_EQ(pthread_create(&threads[i], NULL, run_vm, &runs[i]),
			 0);
	for (int i = 0; i < 2; i++) {
		char path[128];

		pthread_join(threads[i], NULL);
		vm_destroy(&runs[i].vm);
		CHECK_EQ(runs[i].status, 0);
		snprintf(path, sizeof(path), "%s/serial%d", dir, i);
		CHECK(file_has(path, "SUCCESS"));
		CHECK(file_has(path, i ? "MADT 2 CPUs" : "MADT 1 CPUs"));
		unlink(path);
	}
	rmdir(dir);
	return check_done("test_two_vms");
}

/* SPDX-License-Identifier: MIT */
/*
 * Load: 32 VMs at once (48 vCPU threads, 32 io threads on this
 * machine's 2 cores), each with a serial console in a file and a
 * virtio-blk disk, through the public API; three shapes, one after the
 * other: one process with all 32 VMs, 16 processes with two each, 32
 * processes with one each. Half the VMs run guests/vblk's pattern test on
 * their disk (written, flushed, read back and compared in the guest), on
 * one vCPU; the other half guests/smp, which starts its second vCPU.
 * (Two vCPUs for vblk would leave one parked in wait-for-SIPI all along:
 * in the nested L1 that made QEMU TCG's emulated SVM start about one
 * such VM in 250 with the L1 host's own registers, rip in kvm_amd, an
 * L2 that spins on nested page faults or triple-faults, in 3 of 4 runs
 * of this test; with one vCPU, 0 of 4.) Every VM must end with its
 * guest's status 0 and its lines in its console file; the disk images
 * must hold data where the pattern went. In each process, after its VMs
 * are destroyed, twice over: the same open descriptors as before,
 * malloc's bytes in use (one arena, no per-thread cache) after the second
 * round within one smallest chunk per VM of the first, and the address
 * space within glibc's cache of thread stacks of its size before (larger
 * by the guests' RAM while they ran). A VM still running after
 * VM_LIMIT_S is stopped and shown: its console, queues, vCPU counters,
 * where its vCPUs were and (with tracefs) what they exited for. Needs
 * /dev/kvm and the test guests (skips, 77).
 *   test_load_vms                 the three shapes (forks itself)
 *   test_load_vms --vms N --id I  one process of N VMs (the children)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vmm/vmm.h>

#include "check.h"
#include "files.h"

/*
 * Under a sanitizer (CI runs the unit tier under ASan and TSan too) 8 VMs:
 * there every VM costs four times the time, and 8 already run 16 vCPUs
 * over the 2 cores, as 1x8, 4x2 and 8x1.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TOTAL_VMS 8
#else
#define TOTAL_VMS 32
#endif
#define GUEST_MEM  (64ULL << 20)
#define DISK_BYTES (512 * 512) /* vblk.cap=512 sectors */
#define MIN_CHUNK  32	       /* bytes: malloc's smallest chunk on 64-bit */
/*
 * A child process that has not ended after this long is stuck (in the
 * nested L1 an L2 has, rarely, stopped making progress): it dies by
 * SIGALRM and says so through its parent, long before tests/run.sh's
 * limit for the whole test, whose retry then starts sooner. Its shapes
 * take 20 to 60 s.
 */
#define CHILD_LIMIT_S 300
/*
 * A VM still running this long after its round started is stopped and
 * its final statistics (queues and vCPUs) printed: what a stall looked
 * like, before the child's limit ends everything.
 */
#define VM_LIMIT_S	120
#define STACK_CACHE_KIB (48 * 1024) /* glibc's stack cache, and slack */

static const char *out_dir = "build";
static char work[64];		   /* the scratch directory of the whole run */
static char where[TOTAL_VMS][512]; /* per VM: where its vCPUs stopped */
static pthread_mutex_t where_lock = PTHREAD_MUTEX_INITIALIZER;

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* VmSize of this process, in KiB. */
static long vm_size_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* Disk @k: written by the pattern test (even k) or left zero (odd k). */
static bool disk_written(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool any = false;

	if (fd < 0)
		return false;
	while (!any && read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf))
		for (size_t i = 0; i < sizeof(buf) && !any; i++)
			any = buf[i] != 0;
	close(fd);
	return any;
}

/*
 * Debug lines saying where a vCPU left the guest, kept in memory: the
 * callback runs on the VM's threads, under their seccomp filters.
 */
static void log_where(void *opaque, enum vmm_log_level level, const char *line)
{
	char *buf = opaque;
	size_t len;

	if (level <= VMM_LOG_WARN) {
		fprintf(stderr, "vmm: %s\n", line);
		return;
	}
	if (!strstr(line, "left the guest"))
		return;
	/* A VM's vCPU threads may log at once. */
	pthread_mutex_lock(&where_lock);
	len = strnlen(buf, sizeof(where[0]));
	if (len < sizeof(where[0]) - 1)
		snprintf(buf + len, sizeof(where[0]) - len, "%s\n", line);
	pthread_mutex_unlock(&where_lock);
}

/* VM number @k (0..31 over the whole run), configured, not started. */
static struct vmm *make_vm(unsigned int k)
{
	char kernel[256], serial[160], disk[128], stats[128], cmdline[160];
	bool pattern = k % 2 == 0;
	struct vmm *vm;
	int fd;

	snprintf(kernel, sizeof(kernel), "%s/guests/%s.bzImage", out_dir,
		 pattern ? "vblk" : "smp");
	snprintf(serial, sizeof(serial), "file:%s/serial%u", work, k);
	snprintf(disk, sizeof(disk), "%s/disk%u", work, k);
	snprintf(stats, sizeof(stats), "%s/stats%u", work, k);
	where[k][0] = 0;
	if (pattern)
		snprintf(cmdline, sizeof(cmdline),
			 "vblk=pattern vblk.seed=%u vblk.start=0 "
			 "vblk.sectors=256 vblk.cap=512",
			 100 + k);
	else
		snprintf(cmdline, sizeof(cmdline), "cpus=2");
	fd = open(disk, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, DISK_BYTES)) {
		fprintf(stderr, "%s: %s\n", disk, strerror(errno));
		return NULL;
	}
	close(fd);
	if (vmm_create(&vm))
		return NULL;
	if (vmm_set_machine(vm, pattern ? 1 : 2, GUEST_MEM) ||
	    vmm_set_kernel(vm, kernel, NULL, cmdline) ||
	    vmm_add_serial(vm, serial) || vmm_set_debug_exit(vm, 1) ||
	    vmm_add_disk(vm, disk, 0, NULL) || vmm_set_stats_file(vm, stats) ||
	    vmm_set_log(vm, VMM_LOG_DEBUG, log_where, where[k])) {
		fprintf(stderr, "vm %u: %s\n", k, vmm_last_error(vm));
		vmm_destroy(vm);
		return NULL;
	}
	return vm;
}

/* The guest of VM @k said what it should, and its disk shows it. */
static bool vm_output_ok(unsigned int k)
{
	char serial[160], disk[128];

	snprintf(serial, sizeof(serial), "%s/serial%u", work, k);
	snprintf(disk, sizeof(disk), "%s/disk%u", work, k);
	if (k % 2 == 0)
		return file_has(serial, "vblk: pattern 256 sectors from 0: ") &&
		       !file_has(serial, "FAIL") && disk_written(disk);
	return file_has(serial, "APS_STARTED=1") && file_has(serial, "SUCCESS");
}

/* The last lines of VM @k's console, for a VM that did not end. */
static void print_tail(unsigned int k)
{
	char path[160], line[256], last[4][256] = {{0}};
	unsigned int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/serial%u", work, k);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		snprintf(last[n++ % 4], sizeof(last[0]), "%s", line);
	fclose(f);
	fprintf(stderr, "    vm %u: %u lines, the last:\n", k, n);
	for (unsigned int i = n > 4 ? n - 4 : 0; i < n; i++)
		fprintf(stderr, "      %s", last[i % 4]);
}

/* The lines of VM @k's statistics that show where it stood. */
static void print_stats(unsigned int k)
{
	static const char *const keys[] = {
	    "\"state\"",       "\"exits\"",	  "\"mmio_exits\"",
	    "\"halt_exits\"",  "\"status\"",	  "\"int_status\"",
	    "\"avail\"",       "\"last_avail\"",  "\"used\"",
	    "\"used_event\"",  "\"avail_event\"", "\"polled\"",
	    "\"reads\"",       "\"writes\"",	  "\"io_exits\"",
	    "\"halt_wakeup\"", "\"running\"",	  "\"runnable\"",
	    "\"blocked\""};
	char path[128], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/stats%u", work, k);
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "    vm %u: no statistics\n", k);
		return;
	}
	fprintf(stderr, "    vm %u, stopped, its statistics:\n", k);
	while (fgets(line, sizeof(line), f))
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strstr(line, keys[i])) {
				fprintf(stderr, "     %s", line);
				break;
			}
	fclose(f);
	pthread_mutex_lock(&where_lock);
	fprintf(stderr, "%s", where[k]);
	pthread_mutex_unlock(&where_lock);
}

/* Write @text to the tracefs file @name; false if it could not. */
static bool trace_write(const char *name, const char *text, bool append)
{
	char path[128];
	int fd;
	bool ok;

	snprintf(path, sizeof(path), "/sys/kernel/tracing/%s", name);
	fd = open(path, O_WRONLY | (append ? O_APPEND : O_TRUNC) | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok;
}

/*
 * What the vCPU threads of a stalled @vm exit for: KVM's kvm_exit and
 * kvm_inj_exception events of those threads for half a second, the
 * first 24 lines (where tracefs can be had: root, as in the nested L1).
 */
static void print_exit_trace(struct vmm *vm, unsigned int k)
{
	char pids[64] = "", line[256];
	unsigned int n = 0;
	FILE *f;

	for (unsigned int c = 0; c < vmm_vcpu_count(vm); c++) {
		struct vmm_vcpu_info info;
		size_t len = strlen(pids);

		if (!vmm_get_vcpu_info(vm, c, &info))
			snprintf(pids + len, sizeof(pids) - len, "%d ",
				 info.tid);
	}
	if (access("/sys/kernel/tracing/trace", F_OK))
		(void)mount("tracefs", "/sys/kernel/tracing", "tracefs", 0,
			    NULL);
	if (!trace_write("set_event_pid", pids, false) ||
	    !trace_write("set_event", "kvm:kvm_exit", false) ||
	    !trace_write("set_event", "kvm:kvm_inj_exception", true) ||
	    !trace_write("trace", "", false) ||
	    !trace_write("tracing_on", "1", false)) {
		fprintf(stderr, "    vm %u: no exit trace (tracefs: %s)\n", k,
			strerror(errno));
		return;
	}
	usleep(500 * 1000);
	trace_write("tracing_on", "0", false);
	f = fopen("/sys/kernel/tracing/trace", "re");
	fprintf(stderr, "    vm %u: its vCPUs (%s) exited for:\n", k, pids);
	while (f && fgets(line, sizeof(line), f) && n < 24)
		if (line[0] != '#') {
			fprintf(stderr, "      %s", line);
			n++;
		}
	if (f)
		fclose(f);
	trace_write("set_event", "", false);
	trace_write("set_event_pid", "", false);
}

/*
 * Wait up to VM_LIMIT_S for VMs @vms[0..@n-1] to end; stop any that have
 * not (a stall) and say where it stood.
 */
static void stop_stalled(struct vmm **vms, unsigned int first, unsigned int n)
{
	struct timespec t0, now;
	bool stalled[TOTAL_VMS] = {0};

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd[TOTAL_VMS];
		unsigned int m = 0;
		long left_ms;

		for (unsigned int i = 0; i < n; i++) {
			if (!vms[i])
				continue;
			pfd[m].fd = vmm_exit_fd(vms[i]);
			pfd[m].events = POLLIN;
			if (poll(&pfd[m], 1, 0) == 0)
				m++;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		left_ms = VM_LIMIT_S * 1000L -
			  (now.tv_sec - t0.tv_sec) * 1000L -
			  (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (!m || left_ms <= 0)
			break;
		poll(pfd, m, (int)(left_ms < 1000 ? left_ms : 1000));
	}
	for (unsigned int i = 0; i < n; i++) {
		struct pollfd p = {.events = POLLIN};

		if (!vms[i])
			continue;
		p.fd = vmm_exit_fd(vms[i]);
		if (poll(&p, 1, 0) == 0) {
			fprintf(stderr, "vm %u: still running after %d s\n",
				first + i, VM_LIMIT_S);
			stalled[i] = true;
			print_exit_trace(vms[i], first + i);
			vmm_stop(vms[i]);
		}
	}
	for (unsigned int i = 0; i < n; i++)
		if (stalled[i]) {
			vmm_wait(vms[i], NULL);
			print_tail(first + i);
			print_stats(first + i);
		}
}

/*
 * Run VMs @first..@first+@n-1 at once; 0 if every one ended well.
 * *@size_running: VmSize (KiB) once all were started.
 */
static int run_vms(unsigned int first, unsigned int n, long *size_running)
{
	struct vmm *vms[TOTAL_VMS] = {0};
	int bad = 0;

	for (unsigned int i = 0; i < n; i++) {
		vms[i] = make_vm(first + i);
		if (!vms[i] || vmm_start(vms[i])) {
			fprintf(stderr, "vm %u: start: %s\n", first + i,
				vms[i] ? vmm_last_error(vms[i]) : "config");
			bad++;
		}
	}
	*size_running = vm_size_kib();
	stop_stalled(vms, first, n);
	for (unsigned int i = 0; i < n; i++) {
		struct vmm_exit ex = {.reason = VMM_EXIT_ERROR};

		if (!vms[i])
			continue;
		bool ok = vmm_wait(vms[i], &ex) == 0 &&
			  ex.reason == VMM_EXIT_DEBUG && ex.status == 0 &&
			  vm_output_ok(first + i);

		if (!ok) {
			fprintf(stderr, "vm %u: exit reason %d status %d\n",
				first + i, (int)ex.reason, ex.status);
			bad++;
		}
		vmm_destroy(vms[i]);
	}
	return bad;
}

/* One process: N VMs from @first, with the resource counts around them. */
static int child(unsigned int n, unsigned int first)
{
	long size0, size_during, size1, size2;
	size_t used1, used2;
	bool leaked;
	int fds0, fds1, fds2, bad;

	/* A first VM pays for what is set up once (stdio, the arena). */
	if (run_vms(first, 1, &size_during))
		return 1;
	fds0 = count_fds();
	size0 = vm_size_kib();
	/*
	 * Two rounds of N: whatever a VM left behind would grow with each
	 * round, at least one chunk (MIN_CHUNK) per VM; what glibc makes
	 * once on first use (320 bytes in the first round here, and now and
	 * then one 32-byte chunk in the second, whichever thread got there
	 * first) does not grow with the VMs.
	 */
	bad = run_vms(first, n, &size_during);
	fds1 = count_fds();
	used1 = mallinfo2().uordblks;
	size1 = vm_size_kib();
	bad += run_vms(first, n, &size_during);
	fds2 = count_fds();
	used2 = mallinfo2().uordblks;
	size2 = vm_size_kib();
	if (fds1 != fds0 || fds2 != fds0)
		fprintf(stderr, "process %u: %d fds before, %d, %d after\n",
			first, fds0, fds1, fds2);
	leaked = used2 > used1 + n * MIN_CHUNK - 1;
	if (leaked || used2 != used1)
		fprintf(stderr,
			"process %u: malloc in use %zu after a round, %zu "
			"after the next\n",
			first, used1, used2);
	/* glibc keeps up to 40 MiB of thread stacks for reuse. */
	if (size2 > size0 + STACK_CACHE_KIB ||
	    size_during < size0 + (long)(n * GUEST_MEM >> 10))
		fprintf(stderr,
			"process %u: VmSize %ld KiB before, %ld with the "
			"VMs, %ld and %ld after\n",
			first, size0, size_during, size1, size2);
	return bad || fds1 != fds0 || fds2 != fds0 || leaked ||
	       size2 > size0 + STACK_CACHE_KIB ||
	       size_during < size0 + (long)(n * GUEST_MEM >> 10);
}

/* @procs processes of @per VMs each, at once; how many failed. */
static int shape(const char *self, unsigned int procs, unsigned int per)
{
	pid_t pids[TOTAL_VMS];
	int failed = 0;

	for (unsigned int p = 0; p < procs; p++) {
		char n[16], id[16];

		snprintf(n, sizeof(n), "%u", per);
		snprintf(id, sizeof(id), "%u", p * per);
		pids[p] = fork();
		if (pids[p] == 0) {
			execl("/proc/self/exe", self, "--vms", n, "--id", id,
			      (char *)NULL);
			_exit(127);
		}
	}
	for (unsigned int p = 0; p < procs; p++) {
		int st = 0;

		if (pids[p] < 0 || waitpid(pids[p], &st, 0) != pids[p] ||
		    !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM) {
				fprintf(stderr,
					"%u x %u VMs: process %u (VMs %u..%u) "
					"had not ended after %d s\n",
					procs, per, p, p * per,
					p * per + per - 1, CHILD_LIMIT_S);
				for (unsigned int k = p * per;
				     k < p * per + per; k++)
					print_tail(k);
			} else
				fprintf(stderr,
					"%u x %u VMs: process %u failed "
					"(0x%x)\n",
					procs, per, p, st);
			failed++;
		}
	}
	return failed;
}

int main(int argc, char **argv)
{
	char probe[256];
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (getenv("O"))
		out_dir = getenv("O");
	if (argc == 5 && !strcmp(argv[1], "--vms")) {
		snprintf(work, sizeof(work), "%s", getenv("LOAD_DIR"));
		alarm(CHILD_LIMIT_S);
		return child((unsigned int)atoi(argv[2]),
			     (unsigned int)atoi(argv[4]));
	}
	snprintf(probe, sizeof(probe), "%s/guests/vblk.bzImage", out_dir);
	if (fd < 0 || access(probe, R_OK) != 0) {
		printf("skip: needs /dev/kvm and %s\n", probe);
		return 77;
	}
	close(fd);
	snprintf(work, sizeof(work), "/tmp/load-vms-XXXXXX");
	if (!mkdtemp(work))
		return 1;
	setenv("LOAD_DIR", work, 1);
	/*
	 * The children's malloc keeps no bytes of its own "in use": one
	 * arena (glibc makes up to 8 a core as threads contend, and counts
	 * each one's header as in use) and no per-thread cache (a thread's
	 * cached chunks count as in use too).
	 */
	setenv("GLIBC_TUNABLES",
	       "glibc.malloc.arena_max=1:glibc.malloc.tcache_count=0", 1);
	CHECK_EQ(shape(argv[0], 1, TOTAL_VMS), 0);
	CHECK_EQ(shape(argv[0], TOTAL_VMS / 2, 2), 0);
	CHECK_EQ(shape(argv[0], TOTAL_VMS, 1), 0);
	if (!check_failures) {
		for (unsigned int k = 0; k < TOTAL_VMS; k++) {
			char p[128];

			snprintf(p, sizeof(p), "%s/serial%u", work, k);
			unlink(p);
			snprintf(p, sizeof(p), "%s/disk%u", work, k);
			unlink(p);
			snprintf(p, sizeof(p), "%s/stats%u", work, k);
			unlink(p);
		}
		rmdir(work);
	} else {
		fprintf(stderr, "consoles and disks kept in %s\n", work);
	}
	return check_done("test_load_vms");
}

/* SPDX-License-Identifier: MIT */
/*
 * `vmm bench doorbell` (see bench_doorbell.h): options, then the recipe
 * vm_create() -> bench register page -> echo device -> mailbox ->
 * vm_run() -> results -> table/JSON/SVG. vm_run() runs the loop on a
 * thread of its own, as libvmm's io thread, which installs the io
 * thread's seccomp filter while this one goes on to the report; --pin-io
 * pins this thread before, and the io thread inherits the mask. The vCPU
 * thread pins itself at the guest's first marker (bench_rig.c).
 */
#define pr_fmt(fmt) "bench: " fmt

#include "bench_doorbell.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <cpuid.h>
#include <x86intrin.h>

#include <linux/kvm.h>

#include "bench_abi.h"
#include "bench_cli.h"
#include "bench_report.h"
#include "bench_results.h"
#include "bench_rig.h"
#include "cli/cli.h"
#include "base/log.h"
#include "base/mem.h"
#include "vm/vm.h"
#include "arch/x86/layout.h"
#include "vcpu/vcpu.h"
#include "virtio/mmio.h"

/* RAM besides the mailbox: the guest image, its stacks, page tables. */
#define GUEST_BASE_MEM (32 * MiB)

/* guests/doorbell.bzImage next to the vmm binary (build/ layout). */
static const char *default_kernel(char *buf, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return "guests/doorbell.bzImage";
	exe[n] = 0;
	snprintf(buf, len, "%s/guests/doorbell.bzImage", dirname(exe));
	return buf;
}

static bool host_is_pvm(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

static void host_line(char *buf, size_t len, bool pvm)
{
	unsigned int a, b, c, d;
	struct utsname u;
	bool nested;

	if (uname(&u))
		strcpy(u.release, "?");
	/* CPUID.1:ECX bit 31: this host itself runs under a hypervisor. */
	nested = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 31));
	snprintf(buf, len, "Linux %s, %ld CPUs, %s%s", u.release,
		 sysconf(_SC_NPROCESSORS_ONLN),
		 pvm ? "KVM PVM (software virtualization)" : "KVM",
		 nested ? ", nested (the host is itself a VM)" : "");
}

/*
 * CPU time of the whole machine (busy, steal) and of this process, to
 * tell how much other work ran during the measurement (as kvmlimits does):
 * the machine's busy time minus ours is what others used.
 */
struct cpu_usage {
	uint64_t busy_ns, steal_ns, self_ns, wall_ns;
};

static void cpu_usage_now(struct cpu_usage *u)
{
	unsigned long long v[8] = {0};
	double tick = 1e9 / (double)sysconf(_SC_CLK_TCK);
	struct timespec ts;
	FILE *f = fopen("/proc/stat", "re");

	memset(u, 0, sizeof(*u));
	if (f) {
		/* user nice system idle iowait irq softirq steal */
		if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			   &v[7]) != 8)
			memset(v, 0, sizeof(v));
		fclose(f);
	}
	u->busy_ns = (uint64_t)((v[0] + v[1] + v[2] + v[5] + v[6]) * tick);
	u->steal_ns = (uint64_t)(v[7] * tick);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	u->self_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	u->wall_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Others' and steal CPU in percent of one CPU between @a and @b. */
static void cpu_usage_diff(const struct cpu_usage *a, const struct cpu_usage *b,
			   double *others_pct, double *steal_pct)
{
	double wall = (double)(b->wall_ns - a->wall_ns);
	double busy = (double)(b->busy_ns - a->busy_ns);
	double self = (double)(b->self_ns - a->self_ns);

	*others_pct = wall > 0 && busy > self ? 100 * (busy - self) / wall : 0;
	*steal_pct =
	    wall > 0 ? 100 * (double)(b->steal_ns - a->steal_ns) / wall : 0;
}

/* The run: everything between vm_create() and vm_destroy(). */
struct bench_run {
	struct bench_doorbell_opts *o;
	struct vm_config cfg;
	struct vm vm;
	struct bench_rig rig;
	struct bench_dev *dev;
	struct bench_abi sent;
	uint64_t tsc_before, tsc_after;
	uint8_t *kernel; /* the guest image, read before vm_create() */
	bool vm_created; /* vm_create() was called: vm_destroy() is safe */
	struct io_source signal_src; /* SIGTERM/SIGINT/SIGHUP */
	struct vmm_exit exit;	     /* what vm_run() returned */
};

/* The io thread: the loop until the guest ends, timed on its own clock. */
static void *io_thread(void *arg)
{
	struct bench_run *b = arg;

	pthread_setname_np(pthread_self(), "vmm-io");
	if (pthread_getcpuclockid(pthread_self(), &b->rig.io_clock))
		b->rig.io_clock = CLOCK_THREAD_CPUTIME_ID;
	b->exit = vm_run(&b->vm);
	return NULL;
}

static void signal_ready(struct io_source *src, int res)
{
	struct bench_run *b = container_of(src, struct bench_run, signal_src);
	struct signalfd_siginfo si;

	(void)res;
	if (read(src->fd, &si, sizeof(si)) == sizeof(si))
		vm_request_exit(&b->vm, VMM_EXIT_STOPPED, 0,
				"stopped by a signal");
}

/* Route these (already blocked) signals to an orderly stop on the loop. */
static int watch_signals(struct bench_run *b, const sigset_t *set)
{
	int fd = signalfd(-1, set, SFD_CLOEXEC | SFD_NONBLOCK);

	if (fd < 0)
		return -errno;
	b->signal_src = (struct io_source){.fd = fd, .ready = signal_ready};
	return io_loop_watch(b->vm.loop, &b->signal_src);
}

/* The parameters, into guest RAM and kept as the host's own copy. */
static int write_mailbox(struct bench_run *b)
{
	const struct bench_doorbell_opts *o = b->o;
	struct bench_abi *box =
	    gpa_ptr(&b->vm.mem, LAYOUT_BENCH_MAILBOX, sizeof(*box));
	int khz = ioctl(b->vm.vcpus[0].fd, KVM_GET_TSC_KHZ, 0);

	if (!box)
		return -EINVAL;
	b->sent = (struct bench_abi){
	    .magic = BENCH_ABI_MAGIC,
	    .version = BENCH_ABI_VERSION,
	    .tsc_khz = khz > 0 ? (uint32_t)khz : 0,
	    .tests = o->tests,
	    .iterations = o->iterations,
	    .warmup = o->warmup,
	    .rounds = o->rounds,
	    .idle_ms = o->idle_ms,
	    .bell = o->notify == BENCH_NOTIFY_EPOLL  ? BENCH_BELL_EPOLL
		    : o->notify == BENCH_NOTIFY_EXIT ? BENCH_BELL_EXIT
						     : BENCH_BELL_NOTIFY,
	    .event_idx = o->event_idx,
	    .suppress = o->suppress,
	    .timeout_us = o->timeout_us,
	};
	memcpy(box, &b->sent, sizeof(*box));
	return 0;
}

static int setup(struct bench_run *b, const cpu_set_t *vcpu_mask, char *err,
		 size_t err_len)
{
	struct bench_dev_config dc = {
	    .notify = b->o->notify,
	    .epoll_bell_fd = -1,
	    .irq_line = b->o->irq_line,
	};
	struct virtio_mmio_env env;
	bool bad_input;
	int r;

	b->vm_created = true;
	r = vm_create(&b->vm, &b->cfg, err, err_len, &bad_input);
	if (r)
		return r;
	r = bench_rig_create(&b->rig, &b->vm,
			     b->o->notify == BENCH_NOTIFY_EPOLL, vcpu_mask);
	if (r) {
		snprintf(err, err_len, "bench registers: %s", strerror(-r));
		return r;
	}
	dc.epoll_bell_fd = b->rig.epoll_fd;
	env = (struct virtio_mmio_env){
	    .vm_fd = b->vm.vm_fd,
	    .mem = &b->vm.mem,
	    .loop = b->vm.loop,
	    .mmio_bus = &b->vm.mmio_bus,
	};
	r = bench_dev_create(&b->dev, &env, &dc);
	if (r) {
		snprintf(err, err_len, "bench device: %s", strerror(-r));
		return r;
	}
	b->rig.dev = b->dev;
	r = write_mailbox(b);
	if (r)
		snprintf(err, err_len, "mailbox outside guest RAM");
	return r;
}

static int report(struct bench_run *b, const struct bench_results *res)
{
	char host[256];
	struct bench_report rep = {
	    .opts = b->o,
	    .res = res,
	    .host = host,
	    .pvm = host_is_pvm(),
	};
	int r = 0;

	host_line(host, sizeof(host), rep.pvm);
	if (b->o->json)
		r = bench_report_json(stdout, &rep);
	else
		bench_report_text(stdout, &rep);
	if (r) {
		pr_err("writing JSON: %s", strerror(-r));
		return CLI_STATUS_ERROR;
	}
	if (b->o->svg_path) {
		r = bench_report_svg(b->o->svg_path, &rep);
		if (r) {
			pr_err("%s: %s", b->o->svg_path, strerror(-r));
			return CLI_STATUS_ERROR;
		}
	}
	return 0;
}

/* Pin the calling (io) thread; @vcpu_mask gets what the vCPU should use. */
static int pin_threads(const struct bench_doorbell_opts *o,
		       cpu_set_t *vcpu_mask, bool *pin_vcpu)
{
	cpu_set_t io;

	*pin_vcpu = false;
	if (sched_getaffinity(0, sizeof(*vcpu_mask), vcpu_mask))
		return -errno;
	if (o->pin_vcpu >= 0) {
		CPU_ZERO(vcpu_mask);
		CPU_SET(o->pin_vcpu, vcpu_mask);
		*pin_vcpu = true;
	}
	if (o->pin_io < 0)
		return 0;
	/* vCPU threads inherit this thread's mask: they reset it. */
	*pin_vcpu = true;
	CPU_ZERO(&io);
	CPU_SET(o->pin_io, &io);
	return sched_setaffinity(0, sizeof(io), &io) ? -errno : 0;
}

static int run(struct bench_doorbell_opts *o, const struct log_sink *sink)
{
	struct bench_run *b = calloc(1, sizeof(*b));
	struct bench_results res = {0};
	char kernel[PATH_MAX], err[512] = "";
	struct cpu_usage u0, u1;
	cpu_set_t vcpu_mask;
	bool pin_vcpu;
	sigset_t sigs, all, old;
	pthread_t io;
	struct vmm_exit ex;
	int r, status = CLI_STATUS_ERROR;

	if (!b)
		return CLI_STATUS_ERROR;
	b->signal_src.fd = -1;
	b->o = o;
	b->cfg = (struct vm_config){
	    .kernel =
		o->kernel ? o->kernel : default_kernel(kernel, sizeof(kernel)),
	    .cmdline = "doorbell",
	    .mem_size =
		ALIGN_UP(LAYOUT_BENCH_MAILBOX + bench_abi_size(o->iterations),
			 2 * MiB) +
		GUEST_BASE_MEM,
	    .nr_cpus = 1,
	    .serial = o->serial,
	    .debug_exit = true,
	    .log = sink,
	    /* adaptive is the product's --io-poll; every other mode is off. */
	    .io_poll_ns =
		o->notify == BENCH_NOTIFY_ADAPTIVE ? o->poll_max_ns : 0,
	};
	r = vm_read_file("kernel", b->cfg.kernel, b->cfg.mem_size, &b->kernel,
			 &b->cfg.kernel_len, err, sizeof(err));
	if (r) {
		pr_err("%s", err);
		goto out;
	}
	b->cfg.kernel_buf = b->kernel;
	r = pin_threads(o, &vcpu_mask, &pin_vcpu);
	if (r) {
		pr_err("--pin-vcpu/--pin-io: %s", strerror(-r));
		goto out;
	}
	/* Termination signals become an orderly stop, as in vmm's boot. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	r = setup(b, pin_vcpu ? &vcpu_mask : NULL, err, sizeof(err));
	if (r) {
		pr_err("%s", err);
		goto out;
	}
	if (watch_signals(b, &sigs))
		pr_warn("cannot watch termination signals");
	cpu_usage_now(&u0);
	b->tsc_before = __rdtsc();
	/* Its signals stay with this thread, but a filter's SIGSYS. */
	sigfillset(&all);
	sigdelset(&all, SIGSYS);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&io, NULL, io_thread, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		pr_err("io thread: %s", strerror(-r));
		goto out;
	}
	pthread_join(io, NULL);
	ex = b->exit;
	b->tsc_after = __rdtsc();
	cpu_usage_now(&u1);
	/* The guest reports success as status 0 on the debug-exit port. */
	r = ex.reason != VMM_EXIT_DEBUG || ex.status != 0;
	if (r)
		pr_err("the guest did not finish (exit reason %d, status %d)",
		       (int)ex.reason, ex.status);
	if (bench_results_read(&res, &b->vm.mem, &b->sent, &b->rig,
			       b->tsc_before, b->tsc_after, err, sizeof(err))) {
		pr_err("%s", err);
		goto out;
	}
	cpu_usage_diff(&u0, &u1, &res.others_cpu_pct, &res.steal_pct);
	if (!r)
		status = report(b, &res);
out:
	bench_results_free(&res);
	bench_dev_destroy(b->dev);
	bench_rig_destroy(&b->rig);
	if (b->vm_created)
		vm_destroy(&b->vm);
	if (b->signal_src.fd >= 0)
		close(b->signal_src.fd);
	free(b->kernel);
	free(b);
	return status;
}

static int bench_doorbell_main(int argc, char **argv)
{
	struct bench_doorbell_opts o;
	struct log_sink sink;
	char err[256] = "";
	int r = bench_doorbell_parse(argc, argv, &o, err, sizeof(err));

	if (r == 1) {
		fputs(bench_doorbell_usage(), stdout);
		return 0;
	}
	if (r) {
		pr_err("%s", err);
		fputs(bench_doorbell_usage(), stderr);
		return CLI_STATUS_USAGE;
	}
	log_sink_init(&sink);
	sink.level = o.verbosity >= 2	? LOG_DEBUG
		     : o.verbosity == 1 ? LOG_INFO
					: LOG_WARN;
	log_sink_enter(&sink);
	r = run(&o, &sink);
	log_sink_enter(NULL);
	return r;
}

int bench_main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "doorbell"))
		return bench_doorbell_main(argc - 1, argv + 1);
	fprintf(stderr, "usage: vmm bench doorbell [options] (--help for "
			"more)\n");
	return argc >= 2 &&
		       (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		   ? 0
		   : CLI_STATUS_USAGE;
}

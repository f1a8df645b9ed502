/* SPDX-License-Identifier: MIT */
/*
 * The crun handler "vmm" (crun_abi.h): selected by the annotation
 * run.oci.handler=vmm or by running crun as crun-vmm, it runs the
 * container's process in a VM. crun calls, in order:
 *   load()                   crun's process: allocate the state, no more
 *   configure_container(1)   the container's init, host paths visible:
 *                            read config.json, size the VM, read the
 *                            runner's kernel and init into memory
 *   configure_container(3)   nothing
 *   configure_container(2)   the rootfs is complete: make its /dev/kvm
 *   run_func()               the container's pid 1 (run.c): the VM
 *   unload()                 crun's process, at its end
 * and exec_func() for `crun exec`, which a VM cannot take.
 *
 * Loading this file must never break crun, which loads it for every
 * command: nothing runs at load time, and only the vmm handler's own
 * containers ever reach the code below.
 */
#include "crun_abi.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handler.h"
#include "run.h"

/* A crun error (crun frees both parts); returns what crun_make_error does. */
__attribute__((format(printf, 2, 3))) static int fail(libcrun_error_t *err,
						      const char *fmt, ...)
{
	struct libcrun_error_s *e = malloc(sizeof(*e));
	va_list ap;

	*err = NULL;
	if (!e)
		return -1;
	e->status = 0; /* our messages carry their own reason */
	va_start(ap, fmt);
	if (vasprintf(&e->msg, fmt, ap) < 0)
		e->msg = strdup("vmm: out of memory");
	va_end(ap);
	if (!e->msg) {
		free(e);
		return -1;
	}
	*err = e;
	return -1;
}

static int vmm_load(void **cookie, libcrun_error_t *err)
{
	(void)err;
	/* A failure shows in configure_container(), for our containers only. */
	*cookie = calloc(1, sizeof(struct vmm_crun));
	return 0;
}

static int vmm_unload(void *cookie, libcrun_error_t *err)
{
	struct vmm_crun *h = cookie;

	(void)err;
	if (h) {
		oci_spec_free(&h->spec);
		runner_files_free(&h->files);
		free(h);
	}
	return 0;
}

/* The CPUs this process may run on (the container's cpuset). */
static unsigned int host_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	return (unsigned int)CPU_COUNT(&set);
}

/*
 * The init process's directory is still the bundle's (crun chdir()s there
 * and resolves root.path from it), so its config.json is the spec, as
 * long as crun was not given another with --config: the root it names
 * must be the @rootfs crun resolved.
 */
static int read_spec(struct vmm_crun *h, const char *rootfs,
		     libcrun_error_t *err)
{
	char cwd[PATH_MAX], path[PATH_MAX + 16], why[512], *real;
	bool same;

	if (!getcwd(cwd, sizeof(cwd)))
		return fail(err, "vmm: getcwd: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/config.json", cwd);
	if (oci_spec_read(path, &h->spec, why, sizeof(why)))
		return fail(err, "vmm: %s", why);
	if (!rootfs || !h->spec.root_path)
		return fail(err, "vmm: the container has no root file system");
	real = realpath(h->spec.root_path, NULL);
	same = !strcmp(real ? real : h->spec.root_path, rootfs);
	free(real);
	if (!same)
		return fail(err,
			    "vmm: %s is not this container's spec (its root "
			    "is not %s): the handler reads the bundle's "
			    "config.json, so crun --config is not supported",
			    path, rootfs);
	return 0;
}

static int before_mounts(struct vmm_crun *h, const char *rootfs,
			 libcrun_error_t *err)
{
	const struct oci_spec *s = &h->spec;
	char why[512];
	int r;

	/* Once per container in crun; a second call starts afresh. */
	h->configured = false;
	oci_spec_free(&h->spec);
	runner_files_free(&h->files);
	r = read_spec(h, rootfs, err);
	if (r)
		return r;
	if (machine_from_spec(s, host_cpus(), &h->machine, why, sizeof(why)))
		return fail(err, "vmm: %s", why);
	if (runner_files_read(&h->files, s->ann_kernel, s->ann_init, why,
			      sizeof(why)))
		return fail(err, "vmm: %s", why);
	h->configured = true;
	return 0;
}

/*
 * The container's /dev/kvm, unless it has one (podman --device): a node
 * like the host's, or in a user namespace, where mknod is refused, the
 * host's node bind-mounted on an empty file (as crun does for devices).
 * Never fails the container here: crun would replace our reason with its
 * own; run_func says why there is none (h->kvm_why) if the VM needs it.
 */
static void make_kvm_node(struct vmm_crun *h, const char *rootfs)
{
	int root = -1, dev = -1, fd = -1;
	struct stat host, st;
	char proc[64];

	if (stat("/dev/kvm", &host) < 0 || !S_ISCHR(host.st_mode)) {
		snprintf(h->kvm_why, sizeof(h->kvm_why), "the host has none");
		return;
	}
	root = open(rootfs ? rootfs : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	dev = root < 0
		  ? -1
		  : openat(root, "dev",
			   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dev < 0) {
		snprintf(h->kvm_why, sizeof(h->kvm_why), "its /dev: %s",
			 strerror(errno));
		goto out;
	}
	if (!fstatat(dev, "kvm", &st, AT_SYMLINK_NOFOLLOW))
		goto out;
	if (!mknodat(dev, "kvm", S_IFCHR | 0666, host.st_rdev)) {
		(void)fchmodat(dev, "kvm", 0666, 0); /* past the umask */
		goto out;
	}
	fd = openat(dev, "kvm", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0) {
		snprintf(h->kvm_why, sizeof(h->kvm_why), "cannot create it: %s",
			 strerror(errno));
		goto out;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (mount("/dev/kvm", proc, NULL, MS_BIND, NULL) < 0) {
		snprintf(h->kvm_why, sizeof(h->kvm_why),
			 "cannot bind the host's: %s", strerror(errno));
		(void)unlinkat(dev, "kvm", 0); /* an empty file is no help */
	}
out:
	if (fd >= 0)
		close(fd);
	if (dev >= 0)
		close(dev);
	if (root >= 0)
		close(root);
}

static int vmm_configure(void *cookie, enum crun_phase phase, void *context,
			 void *container, const char *rootfs,
			 libcrun_error_t *err)
{
	struct vmm_crun *h = cookie;

	(void)context;	 /* crun's struct: never read */
	(void)container; /* idem */
	if (!h)
		return fail(err, "vmm: out of memory");
	switch (phase) {
	case CRUN_PHASE_BEFORE_MOUNTS: return before_mounts(h, rootfs, err);
	case CRUN_PHASE_MOUNTS: return 0;
	case CRUN_PHASE_AFTER_MOUNTS:
		if (h->configured)
			make_kvm_node(h, rootfs);
		return 0;
	}
	return 0; /* a phase of a later crun */
}

/* crun reports only 0 or 1 of run_func: the status is exit()'s. */
static int vmm_run(void *cookie, void *container, const char *pathname,
		   char *const argv[])
{
	struct vmm_crun *h = cookie;

	(void)container;
	(void)pathname; /* the process comes from config.json */
	(void)argv;
	if (!h || !h->configured) {
		fputs("vmm: the handler was not configured before the "
		      "container ran\n",
		      stderr);
		exit(RUN_STATUS_SETUP);
	}
	exit(run_vm(h));
}

static int vmm_exec(void *cookie, void *container, const char *pathname,
		    char *const argv[])
{
	(void)cookie;
	(void)container;
	(void)pathname;
	(void)argv;
	fputs("vmm: crun exec is not supported: the container's process runs "
	      "in a VM of its own\n",
	      stderr);
	_exit(126); /* "cannot execute", as a shell says it */
}

/*
 * crun asks this only when neither run.oci.handler nor the command's name
 * (crun-vmm) chose a handler, and those are the only ways to choose this
 * one: never volunteer for a container.
 */
static int vmm_can_handle(void *container, libcrun_error_t *err)
{
	(void)container;
	(void)err;
	return 0;
}

/* Never written: crun only reads it. */
static struct crun_handler handler = {
    .name = "vmm",
    .feature_string = "VMM",
    .alias = "crun-vmm",
    .load = vmm_load,
    .unload = vmm_unload,
    .run_func = vmm_run,
    .exec_func = vmm_exec,
    .configure_container = vmm_configure,
    .can_handle_container = vmm_can_handle,
    .modify_oci_configuration = NULL, /* crun's struct layout: not ours */
    .close_fds = NULL,		      /* crun >= 1.27.1 */
};

__attribute__((visibility("default"))) struct crun_handler *
run_oci_handler_get_handler(void)
{
	return &handler;
}

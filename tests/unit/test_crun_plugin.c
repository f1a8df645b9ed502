/* SPDX-License-Identifier: MIT */
/*
 * The built crun handler plugin ($O/crun-vmm.so) as crun 1.8.1 uses it:
 * dlopen()ed with RTLD_NOW, run_oci_handler_get_handler() its only
 * export, the eleven members of the handler, and the entry points
 * without crun: load, configure_container's phases on a scratch bundle
 * (a good spec, a bad annotation, a missing runner, a config.json that
 * is not the container's), crun exec refused, and run_func ending with
 * a one-line reason and status 125 where the VM cannot start (here: no
 * /dev/kvm, or a runner kernel that is no kernel).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crun/crun_abi.h"
#include "check.h"

static struct crun_handler *h;
static char bundle[] = "/tmp/test_crun_plugin.XXXXXX";
static char rootfs[PATH_MAX];

static void put_file(const char *name, const char *text)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", bundle, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* A config.json whose annotations add @extra (JSON members, or ""). */
static void put_spec(const char *extra)
{
	char json[2048];

	snprintf(json, sizeof(json),
		 "{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": "
		 "[\"/bin/echo\", \"hi\"], \"cwd\": \"/\"}, \"root\": "
		 "{\"path\": \"rootfs\"}, \"annotations\": {\"vmm.kernel\": "
		 "\"%s/bzImage\", \"vmm.init\": \"%s/init\"%s}}",
		 bundle, bundle, extra);
	put_file("config.json", json);
}

/* configure_container(BEFORE_MOUNTS): 0, or the message crun would get. */
static int before_mounts(void *cookie, const char *root, char *msg, size_t len)
{
	libcrun_error_t err = NULL;
	int r = h->configure_container(cookie, CRUN_PHASE_BEFORE_MOUNTS, NULL,
				       NULL, root, &err);

	msg[0] = '\0';
	if (r) {
		CHECK_EQ(r, -1); /* -status - 1, with status 0 */
		CHECK(err && err->msg);
		if (err && err->msg) {
			CHECK_EQ(err->status, 0);
			snprintf(msg, len, "%s", err->msg);
			free(err->msg);
		}
		free(err);
	} else {
		CHECK(err == NULL);
	}
	return r;
}

static void test_members(void *so)
{
	struct crun_handler *(*get)(void);
	void *const *p;

	*(void **)&get = dlsym(so, "run_oci_handler_get_handler");
	CHECK(get != NULL);
	if (!get)
		exit(check_done("test_crun_plugin"));
	h = get();
	CHECK(h != NULL);
	CHECK(get() == h);
	p = (void *const *)h;
	/* The eleven pointers crun reads, in crun's order. */
	CHECK(p[0] == h->name && !strcmp(h->name, "vmm"));
	CHECK(p[1] == h->feature_string && !strcmp(h->feature_string, "VMM"));
	CHECK(p[2] == h->alias && !strcmp(h->alias, "crun-vmm"));
	CHECK(p[3] != NULL && p[3] == *(void **)&h->load);
	CHECK(p[4] != NULL && p[4] == *(void **)&h->unload);
	CHECK(p[5] != NULL && p[5] == *(void **)&h->run_func);
	CHECK(p[6] != NULL && p[6] == *(void **)&h->exec_func);
	CHECK(p[7] != NULL && p[7] == *(void **)&h->configure_container);
	CHECK(p[8] != NULL && p[8] == *(void **)&h->can_handle_container);
	CHECK(p[9] == NULL);  /* modify_oci_configuration */
	CHECK(p[10] == NULL); /* close_fds (crun >= 1.27.1) */
	/* Nothing else leaks into crun: not libvmm, not json-c. */
	CHECK(dlsym(so, "vmm_create") == NULL);
	CHECK(dlsym(so, "json_tokener_new") == NULL);
	CHECK(dlsym(so, "io_uring_queue_init") == NULL);
}

static void test_configure(void)
{
	void *cookie = NULL;
	libcrun_error_t err = NULL;
	char msg[512], dev[PATH_MAX + 8];

	CHECK_EQ(h->load(&cookie, &err), 0);
	CHECK(cookie != NULL);
	CHECK_EQ(h->can_handle_container(NULL, &err), 0);
	CHECK(err == NULL);

	put_spec("");
	CHECK_EQ(before_mounts(cookie, rootfs, msg, sizeof(msg)), 0);
	CHECK_EQ(h->configure_container(cookie, CRUN_PHASE_MOUNTS, NULL, NULL,
					rootfs, &err),
		 0);
	/* Never fails: without a host /dev/kvm it only notes why. */
	snprintf(dev, sizeof(dev), "%s/dev", rootfs);
	CHECK_EQ(mkdir(dev, 0755), 0);
	CHECK_EQ(h->configure_container(cookie, CRUN_PHASE_AFTER_MOUNTS, NULL,
					NULL, rootfs, &err),
		 0);
	CHECK(err == NULL);
	/* A crun calling a phase it does not know yet. */
	CHECK_EQ(h->configure_container(cookie, (enum crun_phase)9, NULL, NULL,
					rootfs, &err),
		 0);
	CHECK_EQ(h->unload(cookie, &err), 0);

	CHECK_EQ(h->load(&cookie, &err), 0);
	put_spec(", \"vmm.mem\": \"lots\"");
	CHECK_EQ(before_mounts(cookie, rootfs, msg, sizeof(msg)), -1);
	CHECK(!strcmp(msg, "vmm: annotation vmm.mem: 'lots' is not a size: "
			   "want a number of bytes, or one with K, M, G or T "
			   "(powers of 1024), such as 512M or 2G"));
	put_spec(", \"vmm.cpus\": \"0\"");
	CHECK_EQ(before_mounts(cookie, rootfs, msg, sizeof(msg)), -1);
	CHECK(strstr(msg, "vmm.cpus='0'") != NULL);
	/* The runner is missing. */
	put_spec("");
	snprintf(dev, sizeof(dev), "%s/bzImage", bundle);
	CHECK_EQ(rename(dev, "/tmp/test_crun_plugin.k"), 0);
	CHECK_EQ(before_mounts(cookie, rootfs, msg, sizeof(msg)), -1);
	CHECK(strstr(msg, "vmm: runner kernel ") == msg);
	CHECK(strstr(msg, "/bzImage: No such file or directory") != NULL);
	CHECK_EQ(rename("/tmp/test_crun_plugin.k", dev), 0);
	/* crun resolved another root than config.json names. */
	CHECK_EQ(before_mounts(cookie, "/elsewhere", msg, sizeof(msg)), -1);
	CHECK(strstr(msg, "crun --config is not supported") != NULL);
	CHECK_EQ(before_mounts(cookie, NULL, msg, sizeof(msg)), -1);
	CHECK(strstr(msg, "no root file system") != NULL);
	put_file("config.json", "{\"process\": {\"args\": 1}}");
	CHECK_EQ(before_mounts(cookie, rootfs, msg, sizeof(msg)), -1);
	CHECK(strstr(msg, "process.args: want an array of strings") != NULL);
	CHECK_EQ(h->unload(cookie, &err), 0);
	/* crun calls unload without looking at the cookie. */
	CHECK_EQ(h->unload(NULL, &err), 0);
}

/*
 * Run @fn in a child whose stderr is a pipe; its exit status and the
 * first line it wrote.
 */
static int in_child(void (*fn)(void *), void *arg, char *line, size_t len)
{
	int p[2], status = -1;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		fn(arg);
		_exit(99); /* fn must not return */
	}
	close(p[1]);
	while (got < len - 1 && (n = read(p[0], line + got, len - 1 - got)) > 0)
		got += (size_t)n;
	line[got] = '\0';
	if (strchr(line, '\n'))
		*strchr(line, '\n') = '\0';
	close(p[0]);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void exec_child(void *cookie)
{
	char *const argv[] = {(char *)(uintptr_t) "sh", NULL};

	h->exec_func(cookie, NULL, "/bin/sh", argv);
}

static void run_child(void *cookie)
{
	char *const argv[] = {(char *)(uintptr_t) "/bin/echo", NULL};

	h->run_func(cookie, NULL, "/bin/echo", argv);
}

static void test_run_and_exec(void)
{
	void *cookie = NULL;
	libcrun_error_t err = NULL;
	char line[512], msg[512];

	CHECK_EQ(h->load(&cookie, &err), 0);
	CHECK_EQ(in_child(exec_child, cookie, line, sizeof(line)), 126);
	CHECK(!strcmp(line, "vmm: crun exec is not supported: the "
			    "container's process runs in a VM of its own"));
	/* run_func without configure_container. */
	CHECK_EQ(in_child(run_child, cookie, line, sizeof(line)), 125);
	CHECK(strstr(line, "vmm: the handler was not configured") == line);
	/* Configured: the VM cannot start on a kernel of six bytes. */
	put_spec("");
	CHECK_EQ(before_mounts(cookie, rootfs, msg, sizeof(msg)), 0);
	CHECK_EQ(h->configure_container(cookie, CRUN_PHASE_AFTER_MOUNTS, NULL,
					NULL, rootfs, &err),
		 0);
	CHECK_EQ(in_child(run_child, cookie, line, sizeof(line)), 125);
	if (access("/dev/kvm", F_OK))
		CHECK(!strcmp(line, "vmm: no /dev/kvm in the container: the "
				    "host has none"));
	else
		CHECK(strncmp(line, "vmm: ", 5) == 0);
	printf("run_func here: %s\n", line);
	CHECK_EQ(h->unload(cookie, &err), 0);
}

int main(void)
{
	const char *o = getenv("O");
	char so_path[PATH_MAX], cwd[PATH_MAX], cmd[PATH_MAX + 16];
	void *so;

	alarm(60);
	snprintf(so_path, sizeof(so_path), "%s/crun-vmm.so", o ? o : "build");
	so = dlopen(so_path, RTLD_NOW | RTLD_LOCAL);
	if (!so) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	test_members(so);

	/* A bundle as crun sees it: config.json, rootfs/, the runner. */
	CHECK(mkdtemp(bundle) != NULL);
	CHECK_EQ(chmod(bundle, 0755), 0);
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", bundle);
	CHECK_EQ(mkdir(rootfs, 0755), 0);
	put_file("bzImage", "kernel");
	put_file("init", "init");
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK_EQ(chdir(bundle), 0);
	test_configure();
	test_run_and_exec();
	CHECK_EQ(chdir(cwd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", bundle);
	CHECK_EQ(system(cmd), 0);
	dlclose(so);
	return check_done("test_crun_plugin");
}

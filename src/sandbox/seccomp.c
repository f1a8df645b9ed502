/* SPDX-License-Identifier: MIT */
/*
 * Compiling the allow-lists (seccomp_rules.c) with libseccomp, once per
 * VM and kind of thread, into classic BPF through a memfd (libseccomp
 * 2.5 exports only to a file descriptor); installing one on the calling
 * thread; and the one-line report of a refused syscall.
 */
#include "seccomp.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/seccomp.h>

#include "base/util.h"

static const char *const thread_names[SECCOMP_THREAD_KINDS] = {
    [SECCOMP_THREAD_VCPU] = "vcpu",
    [SECCOMP_THREAD_IO] = "io",
    [SECCOMP_THREAD_APP] = "app",
};

static bool allowed_always(const struct seccomp_list *l, int nr)
{
	for (size_t i = 0; i < l->nr_syscalls; i++)
		if (l->syscalls[i] == nr)
			return true;
	return false;
}

static int add_rules(scmp_filter_ctx ctx, const struct seccomp_list *l,
		     bool logging)
{
	int r;

	for (size_t i = 0; i < l->nr_syscalls; i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, l->syscalls[i], 0);
		if (r)
			return r;
	}
	for (size_t i = 0; i < l->nr_args; i++) {
		const struct seccomp_arg_rule *a = &l->args[i];
		struct scmp_arg_cmp cmp = {
		    .arg = a->arg,
		    .op = SCMP_CMP_MASKED_EQ,
		    .datum_a = a->mask,
		    .datum_b = a->value,
		};

		if (allowed_always(l, a->nr))
			continue;
		r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, a->nr, 1, &cmp);
		if (r)
			return r;
	}
	/* Logging, they are logged and allowed as everything else. */
	for (size_t i = 0; i < l->nr_refused && !logging; i++) {
		if (allowed_always(l, l->refused[i]))
			continue;
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), l->refused[i],
				     0);
		if (r)
			return r;
	}
	return 0;
}

/* The program libseccomp made of @ctx, copied out of a memfd. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *out)
{
	int fd = memfd_create("vmm-seccomp", MFD_CLOEXEC);
	off_t size;
	void *buf;
	int r;

	if (fd < 0)
		return -errno;
	r = seccomp_export_bpf(ctx, fd);
	size = r ? -1 : lseek(fd, 0, SEEK_END);
	if (r || size <= 0 || size % sizeof(struct sock_filter) ||
	    size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		close(fd);
		return r ? r : -EINVAL;
	}
	buf = malloc((size_t)size);
	if (!buf || pread(fd, buf, (size_t)size, 0) != size) {
		free(buf);
		close(fd);
		return -ENOMEM;
	}
	close(fd);
	out->filter = buf;
	out->len = (unsigned short)(size / sizeof(struct sock_filter));
	return 0;
}

static int build_one(struct sock_fprog *out, enum seccomp_thread kind,
		     uint32_t refuse)
{
	struct seccomp_list l = seccomp_rules(kind);
	scmp_filter_ctx ctx;
	int r;

	if (SECCOMP_SANITIZED && kind == SECCOMP_THREAD_APP)
		return 0; /* seccomp.h */
	ctx = seccomp_init(refuse);
	if (!ctx)
		return -ENOMEM;
	/* The threads set no_new_privs themselves (seccomp_set_apply()). */
	r = add_rules(ctx, &l, refuse == SCMP_ACT_LOG);
	if (!r)
		r = export_bpf(ctx, out);
	seccomp_release(ctx);
	return r;
}

int seccomp_set_build(struct seccomp_set *s, enum seccomp_mode mode, char *err,
		      size_t err_len)
{
	int r = 0;

	memset(s, 0, sizeof(*s));
	if (mode == SECCOMP_MODE_OFF)
		return 0;
	for (int k = 0; k < SECCOMP_THREAD_KINDS && !r; k++) {
		r = build_one(&s->prog[k], k,
			      mode == SECCOMP_MODE_LOG ? SCMP_ACT_LOG
						       : SCMP_ACT_TRAP);
		if (r)
			snprintf(
			    err, err_len,
			    "seccomp: compiling the %s thread's filter: %s",
			    thread_names[k], strerror(-r));
	}
	if (r)
		seccomp_set_free(s);
	return r;
}

void seccomp_set_free(struct seccomp_set *s)
{
	for (int k = 0; k < SECCOMP_THREAD_KINDS; k++) {
		free(s->prog[k].filter);
		s->prog[k].filter = NULL;
		s->prog[k].len = 0;
	}
}

int seccomp_set_apply(const struct seccomp_set *s, enum seccomp_thread kind)
{
	const struct sock_fprog *p = &s->prog[kind];

	if (!p->len)
		return 0;
	/* Per thread, as the filter: without TSYNC it binds only us. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, p))
		return -errno;
	return 0;
}

static int print_one(int fd, enum seccomp_thread kind)
{
	struct seccomp_list l = seccomp_rules(kind);
	size_t nr_ioctls = 0, nr_other = 0;
	int ioctl_nr = SCMP_SYS(ioctl);

	for (size_t i = 0; i < l.nr_args; i++) {
		if (allowed_always(&l, l.args[i].nr))
			continue;
		if (l.args[i].nr == ioctl_nr)
			nr_ioctls++;
		/* A syscall with several rules counts once. */
		else if (i == 0 || l.args[i - 1].nr != l.args[i].nr)
			nr_other++;
	}
	if (dprintf(fd,
		    "%s thread: %zu syscalls (%zu with argument rules), "
		    "%zu ioctl requests\n  always:",
		    thread_names[kind],
		    l.nr_syscalls + nr_other + (nr_ioctls ? 1 : 0),
		    nr_other + (nr_ioctls ? 1 : 0), nr_ioctls) < 0)
		return -errno;
	for (size_t i = 0; i < l.nr_syscalls; i++) {
		const char *n = seccomp_syscall_name(l.syscalls[i]);

		dprintf(fd, " %s", n ? n : "?");
	}
	dprintf(fd, "\n  with arguments:");
	for (size_t i = 0; i < l.nr_args; i++)
		if (!allowed_always(&l, l.args[i].nr))
			dprintf(fd, " %s", l.args[i].name);
	if (l.nr_refused && !allowed_always(&l, l.refused[0])) {
		dprintf(fd, "\n  refused with EACCES (no SIGSYS):");
		for (size_t i = 0; i < l.nr_refused; i++) {
			const char *n = seccomp_syscall_name(l.refused[i]);

			dprintf(fd, " %s", n ? n : "?");
		}
	}
	return dprintf(fd, "\n") < 0 ? -errno : 0;
}

int seccomp_print(int fd)
{
	int r = 0;

	for (int k = 0; k < SECCOMP_THREAD_KINDS && !r; k++)
		r = print_one(fd, k);
	return r;
}

/* --- the report, async-signal-safe ------------------------------------- */

static const char *const syscall_names[] = {
#include "syscall_names.h"
};

const char *seccomp_syscall_name(int nr)
{
	if (nr < 0 || (size_t)nr >= ARRAY_SIZE(syscall_names))
		return NULL;
	return syscall_names[nr];
}

struct line {
	char *buf;
	size_t len, used;
};

static void put(struct line *l, const char *s)
{
	while (*s && l->used + 1 < l->len)
		l->buf[l->used++] = *s++;
	if (l->len)
		l->buf[l->used] = '\0';
}

static void put_num(struct line *l, long n)
{
	char digits[24], *p = digits + sizeof(digits) - 1;
	unsigned long u = n < 0 ? -(unsigned long)n : (unsigned long)n;

	*p = '\0';
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) && p > digits + 1);
	if (n < 0)
		*--p = '-';
	put(l, p);
}

size_t seccomp_describe(int nr, char *buf, size_t len)
{
	struct line l = {.buf = buf, .len = len};
	char thread[17] = "?";
	const char *name = seccomp_syscall_name(nr);

	/* Every filter allows PR_GET_NAME for this. */
	if (prctl(PR_GET_NAME, thread, 0, 0, 0))
		thread[0] = '?', thread[1] = '\0';
	thread[16] = '\0';
	put(&l, "seccomp: thread ");
	put(&l, thread);
	put(&l, " called ");
	put(&l, name ? name : "syscall");
	put(&l, " (");
	put_num(&l, nr);
	put(&l, "), outside its allow-list");
	return l.used;
}

/* <asm-generic/siginfo.h>'s si_code, which glibc's headers leave out. */
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	static const char prefix[] = "vmm: ";
	char line[192];
	size_t n = sizeof(prefix) - 1;

	(void)uc;
	memcpy(line, prefix, n);
	if (si->si_code == SYS_SECCOMP)
		n += seccomp_describe(si->si_syscall, line + n,
				      sizeof(line) - n - 1);
	else
		n += seccomp_describe(-1, line + n, sizeof(line) - n - 1);
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
	/*
	 * The init of a PID namespace (the crun handler) ignores a signal it
	 * sends itself while SIGSYS is at its default: it ends with the
	 * shell's status for the signal instead.
	 */
	if (getpid() == 1)
		_exit(128 + sig);
	/* Pending until we return; then the default action ends us. */
	raise(sig);
}

int seccomp_catch_sigsys(void)
{
	struct sigaction old, sa = {
				  .sa_sigaction = on_sigsys,
				  .sa_flags = SA_SIGINFO | SA_RESETHAND,
			      };

	if (sigaction(SIGSYS, NULL, &old))
		return -errno;
	if ((old.sa_flags & SA_SIGINFO) ? old.sa_sigaction != NULL
					: old.sa_handler != SIG_DFL)
		return old.sa_sigaction == on_sigsys ? 0 : -EBUSY;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL) ? -errno : 0;
}

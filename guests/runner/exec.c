/* SPDX-License-Identifier: MIT */
/*
 * Setting the process up in the child (exec.h). The order matters: the
 * terminal needs a new session; rlimits above the current hard limit need
 * CAP_SYS_RESOURCE, so they come before the uid changes; so does a first
 * chdir(), which root can do where the user may not (a cwd only the user
 * can enter, on a share that squashes root, is tried again as the user).
 * The groups, then the gid, then the uid: each later step drops the right
 * to do the earlier ones.
 */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "status.h"

__attribute__((noreturn)) static void child_fail(int report_fd, int status,
						 const char *what, int err)
{
	char c = (char)status;

	log_err("%s: %s", what, strerror(err));
	/* The parent only needs to know that something came. */
	(void)!write(report_fd, &c, 1);
	_exit(status);
}

const char *exec_path(char *const envp[])
{
	size_t i;

	for (i = 0; envp[i]; i++)
		if (!strncmp(envp[i], "PATH=", 5))
			return envp[i] + 5;
	return EXEC_DEFAULT_PATH;
}

int exec_search(const char *file, char *const argv[], char *const envp[],
		const char *path)
{
	size_t flen = strlen(file), dlen;
	const char *dir = path, *end;
	char buf[PATH_MAX];
	int best = ENOENT;

	if (!flen)
		return ENOENT;
	if (strchr(file, '/')) {
		execve(file, argv, envp);
		return errno;
	}
	for (;;) {
		end = strchrnul(dir, ':');
		dlen = (size_t)(end - dir);
		/* POSIX: an empty entry is the current directory. */
		if (!dlen) {
			dir = ".";
			dlen = 1;
		}
		if (dlen + 1 + flen < sizeof(buf)) {
			memcpy(buf, dir, dlen);
			buf[dlen] = '/';
			memcpy(buf + dlen + 1, file, flen + 1);
			execve(buf, argv, envp);
			switch (errno) {
			case EACCES: best = EACCES; break;
			/* Nothing usable there: on to the next entry. */
			case ENOENT:
			case ENOTDIR:
			case ENAMETOOLONG:
			case ELOOP:
			case ESTALE: break;
			default: return errno;
			}
		}
		if (!*end)
			return best;
		dir = end + 1;
	}
}

/* Session, controlling terminal and the three standard descriptors. */
static void child_stdio(const struct process *p, const struct exec_stdio *io,
			int report_fd)
{
	int in = io->in, out = io->out, err = io->err, tty = -1;

	if (setsid() < 0)
		child_fail(report_fd, STATUS_SETUP, "setsid", errno);
	if (p->terminal) {
		tty = open(io->tty, O_RDWR | O_NOCTTY);
		if (tty < 0)
			child_fail(report_fd, STATUS_SETUP, io->tty, errno);
		if (ioctl(tty, TIOCSCTTY, 0) < 0)
			child_fail(report_fd, STATUS_SETUP, "TIOCSCTTY", errno);
		in = out = err = tty;
	}
	/* All three are above 2: the init keeps 0-2 open on its console. */
	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(err, STDERR_FILENO) < 0)
		child_fail(report_fd, STATUS_SETUP, "dup2", errno);
	if (tty > STDERR_FILENO)
		close(tty);
}

void exec_child(const struct process *p, const struct exec_stdio *io,
		int report_fd)
{
	sigset_t none;
	int chdir_err, err;
	size_t i;

	/* The init blocks the signals its signalfd reads. */
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL))
		child_fail(report_fd, STATUS_SETUP, "sigprocmask", errno);
	child_stdio(p, io, report_fd);
	for (i = 0; i < p->nrlimits; i++) {
		struct rlimit rl = {.rlim_cur = p->rlimits[i].soft,
				    .rlim_max = p->rlimits[i].hard};

		if (setrlimit(p->rlimits[i].resource, &rl))
			child_fail(report_fd, STATUS_SETUP, "setrlimit", errno);
	}
	if (p->has_umask)
		umask(p->umask);
	chdir_err = chdir(p->cwd) ? errno : 0;
	if (setgroups(p->ngroups, p->groups))
		child_fail(report_fd, STATUS_SETUP, "setgroups", errno);
	if (setresgid(p->gid, p->gid, p->gid))
		child_fail(report_fd, STATUS_SETUP, "setresgid", errno);
	if (setresuid(p->uid, p->uid, p->uid))
		child_fail(report_fd, STATUS_SETUP, "setresuid", errno);
	if (chdir_err && chdir(p->cwd))
		child_fail(report_fd, STATUS_SETUP, p->cwd, errno);
	err = exec_search(p->argv[0], p->argv, p->envp, exec_path(p->envp));
	child_fail(report_fd, status_from_exec_errno(err), p->argv[0], err);
}

/* SPDX-License-Identifier: MIT */
/*
 * The child side of starting the process (docs/runner-protocol.md): in the
 * child the init forked, apply the description (session and terminal,
 * stdio, rlimits, umask, cwd, groups, gid, uid) and execve() the program,
 * searched in the process's own PATH. exec_path() and exec_search() are
 * kept apart so the unit tests can reach them.
 */
#ifndef GUESTS_RUNNER_EXEC_H
#define GUESTS_RUNNER_EXEC_H

#include "process.h"

/* The search path of a process whose environment has no PATH (OCI's). */
#define EXEC_DEFAULT_PATH                                                      \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/*
 * Where the process's stdin, stdout and stderr come from: the three port
 * descriptors (close-on-exec; the child dup2()s them to 0, 1 and 2), or,
 * for a description with terminal=1, the terminal TTY opened in the child.
 */
struct exec_stdio {
	int in, out, err;
	const char *tty;
};

/*
 * Run in the forked child: set up the process P describes and execve() it.
 * Never returns. On failure it logs why, writes one byte to REPORT_FD (a
 * close-on-exec pipe: the parent reads EOF when the execve() worked) and
 * _exit()s with STATUS_SETUP, or STATUS_NOTFOUND / STATUS_NOEXEC when the
 * execve() failed.
 */
__attribute__((noreturn)) void
exec_child(const struct process *p, const struct exec_stdio *io, int report_fd);

/*
 * The value of PATH in ENVP ("NAME=value" entries, then NULL), or
 * EXEC_DEFAULT_PATH.
 */
const char *exec_path(char *const envp[]);

/*
 * execve() FILE as execvpe() would, but searching PATH (given, not taken
 * from the caller's environment): FILE itself when it holds a '/',
 * otherwise each directory of PATH in turn, an empty one meaning the
 * current directory. Returns only on failure, with the errno that explains
 * it best: EACCES if a candidate was found but refused, ENOENT if none was
 * found, or the first other error (ENOEXEC, E2BIG, ...) that ended the
 * search.
 */
int exec_search(const char *file, char *const argv[], char *const envp[],
		const char *path);

#endif /* GUESTS_RUNNER_EXEC_H */

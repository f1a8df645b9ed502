/* SPDX-License-Identifier: MIT */
/*
 * The status the runner reports in its "exit STATUS" control line
 * (docs/runner-protocol.md): the process's exit code, 128+N when signal N
 * ended it, and the three statuses of a process that never ran, as shells
 * and container runtimes use them. Pure: compiled into the init and into
 * tests/unit.
 */
#ifndef GUESTS_RUNNER_STATUS_H
#define GUESTS_RUNNER_STATUS_H

/* The runner could not set the process up (description, mounts, ports). */
#define STATUS_SETUP 125
/* The program was found but could not be executed. */
#define STATUS_NOEXEC 126
/* The program was not found. */
#define STATUS_NOTFOUND 127

/*
 * The status to report for a child that waitpid() saw end with WSTATUS:
 * its exit code (0-255), or 128+N when signal N killed it. Anything else
 * (a stopped child: the runner never asks for those) is STATUS_SETUP.
 */
int status_from_wait(int wstatus);

/*
 * The status for a process whose execve() failed with ERR (a positive
 * errno): STATUS_NOTFOUND for ENOENT and ENOTDIR (nothing by that name),
 * STATUS_NOEXEC for anything else (no permission, not an executable, ...).
 */
int status_from_exec_errno(int err);

#endif /* GUESTS_RUNNER_STATUS_H */

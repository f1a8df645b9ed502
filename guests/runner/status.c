/* SPDX-License-Identifier: MIT */
/*
 * Status encoding for the "exit STATUS" control line (status.h). The
 * values follow POSIX shells (126, 127, 128+N) and the OCI runtimes' 125
 * for "the runtime failed", so a container's status means what it means
 * under runc or crun.
 */
#include "status.h"

#include <errno.h>
#include <sys/wait.h>

int status_from_wait(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	/* Signal numbers stop at 64, so 128+N fits in a byte. */
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return STATUS_SETUP;
}

int status_from_exec_errno(int err)
{
	if (err == ENOENT || err == ENOTDIR)
		return STATUS_NOTFOUND;
	return STATUS_NOEXEC;
}

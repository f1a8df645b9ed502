/* SPDX-License-Identifier: MIT */
/*
 * The host end of the runner control port (docs/runner-protocol.md,
 * "Control lines on vmm.ctl"). The port is an ordinary named console port
 * on the fd backend, given one end of a socketpair; the library keeps the
 * other end, watched on the io loop. From the guest come "started PID" and
 * "exit STATUS" lines; to it go "signal N" lines. A guest that reported
 * "exit STATUS" and then powered off ends the VM as VMM_EXIT_WORKLOAD.
 *
 * Everything the guest writes here is hostile: lines are bounded (64
 * bytes with their newline), numbers range-checked, and junk is logged
 * through a rate limit and otherwise ignored.
 *
 * Wiring (vm.c): runner_ctl_create() -> the port's backend is
 * runner_ctl_backend() (attach.c) -> runner_ctl_start() before the loop
 * runs -> runner_ctl_finish() once the VM ended -> runner_ctl_destroy()
 * after the loop is destroyed.
 */
#ifndef VMM_VM_RUNNER_CTL_H
#define VMM_VM_RUNNER_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include <vmm/vmm.h>

struct io_loop;
struct runner_ctl;

/* The port's name in the guest. */
#define RUNNER_CTL_PORT "vmm.ctl"
/* A control line's limit, its newline included. */
#define RUNNER_CTL_LINE_MAX 64

/* One parsed control line from the guest. */
enum runner_msg_kind {
	RUNNER_MSG_STARTED, /* value: the workload's pid in the guest */
	RUNNER_MSG_EXIT,    /* value: its exit status, 0..255 */
};

struct runner_msg {
	enum runner_msg_kind kind;
	int value;
};

/*
 * Parse one line (@len bytes, its newline removed): "started PID" (PID
 * 1..2^31-1) or "exit STATUS" (0..255), one space between, decimal
 * without sign or leading zeros. Pure. 0 and *@m, or -EINVAL.
 */
int runner_ctl_parse(const char *line, size_t len, struct runner_msg *m);

/*
 * How a VM that ended as @ex ends once the runner's reports are counted:
 * a power-off after an "exit STATUS" becomes {VMM_EXIT_WORKLOAD, STATUS};
 * anything else stays. Pure.
 */
struct vmm_exit runner_ctl_map_exit(struct vmm_exit ex, bool exited,
				    int status);

/*
 * Make the socketpair (close-on-exec, nonblocking). Returns 0 or
 * -errno with a one-line reason in @err.
 */
int runner_ctl_create(struct runner_ctl **out, struct io_loop *loop, char *err,
		      size_t err_len);

/*
 * The console backend string for the port: "fd:N,N" on the guest's end
 * of the socketpair. Once the console has opened it, the console owns
 * that descriptor: say so with runner_ctl_handed_over().
 */
const char *runner_ctl_backend(const struct runner_ctl *rc);
void runner_ctl_handed_over(struct runner_ctl *rc);

/* Watch our end on the loop (before io_loop_run()). 0 or -errno. */
int runner_ctl_start(struct runner_ctl *rc);

/*
 * Queue "signal @signo\n" to the guest. Any thread. 0, -EINVAL (signo
 * outside 1..64), -ESRCH (the workload exited), -EAGAIN (the guest does
 * not read and the socket is full) or -errno.
 */
int runner_ctl_signal(struct runner_ctl *rc, int signo);

/*
 * The VM has ended (loop stopped, on its thread, after the consoles were
 * flushed): read what the guest wrote last, then map @ex as
 * runner_ctl_map_exit() does. Later vmm_signal_workload() calls get
 * -ESRCH.
 */
struct vmm_exit runner_ctl_finish(struct runner_ctl *rc, struct vmm_exit ex);

/* Close what is still ours and free @rc. After io_loop_destroy(). NULL ok. */
void runner_ctl_destroy(struct runner_ctl *rc);

#endif /* VMM_VM_RUNNER_CTL_H */

/* SPDX-License-Identifier: MIT */
/*
 * `vmm top SOCKET`: a live view of a running vmm's vCPUs, like xentop or
 * `xl vcpu-list`. Every interval it asks the control socket for "stats"
 * and prints one row per vCPU: host thread id, state, and the share of
 * the interval spent running, runnable, blocked and offline (the
 * difference of two snapshots), with wake-ups and VM exits per second.
 */
#ifndef VMM_TOP_H
#define VMM_TOP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <vmm/vmm.h>

/* One vCPU of a stats reply, as much as top shows. */
struct top_row {
	unsigned int id;
	uint64_t tid;
	char state[16];
	uint64_t time[VMM_RUNSTATE_COUNT]; /* ns, live at the reply's time_ns */
	uint64_t wakeups;
	uint64_t exits;
	bool has_exits;
};

struct top_frame {
	uint64_t time_ns;
	unsigned int nr;
	struct top_row *rows; /* malloc'd */
};

/*
 * Parse a "stats" reply line into @f (rows allocated; free with
 * top_frame_free()). Pure. Returns 0 or -EINVAL (-ENOMEM) for a reply
 * that is not an ok stats document.
 */
int top_parse(const char *reply, struct top_frame *f);

void top_frame_free(struct top_frame *f);

/*
 * Print the table for the interval from @prev to @cur (rows matched by
 * id; a vCPU missing from @prev is shown over its whole life). Pure
 * apart from writing to @out.
 */
void top_print(FILE *out, const struct top_frame *prev,
	       const struct top_frame *cur);

/*
 * The subcommand: argv[0] is "top", then SOCKET and options
 * -d SECONDS (interval, default 1), -n COUNT (frames, default: until
 * interrupted), --once (= -n 1). Returns the process exit status: 0, 1 if
 * the socket fails, 2 on a usage error.
 */
int top_main(int argc, char **argv);

#endif /* VMM_TOP_H */

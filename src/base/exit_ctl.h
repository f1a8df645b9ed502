/* SPDX-License-Identifier: MIT */
/*
 * Why and whether a VM is ending: written by whichever thread sees the end
 * first (a vCPU on a power-off, a device, the io loop, the API), read by
 * all. The first request wins; later ones are ignored.
 */
#ifndef VMM_EXIT_CTL_H
#define VMM_EXIT_CTL_H

#include <pthread.h>
#include <stdbool.h>

#include <vmm/vmm.h>

struct exit_ctl {
	pthread_mutex_t lock;
	bool requested; /* atomic: read without the lock */
	struct vmm_exit exit;
	/* Called once, by the request that wins (any thread, lock held). */
	void (*notify)(void *opaque);
	void *opaque;
};

void exit_ctl_init(struct exit_ctl *x, void (*notify)(void *opaque),
		   void *opaque);
void exit_ctl_destroy(struct exit_ctl *x);

/*
 * End the VM for @reason (@status: the debug-exit byte, else 0); @why is
 * logged at info level. Any thread. Returns true if this request won.
 */
bool exit_ctl_request(struct exit_ctl *x, enum vmm_exit_reason reason,
		      int status, const char *why);

/* True once an end was requested. Any thread, lock-free. */
bool exit_ctl_requested(const struct exit_ctl *x);

/* The winning request ({VMM_EXIT_NONE, 0} before any). Any thread. */
struct vmm_exit exit_ctl_get(struct exit_ctl *x);

#endif /* VMM_EXIT_CTL_H */

/* SPDX-License-Identifier: MIT */
/*
 * The first-request-wins record of why a VM ends.
 */
#include "exit_ctl.h"

#include "log.h"

void exit_ctl_init(struct exit_ctl *x, void (*notify)(void *opaque),
		   void *opaque)
{
	pthread_mutex_init(&x->lock, NULL);
	x->requested = false;
	x->exit = (struct vmm_exit){.reason = VMM_EXIT_NONE};
	x->notify = notify;
	x->opaque = opaque;
}

void exit_ctl_destroy(struct exit_ctl *x)
{
	pthread_mutex_destroy(&x->lock);
}

bool exit_ctl_request(struct exit_ctl *x, enum vmm_exit_reason reason,
		      int status, const char *why)
{
	bool won = false;

	pthread_mutex_lock(&x->lock);
	if (!x->requested) {
		x->exit = (struct vmm_exit){.reason = reason, .status = status};
		__atomic_store_n(&x->requested, true, __ATOMIC_RELEASE);
		pr_info("%s", why);
		if (x->notify)
			x->notify(x->opaque);
		won = true;
	}
	pthread_mutex_unlock(&x->lock);
	return won;
}

bool exit_ctl_requested(const struct exit_ctl *x)
{
	return __atomic_load_n(&x->requested, __ATOMIC_ACQUIRE);
}

struct vmm_exit exit_ctl_get(struct exit_ctl *x)
{
	struct vmm_exit e;

	pthread_mutex_lock(&x->lock);
	e = x->exit;
	pthread_mutex_unlock(&x->lock);
	return e;
}

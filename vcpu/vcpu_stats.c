/* SPDX-License-Identifier: MIT */
/*
 * Runstate accounting of a vCPU thread. Counts the VMM-side events; the
 * full Xen-style model is wired in by the runstate work (issue 4).
 */
#include "vcpu_stats.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "vcpu.h"

struct vcpu_runtime {
	uint64_t events[VCPU_EVENT_STOP + 1];
};

int vcpu_stats_create(struct vcpu *v)
{
	v->rt = calloc(1, sizeof(*v->rt));
	return v->rt ? 0 : -ENOMEM;
}

void vcpu_stats_event(struct vcpu *v, enum vcpu_event event)
{
	v->rt->events[event]++;
}

void vcpu_stats_destroy(struct vcpu *v)
{
	free(v->rt);
	v->rt = NULL;
}

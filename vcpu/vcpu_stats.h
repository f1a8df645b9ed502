/* SPDX-License-Identifier: MIT */
/*
 * The seam between a vCPU thread and its runstate accounting: the thread
 * reports each VMM-side event exactly when it happens.
 */
#ifndef VCPU_VCPU_STATS_H
#define VCPU_VCPU_STATS_H

struct vcpu;

enum vcpu_event {
	VCPU_EVENT_START,	/* thread started: offline -> runnable */
	VCPU_EVENT_ENTER,	/* about to enter KVM_RUN */
	VCPU_EVENT_EXIT,	/* KVM_RUN returned */
	VCPU_EVENT_PAUSE,	/* parked by a pause request */
	VCPU_EVENT_RESUME,	/* unparked */
	VCPU_EVENT_STOP,	/* thread ends */
};

/* Allocate v->rt. Called by vcpu_create(). 0 or -errno. */
int vcpu_stats_create(struct vcpu *v);

/* Record @event for @v. vCPU thread only. */
void vcpu_stats_event(struct vcpu *v, enum vcpu_event event);

/* Free v->rt. */
void vcpu_stats_destroy(struct vcpu *v);

#endif /* VCPU_VCPU_STATS_H */

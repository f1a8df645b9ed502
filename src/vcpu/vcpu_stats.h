/* SPDX-License-Identifier: MIT */
/*
 * The seam between a vCPU and its runstate accounting. The vCPU thread
 * reports each VMM-side event exactly when it happens; the sampler on the
 * io thread folds in the kernel's view (KVM binary stats, schedstat);
 * anyone may take a snapshot. Everything lives in v->rt.
 */
#ifndef VCPU_VCPU_STATS_H
#define VCPU_VCPU_STATS_H

#include <stdint.h>

#include <stdbool.h>

#include <vmm/vmm.h>

#include "devices/virtio_blk.h"
#include "devices/virtio_fs.h"
#include "devices/virtio_net.h"
#include "devices/virtio_vsock.h"
#include "arch/x86/layout.h"
#include "virtio/mmio.h"
#include "kvm_stats.h"
#include "runstate.h"

struct vcpu;

/* One vCPU's runstate and KVM counters, copied at one moment. */
struct vcpu_snapshot {
	unsigned int id;
	struct runstate_snapshot rs;
	struct kvm_stats_values kvm;
};

/* The whole VM: @vcpus has @nr_vcpus entries, owned by the struct. */
struct vm_stats {
	uint64_t time_ns; /* taken after every vCPU was copied */
	unsigned int nr_vcpus;
	struct vcpu_snapshot *vcpus;
	/* The devices' counters (the VM fills them, not the vCPUs). */
	unsigned int nr_disks;
	const char *disk_paths[VMM_MAX_DISKS]; /* borrowed from the config */
	struct vblk_stats disks[VMM_MAX_DISKS];
	bool rng;
	uint64_t rng_bytes;
	unsigned int nr_nets;
	struct vnet_stats nets[VMM_MAX_NETS];
	bool vsock;
	struct vvsock_stats vsock_stats;
	unsigned int nr_fs;
	const char *fs_tags[VMM_MAX_FS]; /* borrowed from the config */
	struct vfs_stats fs[VMM_MAX_FS];
	/* Every virtio-mmio transport and its queues, in window order. */
	unsigned int nr_virtio;
	struct virtio_mmio_state virtio[LAYOUT_VIRTIO_MMIO_MAX];
};

/* Allocate room for @nr vCPUs (zeroed). 0 or -ENOMEM. */
int vm_stats_alloc(struct vm_stats *st, unsigned int nr);

/* Free what vm_stats_alloc() allocated. Safe on a zeroed struct. */
void vm_stats_free(struct vm_stats *st);

enum vcpu_event {
	VCPU_EVENT_START,  /* thread started: offline -> runnable */
	VCPU_EVENT_ENTER,  /* about to enter KVM_RUN */
	VCPU_EVENT_EXIT,   /* KVM_RUN returned */
	VCPU_EVENT_PAUSE,  /* parked by a pause request */
	VCPU_EVENT_RESUME, /* unparked */
	VCPU_EVENT_STOP,   /* thread ends */
};

/*
 * Allocate v->rt: the runstate (offline; also down when KVM says this
 * vCPU waits for INIT/SIPI) and the KVM stats fd. Called by vcpu_create()
 * after KVM_CREATE_VCPU, before the thread starts. Missing KVM stats are
 * not an error (logged at info level). Returns 0 or -errno.
 */
int vcpu_stats_create(struct vcpu *v);

/*
 * Record @event for @v at the current time. vCPU thread only (START reads
 * v->tid, so set it first). ENTER and EXIT are cheap when nothing changes
 * (an atomic load), so they may be called around every KVM_RUN. On EXIT a
 * vCPU still down asks KVM for its own mp_state (allowed: it is this
 * thread's vCPU) and comes up once the guest has started it.
 */
void vcpu_stats_event(struct vcpu *v, enum vcpu_event event);

/*
 * Fold the kernel's counters into @v's runstate (runstate_fold()). The
 * sampler's thread only (the io thread): it owns the schedstat fd, opened
 * here once the thread id is known.
 */
void vcpu_stats_sample(struct vcpu *v);

/* Copy @v's runstate and KVM counters into @out. Any thread. */
void vcpu_stats_snapshot(struct vcpu *v, struct vcpu_snapshot *out);

/*
 * Snapshot @nr vCPUs into @st (allocated with vm_stats_alloc() for at
 * least @nr) and stamp it with the time after the last copy. Any thread.
 */
void vcpu_stats_collect(struct vcpu *vcpus, unsigned int nr,
			struct vm_stats *st);

/* Free v->rt. After the thread has ended. */
void vcpu_stats_destroy(struct vcpu *v);

#endif /* VCPU_VCPU_STATS_H */

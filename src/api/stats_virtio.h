/* SPDX-License-Identifier: MIT */
/* The virtio transports' and queues' state in the stats document. */
#ifndef VMM_API_STATS_VIRTIO_H
#define VMM_API_STATS_VIRTIO_H

#include "vcpu/vcpu_stats.h"

struct json_object;

/* Add "virtio": [...] to @obj when the VM has transports. 0 or -ENOMEM. */
int stats_virtio_fill(struct json_object *obj, const struct vm_stats *st);

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The runstate control plane of a VM: the sampler that folds kernel
 * counters into every vCPU's runstate, the --api control socket with its
 * VM-side operations (pause, resume, stop, snapshot), and the --stats
 * document written at exit. Four calls, one per step of vm.c's recipe:
 * create, start, finish, destroy.
 */
#ifndef VMM_VM_CONTROL_H
#define VMM_VM_CONTROL_H

#include <stdbool.h>

#include "api/api.h"
#include "vcpu/sampler.h"

struct vm;

struct vm_control {
	struct vm *vm;
	struct sampler sampler;
	struct api api;
};

/*
 * Check that cfg->stats_path can be written (creating it) and, with
 * cfg->api_path, listen on the control socket (served once the loop runs).
 * From vm_create(), before /dev/kvm is opened. Returns 0 or -errno with
 * the reason in @err;
 * vm_control_destroy() is safe either way.
 */
int vm_control_create(struct vm_control *c, struct vm *vm, char *err,
		      size_t err_len);

/*
 * Start the sampler (every cfg->sample_ms) on vm->loop. After the vCPUs
 * were created, before io_loop_run(). Returns 0 or -errno (logged): the
 * VM runs on without kernel-side runstates then.
 */
int vm_control_start(struct vm_control *c);

/*
 * After the vCPU threads have stopped and the loop no longer runs: fold
 * the last kernel counters and write cfg->stats_path. Returns 0 or
 * -errno (the file could not be written; logged).
 */
int vm_control_finish(struct vm_control *c);

/*
 * Pause (returning once they are out of the guest) or resume vCPU @vcpu,
 * or all with -1; the caller checked the range. Any thread. Returns 0.
 */
int vm_pause_vcpus(struct vm *vm, int vcpu);
int vm_resume_vcpus(struct vm *vm, int vcpu);

/* Close the socket and stop the sampler. Not while the loop runs. */
void vm_control_destroy(struct vm_control *c);

#endif /* VMM_VM_CONTROL_H */

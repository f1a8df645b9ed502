/* SPDX-License-Identifier: MIT */
/*
 * The VM side of the control socket and the --stats file. Pausing posts a
 * request to every vCPU first and only then waits for each to park, so
 * pausing many vCPUs costs one round of kicks, not one per vCPU; the
 * vCPU thread itself records the offline transition and tells kvmclock
 * (vcpu.c). Runs on the io loop thread (api ops) or after it (finish).
 */
#define pr_fmt(fmt) "vm-control: " fmt
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "api/stats_json.h"
#include "attach.h"
#include "vm.h"
#include "vcpu/runstate.h"
#include "vcpu/vcpu.h"
#include "vcpu/vcpu_stats.h"

/* The vCPUs @vcpu names: [first, end). */
static void vcpu_range(struct vm *vm, int vcpu, unsigned int *first,
		       unsigned int *end)
{
	*first = vcpu < 0 ? 0 : (unsigned int)vcpu;
	*end = vcpu < 0 ? vm->nr_vcpus : (unsigned int)vcpu + 1;
}

int vm_pause_vcpus(struct vm *vm, int vcpu)
{
	unsigned int i, first, end;
	uint64_t t0 = runstate_clock_ns();

	vcpu_range(vm, vcpu, &first, &end);
	for (i = first; i < end; i++)
		vcpu_request_pause(&vm->vcpus[i]);
	for (i = first; i < end; i++)
		vcpu_wait_parked(&vm->vcpus[i]);
	pr_info("paused %u vcpu(s) in %llu us", end - first,
		(unsigned long long)(runstate_clock_ns() - t0) / 1000);
	return 0;
}

int vm_resume_vcpus(struct vm *vm, int vcpu)
{
	unsigned int i, first, end;

	vcpu_range(vm, vcpu, &first, &end);
	for (i = first; i < end; i++)
		vcpu_resume(&vm->vcpus[i]);
	return 0;
}

static int op_pause(void *opaque, int vcpu)
{
	return vm_pause_vcpus(opaque, vcpu);
}

static int op_resume(void *opaque, int vcpu)
{
	return vm_resume_vcpus(opaque, vcpu);
}

static int op_stop(void *opaque)
{
	vm_request_exit(opaque, VMM_EXIT_STOPPED, 0, "stop requested on --api");
	return 0;
}

static int op_snapshot(void *opaque, struct vm_stats *out)
{
	struct vm *vm = opaque;

	vcpu_stats_collect(vm->vcpus, vm->nr_vcpus, out);
	attach_collect_stats(vm, out);
	return 0;
}

static const struct api_ops vm_api_ops = {
    .pause = op_pause,
    .resume = op_resume,
    .stop = op_stop,
    .snapshot = op_snapshot,
};

int vm_control_create(struct vm_control *c, struct vm *vm, char *err,
		      size_t err_len)
{
	const struct vm_config *cfg = vm->cfg;
	int r;

	memset(c, 0, sizeof(*c));
	c->vm = vm;
	api_init(&c->api, vm->loop, &vm_api_ops, vm, cfg->nr_cpus);
	if (cfg->stats_path) {
		/* Found unwritable now, not after the guest ran. */
		int fd =
		    open(cfg->stats_path,
			 O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0644);

		if (fd < 0) {
			r = -errno;
			snprintf(err, err_len, "--stats %s: %s",
				 cfg->stats_path, strerror(-r));
			return r;
		}
		close(fd);
	}
	if (!cfg->api_path)
		return 0;
	r = api_open(&c->api, cfg->api_path, vm->loop, &vm_api_ops, vm,
		     cfg->nr_cpus);
	if (r)
		snprintf(err, err_len, "--api %s: %s", cfg->api_path,
			 strerror(-r));
	return r;
}

int vm_control_start(struct vm_control *c)
{
	struct vm *vm = c->vm;
	int r = sampler_start(&c->sampler, vm->loop, vm->vcpus, vm->nr_vcpus,
			      vm->cfg->sample_ms);

	if (r)
		pr_err("runstate sampler: %s", strerror(-r));
	return r;
}

int vm_control_finish(struct vm_control *c)
{
	const char *path = c->vm ? c->vm->cfg->stats_path : NULL;
	struct vm_stats st;
	int r;

	if (!path)
		return 0;
	/* The threads are gone: this fold has the final halt times. */
	sampler_sample(&c->sampler);
	r = vm_stats_alloc(&st, c->vm->nr_vcpus);
	if (!r) {
		vcpu_stats_collect(c->vm->vcpus, c->vm->nr_vcpus, &st);
		attach_collect_stats(c->vm, &st);
		r = stats_json_write(path, &st);
		vm_stats_free(&st);
	}
	if (r)
		pr_err("--stats %s: %s", path, strerror(-r));
	return r;
}

void vm_control_destroy(struct vm_control *c)
{
	api_close(&c->api);
	sampler_stop(&c->sampler);
}

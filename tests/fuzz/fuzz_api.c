/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the two line protocols into the VMM: the control socket's JSON
 * requests (src/api/api_request.c: api_handle(), with a fake VM behind
 * its ops table, as `vmm ctl` or any local client may send them) and the
 * runner control port's lines from the guest (src/vm/runner_ctl.c:
 * runner_ctl_parse()).
 *
 * Input: u8 selector (bit 0: runner line; else bits 1..6 + 1: the VM's
 * vCPU count, bit 7: its ops fail), then the line.
 *
 * Checked besides ASan/UBSan: every request gets a reply that is one
 * JSON object with a boolean "ok", on one line; a failing VM is never
 * reported as ok; a parsed runner line reads back as the same text.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api.h"
#include "input.h"
#include "vcpu/vcpu_stats.h"
#include "vm/runner_ctl.h"

struct fake_vm {
	int fail; /* what every op returns */
	unsigned int calls;
};

static int fake_pause(void *vm, int vcpu)
{
	struct fake_vm *f = vm;

	(void)vcpu;
	f->calls++;
	return f->fail;
}

static int fake_stop(void *vm)
{
	return fake_pause(vm, -1);
}

static int fake_snapshot(void *vm, struct vm_stats *out)
{
	struct fake_vm *f = vm;

	f->calls++;
	out->time_ns = 5000;
	for (unsigned int i = 0; i < out->nr_vcpus; i++)
		out->vcpus[i].id = i;
	return f->fail;
}

static const struct api_ops fake_ops = {
    .pause = fake_pause,
    .resume = fake_pause,
    .stop = fake_stop,
    .snapshot = fake_snapshot,
};

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	return 0;
}

static void request(uint8_t sel, const char *line, size_t len)
{
	struct fake_vm vm = {.fail = sel & 0x80 ? -EBUSY : 0};
	struct json_object *r, *ok;
	struct api api;
	char *reply;

	api_init(&api, NULL, &fake_ops, &vm, ((sel >> 1) & 0x3f) + 1u);
	reply = api_handle(&api, line, len);
	if (!reply)
		abort(); /* only when out of memory */
	r = json_tokener_parse(reply);
	if (!r || !json_object_is_type(r, json_type_object) ||
	    !json_object_object_get_ex(r, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean) ||
	    strchr(reply, '\n') || (vm.fail && json_object_get_boolean(ok))) {
		fprintf(stderr, "fuzz_api: bad reply %s\n", reply);
		abort();
	}
	json_object_put(r);
	free(reply);
	api_close(&api);
}

static void runner_line(const char *line, size_t len)
{
	struct runner_msg m;
	char back[RUNNER_CTL_LINE_MAX + 16];

	if (runner_ctl_parse(line, len, &m))
		return;
	snprintf(back, sizeof(back), "%s %d",
		 m.kind == RUNNER_MSG_STARTED ? "started" : "exit", m.value);
	if (strlen(back) != len || memcmp(back, line, len) ||
	    (m.kind == RUNNER_MSG_EXIT && (m.value < 0 || m.value > 255)) ||
	    (m.kind == RUNNER_MSG_STARTED && m.value < 1))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t sel = fuzz_u8(&in);
	size_t len;
	const uint8_t *p = fuzz_bytes(&in, in.n, &len);
	/* Exactly @len bytes: no NUL after them to lean on. */
	char *line = fuzz_dup(p, len, 0);

	if (sel & 1)
		runner_line(line, len);
	else
		request(sel, line, len);
	free(line);
	return 0;
}

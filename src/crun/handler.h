/* SPDX-License-Identifier: MIT */
/*
 * The handler's state: crun's "cookie", made by load() in crun's own
 * process, filled by configure_container() in the container's init
 * process while host paths are still visible, and used by run_func() in
 * that same process once it is the container's pid 1. Nothing in between
 * can keep a descriptor open (crun closes every fd >= 3 before run_func),
 * so what the VM needs from the host is read into memory here.
 */
#ifndef CRUN_HANDLER_H
#define CRUN_HANDLER_H

#include <stdbool.h>

#include "machine.h"
#include "oci.h"
#include "runner.h"

struct vmm_crun {
	bool configured; /* the BEFORE_MOUNTS phase succeeded */
	struct oci_spec spec;
	struct machine machine;
	struct runner_files files;
	/* AFTER_MOUNTS: why the container has no /dev/kvm ("": it has). */
	char kvm_why[256];
};

#endif /* CRUN_HANDLER_H */

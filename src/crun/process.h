/* SPDX-License-Identifier: MIT */
/*
 * The process description /vmm/process (docs/runner-protocol.md, "The
 * process description"): KEY=VALUE records, each ended by a NUL byte,
 * built from the container's OCI process.
 */
#ifndef CRUN_PROCESS_H
#define CRUN_PROCESS_H

#include <stddef.h>

struct oci_spec;

/* The protocol's limit on the whole description. */
#define PROCESS_DESC_MAX (1u << 20)

/*
 * Build the description of @spec's process: version=1 first, then every
 * arg in order, every env (and HOME=@home when the spec sets no HOME and
 * @home is not NULL: crun derives it from the container's passwd), cwd,
 * uid, gid, every additional group, hostname, terminal, every rlimit
 * ("NAME SOFT HARD", "unlimited" for RLIM_INFINITY) and the umask.
 * 0 and a malloc'd *@buf of *@len bytes, or -EINVAL (no args, a limit
 * name that is not one word, more than PROCESS_DESC_MAX bytes) or
 * -ENOMEM, with a one-line reason in @err.
 */
int process_desc_build(const struct oci_spec *spec, const char *home,
		       char **buf, size_t *len, char *err, size_t err_len);

#endif /* CRUN_PROCESS_H */

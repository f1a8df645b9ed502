/* SPDX-License-Identifier: MIT */
/*
 * The part of an OCI runtime spec (config.json, runtime-spec 1.x) that
 * the crun handler needs, read with json-c: the process, the root, the
 * resources that size the VM and the vmm.* annotations. Every string is
 * a malloc'd copy owned by the struct (oci_spec_free()).
 */
#ifndef CRUN_OCI_H
#define CRUN_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The annotations the handler reads. */
#define OCI_ANN_CPUS   "vmm.cpus"
#define OCI_ANN_MEM    "vmm.mem"
#define OCI_ANN_KERNEL "vmm.kernel"
#define OCI_ANN_INIT   "vmm.init"
/* The guest's kernel log: a file in the container's view (none if absent). */
#define OCI_ANN_SERIAL "vmm.serial"

/* config.json's size limit: real ones are a few KiB. */
#define OCI_SPEC_MAX (4u << 20)

struct oci_rlimit {
	char *type; /* "RLIMIT_NOFILE" */
	uint64_t soft, hard;
};

struct oci_spec {
	/* process */
	char **args, **env; /* NULL-terminated */
	size_t nr_args, nr_env;
	char *cwd; /* NULL: "/" */
	uint32_t uid, gid;
	uint32_t *groups; /* user.additionalGids */
	size_t nr_groups;
	bool has_umask;
	uint32_t umask;
	bool terminal;
	struct oci_rlimit *rlimits;
	size_t nr_rlimits;
	char *hostname; /* NULL: none */
	/* root */
	char *root_path;
	bool root_readonly;
	/* linux.resources; 0 where absent */
	int64_t mem_limit;   /* memory.limit, bytes (<= 0: none) */
	int64_t cpu_quota;   /* cpu.quota, us per period (<= 0: none) */
	uint64_t cpu_period; /* cpu.period, us */
	char *cpuset;	     /* cpu.cpus, "0-3,7"; NULL: none */
	/* annotations, NULL when absent */
	char *ann_cpus, *ann_mem, *ann_kernel, *ann_init, *ann_serial;
};

/*
 * Parse the JSON text @json (@len bytes) into @spec (zeroed first). A
 * field of the wrong type is an error, a missing one takes its default.
 * 0, or -EINVAL / -ENOMEM with a one-line reason in @err.
 */
int oci_spec_parse(const char *json, size_t len, struct oci_spec *spec,
		   char *err, size_t err_len);

/* Read and parse the file @path (opened close-on-exec), as above. */
int oci_spec_read(const char *path, struct oci_spec *spec, char *err,
		  size_t err_len);

/* Free what @spec holds and zero it. Safe on a zeroed struct. */
void oci_spec_free(struct oci_spec *spec);

#endif /* CRUN_OCI_H */

/* SPDX-License-Identifier: MIT */
/*
 * The process description /vmm/process (docs/runner-protocol.md): records
 * "KEY=VALUE", each ended by a NUL byte, at most PROCESS_MAX_SIZE bytes in
 * all. The host writes it and the runner trusts none of it: every record
 * is checked here, before the init acts on any. Pure (but for
 * process_read_file): compiled into the init and into tests/unit.
 */
#ifndef GUESTS_RUNNER_PROCESS_H
#define GUESTS_RUNNER_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "rlimit.h"

#define PROCESS_MAX_SIZE (1u << 20)
/* The kernel's NGROUPS_MAX: setgroups() refuses more. */
#define PROCESS_MAX_GROUPS 65536
/* HOST_NAME_MAX: sethostname() refuses longer names. */
#define PROCESS_MAX_HOSTNAME 64
/* PATH_MAX, with its NUL. */
#define PROCESS_MAX_CWD 4096

/*
 * What the description asks for. Strings point into the parsed buffer,
 * which must outlive the struct; the arrays are owned by it
 * (process_free()).
 */
struct process {
	char **argv; /* argc >= 1 entries, then NULL */
	size_t argc;
	char **envp; /* "NAME=value" entries, then NULL */
	size_t envc;
	const char *cwd;      /* absolute; "/" when not given */
	const char *hostname; /* NULL when not given */
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* the additional groups, in order */
	size_t ngroups;
	struct rlimit_entry *rlimits; /* in order; a later one wins */
	size_t nrlimits;
	bool terminal; /* run on /dev/hvc0 as the controlling terminal */
	bool has_umask;
	mode_t umask;
	size_t unknown; /* records skipped for an unknown key */
};

/*
 * Called for each record whose key this version does not know (the record
 * is skipped: a newer host may add keys). KEY is the record's key, NUL
 * terminated but otherwise as the host wrote it; INDEX counts records from
 * 1, as the error messages do.
 */
typedef void process_unknown_fn(const char *key, size_t index, void *opaque);

/*
 * Parse the LEN bytes at BUF into *P. BUF is modified (each record's '='
 * becomes a NUL) and must stay alive as long as *P. UNKNOWN may be NULL.
 * Returns 0, or -EINVAL (the description is malformed, ERR says how, in
 * at most ERRLEN bytes) or -ENOMEM; on error *P holds nothing to free.
 */
int process_parse(struct process *p, char *buf, size_t len,
		  process_unknown_fn *unknown, void *opaque, char *err,
		  size_t errlen);

/* Free the arrays of a parsed description (not the buffer). */
void process_free(struct process *p);

/*
 * Read the file at PATH into a new buffer (*BUF, malloc'd, owned by the
 * caller) of *LEN bytes. Returns 0, -EFBIG when the file holds more than
 * PROCESS_MAX_SIZE bytes, or -errno.
 */
int process_read_file(const char *path, char **buf, size_t *len);

#endif /* GUESTS_RUNNER_PROCESS_H */

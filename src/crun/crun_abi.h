/* SPDX-License-Identifier: MIT */
/*
 * What crun expects of a handler plugin, written down from crun 1.8.1's
 * sources (src/libcrun/custom-handler.h, container.h, error.h; commit
 * f8a096be, Debian 12's crun), since crun exports no symbols and Debian
 * ships no crun headers. crun dlopen()s every file of its handler
 * directory (RTLD_NOW) at every command and calls
 * run_oci_handler_get_handler(); a file that does not load makes every
 * crun command fail.
 *
 * Only pointers cross this boundary. crun's container and context
 * structs reach the handler as pointers we never dereference (their
 * layouts change between crun versions); the handler reads the OCI spec
 * from config.json itself (oci.h).
 */
#ifndef CRUN_CRUN_ABI_H
#define CRUN_CRUN_ABI_H

/* libcrun_error_t: *err = malloc'd { status (errno or 0), malloc'd msg }. */
struct libcrun_error_s {
	int status;
	char *msg;
};
typedef struct libcrun_error_s *libcrun_error_t;

/* enum handler_configure_phase: the order crun calls them in is 1, 3, 2. */
enum crun_phase {
	CRUN_PHASE_BEFORE_MOUNTS = 1, /* host paths still visible */
	CRUN_PHASE_AFTER_MOUNTS = 2,  /* the rootfs is complete, not pivoted */
	CRUN_PHASE_MOUNTS = 3,	      /* the rootfs is bind-mounted, no more */
};

/*
 * struct custom_handler_s, member for member: ten pointers in 1.8.1;
 * crun 1.27.1 and later read an eleventh (close_fds), NULL here. All may
 * be NULL but unload, which crun calls without looking.
 *   load: when the handler is chosen, in crun's own process, before the
 *     container exists; *cookie is passed to the others.
 *   run_func: in the container's pid 1 instead of execv(): after
 *     pivot_root, with its environment, cwd, user, capabilities and
 *     seccomp applied, every fd >= 3 closed. Returns only on failure;
 *     crun then reports 1.
 *   exec_func: in the process of `crun exec`, instead of execv().
 *   configure_container: in the container's init process, once per phase.
 *   can_handle_container: asked of every handler when neither the
 *     annotation run.oci.handler nor the command name (crun-NAME) chose
 *     one.
 *   modify_oci_configuration: edits crun's parsed spec (its own layout).
 */
struct crun_handler {
	const char *name;
	const char *feature_string; /* crun --version: "+VMM" */
	const char *alias;
	int (*load)(void **cookie, libcrun_error_t *err);
	int (*unload)(void *cookie, libcrun_error_t *err);
	int (*run_func)(void *cookie, void *container, const char *pathname,
			char *const argv[]);
	int (*exec_func)(void *cookie, void *container, const char *pathname,
			 char *const argv[]);
	int (*configure_container)(void *cookie, enum crun_phase phase,
				   void *context, void *container,
				   const char *rootfs, libcrun_error_t *err);
	int (*can_handle_container)(void *container, libcrun_error_t *err);
	int (*modify_oci_configuration)(void *cookie, void *context, void *def,
					libcrun_error_t *err);
	int (*close_fds)(void *cookie, void *container, int preserve_fds,
			 libcrun_error_t *err);
};

_Static_assert(sizeof(struct crun_handler) == 11 * sizeof(void *),
	       "crun reads the handler as eleven pointers");

/* The one symbol the plugin exports (src/crun/crun-vmm.map). */
struct crun_handler *run_oci_handler_get_handler(void);

#endif /* CRUN_CRUN_ABI_H */

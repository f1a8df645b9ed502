/* SPDX-License-Identifier: MIT */
/*
 * Command line -> struct cli_options. Pure: no I/O besides what getopt does
 * with argv, so it is unit-tested. main() owns the exit codes.
 */
#ifndef VMM_CLI_H
#define VMM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vmm/vmm.h>

/* A console port named on the command line (--port NAME=BACKEND). */
struct cli_port {
	const char *name;
	const char *backend;
};

/* A disk named on the command line (--disk path=FILE,...). */
struct cli_fs {
	const char *tag, *path;
	unsigned int flags; /* VMM_FS_* */
};

struct cli_disk {
	const char *path;
	const char *serial; /* NULL: none */
	unsigned int flags; /* VMM_DISK_* */
};

/* What the command line asks for; strings point into argv. */
struct cli_options {
	const char *kernel;
	const char *initrd;  /* NULL: none */
	const char *cmdline; /* NULL: the default command line */
	uint64_t mem_size;
	unsigned int nr_cpus;
	const char *serial;  /* serial backend */
	const char *console; /* virtio-console port 0 backend; NULL: none */
	struct cli_port ports[VMM_MAX_CONSOLE_PORTS];
	unsigned int nr_ports;
	struct cli_disk disks[VMM_MAX_DISKS];
	unsigned int nr_disks;
	const char *nets[VMM_MAX_NETS]; /* --net specs, checked by libvmm */
	unsigned int nr_nets;
	struct cli_fs fs[VMM_MAX_FS];
	unsigned int nr_fs;
	uint32_t vsock_cid; /* 0: no --vsock */
	const char *vsock_path;
	bool rng;
	uint64_t rng_rate; /* bytes per second; 0: no limit */
	const char *stats_path;
	const char *api_path;
	unsigned int sample_ms;
	uint64_t io_poll_ns;	  /* 0: off */
	enum vmm_io_loop io_loop; /* VMM_IO_LOOP_AUTO unless --io-loop */
	enum vmm_seccomp seccomp; /* VMM_SECCOMP_ON unless --seccomp */
	bool debug_exit;
	int verbosity;
};

/* Exit statuses of the vmm process (also in --help and README). */
#define CLI_STATUS_POWEROFF 0
#define CLI_STATUS_ERROR    1
#define CLI_STATUS_USAGE    2
#define CLI_STATUS_RESET    3
#define CLI_STATUS_CRASH    4

enum cli_result {
	CLI_RUN,     /* cfg is complete: boot it */
	CLI_HELP,    /* --help was given */
	CLI_VERSION, /* --version was given */
	CLI_ERROR,   /* err holds a one-line reason */
};

/*
 * Parse argv (argv[0] is the program name). On CLI_ERROR, @err (capacity
 * @err_len) says what is wrong. Strings in @cfg point into argv.
 */
enum cli_result cli_parse(int argc, char **argv, struct cli_options *cfg,
			  char *err, size_t err_len);

/* Parse "256M", "1G", "512K", "1073741824B" or "64" (MiB). 0 or -EINVAL. */
int cli_parse_size(const char *s, uint64_t *out);

/* The --help text. */
const char *cli_usage(void);

#endif /* VMM_CLI_H */

/* SPDX-License-Identifier: MIT */
/*
 * Command line -> struct vm_config. Pure: no I/O besides what getopt does
 * with argv, so it is unit-tested. main() owns the exit codes.
 */
#ifndef VMM_CLI_H
#define VMM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLI_MAX_PORTS	16
#define CLI_DEFAULT_MEM (256ULL << 20)
#define CLI_MIN_MEM	(16ULL << 20)
#define CLI_MAX_MEM	(1ULL << 40)
/* xAPIC ids are 8 bits and 0xff is broadcast: the MADT/MP limit. */
#define CLI_MAX_CPUS 254
/* --io-poll adaptive: the ceiling, KVM's halt_poll_ns default. */
#define CLI_DEFAULT_IO_POLL_US 200
#define CLI_MAX_IO_POLL_US     1000000

struct cli_port {
	const char *name;    /* guest-visible port name */
	const char *backend; /* backend spec, e.g. "socket:/tmp/x" */
};

struct vm_config {
	const char *kernel;
	const char *initrd;  /* NULL: none */
	const char *cmdline; /* NULL: the default command line */
	uint64_t mem_size;
	unsigned int nr_cpus;
	const char *serial;  /* serial backend spec */
	const char *console; /* virtio-console port 0 backend; NULL: none */
	struct cli_port ports[CLI_MAX_PORTS];
	unsigned int nr_ports;
	const char *stats_path; /* --stats: JSON written at exit */
	const char *api_path;	/* --api: control socket */
	unsigned int sample_ms; /* runstate sampler period */
	uint64_t io_poll_ns;	/* io loop polling ceiling; 0: off */
	bool debug_exit;
	int verbosity;
};

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
enum cli_result cli_parse(int argc, char **argv, struct vm_config *cfg,
			  char *err, size_t err_len);

/* Parse "256M", "1G", "512K", "1073741824B" or "64" (MiB). 0 or -EINVAL. */
int cli_parse_size(const char *s, uint64_t *out);

/* The --help text. */
const char *cli_usage(void);

#endif /* VMM_CLI_H */

/* SPDX-License-Identifier: MIT */
/*
 * What a VM is made of, as its clients (the CLI, later the public API)
 * describe it. vm_create() reads it; strings are borrowed, not copied.
 */
#ifndef VMM_VM_CONFIG_H
#define VMM_VM_CONFIG_H

#include <stdbool.h>
#include <signal.h>
#include <stdint.h>

#include <vmm/vmm.h>

#include "backends/net.h"

/* The public limits (include/vmm/vmm.h), by their internal names. */
#define VM_MAX_PORTS   VMM_MAX_CONSOLE_PORTS
#define VM_DEFAULT_MEM VMM_DEFAULT_MEM
#define VM_MIN_MEM     VMM_MIN_MEM
#define VM_MAX_MEM     VMM_MAX_MEM
/* xAPIC ids are 8 bits and 0xff is broadcast: the MADT/MP limit. */
#define VM_MAX_CPUS VMM_MAX_VCPUS
/* --io-poll adaptive: the ceiling, KVM's halt_poll_ns default. */
#define VM_DEFAULT_IO_POLL_US (VMM_DEFAULT_IO_POLL_NS / 1000)
#define VM_MAX_IO_POLL_US     (VMM_MAX_IO_POLL_NS / 1000)

/* The vCPU kick signal unless vm_config.kick_signal names one. */
#define VM_DEFAULT_KICK_SIGNAL (SIGRTMIN + 5)

struct log_sink;

struct vm_port {
	const char *name;    /* guest-visible port name */
	const char *backend; /* backend spec, e.g. "socket:/tmp/x" */
};

struct vm_disk {
	const char *path;
	const char *serial; /* NULL: none */
	bool readonly, direct;
};

/* A directory shared over virtio-fs. */
struct vm_fs {
	const char *tag, *dir;
	bool readonly;
};

struct vm_config {
	/* The images, already read (vm_read_file()) or given in memory. */
	const void *kernel_buf, *initrd_buf; /* initrd_buf NULL: none */
	size_t kernel_len, initrd_len;
	const char *kernel;  /* the kernel's name in messages; NULL: none */
	const char *cmdline; /* NULL: the default command line */
	uint64_t mem_size;
	unsigned int nr_cpus;
	const char *serial;  /* serial backend spec */
	const char *console; /* virtio-console port 0 backend; NULL: none */
	struct vm_port ports[VM_MAX_PORTS];
	unsigned int nr_ports;
	/* Port 0's size when its backend is no terminal; 0: unknown. */
	uint16_t console_rows, console_cols;
	/* The runner control port (vm/runner_ctl.h), after the ports. */
	bool runner_ctl;
	struct vm_disk disks[VMM_MAX_DISKS]; /* vda, vdb, ... in order */
	unsigned int nr_disks;
	struct net_spec nets[VMM_MAX_NETS]; /* eth0, eth1, ... in order */
	unsigned int nr_nets;
	struct vm_fs fs[VMM_MAX_FS];
	unsigned int nr_fs;
	uint32_t vsock_cid;	  /* 0: no vsock device */
	const char *vsock_path;	  /* its hybrid unix socket */
	bool rng;		  /* a virtio-rng device */
	uint64_t rng_rate;	  /* its limit in bytes per second; 0: none */
	const char *stats_path;	  /* --stats: JSON written at exit */
	const char *api_path;	  /* --api: control socket */
	unsigned int sample_ms;	  /* runstate sampler period */
	uint64_t io_poll_ns;	  /* io loop polling ceiling; 0: off */
	enum vmm_io_loop io_loop; /* which loop: AUTO (0) by default */
	enum vmm_seccomp seccomp; /* the threads' filters: ON (0) by default */
	bool debug_exit;
	int kick_signal; /* 0: VM_DEFAULT_KICK_SIGNAL */
	/* Where the VM's threads log (NULL: the default, stderr). */
	const struct log_sink *log;
};

#endif /* VMM_VM_CONFIG_H */

/* SPDX-License-Identifier: MIT */
/*
 * getopt_long parsing of the boot command line. Validates syntax and
 * ranges that need no KVM (the vCPU limit of this host is checked later,
 * against KVM_CAP_MAX_VCPUS).
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: vmm --kernel PATH [options]\n"
    "       vmm ctl SOCKET COMMAND [ARGS]   talk to a running vmm (--api)\n"
    "       vmm top SOCKET                  live per-vCPU runstate view\n"
    "       vmm bench doorbell [options]    doorbell latency benchmark\n"
    "\n"
    "Boot a Linux bzImage (64-bit boot protocol >= 2.12) or an ELF vmlinux\n"
    "(PVH entry) in a KVM virtual machine.\n"
    "\n"
    "options:\n"
    "  -k, --kernel PATH      bzImage or PVH ELF vmlinux to boot (required)\n"
    "  -i, --initrd PATH      initial ramdisk\n"
    "  -c, --cmdline STR      kernel command line (default: console on\n"
    "                         ttyS0, or hvc0 with --console)\n"
    "  -m, --mem SIZE         guest RAM, K/M/G suffix, plain number = MiB\n"
    "                         (default 256M, at least 16M)\n"
    "  -n, --cpus N           number of vCPUs, 1..254 and within KVM's limit\n"
    "                         (default 1)\n"
    "  -s, --serial BACKEND   16550 UART on COM1 (default stdio)\n"
    "      --console BACKEND  virtio-console port 0 (hvc0)\n"
    "      --port NAME=BACKEND  extra virtio-console port (repeatable)\n"
    "      --disk path=FILE[,readonly=on][,direct=on][,serial=ID]\n"
    "                         virtio-blk disk on a raw image or block device\n"
    "                         (repeatable: vda, vdb, ... in this order)\n"
    "      --net tap=IFNAME|fd=N|socket=PATH[,mac=MAC]\n"
    "                         virtio-net on a tap, a tap fd, or a unix\n"
    "                         socket in QEMU's stream framing (passt)\n"
    "                         (repeatable: eth0, eth1, ...)\n"
    "      --vsock cid=N,socket=PATH\n"
    "                         virtio-vsock, Firecracker's unix-socket\n"
    "                         protocol: CONNECT <port> on PATH; the guest\n"
    "                         reaches host port P at PATH_P\n"
    "      --fs tag=TAG,path=DIR[,readonly=on]\n"
    "                         virtio-fs: share DIR, confined to it (guest:\n"
    "                         mount -t virtiofs TAG /mnt)\n"
    "      --rng [rate=BYTES_PER_SEC]\n"
    "                         virtio-rng entropy from the host's getrandom,\n"
    "                         optionally rate limited\n"
    "      --stats PATH       write per-vCPU runstate statistics as JSON at "
    "exit\n"
    "      --api PATH         JSON control socket (pause, resume, stop, "
    "stats)\n"
    "      --sample-ms N      runstate sampling period (default 10)\n"
    "      --io-poll off|adaptive[:MAX_US]\n"
    "                         before it sleeps, the io thread polls the\n"
    "                         virtio rings for a bound that adapts up to\n"
    "                         MAX_US (default adaptive:200)\n"
    "      --io-loop auto|uring|epoll\n"
    "                         the io thread's event loop: io_uring, or epoll\n"
    "                         with synchronous backend I/O; auto (default)\n"
    "                         uses epoll where the host refuses io_uring\n"
    "      --seccomp on|log|off\n"
    "                         per-thread syscall filters: a syscall outside\n"
    "                         a thread's list ends vmm (on, the default) or\n"
    "                         is logged by the kernel (log); `vmm seccomp`\n"
    "                         lists them\n"
    "      --debug-exit       guest writes of V to port 0xf4 end vmm with "
    "status V\n"
    "  -v, --verbose          more messages (repeat for debug)\n"
    "  -h, --help             this text\n"
    "  -V, --version          print the version\n"
    "\n"
    "BACKEND: stdio | file:PATH | pty | socket:PATH | none | fd:IN,OUT\n"
    "\n"
    "exit status:\n"
    "  0  the guest powered off (ACPI S5)\n"
    "  1  VMM error at run time\n"
    "  2  usage error or unusable input (options, kernel, initrd, backend)\n"
    "  3  the guest rebooted (ACPI reset register or i8042 reset)\n"
    "  4  the guest crashed: triple fault, KVM internal or emulation error\n"
    "  V  with --debug-exit, the value the guest wrote to port 0xf4\n"
    "  128+N  ended by signal N (SIGTERM, SIGINT, SIGHUP), after an\n"
    "         orderly stop\n";

const char *cli_usage(void)
{
	return usage_text;
}

int cli_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 20; /* plain number: MiB */
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		v = ULLONG_MAX; /* too large: -ERANGE if the rest parses */
	else if (errno)
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'B':
		shift = 0;
		end++;
		break;
	case 'K':
		shift = 10;
		end++;
		break;
	case 'M':
		shift = 20;
		end++;
		break;
	case 'G':
		shift = 30;
		end++;
		break;
	case 'T':
		shift = 40;
		end++;
		break;
	default: return -EINVAL;
	}
	/* Accept "M", "MB", "MiB" spellings after a unit letter. */
	if (shift && *end && strcasecmp(end, "B") != 0 &&
	    strcasecmp(end, "iB") != 0)
		return -EINVAL;
	if (!shift && *end)
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -ERANGE; /* too large for 64 bits */
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -ERANGE;
	*out = (unsigned int)v;
	return 0;
}

enum {
	OPT_CONSOLE = 256,
	OPT_PORT,
	OPT_STATS,
	OPT_API,
	OPT_SAMPLE_MS,
	OPT_IO_POLL,
	OPT_IO_LOOP,
	OPT_SECCOMP,
	OPT_DEBUG_EXIT,
	OPT_DISK,
	OPT_NET,
	OPT_VSOCK,
	OPT_FS,
	OPT_RNG,
	OPT_LAST
};

static const struct option long_options[] = {
    {"kernel", required_argument, NULL, 'k'},
    {"initrd", required_argument, NULL, 'i'},
    {"cmdline", required_argument, NULL, 'c'},
    {"mem", required_argument, NULL, 'm'},
    {"cpus", required_argument, NULL, 'n'},
    {"serial", required_argument, NULL, 's'},
    {"console", required_argument, NULL, OPT_CONSOLE},
    {"port", required_argument, NULL, OPT_PORT},
    {"stats", required_argument, NULL, OPT_STATS},
    {"api", required_argument, NULL, OPT_API},
    {"sample-ms", required_argument, NULL, OPT_SAMPLE_MS},
    {"io-poll", required_argument, NULL, OPT_IO_POLL},
    {"io-loop", required_argument, NULL, OPT_IO_LOOP},
    {"seccomp", required_argument, NULL, OPT_SECCOMP},
    {"debug-exit", no_argument, NULL, OPT_DEBUG_EXIT},
    {"disk", required_argument, NULL, OPT_DISK},
    {"net", required_argument, NULL, OPT_NET},
    {"vsock", required_argument, NULL, OPT_VSOCK},
    {"fs", required_argument, NULL, OPT_FS},
    {"rng", optional_argument, NULL, OPT_RNG},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

#define FAIL(...)                                                              \
	do {                                                                   \
		snprintf(err, err_len, __VA_ARGS__);                           \
		return CLI_ERROR;                                              \
	} while (0)

/* "1T", "16M": @v in the largest unit that divides it. */
static const char *size_str(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "BKMGT";
	unsigned int u = 0;

	while (u + 1 < sizeof(units) - 1 && v && !(v & 1023)) {
		v >>= 10;
		u++;
	}
	snprintf(buf, len, "%llu%c", (unsigned long long)v, units[u]);
	return buf;
}

/* The long name of option @val, for messages ("--kernel"). */
static const char *opt_name(int val)
{
	for (const struct option *o = long_options; o->name; o++)
		if (o->val == val)
			return o->name;
	return "?";
}

/* Options that take one value: given twice, which one is meant? */
static bool single_valued(int opt)
{
	switch (opt) {
	case 'k':
	case 'i':
	case 'c':
	case 'm':
	case 'n':
	case 's':
	case OPT_CONSOLE:
	case OPT_STATS:
	case OPT_API:
	case OPT_SAMPLE_MS:
	case OPT_IO_POLL:
	case OPT_IO_LOOP:
	case OPT_SECCOMP:
	case OPT_RNG: return true;
	default: return false;
	}
}

/*
 * getopt_long() refused argv[@at] ('?' or ':'): name the option itself,
 * "-x" of "-vx", "--kernel" of "--kernel", "--debug-exit" of
 * "--debug-exit=1".
 */
static void bad_option(int opt, char **argv, int at, char *err, size_t err_len)
{
	const char *arg = argv[at];
	int len = (int)strcspn(arg, "=");

	if (strncmp(arg, "--", 2) != 0) {
		if (opt == ':')
			snprintf(err, err_len, "option '-%c' needs an argument",
				 optopt);
		else
			snprintf(err, err_len,
				 "unknown option '-%c' (see --help)", optopt);
	} else if (opt == ':') {
		snprintf(err, err_len, "option '%.*s' needs an argument", len,
			 arg);
	} else if (optopt && arg[len]) {
		snprintf(err, err_len, "option '%.*s' takes no argument", len,
			 arg);
	} else {
		snprintf(err, err_len, "unknown option '%.*s' (see --help)",
			 len, arg);
	}
}

static enum cli_result add_port(struct cli_options *cfg, char *arg, char *err,
				size_t err_len)
{
	char *eq = strchr(arg, '=');
	char why[160];

	if (!eq || eq == arg || !eq[1])
		FAIL("--port expects NAME=BACKEND, got '%s'", arg);
	if (cfg->nr_ports == VMM_MAX_CONSOLE_PORTS)
		FAIL("at most %d --port options", VMM_MAX_CONSOLE_PORTS);
	*eq = '\0'; /* argv strings are ours to split */
	for (unsigned int i = 0; i < cfg->nr_ports; i++)
		if (!strcmp(cfg->ports[i].name, arg))
			FAIL("--port name '%s' given twice", arg);
	if (vmm_check_backend(eq + 1, why, sizeof(why)))
		FAIL("--port %s: %s", arg, why);
	cfg->ports[cfg->nr_ports++] = (struct cli_port){arg, eq + 1};
	return CLI_RUN;
}

/* "on" / "off" of a KEY=on|off option. */
static int parse_on_off(const char *v, bool *out)
{
	if (!strcmp(v, "on")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "off")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

/* --disk path=FILE[,readonly=on][,direct=on][,serial=ID] */
static enum cli_result add_disk(struct cli_options *cfg, char *arg, char *err,
				size_t err_len)
{
	struct cli_disk d = {0};
	char *save = NULL, *kv;
	bool on;

	if (cfg->nr_disks == VMM_MAX_DISKS)
		FAIL("at most %d --disk options", VMM_MAX_DISKS);
	for (kv = strtok_r(arg, ",", &save); kv;
	     kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');

		if (!eq)
			FAIL("--disk: '%s' is not KEY=VALUE", kv);
		*eq++ = '\0';
		if (!strcmp(kv, "path") && *eq) {
			d.path = eq;
		} else if (!strcmp(kv, "serial")) {
			if (strlen(eq) > 20)
				FAIL("--disk serial=%s: longer than 20 bytes",
				     eq);
			d.serial = eq;
		} else if (!strcmp(kv, "readonly") || !strcmp(kv, "direct")) {
			unsigned int bit =
			    kv[0] == 'r' ? VMM_DISK_READONLY : VMM_DISK_DIRECT;

			if (parse_on_off(eq, &on))
				FAIL("--disk %s=%s: on or off", kv, eq);
			d.flags = on ? d.flags | bit : d.flags & ~bit;
		} else {
			FAIL("--disk: unknown key '%s' (path, readonly, "
			     "direct, serial)",
			     kv);
		}
	}
	if (!d.path)
		FAIL("--disk needs path=FILE");
	cfg->disks[cfg->nr_disks++] = d;
	return CLI_RUN;
}

/* --fs tag=TAG,path=DIR[,readonly=on] (libvmm checks the tag). */
static enum cli_result add_fs(struct cli_options *cfg, char *arg, char *err,
			      size_t err_len)
{
	struct cli_fs f = {0};
	char *save = NULL, *kv;
	bool on;

	if (cfg->nr_fs == VMM_MAX_FS)
		FAIL("at most %d --fs option%s", VMM_MAX_FS,
		     VMM_MAX_FS == 1 ? "" : "s");
	for (kv = strtok_r(arg, ",", &save); kv;
	     kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');

		if (!eq)
			FAIL("--fs: '%s' is not KEY=VALUE", kv);
		*eq++ = '\0';
		if (!strcmp(kv, "tag") && *eq) {
			f.tag = eq;
		} else if (!strcmp(kv, "path") && *eq) {
			f.path = eq;
		} else if (!strcmp(kv, "readonly")) {
			if (parse_on_off(eq, &on))
				FAIL("--fs readonly=%s: on or off", eq);
			f.flags = on ? VMM_FS_READONLY : 0;
		} else {
			FAIL("--fs: unknown key '%s' (tag, path, readonly)",
			     kv);
		}
	}
	if (!f.tag || !f.path)
		FAIL("--fs needs tag=TAG and path=DIR");
	cfg->fs[cfg->nr_fs++] = f;
	return CLI_RUN;
}

/* --vsock cid=N,socket=PATH (libvmm checks the CID's range). */
static enum cli_result set_vsock(struct cli_options *cfg, char *arg, char *err,
				 size_t err_len)
{
	char *save = NULL, *kv;
	unsigned int cid = 0;

	if (cfg->vsock_cid)
		FAIL("--vsock given twice (one vsock device per VM)");
	for (kv = strtok_r(arg, ",", &save); kv;
	     kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');

		if (!eq)
			FAIL("--vsock: '%s' is not KEY=VALUE", kv);
		*eq++ = '\0';
		if (!strcmp(kv, "cid")) {
			if (parse_uint(eq, UINT32_MAX, &cid) || !cid)
				FAIL("--vsock cid=%s: a number, 3..4294967294",
				     eq);
		} else if (!strcmp(kv, "socket") && *eq) {
			cfg->vsock_path = eq;
		} else {
			FAIL("--vsock: unknown key '%s' (cid, socket)", kv);
		}
	}
	if (!cid || !cfg->vsock_path)
		FAIL("--vsock needs cid=N and socket=PATH");
	cfg->vsock_cid = cid;
	return CLI_RUN;
}

/* --rng, --rng rate=N or --rng=rate=N (bytes per second). */
static int parse_rng(const char *arg, uint64_t *rate)
{
	unsigned long long v;
	char *end;

	*rate = 0;
	if (!arg)
		return 0;
	if (strncmp(arg, "rate=", 5) || !isdigit((unsigned char)arg[5]))
		return -EINVAL;
	errno = 0;
	v = strtoull(arg + 5, &end, 10);
	if (errno || *end || !v)
		return -EINVAL;
	*rate = v;
	return 0;
}

/* "off", "adaptive" or "adaptive:MAX_US" -> ceiling in ns (0: off). */
static int parse_io_poll(const char *s, uint64_t *ns)
{
	unsigned int us = (unsigned int)(VMM_DEFAULT_IO_POLL_NS / 1000);

	if (!strcmp(s, "off")) {
		*ns = 0;
		return 0;
	}
	if (strncmp(s, "adaptive", 8) || (s[8] && s[8] != ':'))
		return -EINVAL;
	if (s[8] &&
	    (parse_uint(s + 9, (unsigned int)(VMM_MAX_IO_POLL_NS / 1000),
			&us) ||
	     !us))
		return -EINVAL;
	*ns = us * 1000ULL;
	return 0;
}

/* @s as the index of one of @names (n of them), or -EINVAL. */
static int parse_choice(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -EINVAL;
}

/* "auto", "uring" or "epoll". */
static int parse_io_loop(const char *s, enum vmm_io_loop *kind)
{
	static const char *const names[] = {
	    [VMM_IO_LOOP_AUTO] = "auto",
	    [VMM_IO_LOOP_URING] = "uring",
	    [VMM_IO_LOOP_EPOLL] = "epoll",
	};
	int i = parse_choice(s, names, sizeof(names) / sizeof(names[0]));

	if (i < 0)
		return i;
	*kind = (enum vmm_io_loop)i;
	return 0;
}

/* "on", "log" or "off". */
static int parse_seccomp(const char *s, enum vmm_seccomp *mode)
{
	static const char *const names[] = {
	    [VMM_SECCOMP_ON] = "on",
	    [VMM_SECCOMP_LOG] = "log",
	    [VMM_SECCOMP_OFF] = "off",
	};
	int i = parse_choice(s, names, sizeof(names) / sizeof(names[0]));

	if (i < 0)
		return i;
	*mode = (enum vmm_seccomp)i;
	return 0;
}

enum cli_result cli_parse(int argc, char **argv, struct cli_options *cfg,
			  char *err, size_t err_len)
{
	bool seen[OPT_LAST] = {false};
	char why[160], lim[32];
	int opt, at, r;

	memset(cfg, 0, sizeof(*cfg));
	cfg->mem_size = VMM_DEFAULT_MEM;
	cfg->nr_cpus = 1;
	cfg->serial = "stdio";
	cfg->sample_ms = 10;
	cfg->io_poll_ns = VMM_DEFAULT_IO_POLL_NS;
	optind = 0; /* reset getopt (also lets tests call us repeatedly) */
	opterr = 0;
	/*
	 * "+": no reordering, so argv[at], noted before each call, is the
	 * argument getopt looks at (also inside "-vx"); the first
	 * non-option ends the options and is refused below.
	 */
	for (;;) {
		at = optind ? optind : 1;
		opt = getopt_long(argc, argv, "+:k:i:c:m:n:s:vhV", long_options,
				  NULL);
		if (opt == -1)
			break;
		if (single_valued(opt)) {
			if (seen[opt])
				FAIL("--%s given twice (it takes one value)",
				     opt_name(opt));
			seen[opt] = true;
		}
		switch (opt) {
		case 'k': cfg->kernel = optarg; break;
		case 'i': cfg->initrd = optarg; break;
		case 'c': cfg->cmdline = optarg; break;
		case 'm':
			r = cli_parse_size(optarg, &cfg->mem_size);
			if (r == -ERANGE || (!r && cfg->mem_size > VMM_MAX_MEM))
				FAIL("--mem %s is too large (maximum %s)",
				     optarg,
				     size_str(VMM_MAX_MEM, lim, sizeof(lim)));
			if (r)
				FAIL("--mem: cannot parse size '%s'", optarg);
			if (cfg->mem_size < VMM_MIN_MEM)
				FAIL("--mem %s is too small (minimum %s)",
				     optarg,
				     size_str(VMM_MIN_MEM, lim, sizeof(lim)));
			break;
		case 'n':
			if (parse_uint(optarg, VMM_MAX_VCPUS, &cfg->nr_cpus) ||
			    cfg->nr_cpus == 0)
				FAIL(
				    "--cpus must be between 1 and %d, got '%s'",
				    VMM_MAX_VCPUS, optarg);
			break;
		case 's':
			if (vmm_check_backend(optarg, why, sizeof(why)))
				FAIL("--serial: %s", why);
			cfg->serial = optarg;
			break;
		case OPT_CONSOLE:
			if (vmm_check_backend(optarg, why, sizeof(why)))
				FAIL("--console: %s", why);
			cfg->console = optarg;
			break;
		case OPT_PORT:
			if (add_port(cfg, optarg, err, err_len) != CLI_RUN)
				return CLI_ERROR;
			break;
		case OPT_STATS: cfg->stats_path = optarg; break;
		case OPT_API: cfg->api_path = optarg; break;
		case OPT_SAMPLE_MS:
			if (parse_uint(optarg, 60000, &cfg->sample_ms) ||
			    !cfg->sample_ms)
				FAIL("--sample-ms must be 1..60000, got '%s'",
				     optarg);
			break;
		case OPT_IO_POLL:
			if (parse_io_poll(optarg, &cfg->io_poll_ns))
				FAIL("--io-poll: off or adaptive[:1..%d], "
				     "got '%s'",
				     (unsigned int)(VMM_MAX_IO_POLL_NS / 1000),
				     optarg);
			break;
		case OPT_IO_LOOP:
			if (parse_io_loop(optarg, &cfg->io_loop))
				FAIL("--io-loop: auto, uring or epoll, got "
				     "'%s'",
				     optarg);
			break;
		case OPT_SECCOMP:
			if (parse_seccomp(optarg, &cfg->seccomp))
				FAIL("--seccomp: on, log or off, got '%s'",
				     optarg);
			break;
		case OPT_DEBUG_EXIT: cfg->debug_exit = true; break;
		case OPT_DISK:
			if (add_disk(cfg, optarg, err, err_len) != CLI_RUN)
				return CLI_ERROR;
			break;
		case OPT_NET:
			if (cfg->nr_nets == VMM_MAX_NETS)
				FAIL("at most %d --net options", VMM_MAX_NETS);
			cfg->nets[cfg->nr_nets++] = optarg;
			break;
		case OPT_VSOCK:
			if (set_vsock(cfg, optarg, err, err_len) != CLI_RUN)
				return CLI_ERROR;
			break;
		case OPT_FS:
			if (add_fs(cfg, optarg, err, err_len) != CLI_RUN)
				return CLI_ERROR;
			break;
		case OPT_RNG:
			/* "--rng rate=N": the value as the next word. */
			if (!optarg && optind < argc &&
			    !strncmp(argv[optind], "rate=", 5))
				optarg = argv[optind++];
			if (parse_rng(optarg, &cfg->rng_rate))
				FAIL("--rng: expected rate=BYTES_PER_SEC (a "
				     "positive number), got '%s'",
				     optarg);
			cfg->rng = true;
			break;
		case 'v': cfg->verbosity++; break;
		case 'h': return CLI_HELP;
		case 'V': return CLI_VERSION;
		default:
			bad_option(opt, argv, at, err, err_len);
			return CLI_ERROR;
		}
	}
	if (optind < argc)
		FAIL("unexpected argument '%s' (see --help)", argv[optind]);
	if (!cfg->kernel)
		FAIL("no kernel given: use --kernel PATH (see --help)");
	if (cfg->nr_ports && !cfg->console)
		FAIL("--port needs --console (ports live on the virtio-console "
		     "device)");
	return CLI_RUN;
}

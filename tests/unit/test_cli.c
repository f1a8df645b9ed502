/* SPDX-License-Identifier: MIT */
/*
 * Command-line parsing: sizes, ranges, backends, ports, errors.
 */
#include <string.h>

#include "check.h"
#include "cli/cli.h"

#define MAX_ARGS 24

/* Parse a NULL-terminated list of arguments (copied: cli may split them). */
static enum cli_result parse(struct cli_options *cfg, char *err,
			     const char *const *args)
{
	static char store[MAX_ARGS][128];
	char *argv[MAX_ARGS + 1];
	int argc = 0;

	argv[argc++] = strcpy(store[0], "vmm");
	for (; *args && argc < MAX_ARGS; args++, argc++)
		argv[argc] = strcpy(store[argc], *args);
	argv[argc] = NULL;
	return cli_parse(argc, argv, cfg, err, 256);
}

#define PARSE(...) parse(&cfg, err, (const char *const[]){__VA_ARGS__, NULL})

static void test_sizes(void)
{
	uint64_t v = 0;

	CHECK_EQ(cli_parse_size("256M", &v), 0);
	CHECK_EQ(v, 256ULL << 20);
	CHECK_EQ(cli_parse_size("1G", &v), 0);
	CHECK_EQ(v, 1ULL << 30);
	CHECK_EQ(cli_parse_size("3584m", &v), 0);
	CHECK_EQ(v, 3584ULL << 20);
	CHECK_EQ(cli_parse_size("512K", &v), 0);
	CHECK_EQ(v, 512ULL << 10);
	CHECK_EQ(cli_parse_size("64", &v), 0);
	CHECK_EQ(v, 64ULL << 20);
	CHECK_EQ(cli_parse_size("2GiB", &v), 0);
	CHECK_EQ(v, 2ULL << 30);
	CHECK_EQ(cli_parse_size("1048576B", &v), 0);
	CHECK_EQ(v, 1ULL << 20);
	CHECK(cli_parse_size("", &v) < 0);
	CHECK(cli_parse_size("M", &v) < 0);
	CHECK(cli_parse_size("-1G", &v) < 0);
	CHECK(cli_parse_size("12X", &v) < 0);
	CHECK(cli_parse_size("1GG", &v) < 0);
	CHECK(cli_parse_size("99999999999999999999G", &v) < 0);
	CHECK(cli_parse_size("17179869184G", &v) < 0); /* 2^64 bytes */
}

static void test_defaults_and_options(void)
{
	struct cli_options cfg;
	char err[256];

	CHECK_EQ(PARSE("--kernel", "k"), CLI_RUN);
	CHECK(!strcmp(cfg.kernel, "k"));
	CHECK_EQ(cfg.mem_size, 256ULL << 20);
	CHECK_EQ(cfg.nr_cpus, 1);
	CHECK(!strcmp(cfg.serial, "stdio"));
	CHECK(cfg.initrd == NULL && cfg.cmdline == NULL && !cfg.debug_exit);

	CHECK_EQ(PARSE("-k", "k", "--initrd", "i", "--cmdline", "a b", "--mem",
		       "5G", "--cpus", "64", "--serial", "file:/x",
		       "--debug-exit", "-v", "-v"),
		 CLI_RUN);
	CHECK(!strcmp(cfg.initrd, "i") && !strcmp(cfg.cmdline, "a b"));
	CHECK_EQ(cfg.mem_size, 5ULL << 30);
	CHECK_EQ(cfg.nr_cpus, 64);
	CHECK(!strcmp(cfg.serial, "file:/x"));
	CHECK(cfg.debug_exit);
	CHECK_EQ(cfg.verbosity, 2);

	CHECK_EQ(PARSE("--help"), CLI_HELP);
	CHECK_EQ(PARSE("--version"), CLI_VERSION);
	CHECK_EQ(PARSE("-k", "k", "--cpus", "254"), CLI_RUN);
}

static void test_errors(void)
{
	struct cli_options cfg;
	char err[256];

	CHECK_EQ(PARSE("--cpus", "2"), CLI_ERROR);
	CHECK(strstr(err, "--kernel") != NULL);
	CHECK_EQ(PARSE("-k", "k", "--cpus", "0"), CLI_ERROR);
	CHECK(strstr(err, "--cpus") != NULL);
	CHECK_EQ(PARSE("-k", "k", "--cpus", "255"), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--cpus", "two"), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--mem", "1M"), CLI_ERROR);
	CHECK(strstr(err, "too small") != NULL);
	CHECK_EQ(PARSE("-k", "k", "--mem", "999999G"), CLI_ERROR);
	CHECK(strstr(err, "too large") != NULL);
	CHECK_EQ(PARSE("-k", "k", "--mem", "lots"), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--bogus"), CLI_ERROR);
	CHECK(strstr(err, "--bogus") != NULL);
	CHECK_EQ(PARSE("-k", "k", "-x"), CLI_ERROR);
	CHECK_EQ(PARSE("-k"), CLI_ERROR);
	CHECK(strstr(err, "needs an argument") != NULL);
	CHECK_EQ(PARSE("-k", "k", "extra"), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--serial", "carrier-pigeon"), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--serial", "file:"), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--sample-ms", "0"), CLI_ERROR);
}

/* Each message names what is wrong, not a symptom. */
static void test_messages(void)
{
	struct cli_options cfg;
	char err[256];

	/* An empty path is a missing path, not an unknown backend. */
	CHECK_EQ(PARSE("-k", "k", "--console", "socket:"), CLI_ERROR);
	CHECK(!strcmp(err, "--console: console backend 'socket' needs a "
			   "path: socket:PATH"));
	CHECK_EQ(PARSE("-k", "k", "--serial", "file:"), CLI_ERROR);
	CHECK(!strcmp(err, "--serial: console backend 'file' needs a path: "
			   "file:PATH"));
	CHECK_EQ(PARSE("-k", "k", "--console", "pty", "--port", "p=socket:"),
		 CLI_ERROR);
	CHECK(strstr(err, "--port p: console backend 'socket' needs a path"));
	CHECK_EQ(PARSE("-k", "k", "--serial", "none:x"), CLI_ERROR);
	CHECK(strstr(err, "'none' takes no argument") != NULL);
	CHECK_EQ(PARSE("-k", "k", "--serial", "carrier-pigeon"), CLI_ERROR);
	CHECK(strstr(err, "unknown console backend 'carrier-pigeon'"));

	/* Sizes beyond 64 bits are too large, with the limit. */
	CHECK_EQ(PARSE("-k", "k", "--mem", "18446744073709551615"), CLI_ERROR);
	CHECK(!strcmp(err, "--mem 18446744073709551615 is too large "
			   "(maximum 1T)"));
	CHECK_EQ(PARSE("-k", "k", "--mem", "99999999999999999999G"), CLI_ERROR);
	CHECK(strstr(err, "too large (maximum 1T)") != NULL);
	CHECK_EQ(PARSE("-k", "k", "--mem", "2T"), CLI_ERROR);
	CHECK(strstr(err, "too large (maximum 1T)") != NULL);
	CHECK_EQ(PARSE("-k", "k", "--mem", "1T"), CLI_RUN);
	CHECK_EQ(PARSE("-k", "k", "--mem", "15M"), CLI_ERROR);
	CHECK(strstr(err, "too small (minimum 16M)") != NULL);
	CHECK_EQ(PARSE("-k", "k", "--mem", "12Q"), CLI_ERROR);
	CHECK(strstr(err, "cannot parse") != NULL);

	/* The bad option itself, also inside a cluster. */
	CHECK_EQ(PARSE("-k", "k", "-vx"), CLI_ERROR);
	CHECK(!strcmp(err, "unknown option '-x' (see --help)"));
	CHECK_EQ(PARSE("-k", "k", "-xv"), CLI_ERROR);
	CHECK(!strcmp(err, "unknown option '-x' (see --help)"));
	CHECK_EQ(PARSE("-vk"), CLI_ERROR);
	CHECK(!strcmp(err, "option '-k' needs an argument"));
	CHECK_EQ(PARSE("-k", "k", "--kernel"), CLI_ERROR);
	CHECK(!strcmp(err, "option '--kernel' needs an argument"));
	CHECK_EQ(PARSE("-k", "k", "--bogus=1"), CLI_ERROR);
	CHECK(!strcmp(err, "unknown option '--bogus' (see --help)"));
	CHECK_EQ(PARSE("-k", "k", "--debug-exit=1"), CLI_ERROR);
	CHECK(!strcmp(err, "option '--debug-exit' takes no argument"));
	CHECK_EQ(PARSE("-vk", "k", "-vv"), CLI_RUN);
	CHECK_EQ(cfg.verbosity, 3);
	CHECK(!strcmp(cfg.kernel, "k"));
}

/* A single-valued option given twice is an error, not last-wins. */
static void test_repeats(void)
{
	static const char *const once[][2] = {
	    {"--kernel", "k"},	    {"-k", "k"},	   {"--initrd", "i"},
	    {"--cmdline", "c"},	    {"--mem", "64M"},	   {"--cpus", "2"},
	    {"--serial", "none"},   {"--console", "none"}, {"--stats", "s"},
	    {"--api", "a"},	    {"--sample-ms", "5"},  {"--io-poll", "off"},
	    {"--io-loop", "epoll"},
	};
	struct cli_options cfg;
	char err[256];

	for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
		CHECK_EQ(PARSE("-k", "k", once[i][0], once[i][1], once[i][0],
			       once[i][1]),
			 CLI_ERROR);
		CHECK(strstr(err, "given twice") != NULL);
	}
	CHECK_EQ(PARSE("-k", "a", "--kernel", "b"), CLI_ERROR);
	CHECK(!strcmp(err, "--kernel given twice (it takes one value)"));
	CHECK_EQ(PARSE("-k", "k", "-s", "none", "--serial", "stdio"),
		 CLI_ERROR);
	CHECK(!strcmp(err, "--serial given twice (it takes one value)"));
	/* Repeatable ones stay repeatable. */
	CHECK_EQ(PARSE("-k", "k", "-v", "-v", "--verbose", "--debug-exit",
		       "--debug-exit", "--console", "none", "--port", "a=none",
		       "--port", "b=none"),
		 CLI_RUN);
	CHECK_EQ(cfg.verbosity, 3);
	CHECK_EQ(cfg.nr_ports, 2);
}

static void test_io_poll(void)
{
	struct cli_options cfg;
	char err[256];

	CHECK_EQ(PARSE("-k", "k"), CLI_RUN);
	CHECK_EQ(cfg.io_poll_ns, VMM_DEFAULT_IO_POLL_NS);
	CHECK_EQ(PARSE("-k", "k", "--io-poll", "off"), CLI_RUN);
	CHECK_EQ(cfg.io_poll_ns, 0);
	CHECK_EQ(PARSE("-k", "k", "--io-poll", "adaptive"), CLI_RUN);
	CHECK_EQ(cfg.io_poll_ns, VMM_DEFAULT_IO_POLL_NS);
	CHECK_EQ(PARSE("-k", "k", "--io-poll", "adaptive:50"), CLI_RUN);
	CHECK_EQ(cfg.io_poll_ns, 50000);
	CHECK_EQ(PARSE("-k", "k", "--io-poll", "adaptive:1000000"), CLI_RUN);
	CHECK_EQ(cfg.io_poll_ns, 1000000000ULL);
	CHECK_EQ(PARSE("-k", "k", "--io-poll", "adaptive:0"), CLI_ERROR);
	CHECK(strstr(err, "--io-poll") != NULL);
	CHECK_EQ(PARSE("-k", "k", "--io-poll", "adaptive:1000001"), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--io-poll", "adaptive:"), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--io-poll", "adaptive:-5"), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--io-poll", "adaptivex"), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--io-poll", "busy"), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--io-poll", "on"), CLI_ERROR);
}

static void test_io_loop(void)
{
	struct cli_options cfg;
	char err[256];

	CHECK_EQ(PARSE("-k", "k"), CLI_RUN);
	CHECK_EQ(cfg.io_loop, VMM_IO_LOOP_AUTO);
	CHECK_EQ(PARSE("-k", "k", "--io-loop", "epoll"), CLI_RUN);
	CHECK_EQ(cfg.io_loop, VMM_IO_LOOP_EPOLL);
	CHECK_EQ(PARSE("-k", "k", "--io-loop=uring"), CLI_RUN);
	CHECK_EQ(cfg.io_loop, VMM_IO_LOOP_URING);
	CHECK_EQ(PARSE("-k", "k", "--io-loop=auto"), CLI_RUN);
	CHECK_EQ(cfg.io_loop, VMM_IO_LOOP_AUTO);
	CHECK_EQ(PARSE("-k", "k", "--io-loop", "kqueue"), CLI_ERROR);
	CHECK(!strcmp(err, "--io-loop: auto, uring or epoll, got 'kqueue'"));
	CHECK_EQ(PARSE("-k", "k", "--io-loop="), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--io-loop", "EPOLL"), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--io-loop=epoll", "--io-loop=epoll"),
		 CLI_ERROR);
	CHECK(!strcmp(err, "--io-loop given twice (it takes one value)"));
}

static void test_ports(void)
{
	struct cli_options cfg;
	char err[256];

	CHECK_EQ(PARSE("-k", "k", "--console", "pty", "--port",
		       "log=file:/tmp/l", "--port", "ctl=socket:/tmp/s"),
		 CLI_RUN);
	CHECK(!strcmp(cfg.console, "pty"));
	CHECK_EQ(cfg.nr_ports, 2);
	CHECK(!strcmp(cfg.ports[0].name, "log"));
	CHECK(!strcmp(cfg.ports[0].backend, "file:/tmp/l"));
	CHECK(!strcmp(cfg.ports[1].name, "ctl"));
	CHECK_EQ(PARSE("-k", "k", "--port", "a=pty"), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--console", "pty", "--port", "a"),
		 CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--console", "pty", "--port", "=pty"),
		 CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--console", "pty", "--port", "a=pty",
		       "--port", "a=none"),
		 CLI_ERROR);
}

static void test_disks_rng(void)
{
	struct cli_options cfg;
	char err[256];

	CHECK_EQ(PARSE("-k", "k", "--disk", "path=/a.img", "--disk",
		       "path=/b.img,readonly=on,direct=on,serial=B1", "--disk",
		       "readonly=on,path=/c,readonly=off"),
		 CLI_RUN);
	CHECK_EQ(cfg.nr_disks, 3);
	CHECK(!strcmp(cfg.disks[0].path, "/a.img"));
	CHECK_EQ(cfg.disks[0].flags, 0);
	CHECK(cfg.disks[0].serial == NULL);
	CHECK(!strcmp(cfg.disks[1].path, "/b.img"));
	CHECK_EQ(cfg.disks[1].flags, VMM_DISK_READONLY | VMM_DISK_DIRECT);
	CHECK(!strcmp(cfg.disks[1].serial, "B1"));
	CHECK(!strcmp(cfg.disks[2].path, "/c"));
	CHECK_EQ(cfg.disks[2].flags, 0);
	CHECK(!cfg.rng);
	CHECK_EQ(PARSE("-k", "k", "--disk", "path=/a,foo=1"), CLI_ERROR);
	CHECK(strstr(err, "unknown key 'foo'"));
	CHECK_EQ(PARSE("-k", "k", "--disk", "readonly=on"), CLI_ERROR);
	CHECK(strstr(err, "needs path=FILE"));
	CHECK_EQ(PARSE("-k", "k", "--disk", "path="), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--disk", "/a.img"), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--disk", "path=/a,readonly=yes"), CLI_ERROR);
	CHECK_EQ(
	    PARSE("-k", "k", "--disk", "path=/a,serial=123456789012345678901"),
	    CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--disk", "p=1", "--disk", "p=2", "--disk",
		       "p=3", "--disk", "p=4", "--disk", "p=5", "--disk", "p=6",
		       "--disk", "p=7", "--disk", "p=8", "--disk", "p=9"),
		 CLI_ERROR);
	CHECK(strstr(err, "unknown key 'p'"));
	CHECK_EQ(PARSE("-k", "k", "--disk", "path=1", "--disk", "path=2",
		       "--disk", "path=3", "--disk", "path=4", "--disk",
		       "path=5", "--disk", "path=6", "--disk", "path=7",
		       "--disk", "path=8", "--disk", "path=9"),
		 CLI_ERROR);
	CHECK(strstr(err, "at most 8 --disk"));

	CHECK_EQ(PARSE("-k", "k", "--rng"), CLI_RUN);
	CHECK(cfg.rng);
	CHECK_EQ(cfg.rng_rate, 0);
	CHECK_EQ(PARSE("-k", "k", "--rng", "rate=4096", "-m", "64M"), CLI_RUN);
	CHECK(cfg.rng);
	CHECK_EQ(cfg.rng_rate, 4096);
	CHECK_EQ(PARSE("-k", "k", "--rng=rate=100"), CLI_RUN);
	CHECK_EQ(cfg.rng_rate, 100);
	CHECK_EQ(PARSE("-k", "k", "--rng", "rate=0"), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--rng", "rate=x"), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--rng=fast"), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--rng", "--rng"), CLI_ERROR);
	CHECK(strstr(err, "given twice"));
	/* A word after a bare --rng that is not rate=... is no value of it. */
	CHECK_EQ(PARSE("-k", "k", "--rng", "extra"), CLI_ERROR);
	CHECK(strstr(err, "unexpected argument 'extra'"));
}

static void test_net_vsock(void)
{
	struct cli_options cfg;
	char err[256];

	CHECK_EQ(PARSE("-k", "k", "--net", "tap=tap0", "--net",
		       "socket=/run/passt.sock,mac=52:54:00:00:00:02"),
		 CLI_RUN);
	CHECK_EQ(cfg.nr_nets, 2);
	CHECK(!strcmp(cfg.nets[0], "tap=tap0"));
	CHECK(!strcmp(cfg.nets[1],
		      "socket=/run/passt.sock,mac=52:54:00:00:00:02"));
	CHECK_EQ(cfg.vsock_cid, 0);
	CHECK_EQ(PARSE("-k", "k", "--net", "a", "--net", "b", "--net", "c",
		       "--net", "d", "--net", "e"),
		 CLI_ERROR);
	CHECK(strstr(err, "at most 4 --net"));

	CHECK_EQ(PARSE("-k", "k", "--vsock", "cid=3,socket=/tmp/v.sock"),
		 CLI_RUN);
	CHECK_EQ(cfg.vsock_cid, 3);
	CHECK(!strcmp(cfg.vsock_path, "/tmp/v.sock"));
	CHECK_EQ(PARSE("-k", "k", "--vsock", "socket=/v,cid=4294967294"),
		 CLI_RUN);
	CHECK_EQ(cfg.vsock_cid, 4294967294u);
	CHECK_EQ(PARSE("-k", "k", "--vsock", "cid=4294967296,socket=/v"),
		 CLI_ERROR);
	CHECK(strstr(err, "cid=4294967296"));
	CHECK_EQ(PARSE("-k", "k", "--vsock", "cid=0,socket=/v"), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--vsock", "cid=x,socket=/v"), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--vsock", "cid=3"), CLI_ERROR);
	CHECK(strstr(err, "needs cid=N and socket=PATH"));
	CHECK_EQ(PARSE("-k", "k", "--vsock", "cid=3,socket="), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--vsock", "cid=3,port=5"), CLI_ERROR);
	CHECK(strstr(err, "unknown key 'port'"));
	CHECK_EQ(PARSE("-k", "k", "--vsock", "3"), CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--vsock", "cid=3,socket=/a", "--vsock",
		       "cid=4,socket=/b"),
		 CLI_ERROR);
	CHECK(strstr(err, "given twice"));
}

static void test_fs(void)
{
	struct cli_options cfg;
	char err[256];

	CHECK_EQ(PARSE("-k", "k", "--fs", "tag=share,path=/srv/x"), CLI_RUN);
	CHECK_EQ(cfg.nr_fs, 1);
	CHECK(!strcmp(cfg.fs[0].tag, "share"));
	CHECK(!strcmp(cfg.fs[0].path, "/srv/x"));
	CHECK_EQ(cfg.fs[0].flags, 0);
	CHECK_EQ(PARSE("-k", "k", "--fs", "path=/p,readonly=on,tag=t"),
		 CLI_RUN);
	CHECK_EQ(cfg.fs[0].flags, VMM_FS_READONLY);
	CHECK_EQ(PARSE("-k", "k", "--fs", "tag=t"), CLI_ERROR);
	CHECK(strstr(err, "needs tag=TAG and path=DIR"));
	CHECK_EQ(PARSE("-k", "k", "--fs", "tag=t,path=/p,readonly=maybe"),
		 CLI_ERROR);
	CHECK_EQ(PARSE("-k", "k", "--fs", "tag=t,path=/p,cache=auto"),
		 CLI_ERROR);
	CHECK(strstr(err, "unknown key 'cache'"));
	CHECK_EQ(PARSE("-k", "k", "--fs", "t"), CLI_ERROR);
	CHECK_EQ(
	    PARSE("-k", "k", "--fs", "tag=a,path=/a", "--fs", "tag=b,path=/b"),
	    CLI_ERROR);
}

int main(void)
{
	test_sizes();
	test_defaults_and_options();
	test_io_poll();
	test_io_loop();
	test_errors();
	test_ports();
	test_messages();
	test_repeats();
	test_disks_rng();
	test_net_vsock();
	test_fs();
	return check_done("test_cli");
}

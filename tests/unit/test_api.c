/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the control socket (api/api.c, api/api_request.c) with a
 * fake ops table: request validation through api_handle(), then the real
 * io loop serving a socketpair and a listening socket: pipelined,
 * byte-by-byte, oversized and malformed requests, several clients, a
 * client that does not read its replies, and abrupt disconnects. The fake
 * VM counts every call, so "never disturbs the VM" is checked exactly.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "check.h"
#include "loop_kinds.h"
#include "io/loop.h"
#include "api/api.h"
#include "api/stats_json.h"

struct fake_vm {
	int pauses, resumes, stops, snapshots;
	int last_vcpu;
	int fail; /* -errno returned by pause/resume when set */
};

static int fake_pause(void *vm, int vcpu)
{
	struct fake_vm *f = vm;

	f->pauses++;
	f->last_vcpu = vcpu;
	return f->fail;
}

static int fake_resume(void *vm, int vcpu)
{
	struct fake_vm *f = vm;

	f->resumes++;
	f->last_vcpu = vcpu;
	return f->fail;
}

static int fake_stop(void *vm)
{
	((struct fake_vm *)vm)->stops++;
	return 0;
}

static int fake_snapshot(void *vm, struct vm_stats *out)
{
	((struct fake_vm *)vm)->snapshots++;
	out->time_ns = 5000;
	for (unsigned int i = 0; i < out->nr_vcpus; i++) {
		struct vcpu_snapshot *v = &out->vcpus[i];

		v->id = i;
		v->rs.tid = 100 + i;
		v->rs.state = RUNSTATE_BLOCKED;
		v->rs.created = 1000;
		v->rs.state_entry_time = 4000;
		v->rs.time[RUNSTATE_RUNNING] = 1000;
		v->rs.time[RUNSTATE_OFFLINE] = 2000;
		v->rs.wakeups = 7;
		v->rs.wake_hist[3] = 7;
		v->kvm.present = 1u << KVM_STAT_EXITS;
		v->kvm.v[KVM_STAT_EXITS] = 42 + i;
	}
	return 0;
}

static const struct api_ops fake_ops = {
    .pause = fake_pause,
    .resume = fake_resume,
    .stop = fake_stop,
    .snapshot = fake_snapshot,
};

/* The "error" of a reply line, "" for ok:true, NULL if not a reply. */
static char *reply_error(const char *line)
{
	struct json_object *o = json_tokener_parse(line), *ok, *err;
	char *r = NULL;

	if (o && json_object_object_get_ex(o, "ok", &ok)) {
		if (json_object_get_boolean(ok))
			r = strdup("");
		else if (json_object_object_get_ex(o, "error", &err))
			r = strdup(json_object_get_string(err));
	}
	json_object_put(o);
	return r;
}

/* Handle @req directly; true when the reply's error equals @want. */
static bool handled(struct api *api, const char *req, const char *want)
{
	char *reply = api_handle(api, req, strlen(req));
	char *err = reply ? reply_error(reply) : NULL;
	bool same = err && !strcmp(err, want);

	if (!same)
		fprintf(stderr, "request %s: reply %s, wanted error \"%s\"\n",
			req, reply ? reply : "(null)", want);
	free(err);
	free(reply);
	return same;
}

static void test_requests(void)
{
	struct fake_vm vm = {0};
	struct api api;
	char big[API_MAX_LINE + 8];

	api_init(&api, NULL, &fake_ops, &vm, 4);
	CHECK(handled(&api, "{\"cmd\":\"pause\"}", ""));
	CHECK_EQ(vm.last_vcpu, -1);
	CHECK(handled(&api, " { \"cmd\" : \"resume\", \"vcpu\": 3 }\r", ""));
	CHECK_EQ(vm.last_vcpu, 3);
	CHECK(handled(&api, "{\"cmd\":\"stop\"}", ""));
	CHECK(handled(&api, "{\"cmd\":\"vcpus\"}", ""));
	CHECK(handled(&api, "{\"cmd\":\"stats\"}", ""));
	CHECK_EQ(vm.pauses, 1);
	CHECK_EQ(vm.resumes, 1);
	CHECK_EQ(vm.stops, 1);
	CHECK_EQ(vm.snapshots, 2);

	/* Everything below is refused before the VM is called. */
	CHECK(handled(&api, "", "empty request"));
	CHECK(handled(&api, "  \r", "empty request"));
	CHECK(handled(&api, "{", "malformed JSON"));
	CHECK(handled(&api, "{\"cmd\":\"pause\"", "malformed JSON"));
	CHECK(handled(&api, "{\"cmd\":\"pause\"} x", "malformed JSON"));
	CHECK(handled(&api, "{\"cmd\":\"pause\"}{}", "malformed JSON"));
	CHECK(handled(&api, "{'cmd':'pause'}", "malformed JSON"));
	CHECK(handled(&api, "{\"cmd\":\"pa\xffuse\"}", "malformed JSON"));
	CHECK(handled(&api, "{\"a\":[[[[[[[[1]]]]]]]]}", "malformed JSON"));
	CHECK(handled(&api, "[\"pause\"]", "request is not a JSON object"));
	CHECK(handled(&api, "42", "request is not a JSON object"));
	CHECK(handled(&api, "\"pause\"", "request is not a JSON object"));
	CHECK(handled(&api, "{}", "missing \"cmd\" string"));
	CHECK(handled(&api, "{\"cmd\":1}", "missing \"cmd\" string"));
	CHECK(handled(&api, "{\"cmd\":\"reboot\"}", "unknown command"));
	CHECK(handled(&api, "{\"cmd\":\"pause\",\"x\":1}", "unknown field"));
	CHECK(handled(&api, "{\"cmd\":\"stop\",\"vcpu\":0}",
		      "this command takes no \"vcpu\""));
	CHECK(handled(&api, "{\"cmd\":\"pause\",\"vcpu\":4}", "no such vcpu"));
	CHECK(handled(&api, "{\"cmd\":\"pause\",\"vcpu\":-1}", "no such vcpu"));
	CHECK(handled(&api, "{\"cmd\":\"pause\",\"vcpu\":1e3}",
		      "\"vcpu\" must be an integer"));
	CHECK(handled(&api, "{\"cmd\":\"pause\",\"vcpu\":\"1\"}",
		      "\"vcpu\" must be an integer"));
	/* json-c saturates huge integers: still out of range. */
	CHECK(handled(&api,
		      "{\"cmd\":\"pause\",\"vcpu\":99999999999999999999999}",
		      "no such vcpu"));
	/* An embedded NUL: the tokener must not see a shorter request. */
	char *reply = api_handle(&api, "{\"cmd\":\"stop\"}\0junk", 19);
	char *err = reply_error(reply);
	CHECK(err && !strcmp(err, "malformed JSON"));
	free(err);
	free(reply);
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"cmd\":\"stop\"}", 14);
	reply = api_handle(&api, big, API_MAX_LINE);
	err = reply_error(reply);
	CHECK(err && !strcmp(err, "request too long"));
	free(err);
	free(reply);
	CHECK_EQ(vm.pauses + vm.resumes + vm.stops, 3);

	/* Errors of the VM itself reach the client. */
	vm.fail = -EBUSY;
	CHECK(handled(&api, "{\"cmd\":\"pause\"}", strerror(EBUSY)));
	api_close(&api);
}

/* The stats reply carries the document built from the snapshot. */
static void test_stats_reply(void)
{
	struct fake_vm vm = {0};
	struct api api;
	struct json_object *o, *vcpus, *v, *x;
	char *reply;

	api_init(&api, NULL, &fake_ops, &vm, 3);
	reply = api_handle(&api, "{\"cmd\":\"stats\"}", 15);
	o = json_tokener_parse(reply);
	CHECK(o != NULL);
	CHECK(json_object_object_get_ex(o, "time_ns", &x));
	CHECK_EQ(json_object_get_uint64(x), 5000);
	CHECK(json_object_object_get_ex(o, "vcpus", &vcpus));
	CHECK_EQ(json_object_array_length(vcpus), 3);
	v = json_object_array_get_idx(vcpus, 2);
	CHECK(json_object_object_get_ex(v, "tid", &x));
	CHECK_EQ(json_object_get_int(x), 102);
	CHECK(json_object_object_get_ex(v, "state", &x));
	CHECK(!strcmp(json_object_get_string(x), "blocked"));
	CHECK(json_object_object_get_ex(v, "time_ns", &x));
	CHECK(json_object_object_get_ex(x, "blocked", &x));
	CHECK_EQ(json_object_get_uint64(x), 1000); /* live: 5000 - 4000 */
	CHECK(json_object_object_get_ex(v, "kvm", &x));
	CHECK_EQ(json_object_object_length(x), 1);
	CHECK(json_object_object_get_ex(x, "exits", &x));
	CHECK_EQ(json_object_get_int(x), 44);
	CHECK(json_object_object_get_ex(v, "wake_latency_log2_ns", &x));
	CHECK_EQ(json_object_array_length(x), RUNSTATE_HIST_BUCKETS);
	CHECK_EQ(json_object_get_int(json_object_array_get_idx(x, 3)), 7);
	CHECK(json_object_object_get_ex(v, "transitions", &x));
	CHECK_EQ(json_object_object_length(x), 8);
	CHECK(json_object_object_get_ex(x, "blocked->runnable", &x));
	json_object_put(o);
	free(reply);
	api_close(&api);
}

/* ---- over sockets, with the real loop on its own thread ---- */

struct served {
	struct io_loop *loop;
	pthread_t thread;
	struct api api;
	struct fake_vm vm;
};

static void *loop_thread(void *arg)
{
	struct served *s = arg;

	CHECK_EQ(io_loop_run(s->loop), 0);
	return NULL;
}

static void serve_start(struct served *s)
{
	CHECK_EQ(pthread_create(&s->thread, NULL, loop_thread, s), 0);
}

static void serve_end(struct served *s)
{
	io_loop_stop(s->loop);
	pthread_join(s->thread, NULL);
	api_close(&s->api);
	io_loop_destroy(s->loop);
}

static void set_timeout(int fd)
{
	struct timeval tv = {.tv_sec = 20};

	/* A hang becomes a failure, not a stuck test. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static void send_str(int fd, const char *s, size_t len)
{
	CHECK_EQ(send(fd, s, len, MSG_NOSIGNAL), (ssize_t)len);
}

/*
 * Read one line (malloc'd, newline stripped); NULL on EOF or timeout.
 * EINTR is retried: with SO_RCVTIMEO set, recv() is not restarted after
 * an interruption, and one comes without any signal when the kernel's
 * clean-up of a destroyed io_uring (test_socketpair()'s loop, which this
 * thread created) queues task work on this thread.
 */
static char *recv_line(int fd)
{
	size_t len = 0, cap = 1024;
	char *buf = malloc(cap);

	for (;;) {
		ssize_t n;

		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
		n = recv(fd, buf + len, 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return NULL;
		}
		if (buf[len] == '\n') {
			buf[len] = '\0';
			return buf;
		}
		len++;
	}
}

/* Read one reply and compare its error ("" for ok). */
static bool got(int fd, const char *want)
{
	char *line = recv_line(fd);
	char *err = line ? reply_error(line) : NULL;
	bool same = err && !strcmp(err, want);

	if (!same)
		fprintf(stderr, "reply %s, wanted error \"%s\"\n",
			line ? line : "(none)", want);
	free(err);
	free(line);
	return same;
}

static void test_socketpair(void)
{
	static struct served s;
	char line[API_MAX_LINE + 64];
	int sv[2], small = 4096;
	const char *req = "{\"cmd\":\"pause\",\"vcpu\":1}\n";

	CHECK_EQ(test_loop_create(&s.loop), 0);
	api_init(&s.api, s.loop, &fake_ops, &s.vm, 64);
	/* The server side needs no O_NONBLOCK: it uses MSG_DONTWAIT. */
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* Tiny buffers: a stats reply cannot go out in one send. */
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	CHECK_EQ(api_add_client(&s.api, sv[0]), 0);
	set_timeout(sv[1]);
	serve_start(&s);

	/* One byte at a time. */
	for (size_t i = 0; req[i]; i++)
		send_str(sv[1], req + i, 1);
	CHECK(got(sv[1], ""));
	CHECK_EQ(s.vm.last_vcpu, 1);

	/*
	 * Pipelined without reading: three stats replies far larger than
	 * the socket buffers, then a bad line and a good one. Replies come
	 * back complete and in order.
	 */
	req = "{\"cmd\":\"stats\"}\n{\"cmd\":\"stats\"}\n{\"cmd\":\"stats\"}\n"
	      "not json\n{\"cmd\":\"resume\"}\n";
	send_str(sv[1], req, strlen(req));
	for (int i = 0; i < 3; i++) {
		char *l = recv_line(sv[1]);
		struct json_object *o = l ? json_tokener_parse(l) : NULL, *v;

		CHECK(o && json_object_object_get_ex(o, "vcpus", &v) &&
		      json_object_array_length(v) == 64);
		CHECK(l && strlen(l) > 3 * 4096);
		json_object_put(o);
		free(l);
	}
	CHECK(got(sv[1], "malformed JSON"));
	CHECK(got(sv[1], ""));
	CHECK_EQ(s.vm.resumes, 1);

	/* Oversized: one error, the rest of the line skipped, then on. */
	memset(line, 'x', sizeof(line));
	send_str(sv[1], line, sizeof(line));
	send_str(sv[1], line, sizeof(line));
	send_str(sv[1], "\n{\"cmd\":\"vcpus\"}\n", 17);
	CHECK(got(sv[1], "request too long"));
	CHECK(got(sv[1], ""));

	/* The longest line that fits: API_MAX_LINE with its newline. */
	memset(line, ' ', API_MAX_LINE);
	memcpy(line, "{\"cmd\":\"resume\"", 15);
	line[API_MAX_LINE - 2] = '}';
	line[API_MAX_LINE - 1] = '\n';
	send_str(sv[1], line, API_MAX_LINE);
	CHECK(got(sv[1], ""));
	CHECK_EQ(s.vm.resumes, 2);
	memmove(line + 1, line, API_MAX_LINE);
	send_str(sv[1], line, API_MAX_LINE + 1);
	CHECK(got(sv[1], "request too long"));
	CHECK_EQ(s.vm.resumes, 2);
	CHECK_EQ(s.vm.pauses, 1);
	CHECK_EQ(s.vm.stops, 0);

	/* Hang up in the middle of a request: dropped, VM untouched. */
	send_str(sv[1], "{\"cmd\":\"sto", 11);
	close(sv[1]);
	serve_end(&s);
	CHECK_EQ(s.vm.stops, 0);
	CHECK_EQ(s.api.nr_clients, 0);
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	set_timeout(fd);
	return fd;
}

static void test_listen(void)
{
	static struct served s;
	static struct api other;
	char dir[] = "/tmp/test_api.XXXXXX", path[128], path2[128], longp[200];
	int fds[API_MAX_CLIENTS], extra, stale, live;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	/* A socket file left by a dead vmm is replaced. */
	stale = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, path);
	CHECK_EQ(bind(stale, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(stale);

	CHECK_EQ(test_loop_create(&s.loop), 0);
	CHECK_EQ(api_open(&s.api, path, s.loop, &fake_ops, &s.vm, 2), 0);
	/*
	 * A live one is not. (Probed on a plain listener: the probe's
	 * connection would otherwise count as one of the clients below.)
	 */
	snprintf(path2, sizeof(path2), "%s/live.sock", dir);
	strcpy(sa.sun_path, path2);
	live = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_EQ(bind(live, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_EQ(listen(live, 1), 0);
	CHECK_EQ(api_open(&other, path2, s.loop, &fake_ops, &s.vm, 2),
		 -EADDRINUSE);
	api_close(&other);
	close(live);
	unlink(path2);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	CHECK_EQ(api_open(&other, longp, s.loop, &fake_ops, &s.vm, 2),
		 -ENAMETOOLONG);
	api_close(&other);
	serve_start(&s);

	/* Several clients, interleaved, each gets its own replies. */
	for (int i = 0; i < API_MAX_CLIENTS; i++) {
		fds[i] = connect_to(path);
		CHECK(fds[i] >= 0);
	}
	for (int i = API_MAX_CLIENTS - 1; i >= 0; i--)
		send_str(fds[i], "{\"cmd\":\"pause\",\"vcpu\":1}\n", 25);
	for (int i = 0; i < API_MAX_CLIENTS; i++)
		send_str(fds[i], "{\"cmd\":\"bogus\"}\n", 16);
	for (int i = 0; i < API_MAX_CLIENTS; i++) {
		CHECK(got(fds[i], ""));
		CHECK(got(fds[i], "unknown command"));
	}
	CHECK_EQ(s.vm.pauses, API_MAX_CLIENTS);
	/* One too many: accepted and closed at once. */
	extra = connect_to(path);
	CHECK(extra >= 0);
	CHECK(recv_line(extra) == NULL);
	close(extra);
	/*
	 * Hang up and reconnect at once, before the loop has seen the
	 * hang-ups: the new clients get the old ones' slots, all of them.
	 */
	for (int i = 0; i < API_MAX_CLIENTS; i++)
		close(fds[i]);
	for (int i = 0; i < API_MAX_CLIENTS; i++) {
		fds[i] = connect_to(path);
		CHECK(fds[i] >= 0);
		send_str(fds[i], "{\"cmd\":\"resume\"}\n", 17);
		CHECK(got(fds[i], ""));
	}
	CHECK_EQ(s.vm.resumes, API_MAX_CLIENTS);
	/* A client that sends a request and hangs up is still served. */
	close(fds[0]);
	fds[0] = connect_to(path);
	send_str(fds[0], "{\"cmd\":\"stop\"}\n", 15);
	close(fds[0]);
	/* ... before the next one takes its slot, and "stop" is answered. */
	extra = connect_to(path);
	send_str(extra, "{\"cmd\":\"stop\"}\n", 15);
	CHECK(got(extra, ""));
	close(extra);
	for (int i = 1; i < API_MAX_CLIENTS; i++)
		close(fds[i]);
	serve_end(&s);
	CHECK_EQ(s.vm.stops, 2);
	CHECK(access(path, F_OK) != 0); /* unlinked */
	rmdir(dir);
}

/*
 * Whoever can connect can stop the VM: the socket is 0600 whatever the
 * umask (here 002, which alone would give 0775), also when it replaces a
 * stale socket file.
 */
static void test_socket_mode(void)
{
	static const mode_t masks[] = {002, 0, 077};
	char dir[] = "/tmp/test_api_mode.XXXXXX", path[128];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct io_loop *loop;
	struct fake_vm vm = {0};
	struct api api;
	struct stat st;
	mode_t old;
	int stale;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	CHECK_EQ(test_loop_create(&loop), 0);
	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		old = umask(masks[i]);
		CHECK_EQ(api_open(&api, path, loop, &fake_ops, &vm, 1), 0);
		umask(old);
		CHECK_EQ(lstat(path, &st), 0);
		CHECK(S_ISSOCK(st.st_mode));
		CHECK_EQ(st.st_mode & 07777, 0600);
		api_close(&api);
	}
	/* A stale socket (0777 under umask 0) is replaced by a 0600 one. */
	old = umask(0);
	stale = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, path);
	CHECK_EQ(bind(stale, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(stale);
	CHECK_EQ(api_open(&api, path, loop, &fake_ops, &vm, 1), 0);
	umask(old);
	CHECK_EQ(lstat(path, &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0600);
	api_close(&api);
	io_loop_destroy(loop);
	rmdir(dir);
}

int main(void)
{
	test_loop_kinds();
	test_socket_mode();
	test_requests();
	test_stats_reply();
	test_socketpair();
	test_listen();
	return check_done("test_api");
}

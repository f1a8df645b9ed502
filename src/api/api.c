/* SPDX-License-Identifier: MIT */
/*
 * The control socket's transport: a listening unix socket and its clients,
 * all nonblocking and served from io loop callbacks. Each client has a
 * line buffer of API_MAX_LINE bytes and an output buffer holding at most
 * one reply. While a reply is pending the client is watched for POLLOUT
 * instead of POLLIN, so a client that does not read cannot make us buffer
 * without bound nor block the loop thread.
 */
#define pr_fmt(fmt) "api: " fmt
#include "api.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

struct api_client {
	struct api *api;
	struct api_client *next;
	struct io_source in;  /* POLLIN while no reply is pending */
	struct io_source out; /* POLLOUT while one is */
	int fd;
	bool discarding; /* inside an oversized line, until '\n' */
	size_t len;
	char buf[API_MAX_LINE];
	char *reply; /* pending output, with its newline */
	size_t reply_len, reply_off;
};

static void client_close(struct api_client *c)
{
	struct api *api = c->api;
	struct api_client **pp;

	if (io_source_watched(&c->in))
		(void)io_loop_unwatch(api->loop, &c->in);
	if (io_source_watched(&c->out))
		(void)io_loop_unwatch(api->loop, &c->out);
	for (pp = &api->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	api->nr_clients--;
	close(c->fd);
	free(c->reply);
	free(c);
}

/*
 * Send what is pending. MSG_DONTWAIT rather than O_NONBLOCK, so the fd may
 * come from anywhere (api_add_client()); MSG_NOSIGNAL because a client
 * that hung up must cost us an EPIPE, not the process. Returns 0 when all
 * went out, -EAGAIN (the rest waits for POLLOUT), or -errno.
 */
static int client_flush(struct api_client *c)
{
	while (c->reply_off < c->reply_len) {
		ssize_t n = send(c->fd, c->reply + c->reply_off,
				 c->reply_len - c->reply_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		c->reply_off += (size_t)n;
	}
	free(c->reply);
	c->reply = NULL;
	c->reply_len = c->reply_off = 0;
	return 0;
}

/*
 * Queue the reply to one request and try to send it at once: replies are
 * small and the socket is almost always writable, so POLLOUT is only
 * armed when this comes back -EAGAIN. @reply is taken over.
 */
static int client_reply(struct api_client *c, char *reply)
{
	size_t n;

	if (!reply)
		return -ENOMEM;
	n = strlen(reply);
	c->reply = realloc(reply, n + 1);
	if (!c->reply) {
		free(reply);
		return -ENOMEM;
	}
	c->reply[n] = '\n';
	c->reply_len = n + 1;
	c->reply_off = 0;
	return client_flush(c);
}

/* One line is complete in buf[0..@n) (newline excluded): answer it. */
static int client_line(struct api_client *c, size_t n)
{
	int r = 0;

	if (c->discarding)
		c->discarding = false; /* the tail of an oversized line */
	else
		r = client_reply(c, api_handle(c->api, c->buf, n));
	memmove(c->buf, c->buf + n + 1, c->len - n - 1);
	c->len -= n + 1;
	return r;
}

/*
 * Swap POLLIN for POLLOUT (or back). Never both: while a reply is stuck
 * the client's further requests stay in the kernel's socket buffer, which
 * is the backpressure, and our memory per client stays bounded.
 */
static int client_watch(struct api_client *c, bool want_out)
{
	struct io_source *on = want_out ? &c->out : &c->in;
	struct io_source *off = want_out ? &c->in : &c->out;

	if (io_source_watched(off))
		(void)io_loop_unwatch(c->api->loop, off);
	if (io_source_watched(on))
		return 0;
	return io_loop_watch(c->api->loop, on);
}

/*
 * Answer buffered lines and read more until the socket is drained or a
 * reply is stuck. Returns 0 to keep the client, -errno to drop it.
 */
static int client_pump(struct api_client *c)
{
	for (;;) {
		char *nl;
		ssize_t n;
		int r = 0;

		if (c->reply)
			return client_watch(c, true);
		nl = memchr(c->buf, '\n', c->len);
		/* Lines already buffered first, then read more. */
		if (nl) {
			r = client_line(c, (size_t)(nl - c->buf));
		} else if (c->len == sizeof(c->buf)) {
			/* No newline in API_MAX_LINE bytes: refuse, skip. */
			c->len = 0;
			if (!c->discarding)
				r = client_reply(c, api_handle(c->api, c->buf,
							       sizeof(c->buf)));
			c->discarding = true;
		} else {
			/*
			 * Drain to EAGAIN: the multishot poll only fires
			 * again when new data arrives.
			 */
			n = recv(c->fd, c->buf + c->len,
				 sizeof(c->buf) - c->len, MSG_DONTWAIT);
			if (n == 0)
				return -ECONNRESET;
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				return client_watch(c, false);
			if (n < 0)
				return -errno;
			c->len += (size_t)n;
		}
		if (r && r != -EAGAIN)
			return r;
	}
}

static void client_in_ready(struct io_source *src, int res)
{
	struct api_client *c = container_of(src, struct api_client, in);

	if (res < 0 || client_pump(c))
		client_close(c);
}

static void client_out_ready(struct io_source *src, int res)
{
	struct api_client *c = container_of(src, struct api_client, out);
	int r = res < 0 ? res : client_flush(c);

	if (r == -EAGAIN)
		return; /* still full; the multishot poll fires again */
	if (r || client_pump(c))
		client_close(c);
}

/*
 * A client that hung up keeps its slot until the loop delivers its POLLHUP,
 * and that completion may come after the listening socket's, in the same
 * batch or the next. So at the limit, before refusing anyone, ask the
 * kernel which clients are gone and serve them now exactly as the loop
 * would have (what they sent before hanging up is still handled): whoever
 * closes a connection and opens a new one must get a slot.
 */
static void reap_hung_up(struct api *api)
{
	struct pollfd pfd[API_MAX_CLIENTS];
	struct api_client *cl[API_MAX_CLIENTS], *c;
	nfds_t n = 0;

	for (c = api->clients; c && n < API_MAX_CLIENTS; c = c->next) {
		pfd[n] = (struct pollfd){.fd = c->fd, .events = POLLIN};
		cl[n++] = c;
	}
	if (poll(pfd, n, 0) <= 0)
		return; /* nobody hung up (or EINTR: refuse, as before) */
	for (nfds_t i = 0; i < n; i++) {
		if (!(pfd[i].revents & (POLLHUP | POLLERR)))
			continue;
		/* Each handler may close its own client, never another. */
		if (io_source_watched(&cl[i]->out))
			client_out_ready(&cl[i]->out, pfd[i].revents);
		else
			client_in_ready(&cl[i]->in, pfd[i].revents);
	}
}

int api_add_client(struct api *api, int fd)
{
	struct api_client *c;
	int r;

	if (api->nr_clients >= API_MAX_CLIENTS)
		reap_hung_up(api);
	if (api->nr_clients >= API_MAX_CLIENTS) {
		close(fd);
		return -EMFILE;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->api = api;
	c->fd = fd;
	c->in = (struct io_source){
	    .fd = fd, .events = POLLIN, .ready = client_in_ready};
	c->out = (struct io_source){
	    .fd = fd, .events = POLLOUT, .ready = client_out_ready};
	c->next = api->clients;
	api->clients = c;
	api->nr_clients++;
	r = io_loop_watch(api->loop, &c->in);
	if (r)
		client_close(c);
	return r;
}

static void listen_ready(struct io_source *src, int res)
{
	struct api *api = container_of(src, struct api, listen);

	if (res < 0) {
		pr_warn("listening socket: %s", strerror(-res));
		return;
	}
	for (;;) {
		int fd =
		    accept4(src->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				pr_warn("accept: %s", strerror(errno));
			if (errno != EINTR)
				return;
			continue;
		}
		/* Over the limit the connection is closed at once. */
		if (api_add_client(api, fd) == -EMFILE)
			pr_warn_ratelimited(&api->warn_rl,
					    "more than %d clients: refusing",
					    API_MAX_CLIENTS);
	}
}

void api_init(struct api *api, struct io_loop *l, const struct api_ops *ops,
	      void *vm, unsigned int nr_vcpus)
{
	memset(api, 0, sizeof(*api));
	api->listen.fd = -1;
	api->loop = l;
	api->ops = ops;
	api->vm = vm;
	api->nr_vcpus = nr_vcpus;
	log_ratelimit_init(&api->warn_rl, LOG_RATELIMIT_BURST,
			   LOG_RATELIMIT_INTERVAL_NS);
}

/* A socket file nobody accepts on is left over from a dead vmm. */
static bool stale_socket(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r;

	if (lstat(sa->sun_path, &st) || !S_ISSOCK(st.st_mode))
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	r = r < 0 ? errno : 0;
	close(fd);
	return r == ECONNREFUSED;
}

/*
 * bind() fails with EADDRINUSE on any existing file; only a socket that
 * refuses connections is taken to be stale and replaced, so a second vmm
 * given the same --api path fails instead of stealing the first's socket.
 */
static int bind_listen(int fd, const struct sockaddr_un *sa)
{
	const struct sockaddr *a = (const struct sockaddr *)sa;

	if (bind(fd, a, sizeof(*sa)) < 0) {
		if (errno != EADDRINUSE || !stale_socket(sa))
			return -errno;
		if (unlink(sa->sun_path) < 0 || bind(fd, a, sizeof(*sa)) < 0)
			return -errno;
	}
	return listen(fd, API_MAX_CLIENTS) < 0 ? -errno : 0;
}

int api_open(struct api *api, const char *path, struct io_loop *l,
	     const struct api_ops *ops, void *vm, unsigned int nr_vcpus)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int r;

	api_init(api, l, ops, vm, nr_vcpus);
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	api->listen.fd =
	    socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (api->listen.fd < 0)
		return -errno;
	/*
	 * Whoever can connect can stop the VM: the socket file is the
	 * owner's alone (0600), whatever the umask. Linux gives the file
	 * bind() creates the socket inode's mode less the umask, so set that
	 * mode first; chmod after bind() would leave a window, and changing
	 * the umask would change it for every thread of the process.
	 */
	if (fchmod(api->listen.fd, S_IRUSR | S_IWUSR) < 0) {
		r = -errno;
		goto err_close;
	}
	r = bind_listen(api->listen.fd, &sa);
	if (r)
		goto err_close;
	api->path = strdup(path);
	if (!api->path) {
		r = -ENOMEM;
		goto err_unlink;
	}
	api->listen.events = POLLIN;
	api->listen.ready = listen_ready;
	r = io_loop_watch(l, &api->listen);
	if (r)
		goto err_free;
	return 0;

err_free:
	free(api->path);
	api->path = NULL;
err_unlink:
	unlink(path);
err_close:
	close(api->listen.fd);
	api->listen.fd = -1;
	return r;
}

void api_close(struct api *api)
{
	while (api->clients)
		client_close(api->clients);
	if (!api->path)
		return;
	if (io_source_watched(&api->listen))
		(void)io_loop_unwatch(api->loop, &api->listen);
	close(api->listen.fd);
	api->listen.fd = -1;
	unlink(api->path);
	free(api->path);
	api->path = NULL;
}

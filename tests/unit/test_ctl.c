/* SPDX-License-Identifier: MIT */
/*
 * `vmm ctl` against servers that misbehave: one that closes the
 * connection without replying, one that never replies. The user is told
 * what happened, not "Broken pipe" or "Resource temporarily unavailable".
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "cli/ctl.h"

struct server {
	int fd;
	bool reply_never; /* else: close without replying */
	int client;
};

/* Accept one client, read its request line, then close or stay silent. */
static void *serve(void *arg)
{
	struct server *s = arg;
	char buf[256];

	s->client = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
	if (s->client < 0)
		return NULL;
	while (recv(s->client, buf, sizeof(buf), 0) > 0)
		if (memchr(buf, '\n', sizeof(buf)))
			break;
	if (!s->reply_never) {
		close(s->client);
		s->client = -1;
	}
	return NULL;
}

static int request(const char *path, bool reply_never, unsigned int timeout_s)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct server s = {.reply_never = reply_never, .client = -1};
	char *reply = NULL;
	pthread_t t;
	int fd, r;

	unlink(path);
	s.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	CHECK_EQ(bind(s.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_EQ(listen(s.fd, 1), 0);
	pthread_create(&t, NULL, serve, &s);
	fd = ctl_connect(path, timeout_s);
	CHECK(fd >= 0);
	r = ctl_request(fd, "{\"cmd\":\"stats\"}", &reply);
	CHECK(reply == NULL);
	close(fd);
	pthread_join(t, NULL);
	if (s.client >= 0)
		close(s.client);
	close(s.fd);
	unlink(path);
	return r;
}

int main(void)
{
	char dir[] = "/tmp/test_ctl.XXXXXX", path[128], text[256];
	int r;

	signal(SIGPIPE, SIG_IGN);
	alarm(60);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/api.sock", dir);

	r = request(path, false, 30);
	CHECK(r == -EPIPE || r == -ECONNRESET);
	ctl_error_text(r, path, 30, text, sizeof(text));
	CHECK(strstr(text, "closed the connection before replying") != NULL);
	CHECK(!strncmp(text, path, strlen(path)));

	r = request(path, true, 1);
	CHECK_EQ(r, -EAGAIN);
	ctl_error_text(r, path, 30, text, sizeof(text));
	CHECK(strstr(text, "no reply from ") == text);
	CHECK(strstr(text, " within 30 s") != NULL);

	ctl_error_text(-ECONNREFUSED, "/x.sock", 30, text, sizeof(text));
	CHECK(!strcmp(text, "/x.sock: Connection refused"));
	ctl_error_text(-EPIPE, "/x.sock", 30, text, sizeof(text));
	CHECK(!strcmp(text, "/x.sock closed the connection before replying"));
	ctl_error_text(-EAGAIN, "/x.sock", 30, text, sizeof(text));
	CHECK(!strcmp(text, "no reply from /x.sock within 30 s"));
	rmdir(dir);
	return check_done("test_ctl");
}

/* SPDX-License-Identifier: MIT */
/*
 * The control socket (--api PATH): a unix stream socket served on the io
 * loop, speaking JSON with one request and one reply per line. Several
 * clients may be connected; each is served in order, one request at a
 * time. A malformed, unknown or oversized request gets an error reply and
 * never reaches the VM; a client that stops reading its replies is no
 * longer read from (backpressure), and never blocks the loop.
 *
 * Requests (keys other than these are an error):
 *   {"cmd":"pause"}            pause every vCPU ({"cmd":"pause","vcpu":N}
 *   {"cmd":"resume"}           or resume: just vCPU N, 0 <= N < vCPUs)
 *   {"cmd":"stop"}             end the VM (the vmm exits)
 *   {"cmd":"stats"}            the statistics document (api/stats_json.h)
 *   {"cmd":"vcpus"}            id, host tid, state, paused, down per vCPU
 * Replies:
 *   {"ok":true}                                   pause, resume, stop
 *   {"ok":true,"time_ns":T,"vcpus":[...]}         stats
 *   {"ok":true,"vcpus":[...]}                     vcpus
 *   {"ok":false,"error":"reason"}                 anything that failed
 * A request line is at most API_MAX_LINE bytes including its newline.
 */
#ifndef VMM_API_H
#define VMM_API_H

#include <stdbool.h>
#include <stddef.h>

#include "base/log.h"
#include "io/loop.h"

#define API_MAX_LINE	4096
#define API_MAX_CLIENTS 16

struct vm_stats;
struct api_client;

/*
 * What the control socket asks of the VM. All are called on the loop
 * thread and must not block for long (a pause may wait for the vCPUs to
 * park, which takes milliseconds). Each returns 0 or -errno; the error's
 * strerror() text is sent to the client.
 */
struct api_ops {
	/* Pause (resume) vCPU @vcpu, or every vCPU when @vcpu < 0. */
	int (*pause)(void *vm, int vcpu);
	int (*resume)(void *vm, int vcpu);
	/* Ask the VM to end; the reply is sent before the loop stops. */
	int (*stop)(void *vm);
	/*
	 * Fill @out, allocated by the caller for the @nr_vcpus given to
	 * api_init() (vcpu_stats_collect() does exactly this).
	 */
	int (*snapshot)(void *vm, struct vm_stats *out);
};

struct api {
	struct io_source listen; /* fd -1 without a socket */
	struct io_loop *loop;
	const struct api_ops *ops;
	void *vm;
	unsigned int nr_vcpus;
	char *path; /* unlinked by api_close() */
	struct api_client *clients;
	unsigned int nr_clients;
	struct log_ratelimit warn_rl; /* clients refused beyond the limit */
};

/* Set up @api without a socket (enough for api_handle()). */
void api_init(struct api *api, struct io_loop *l, const struct api_ops *ops,
	      void *vm, unsigned int nr_vcpus);

/*
 * api_init(), then listen on @path and watch it on @l. The socket file is
 * created mode 0600 (only its owner may connect), whatever the umask. A
 * stale socket file at @path (nobody accepting) is replaced; a live one is
 * -EADDRINUSE.
 * Loop thread or before the loop runs. Returns 0 or -errno
 * (-ENAMETOOLONG for a path that does not fit sun_path).
 */
int api_open(struct api *api, const char *path, struct io_loop *l,
	     const struct api_ops *ops, void *vm, unsigned int nr_vcpus);

/*
 * Serve an already connected stream socket @fd (taken over, closed on
 * error too); api_open()'s accepted clients go through here. Loop thread
 * or before the loop runs. Returns 0, -EMFILE beyond API_MAX_CLIENTS
 * connected clients, or -errno. A client whose peer has closed its socket
 * no longer counts, even before the loop has noticed: it is served (what
 * it sent is handled) and dropped first.
 */
int api_add_client(struct api *api, int fd);

/*
 * Handle one request line @line of @len bytes (no newline). Returns the
 * reply line without its newline, malloc'd (caller frees), or NULL when
 * out of memory. Loop thread.
 */
char *api_handle(struct api *api, const char *line, size_t len);

/*
 * Disconnect every client, stop listening and unlink the socket. Loop
 * thread, or any thread once the loop no longer runs. Safe after
 * api_init() alone and on a zeroed struct with listen.fd = -1.
 */
void api_close(struct api *api);

#endif /* VMM_API_H */

/* SPDX-License-Identifier: MIT */
/*
 * Console backends: where a guest console (the 16550 UART, a virtio-console
 * port) sends its output and gets its input. A backend is chosen by name
 * from one table ("stdio", "file:PATH", "pty", "socket:PATH", "none"); the
 * devices never test which backend they have.
 *
 * Output, two ways, both lossless:
 *  - console_write(): synchronous, for vCPU-thread devices (the UART). It
 *    writes every byte or returns -errno, and may block (backpressure),
 *    though never with c->lock held while it waits for room, and only
 *    for a bounded time of no progress once console_shutdown() was
 *    called.
 *  - console_write_async(): for the loop thread (virtio-console). The
 *    request completes (done() on the loop thread) only once every byte is
 *    written; short writes, EINTR and EAGAIN are handled inside. Requests
 *    complete in submission order.
 * While a pty or socket backend has no reader, output goes into a bounded
 * replay ring (it never stalls the guest) and is replayed to the next
 * reader; with a reader attached, a slow reader means backpressure.
 *
 * Input: the device watches in_fd (when >= 0) only while it has room for
 * input and reads straight into its buffers with console_read(). in_fd can
 * change at run time (a pty reader or socket client comes or goes): the
 * device hears of it through its listener and re-reads in_fd.
 */
#ifndef IO_CONSOLE_H
#define IO_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "io/loop.h"
#include "replay_ring.h"

struct console;
struct exit_ctl;

struct console_backend_ops {
	const char *name;     /* "stdio", "file", ... */
	bool needs_arg;	      /* "file:PATH" */
	const char *arg_name; /* what the argument is, "PATH" */
	bool out_is_socket;   /* send with MSG_NOSIGNAL instead of writev */
	/*
	 * Set in_fd/out_fd/priv; a backend whose reader comes and goes calls
	 * console_ring_init() and starts detached (fds -1). Returns 0 or
	 * -errno (a specific reason via console_set_error()).
	 */
	int (*open)(struct console *c, const char *arg);
	/* Undo open() and restore terminal modes. Called once. */
	void (*close)(struct console *c);
	/* Optional: begin loop-driven work (accept clients, watch a pty). */
	int (*start)(struct console *c);
	/*
	 * Optional (default: read(2) on a nonblocking in_fd). Called with
	 * c->lock held and in_fd >= 0; detaching uses the _locked helpers.
	 */
	ssize_t (*read)(struct console *c, void *buf, size_t len);
	/*
	 * Optional: a write on out_fd failed with @err. Return true after
	 * console_detach_locked() (the rest of the output is then kept in the
	 * replay ring); false reports the error to the writer. Called with
	 * c->lock held, on any thread.
	 */
	bool (*out_error)(struct console *c, int err);
	/* Optional: terminal size; -ENOTTY when there is none. */
	int (*get_winsize)(struct console *c, uint16_t *rows, uint16_t *cols);
};

/* What a listener hears about (loop thread, no console lock held). */
enum console_event {
	CONSOLE_EV_INPUT,  /* in_fd changed: re-read it, watch anew */
	CONSOLE_EV_RESIZE, /* the terminal size changed */
};

/* An asynchronous write; see console_write_async(). */
struct console_req {
	/* Loop thread: @res is the byte count written, or -errno. */
	void (*done)(struct console_req *req, int res);
	/* Private to console.c. */
	struct io_request io;
	struct console *c;
	struct iovec *iov;
	unsigned int iovcnt;
	size_t total;
	unsigned int gen; /* c->attach_gen when submitted */
	int defer_res;
	bool replay;
	struct msghdr msg;
	struct console_req *next;
};

struct console {
	const struct console_backend_ops *ops;
	int in_fd;  /* -1: no input (now) */
	int out_fd; /* -1: output goes to the replay ring, or nowhere */
	void *priv; /* backend state */
	struct io_loop *loop; /* set by console_start() */
	char spec[256];	      /* for messages */
	char label[64];	      /* "console", or a port name (pty message) */
	char peer[108];	      /* where a user connects: pty or socket path */
	char *err;	      /* console_open()'s error buffer, in open() */
	/* Where Ctrl-A x on a stdio terminal ends the VM (NULL: ignored). */
	struct exit_ctl *quit_to;
	size_t err_len;

	/*
	 * Guards in_fd/out_fd, the ring, attach state and pending events
	 * against vCPU-thread writers.
	 */
	pthread_mutex_t lock;
	/*
	 * Synchronous writers, one at a time (taken before @lock): a writer
	 * waiting for room drops @lock and keeps its turn.
	 */
	pthread_mutex_t wlock;
	int wake_fd;	    /* eventfd: console_shutdown() wakes writers */
	bool out_may_block; /* out_fd blocks (pipe, tty) when full */
	bool out_nowait;    /* ... and RWF_NOWAIT works on it */
	bool out_at_pos;    /* a regular file written at its offset */
	/* console_shutdown(), under @lock. */
	bool stopping;
	bool gave_up;		    /* writers no longer wait */
	uint64_t grace_ns;	    /* allowed time without progress */
	uint64_t stall_deadline_ns; /* CLOCK_MONOTONIC */
	uint64_t unwritten;	    /* bytes given up on */
	pthread_cond_t replay_done;
	bool lock_init;
	bool out_err_reported;
	bool has_ring;
	struct replay_ring ring;
	unsigned int attach_gen; /* bumped by attach and detach */
	bool replaying;		 /* sync writers wait for the replay */
	struct console_req replay_req;
	struct iovec replay_iov[2];
	unsigned int ev_pending; /* 1 << enum console_event */
	bool ev_scheduled;

	/* Listener (one per console: the device using it). */
	void (*listener)(struct console *c, enum console_event ev,
			 void *opaque);
	void *listener_opaque;
	/* Async write queue: head is in flight. Loop thread only. */
	struct console_req *q_head, *q_tail;
	bool q_busy;
};

/*
 * Parse "NAME" or "NAME:ARG" and open that backend into caller-owned @c.
 * Returns 0 or -errno; on error @err (capacity @err_len) holds a one-line
 * reason such as "unknown console backend 'x'" or "file:/x/y: No such file
 * or directory", and @c is closed (console_close() is a no-op on it).
 */
int console_open(struct console *c, const char *spec, char *err,
		 size_t err_len);

/* console_open() naming the console @label in messages ("console: ..."). */
int console_open_as(struct console *c, const char *spec, const char *label,
		    char *err, size_t err_len);

/*
 * console_open() with the backend given directly (tests' fake backends).
 * @spec only names the console in messages (NULL: ops->name).
 */
int console_open_ops(struct console *c, const struct console_backend_ops *ops,
		     const char *arg, const char *spec, char *err,
		     size_t err_len);

/*
 * Attach the console to the loop: required before console_write_async()
 * and for pty/socket backends to notice readers. Call on the main thread
 * before the vCPU threads exist (the stdio backend blocks SIGWINCH there
 * to take it through a signalfd) and before io_loop_run(). Returns 0 or
 * -errno.
 */
int console_start(struct console *c, struct io_loop *l);

/*
 * Close the backend and restore anything it changed (terminal modes).
 * Idempotent, safe on a zeroed or failed console; call after the loop has
 * stopped (queued async writes are dropped without done()).
 */
void console_close(struct console *c);

/* Set the one listener for @c's events (before console_start()). */
void console_set_listener(struct console *c,
			  void (*fn)(struct console *c, enum console_event ev,
				     void *opaque),
			  void *opaque);

/*
 * Write all of @buf. Any thread but the loop's. Returns @len or -errno
 * (-ETIMEDOUT once console_shutdown() gave up on the output).
 */
ssize_t console_write(struct console *c, const void *buf, size_t len);

/*
 * The VM is stopping and the loop has stopped: from now on a synchronous
 * writer that makes no progress for @grace_ms (a reader that does not
 * read, a replay the stopped loop will never finish) gives up, and so do
 * later ones at once. Writers waiting now are woken. console_close() then
 * says, once, how many bytes were given up on. Any thread; idempotent.
 */
void console_shutdown(struct console *c, unsigned int grace_ms);

/*
 * Queue a write of @iov (caller-owned and advanced in place as bytes go
 * out; it and the buffers stay valid until done()). Loop thread only,
 * after console_start(). done() is never called from inside this call.
 * Returns 0 or -errno (then done() is not called).
 */
int console_write_async(struct console *c, struct console_req *req,
			struct iovec *iov, unsigned int iovcnt);

/*
 * Read up to @len bytes; 0 on EOF, -EAGAIN when nothing is pending (or no
 * reader is attached). Never blocks.
 */
ssize_t console_read(struct console *c, void *buf, size_t len);

/* The current in_fd (-1: none), read under the console's lock. */
int console_in_fd(struct console *c);

/* Terminal size of the backend, or -ENOTTY. */
int console_get_winsize(struct console *c, uint16_t *rows, uint16_t *cols);

/*
 * Tell the listener about @ev: from the loop at its next iteration (so
 * never inside a caller's locks), or at once before console_start().
 * Any thread; events of one kind coalesce.
 */
void console_notify(struct console *c, enum console_event ev);

/* For backends: keep output in a replay ring of @cap bytes while detached. */
int console_ring_init(struct console *c, size_t cap);

/*
 * For backends, loop thread: a reader arrived on @in_fd/@out_fd. What the
 * ring holds is written to it first (async writes queue behind it, sync
 * writers wait), then output flows with backpressure. Notifies INPUT.
 */
void console_attach(struct console *c, int in_fd, int out_fd);

/*
 * For backends: the reader left; output goes to the ring again. Notifies
 * INPUT. console_detach() takes c->lock; console_detach_locked() is for
 * out_error() and other callers that hold it.
 */
void console_detach(struct console *c);
void console_detach_locked(struct console *c);

/*
 * Is @spec a known backend with the argument it needs (for CLI
 * validation)? 0, or -EINVAL with the reason in @err: "unknown console
 * backend 'x' (...)", "console backend 'socket' needs a path:
 * socket:PATH", "console backend 'none' takes no argument".
 */
int console_spec_check(const char *spec, char *err, size_t err_len);

/* console_spec_check() == 0. */
bool console_spec_valid(const char *spec);

/* The backends (io/console_*.c), listed in console.c's table. */
extern const struct console_backend_ops console_stdio_ops;
extern const struct console_backend_ops console_file_ops;
extern const struct console_backend_ops console_none_ops;
extern const struct console_backend_ops console_pty_ops;
extern const struct console_backend_ops console_socket_ops;
extern const struct console_backend_ops console_fd_ops;

/* Set c's error text for console_open() (backends' open() use it). */
void console_set_error(struct console *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* IO_CONSOLE_H */

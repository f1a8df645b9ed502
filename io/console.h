/* SPDX-License-Identifier: MIT */
/*
 * Console backends: where a guest console (the 16550 UART, a virtio-console
 * port) sends its output and gets its input. A backend is chosen by name
 * from one table ("stdio", "file:PATH", "pty", "socket:PATH", "none"); the
 * devices never test which backend they have.
 *
 * Output, two ways, both lossless:
 *  - console_write(): synchronous, for vCPU-thread devices (the UART). It
 *    writes every byte or returns -errno, and may block (backpressure).
 *  - console_write_async(): for the loop thread (virtio-console). The
 *    request completes (done() on the loop thread) only once every byte is
 *    written; short writes, EINTR and EAGAIN are handled inside. Requests
 *    complete in submission order.
 * While a pty or socket backend has no reader, output goes into a bounded
 * replay ring (it never stalls the guest) and is replayed to the first
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

#include "loop.h"

struct console;

struct console_backend_ops {
	const char *name;	/* "stdio", "file", ... */
	bool needs_arg;		/* "file:PATH" */
	bool out_is_socket;	/* send with MSG_NOSIGNAL instead of writev */
	/* Sets in_fd/out_fd/priv. Returns 0 or -errno (err text via c). */
	int (*open)(struct console *c, const char *arg);
	/* Undo open() and restore terminal modes. Called once. */
	void (*close)(struct console *c);
	/* Optional: begin loop-driven work (accept clients, watch a pty). */
	int (*start)(struct console *c);
	/* Optional (default: read(2) on a nonblocking in_fd). */
	ssize_t (*read)(struct console *c, void *buf, size_t len);
	/*
	 * Optional: keep output written while out_fd < 0 (the replay ring).
	 * NULL: such output is discarded. Called with c->lock held.
	 */
	void (*capture)(struct console *c, const struct iovec *iov,
			unsigned int iovcnt);
	/*
	 * Optional: a write on out_fd failed with @err. Return true if the
	 * backend detached the reader (out_fd is now -1, the rest of the
	 * output is captured); false reports the error to the writer.
	 * Called with c->lock held.
	 */
	bool (*out_error)(struct console *c, int err);
	/* Optional: terminal size; -ENOTTY when there is none. */
	int (*get_winsize)(struct console *c, uint16_t *rows, uint16_t *cols);
};

/* What a listener hears about (loop thread). */
enum console_event {
	CONSOLE_EV_INPUT,	/* in_fd changed: re-read it, watch anew */
	CONSOLE_EV_RESIZE,	/* the terminal size changed */
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
	struct msghdr msg;
	struct console_req *next;
};

struct console {
	const struct console_backend_ops *ops;
	int in_fd;	/* -1: no input (now) */
	int out_fd;	/* -1: output captured or discarded */
	void *priv;	/* backend state */
	struct io_loop *loop;	/* set by console_start() */
	/* Guards in_fd/out_fd switching and backend output state. */
	pthread_mutex_t lock;
	bool lock_init;
	bool out_err_reported;
	char spec[256];	/* for messages */
	char *err;	/* console_open()'s error buffer, during open() */
	size_t err_len;
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

/* Write all of @buf. Any thread but the loop's. Returns @len or -errno. */
ssize_t console_write(struct console *c, const void *buf, size_t len);

/*
 * Queue a write of @iov (caller-owned and advanced in place as bytes go
 * out; it and the buffers stay valid until done()). Loop thread only,
 * after console_start(). done() is never called from inside this call.
 * Returns 0 or -errno (then done() is not called).
 */
int console_write_async(struct console *c, struct console_req *req,
			struct iovec *iov, unsigned int iovcnt);

/* Read up to @len bytes; 0 on EOF, -EAGAIN when nothing is pending. */
ssize_t console_read(struct console *c, void *buf, size_t len);

/* Terminal size of the backend, or -ENOTTY. */
int console_get_winsize(struct console *c, uint16_t *rows, uint16_t *cols);

/* Tell the listener (loop thread): for backends reporting changes. */
void console_notify(struct console *c, enum console_event ev);

/* True if @spec names a known backend (for CLI validation). */
bool console_spec_valid(const char *spec);

/* The backends (io/console_*.c), listed in console.c's table. */
extern const struct console_backend_ops console_stdio_ops;
extern const struct console_backend_ops console_file_ops;
extern const struct console_backend_ops console_none_ops;
extern const struct console_backend_ops console_pty_ops;
extern const struct console_backend_ops console_socket_ops;

/* Set c's error text for console_open() (backends' open() use it). */
void console_set_error(struct console *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* IO_CONSOLE_H */

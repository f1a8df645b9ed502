/* SPDX-License-Identifier: MIT */
/*
 * 16550A UART (COM1). Registers are accessed by vCPU threads through the
 * PIO bus; input arrives on the io loop thread from the console backend,
 * which is watched only while the 16-byte receive FIFO has room, so input
 * waits in the kernel instead of being dropped. Output goes to the backend
 * synchronously: a slow backend slows the guest, never loses bytes. It is
 * written with the UART's lock released: a console write may wait for the
 * io loop (a pty or socket reader's replay) and the loop takes that lock
 * to deliver input, so holding it there could deadlock.
 * The interrupt line follows the pending-interrupt state through
 * KVM_IRQ_LINE, as on a PC where the UART drives its ISA IRQ.
 */
#define pr_fmt(fmt) "serial: " fmt
#include "devices.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>
#include <linux/serial_reg.h>

#include "base/log.h"
#include "backends/console.h"
#include "base/bus.h"
#include "base/util.h"
#include "io/loop.h"

#define SERIAL_FIFO_SIZE 16
/* Transmitted bytes not yet written: at most one per vCPU (see tx). */
#define SERIAL_TX_STAGE SERIAL_MAX_VCPUS

struct serial {
	const struct device_env *env;
	struct console *con;
	unsigned int irq;
	pthread_mutex_t lock;

	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thri_pending; /* transmitter-empty interrupt pending */
	bool irq_level;

	uint8_t rx[SERIAL_FIFO_SIZE];
	unsigned int rx_head, rx_count;

	struct io_source in_src;
	bool in_watched, in_eof, rearm_queued;
	struct log_ratelimit warn_rl;

	/*
	 * Output: a THR write stages its byte here under @lock; the writing
	 * vCPU then writes what is staged to the console holding only
	 * @out_lock, which keeps the bytes in order. A vCPU is back in the
	 * guest only after its byte went out, so each has at most one here.
	 */
	pthread_mutex_t out_lock;
	uint8_t tx[SERIAL_TX_STAGE];
	unsigned int tx_len;
};

static void serial_update_irq(struct serial *s)
{
	bool level = ((s->ier & UART_IER_RDI) && s->rx_count) ||
		     ((s->ier & UART_IER_THRI) && s->thri_pending);
	struct kvm_irq_level line = {.irq = s->irq, .level = level};

	if (level == s->irq_level)
		return;
	s->irq_level = level;
	if (ioctl(s->env->vm_fd, KVM_IRQ_LINE, &line) < 0)
		pr_warn_ratelimited(&s->warn_rl, "KVM_IRQ_LINE: %s",
				    strerror(errno));
}

static void serial_rx_push(struct serial *s, const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n && s->rx_count < SERIAL_FIFO_SIZE; i++) {
		s->rx[(s->rx_head + s->rx_count) % SERIAL_FIFO_SIZE] = buf[i];
		s->rx_count++;
	}
}

/* Loop thread: the backend has input. Read only what the FIFO can hold. */
static void serial_input_ready(struct io_source *src, int res)
{
	struct serial *s = container_of(src, struct serial, in_src);
	uint8_t buf[SERIAL_FIFO_SIZE];
	ssize_t n = 0;

	pthread_mutex_lock(&s->lock);
	if (res >= 0 && s->rx_count < SERIAL_FIFO_SIZE)
		n = console_read(s->con, buf, SERIAL_FIFO_SIZE - s->rx_count);
	if (res < 0 || n == 0 || (n < 0 && n != -EAGAIN && n != -EINTR))
		s->in_eof = true; /* EOF or error: stop reading */
	if (n > 0)
		serial_rx_push(s, buf, (size_t)n);
	if (s->in_eof || s->rx_count == SERIAL_FIFO_SIZE) {
		(void)io_loop_unwatch(s->env->loop, &s->in_src);
		s->in_watched = false;
	}
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

/* Loop thread: the guest drained the FIFO; watch the backend again. */
static void serial_rearm(void *arg)
{
	struct serial *s = arg;

	pthread_mutex_lock(&s->lock);
	s->rearm_queued = false;
	if (!s->in_watched && !s->in_eof && s->rx_count < SERIAL_FIFO_SIZE &&
	    io_loop_watch(s->env->loop, &s->in_src) == 0)
		s->in_watched = true;
	pthread_mutex_unlock(&s->lock);
}

/*
 * Loop thread: the backend's input fd changed (a pty reader or a socket
 * client came or went). Watch the new one.
 */
static void serial_console_event(struct console *c, enum console_event ev,
				 void *opaque)
{
	struct serial *s = opaque;

	if (ev != CONSOLE_EV_INPUT)
		return;
	pthread_mutex_lock(&s->lock);
	if (s->in_watched)
		(void)io_loop_unwatch(s->env->loop, &s->in_src);
	s->in_watched = false;
	s->in_eof = c->in_fd < 0;
	s->in_src.fd = c->in_fd;
	if (!s->in_eof && s->rx_count < SERIAL_FIFO_SIZE &&
	    io_loop_watch(s->env->loop, &s->in_src) == 0)
		s->in_watched = true;
	pthread_mutex_unlock(&s->lock);
}

/* Lock held: the FIFO has room again; have the loop watch the backend. */
static void serial_rx_room(struct serial *s)
{
	if (!s->in_watched && !s->in_eof && !s->rearm_queued) {
		s->rearm_queued = true;
		if (io_loop_call(s->env->loop, serial_rearm, s) < 0)
			s->rearm_queued = false;
	}
}

static uint8_t serial_rx_pop(struct serial *s)
{
	uint8_t c;

	if (!s->rx_count)
		return 0;
	c = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % SERIAL_FIFO_SIZE;
	s->rx_count--;
	serial_rx_room(s);
	return c;
}

static uint8_t serial_iir(struct serial *s)
{
	uint8_t fifo = (s->fcr & UART_FCR_ENABLE_FIFO) ? 0xc0 : 0;

	if ((s->ier & UART_IER_RDI) && s->rx_count)
		return fifo | UART_IIR_RDI;
	if ((s->ier & UART_IER_THRI) && s->thri_pending) {
		/* Reading IIR with THRI as the source clears it. */
		s->thri_pending = false;
		return fifo | UART_IIR_THRI;
	}
	return fifo | UART_IIR_NO_INT;
}

static void serial_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct serial *s = opaque;
	bool dlab;
	uint8_t v = 0;

	pthread_mutex_lock(&s->lock);
	dlab = s->lcr & UART_LCR_DLAB;
	switch (off) {
	case UART_RX: v = dlab ? s->dll : serial_rx_pop(s); break;
	case UART_IER: v = dlab ? s->dlm : s->ier; break;
	case UART_IIR: v = serial_iir(s); break;
	case UART_LCR: v = s->lcr; break;
	case UART_MCR: v = s->mcr; break;
	case UART_LSR:
		/* We transmit at once: the transmitter is always empty. */
		v = UART_LSR_THRE | UART_LSR_TEMT |
		    (s->rx_count ? UART_LSR_DR : 0);
		break;
	case UART_MSR:
		/* Loopback: DCD=OUT2, RI=OUT1, DSR=DTR, CTS=RTS. */
		if (s->mcr & UART_MCR_LOOP)
			v = (uint8_t)((s->mcr & 0x0c) << 4) |
			    (uint8_t)((s->mcr & UART_MCR_DTR) << 5) |
			    (uint8_t)((s->mcr & UART_MCR_RTS) << 3);
		else
			v = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
		break;
	case UART_SCR: v = s->scr; break;
	}
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	memset(data, 0, len);
	*(uint8_t *)data = v;
}

/* Lock held: a THR write. Loopback or staged for serial_flush(). */
static void serial_transmit(struct serial *s, uint8_t c)
{
	if (s->mcr & UART_MCR_LOOP)
		serial_rx_push(s, &c, 1);
	else if (s->tx_len < SERIAL_TX_STAGE)
		s->tx[s->tx_len++] = c;
	else /* not with one byte per vCPU; never silently, though */
		pr_warn_ratelimited(&s->warn_rl, "transmit overrun: byte lost");
	s->thri_pending = true;
}

/* vCPU thread, lock NOT held: write what is staged, in order. */
static void serial_flush(struct serial *s)
{
	uint8_t buf[SERIAL_TX_STAGE];
	unsigned int n;

	pthread_mutex_lock(&s->out_lock);
	pthread_mutex_lock(&s->lock);
	n = s->tx_len;
	memcpy(buf, s->tx, n);
	s->tx_len = 0;
	pthread_mutex_unlock(&s->lock);
	/* A failure is reported by the console itself, once. */
	if (n)
		(void)console_write(s->con, buf, n);
	pthread_mutex_unlock(&s->out_lock);
}

static void serial_write(void *opaque, uint64_t off, const void *data,
			 uint32_t len)
{
	struct serial *s = opaque;
	uint8_t v = *(const uint8_t *)data;
	bool dlab, flush;

	(void)len;
	pthread_mutex_lock(&s->lock);
	dlab = s->lcr & UART_LCR_DLAB;
	switch (off) {
	case UART_TX:
		if (dlab)
			s->dll = v;
		else
			serial_transmit(s, v);
		break;
	case UART_IER:
		if (dlab) {
			s->dlm = v;
			break;
		}
		/* Enabling THRI with an empty transmitter raises it. */
		if (!(s->ier & UART_IER_THRI) && (v & UART_IER_THRI))
			s->thri_pending = true;
		s->ier = v & 0x0f;
		break;
	case UART_FCR:
		if (v & UART_FCR_CLEAR_RCVR) {
			s->rx_count = 0;
			serial_rx_room(s);
		}
		s->fcr = v & (UART_FCR_ENABLE_FIFO | 0xc0);
		break;
	case UART_LCR: s->lcr = v; break;
	case UART_MCR: s->mcr = v & 0x1f; break;
	case UART_SCR: s->scr = v; break;
	}
	flush = s->tx_len != 0;
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	if (flush)
		serial_flush(s);
}

static const struct bus_ops serial_ops = {
    .read = serial_read,
    .write = serial_write,
};

int serial_create(struct serial **out, const struct device_env *env,
		  struct console *con, uint16_t port, unsigned int irq)
{
	struct serial *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->env = env;
	s->con = con;
	s->irq = irq;
	log_ratelimit_init(&s->warn_rl, LOG_RATELIMIT_BURST,
			   LOG_RATELIMIT_INTERVAL_NS);
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->out_lock, NULL);
	r = bus_register(env->pio_bus, port, 8, "serial", &serial_ops, s);
	if (r) {
		serial_destroy(s);
		return r;
	}
	s->in_src = (struct io_source){
	    .fd = con->in_fd, .events = POLLIN, .ready = serial_input_ready};
	s->in_eof = con->in_fd < 0;
	console_set_listener(con, serial_console_event, s);
	r = console_start(con, env->loop);
	if (r) {
		serial_destroy(s);
		return r;
	}
	if (con->in_fd >= 0) {
		r = io_loop_watch(env->loop, &s->in_src);
		if (r) {
			serial_destroy(s);
			return r;
		}
		s->in_watched = true;
	}
	*out = s;
	return 0;
}

void serial_destroy(struct serial *s)
{
	if (!s)
		return;
	/* The loop outlives us and would clear in_src.watch after the free. */
	if (io_source_watched(&s->in_src))
		(void)io_loop_unwatch(s->env->loop, &s->in_src); /* watched */
	pthread_mutex_destroy(&s->out_lock);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

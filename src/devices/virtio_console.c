/* SPDX-License-Identifier: MIT */
/*
 * virtio-console device (virtio 1.2, 5.3): configuration space, the data
 * queues of each port and their backends. Transmit: pop every available
 * chain (up to VCON_TX_IOV segments), hand the readable segments to the
 * backend as one asynchronous write, and return the chains once it is
 * written. Receive: watch the backend's in_fd only while a receive chain
 * is available and read straight into it (QEMU's can_read idea). The
 * control queues live in console_ctrl.c.
 */
#define pr_fmt(fmt) "virtio-console: " fmt

#include "virtio_console.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>

#include "io/loop.h"
#include "base/log.h"
#include "virtio_console_int.h"

static struct vcon *to_vcon(struct virtio_dev *vd)
{
	return container_of(vd, struct vcon, vd);
}

/* ---- receive -------------------------------------------------------- */

static bool vcon_rx_allowed(const struct vcon_port *p)
{
	/* Linux drops input to a named port nobody has open. */
	return p->id == 0 || !vcon_multiport(p->vc) || p->guest_open;
}

void vcon_rx_update(struct vcon_port *p)
{
	struct virtio_dev *vd = &p->vc->vd;
	int fd = console_in_fd(&p->con);
	bool want = fd >= 0 && !p->in_eof && virtio_dev_live(vd) &&
		    vcon_rx_allowed(p) &&
		    (p->rx_held || vq_has_avail(&vd->vqs[vcon_rxq(p->id)]));

	if (io_source_watched(&p->in_src) && (!want || p->in_src.fd != fd))
		(void)io_loop_unwatch(p->vc->loop, &p->in_src); /* watched */
	if (want && !io_source_watched(&p->in_src)) {
		p->in_src.fd = fd;
		if (io_loop_watch(p->vc->loop, &p->in_src))
			pr_warn_ratelimited(&vd->warn_rl,
					    "cannot watch console input");
	}
}

/* Read into the held chain. Returns bytes read, 0 (none now) or -1 (EOF). */
static int vcon_rx_read(struct vcon_port *p)
{
	struct vq_chain *c = &p->rx_chain;
	uint32_t total = 0;
	ssize_t n = 0;

	for (unsigned int i = c->n_out; i < c->n_out + c->n_in; i++) {
		n = console_read(&p->con, c->iov[i].iov_base,
				 c->iov[i].iov_len);
		if (n > 0)
			total += (uint32_t)n;
		if (n < (ssize_t)c->iov[i].iov_len)
			break;
	}
	if (total || !c->in_len)
		return (int)total;
	if (n == 0 || (n < 0 && n != -EAGAIN)) {
		if (n < 0)
			pr_warn_ratelimited(&p->vc->vd.warn_rl,
					    "console input: %s",
					    strerror((int)-n));
		return -1;
	}
	return 0;
}

/* Fill receive chains while input and chains last. */
static void vcon_rx_fill(struct vcon_port *p)
{
	struct virtio_dev *vd = &p->vc->vd;
	unsigned int q = vcon_rxq(p->id);
	bool pushed = false;
	int n;

	while (virtio_dev_live(vd) && vcon_rx_allowed(p)) {
		if (!p->rx_held) {
			p->rx_chain = (struct vq_chain){.iov = p->rx_iov,
							.max = VCON_QUEUE_SIZE};
			if (virtio_dev_pop(vd, q, &p->rx_chain) != 1)
				break;
			p->rx_held = true;
		}
		n = p->rx_chain.in_len ? vcon_rx_read(p) : 0;
		if (n < 0)
			p->in_eof = true;
		if (n <= 0 && p->rx_chain.in_len)
			break; /* keep the chain for the next input */
		vq_push(&vd->vqs[q], p->rx_chain.head, (uint32_t)n);
		p->rx_held = false;
		pushed = true;
		if ((uint32_t)n < p->rx_chain.in_len)
			break; /* drained the backend for now */
	}
	if (pushed)
		virtio_dev_notify(vd, q);
	/*
	 * The input ended: a named port tells the driver its host side
	 * closed, so the guest's reader gets EOF once it has read what was
	 * pushed above (Linux reads the used ring before it looks at
	 * host_connected).
	 */
	if (p->in_eof && !p->host_closed)
		vcon_ctrl_host_open(p->vc, p, false);
	vcon_rx_update(p);
}

static void vcon_input_ready(struct io_source *src, int res)
{
	struct vcon_port *p = container_of(src, struct vcon_port, in_src);

	pthread_mutex_lock(&p->vc->vd.lock);
	if (res < 0)
		pr_warn_ratelimited(&p->vc->vd.warn_rl,
				    "console input poll: %s", strerror(-res));
	else
		vcon_rx_fill(p);
	pthread_mutex_unlock(&p->vc->vd.lock);
}

/* ---- transmit ------------------------------------------------------- */

static void vcon_tx_kick(struct vcon_port *p);

static void vcon_tx_done(struct console_req *req, int res)
{
	struct vcon_port *p = container_of(req, struct vcon_port, tx_req);
	struct vcon *vc = p->vc;
	unsigned int q = vcon_txq(p->id);

	(void)res; /* errors were reported by the backend; chains go back */
	pthread_mutex_lock(&vc->vd.lock);
	p->tx_busy = false;
	/* Chains of a queue reset meanwhile are not the driver's any more. */
	if (p->tx_gen == vc->gen && virtio_dev_live(&vc->vd)) {
		for (unsigned int i = 0; i < p->tx_n; i++)
			vq_push(&vc->vd.vqs[q], p->tx_heads[i], 0);
		virtio_dev_notify(&vc->vd, q);
	}
	/* A re-initialised driver may have posted chains while we wrote. */
	if (virtio_dev_live(&vc->vd))
		vcon_tx_kick(p);
	pthread_mutex_unlock(&vc->vd.lock);
}

/* Gather the available chains into one write (nothing while one flies). */
static void vcon_tx_kick(struct vcon_port *p)
{
	struct virtio_dev *vd = &p->vc->vd;
	struct virtqueue *vq = &vd->vqs[vcon_txq(p->id)];
	unsigned int n_iov = 0;
	struct vq_chain c;

	if (p->tx_busy)
		return;
	p->tx_n = 0;
	do {
		while (p->tx_n < VCON_TX_CHAINS && n_iov < VCON_TX_IOV) {
			c = (struct vq_chain){.iov = p->tx_iov + n_iov,
					      .max = VCON_QUEUE_SIZE};
			if (virtio_dev_pop(vd, vcon_txq(p->id), &c) != 1)
				break;
			p->tx_heads[p->tx_n++] = c.head;
			n_iov += c.n_out; /* writable segments are ignored */
		}
		/* Empty: ask for a doorbell, but look once more after. */
	} while (!p->tx_n && vq_enable_notify(vq) && virtio_dev_live(vd));
	if (!p->tx_n)
		return;
	p->tx_busy = true;
	p->tx_gen = p->vc->gen;
	p->tx_req.done = vcon_tx_done;
	if (console_write_async(&p->con, &p->tx_req, p->tx_iov, n_iov)) {
		pr_warn_ratelimited(&vd->warn_rl, "console output not "
						  "started: chains returned");
		p->tx_busy = false;
		for (unsigned int i = 0; i < p->tx_n; i++)
			vq_push(vq, p->tx_heads[i], 0);
		virtio_dev_notify(vd, vcon_txq(p->id));
	}
}

void vcon_flush(struct vcon *vc)
{
	pthread_mutex_lock(&vc->vd.lock);
	for (unsigned int i = 0; i < vc->nr_ports; i++)
		if (virtio_dev_live(&vc->vd))
			vcon_tx_kick(&vc->ports[i]);
	pthread_mutex_unlock(&vc->vd.lock);
}

bool vcon_busy(void *arg)
{
	struct vcon *vc = arg;
	bool busy = false;

	pthread_mutex_lock(&vc->vd.lock);
	for (unsigned int i = 0; i < vc->nr_ports; i++)
		busy = busy || vc->ports[i].tx_busy;
	pthread_mutex_unlock(&vc->vd.lock);
	return busy;
}

/* ---- device ops ----------------------------------------------------- */

static void vcon_read_config(struct virtio_dev *vd, size_t off, void *buf,
			     size_t len)
{
	struct vcon *vc = to_vcon(vd);
	struct virtio_console_config cfg = {
	    .cols = vc->cols,
	    .rows = vc->rows,
	    .max_nr_ports = VCON_MAX_PORTS,
	};

	memcpy(buf, (uint8_t *)&cfg + off, len);
}

/*
 * F_EMERG_WRITE: one character at a time, written before the register
 * write returns (vCPU thread): staged here under the lock, written by
 * vcon_config_written() without it.
 */
static void vcon_write_config(struct virtio_dev *vd, size_t off,
			      const void *buf, size_t len)
{
	size_t at = offsetof(struct virtio_console_config, emerg_wr);
	struct vcon *vc = to_vcon(vd);
	uint8_t ch;

	if (off != at || !len)
		return;
	memcpy(&ch, buf, 1); /* little endian: the low byte */
	if (vc->emerg_len < VCON_EMERG_STAGE)
		vc->emerg[vc->emerg_len++] = ch;
	else /* not with one byte per vCPU; never silently, though */
		pr_warn_ratelimited(&vd->warn_rl,
				    "emergency write overrun: byte lost");
}

static void vcon_config_written(struct virtio_dev *vd)
{
	struct vcon *vc = to_vcon(vd);
	uint8_t buf[VCON_EMERG_STAGE];
	unsigned int n;

	pthread_mutex_lock(&vc->emerg_lock);
	pthread_mutex_lock(&vd->lock);
	n = vc->emerg_len;
	memcpy(buf, vc->emerg, n);
	vc->emerg_len = 0;
	pthread_mutex_unlock(&vd->lock);
	/* A failure is reported by the console itself, once. */
	if (n)
		(void)console_write(&vc->ports[0].con, buf, n);
	pthread_mutex_unlock(&vc->emerg_lock);
}

/* Loop thread: chains the driver posted before its doorbells were wired. */
static void vcon_activated(void *arg)
{
	struct vcon *vc = arg;

	pthread_mutex_lock(&vc->vd.lock);
	if (virtio_dev_live(&vc->vd)) {
		for (unsigned int i = 0; i < vc->nr_ports; i++) {
			vcon_tx_kick(&vc->ports[i]);
			vcon_rx_update(&vc->ports[i]);
		}
		if (vcon_multiport(vc))
			vcon_ctrl_handle(vc);
	}
	pthread_mutex_unlock(&vc->vd.lock);
}

static int vcon_activate(struct virtio_dev *vd)
{
	return io_loop_call(to_vcon(vd)->loop, vcon_activated, vd);
}

static void vcon_reset(struct virtio_dev *vd)
{
	struct vcon *vc = to_vcon(vd);

	vc->gen++;
	for (unsigned int i = 0; i < vc->nr_ports; i++) {
		struct vcon_port *p = &vc->ports[i];

		if (io_source_watched(&p->in_src))
			(void)io_loop_unwatch(vc->loop, &p->in_src);
		p->rx_held = false;
		p->in_eof = false;
		p->host_closed = false;
		p->guest_open = false;
	}
	vcon_ctrl_reset(vc);
}

static void vcon_queue_notify(struct virtio_dev *vd, unsigned int q)
{
	struct vcon *vc = to_vcon(vd);
	unsigned int port = q < 2 ? 0 : q / 2 - 1;

	if (q == VCON_CTRL_RX)
		vcon_ctrl_flush(vc);
	else if (q == VCON_CTRL_TX)
		vcon_ctrl_handle(vc);
	else if (port >= vc->nr_ports)
		return; /* a port that was never added */
	else if (q & 1)
		vcon_tx_kick(&vc->ports[port]);
	else
		vcon_rx_update(&vc->ports[port]);
}

#define VCON_FEATURES                                                          \
	((1ULL << VIRTIO_CONSOLE_F_SIZE) |                                     \
	 (1ULL << VIRTIO_CONSOLE_F_EMERG_WRITE))

static const struct virtio_dev_ops vcon_ops = {
    .name = "virtio-console",
    .device_id = VIRTIO_ID_CONSOLE,
    .features = VCON_FEATURES,
    .num_queues = 2,
    .queue_size = VCON_QUEUE_SIZE,
    .config_size = sizeof(struct virtio_console_config),
    .read_config = vcon_read_config,
    .write_config = vcon_write_config,
    .config_written = vcon_config_written,
    .activate = vcon_activate,
    .reset = vcon_reset,
    .queue_notify = vcon_queue_notify,
};

/* With named ports: F_MULTIPORT and queues for VCON_MAX_PORTS ports. */
static const struct virtio_dev_ops vcon_multi_ops = {
    .name = "virtio-console",
    .device_id = VIRTIO_ID_CONSOLE,
    .features = VCON_FEATURES | (1ULL << VIRTIO_CONSOLE_F_MULTIPORT),
    .num_queues = 2 * (VCON_MAX_PORTS + 1),
    .queue_size = VCON_QUEUE_SIZE,
    .config_size = sizeof(struct virtio_console_config),
    .read_config = vcon_read_config,
    .write_config = vcon_write_config,
    .config_written = vcon_config_written,
    .activate = vcon_activate,
    .reset = vcon_reset,
    .queue_notify = vcon_queue_notify,
};

/* ---- backends' events ---------------------------------------------- */

/* Loop thread, no console lock: a reader came/went, or a resize. */
static void vcon_console_event(struct console *con, enum console_event ev,
			       void *opaque)
{
	struct vcon_port *p = opaque;
	struct vcon *vc = p->vc;
	uint16_t rows, cols;

	pthread_mutex_lock(&vc->vd.lock);
	if (ev == CONSOLE_EV_INPUT) {
		/*
		 * The reader left or came (pty, socket): whatever is watched
		 * is the last one's file, even when the new one has the same
		 * fd number (a detach and an attach may come as one event).
		 * A watch left on a closed socket fires without end.
		 */
		if (io_source_watched(&p->in_src))
			(void)io_loop_unwatch(vc->loop, &p->in_src);
		/* A new reader: its input has not ended. */
		p->in_eof = false;
		if (p->host_closed)
			vcon_ctrl_host_open(vc, p, true);
		vcon_rx_fill(p); /* also re-decides the watch */
	} else if (ev == CONSOLE_EV_RESIZE && p->id == 0 &&
		   !console_get_winsize(con, &rows, &cols)) {
		vcon_size_changed(vc, rows, cols);
	}
	pthread_mutex_unlock(&vc->vd.lock);
}

void vcon_size_changed(struct vcon *vc, uint16_t rows, uint16_t cols)
{
	if (rows == vc->rows && cols == vc->cols)
		return;
	vc->rows = rows;
	vc->cols = cols;
	if (virtio_dev_has(&vc->vd, VIRTIO_CONSOLE_F_SIZE))
		virtio_dev_config_changed(&vc->vd);
	if (vcon_multiport(vc) && vc->driver_ready)
		vcon_ctrl_send_size(vc);
}

/* Loop thread: apply the size vcon_set_size() posted. */
static void vcon_size_apply(void *arg)
{
	struct vcon *vc = arg;

	pthread_mutex_lock(&vc->vd.lock);
	vc->size_posted = false;
	vcon_size_changed(vc, vc->want_rows, vc->want_cols);
	pthread_mutex_unlock(&vc->vd.lock);
}

int vcon_set_size(struct vcon *vc, uint16_t rows, uint16_t cols)
{
	bool post;
	int r = 0;

	pthread_mutex_lock(&vc->vd.lock);
	vc->want_rows = rows;
	vc->want_cols = cols;
	/* Sizes set before the loop's next turn coalesce into the last. */
	post = !vc->size_posted;
	vc->size_posted = true;
	pthread_mutex_unlock(&vc->vd.lock);
	if (post) {
		r = io_loop_call(vc->loop, vcon_size_apply, vc);
		if (r) {
			pthread_mutex_lock(&vc->vd.lock);
			vc->size_posted = false;
			pthread_mutex_unlock(&vc->vd.lock);
		}
	}
	return r;
}

/* ---- life cycle ------------------------------------------------------ */

static int vcon_open_port(struct vcon *vc, unsigned int i,
			  const struct vcon_port_config *pc, char *err,
			  size_t err_len)
{
	struct vcon_port *p = &vc->ports[i];
	const char *spec = pc->backend ? pc->backend : "none";
	int r;

	p->vc = vc;
	p->id = i;
	p->in_src = (struct io_source){.fd = -1, .ready = vcon_input_ready};
	if (i && pc->name)
		snprintf(p->name, sizeof(p->name), "%s", pc->name);
	r = console_open_as(&p->con, spec, i ? p->name : "console", err,
			    err_len);
	if (r)
		return r;
	console_set_listener(&p->con, vcon_console_event, p);
	r = console_start(&p->con, vc->loop);
	if (r)
		snprintf(err, err_len, "%s: %s", spec, strerror(-r));
	return r;
}

int vcon_create(struct vcon **out, const struct vcon_config *cfg,
		const struct mem *mem, struct io_loop *loop, char *err,
		size_t err_len)
{
	struct vcon *vc;
	unsigned int i;
	int r;

	if (!cfg->nr_ports || cfg->nr_ports > VCON_MAX_PORTS) {
		snprintf(err, err_len, "virtio-console: %u ports (1..%u)",
			 cfg->nr_ports, VCON_MAX_PORTS);
		return -EINVAL;
	}
	vc = calloc(1, sizeof(*vc));
	if (!vc)
		return -ENOMEM;
	vc->loop = loop;
	vc->nr_ports = cfg->nr_ports;
	pthread_mutex_init(&vc->emerg_lock, NULL);
	r = virtio_dev_init(&vc->vd,
			    cfg->nr_ports > 1 ? &vcon_multi_ops : &vcon_ops,
			    mem, loop);
	if (r)
		goto err_free;
	for (i = 0; i < cfg->nr_ports; i++) {
		r = vcon_open_port(vc, i, &cfg->ports[i], err, err_len);
		if (r)
			goto err_close;
	}
	/* A terminal reports its own size; otherwise the configured one. */
	if (console_get_winsize(&vc->ports[0].con, &vc->rows, &vc->cols)) {
		vc->rows = cfg->rows;
		vc->cols = cfg->cols;
	}
	*out = vc;
	return 0;

err_close:
	for (unsigned int k = 0; k <= i && k < cfg->nr_ports; k++)
		console_close(&vc->ports[k].con);
	virtio_dev_uninit(&vc->vd);
err_free:
	pthread_mutex_destroy(&vc->emerg_lock);
	free(vc);
	return r;
}

void vcon_shutdown(struct vcon *vc, unsigned int grace_ms)
{
	for (unsigned int i = 0; i < vc->nr_ports; i++)
		console_shutdown(&vc->ports[i].con, grace_ms);
}

void vcon_set_quit(struct vcon *vc, struct exit_ctl *quit)
{
	for (unsigned int i = 0; i < vc->nr_ports; i++)
		vc->ports[i].con.quit_to = quit;
}

struct virtio_dev *vcon_dev(struct vcon *vc)
{
	return &vc->vd;
}

void vcon_destroy(struct vcon *vc)
{
	if (!vc)
		return;
	for (unsigned int i = 0; i < vc->nr_ports; i++) {
		struct vcon_port *p = &vc->ports[i];

		if (io_source_watched(&p->in_src))
			(void)io_loop_unwatch(vc->loop, &p->in_src);
		console_close(&p->con);
	}
	virtio_dev_uninit(&vc->vd);
	pthread_mutex_destroy(&vc->emerg_lock);
	free(vc);
}

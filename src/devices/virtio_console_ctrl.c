/* SPDX-License-Identifier: MIT */
/*
 * virtio-console control queues (virtio 1.2, 5.3.6.2, F_MULTIPORT). The
 * driver says DEVICE_READY; we announce every port (PORT_ADD); for each
 * PORT_READY we make port 0 the console (CONSOLE_PORT), name the others
 * (PORT_NAME) and report the host side open (PORT_OPEN). The driver's
 * PORT_OPEN gates input to named ports; ours says 0 once a named port's
 * input has ended (the guest's reader then gets EOF), 1 when a new
 * reader brings input again. Outgoing messages wait in a small
 * queue until the driver posts control receive buffers.
 */
#define pr_fmt(fmt) "virtio-console: " fmt

#include <endian.h>
#include <string.h>

#include <linux/virtio_console.h>

#include "base/log.h"
#include "virtio_console_int.h"

bool vcon_multiport(const struct vcon *vc)
{
	return virtio_dev_has(&vc->vd, VIRTIO_CONSOLE_F_MULTIPORT);
}

void vcon_ctrl_reset(struct vcon *vc)
{
	vc->driver_ready = false;
	vc->ctrl_head = 0;
	vc->ctrl_len = 0;
}

void vcon_ctrl_send(struct vcon *vc, uint32_t id, uint16_t event,
		    uint16_t value, const void *extra, uint16_t extra_len)
{
	struct vcon_ctrl_msg *m;

	if (!vcon_multiport(vc))
		return;
	if (vc->ctrl_len == VCON_CTRL_QLEN) {
		pr_warn_ratelimited(&vc->vd.warn_rl,
				    "control queue full: event %u dropped",
				    event);
		return;
	}
	m = &vc->ctrl_q[(vc->ctrl_head + vc->ctrl_len) % VCON_CTRL_QLEN];
	m->hdr = (struct virtio_console_control){
	    .id = id,
	    .event = event,
	    .value = value,
	};
	m->extra_len = extra_len < VCON_NAME_MAX ? extra_len : VCON_NAME_MAX;
	if (m->extra_len)
		memcpy(m->extra, extra, m->extra_len);
	vc->ctrl_len++;
	vcon_ctrl_flush(vc);
}

/*
 * RESIZE for port 0: struct virtio_console_resize is { le16 cols; le16
 * rows; } (virtio 1.2, 5.3.6.2), columns first as in the configuration
 * space. Linux's driver long read rows first; the fix reached the stable
 * kernels (Debian 12's 6.1 reads columns first, checked in the container
 * tier): an older guest sees the two swapped, as from any device that
 * follows the specification.
 */
void vcon_ctrl_send_size(struct vcon *vc)
{
	uint16_t size[2] = {htole16(vc->cols), htole16(vc->rows)};

	vcon_ctrl_send(vc, 0, VIRTIO_CONSOLE_RESIZE, 0, size, sizeof(size));
}

/* Copy @len bytes into the writable part of @c; returns bytes copied. */
static uint32_t chain_put(const struct vq_chain *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t done = 0;

	for (unsigned int i = c->n_out; i < c->n_out + c->n_in && len; i++) {
		size_t k = c->iov[i].iov_len < len ? c->iov[i].iov_len : len;

		if (!k)
			continue; /* a zero-length descriptor: a NULL iovec */
		memcpy(c->iov[i].iov_base, p, k);
		p += k;
		len -= k;
		done += (uint32_t)k;
	}
	return done;
}

/* Copy up to @len readable bytes of @c into @buf; returns the count. */
static size_t chain_get(const struct vq_chain *c, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t done = 0;

	for (unsigned int i = 0; i < c->n_out && len; i++) {
		size_t k = c->iov[i].iov_len < len ? c->iov[i].iov_len : len;

		if (!k)
			continue; /* a zero-length descriptor: a NULL iovec */
		memcpy(p, c->iov[i].iov_base, k);
		p += k;
		len -= k;
		done += k;
	}
	return done;
}

void vcon_ctrl_flush(struct vcon *vc)
{
	struct vq_chain c = {.iov = vc->ctrl_iov, .max = VCON_QUEUE_SIZE};
	uint8_t buf[sizeof(struct virtio_console_control) + VCON_NAME_MAX];
	bool pushed = false;

	while (vc->ctrl_len && virtio_dev_live(&vc->vd) &&
	       virtio_dev_pop(&vc->vd, VCON_CTRL_RX, &c) == 1) {
		struct vcon_ctrl_msg *m = &vc->ctrl_q[vc->ctrl_head];
		size_t len = sizeof(m->hdr) + m->extra_len;

		memcpy(buf, &m->hdr, sizeof(m->hdr));
		memcpy(buf + sizeof(m->hdr), m->extra, m->extra_len);
		if (c.in_len < len)
			pr_warn_ratelimited(
			    &vc->vd.warn_rl,
			    "control buffer of %u bytes too small", c.in_len);
		vq_push(&vc->vd.vqs[VCON_CTRL_RX], c.head,
			chain_put(&c, buf, len));
		vc->ctrl_head = (vc->ctrl_head + 1) % VCON_CTRL_QLEN;
		vc->ctrl_len--;
		pushed = true;
	}
	if (pushed)
		virtio_dev_notify(&vc->vd, VCON_CTRL_RX);
}

static void vcon_port_ready(struct vcon *vc, struct vcon_port *p)
{
	if (p->id == 0) {
		vcon_ctrl_send(vc, 0, VIRTIO_CONSOLE_CONSOLE_PORT, 1, NULL, 0);
		/* The console's size, as F_SIZE gives it without multiport. */
		if (vc->rows && vc->cols)
			vcon_ctrl_send_size(vc);
	} else if (p->name[0]) {
		vcon_ctrl_send(vc, p->id, VIRTIO_CONSOLE_PORT_NAME, 0, p->name,
			       (uint16_t)strlen(p->name));
	}
	/*
	 * The VMM side of every port is open (ring or reader) until its
	 * input ends (vcon_ctrl_host_open()).
	 */
	vcon_ctrl_send(vc, p->id, VIRTIO_CONSOLE_PORT_OPEN, !p->host_closed,
		       NULL, 0);
}

void vcon_ctrl_host_open(struct vcon *vc, struct vcon_port *p, bool open)
{
	/* Port 0 is a console: hvc has no notion of a closed host side. */
	if (!p->id || !vcon_multiport(vc))
		return;
	p->host_closed = !open;
	if (vc->driver_ready)
		vcon_ctrl_send(vc, p->id, VIRTIO_CONSOLE_PORT_OPEN, open, NULL,
			       0);
}

static void vcon_ctrl_msg(struct vcon *vc,
			  const struct virtio_console_control *m)
{
	struct vcon_port *p = m->id < vc->nr_ports ? &vc->ports[m->id] : NULL;

	switch (m->event) {
	case VIRTIO_CONSOLE_DEVICE_READY:
		if (!m->value) {
			pr_warn_ratelimited(&vc->vd.warn_rl,
					    "driver failed to set up the "
					    "device");
			break;
		}
		vc->driver_ready = true;
		for (unsigned int i = 0; i < vc->nr_ports; i++)
			vcon_ctrl_send(vc, i, VIRTIO_CONSOLE_PORT_ADD, 0, NULL,
				       0);
		break;
	case VIRTIO_CONSOLE_PORT_READY:
		if (!p || !m->value) {
			pr_warn_ratelimited(
			    &vc->vd.warn_rl,
			    "port %u not ready on the driver side", m->id);
			break;
		}
		vcon_port_ready(vc, p);
		break;
	case VIRTIO_CONSOLE_PORT_OPEN:
		if (!p)
			break;
		p->guest_open = m->value != 0;
		vcon_rx_update(p);
		break;
	default:
		pr_warn_ratelimited(&vc->vd.warn_rl,
				    "control event %u from the driver ignored",
				    m->event);
		break;
	}
}

void vcon_ctrl_handle(struct vcon *vc)
{
	struct vq_chain c = {.iov = vc->ctrl_iov, .max = VCON_QUEUE_SIZE};
	struct virtio_console_control m;
	bool pushed = false;

	while (virtio_dev_live(&vc->vd) &&
	       virtio_dev_pop(&vc->vd, VCON_CTRL_TX, &c) == 1) {
		if (chain_get(&c, &m, sizeof(m)) == sizeof(m))
			vcon_ctrl_msg(vc, &m);
		else
			pr_warn_ratelimited(&vc->vd.warn_rl,
					    "short control message (%zu "
					    "bytes)",
					    c.out_len);
		vq_push(&vc->vd.vqs[VCON_CTRL_TX], c.head, 0);
		pushed = true;
	}
	if (pushed)
		virtio_dev_notify(&vc->vd, VCON_CTRL_TX);
}

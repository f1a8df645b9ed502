/* SPDX-License-Identifier: MIT */
/*
 * KVM_IOEVENTFD / KVM_IRQFD registration and eventfd helpers.
 */
#include "eventfd.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

int io_ioeventfd_set(int vm_fd, int fd, const struct ioeventfd_spec *spec,
		     bool assign)
{
	struct kvm_ioeventfd io;

	memset(&io, 0, sizeof(io));
	io.addr = spec->addr;
	io.len = spec->len;
	io.fd = fd;
	io.datamatch = spec->data;
	if (spec->datamatch)
		io.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
	if (spec->pio)
		io.flags |= KVM_IOEVENTFD_FLAG_PIO;
	if (!assign)
		io.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	if (ioctl(vm_fd, KVM_IOEVENTFD, &io) < 0)
		return -errno;
	return 0;
}

int io_irqfd_set(int vm_fd, int fd, unsigned int gsi, bool assign)
{
	struct kvm_irqfd irq;

	memset(&irq, 0, sizeof(irq));
	irq.fd = (uint32_t)fd;
	irq.gsi = gsi;
	if (!assign)
		irq.flags = KVM_IRQFD_FLAG_DEASSIGN;
	if (ioctl(vm_fd, KVM_IRQFD, &irq) < 0)
		return -errno;
	return 0;
}

int io_eventfd_new(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int io_eventfd_signal(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		return -errno;
	return 0;
}

int64_t io_eventfd_drain(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return errno == EAGAIN ? 0 : -errno;
	return (int64_t)v;
}

/* SPDX-License-Identifier: MIT */
/*
 * The FUSE server's prepared steps on the io loop (virtio_fs.c uses it).
 */
#ifndef DEVICES_FUSE_SUBMIT_H
#define DEVICES_FUSE_SUBMIT_H

#include "fuse_server.h"

struct io_loop;
struct io_request;

/*
 * Submit @io as @req (its done() set by the caller) on @l: 0, or -errno
 * if the loop refused it (the step may then be run with fuse_io_run()).
 */
int fuse_io_submit(struct io_loop *l, struct io_request *req,
		   const struct fuse_io *io);

/* The metadata steps @l's ring has, as FUSE_IO_BIT()s (set_async). */
unsigned int fuse_io_async_ops(struct io_loop *l);

#endif /* DEVICES_FUSE_SUBMIT_H */

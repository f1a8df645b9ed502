/* SPDX-License-Identifier: MIT */
/*
 * Request and reply plumbing for the FUSE server (fuse_int.h): copying
 * between a chain's iovecs and flat buffers, describing part of a chain
 * as iovecs (READ and WRITE data stay in guest memory), writing the
 * reply header and body, and taking names out of the copied arguments
 * without reading past them.
 */
#include <errno.h>
#include <string.h>

#include "base/util.h"
#include "fuse_int.h"
#include "fuse_path.h"

size_t fuse_reply_room(const struct fuse_req *r)
{
	return r->out_len - sizeof(struct fuse_out_header);
}

static int reply(struct fuse_req *r, int err, const void *body, size_t len)
{
	struct fuse_out_header oh = {
	    .len = (uint32_t)(sizeof(oh) + len),
	    .error = err,
	    .unique = r->h.unique,
	};

	/* The dispatcher checked that a header fits. */
	if (len > fuse_reply_room(r))
		return reply(r, -EIO, NULL, 0);
	iov_from_buf(r->out, r->n_out, 0, &oh, sizeof(oh));
	iov_from_buf(r->out, r->n_out, sizeof(oh), body, len);
	r->written = sizeof(oh) + len;
	return FUSE_SERVER_REPLY;
}

int fuse_reply(struct fuse_req *r, const void *body, size_t len)
{
	return reply(r, 0, body, len);
}

int fuse_reply_err(struct fuse_req *r, int err)
{
	return reply(r, err, NULL, 0);
}

struct fuse_node *fuse_req_node(struct fuse_req *r)
{
	return fuse_nodes_get(&r->s->nodes, r->h.nodeid);
}

const char *fuse_req_str(struct fuse_req *r, size_t *off)
{
	const char *p = (const char *)r->arg + *off;
	const char *nul;

	if (*off >= r->arg_len)
		return NULL;
	nul = memchr(p, '\0', r->arg_len - *off);
	if (!nul)
		return NULL;
	*off += (size_t)(nul - p) + 1;
	return p;
}

const char *fuse_req_name(struct fuse_req *r, size_t *off, int *err)
{
	const char *name = fuse_req_str(r, off);

	*err = name ? fuse_name_check(name) : -EINVAL;
	return *err ? NULL : name;
}

/* SPDX-License-Identifier: MIT */
/*
 * virtio-fs without KVM: a fake guest driver speaks FUSE to
 * devices/virtio_fs.c behind virtio-mmio on the real io loop, over a
 * temporary directory. Checks INIT, LOOKUP, OPEN and READs whose data
 * comes through io_uring into the guest's buffers; a flood of READs (more
 * than the device keeps in flight and more than one wakeup's budget) all
 * answered byte-exact; FORGET on the high-priority queue answered with no
 * reply; a chain with no room for a reply returned empty and counted;
 * LINK, SETXATTR and GETXATTR, chains on the loop's ring too; a device
 * reset with READs in flight, after which a new driver gets a fresh
 * session (INIT again, the old node ids unknown).
 */
#include "devices/virtio_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/fuse.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>

#include "arch/x86/layout.h"
#include "base/bus.h"
#include "io/loop.h"
#include "virtio/device.h"
#include "virtio/mmio.h"
#include "check.h"
#include "loop_kinds.h"
#include "fake_mem.h"
#include "vring_driver.h"

#define FILE_LEN (1u << 20)
#define CHUNK	 16384
#define FLOOD	 100

static struct {
	struct mem mem;
	struct bus bus;
	struct io_loop *loop;
	struct vfs *f;
	struct virtio_mmio *m;
	gpa_t base;
	struct vring_driver q[2];
	uint16_t next_slot[2];
	uint64_t unique;
	char dir[64];
} T;

static uint8_t pattern(uint64_t pos)
{
	return (uint8_t)(pos * 7 + (pos >> 11));
}

static uint32_t rd(uint64_t off)
{
	uint32_t v = 0;

	bus_dispatch(&T.bus, T.base + off, &v, 4, false);
	return v;
}

static void wr(uint64_t off, uint32_t v)
{
	bus_dispatch(&T.bus, T.base + off, &v, 4, true);
}

/* Reset, negotiate VERSION_1, set both queues up at @ring. */
static void driver_init(gpa_t ring)
{
	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, 3);
	CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_FS);
	/* The tag, as the config space gives it. */
	CHECK_EQ(rd(VIRTIO_MMIO_CONFIG), 0x74736574); /* "test" */
	CHECK_EQ(rd(VIRTIO_MMIO_CONFIG + 36), 1);     /* one request queue */
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1u << 28); /* INDIRECT_DESC */
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1);
	wr(VIRTIO_MMIO_STATUS, 0xb);
	for (unsigned int i = 0; i < 2; i++) {
		struct vring_driver *q = &T.q[i];

		CHECK_EQ(vrd_init(q, &T.mem, ring + i * 16 * MiB, 16 * MiB,
				  VFS_QUEUE_SIZE),
			 0);
		wr(VIRTIO_MMIO_QUEUE_SEL, i);
		wr(VIRTIO_MMIO_QUEUE_NUM, VFS_QUEUE_SIZE);
		wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)q->desc_gpa);
		wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)q->avail_gpa);
		wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)q->used_gpa);
		wr(VIRTIO_MMIO_QUEUE_READY, 1);
		T.next_slot[i] = 0;
	}
	wr(VIRTIO_MMIO_STATUS, 0xf);
	CHECK_EQ(rd(VIRTIO_MMIO_STATUS), 0xf);
}

struct req {
	uint16_t head;
	gpa_t in, out;
	uint32_t out_len;
};

/*
 * Post a request: header for @op on @node plus @args; room for @out_len.
 * Indirect (one ring slot, so a flood of them fits the ring) when
 * @indirect, else two linked descriptors.
 */
static struct req post_how(unsigned int qi, uint32_t op, uint64_t node,
			   const void *args, uint32_t args_len,
			   uint32_t out_len, bool indirect)
{
	struct vring_driver *q = &T.q[qi];
	struct fuse_in_header h = {.len = sizeof(h) + args_len,
				   .opcode = op,
				   .unique = ++T.unique,
				   .nodeid = node};
	struct req r = {.out_len = out_len};
	struct vrd_seg segs[2];
	unsigned int n = 1;
	uint8_t *p;

	r.in = vrd_alloc(q, h.len);
	p = vrd_ptr(q, r.in, h.len);
	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), args, args_len);
	segs[0] = (struct vrd_seg){r.in, h.len, false};
	if (out_len) {
		r.out = vrd_alloc(q, out_len);
		memset(vrd_ptr(q, r.out, out_len), 0xee, out_len);
		segs[n++] = (struct vrd_seg){r.out, out_len, true};
	}
	if (indirect) {
		r.head = vrd_indirect(q, segs, n, T.next_slot[qi]);
		T.next_slot[qi] =
		    (uint16_t)((T.next_slot[qi] + 1) % VFS_QUEUE_SIZE);
	} else {
		if (T.next_slot[qi] == VFS_QUEUE_SIZE - 1)
			T.next_slot[qi] = 0; /* two slots in a row */
		r.head = vrd_chain(q, segs, n, T.next_slot[qi]);
		T.next_slot[qi] =
		    (uint16_t)((T.next_slot[qi] + 2) % VFS_QUEUE_SIZE);
	}
	vrd_publish(q, r.head);
	return r;
}

static struct req post(unsigned int qi, uint32_t op, uint64_t node,
		       const void *args, uint32_t args_len, uint32_t out_len)
{
	return post_how(qi, op, node, args, args_len, out_len, false);
}

static void kick(unsigned int qi)
{
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, qi);
}

/* The next used chain of queue @qi (any order): its id and length. */
static void wait_used(unsigned int qi, uint32_t *id, uint32_t *len)
{
	while (!vrd_get_used(&T.q[qi], id, len))
		usleep(50);
}

/* One request, waited for: the reply's header and body at @body. */
static struct fuse_out_header call(uint32_t op, uint64_t node, const void *args,
				   uint32_t args_len, void *body,
				   uint32_t body_len)
{
	struct req r = post(1, op, node, args, args_len,
			    sizeof(struct fuse_out_header) + body_len);
	struct fuse_out_header h;
	uint32_t id, len;
	uint8_t *p;

	kick(1);
	wait_used(1, &id, &len);
	CHECK_EQ(id, r.head);
	p = vrd_ptr(&T.q[1], r.out, r.out_len);
	memcpy(&h, p, sizeof(h));
	CHECK_EQ(len, h.len);
	CHECK_EQ(h.unique, T.unique);
	if (body)
		memcpy(body, p + sizeof(h), body_len);
	return h;
}

static void fuse_init(void)
{
	struct fuse_init_in in = {
	    .major = 7, .minor = 36, .max_readahead = 1 << 20};
	struct fuse_init_out out;

	CHECK_EQ(call(FUSE_INIT, 0, &in, sizeof(in), &out, sizeof(out)).error,
		 0);
	CHECK_EQ(out.major, 7);
	CHECK(out.max_write >= CHUNK);
}

/* LOOKUP then OPEN "data": the node id and file handle. */
static void open_data(uint64_t *node, uint64_t *fh)
{
	struct fuse_entry_out e;
	struct fuse_open_in oi = {.flags = O_RDONLY};
	struct fuse_open_out oo;

	CHECK_EQ(
	    call(FUSE_LOOKUP, FUSE_ROOT_ID, "data", 5, &e, sizeof(e)).error, 0);
	CHECK_EQ(e.attr.size, FILE_LEN);
	*node = e.nodeid;
	CHECK_EQ(call(FUSE_OPEN, *node, &oi, sizeof(oi), &oo, sizeof(oo)).error,
		 0);
	*fh = oo.fh;
}

static bool read_ok(gpa_t out, uint64_t off, uint32_t len)
{
	const uint8_t *p =
	    vrd_ptr(&T.q[1], out, sizeof(struct fuse_out_header) + len);
	const struct fuse_out_header *h = (const void *)p;

	if (h->error || h->len != sizeof(*h) + len)
		return false;
	for (uint32_t i = 0; i < len; i++)
		if (p[sizeof(*h) + i] != pattern(off + i))
			return false;
	return true;
}

static void test_read_and_flood(void)
{
	struct fuse_read_in ri = {.size = CHUNK};
	struct req r[FLOOD];
	struct vfs_stats st;
	uint64_t node, fh;
	unsigned int done = 0, good = 0;
	uint32_t id, len;

	fuse_init();
	open_data(&node, &fh);
	ri.fh = fh;
	/* More than VFS_MAX_INFLIGHT and one wakeup's budget at once. */
	for (unsigned int i = 0; i < FLOOD; i++) {
		ri.offset = (uint64_t)i * 4096 + 3;
		r[i] = post_how(1, FUSE_READ, node, &ri, sizeof(ri),
				sizeof(struct fuse_out_header) + CHUNK, true);
		if (i == 40)
			kick(1); /* part of it while the rest is posted */
	}
	kick(1);
	while (done < FLOOD) {
		wait_used(1, &id, &len);
		for (unsigned int i = 0; i < FLOOD; i++) {
			if (r[i].head != id || !r[i].out_len)
				continue;
			good +=
			    read_ok(r[i].out, (uint64_t)i * 4096 + 3, CHUNK);
			r[i].out_len = 0;
			done++;
			break;
		}
	}
	CHECK_EQ(good, FLOOD);
	vfs_stats(T.f, &st);
	CHECK(st.io_requests >= FLOOD);
	CHECK(st.ops[FUSE_READ] >= FLOOD);
	CHECK_EQ(st.ops[FUSE_INIT], 1);
	CHECK_EQ(strcmp(fuse_server_op_name(FUSE_READ), "READ"), 0);
	CHECK(fuse_server_op_name(FUSE_SETLK) == NULL); /* not served */
}

static void test_forget_and_bad_chain(void)
{
	struct fuse_forget_in fi = {.nlookup = 1};
	struct vfs_stats st0, st;
	struct req r;
	uint32_t id, len;
	uint64_t node, fh;

	open_data(&node, &fh); /* one more lookup to forget */
	r = post(0, FUSE_FORGET, node, &fi, sizeof(fi), 0);
	kick(0);
	wait_used(0, &id, &len);
	CHECK_EQ(id, r.head);
	CHECK_EQ(len, 0);
	/* A GETATTR with nowhere to put the reply. */
	vfs_stats(T.f, &st0);
	r = post(1, FUSE_GETATTR, node, "", 0, 0);
	kick(1);
	wait_used(1, &id, &len);
	CHECK_EQ(id, r.head);
	CHECK_EQ(len, 0);
	vfs_stats(T.f, &st);
	CHECK_EQ(st.bad_requests, st0.bad_requests + 1);
	CHECK(st.ops[FUSE_FORGET] >= 1); /* from the hiprio queue */
	CHECK_EQ(st.ops[FUSE_GETATTR], st0.ops[FUSE_GETATTR] + 1);
}

/* LINK "data" as "hl", then an xattr on it, set and read back. */
static void test_link_and_xattr(void)
{
	struct fuse_link_in li;
	struct fuse_setxattr_in si = {.size = 2};
	struct fuse_getxattr_in gi = {.size = 0};
	struct fuse_getxattr_out go;
	struct fuse_entry_out e;
	uint8_t args[64];
	char val[16];
	uint64_t node, fh;

	open_data(&node, &fh);
	li.oldnodeid = node;
	memcpy(args, &li, sizeof(li));
	memcpy(args + sizeof(li), "hl", 3);
	CHECK_EQ(
	    call(FUSE_LINK, FUSE_ROOT_ID, args, sizeof(li) + 3, &e, sizeof(e))
		.error,
	    0);
	CHECK_EQ(e.nodeid, node);
	CHECK_EQ(e.attr.nlink, 2);
	memcpy(args, &si, FUSE_COMPAT_SETXATTR_IN_SIZE);
	memcpy(args + FUSE_COMPAT_SETXATTR_IN_SIZE, "user.t\0ok", 9);
	CHECK_EQ(call(FUSE_SETXATTR, node, args,
		      FUSE_COMPAT_SETXATTR_IN_SIZE + 9, NULL, 0)
		     .error,
		 0);
	memcpy(args, &gi, sizeof(gi));
	memcpy(args + sizeof(gi), "user.t", 7);
	CHECK_EQ(
	    call(FUSE_GETXATTR, node, args, sizeof(gi) + 7, &go, sizeof(go))
		.error,
	    0);
	CHECK_EQ(go.size, 2);
	gi.size = sizeof(val);
	memcpy(args, &gi, sizeof(gi));
	CHECK_EQ(call(FUSE_GETXATTR, node, args, sizeof(gi) + 7, val, 2).error,
		 0);
	CHECK_EQ(memcmp(val, "ok", 2), 0);
}

static void test_reset_in_flight(void)
{
	struct fuse_read_in ri = {.size = CHUNK};
	struct fuse_attr_out ao;
	uint64_t node, fh;

	open_data(&node, &fh);
	ri.fh = fh;
	for (unsigned int i = 0; i < 100; i++) {
		ri.offset = (uint64_t)i * CHUNK % FILE_LEN;
		post_how(1, FUSE_READ, node, &ri, sizeof(ri),
			 sizeof(struct fuse_out_header) + CHUNK, true);
	}
	kick(1);
	/* Reset at once: the reads still in flight finish before it ends. */
	driver_init(48 * MiB);
	fuse_init();
	/* A fresh session: the old node id means nothing any more. */
	CHECK(call(FUSE_GETATTR, node, &(struct fuse_getattr_in){0},
		   sizeof(struct fuse_getattr_in), &ao, sizeof(ao))
		  .error != 0);
	open_data(&node, &fh);
	CHECK_EQ(call(FUSE_GETATTR, node, &(struct fuse_getattr_in){0},
		      sizeof(struct fuse_getattr_in), &ao, sizeof(ao))
		     .error,
		 0);
	CHECK_EQ(ao.attr.size, FILE_LEN);
}

static void *guest(void *arg)
{
	(void)arg;
	driver_init(8 * MiB);
	test_read_and_flood();
	test_forget_and_bad_chain();
	test_link_and_xattr();
	test_reset_in_flight();
	io_loop_stop(T.loop);
	return NULL;
}

static void make_dir(void)
{
	uint8_t *buf = malloc(FILE_LEN);
	char path[96];
	int fd;

	strcpy(T.dir, "/tmp/test_virtio_fs.XXXXXX");
	CHECK(mkdtemp(T.dir) != NULL);
	snprintf(path, sizeof(path), "%s/data", T.dir);
	for (uint32_t i = 0; i < FILE_LEN; i++)
		buf[i] = pattern(i);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, buf, FILE_LEN), (ssize_t)FILE_LEN);
	close(fd);
	free(buf);
}

static void remove_dir(void)
{
	char path[96];

	snprintf(path, sizeof(path), "%s/data", T.dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/hl", T.dir);
	unlink(path);
	rmdir(T.dir);
}

int main(void)
{
	struct virtio_mmio_env env;
	char err[256];
	pthread_t g;

	test_loop_kinds();
	make_dir();
	CHECK_EQ(fake_mem_create(&T.mem, 96 * MiB), 0);
	CHECK_EQ(test_loop_create(&T.loop), 0);
	env = (struct virtio_mmio_env){
	    .vm_fd = -1, .mem = &T.mem, .loop = T.loop, .mmio_bus = &T.bus};
	T.base = LAYOUT_VIRTIO_MMIO_BASE;
	CHECK_EQ(vfs_create(&T.f, "test", T.dir, 0, &T.mem, T.loop, err,
			    sizeof(err)),
		 0);
	CHECK_EQ(virtio_mmio_create(&T.m, &env, vfs_dev(T.f), T.base, 16), 0);
	/* Bad input is refused up front. */
	{
		struct vfs *bad;

		CHECK_EQ(vfs_create(&bad, "", T.dir, 0, &T.mem, T.loop, err,
				    sizeof(err)),
			 -EINVAL);
		CHECK(vfs_create(&bad, "x", "/nonexistent/dir", 0, &T.mem,
				 T.loop, err, sizeof(err)) < 0);
		CHECK(strstr(err, "/nonexistent/dir") != NULL);
	}
	pthread_create(&g, NULL, guest, NULL);
	CHECK_EQ(io_loop_run(T.loop), 0);
	pthread_join(g, NULL);
	virtio_mmio_destroy(T.m);
	vfs_destroy(T.f);
	io_loop_destroy(T.loop);
	bus_destroy(&T.bus);
	fake_mem_destroy(&T.mem);
	remove_dir();
	return check_done("test_virtio_fs");
}

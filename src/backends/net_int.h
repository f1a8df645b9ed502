/* SPDX-License-Identifier: MIT */
/*
 * Net backend internals shared by net.c (specs, dispatch), net_tap.c and
 * net_socket.c. Not for other modules.
 */
#ifndef BACKENDS_NET_INT_H
#define BACKENDS_NET_INT_H

#include <stddef.h>

#include "net.h"

/* Format a one-line reason into @err and return @r (a -errno). */
int net_fail(char *err, size_t err_len, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* net_tap.c: tap=IFNAME and fd=N. */
int net_tap_open(struct net_backend *b, const struct net_spec *spec, char *err,
		 size_t err_len);

/* net_socket.c: socket=PATH. */
int net_socket_open(struct net_backend *b, const struct net_spec *spec,
		    char *err, size_t err_len);

#endif /* BACKENDS_NET_INT_H */

/* SPDX-License-Identifier: MIT */
/*
 * The guest's loopback interface. The kernel leaves "lo" down, and gives
 * it 127.0.0.1 and ::1 only once it is up; programs in a container expect
 * localhost to work.
 */
#ifndef GUESTS_RUNNER_NET_H
#define GUESTS_RUNNER_NET_H

/* Bring "lo" up. Returns 0 or -errno. */
int net_loopback_up(void);

#endif /* GUESTS_RUNNER_NET_H */

/* SPDX-License-Identifier: MIT */
/*
 * A periodic timerfd watched by the io loop; each expiry samples every
 * vCPU. Missed expiries (a busy loop) are not replayed: the counters are
 * cumulative, so one late fold covers the whole interval.
 */
#define pr_fmt(fmt) "sampler: " fmt
#include "sampler.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "vcpu.h"
#include "vcpu_stats.h"
#include "base/log.h"
#include "base/util.h"

void sampler_sample(struct sampler *s)
{
	for (unsigned int i = 0; i < s->nr_vcpus; i++)
		vcpu_stats_sample(&s->vcpus[i]);
}

static void sampler_ready(struct io_source *src, int res)
{
	struct sampler *s = container_of(src, struct sampler, src);
	uint64_t expirations;

	if (res < 0) {
		pr_warn("timerfd poll: %s", strerror(-res));
		return;
	}
	/* Nonblocking: EAGAIN only means nothing expired after all. */
	if (read(src->fd, &expirations, sizeof(expirations)) < 0)
		return;
	sampler_sample(s);
}

int sampler_start(struct sampler *s, struct io_loop *l, struct vcpu *vcpus,
		  unsigned int nr, unsigned int period_ms)
{
	struct itimerspec its;
	uint64_t ns;
	int r;

	if (!period_ms)
		period_ms = SAMPLER_DEFAULT_MS;
	ns = (uint64_t)period_ms * 1000000;
	its.it_interval.tv_sec = (time_t)(ns / 1000000000);
	its.it_interval.tv_nsec = (long)(ns % 1000000000);
	/* The first sample one period from now, then periodically. */
	its.it_value = its.it_interval;

	memset(s, 0, sizeof(*s));
	s->vcpus = vcpus;
	s->nr_vcpus = nr;
	s->src.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->src.fd < 0)
		return -errno;
	s->src.events = POLLIN;
	s->src.ready = sampler_ready;
	if (timerfd_settime(s->src.fd, 0, &its, NULL) < 0) {
		r = -errno;
		goto err_close;
	}
	r = io_loop_watch(l, &s->src);
	if (r)
		goto err_close;
	s->loop = l;
	return 0;

err_close:
	close(s->src.fd);
	s->src.fd = -1;
	return r;
}

void sampler_stop(struct sampler *s)
{
	if (!s->loop)
		return;
	(void)io_loop_unwatch(s->loop, &s->src); /* -ENOENT: poll failed */
	close(s->src.fd);
	s->src.fd = -1;
	s->loop = NULL;
}

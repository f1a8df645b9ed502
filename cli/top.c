/* SPDX-License-Identifier: MIT */
/*
 * vmm top: poll "stats" on the control socket, diff consecutive
 * snapshots, print percentages. Parsing and printing are pure so they are
 * unit-tested; the loop around them only connects, sleeps and clears the
 * screen when stdout is a terminal.
 */
#include "top.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ctl.h"

static uint64_t get_u64(struct json_object *o, const char *key, bool *ok)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int)) {
		*ok = false;
		return 0;
	}
	return json_object_get_uint64(v);
}

static bool parse_row(struct json_object *v, struct top_row *row)
{
	struct json_object *times, *state, *kvm;
	bool ok = true;

	memset(row, 0, sizeof(*row));
	row->id = (unsigned int)get_u64(v, "id", &ok);
	row->tid = get_u64(v, "tid", &ok);
	row->wakeups = get_u64(v, "wakeups", &ok);
	if (!json_object_object_get_ex(v, "state", &state) ||
	    !json_object_is_type(state, json_type_string) ||
	    !json_object_object_get_ex(v, "time_ns", &times))
		return false;
	snprintf(row->state, sizeof(row->state), "%s",
		 json_object_get_string(state));
	for (unsigned int i = 0; i < VMM_RUNSTATE_COUNT; i++)
		row->time[i] = get_u64(
		    times, vmm_runstate_name((enum vmm_runstate)i), &ok);
	if (json_object_object_get_ex(v, "kvm", &kvm)) {
		bool has = true;

		row->exits = get_u64(kvm, "exits", &has);
		row->has_exits = has;
	}
	return ok;
}

int top_parse(const char *reply, struct top_frame *f)
{
	struct json_object *doc = json_tokener_parse(reply), *vcpus;
	bool ok = true;
	int r = -EINVAL;
	size_t n;

	memset(f, 0, sizeof(*f));
	if (!doc || !json_object_object_get_ex(doc, "vcpus", &vcpus) ||
	    !json_object_is_type(vcpus, json_type_array))
		goto out;
	f->time_ns = get_u64(doc, "time_ns", &ok);
	n = json_object_array_length(vcpus);
	if (!ok)
		goto out;
	f->rows = calloc(n ? n : 1, sizeof(*f->rows));
	if (!f->rows) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!parse_row(json_object_array_get_idx(vcpus, i),
			       &f->rows[i]))
			goto out;
	f->nr = (unsigned int)n;
	r = 0;
out:
	if (r)
		top_frame_free(f);
	json_object_put(doc);
	return r;
}

void top_frame_free(struct top_frame *f)
{
	free(f->rows);
	memset(f, 0, sizeof(*f));
}

/* Rows are matched by vCPU id, not position, in case the list changes. */
static const struct top_row *find_row(const struct top_frame *f,
				      unsigned int id)
{
	for (unsigned int i = 0; f && i < f->nr; i++)
		if (f->rows[i].id == id)
			return &f->rows[i];
	return NULL;
}

static uint64_t sub(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/*
 * The shares are of the state times' own growth, not of the wall-clock
 * interval: both snapshots are exact at their time_ns, so the four
 * deltas add up to the interval and the row always totals 100%.
 */
static void print_row(FILE *out, const struct top_row *p,
		      const struct top_row *c, double secs)
{
	uint64_t d[VMM_RUNSTATE_COUNT], total = 0;

	for (unsigned int i = 0; i < VMM_RUNSTATE_COUNT; i++) {
		d[i] = sub(c->time[i], p ? p->time[i] : 0);
		total += d[i];
	}
	fprintf(out, "%4u %8llu %-9s", c->id, (unsigned long long)c->tid,
		c->state);
	for (unsigned int i = 0; i < VMM_RUNSTATE_COUNT; i++)
		fprintf(out, " %8.1f",
			total ? 100.0 * (double)d[i] / (double)total : 0.0);
	fprintf(out, " %8.0f",
		(double)sub(c->wakeups, p ? p->wakeups : 0) / secs);
	if (c->has_exits)
		fprintf(out, " %8.0f\n",
			(double)sub(c->exits, p ? p->exits : 0) / secs);
	else
		fprintf(out, " %8s\n", "-");
}

void top_print(FILE *out, const struct top_frame *prev,
	       const struct top_frame *cur)
{
	uint64_t dt = sub(cur->time_ns, prev ? prev->time_ns : 0);
	double secs = dt ? (double)dt / 1e9 : 1.0;

	fprintf(out, "%u vCPUs, interval %.2f s\n", cur->nr, secs);
	fprintf(out, "VCPU      TID STATE      RUNNING RUNNABLE  BLOCKED  "
		     "OFFLINE  WAKES/s  EXITS/s\n");
	for (unsigned int i = 0; i < cur->nr; i++)
		print_row(out, find_row(prev, cur->rows[i].id), &cur->rows[i],
			  secs);
}

/* One connection for the whole session: one request, one reply. */
static int fetch(int fd, struct top_frame *f)
{
	char *reply;
	int r = ctl_request(fd, "{\"cmd\":\"stats\"}", &reply);

	if (r)
		return r;
	r = top_parse(reply, f);
	free(reply);
	return r;
}

static void nap(double secs)
{
	struct timespec ts = {
	    .tv_sec = (time_t)secs,
	    .tv_nsec = (long)((secs - floor(secs)) * 1e9),
	};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int top_usage(void)
{
	fprintf(stderr,
		"usage: vmm top SOCKET [-d SECONDS] [-n COUNT] [--once]\n");
	return 2;
}

/* Parse the options; returns 0 or the usage exit status. */
static int top_options(int argc, char **argv, double *interval, long *count)
{
	static const struct option opts[] = {
	    {"once", no_argument, NULL, '1'},
	    {"delay", required_argument, NULL, 'd'},
	    {"iterations", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:n:", opts, NULL)) != -1) {
		switch (c) {
		case '1': *count = 1; break;
		case 'd':
			*interval = strtod(optarg, &end);
			if (*end || !(*interval >= 0.01 && *interval <= 3600))
				return top_usage();
			break;
		case 'n':
			*count = strtol(optarg, &end, 10);
			if (*end || *count < 1)
				return top_usage();
			break;
		default: return top_usage();
		}
	}
	return optind + 1 == argc ? 0 : top_usage();
}

int top_main(int argc, char **argv)
{
	struct top_frame prev, cur;
	double interval = 1.0;
	long count = -1;
	bool tty = isatty(STDOUT_FILENO);
	int fd, r;

	r = top_options(argc, argv, &interval, &count);
	if (r)
		return r;
	fd = ctl_connect(argv[optind], 30);
	if (fd < 0 || (r = fetch(fd, &prev))) {
		fprintf(stderr, "vmm top: %s: %s\n", argv[optind],
			strerror(fd < 0 ? -fd : -r));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	for (long i = 0; count < 0 || i < count; i++) {
		nap(interval);
		r = fetch(fd, &cur);
		if (r)
			break;
		if (tty)
			fputs("\033[H\033[2J", stdout);
		printf("vmm top: %s, ", argv[optind]);
		top_print(stdout, &prev, &cur);
		fflush(stdout);
		top_frame_free(&prev);
		prev = cur;
	}
	top_frame_free(&prev);
	close(fd);
	if (r) {
		fprintf(stderr, "vmm top: %s: %s\n", argv[optind],
			strerror(-r));
		return 1;
	}
	return 0;
}

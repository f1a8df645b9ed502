/* SPDX-License-Identifier: MIT */
/* Bounded waits for unit tests (waits.h). */
#include "waits.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(void)
{
	struct timespec ms = {0, 1000000};

	nanosleep(&ms, NULL);
}

bool wait_flag(bool *flag)
{
	for (int i = 0; i < WAIT_S * 1000; i++) {
		if (__atomic_load_n(flag, __ATOMIC_ACQUIRE))
			return true;
		sleep_ms();
	}
	return false;
}

/* The thread's state letter in /proc (R running, S sleeping...). */
static char thread_state(pid_t tid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

bool wait_asleep(pid_t tid)
{
	for (int i = 0; i < WAIT_S * 1000; i++) {
		if (thread_state(tid) == 'S')
			return true;
		sleep_ms();
	}
	return false;
}

size_t read_for(int fd, void *buf, size_t want)
{
	size_t n = 0;
	ssize_t k;

	for (int i = 0; n < want && i < WAIT_S * 1000;) {
		k = read(fd, (char *)buf + n, want - n);
		if (k > 0) {
			n += (size_t)k;
			continue;
		}
		sleep_ms();
		i++;
	}
	return n;
}

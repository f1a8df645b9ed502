/* SPDX-License-Identifier: MIT */
/* stderr capture for unit tests (capture.h). */
#include "capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int saved_fd = -1, file_fd = -1;

void capture_begin(void)
{
	char path[] = "/tmp/unit-stderr.XXXXXX";

	fflush(stderr);
	file_fd = mkstemp(path);
	if (file_fd < 0)
		return;
	unlink(path);
	saved_fd = dup(2);
	dup2(file_fd, 2);
}

char *capture_end(void)
{
	struct stat st;
	char *text = NULL;
	ssize_t n;

	if (file_fd < 0)
		return NULL;
	fflush(stderr);
	dup2(saved_fd, 2);
	close(saved_fd);
	saved_fd = -1;
	if (fstat(file_fd, &st) == 0 && (text = malloc(st.st_size + 1))) {
		n = pread(file_fd, text, st.st_size, 0);
		text[n > 0 ? n : 0] = '\0';
	}
	close(file_fd);
	file_fd = -1;
	/* Show it anyway: a failing test's log should have the messages. */
	if (text)
		fputs(text, stderr);
	return text;
}

unsigned int capture_count(const char *text, const char *needle)
{
	unsigned int n = 0;

	while (text && *text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		char line[1024];

		snprintf(line, sizeof(line), "%.*s", (int)len, text);
		if (strstr(line, needle))
			n++;
		text += len + (nl != NULL);
	}
	return n;
}

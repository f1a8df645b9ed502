/* SPDX-License-Identifier: MIT */
#include "files.h"

#include <stdio.h>
#include <string.h>

bool file_has(const char *path, const char *needle)
{
	static __thread char buf[65536];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

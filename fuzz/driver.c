/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * driver.c - replays a fuzz target's corpus without libFuzzer, so that
 * `make check` runs every saved input through the target in the plain and
 * sanitizer builds.  Usage: fuzz-NAME DIR|FILE...  Prints TAP: one line per
 * input.  A crash or sanitizer report ends the process, which tests/run
 * counts as a failure.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int n;

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	long size;

	n++;
	if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		printf("not ok %d - cannot read %s\n", n, path);
		goto out;
	}
	data = malloc(size ? (size_t)size : 1);
	if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) {
		printf("not ok %d - cannot read %s\n", n, path);
		goto out;
	}
	LLVMFuzzerTestOneInput(data, (size_t)size);
	printf("ok %d - %s\n", n, path);
out:
	fflush(stdout);
	free(data);
	if (f)
		fclose(f);
}

static void run_path(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t count = 0, i;

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		run_file(path);
		return;
	}
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		char **nn;
		size_t len;

		if (e->d_name[0] == '.')
			continue;
		nn = realloc(names, (count + 1) * sizeof(*names));
		if (!nn)
			break;
		names = nn;
		len = strlen(path) + strlen(e->d_name) + 2;
		names[count] = malloc(len);
		if (!names[count])
			break;
		snprintf(names[count], len, "%s/%s", path, e->d_name);
		count++;
	}
	closedir(d);
	qsort(names, count, sizeof(*names), cmp);
	for (i = 0; i < count; i++) {
		run_path(names[i]);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	int i;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++)
		run_path(argv[i]);
	printf("1..%d\n", n);
	return 0;
}

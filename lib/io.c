/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* io.c - whole reads and writes on file descriptors. */
#include <errno.h>
#include <unistd.h>

#include "io.h"
#include "banned.h"

int io_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* pread when off >= 0, else read. */
static int read_all(int fd, void *data, size_t len, int64_t off)
{
	char *p = data;

	while (len) {
		ssize_t n = off >= 0 ? pread(fd, p, len, (off_t)off)
				     : read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = 0;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
		if (off >= 0)
			off += n;
	}
	return 0;
}

int io_read_all(int fd, void *data, size_t len)
{
	return read_all(fd, data, len, -1);
}

int io_pread_all(int fd, void *data, size_t len, uint64_t off)
{
	if (off > (uint64_t)INT64_MAX) {
		errno = EINVAL;
		return -1;
	}
	return read_all(fd, data, len, (int64_t)off);
}

/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* io.h - whole reads and writes on file descriptors, retrying on EINTR. */
#ifndef TRAWL_IO_H
#define TRAWL_IO_H

#include <stddef.h>
#include <stdint.h>

/* Each returns 0 when all len bytes moved, -1 otherwise (errno set; a
 * read that meets end of file first sets errno to 0). */
int io_write_all(int fd, const void *data, size_t len);
int io_read_all(int fd, void *data, size_t len);
int io_pread_all(int fd, void *data, size_t len, uint64_t off);

#endif

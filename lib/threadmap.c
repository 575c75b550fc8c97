/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * threadmap.c - the item -> thread and item -> copy arrays that queries
 * read.
 *
 * Thread membership changes as later ingests arrive, so it is not in the
 * immutable segments; it lives in trawl.db (the threads table).  For
 * queries, each threading pass also writes index/threads-G.map, one u64
 * per item ID: the thread of the item's top-level email (0 for documents
 * and for IDs with no item); then, for search results that show copies of
 * one mail once, one u64 per item ID: the smallest ID of the emails that
 * share its content hash (0 when it shares it with none).  The file is
 * written and fsynced, then the
 * meta key threads_map = G is committed: a reader maps the file the meta
 * key names.  Older maps are swept.
 *
 *   header (32)  "TRWL" "THRD" u32 version 2, u32 0, u64 G, u64 n
 *   threads      n x u64: entry i is the thread of item i (entry 0 unused)
 *   copies       n x u64: entry i is the first copy of item i, or 0
 * Version 1 (before copies) has no copies array; it is still read.
 *   footer (16)  u64 file length, "TEND", u32 CRC-32C of all before
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec.h"
#include "internal.h"
#include "io.h"
#include "threadmap.h"
#include "wire.h"
#include "banned.h"

#define MAP_HEADER 32
#define MAP_FOOTER 16

void threadmap_file_name(uint64_t gen, char out[40])
{
	snprintf(out, 40, "threads-%06llu.map", (unsigned long long)gen);
}

int threadmap_parse_name(const char *name, uint64_t *gen)
{
	unsigned long long v = 0;
	size_t i = 8;

	if (strncmp(name, "threads-", 8))
		return 0;
	for (; name[i] >= '0' && name[i] <= '9' && i < 28; i++)
		v = v * 10 + (unsigned)(name[i] - '0');
	if (i == 8 || strcmp(name + i, ".map"))
		return 0;
	*gen = v;
	return 1;
}

/* Fills copy[0..n): runs of one content hash, in ID order. */
static trawl_status fill_copies(trawl_archive *a, uint64_t *copy, uint64_t n)
{
	sqlite3_stmt *q = NULL;
	uint8_t prev[32];
	size_t prevlen = 0;
	int64_t first = 0;
	trawl_status st;

	if ((st = db_prepare(a, "SELECT id, content_hash FROM items WHERE "
			     "content_hash IS NOT NULL ORDER BY content_hash, "
			     "id", &q)))
		return st;
	while (sqlite3_step(q) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		const void *h = sqlite3_column_blob(q, 1);
		size_t hl = (size_t)sqlite3_column_bytes(q, 1);

		if (id <= 0 || (uint64_t)id >= n || !h || hl > sizeof(prev))
			continue;
		if (hl == prevlen && !memcmp(h, prev, hl)) {
			copy[id] = (uint64_t)first;
			copy[first] = (uint64_t)first;
			continue;
		}
		memcpy(prev, h, hl);
		prevlen = hl;
		first = id;
	}
	sqlite3_finalize(q);
	return TRAWL_OK;
}

/* Fills map[0..n) from trawl.db, top-level items from threads, children
 * from their parent (parents have smaller IDs); then the copies after it. */
static trawl_status fill(trawl_archive *a, uint64_t *map, uint64_t n)
{
	sqlite3_stmt *q = NULL;
	trawl_status st;

	if ((st = db_prepare(a, "SELECT item, thread FROM threads", &q)))
		return st;
	while (sqlite3_step(q) == SQLITE_ROW) {
		int64_t item = sqlite3_column_int64(q, 0);

		if (item > 0 && (uint64_t)item < n)
			map[item] = (uint64_t)sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
	if ((st = db_prepare(a, "SELECT id, parent FROM items WHERE parent IS "
			     "NOT NULL ORDER BY id", &q)))
		return st;
	while (sqlite3_step(q) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(q, 0);
		int64_t parent = sqlite3_column_int64(q, 1);

		if (id > 0 && (uint64_t)id < n && parent > 0 && parent < id)
			map[id] = map[parent];
	}
	sqlite3_finalize(q);
	return fill_copies(a, map + n, n);
}

trawl_status threadmap_write(trawl_archive *a)
{
	sqlite3_stmt *q = NULL;
	uint64_t n = 1, gen = 0;
	int64_t cur = 0, maxid = 0;
	uint8_t *b = NULL;
	size_t len;
	char name[40];
	trawl_status st;
	int fd = -1, dirfd = -1;

	if ((st = db_prepare(a, "SELECT coalesce(max(id), 0) FROM items", &q)))
		return st;
	if (sqlite3_step(q) == SQLITE_ROW)
		maxid = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	n = (uint64_t)maxid + 1;
	if (db_get_meta_int(a, "threads_map", &cur))
		cur = 0; /* none yet */
	gen = (uint64_t)cur + 1;
	len = MAP_HEADER + 2 * n * 8 + MAP_FOOTER;
	if (!(b = calloc(len, 1)))
		return archive_fail(a, TRAWL_ERR_NOMEM, "out of memory");
	memcpy(b, "TRWLTHRD", 8);
	wire_set_u32(b + 8, 2);
	wire_set_u64(b + 16, gen);
	wire_set_u64(b + 24, n);
	if ((st = fill(a, (uint64_t *)(void *)(b + MAP_HEADER), n)))
		goto out;
	wire_set_u64(b + len - 16, len);
	memcpy(b + len - 8, "TEND", 4);
	wire_set_u32(b + len - 4, crc32c(0, b, len - 4));
	threadmap_file_name(gen, name);
	dirfd = open(a->indexdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = dirfd < 0 ? -1 : openat(dirfd, name, O_WRONLY | O_CREAT |
				     O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || io_write_all(fd, b, len) || fsync(fd) || fsync(dirfd)) {
		st = archive_fail(a, TRAWL_ERR_IO, "%s/%s: %s", a->indexdir,
				  name, strerror(errno));
		goto out;
	}
	if ((st = db_exec(a, "BEGIN IMMEDIATE")))
		goto out;
	st = db_set_meta_int(a, "threads_map", (int64_t)gen);
	if (!st)
		st = db_exec(a, "COMMIT");
	else
		sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
	if (!st && cur > 0) {
		threadmap_file_name((uint64_t)cur, name);
		unlinkat(dirfd, name, 0);
	}
out:
	if (fd >= 0)
		close(fd);
	if (dirfd >= 0)
		close(dirfd);
	free(b);
	return st;
}

trawl_status threadmap_open(struct threadmap *m, int dirfd, uint64_t gen,
			    char *err, size_t errlen)
{
	char name[40];
	struct stat sb;
	const uint8_t *p;
	uint32_t version;
	uint64_t body;
	int fd;

	memset(m, 0, sizeof(*m));
	threadmap_file_name(gen, name);
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb)) {
		snprintf(err, errlen, "index/%s: %s", name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return errno == ENOENT ? TRAWL_ERR_NOT_FOUND : TRAWL_ERR_IO;
	}
	if (sb.st_size < MAP_HEADER + MAP_FOOTER ||
	    (p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0))
		    == MAP_FAILED) {
		close(fd);
		snprintf(err, errlen, "index/%s: truncated or unreadable", name);
		return TRAWL_ERR_CORRUPT;
	}
	close(fd);
	m->p = p;
	m->len = (size_t)sb.st_size;
	version = wire_get_u32(p + 8);
	body = m->len - MAP_HEADER - MAP_FOOTER;
	if (memcmp(p, "TRWLTHRD", 8) || version < 1 || version > 2 ||
	    wire_get_u64(p + 16) != gen ||
	    body % (8 * version) ||
	    wire_get_u64(p + 24) != body / (8 * version) ||
	    wire_get_u64(p + m->len - 16) != m->len ||
	    memcmp(p + m->len - 8, "TEND", 4) ||
	    crc32c(0, p, m->len - 4) != wire_get_u32(p + m->len - 4)) {
		threadmap_close(m);
		snprintf(err, errlen, "index/%s: corrupt", name);
		return TRAWL_ERR_CORRUPT;
	}
	m->gen = gen;
	m->n = wire_get_u64(p + 24);
	m->thread = (const uint64_t *)(const void *)(p + MAP_HEADER);
	if (version >= 2)
		m->copy = m->thread + m->n;
	return TRAWL_OK;
}

void threadmap_close(struct threadmap *m)
{
	if (m->p)
		munmap((void *)m->p, m->len);
	memset(m, 0, sizeof(*m));
}

/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * input.h - walking the inputs of an ingest and cutting them into units.
 *
 * Inputs are visited in a fixed order that depends only on their bytes and
 * names: the paths given, in the order given; within a directory tree,
 * files in bytewise order of their full paths (as `LC_ALL=C sort` orders
 * them, so a tree and a tar made from a sorted listing agree); within an
 * archive (zip, tar, tar.gz/.bz2/.xz/.zst, 7z, cpio, a compressed single
 * file, through libarchive, nested to TRAWL_MAX_ARCHIVE_DEPTH), members in
 * archive order; within an mbox, messages in file order; an Apple .emlx
 * file is its message.  Each unit is one message or one file.
 * Memory is bounded: one unit at a time (TRAWL_MAX_UNIT_SIZE) plus one
 * sorted listing per open directory level.
 */
#ifndef TRAWL_INPUT_H
#define TRAWL_INPUT_H

#include <stdint.h>
#include <sys/stat.h>

#include "buf.h"
#include "bounds.h"
#include "mbox.h"

struct input_unit {
	const char *path;    /* the file */
	const char *member;  /* archive member, or NULL */
	int64_t offset;      /* byte range in the file, or -1 for all of it */
	int64_t length;
	const char *name;    /* file name (last path component) */
	const char *data;    /* the bytes (owned by the iterator) */
	size_t len;
	int hint;            /* JOB_HINT_* */
	int64_t from_time, maildir_time, mtime; /* or INT64_MIN */
};

struct input_failure {
	const char *path, *member;
	int64_t offset, length;
	const char *code;    /* stable token */
	char detail[512];
};

struct dir_level;
struct arc_level;

struct input {
	const char *const *roots;
	size_t nroots, next_root;
	struct dir_level *levels; /* TRAWL_MAX_DIR_DEPTH of them */
	int depth;
	struct buf path;      /* current file's path */
	int fd;               /* current plain file, or -1 */
	struct stat st;
	struct arc_level *arcs; /* open archives, outermost first */
	int narcs;
	struct archive *cur_ar; /* the archive whose member is being read */
	struct buf member;    /* current member path ("a.tar!/x/y" nesting) */
	int in_mbox;
	struct mbox_reader mbox;
	char prefix[TRAWL_SNIFF_SIZE]; /* sniffed bytes, replayed to readers */
	size_t prefix_len, prefix_off;
	int64_t maildir_time, mtime;
	struct buf data;
	uint64_t files, bytes;
};

int input_init(struct input *in, const char *const *roots, size_t nroots);
/* 1 = a unit in *u, 2 = a failure in *f (an input that yields nothing),
 * 0 = no more input.  Pointers stay valid until the next call. */
int input_next(struct input *in, struct input_unit *u,
	       struct input_failure *f);
void input_release(struct input *in);

#endif

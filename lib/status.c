/* SPDX-License-Identifier: AGPL-3.0-or-later */
/* status.c - names for the public enums. */
#include "trawl.h"
#include "banned.h"

const char *trawl_status_str(trawl_status st)
{
	static const char *const names[] = {
		[TRAWL_OK] = "ok",
		[TRAWL_ERR_NOMEM] = "out of memory",
		[TRAWL_ERR_IO] = "I/O error",
		[TRAWL_ERR_CORRUPT] = "corrupt data",
		[TRAWL_ERR_TOO_LARGE] = "input too large",
		[TRAWL_ERR_LOCKED] = "archive locked by another writer",
		[TRAWL_ERR_NOT_FOUND] = "not found",
		[TRAWL_ERR_INVALID] = "invalid argument",
		[TRAWL_ERR_VERSION] = "unsupported version",
		[TRAWL_ERR_DB] = "database error",
		[TRAWL_ERR_WORKER] = "parser worker failed",
		[TRAWL_ERR_CANCELLED] = "cancelled",
		[TRAWL_ERR_INTERNAL] = "internal error",
	};

	if ((unsigned)st < sizeof(names) / sizeof(names[0]) && names[st])
		return names[st];
	return "unknown status";
}

const char *trawl_kind_str(trawl_kind kind)
{
	switch (kind) {
	case TRAWL_KIND_EMAIL: return "email";
	case TRAWL_KIND_ATTACHMENT: return "attachment";
	case TRAWL_KIND_DOCUMENT: return "document";
	}
	return "unknown";
}

const char *trawl_date_source_str(trawl_date_source src)
{
	switch (src) {
	case TRAWL_DATE_HEADER: return "header";
	case TRAWL_DATE_RECEIVED: return "received";
	case TRAWL_DATE_FROM_LINE: return "from-line";
	case TRAWL_DATE_MAILDIR: return "maildir";
	case TRAWL_DATE_MTIME: return "mtime";
	case TRAWL_DATE_NONE: return "none";
	}
	return "unknown";
}

const char *trawl_role_str(trawl_role role)
{
	switch (role) {
	case TRAWL_ROLE_FROM: return "from";
	case TRAWL_ROLE_SENDER: return "sender";
	case TRAWL_ROLE_REPLY_TO: return "reply-to";
	case TRAWL_ROLE_TO: return "to";
	case TRAWL_ROLE_CC: return "cc";
	case TRAWL_ROLE_BCC: return "bcc";
	}
	return "unknown";
}

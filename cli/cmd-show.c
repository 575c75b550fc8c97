/* SPDX-License-Identifier: AGPL-3.0-or-later */
/*
 * cmd-show.c - trawl show: one item as text, as JSON, or its raw bytes.
 * The item is turned into one JSON object; the text form is rendered from
 * that object, so both outputs always carry the same fields.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "banned.h"

static void set_str(json_t *j, const char *key, const char *v)
{
	if (v)
		json_object_set_new(j, key, json_string(v));
}

static json_t *addrs_json(const trawl_item *it)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < trawl_item_naddrs(it); i++) {
		trawl_role role;
		const char *name, *addr;
		int64_t id;
		json_t *x = json_object();

		trawl_item_addr(it, i, &role, &name, &addr, &id);
		json_object_set_new(x, "role", json_string(trawl_role_str(role)));
		json_object_set_new(x, "name", json_string(name));
		json_object_set_new(x, "address", json_string(addr));
		json_object_set_new(x, "id", json_integer(id));
		json_array_append_new(arr, x);
	}
	return arr;
}

static json_t *sources_json(const trawl_item *it)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < trawl_item_nsources(it); i++) {
		const char *path, *member;
		int64_t off, len;
		json_t *x = json_object();

		trawl_item_source(it, i, &path, &member, &off, &len);
		json_object_set_new(x, "path", json_string(path));
		set_str(x, "member", member);
		if (off >= 0) {
			json_object_set_new(x, "offset", json_integer(off));
			json_object_set_new(x, "length", json_integer(len));
		}
		json_array_append_new(arr, x);
	}
	return arr;
}

static json_t *warnings_json(const trawl_item *it)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < trawl_item_nwarnings(it); i++) {
		const char *code, *detail;
		json_t *x = json_object();

		trawl_item_warning(it, i, &code, &detail);
		json_object_set_new(x, "code", json_string(code));
		json_object_set_new(x, "detail", json_string(detail));
		json_array_append_new(arr, x);
	}
	return arr;
}

static json_t *item_json(const trawl_item *it)
{
	json_t *j = json_object(), *kids = json_array();
	trawl_date_source src;
	int tz;
	int64_t date = trawl_item_date(it, &tz, &src);
	size_t blen;
	const char *body = trawl_item_body(it, &blen);

	json_object_set_new(j, "format", json_integer(CLI_JSON_FORMAT));
	json_object_set_new(j, "id", json_integer(trawl_item_id(it)));
	json_object_set_new(j, "kind",
			    json_string(trawl_kind_str(trawl_item_kind(it))));
	if (trawl_item_parent(it))
		json_object_set_new(j, "parent",
				    json_integer(trawl_item_parent(it)));
	set_str(j, "message_id", trawl_item_message_id(it));
	if (trawl_item_kind(it) == TRAWL_KIND_EMAIL) {
		json_object_set_new(j, "date", json_integer(date));
		json_object_set_new(j, "tz_offset", json_integer(tz));
		json_object_set_new(j, "date_source",
				    json_string(trawl_date_source_str(src)));
	}
	set_str(j, "subject", trawl_item_subject(it));
	set_str(j, "base_subject", trawl_item_base_subject(it));
	set_str(j, "in_reply_to", trawl_item_in_reply_to(it));
	set_str(j, "references", trawl_item_references(it));
	set_str(j, "name", trawl_item_name(it));
	set_str(j, "mime_type", trawl_item_mime_type(it));
	set_str(j, "sniffed_type", trawl_item_sniffed_type(it));
	json_object_set_new(j, "size", json_integer((json_int_t)
						     trawl_item_size(it)));
	set_str(j, "sha256", trawl_item_sha256(it));
	set_str(j, "md5", trawl_item_md5(it));
	set_str(j, "content_hash", trawl_item_content_hash(it));
	json_object_set_new(j, "addresses", addrs_json(it));
	json_object_set_new(j, "sources", sources_json(it));
	json_object_set_new(j, "warnings", warnings_json(it));
	for (size_t i = 0; i < trawl_item_nchildren(it); i++)
		json_array_append_new(kids,
				      json_integer(trawl_item_child(it, i)));
	json_object_set_new(j, "children", kids);
	if (trawl_item_ncopies(it)) {
		json_t *copies = json_array();

		for (size_t i = 0; i < trawl_item_ncopies(it); i++)
			json_array_append_new(copies,
				json_integer(trawl_item_copy(it, i)));
		json_object_set_new(j, "copies", copies);
	}
	{
		const char *tp = NULL;
		int64_t t = trawl_item_thread(it, &tp);

		if (t)
			json_object_set_new(j, "thread", json_integer(t));
		set_str(j, "thread_parent", tp);
	}
	if (body)
		json_object_set_new(j, "body", json_stringn(body, blen));
	return j;
}

static const char *jstr(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

static void print_field(const char *label, const char *v)
{
	if (v)
		printf("%-13s %s\n", label, v);
}

static void print_addrs(json_t *j)
{
	size_t i;
	json_t *x;

	json_array_foreach(json_object_get(j, "addresses"), i, x) {
		const char *name = jstr(x, "name"), *addr = jstr(x, "address");
		char label[32];

		snprintf(label, sizeof(label), "%s:", jstr(x, "role"));
		label[0] = (char)(label[0] - 32 * (label[0] >= 'a'));
		if (name && *name)
			printf("%-13s %s <%s>\n", label, name, addr);
		else
			printf("%-13s %s\n", label, addr);
	}
}

/* a: to describe the children (may be NULL) */
static void print_text(json_t *j, trawl_archive *a)
{
	char when[40];
	size_t i;
	json_t *x;

	printf("%-13s %lld (%s)\n", "Item:",
	       (long long)json_integer_value(json_object_get(j, "id")),
	       jstr(j, "kind"));
	if (json_object_get(j, "parent"))
		printf("%-13s %lld\n", "Parent:", (long long)
		       json_integer_value(json_object_get(j, "parent")));
	print_addrs(j);
	if (json_object_get(j, "date")) {
		int tz = (int)json_integer_value(json_object_get(j, "tz_offset"));
		const char *src = jstr(j, "date_source");
		int guessed = strcmp(src, "header") != 0;

		cli_format_date(json_integer_value(json_object_get(j, "date")),
				tz, when, sizeof(when));
		printf("%-13s %s %c%02d%02d%s%s%s\n", "Date:", when,
		       tz < 0 ? '-' : '+', abs(tz) / 60, abs(tz) % 60,
		       guessed ? "  (guessed from " : "", guessed ? src : "",
		       guessed ? ")" : "");
	}
	print_field("Subject:", jstr(j, "subject"));
	print_field("Message-ID:", jstr(j, "message_id"));
	if (json_object_get(j, "thread"))
		printf("%-13s %lld\n", "Thread:", (long long)json_integer_value(
			json_object_get(j, "thread")));
	print_field("In-Reply-To:", jstr(j, "in_reply_to"));
	print_field("References:", jstr(j, "references"));
	print_field("Name:", jstr(j, "name"));
	print_field("Type:", jstr(j, "mime_type"));
	print_field("Sniffed type:", jstr(j, "sniffed_type"));
	printf("%-13s %lld bytes, sha256 %s\n", "Original:", (long long)
	       json_integer_value(json_object_get(j, "size")),
	       jstr(j, "sha256"));
	json_array_foreach(json_object_get(j, "sources"), i, x) {
		printf("%-13s %s%s%s", i ? "" : "Source:", jstr(x, "path"),
		       jstr(x, "member") ? ":" : "",
		       jstr(x, "member") ? jstr(x, "member") : "");
		if (json_object_get(x, "offset"))
			printf(" @%lld+%lld", (long long)json_integer_value(
				       json_object_get(x, "offset")),
			       (long long)json_integer_value(
				       json_object_get(x, "length")));
		printf("\n");
	}
	json_array_foreach(json_object_get(j, "warnings"), i, x)
		printf("%-13s %s: %s\n", i ? "" : "Warning:", jstr(x, "code"),
		       jstr(x, "detail"));
	json_array_foreach(json_object_get(j, "copies"), i, x)
		printf("%-13s %lld%s\n", i ? "" : "Copies:",
		       (long long)json_integer_value(x),
		       i ? "" : "  (the same mail in other mailboxes)");
	json_array_foreach(json_object_get(j, "children"), i, x) {
		trawl_item *c = NULL;
		int64_t cid = json_integer_value(x);

		printf("%-13s %lld", i ? "" : "Contains:", (long long)cid);
		if (a && trawl_item_load(a, cid, &c) == TRAWL_OK) {
			const char *name = trawl_item_kind(c) == TRAWL_KIND_EMAIL
				? trawl_item_subject(c) : trawl_item_name(c);

			printf("  %s: %s (%s, %llu bytes)",
			       trawl_kind_str(trawl_item_kind(c)),
			       name ? name : "(no name)",
			       trawl_item_mime_type(c) ? trawl_item_mime_type(c)
						       : "message/rfc822",
			       (unsigned long long)trawl_item_size(c));
		}
		trawl_item_free(c);
		printf("\n");
	}
	if (jstr(j, "body"))
		printf("\n%s\n", jstr(j, "body"));
}

static int write_out(void *ctx, const void *data, size_t len)
{
	return fwrite(data, 1, len, stdout) != len;
}

int cmd_show(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "archive", required_argument, NULL, 'A' },
		{ "raw", no_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 },
	};
	int c, raw = 0, json = 0, rc = EXIT_OK;
	trawl_archive *a;
	trawl_item *it = NULL;
	trawl_status st;
	long long id;
	char *end;

	while ((c = getopt_long(argc, argv, "A:", opts, NULL)) != -1) {
		switch (c) {
		case 'A': cli_archive = optarg; break;
		case 'R': raw = 1; break;
		case 'J': json = 1; break;
		default: return cli_usage("show");
		}
	}
	if (optind != argc - 1 || (raw && json))
		return cli_usage("show");
	errno = 0;
	id = strtoll(argv[optind], &end, 10);
	if (errno || *end || id <= 0) {
		cli_error("show", "'%s' is not an item ID", argv[optind]);
		return cli_usage("show");
	}
	if (!(a = cli_open("show", TRAWL_OPEN_READ, &rc)))
		return rc;
	st = trawl_item_load(a, id, &it);
	if (!st && raw)
		st = trawl_item_raw(a, it, write_out, NULL);
	if (st == TRAWL_ERR_NOT_FOUND && trawl_removed_reason(a, id)) {
		cli_error("show", "item %lld was removed: %s", (long long)id,
			  trawl_removed_reason(a, id));
		rc = EXIT_NOT_FOUND;
	} else if (st) {
		cli_error("show", "%s", trawl_archive_errmsg(a));
		rc = cli_exit_for(st);
	} else if (!raw) {
		json_t *j = item_json(it);

		if (json) {
			cli_print_json(stdout, j);
		} else {
			print_text(j, a);
			json_decref(j);
		}
	}
	trawl_item_free(it);
	trawl_archive_close(a);
	if (fflush(stdout) != 0 && rc == EXIT_OK)
		rc = EXIT_ERROR;
	return rc;
}

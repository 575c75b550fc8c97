// SPDX-License-Identifier: AGPL-3.0-or-later
/*
 * xapianq.cc - query latency of Xapian on notmuch's database, in process,
 * for bench/run: the Xapian part of the baseline harness
 * (../shared/bench/baseline, scripts/query_bench.py) in C++, so that no
 * binding overhead is timed.
 *
 *   xapianq NOTMUCH_DB/xapian QUERIES.tsv [harness options: see harness.h]
 *
 * The database is the one `notmuch new` (0.37) builds.  The query file's
 * notmuch column is parsed by a QueryParser set up as the baseline does
 * (and as notmuch 0.37 does, but for from:/to:, below): English Snowball
 * stemmer, STEM_SOME, default operator AND, notmuch's parser flags; a bare
 * word is searched in the body and in every probabilistic field, as
 * notmuch 0.37 expands it (DEFAULT_PREFIXES); from:, to: and subject: are
 * the XFROM, XTO and XSUBJECT prefixes; date:YYYY-MM-DD..YYYY-MM-DD is a
 * range on value slot 0 (the timestamp), whole days in UTC.  Every query
 * is filtered to Tmail documents, as notmuch does.  notmuch routes from:
 * and to: through a field processor that parses the value with the same
 * prefix: the match set is the same, the baseline used plain prefixes and
 * so does this harness.
 *   top20_rank  BM25 (Xapian's default weighting), get_mset(0, 20)
 *   top20_date  BoolWeight, sorted by value 0 newest first, get_mset(0, 20)
 *   count       BoolWeight, get_mset(0, 0, checkatleast = doccount): exact
 * Parsing is inside the timed region; the Enquire objects are made once.
 */
#include <time.h>

#include <cstdio>
#include <string>

#include <xapian.h>

#include "harness.h"

namespace {

const Xapian::valueno VALUE_TIMESTAMP = 0;

const char *const DEFAULT_PREFIXES[] = {
	"", "G", "K", "K", "Q", "Q", "P", "XPROPERTY", "XFOLDER:", "XFROM",
	"XTO", "XATTACHMENT", "XMIMETYPE", "XSUBJECT",
};

const unsigned QP_FLAGS = Xapian::QueryParser::FLAG_BOOLEAN |
			  Xapian::QueryParser::FLAG_PHRASE |
			  Xapian::QueryParser::FLAG_LOVEHATE |
			  Xapian::QueryParser::FLAG_BOOLEAN_ANY_CASE |
			  Xapian::QueryParser::FLAG_WILDCARD |
			  Xapian::QueryParser::FLAG_PURE_NOT;

/* UTC seconds of YYYY-MM-DD at 00:00:00; -1 if malformed. */
time_t parse_day(const std::string &s)
{
	struct tm tm = {};
	int y, m, d;
	char tail;

	if (sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	return timegm(&tm);
}

/* date:BEGIN..END, whole days in UTC (notmuch with TZ=UTC). */
class DateRP : public Xapian::RangeProcessor {
public:
	DateRP() : Xapian::RangeProcessor(VALUE_TIMESTAMP, "date:") {}
	Xapian::Query operator()(const std::string &begin,
				 const std::string &end) override
	{
		time_t lo = parse_day(begin), hi = parse_day(end);

		if (lo < 0 || hi < 0)
			throw Xapian::QueryParserError("bad date range");
		return Xapian::Query(Xapian::Query::OP_VALUE_RANGE,
				     VALUE_TIMESTAMP,
				     Xapian::sortable_serialise((double)lo),
				     Xapian::sortable_serialise((double)hi + 86399));
	}
};

struct XapianQ {
	Xapian::Database db;
	Xapian::doccount docs;
	DateRP date_rp;
	Xapian::QueryParser qp;
	Xapian::Enquire rank, boolw, date;

	explicit XapianQ(const char *path)
		: db(path), docs(db.get_doccount()), rank(db), boolw(db), date(db)
	{
		qp.set_database(db);
		qp.set_stemmer(Xapian::Stem("english"));
		qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
		qp.set_default_op(Xapian::Query::OP_AND);
		for (const char *p : DEFAULT_PREFIXES)
			qp.add_prefix("", p);
		qp.add_prefix("from", "XFROM");
		qp.add_prefix("to", "XTO");
		qp.add_prefix("subject", "XSUBJECT");
		qp.add_rangeprocessor(&date_rp);
		boolw.set_weighting_scheme(Xapian::BoolWeight());
		date.set_weighting_scheme(Xapian::BoolWeight());
		date.set_sort_by_value(VALUE_TIMESTAMP, true);
	}

	Xapian::Query parse(const char *s)
	{
		return Xapian::Query(Xapian::Query::OP_FILTER,
				     qp.parse_query(s, QP_FLAGS),
				     Xapian::Query("Tmail"));
	}
};

enum Kind { RANK, DATE, COUNT };

uint64_t top20(Xapian::Enquire &enq, const Xapian::Query &q)
{
	uint64_t n = 0;

	enq.set_query(q);
	Xapian::MSet ms = enq.get_mset(0, 20);
	for (Xapian::MSetIterator it = ms.begin(); it != ms.end(); ++it) {
		Xapian::docid id = *it;

		(void)id;
		n++;
	}
	return n;
}

uint64_t count(XapianQ *x, const Xapian::Query &q)
{
	x->boolw.set_query(q);
	Xapian::MSet ms = x->boolw.get_mset(0, 0, x->docs);
	if (ms.get_matches_lower_bound() != ms.get_matches_upper_bound())
		throw Xapian::InternalError("count is not exact");
	return ms.get_matches_estimated();
}

int run(void *ctx, const struct harness_qset *qs,
	const struct harness_query *hq, Kind kind, uint64_t *result)
{
	XapianQ *x = static_cast<XapianQ *>(ctx);

	try {
		Xapian::Query q = x->parse(harness_get(qs, hq, "notmuch"));

		if (kind == RANK)
			*result = top20(x->rank, q);
		else if (kind == DATE)
			*result = top20(x->date, q);
		else
			*result = count(x, q);
	} catch (const Xapian::Error &e) {
		fprintf(stderr, "xapianq: '%s': %s\n", hq->spec,
			e.get_description().c_str());
		return -1;
	}
	return 0;
}

int op_rank(void *ctx, const struct harness_qset *qs,
	    const struct harness_query *q, uint64_t *result)
{
	return run(ctx, qs, q, RANK, result);
}

int op_date(void *ctx, const struct harness_qset *qs,
	    const struct harness_query *q, uint64_t *result)
{
	return run(ctx, qs, q, DATE, result);
}

int op_count(void *ctx, const struct harness_qset *qs,
	     const struct harness_query *q, uint64_t *result)
{
	return run(ctx, qs, q, COUNT, result);
}

const struct harness_op ops[] = {
	{ "top20_rank", op_rank },
	{ "top20_date", op_date },
	{ "count", op_count },
};

} // namespace

int main(int argc, char **argv)
{
	struct harness_opts o;
	struct harness_qset qs;
	struct harness_run run_ = {};
	std::string label, meta;

	harness_args(&o, argc, argv, 2, "NOTMUCH_DB/xapian QUERIES.tsv");
	harness_load(&qs, o.pos[1], (size_t)o.limit);
	try {
		XapianQ x(o.pos[0]);

		label = std::string("Xapian ") + Xapian::version_string();
		meta = "\"docs\": " + std::to_string(x.docs) +
		       ", \"version\": \"" + Xapian::version_string() + "\"";
		run_.engine = "xapian";
		run_.label = o.label ? o.label : label.c_str();
		run_.ops = ops;
		run_.nops = sizeof(ops) / sizeof(ops[0]);
		run_.meta_json = meta.c_str();
		harness_loop(&o, &x, &qs, &run_);
	} catch (const Xapian::Error &e) {
		harness_die("xapianq: %s: %s", o.pos[0],
			    e.get_description().c_str());
	}
	harness_print(&qs, &run_);
	if (o.json)
		harness_json(o.json, &o, &qs, &run_);
	harness_run_release(&qs, &run_);
	harness_qset_release(&qs);
	return 0;
}

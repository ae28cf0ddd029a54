/*
 * report_html.c - report.html, the page a merchant opens in the morning:
 * one self-contained file (inline CSS; no scripts, images, fonts or other
 * external resources), in this order: title with the store and run id;
 * banners (dry run, run aborted with its reason); summary (exit code and
 * what it means, item counts by object and status, the run's statistics);
 * red alerts (items with alert set, e.g. an order TikTok cancelled after it
 * was fulfilled in Shopify); failures grouped by reason code, each group
 * with its summary and remedy once, listing its items; then every item in
 * one table.
 *
 * Everything that comes from an item or the run is text and goes through
 * html_escape(), which escapes & < > " ' (so it is safe in element content
 * and in double-quoted attributes alike). A URL becomes an href only when
 * it is http:// or https:// (and holds no control characters); anything
 * else is shown as text. Buyer-typed text therefore cannot add markup,
 * attributes or script.
 *
 * Writes go through a small sticky-error wrapper (struct page): every
 * fputs/fprintf result is checked, the first failure stops further output
 * and is reported with errno at the end, after a checked fflush.
 *
 * Owns nothing beyond the duration of a call.
 */
#include "report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef TTSYNC_VERSION
#define TTSYNC_VERSION "unknown"
#endif

#define NSTATUS 4	/* enum sync_status: not_synced, synced, failed, skipped */

static const char page_css[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
	"margin:1.5em;color:#1a1a1a;background:#fff;line-height:1.4}\n"
	"h1{font-size:1.5em;margin-bottom:.2em}h2{margin-top:1.6em;"
	"border-bottom:1px solid #ccc;padding-bottom:.2em}\n"
	"h3{margin-bottom:.3em}code{font-size:.95em}\n"
	".meta{color:#555;margin-top:0}\n"
	".banner{padding:.6em 1em;margin:1em 0;border-radius:4px;font-weight:600}\n"
	".dry{background:#fff6d6;border:1px solid #e0b800}\n"
	".aborted{background:#fde2e2;border:1px solid #c00;color:#900}\n"
	".exit{font-weight:600}.exit0{color:#185c1f}.exit1,.exit2,.exit3,.exit4{color:#a00}\n"
	"table{border-collapse:collapse;margin:.5em 0}\n"
	"th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;"
	"vertical-align:top}\n"
	"th{background:#f2f2f2}td.n{text-align:right}\n"
	".alert{border:2px solid #c00;background:#fde2e2;color:#700;"
	"padding:.5em 1em;margin:.5em 0;border-radius:4px}\n"
	".alert strong{color:#a00}\n"
	".group{border-left:4px solid #d77;padding-left:1em;margin:1em 0}\n"
	".remedy{background:#eef6ee;padding:.4em .8em;border-radius:4px}\n"
	".person{color:#a00;font-weight:600}\n"
	".since,.what{color:#555;font-style:italic}\n"
	".unsafe{color:#777}\n"
	"tr.failed td{background:#fff0f0}tr.alert-row td{background:#fcc}\n"
	"tr.skipped td{color:#555}tr.not_synced td{background:#fffbe6}\n"
	"footer{margin-top:2em;color:#777;font-size:.85em}\n";

/* ---- output with a sticky error ------------------------------------------ */

struct page {
	FILE *f;
	int bad;		/* a write failed: stop writing */
	int saved_errno;
	int spool_bad;		/* the items could not be read back (logged) */
};

static void page_fail(struct page *p)
{
	if (!p->bad) {
		p->bad = 1;
		p->saved_errno = errno ? errno : EIO;
	}
}

static void emit(struct page *p, const char *s)
{
	if (!p->bad && fputs(s, p->f) == EOF)
		page_fail(p);
}

static void emitf(struct page *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void emitf(struct page *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->bad)
		return;
	va_start(ap, fmt);
	n = vfprintf(p->f, fmt, ap);
	va_end(ap);
	if (n < 0)
		page_fail(p);
}

/* The one escaper: writes s to f with & < > " ' replaced by entities.
 * Returns 0, or -1 when a write failed. */
static int html_escape(FILE *f, const char *s)
{
	const char *run = s;

	if (s == NULL)
		return 0;
	for (; *s; s++) {
		const char *ent;

		switch (*s) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		default: continue;
		}
		if (s > run && fwrite(run, 1, (size_t)(s - run), f) != (size_t)(s - run))
			return -1;
		if (fputs(ent, f) == EOF)
			return -1;
		run = s + 1;
	}
	if (s > run && fwrite(run, 1, (size_t)(s - run), f) != (size_t)(s - run))
		return -1;
	return 0;
}

static void text(struct page *p, const char *s)
{
	if (!p->bad && html_escape(p->f, s) == -1)
		page_fail(p);
}

/* Only links we can vouch for: http(s), no control characters. */
static int url_allowed(const char *url)
{
	const unsigned char *u = (const unsigned char *)url;

	if (url == NULL)
		return 0;
	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0)
		return 0;
	for (; *u; u++)
		if (*u < 0x20 || *u == 0x7f)
			return 0;
	return 1;
}

/* label as a link to url when url is an allowed link; otherwise the label
 * as text, followed by the refused URL as text. */
static void emit_link(struct page *p, const char *url, const char *label)
{
	const char *shown = (label && *label) ? label : url;

	if (url_allowed(url)) {
		emit(p, "<a href=\"");
		text(p, url);
		emit(p, "\" rel=\"noopener noreferrer\">");
		text(p, shown);
		emit(p, "</a>");
		return;
	}
	text(p, label);
	if (url && *url) {
		emit(p, " <span class=\"unsafe\">(link not shown: ");
		text(p, url);
		emit(p, ")</span>");
	}
}

static void time_text(struct page *p, int64_t t)
{
	char buf[32];

	if (t > 0 && time_to_iso8601(t, buf) == 0)
		text(p, buf);
	else
		emit(p, "&ndash;");
}

/* ---- the items, read back from the report's spool ----------------------- */

/* report_iter_open() that remembers a failure on the page. */
static int items_open(struct page *p, const struct report *r,
		      struct report_iter *ri, int status, int alert,
		      const char *code)
{
	if (report_iter_open(r, ri, status, alert, code) == -1) {
		p->spool_bad = 1;
		return -1;
	}
	return 0;
}

static void items_close(struct page *p, struct report_iter *ri)
{
	if (ri->failed)
		p->spool_bad = 1;
	report_iter_close(ri);
}

/* ---- pieces -------------------------------------------------------------- */

static const char *exit_meaning(int code)
{
	switch (code) {
	case 0: return "all done, nothing failed";
	case 1: return "done, some items failed (see below)";
	case 2: return "usage or configuration error";
	case 3: return "run aborted";
	case 4: return "another run holds the lock for this store";
	default: return "unexpected exit code";
	}
}

static int is_failed(const struct report_item *it)
{
	return it->status == SYNC_FAILED;
}

static void write_head(struct page *p, const struct report *r)
{
	emit(p, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
		"<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<meta name=\"referrer\" content=\"no-referrer\">\n"
		"<title>ttsync report &ndash; ");
	text(p, r->store_name);
	emit(p, " &ndash; run ");
	text(p, r->run_id);
	emit(p, "</title>\n<style>\n");
	emit(p, page_css);
	emit(p, "</style>\n</head>\n<body>\n<h1>ttsync report: ");
	text(p, r->store_name);
	emit(p, "</h1>\n<p class=\"meta\">Run <code>");
	text(p, r->run_id);
	emit(p, "</code> &middot; command <code>");
	text(p, r->command);
	emit(p, "</code> &middot; started ");
	time_text(p, r->stats.started_at);
	emit(p, " &middot; finished ");
	time_text(p, r->stats.finished_at);
	emit(p, "</p>\n");

	if (r->dry_run)
		emit(p, "<div class=\"banner dry\">Dry run: every action below "
			"was computed and nothing was changed &ndash; not in "
			"Shopify, not in TikTok Shop, not in the state file.</div>\n");
	if (r->aborted) {
		emit(p, "<div class=\"banner aborted\">Run aborted: ");
		text(p, r->abort_reason && *r->abort_reason ? r->abort_reason
							     : "no reason recorded");
		emit(p, ". The items below are those handled before it stopped; "
			"the next run starts again from the last committed point.</div>\n");
	}
}

static void write_counts(struct page *p, const struct report *r)
{
	/* Objects in order of first appearance; "order" and "fulfillment"
	 * in practice. */
	char **objs = NULL;
	long *counts = NULL;
	long totals[NSTATUS] = { 0 }, carried = 0, alerts = 0;
	size_t nobjs = 0, cap = 0, i, j;
	struct report_iter ri;
	const struct report_item *it;
	int s;

	if (items_open(p, r, &ri, -1, -1, NULL) == 0) {
		while ((it = report_iter_next(&ri)) != NULL) {
			for (j = 0; j < nobjs; j++)
				if (strcmp(objs[j], it->object) == 0)
					break;
			if (j == nobjs) {
				if (nobjs == cap) {
					cap = cap ? 2 * cap : 4;
					objs = xrealloc(objs, cap * sizeof(*objs));
					counts = xrealloc(counts, cap * NSTATUS *
							  sizeof(*counts));
				}
				objs[nobjs] = xstrdup(it->object);
				memset(&counts[nobjs * NSTATUS], 0,
				       NSTATUS * sizeof(*counts));
				nobjs++;
			}
			if ((int)it->status >= 0 && (int)it->status < NSTATUS) {
				counts[j * NSTATUS + (size_t)it->status]++;
				totals[it->status]++;
			}
			if (it->carried && is_failed(it))
				carried++;
			if (it->alert)
				alerts++;
		}
		items_close(p, &ri);
	}

	emit(p, "<table class=\"counts\">\n<tr><th>Object</th>");
	for (s = 0; s < NSTATUS; s++) {
		emit(p, "<th>");
		text(p, sync_status_label((enum sync_status)s));
		emit(p, "</th>");
	}
	emit(p, "<th>Total</th></tr>\n");
	for (j = 0; j < nobjs; j++) {
		long row = 0;

		emit(p, "<tr><th>");
		text(p, objs[j][0] ? objs[j] : "(unspecified)");
		emit(p, "</th>");
		for (s = 0; s < NSTATUS; s++) {
			emitf(p, "<td class=\"n\">%ld</td>", counts[j * NSTATUS + (size_t)s]);
			row += counts[j * NSTATUS + (size_t)s];
		}
		emitf(p, "<td class=\"n\">%ld</td></tr>\n", row);
	}
	emit(p, "<tr><th>All</th>");
	for (s = 0; s < NSTATUS; s++)
		emitf(p, "<td class=\"n\">%ld</td>", totals[s]);
	emitf(p, "<td class=\"n\">%zu</td></tr>\n</table>\n", r->nitems);
	if (alerts)
		emitf(p, "<p class=\"person\">%ld alert%s need%s attention first "
			 "(<a href=\"#alerts\">below</a>).</p>\n",
		      alerts, alerts == 1 ? "" : "s", alerts == 1 ? "s" : "");
	if (carried)
		emitf(p, "<p>Failures still open from earlier runs: %ld.</p>\n",
		      carried);
	for (i = 0; i < nobjs; i++)
		free(objs[i]);
	free(objs);
	free(counts);
}

static void stat_row(struct page *p, const char *label, long v)
{
	emit(p, "<tr><th>");
	text(p, label);
	emitf(p, "</th><td class=\"n\">%ld</td></tr>\n", v);
}

static void write_stats(struct page *p, const struct run_stats *s)
{
	emit(p, "<h3>Run statistics</h3>\n<table class=\"stats\">\n");
	stat_row(p, "TikTok orders fetched", s->tt_orders_fetched);
	stat_row(p, "TikTok pages read", s->tt_pages);
	stat_row(p, "Orders created in Shopify", s->orders_created);
	stat_row(p, "Orders linked to an existing Shopify order", s->orders_linked);
	stat_row(p, "Orders failed", s->orders_failed);
	stat_row(p, "Orders skipped (not eligible)", s->orders_skipped);
	stat_row(p, "Orders not synced (waiting for a sync)", s->orders_not_synced);
	stat_row(p, "Orders cancelled in Shopify", s->orders_cancelled);
	stat_row(p, "Fulfillments pushed to TikTok", s->ful_pushed);
	stat_row(p, "Fulfillments pulled into Shopify", s->ful_pulled);
	stat_row(p, "Tracking updates sent to TikTok", s->ful_updated);
	stat_row(p, "Delivery events added in Shopify", s->ful_events);
	stat_row(p, "Fulfillments failed", s->ful_failed);
	stat_row(p, "TikTok requests", s->tt_requests);
	stat_row(p, "TikTok write calls", s->tt_writes);
	stat_row(p, "Shopify requests", s->sh_requests);
	stat_row(p, "Shopify write calls", s->sh_writes);
	stat_row(p, "Retries", s->retries);
	/* Shopify query cost points: a count, not money. */
	emitf(p, "<tr><th>Shopify query cost (points)</th><td class=\"n\">%.0f</td></tr>\n",
	      s->sh_cost);
	if (s->started_at > 0 && s->finished_at >= s->started_at)
		stat_row(p, "Duration (seconds)",
			 (long)(s->finished_at - s->started_at));
	emit(p, "</table>\n");
}

/* The two order links and the object, as one line. */
static void item_ref(struct page *p, const struct report_item *it)
{
	emit(p, "TikTok order ");
	emit_link(p, it->tiktok_url, it->tt_order_id[0] ? it->tt_order_id : "(no id)");
	if (it->shopify_order[0] || it->shopify_url[0]) {
		emit(p, " &rarr; Shopify ");
		emit_link(p, it->shopify_url, it->shopify_order);
	}
	if (it->object[0]) {
		emit(p, " <span class=\"what\">(");
		text(p, it->object);
		if (it->direction[0]) {
			emit(p, ", ");
			text(p, it->direction);
		}
		emit(p, ")</span>");
	}
}

/* Failures carried over from an earlier run carry a small mark (their
 * detail says so in words). */
static void since_note(struct page *p, const struct report_item *it)
{
	if (it->carried)
		emit(p, " <span class=\"since\">(earlier run)</span>");
}

static void write_alerts(struct page *p, const struct report *r)
{
	struct report_iter ri;
	const struct report_item *it;

	if (items_open(p, r, &ri, -1, 1, NULL) == -1)
		return;
	it = report_iter_next(&ri);
	if (it != NULL)
		emit(p, "<h2 id=\"alerts\">Alerts</h2>\n");
	for (; it != NULL; it = report_iter_next(&ri)) {
		emit(p, "<div class=\"alert\"><strong>");
		text(p, it->reason[0] ? it->reason : it->reason_code);
		emit(p, "</strong><br>\n");
		item_ref(p, it);
		since_note(p, it);
		if (it->reason_code[0]) {
			emit(p, " <code>");
			text(p, it->reason_code);
			emit(p, "</code>");
		}
		if (it->detail[0]) {
			emit(p, "<br>\n");
			text(p, it->detail);
		}
		if (it->remedy[0]) {
			emit(p, "<br>\n<strong>What to do:</strong> ");
			text(p, it->remedy);
		}
		emit(p, "</div>\n");
	}
	items_close(p, &ri);
}

/* ---- failures grouped by reason ------------------------------------------ */

/* The table's remedy with its "%s" (the value at fault) replaced: it is
 * text, never a format string. */
static void generic_remedy(struct page *p, const char *tmpl)
{
	const char *s = tmpl, *hit;

	while ((hit = strstr(s, "%s")) != NULL) {
		char *part = xstrndup(s, (size_t)(hit - s));

		text(p, part);
		free(part);
		emit(p, "<em>(the value named in each item)</em>");
		s = hit + 2;
	}
	text(p, s);
}

/* One group: the failures (not alerts) with this reason code, count of
 * them; the remedy said once when every item agrees. */
static void write_group(struct page *p, const struct report *r,
			const char *code, size_t count)
{
	const struct reason *rs = reason_lookup(code);
	char *same = NULL;	/* the items' remedy, when all agree */
	int agree = 1, person = 0;
	struct report_iter ri;
	const struct report_item *it;

	if (items_open(p, r, &ri, SYNC_FAILED, 0, code) == -1)
		return;
	while ((it = report_iter_next(&ri)) != NULL) {
		person |= it->needs_person;
		if (same == NULL)
			same = xstrdup(it->remedy);
		else if (strcmp(same, it->remedy) != 0)
			agree = 0;
	}
	items_close(p, &ri);
	if (same != NULL && same[0] == '\0')
		agree = 0;

	emit(p, "<section class=\"group\">\n<h3>");
	if (rs != NULL && rs->summary)
		text(p, rs->summary);
	else if (code[0])
		emit(p, "Other failure");
	else
		emit(p, "Failed without a reason code");
	if (code[0]) {
		emit(p, " <code>");
		text(p, code);
		emit(p, "</code>");
	}
	emitf(p, " &middot; %zu item%s</h3>\n", count, count == 1 ? "" : "s");
	emit(p, "<p class=\"remedy\"><strong>What to do:</strong> ");
	if (agree)
		text(p, same);
	else if (rs != NULL && rs->remedy && rs->remedy[0])
		generic_remedy(p, rs->remedy);
	else
		emit(p, "see each item below.");
	emit(p, "</p>\n");
	if (person)
		emit(p, "<p class=\"person\">Needs a person: later runs do not "
			"retry these by themselves; a manual sync does after the fix.</p>\n");

	emit(p, "<ul>\n");
	if (items_open(p, r, &ri, SYNC_FAILED, 0, code) == 0) {
		while ((it = report_iter_next(&ri)) != NULL) {
			emit(p, "<li>");
			item_ref(p, it);
			since_note(p, it);
			if (it->reason[0]) {
				emit(p, "<br>\n");
				text(p, it->reason);
			}
			if (it->detail[0]) {
				emit(p, "<br>\n<span class=\"since\">");
				text(p, it->detail);
				emit(p, "</span>");
			}
			if (!agree && it->remedy[0]) {
				emit(p, "<br>\n<strong>What to do:</strong> ");
				text(p, it->remedy);
			}
			emit(p, "</li>\n");
		}
		items_close(p, &ri);
	}
	emit(p, "</ul>\n</section>\n");
	free(same);
}

/* Failures (not alerts) grouped by reason code, the biggest group first. */
static void write_failures(struct page *p, const struct report *r)
{
	char **codes = NULL;
	size_t *counts = NULL, n = 0, i;

	if (report_failure_groups(r, &codes, &counts, &n) == -1)
		p->spool_bad = 1;
	emit(p, "<h2 id=\"failures\">Failures by reason</h2>\n");
	if (n == 0)
		emit(p, "<p>No other failures.</p>\n");
	for (i = 0; i < n; i++)
		write_group(p, r, codes[i], counts[i]);
	for (i = 0; i < n; i++)
		free(codes[i]);
	free(codes);
	free(counts);
}

/* ---- every item ---------------------------------------------------------- */

static void cell(struct page *p, const char *s)
{
	emit(p, "<td>");
	text(p, s);
	emit(p, "</td>");
}

static void write_items(struct page *p, const struct report *r)
{
	struct report_iter ri;
	const struct report_item *it;

	emitf(p, "<h2 id=\"items\">Every item (%zu)</h2>\n", r->nitems);
	if (r->nitems == 0) {
		emit(p, "<p>This run handled no items.</p>\n");
		return;
	}
	emit(p, "<table class=\"items\">\n<tr><th>Status</th><th>Object</th>"
		"<th>Direction</th><th>TikTok order</th><th>Shopify order</th>"
		"<th>Action</th><th>Reason code</th><th>Reason</th>"
		"<th>What to do</th><th>Detail</th><th>Needs a person</th>"
		"<th>Time</th><th>Buyer</th><th>Buyer message</th></tr>\n");
	if (items_open(p, r, &ri, -1, -1, NULL) == -1)
		return;
	while ((it = report_iter_next(&ri)) != NULL) {
		emit(p, "<tr class=\"");
		text(p, it->alert ? "alert-row" : sync_status_name(it->status));
		emit(p, "\">");
		emit(p, "<td>");
		text(p, sync_status_label(it->status));
		since_note(p, it);
		emit(p, "</td>");
		cell(p, it->object);
		cell(p, it->direction);
		emit(p, "<td>");
		emit_link(p, it->tiktok_url, it->tt_order_id);
		emit(p, "</td><td>");
		emit_link(p, it->shopify_url, it->shopify_order);
		emit(p, "</td>");
		cell(p, it->action);
		cell(p, it->reason_code);
		cell(p, it->reason);
		cell(p, it->remedy);
		cell(p, it->detail);
		cell(p, it->needs_person ? "yes" : "");
		emit(p, "<td>");
		time_text(p, it->time);
		emit(p, "</td>");
		cell(p, it->buyer);
		cell(p, it->buyer_message);
		emit(p, "</tr>\n");
	}
	items_close(p, &ri);
	emit(p, "</table>\n");
}

int report_write_html(FILE *f, const struct report *r, struct err *e)
{
	struct page p = { f, 0, 0, 0 };

	errno = 0;
	write_head(&p, r);
	emit(&p, "<h2 id=\"summary\">Summary</h2>\n");
	emitf(&p, "<p class=\"exit exit%d\">Exit code %d: ", r->exit_code,
	      r->exit_code);
	text(&p, exit_meaning(r->exit_code));
	emit(&p, "</p>\n");
	write_counts(&p, r);
	write_stats(&p, &r->stats);
	write_alerts(&p, r);
	write_failures(&p, r);
	write_items(&p, r);
	emit(&p, "<footer>Written by ttsync " TTSYNC_VERSION ".</footer>\n"
		 "</body>\n</html>\n");
	if (!p.bad && (fflush(f) == EOF || ferror(f)))
		page_fail(&p);
	if (p.bad)
		return err_set(e, ERR_IO, "REPORT_WRITE", "HTML write failed: %s",
			       strerror(p.saved_errno));
	if (p.spool_bad)
		return err_set(e, ERR_IO, "REPORT_SPOOL",
			       "HTML: the run's items cannot be read back (see the log)");
	return 0;
}

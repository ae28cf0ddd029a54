/*
 * report.h - what a run tells the merchant: reports/<run id>/synced.csv,
 * failed.csv, items.csv (every item; libcsv, RFC 4180) and report.html
 * (one self-contained page),
 * each written to a temporary file beside the target, checked, fsync'ed
 * and renamed; then reports/latest is re-pointed at the run folder.
 * One writer per format behind a small table; a failed format does not
 * stop the others but makes report_write() return -1.
 *
 * Buyer-typed text is data, never code: CSV cells that a spreadsheet would
 * read as a formula (leading = + - @ TAB CR) are prefixed with a single
 * quote; HTML escapes & < > " ' everywhere and allows no URLs other than
 * http(s) links we built.
 */
#ifndef TTSYNC_REPORT_H
#define TTSYNC_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "common.h"
#include "reasons.h"

/* CSV columns, in order (an interface: merchants' scripts read them). */
#define REPORT_CSV_COLUMNS                                                   \
	"run_id", "object", "direction", "tiktok_order_id", "shopify_order",  \
	"action", "status", "reason_code", "reason", "remedy", "detail",     \
	"needs_person", "tiktok_url", "shopify_url", "time", "buyer",        \
	"buyer_message"

struct report_item {
	char *object;		/* "order" / "fulfillment" */
	char *direction;	/* "tiktok_to_shopify" / "shopify_to_tiktok" */
	char *tt_order_id;
	char *shopify_order;	/* "#1001" or "" */
	char *action;		/* action_kind_name(), or "none" */
	enum sync_status status;
	char *reason_code, *reason, *remedy;	/* "" when synced */
	char *detail;		/* tracking, carrier, TikTok warning, ... */
	int needs_person;
	int alert;		/* shown first, in red */
	char *tiktok_url, *shopify_url;
	int64_t time;
	int carried;		/* failure from an earlier run, still open */
	char *buyer;		/* recipient name as TikTok sent it (typed by the buyer) */
	char *buyer_message;	/* the buyer's message (typed by the buyer) */
};

/* Counters of one run (rpki-client's `struct stats`): printed at the end
 * and written into every report. */
struct run_stats {
	long tt_orders_fetched, tt_pages;
	long orders_created, orders_linked, orders_failed, orders_skipped;
	long orders_not_synced, orders_cancelled;
	long ful_pushed, ful_pulled, ful_updated, ful_events, ful_failed;
	long tt_requests, sh_requests;
	long tt_writes, sh_writes;
	long retries;
	double sh_cost;
	int64_t started_at, finished_at;
};

struct report {
	char *run_id;
	char *store_name;
	char *command;		/* "run", "sync orders", ... */
	int dry_run;
	int exit_code;
	int aborted;		/* the run stopped early (exit 3) */
	char *abort_reason;
	struct run_stats stats;
	struct report_item *items;
	size_t nitems, cap;
};

void report_init(struct report *r, const char *run_id, const char *store,
		 const char *command, int dry_run);
void report_free(struct report *r);
/* Append a copy of *it (all strings copied; NULL strings become ""). */
void report_add(struct report *r, const struct report_item *it);

/* Write the run folder; *dir_out (optional) gets its path. */
int report_write(const char *reports_dir, const struct report *r,
		 char **dir_out, struct err *e);

/* The writers (exposed for unit tests): write to an open FILE. */
int report_write_csv(FILE *f, const struct report *r, int failed_only,
		     struct err *e);
/* The same rows restricted to one status (enum sync_status), or every
 * item when status < 0. report_write_csv(f, r, 1, e) is status FAILED,
 * report_write_csv(f, r, 0, e) every item. */
int report_write_csv_status(FILE *f, const struct report *r, int status,
			    struct err *e);
int report_write_html(FILE *f, const struct report *r, struct err *e);

/* Neutralise a CSV cell against formula injection. Caller frees. */
char *csv_safe_cell(const char *s);

#endif

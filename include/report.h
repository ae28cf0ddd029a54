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

/*
 * The items are not kept in memory: report_add() spools them into a
 * private temporary SQLite database (on disk, deleted when closed; its
 * page cache is bounded), so a run of any size holds a few MB of rows.
 * They are read back in the order they were added, through an iterator.
 */
struct report {
	char *run_id;
	char *store_name;
	char *command;		/* "run", "sync orders", ... */
	int dry_run;
	int exit_code;
	int aborted;		/* the run stopped early (exit 3) */
	char *abort_reason;
	struct run_stats stats;
	size_t nitems;		/* items spooled */
	void *db;		/* sqlite3 *: the spool (report.c) */
	void *insert;		/* sqlite3_stmt *: INSERT one item */
	void *lookup;		/* sqlite3_stmt *: items of one object and order */
	int spool_failed;	/* an item could not be spooled: report_write fails */
};

void report_init(struct report *r, const char *run_id, const char *store,
		 const char *command, int dry_run);
void report_free(struct report *r);
/* Append a copy of *it (all strings copied; NULL strings become ""). When
 * the spool fails (disk full) the item is logged and lost, and
 * report_write() returns -1 (REPORT_SPOOL). */
void report_add(struct report *r, const struct report_item *it);

/* Reading the items back, in the order they were added:
 *
 *	struct report_iter ri;
 *	const struct report_item *it;
 *
 *	if (report_iter_open(r, &ri, SYNC_FAILED, -1, NULL) == -1)
 *		...;
 *	while ((it = report_iter_next(&ri)) != NULL)
 *		...;
 *	if (ri.failed) ...;	(the spool could not be read to the end)
 *	report_iter_close(&ri);
 *
 * Filters: status (enum sync_status, < 0 any), alert (< 0 any, 0 not an
 * alert, 1 an alert), reason_code (NULL any). The strings of the item
 * returned are never NULL ("" when empty) and stay valid until the next
 * call on the iterator. Any number of iterators may be open at once. */
struct report_iter {
	void *stmt;		/* sqlite3_stmt * */
	struct report_item it;
	int failed;		/* reading stopped on an error (logged) */
};

/* 0, or -1 when the spool cannot be read (logged). */
int report_iter_open(const struct report *r, struct report_iter *ri,
		     int status, int alert, const char *reason_code);
/* The next item, or NULL at the end (or on an error: ri->failed). */
const struct report_item *report_iter_next(struct report_iter *ri);
void report_iter_close(struct report_iter *ri);

/* 1 when an item of this object and TikTok order is spooled whose detail
 * contains detail_substr (NULL: any detail), else 0. */
int report_has(const struct report *r, const char *object, const char *tt_id,
	       const char *detail_substr);
/* 1 when an item of this object and TikTok order is spooled with this
 * status and reason code (NULL: "") whose detail is `key` or starts with
 * `key;` (fulfillment records: "<key>; tracking ..."), else 0. */
int report_has_key(const struct report *r, const char *object,
		   const char *tt_id, const char *key, enum sync_status status,
		   const char *reason_code);
/* The failures shown in groups (status SYNC_FAILED, not alerts) by reason
 * code: *codes and *counts (n of each, caller frees both and the codes),
 * the biggest group first, ties in order of their first item. 0 or -1
 * (logged). */
int report_failure_groups(const struct report *r, char ***codes,
			  size_t **counts, size_t *n);

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

/*
 * report_csv.c - the CSV format of the run report (synced.csv, failed.csv,
 * items.csv): a header row of REPORT_CSV_COLUMNS, then one row per item.
 * Records end in CRLF and every field is quoted by libcsv (csv_fwrite),
 * which is RFC 4180: commas, quotes and line breaks typed by a buyer stay
 * inside their cell.
 *
 * Formula injection: a spreadsheet runs a cell that begins with = + - @
 * (and some read TAB or CR before them). csv_safe_cell() puts a single
 * quote in front of such a cell, in every column, whoever wrote it. This
 * includes a cell that is only a negative amount ("-2.50" becomes
 * "'-2.50"): telling a harmless number from "-2+HYPERLINK(...)" is the
 * kind of cleverness injection slips through, and ttsync's own details
 * begin with a word ("TikTok total 12.50 USD, Shopify 12.40 USD"), so a
 * negative figure only ever leads a cell when someone else typed it.
 * Scripts reading the files strip one leading quote before = + - @ TAB CR.
 *
 * Times are ISO 8601 UTC ("2026-11-21T23:53:01Z"), empty when unknown;
 * status is sync_status_name(); needs_person is 0 or 1. A failure carried
 * over from an earlier run says so in its detail ("open since an earlier
 * run", added by report_add()).
 *
 * Owns nothing beyond the duration of a call.
 */
#include "report.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const columns[] = { REPORT_CSV_COLUMNS };
#define NCOLUMNS ARRAY_SIZE(columns)
_Static_assert(sizeof(columns) / sizeof(columns[0]) == 17,
	       "report_csv.c fills 17 cells per row: keep item_cells() in step");

char *csv_safe_cell(const char *s)
{
	if (s == NULL)
		return xstrdup("");
	switch (s[0]) {
	case '=':
	case '+':
	case '-':
	case '@':
	case '\t':
	case '\r':
		return xasprintf("'%s", s);
	default:
		return xstrdup(s);
	}
}

/* One record: neutralised cells, each quoted by libcsv, CRLF at the end. */
static int write_row(FILE *f, const char *const *cells, size_t n,
		     struct err *e)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char *safe = csv_safe_cell(cells[i]);
		int rc = 0;

		if (i > 0 && fputc(',', f) == EOF)
			rc = EOF;
		if (rc == 0)
			rc = csv_fwrite(f, safe, strlen(safe));
		free(safe);
		if (rc == EOF)
			return err_set(e, ERR_IO, "REPORT_WRITE",
				       "CSV write failed: %s", strerror(errno));
	}
	if (fputs("\r\n", f) == EOF)
		return err_set(e, ERR_IO, "REPORT_WRITE",
			       "CSV write failed: %s", strerror(errno));
	return 0;
}

static int write_item(FILE *f, const struct report *r,
		      const struct report_item *it, struct err *e)
{
	char when[32] = "";
	const char *cells[NCOLUMNS];

	if (it->time > 0 && time_to_iso8601(it->time, when) == -1)
		when[0] = '\0';
	cells[0] = r->run_id;
	cells[1] = it->object;
	cells[2] = it->direction;
	cells[3] = it->tt_order_id;
	cells[4] = it->shopify_order;
	cells[5] = it->action;
	cells[6] = sync_status_name(it->status);
	cells[7] = it->reason_code;
	cells[8] = it->reason;
	cells[9] = it->remedy;
	cells[10] = it->detail;
	cells[11] = it->needs_person ? "1" : "0";
	cells[12] = it->tiktok_url;
	cells[13] = it->shopify_url;
	cells[14] = when;
	cells[15] = it->buyer;
	cells[16] = it->buyer_message;
	return write_row(f, cells, NCOLUMNS, e);
}

int report_write_csv_status(FILE *f, const struct report *r, int status,
			    struct err *e)
{
	struct report_iter ri;
	const struct report_item *it;
	int ret = -1;

	if (report_iter_open(r, &ri, status, -1, NULL) == -1)
		return err_set(e, ERR_IO, "REPORT_SPOOL",
			       "CSV: the run's items cannot be read back (see the log)");
	if (write_row(f, columns, NCOLUMNS, e) == -1)
		goto cleanup;
	while ((it = report_iter_next(&ri)) != NULL)
		if (write_item(f, r, it, e) == -1)
			goto cleanup;
	if (ri.failed) {
		err_set(e, ERR_IO, "REPORT_SPOOL",
			"CSV: the run's items cannot be read back (see the log)");
		goto cleanup;
	}
	if (fflush(f) == EOF || ferror(f)) {
		err_set(e, ERR_IO, "REPORT_WRITE", "CSV write failed: %s",
			strerror(errno));
		goto cleanup;
	}
	ret = 0;
cleanup:
	report_iter_close(&ri);
	return ret;
}

int report_write_csv(FILE *f, const struct report *r, int failed_only,
		     struct err *e)
{
	return report_write_csv_status(f, r, failed_only ? (int)SYNC_FAILED : -1,
				       e);
}

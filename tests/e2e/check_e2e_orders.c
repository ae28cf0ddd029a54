/*
 * check_e2e_orders.c - end-to-end acceptance of order sync (issue 3,
 * TikTok -> Shopify) on the demo store, against the real ttsync binary and
 * both emulators: every ORDER rule of SPEC.md as fixtures/demo/CASES.md
 * states its run-1 outcome, asserted on what Shopify received (emulator
 * state and request log), on the reports and on the exit code; then an
 * unchanged second run (no write call, update-time cursor), a third run
 * after the buyer pays / the hold ends (later-eligible orders), the
 * reports' files, columns and escaping, and no secret in any output.
 *
 * One store serves the whole suite: the unchecked fixture runs ttsync
 * three times in the parent process and keeps what each run sent (request
 * log marks), printed and wrote; the tests (forked) only read. Owns the
 * store and the run results for the suite's lifetime.
 */
#include <check.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define ID_PREFIX "5769120043718200"	/* + NN: the demo's order ids */
#define OVERLAP 600			/* settings.overlap_seconds of the store */
#define PAGE 20				/* settings.tiktok_page_size: 43 orders = 3 pages */
#define BACKFILL (7 * 86400)		/* SPEC: a new store backfills 7 days */

/* ---- what CASES.md says ------------------------------------------------ */

struct exp_line {
	const char *sku;
	int qty;
	long price, tax;	/* unit price, line tax (cents) */
	int gift;
};

struct exp_order {
	const char *nn;
	struct exp_line lines[4];
	const char *ship_title;
	long ship, ship_tax, tax, fee, total;
	int gift_tag, sample_tag;
};

/* "What Shopify receives for each order" (CASES.md), created orders. */
static const struct exp_order money[] = {
	{ "01", { { "TEE-BLK-M", 1, 2400, 237, 0 } }, "Standard Shipping", 499, 0, 237, 0, 3136, 0, 0 },
	{ "02", { { "MUG-SAND-12", 3, 1700, 408, 0 } }, "Standard Shipping", 499, 0, 408, 0, 6007, 0, 0 },
	{ "03", { { "HOOD-GRY-L", 2, 4320, 894, 0 }, { "BEANIE-RUST", 1, 1700, 176, 0 }, { "SOCK-WOOL-M", 1, 1400, 145, 0 } }, "Economy Shipping", 0, 0, 1215, 0, 12955, 0, 0 },
	{ "04", { { "TOTE-NAT", 1, 2200, 154, 0 }, { "STICKER-PACK", 1, 0, 0, 1 } }, "Standard Shipping", 499, 0, 154, 0, 2853, 1, 0 },
	{ "05", { { "BALM-TRIO", 1, 0, 0, 0 } }, "Standard Shipping", 0, 0, 0, 0, 0, 0, 1 },
	{ "06", { { "CANDLE-CEDAR", 2, 2600, 430, 0 } }, "Standard Shipping", 0, 0, 430, 0, 5630, 0, 0 },
	{ "07", { { "PIN-SET-3", 2, 1200, 214, 0 }, { "TEE-WHT-M", 1, 2100, 0, 0 } }, "Standard Shipping", 599, 53, 267, 0, 5366, 0, 0 },
	{ "08", { { "HOOD-GRY-M", 1, 4300, 393, 0 }, { "TEE-BLK-L", 1, 2160, 198, 0 } }, "Standard Shipping", 0, 0, 591, 29, 7080, 0, 0 },
	{ "09", { { "TEE-BLK-S", 1, 2400, 222, 0 }, { "SOCK-WOOL-M", 2, 1260, 234, 0 } }, "Standard Shipping", 599, 55, 511, 0, 6030, 0, 0 },
	{ "10", { { "HOOD-GRY-M", 1, 4800, 492, 0 } }, "Express Shipping", 999, 0, 492, 0, 6291, 0, 0 },
	{ "11", { { "MUG-SAND-12", 1, 1800, 155, 0 }, { "PIN-SET-3", 1, 1200, 103, 0 } }, "Standard Shipping", 0, 0, 258, 0, 3258, 0, 0 },
	{ "12", { { "TEE-WHT-M", 2, 2400, 428, 0 } }, "Standard Shipping", 599, 53, 481, 0, 5880, 0, 0 },
	{ "13", { { "CANDLE-CEDAR", 1, 2600, 163, 0 } }, "Standard Shipping", 599, 0, 163, 0, 3362, 0, 0 },
	{ "14", { { "BEANIE-RUST", 2, 1900, 0, 0 }, { "TOTE-NAT", 1, 2000, 0, 0 } }, "Economy Shipping", 0, 0, 0, 0, 5800, 0, 0 },
	{ "15", { { "TEE-BLK-M", 2, 2400, 474, 0 }, { "HOOD-GRY-L", 1, 4320, 427, 0 }, { "MUG-SAND-12", 1, 1800, 178, 0 } }, "Standard Shipping", 0, 0, 1079, 0, 11999, 0, 0 },
	{ "16", { { "TEE-BLK-S", 1, 2400, 0, 0 } }, "Standard Shipping", 499, 0, 0, 0, 2899, 0, 0 },
	{ "17", { { "PIN-SET-3", 1, 1200, 0, 0 } }, "Standard Shipping", 399, 0, 0, 0, 1599, 0, 0 },
	{ "18", { { "SOCK-WOOL-M", 3, 1260, 324, 0 } }, "Economy Shipping", 399, 0, 324, 0, 4503, 0, 0 },
	{ "19", { { "TEE-BLK-L", 2, 2400, 492, 0 }, { "TOTE-NAT", 1, 2200, 226, 0 } }, "Standard Shipping", 499, 0, 718, 0, 8217, 0, 0 },
	{ "22", { { "TEE-WHT-M", 1, 2400, 0, 0 }, { "PIN-SET-3", 1, 1200, 108, 0 } }, "Standard Shipping", 499, 45, 153, 0, 4252, 0, 0 },
	{ "24", { { "BEANIE-RUST", 1, 1900, 197, 0 }, { "SOCK-WOOL-M", 1, 1400, 145, 0 } }, "Express Shipping", 999, 103, 445, 0, 4744, 0, 0 },
	{ "26", { { "TEE-BLK-M", 1, 2400, 237, 0 }, { "BEANIE-RUST", 1, 1710, 169, 0 } }, "Standard Shipping", 499, 0, 406, 0, 5015, 0, 0 },
	{ "27", { { "HOOD-GRY-L", 1, 4800, 492, 0 } }, "Standard Shipping", 499, 0, 492, 0, 5791, 0, 0 },
	{ "29", { { "SOCK-WOOL-M", 2, 1400, 250, 0 }, { "PIN-SET-3", 1, 1200, 107, 0 } }, "Standard Shipping", 499, 44, 401, 0, 4900, 0, 0 },
	{ "39", { { "TOTE-NAT", 1, 2200, 0, 0 }, { "SOCK-WOOL-M", 1, 1400, 0, 0 } }, "Standard Shipping", 499, 0, 0, 0, 4099, 0, 0 },
	{ "40", { { "BEANIE-RUST", 1, 1710, 147, 0 } }, "Standard Shipping", 499, 0, 147, 0, 2356, 0, 0 },
	{ "41", { { "PIN-SET-3", 1, 1200, 107, 0 } }, "Standard Shipping", 399, 35, 142, 0, 1741, 0, 0 },
	{ "42", { { "TEE-BLK-M", 1, 2400, 206, 0 }, { "HOOD-GRY-M", 1, 4800, 413, 0 }, { "CANDLE-CEDAR", 1, 2600, 224, 0 } }, "Standard Shipping", 799, 0, 843, 0, 11442, 0, 0 },
	{ "43", { { "TOTE-NAT", 1, 2200, 196, 0 }, { "PIN-SET-3", 1, 1080, 96, 0 } }, "Express Shipping", 1299, 116, 408, 0, 4987, 0, 0 },
};

/* Run 1 of CASES.md: status and reason code of every order. */
struct exp_outcome {
	const char *nn, *status, *code;
};

static const struct exp_outcome run1[] = {
	{ "01", "synced", "" }, { "02", "synced", "" }, { "03", "synced", "" },
	{ "04", "synced", "" }, { "05", "synced", "" }, { "06", "synced", "" },
	{ "07", "synced", "" }, { "08", "synced", "" }, { "09", "synced", "" },
	{ "10", "synced", "" }, { "11", "synced", "" }, { "12", "synced", "" },
	{ "13", "synced", "" }, { "14", "synced", "" }, { "15", "synced", "" },
	{ "16", "synced", "" }, { "17", "synced", "" }, { "18", "synced", "" },
	{ "19", "synced", "" },
	{ "20", "skipped", "SKIP_FBT" },
	{ "21", "skipped", "SKIP_UNPAID" },
	{ "22", "skipped", "SKIP_UNPAID" },
	{ "23", "skipped", "SKIP_ON_HOLD" },
	{ "24", "skipped", "SKIP_ON_HOLD" },
	{ "25", "skipped", "SKIP_CANCELLED_BEFORE_SYNC" },
	{ "26", "synced", "" }, { "27", "synced", "" },
	{ "28", "failed", "CANCEL_REQUEST_PENDING" },
	{ "29", "synced", "" },
	{ "30", "failed", "SKU_NOT_LINKED" },
	{ "31", "failed", "SKU_NOT_LINKED" },
	{ "32", "failed", "SKU_AMBIGUOUS" },
	{ "33", "failed", "SKU_MISSING" },
	{ "34", "synced", "ALREADY_IN_SHOPIFY" },
	{ "35", "synced", "ALREADY_IN_SHOPIFY" },
	{ "36", "synced", "ALREADY_IN_SHOPIFY" },
	{ "37", "failed", "ORDER_DATA_INVALID" },
	{ "38", "failed", "TOTALS_MISMATCH" },
	{ "39", "synced", "" }, { "40", "synced", "" }, { "41", "synced", "" },
	{ "42", "synced", "" }, { "43", "synced", "" },
};

/* Created by run 1 (CASES.md "Counts"). */
static const char *const created1[] = {
	"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12",
	"13", "14", "15", "16", "17", "18", "19", "26", "27", "29", "39", "40",
	"41", "42", "43",
};

/* Never created by any run here. */
static const char *const never[] = {
	"20", "21", "23", "25", "28", "30", "31", "32", "33", "37", "38",
};

static const char *const secrets[] = {
	"demo_app_secret", "TTP_demo_access", "TTP_demo_refresh", "shpat_demo_token",
};

/* ---- the store and its three runs (filled by the unchecked fixture) ---- */

struct run_rec {
	struct run_result r;
	long long now;
	long tt_mark, sh_mark;		/* log length before the run */
	json_t *tt_log, *sh_log;	/* what the run sent */
	json_t *items;			/* its items.csv */
	char dir[1300];			/* its report folder */
};

static struct {
	int ok;
	char why[512];
	struct store s;
	struct run_rec run[3];
	json_t *tt_orders;		/* TikTok emulator state, before run 1 */
	json_t *sh_after1;		/* Shopify orders after run 1 */
	struct run_result status;	/* `ttsync status` after run 3 */
	char *state_dump;		/* the state after run 3 */
} W;

static void why(const char *fmt, ...)
{
	va_list ap;

	if (W.why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(W.why, sizeof(W.why), fmt, ap);
	va_end(ap);
}

static int do_run(int i, long long advance, const char *const *env)
{
	const char *args[] = { "run", "--config", W.s.config, NULL };
	struct run_rec *rr = &W.run[i];
	char link[700], target[600];
	ssize_t n;

	rr->now = harness_store_advance(&W.s, advance);
	rr->tt_mark = harness_log_mark(&W.s.tt);
	rr->sh_mark = harness_log_mark(&W.s.sh);
	if (rr->now < 0 || rr->tt_mark < 0 || rr->sh_mark < 0) {
		why("run %d: emulators unreachable", i + 1);
		return -1;
	}
	harness_ttsync_at(rr->now, args, env, 180, &rr->r);
	rr->tt_log = harness_log_since(&W.s.tt, rr->tt_mark);
	rr->sh_log = harness_log_since(&W.s.sh, rr->sh_mark);
	rr->items = harness_report_csv(&W.s, "items.csv");
	snprintf(link, sizeof(link), "%s/latest", W.s.reports);
	n = readlink(link, target, sizeof(target) - 1);
	if (n > 0) {
		target[n] = '\0';
		snprintf(rr->dir, sizeof(rr->dir), "%s/%s", W.s.reports, target);
	}
	if (rr->tt_log == NULL || rr->sh_log == NULL) {
		why("run %d: request logs unreadable", i + 1);
		return -1;
	}
	return 0;
}

static json_t *ev(const char *type, const char *nn)
{
	char id[40];

	snprintf(id, sizeof(id), ID_PREFIX "%s", nn);
	return json_pack("{s:s,s:s}", "type", type, "order_id", id);
}

static void world_up(void)
{
	struct store_opts o;
	const char *verbose[] = { "TTSYNC_LOG=3", NULL };
	json_t *st, *a;

	memset(&W, 0, sizeof(W));
	memset(&o, 0, sizeof(o));
	o.order_auto_sync = 1;
	o.extra_settings = "  overlap_seconds: 600\n  tiktok_page_size: 20\n";
	if (harness_store_start("orders", &o, &W.s) != 0) {
		why("the emulators did not start");
		return;
	}
	st = harness_emu_get(&W.s.tt, "/_emu/state");
	W.tt_orders = json_incref(json_object_get(st, "orders"));
	json_decref(st);
	/* Run 1: the store's first run. */
	if (do_run(0, 0, NULL) != 0)
		return;
	W.sh_after1 = harness_shopify_orders(&W.s);
	/* Run 2: an hour later, nothing changed anywhere. */
	if (do_run(1, 3600, NULL) != 0)
		return;
	/* The buyer of 22 pays, the hold on 24 ends; run 3 a minute later
	 * (debug logging on: it must not leak secrets either). */
	harness_store_advance(&W.s, 60);
	a = harness_emu_event(&W.s.tt, ev("buyer_pays", "22"));
	if (a == NULL) {
		why("event buyer_pays 22 refused");
		return;
	}
	json_decref(a);
	a = harness_emu_event(&W.s.tt, ev("hold_ends", "24"));
	if (a == NULL) {
		why("event hold_ends 24 refused");
		return;
	}
	json_decref(a);
	if (do_run(2, 60, verbose) != 0)
		return;
	{
		const char *args[] = { "status", "--config", W.s.config, NULL };

		harness_ttsync("ttsync", args, NULL, 60, &W.status);
	}
	W.state_dump = harness_state_dump(W.s.state);
	W.ok = W.tt_orders != NULL && W.sh_after1 != NULL;
	if (!W.ok)
		why("emulator state unreadable");
}

static void world_down(void)
{
	int i;

	harness_store_stop(&W.s);
	harness_rmtree(W.s.dir);
	for (i = 0; i < 3; i++) {
		run_result_free(&W.run[i].r);
		json_decref(W.run[i].tt_log);
		json_decref(W.run[i].sh_log);
		json_decref(W.run[i].items);
	}
	run_result_free(&W.status);
	json_decref(W.tt_orders);
	json_decref(W.sh_after1);
	free(W.state_dump);
}

#define NEED_WORLD() ck_assert_msg(W.ok, "suite set-up failed: %s", W.why)

/* ---- small helpers ------------------------------------------------------ */

/* Problems found while checking many orders: all are listed on failure. */
struct probs {
	char buf[3000];		/* Check refuses much longer messages */
	size_t len;
	int n;
};

static void prob(struct probs *p, const char *fmt, ...)
{
	va_list ap;
	int k;

	p->n++;
	if (p->len + 2 >= sizeof(p->buf))
		return;
	va_start(ap, fmt);
	k = vsnprintf(p->buf + p->len, sizeof(p->buf) - p->len - 1, fmt, ap);
	va_end(ap);
	if (k > 0)
		p->len += (size_t)k < sizeof(p->buf) - p->len - 1 ? (size_t)k
			  : sizeof(p->buf) - p->len - 2;
	p->buf[p->len++] = '\n';
	p->buf[p->len] = '\0';
}

#define PROBS_NONE(p) ck_assert_msg((p)->n == 0, "%d problem(s):\n%s", (p)->n, (p)->buf)

/* Compact JSON text of v for a message (static buffer, truncated). */
static const char *jtxt(const json_t *v)
{
	static char buf[400];
	size_t n = v ? json_dumpb(v, buf, sizeof(buf) - 1, JSON_COMPACT) : 0;

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	buf[n] = '\0';
	return v ? buf : "none";
}

static const char *sv(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

static int streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static void full_id(const char *nn, char *out, size_t n)
{
	snprintf(out, n, ID_PREFIX "%s", nn);
}

/* "12.0", "45.00", "-3.5" -> cents; *ok = 0 when it is not an amount. */
static long cents(const char *s, int *ok)
{
	long whole = 0, frac = 0;
	int neg = 0, nd = 0;

	*ok = 0;
	if (s == NULL || *s == '\0')
		return 0;
	if (*s == '-') {
		neg = 1;
		s++;
	}
	if (*s < '0' || *s > '9')
		return 0;
	while (*s >= '0' && *s <= '9')
		whole = whole * 10 + (*s++ - '0');
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			if (nd < 2)
				frac = frac * 10 + (*s - '0');
			else if (*s != '0')
				return 0;	/* fractions of a cent */
			nd++;
			s++;
		}
	}
	if (*s != '\0')
		return 0;
	if (nd == 1)
		frac *= 10;
	*ok = 1;
	return (neg ? -1 : 1) * (whole * 100 + frac);
}

static long jcents(const json_t *o, const char *key, int *ok)
{
	return cents(json_string_value(json_object_get(o, key)), ok);
}

static long tax_sum(const json_t *lines, int *ok)
{
	const json_t *t;
	size_t i;
	long sum = 0;
	int k = 1;

	*ok = 1;
	json_array_foreach(lines, i, t) {
		sum += jcents(t, "amount", &k);
		if (!k)
			*ok = 0;
	}
	return sum;
}

static const json_t *tt_order(const char *id)
{
	const json_t *o;
	size_t i;

	json_array_foreach(W.tt_orders, i, o)
		if (streq(sv(o, "id"), id))
			return o;
	return NULL;
}

/* Shopify orders (of `orders`) whose sourceIdentifier is id. */
static int sh_count(const json_t *orders, const char *id, const json_t **first)
{
	const json_t *o;
	size_t i;
	int n = 0;

	if (first)
		*first = NULL;
	json_array_foreach(orders, i, o)
		if (streq(sv(o, "sourceIdentifier"), id)) {
			if (first && n == 0)
				*first = o;
			n++;
		}
	return n;
}

/* orderCreate requests of a log slice for one TikTok id (by variables). */
static int creates_for(const json_t *log, const char *id, json_t **req)
{
	const json_t *e;
	size_t i;
	int n = 0;

	if (req)
		*req = NULL;
	json_array_foreach(log, i, e) {
		const char *body = json_string_value(json_object_get(e, "body"));
		json_t *b, *order;

		if (body == NULL || strstr(body, "orderCreate") == NULL)
			continue;
		b = json_loads(body, 0, NULL);
		order = json_object_get(json_object_get(b, "variables"), "order");
		if (streq(sv(order, "sourceIdentifier"), id)) {
			if (req && *req == NULL)
				*req = json_incref(b);
			n++;
		}
		json_decref(b);
	}
	return n;
}

static int order_rows(const json_t *items, const char *id, const json_t **first)
{
	const json_t *r;
	size_t i;
	int n = 0;

	if (first)
		*first = NULL;
	json_array_foreach(items, i, r)
		if (streq(sv(r, "object"), "order") && streq(sv(r, "tiktok_order_id"), id)) {
			if (first && n == 0)
				*first = r;
			n++;
		}
	return n;
}

static void iso(long long t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const struct {
	const char *name, *code;
} us_states[] = {
	{ "Alabama", "AL" }, { "Alaska", "AK" }, { "Arizona", "AZ" },
	{ "Arkansas", "AR" }, { "California", "CA" }, { "Colorado", "CO" },
	{ "Connecticut", "CT" }, { "Delaware", "DE" },
	{ "District of Columbia", "DC" }, { "Florida", "FL" },
	{ "Georgia", "GA" }, { "Hawaii", "HI" }, { "Idaho", "ID" },
	{ "Illinois", "IL" }, { "Indiana", "IN" }, { "Iowa", "IA" },
	{ "Kansas", "KS" }, { "Kentucky", "KY" }, { "Louisiana", "LA" },
	{ "Maine", "ME" }, { "Maryland", "MD" }, { "Massachusetts", "MA" },
	{ "Michigan", "MI" }, { "Minnesota", "MN" }, { "Mississippi", "MS" },
	{ "Missouri", "MO" }, { "Montana", "MT" }, { "Nebraska", "NE" },
	{ "Nevada", "NV" }, { "New Hampshire", "NH" }, { "New Jersey", "NJ" },
	{ "New Mexico", "NM" }, { "New York", "NY" },
	{ "North Carolina", "NC" }, { "North Dakota", "ND" }, { "Ohio", "OH" },
	{ "Oklahoma", "OK" }, { "Oregon", "OR" }, { "Pennsylvania", "PA" },
	{ "Rhode Island", "RI" }, { "South Carolina", "SC" },
	{ "South Dakota", "SD" }, { "Tennessee", "TN" }, { "Texas", "TX" },
	{ "Utah", "UT" }, { "Vermont", "VT" }, { "Virginia", "VA" },
	{ "Washington", "WA" }, { "West Virginia", "WV" },
	{ "Wisconsin", "WI" }, { "Wyoming", "WY" },
};

static const char *state_code(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(us_states) / sizeof(us_states[0]); i++)
		if (streq(us_states[i].name, name))
			return us_states[i].code;
	return NULL;
}

static const char *district(const json_t *addr, const char *level)
{
	const json_t *d;
	size_t i;

	json_array_foreach(json_object_get(addr, "district_info"), i, d)
		if (streq(sv(d, "address_level"), level))
			return sv(d, "address_name");
	return NULL;
}

static void digits(const char *s, char *out, size_t n)
{
	size_t k = 0;

	for (; s && *s && k + 1 < n; s++)
		if (*s >= '0' && *s <= '9')
			out[k++] = *s;
	out[k] = '\0';
}

static const struct exp_order *money_row(const char *nn)
{
	size_t i;

	for (i = 0; i < sizeof(money) / sizeof(money[0]); i++)
		if (streq(money[i].nn, nn))
			return &money[i];
	return NULL;
}

/* ---- checks of one created order --------------------------------------- */

/* Everything of SPEC's order table but money. */
static void check_mapping(struct probs *p, const char *nn, const json_t *sh,
			  const json_t *req)
{
	char id[40], when[32], a[32], b[32];
	const json_t *tt, *addr, *ship, *attrs, *attr, *tags, *tag, *line;
	const json_t *reqopt = json_object_get(json_object_get(req, "variables"), "options");
	const char *name = sv(sh, "name"), *msg, *phone, *code;
	int have_ch = 0, have_id = 0, have_sm = 0, n_tags = 0, want_tags = 1;
	int titled = 0;
	size_t i;

	full_id(nn, id, sizeof(id));
	tt = tt_order(id);
	if (tt == NULL) {
		prob(p, "%s: not in the TikTok fixture", nn);
		return;
	}
	/* Default Shopify number, not the TikTok id. */
	snprintf(a, sizeof(a), "#%lld",
		 (long long)json_integer_value(json_object_get(sh, "number")));
	if (!streq(name, a) || json_integer_value(json_object_get(sh, "number")) < 1001 ||
	    strstr(name, id) != NULL)
		prob(p, "%s: Shopify name '%s' is not Shopify's default numbering", nn, name);
	/* processedAt = TikTok create_time. */
	iso((long long)json_integer_value(json_object_get(tt, "create_time")), when);
	if (!streq(sv(sh, "processedAt"), when))
		prob(p, "%s: processedAt %s, TikTok create_time is %s", nn,
		     sv(sh, "processedAt"), when);
	if (!streq(sv(sh, "sourceIdentifier"), id))
		prob(p, "%s: sourceIdentifier '%s'", nn, sv(sh, "sourceIdentifier"));
	/* Custom attributes. */
	attrs = json_object_get(sh, "customAttributes");
	json_array_foreach(attrs, i, attr) {
		const char *k = sv(attr, "key"), *v = sv(attr, "value");

		if (streq(k, "Channel"))
			have_ch = streq(v, "TikTok Shop - Demo Store");
		else if (streq(k, "TikTok Shop Order ID"))
			have_id = streq(v, id);
		else if (streq(k, "Shipping Method"))
			have_sm = strcasecmp(v, streq(sv(tt, "shipping_type"), "TIKTOK")
					     ? "TikTok shipping" : "Seller shipping") == 0;
	}
	if (!have_ch || !have_id || !have_sm)
		prob(p, "%s: custom attributes wrong (Channel %d, Order ID %d, Shipping "
		     "Method %d): %s", nn, have_ch, have_id, have_sm, jtxt(attrs));
	/* Tags. */
	if (money_row(nn))
		want_tags += money_row(nn)->gift_tag + money_row(nn)->sample_tag;
	tags = json_object_get(sh, "tags");
	json_array_foreach(tags, i, tag) {
		const char *t = json_string_value(tag);

		n_tags++;
		if (!(streq(t, "TikTok Shop") ||
		      (streq(t, "TikTok Shop Gift") && money_row(nn) && money_row(nn)->gift_tag) ||
		      (streq(t, "TikTok Shop Sample") && money_row(nn) && money_row(nn)->sample_tag)))
			prob(p, "%s: unexpected tag '%s'", nn, t ? t : "?");
	}
	if (n_tags != want_tags)
		prob(p, "%s: %d tags, expected %d", nn, n_tags, want_tags);
	/* Note = buyer message. */
	msg = sv(tt, "buyer_message");
	if (*msg ? !streq(sv(sh, "note"), msg) : *sv(sh, "note") != '\0')
		prob(p, "%s: note '%s', buyer message '%s'", nn, sv(sh, "note"), msg);
	/* Customer: the relay e-mail kept, no receipt sent. */
	if (!streq(sv(sh, "email"), sv(tt, "buyer_email")) ||
	    !streq(sv(json_object_get(sh, "customer"), "email"), sv(tt, "buyer_email")))
		prob(p, "%s: e-mail '%s' / customer '%s', TikTok buyer_email '%s'", nn,
		     sv(sh, "email"), sv(json_object_get(sh, "customer"), "email"),
		     sv(tt, "buyer_email"));
	if (req == NULL || !json_is_false(json_object_get(reqopt, "sendReceipt")) ||
	    json_is_true(json_object_get(reqopt, "sendFulfillmentReceipt")))
		prob(p, "%s: orderCreate options do not say sendReceipt: false (%s)", nn,
		     jtxt(reqopt));
	/* Shipping address from recipient_address / district_info. */
	addr = json_object_get(tt, "recipient_address");
	ship = json_object_get(sh, "shippingAddress");
	if (ship == NULL || json_is_null(ship)) {
		prob(p, "%s: no shipping address", nn);
	} else {
		code = state_code(district(addr, "L1"));
		if (!streq(sv(ship, "firstName"), sv(addr, "first_name")) ||
		    !streq(sv(ship, "lastName"), sv(addr, "last_name")))
			prob(p, "%s: name '%s' '%s', recipient '%s' '%s'", nn,
			     sv(ship, "firstName"), sv(ship, "lastName"),
			     sv(addr, "first_name"), sv(addr, "last_name"));
		if (!streq(sv(ship, "address1"), sv(addr, "address_line1")) ||
		    !streq(sv(ship, "address2"), sv(addr, "address_line2")))
			prob(p, "%s: address '%s' / '%s', recipient '%s' / '%s'", nn,
			     sv(ship, "address1"), sv(ship, "address2"),
			     sv(addr, "address_line1"), sv(addr, "address_line2"));
		if (district(addr, "L3") && !streq(sv(ship, "city"), district(addr, "L3")))
			prob(p, "%s: city '%s', district L3 '%s'", nn, sv(ship, "city"),
			     district(addr, "L3"));
		if (code == NULL || !streq(sv(ship, "provinceCode"), code))
			prob(p, "%s: provinceCode '%s' for state '%s'", nn,
			     sv(ship, "provinceCode"), district(addr, "L1"));
		if (!streq(sv(ship, "zip"), sv(addr, "postal_code")) ||
		    !streq(sv(ship, "countryCode"), "US"))
			prob(p, "%s: zip/country '%s' '%s'", nn, sv(ship, "zip"),
			     sv(ship, "countryCode"));
		phone = sv(addr, "phone_number");
		if (strchr(phone, '*') != NULL) {
			if (*sv(ship, "phone") || *sv(sh, "phone"))
				prob(p, "%s: masked phone '%s' sent to Shopify as '%s'", nn,
				     phone, *sv(ship, "phone") ? sv(ship, "phone") : sv(sh, "phone"));
		} else {
			digits(phone, a, sizeof(a));
			digits(sv(ship, "phone"), b, sizeof(b));
			if (!streq(a, b))
				prob(p, "%s: phone '%s', recipient '%s'", nn,
				     sv(ship, "phone"), phone);
		}
	}
	/* Delivery option -> shipping line title. */
	json_array_foreach(json_object_get(sh, "shippingLines"), i, line)
		titled += streq(sv(line, "title"), sv(tt, "delivery_option_name"));
	if (titled != 1)
		prob(p, "%s: %d shipping lines titled '%s'", nn, titled,
		     sv(tt, "delivery_option_name"));
}

/* Lines, prices, taxes, shipping, fee and total to the cent. */
static void check_money(struct probs *p, const char *nn, const json_t *sh)
{
	const struct exp_order *x = money_row(nn);
	const json_t *line, *sl;
	char id[40];
	size_t i, k, nexp = 0;
	long ship_other = 0, v;
	int ok, titled = 0;

	if (x == NULL) {
		prob(p, "%s: no money row", nn);
		return;
	}
	full_id(nn, id, sizeof(id));
	for (k = 0; k < 4 && x->lines[k].sku; k++)
		nexp++;
	if (json_array_size(json_object_get(sh, "lineItems")) != nexp)
		prob(p, "%s: %zu Shopify lines, expected %zu (units grouped by SKU)", nn,
		     json_array_size(json_object_get(sh, "lineItems")), nexp);
	for (k = 0; k < nexp; k++) {
		const struct exp_line *el = &x->lines[k];
		int found = 0;

		json_array_foreach(json_object_get(sh, "lineItems"), i, line) {
			if (!streq(sv(line, "sku"), el->sku))
				continue;
			found++;
			if (json_integer_value(json_object_get(line, "quantity")) != el->qty)
				prob(p, "%s %s: quantity %lld, TikTok has %d units", nn, el->sku,
				     (long long)json_integer_value(json_object_get(line, "quantity")),
				     el->qty);
			v = jcents(line, "price", &ok);
			if (!ok || v != el->price)
				prob(p, "%s %s: unit price %s, expected %ld.%02ld", nn, el->sku,
				     sv(line, "price"), el->price / 100, el->price % 100);
			v = jcents(line, "discount", &ok);
			if (ok && v != 0)
				prob(p, "%s %s: a discount of %s on top of the sale price", nn,
				     el->sku, sv(line, "discount"));
			v = tax_sum(json_object_get(line, "taxLines"), &ok);
			if (!ok || v != el->tax)
				prob(p, "%s %s: line tax %ld, expected %ld", nn, el->sku, v, el->tax);
		}
		if (found != 1)
			prob(p, "%s: %d Shopify lines with SKU %s", nn, found, el->sku);
	}
	json_array_foreach(json_object_get(sh, "shippingLines"), i, sl) {
		v = jcents(sl, "price", &ok);
		if (streq(sv(sl, "title"), x->ship_title) && !titled) {
			titled = 1;
			if (!ok || v != x->ship)
				prob(p, "%s: shipping %s, expected %ld", nn, sv(sl, "price"), x->ship);
			v = tax_sum(json_object_get(sl, "taxLines"), &ok);
			if (!ok || v != x->ship_tax)
				prob(p, "%s: shipping tax %ld, expected %ld", nn, v, x->ship_tax);
		} else {
			ship_other += v;
		}
	}
	if (!titled)
		prob(p, "%s: no shipping line '%s'", nn, x->ship_title);
	if (ship_other != x->fee)
		prob(p, "%s: other charges %ld, expected the retail delivery fee %ld", nn,
		     ship_other, x->fee);
	v = jcents(sh, "tax", &ok);
	if (!ok || v != x->tax)
		prob(p, "%s: tax %s, expected %ld.%02ld", nn, sv(sh, "tax"),
		     x->tax / 100, x->tax % 100);
	v = jcents(sh, "total", &ok);
	if (!ok || v != x->total)
		prob(p, "%s: total %s, expected %ld.%02ld", nn, sv(sh, "total"),
		     x->total / 100, x->total % 100);
	/* ... which is TikTok's payment.total_amount. */
	if (tt_order(id)) {
		long tt_total = jcents(json_object_get(tt_order(id), "payment"),
				       "total_amount", &ok);

		if (!ok || tt_total != x->total)
			prob(p, "%s: TikTok total_amount %ld differs from CASES.md %ld", nn,
			     tt_total, x->total);
	}
}

/* ---- run 1: every order rule -------------------------------------------- */

START_TEST(test_run1_exit_and_write_counts)
{
	NEED_WORLD();
	ck_assert_msg(W.run[0].r.status == 1, "run 1 exit %d (expected 1: some items "
		      "failed)\nstderr: %s", W.run[0].r.status, W.run[0].r.err);
	ck_assert_int_eq(harness_log_writes(W.run[0].sh_log, "shopify", "orderCreate"), 27);
	ck_assert_int_eq(json_array_size(W.sh_after1), 30);	/* 3 + 27 */
}
END_TEST

START_TEST(test_run1_outcome_of_every_order)
{
	struct probs p = { .n = 0 };
	const json_t *row;
	char id[40];
	size_t i;

	NEED_WORLD();
	ck_assert_ptr_nonnull(W.run[0].items);
	for (i = 0; i < sizeof(run1) / sizeof(run1[0]); i++) {
		full_id(run1[i].nn, id, sizeof(id));
		if (order_rows(W.run[0].items, id, &row) != 1) {
			prob(&p, "%s: %d order rows in items.csv", run1[i].nn,
			     order_rows(W.run[0].items, id, NULL));
			continue;
		}
		if (!streq(sv(row, "status"), run1[i].status) ||
		    !streq(sv(row, "reason_code"), run1[i].code))
			prob(&p, "%s: %s %s, expected %s %s (%s)", run1[i].nn,
			     sv(row, "status"), sv(row, "reason_code"), run1[i].status,
			     run1[i].code, sv(row, "reason"));
		if (streq(run1[i].status, "failed") &&
		    (!*sv(row, "reason") || !*sv(row, "remedy")))
			prob(&p, "%s: failed without reason or remedy", run1[i].nn);
		if (streq(run1[i].status, "skipped") && !*sv(row, "reason"))
			prob(&p, "%s: skipped without a reason", run1[i].nn);
	}
	PROBS_NONE(&p);
}
END_TEST

START_TEST(test_created_exactly_once_with_spec_mapping)
{
	struct probs p = { .n = 0 };
	const json_t *sh, *row;
	json_t *req;
	char id[40];
	size_t i;

	NEED_WORLD();
	for (i = 0; i < sizeof(created1) / sizeof(created1[0]); i++) {
		full_id(created1[i], id, sizeof(id));
		if (sh_count(W.sh_after1, id, &sh) != 1) {
			prob(&p, "%s: %d Shopify orders with that sourceIdentifier",
			     created1[i], sh_count(W.sh_after1, id, NULL));
			continue;
		}
		if (creates_for(W.run[0].sh_log, id, &req) != 1)
			prob(&p, "%s: %d orderCreate calls", created1[i],
			     creates_for(W.run[0].sh_log, id, NULL));
		check_mapping(&p, created1[i], sh, req);
		json_decref(req);
		if (order_rows(W.run[0].items, id, &row) == 1 &&
		    (!streq(sv(row, "shopify_order"), sv(sh, "name")) ||
		     !streq(sv(row, "action"), "create_order")))
			prob(&p, "%s: report says %s / %s, Shopify has %s", created1[i],
			     sv(row, "action"), sv(row, "shopify_order"), sv(sh, "name"));
	}
	PROBS_NONE(&p);
}
END_TEST

START_TEST(test_money_to_the_cent)
{
	struct probs p = { .n = 0 };
	const json_t *sh;
	char id[40];
	size_t i;

	NEED_WORLD();
	for (i = 0; i < sizeof(created1) / sizeof(created1[0]); i++) {
		full_id(created1[i], id, sizeof(id));
		if (sh_count(W.sh_after1, id, &sh) == 1)
			check_money(&p, created1[i], sh);
		else
			prob(&p, "%s: not created", created1[i]);
	}
	PROBS_NONE(&p);
}
END_TEST

START_TEST(test_not_created_orders)
{
	struct probs p = { .n = 0 };
	json_t *now = harness_shopify_orders(&W.s);
	char id[40];
	size_t i;

	NEED_WORLD();
	for (i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		full_id(never[i], id, sizeof(id));
		if (sh_count(now, id, NULL) != 0)
			prob(&p, "%s: in Shopify", never[i]);
		if (creates_for(W.run[0].sh_log, id, NULL) + creates_for(W.run[1].sh_log, id, NULL) +
		    creates_for(W.run[2].sh_log, id, NULL) != 0)
			prob(&p, "%s: orderCreate sent", never[i]);
	}
	json_decref(now);
	PROBS_NONE(&p);
}
END_TEST

static const json_t *row1(const char *nn)
{
	char id[40];
	const json_t *row = NULL;

	full_id(nn, id, sizeof(id));
	order_rows(W.run[0].items, id, &row);
	return row;
}

START_TEST(test_sku_failures_name_the_sku)
{
	const json_t *r30 = row1("30"), *r31 = row1("31"), *r32 = row1("32"), *r33 = row1("33");

	NEED_WORLD();
	ck_assert_ptr_nonnull(r30);
	ck_assert_ptr_nonnull(r31);
	ck_assert_ptr_nonnull(r32);
	ck_assert_ptr_nonnull(r33);
	/* The sentence names the offending value ... */
	ck_assert_msg(strstr(sv(r30, "reason"), "SCARF-PLAID"), "30: %s", sv(r30, "reason"));
	ck_assert_msg(strstr(sv(r31, "reason"), "SCRUNCHIE-CHAMP"), "31: %s", sv(r31, "reason"));
	ck_assert_msg(strstr(sv(r32, "reason"), "CAP-OLIVE") &&
		      strstr(sv(r32, "reason"), "gid://shopify/ProductVariant/44010000015") &&
		      strstr(sv(r32, "reason"), "gid://shopify/ProductVariant/44010000016"),
		      "32 must name the SKU and both candidates: %s", sv(r32, "reason"));
	ck_assert_msg(strstr(sv(r33, "reason"), "Mystery Sticker Bundle"), "33: %s",
		      sv(r33, "reason"));
	/* ... and so does the remedy (issue 3, CASES.md: "remedy names
	 * SCARF-PLAID"): the merchant copies the command.
	 * KNOWN FAILURE (reported): remedies are the static text of
	 * reasons.c ("--tiktok-sku SKU"), never filled in per order. */
	ck_assert_msg(strstr(sv(r30, "remedy"), "SCARF-PLAID") != NULL,
		      "30: the remedy does not name the SKU: %s", sv(r30, "remedy"));
	ck_assert_msg(strstr(sv(r32, "remedy"), "CAP-OLIVE") != NULL,
		      "32: the remedy does not name the SKU: %s", sv(r32, "remedy"));
	ck_assert_msg(strstr(sv(r30, "remedy"), "ttsync link") != NULL, "30: %s",
		      sv(r30, "remedy"));
}
END_TEST

START_TEST(test_malformed_order_fails_alone)
{
	const json_t *r = row1("37");

	NEED_WORLD();
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(sv(r, "reason_code"), "ORDER_DATA_INVALID");
	ck_assert_msg(strstr(sv(r, "reason"), "sub_total") && strstr(sv(r, "reason"), "12.3.4"),
		      "37: %s", sv(r, "reason"));
	/* The run went on: every other order of the page that carried 37
	 * has its own outcome in the report. */
	{
		const json_t *e, *o;
		json_t *resp = NULL;
		size_t i, k, others = 0;

		json_array_foreach(W.run[0].tt_log, i, e)
			if (streq(sv(e, "path"), "/order/202309/orders/search") &&
			    strstr(sv(e, "response"), ID_PREFIX "37")) {
				resp = json_loads(sv(e, "response"), 0, NULL);
				break;
			}
		ck_assert_msg(resp != NULL, "no search page carried order 37");
		json_array_foreach(json_object_get(json_object_get(resp, "data"), "orders"),
				   k, o) {
			if (streq(sv(o, "id"), ID_PREFIX "37"))
				continue;
			others++;
			ck_assert_msg(order_rows(W.run[0].items, sv(o, "id"), NULL) == 1,
				      "order %s of 37's page has no outcome", sv(o, "id"));
		}
		ck_assert_msg(others > 0, "37 was alone on its page");
		json_decref(resp);
	}
	ck_assert_int_eq(harness_log_writes(W.run[0].sh_log, "shopify", "orderCreate"), 27);
}
END_TEST

START_TEST(test_already_in_shopify_is_linked)
{
	static const char *const nn[] = { "34", "35", "36" };
	static const char *const names[] = { "#990", "#991", "#992" };
	static const char *const gids[] = { "gid://shopify/Order/5830000990",
					     "gid://shopify/Order/5830000991",
					     "gid://shopify/Order/5830000992" };
	json_t *now = harness_shopify_orders(&W.s);
	struct probs p = { .n = 0 };
	const json_t *sh, *r;
	char id[40];
	int i;

	NEED_WORLD();
	for (i = 0; i < 3; i++) {
		full_id(nn[i], id, sizeof(id));
		if (sh_count(now, id, &sh) != 1 || !streq(sv(sh, "id"), gids[i]))
			prob(&p, "%s: %d Shopify orders (expected only %s)", nn[i],
			     sh_count(now, id, NULL), gids[i]);
		if (creates_for(W.run[0].sh_log, id, NULL) != 0)
			prob(&p, "%s: orderCreate sent", nn[i]);
		r = row1(nn[i]);
		if (r == NULL || !streq(sv(r, "shopify_order"), names[i]) ||
		    streq(sv(r, "action"), "create_order"))
			prob(&p, "%s: report row %s / %s, expected linked to %s", nn[i],
			     r ? sv(r, "action") : "-", r ? sv(r, "shopify_order") : "-",
			     names[i]);
	}
	json_decref(now);
	PROBS_NONE(&p);
}
END_TEST

START_TEST(test_totals_mismatch_shows_both_figures)
{
	const json_t *r = row1("38");
	const char *why38;

	NEED_WORLD();
	ck_assert_ptr_nonnull(r);
	why38 = sv(r, "reason");
	ck_assert_str_eq(sv(r, "reason_code"), "TOTALS_MISMATCH");
	ck_assert_msg((strstr(why38, "35.98") && strstr(why38, "35.99")) ||
		      (strstr(why38, "40.97") && strstr(why38, "40.98")),
		      "38 must show both figures: %s", why38);
}
END_TEST

START_TEST(test_skips_carry_their_reason)
{
	const json_t *r20 = row1("20"), *r21 = row1("21"), *r23 = row1("23"), *r25 = row1("25");

	NEED_WORLD();
	ck_assert_ptr_nonnull(r20);
	ck_assert_ptr_nonnull(r25);
	ck_assert_msg(strstr(sv(r20, "reason"), "TikTok") != NULL, "20: %s", sv(r20, "reason"));
	ck_assert_msg(strcasestr(sv(r21, "reason"), "paid") != NULL, "21: %s", sv(r21, "reason"));
	ck_assert_msg(strcasestr(sv(r23, "reason"), "hold") != NULL, "23: %s", sv(r23, "reason"));
	ck_assert_msg(strcasestr(sv(r25, "reason"), "cancel") != NULL, "25: %s", sv(r25, "reason"));
}
END_TEST

/* ---- run 2: unchanged; run 3: later-eligible ---------------------------- */

START_TEST(test_unchanged_run_writes_nothing)
{
	struct probs p = { .n = 0 };
	const json_t *e;
	size_t i;

	NEED_WORLD();
	json_array_foreach(W.run[1].sh_log, i, e) {
		json_t *one = json_pack("[O]", e);

		if (harness_log_writes(one, "shopify", NULL))
			prob(&p, "Shopify write: %.300s", sv(e, "body"));
		json_decref(one);
	}
	json_array_foreach(W.run[1].tt_log, i, e)
		if (streq(sv(e, "method"), "POST") && strncmp(sv(e, "path"), "/fulfillment/", 13) == 0)
			prob(&p, "TikTok write: POST %s %.200s", sv(e, "path"), sv(e, "body"));
	ck_assert_int_eq(harness_log_writes(W.run[1].tt_log, "tiktok", NULL), 0);
	PROBS_NONE(&p);
	/* The failures are still open: exit 1, nothing else. */
	ck_assert_msg(W.run[1].r.status == 1, "run 2 exit %d\n%s", W.run[1].r.status,
		      W.run[1].r.err);
}
END_TEST

/* The order-search requests of a log slice. */
static json_t *searches(const json_t *log)
{
	json_t *out = json_array();
	const json_t *e;
	size_t i;

	json_array_foreach(log, i, e)
		if (streq(sv(e, "path"), "/order/202309/orders/search"))
			json_array_append(out, (json_t *)e);
	return out;
}

static long long body_int(const json_t *req, const char *key, int *present)
{
	json_t *b = json_loads(sv(req, "body"), 0, NULL), *v = json_object_get(b, key);
	long long x = json_is_integer(v) ? (long long)json_integer_value(v) : -1;

	*present = v != NULL;
	json_decref(b);
	return x;
}

START_TEST(test_cursor_windows)
{
	json_t *s1 = searches(W.run[0].tt_log), *s2 = searches(W.run[1].tt_log);
	json_t *s3 = searches(W.run[2].tt_log), *resp;
	const json_t *e;
	long long t0 = W.run[0].now, t1 = W.run[1].now, t3 = W.run[2].now;
	size_t i, orders = 0;
	int pr;

	NEED_WORLD();
	/* Run 1: the past 7 days by create time, paged to the end. */
	ck_assert_msg(json_array_size(s1) >= 3, "run 1: %zu search pages for 43 orders "
		      "at page size %d", json_array_size(s1), PAGE);
	json_array_foreach(s1, i, e) {
		const char *q = sv(e, "query");
		const char *next;

		ck_assert_int_eq(body_int(e, "create_time_ge", &pr), t0 - BACKFILL);
		ck_assert_int_eq(body_int(e, "create_time_lt", &pr), t0);
		body_int(e, "update_time_ge", &pr);
		ck_assert_msg(!pr, "run 1 searched by update time: %s", sv(e, "body"));
		ck_assert_msg((i == 0) == (strstr(q, "page_token=") == NULL),
			      "page %zu: page_token in '%s'", i, q);
		resp = json_loads(sv(e, "response"), 0, NULL);
		orders += json_array_size(json_object_get(json_object_get(resp, "data"), "orders"));
		next = sv(json_object_get(resp, "data"), "next_page_token");
		ck_assert_msg((i + 1 == json_array_size(s1)) == (*next == '\0'),
			      "page %zu: next_page_token '%s'", i, next);
		json_decref(resp);
	}
	ck_assert_int_eq(orders, 43);
	/* Run 2 and run 3: by update time, from the cursor minus the overlap. */
	ck_assert_msg(json_array_size(s2) >= 1, "run 2 did not search");
	json_array_foreach(s2, i, e) {
		ck_assert_int_eq(body_int(e, "update_time_ge", &pr), t0 - OVERLAP);
		ck_assert_int_eq(body_int(e, "update_time_lt", &pr), t1);
		body_int(e, "create_time_ge", &pr);
		ck_assert_msg(!pr, "run 2 searched by create time: %s", sv(e, "body"));
	}
	ck_assert_msg(json_array_size(s3) >= 1, "run 3 did not search");
	json_array_foreach(s3, i, e) {
		ck_assert_int_eq(body_int(e, "update_time_ge", &pr), t1 - OVERLAP);
		ck_assert_int_eq(body_int(e, "update_time_lt", &pr), t3);
	}
	json_decref(s1);
	json_decref(s2);
	json_decref(s3);
}
END_TEST

START_TEST(test_later_eligible_orders_created_next_run)
{
	json_t *now = harness_shopify_orders(&W.s), *req = NULL;
	struct probs p = { .n = 0 };
	const json_t *sh, *row;
	static const char *const nn[] = { "22", "24" };
	char id[40];
	int i;

	NEED_WORLD();
	ck_assert_msg(W.run[2].r.status == 1, "run 3 exit %d\n%s", W.run[2].r.status,
		      W.run[2].r.err);
	ck_assert_int_eq(harness_log_writes(W.run[2].sh_log, "shopify", "orderCreate"), 2);
	for (i = 0; i < 2; i++) {
		full_id(nn[i], id, sizeof(id));
		if (sh_count(W.sh_after1, id, NULL) != 0)
			prob(&p, "%s: created while not eligible", nn[i]);
		if (sh_count(now, id, &sh) != 1) {
			prob(&p, "%s: %d Shopify orders after run 3", nn[i],
			     sh_count(now, id, NULL));
			continue;
		}
		if (creates_for(W.run[2].sh_log, id, &req) != 1)
			prob(&p, "%s: not one orderCreate in run 3", nn[i]);
		/* The address TikTok reveals once paid/released is the one sent. */
		check_mapping(&p, nn[i], sh, req);
		check_money(&p, nn[i], sh);
		json_decref(req);
		req = NULL;
		if (order_rows(W.run[2].items, id, &row) != 1 || !streq(sv(row, "status"), "synced"))
			prob(&p, "%s: run 3's report row missing or not synced", nn[i]);
	}
	/* 21 (still unpaid) and 23 (still on hold) stay out. */
	full_id("21", id, sizeof(id));
	if (sh_count(now, id, NULL) != 0)
		prob(&p, "21 created");
	full_id("23", id, sizeof(id));
	if (sh_count(now, id, NULL) != 0)
		prob(&p, "23 created");
	json_decref(now);
	PROBS_NONE(&p);
}
END_TEST

START_TEST(test_status_lists_every_order)
{
	const char *out = W.status.out;
	char id[40], line[256];
	const json_t *sh;
	size_t i;
	const char *at;

	NEED_WORLD();
	ck_assert_int_eq(W.status.status, 0);
	for (i = 1; i <= 43; i++) {
		snprintf(id, sizeof(id), ID_PREFIX "%02zu", i);
		ck_assert_msg(strstr(out, id) != NULL, "status does not list %s", id);
	}
	/* A created order shows Synced and its Shopify name. */
	full_id("01", id, sizeof(id));
	ck_assert_int_eq(sh_count(W.sh_after1, id, &sh), 1);
	at = strstr(out, id);
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(at, "\n"), at);
	ck_assert_msg(strstr(line, "Synced") && strstr(line, sv(sh, "name")), "%s", line);
	/* A skipped one its reason; a failed one reason and remedy. */
	full_id("20", id, sizeof(id));
	at = strstr(out, id);
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(at, "\n"), at);
	ck_assert_msg(strstr(line, "Skipped") && strstr(line, "SKIP_FBT"), "%s", line);
	full_id("30", id, sizeof(id));
	at = strstr(out, id);
	ck_assert_msg(strstr(at, "Sync failed") && strstr(at, "SKU_NOT_LINKED") &&
		      strstr(at, "remedy:"), "%.300s", at);
	/* 22 was created in run 3. */
	full_id("22", id, sizeof(id));
	at = strstr(out, id);
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(at, "\n"), at);
	ck_assert_msg(strstr(line, "Synced") != NULL, "%s", line);
}
END_TEST

START_TEST(test_status_filters)
{
	const char *a1[] = { "status", "--config", W.s.config, "--failed", NULL };
	const char *a2[] = { "status", "--config", W.s.config, ID_PREFIX "30", NULL };
	struct run_result r;

	NEED_WORLD();
	harness_ttsync("ttsync", a1, NULL, 60, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, ID_PREFIX "30") && strstr(r.out, ID_PREFIX "38"),
		      "--failed misses failures:\n%s", r.out);
	ck_assert_msg(strstr(r.out, ID_PREFIX "20") == NULL, "--failed lists a skipped order");
	ck_assert_msg(strstr(r.out, ID_PREFIX "14 ") == NULL, "--failed lists a synced order");
	run_result_free(&r);
	harness_ttsync("ttsync", a2, NULL, 60, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, ID_PREFIX "30") && !strstr(r.out, ID_PREFIX "31"),
		      "status ID:\n%s", r.out);
	run_result_free(&r);
}
END_TEST

/* ---- reports ------------------------------------------------------------- */

static const char *const columns[] = {
	"run_id", "object", "direction", "tiktok_order_id", "shopify_order",
	"action", "status", "reason_code", "reason", "remedy",
};

static char *read_in(const char *dir, const char *name)
{
	char path[1400];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return harness_read_file(path);
}

START_TEST(test_report_files_and_latest)
{
	const char *names[] = { "synced.csv", "failed.csv", "items.csv", "report.html" };
	char want[1200], *txt, *base;
	size_t i, k;

	NEED_WORLD();
	for (k = 0; k < 3; k++) {
		ck_assert_msg(W.run[k].dir[0], "run %zu: no reports/latest", k + 1);
		/* The run folder is named by the run id, printed on stdout. */
		base = strrchr(W.run[k].dir, '/') + 1;
		ck_assert_msg(strstr(W.run[k].r.out, base) != NULL, "run %zu stdout: %s",
			      k + 1, W.run[k].r.out);
		ck_assert_str_eq(sv(json_array_get(W.run[k].items, 0), "run_id"), base);
		for (i = 0; i < 4; i++) {
			txt = read_in(W.run[k].dir, names[i]);
			ck_assert_msg(txt != NULL, "run %zu: no %s", k + 1, names[i]);
			free(txt);
		}
	}
	ck_assert_str_ne(W.run[0].dir, W.run[1].dir);
	/* reports/latest is the newest run, run 3. */
	snprintf(want, sizeof(want), "%s", harness_report_path(&W.s, "items.csv"));
	txt = harness_read_file(want);
	base = read_in(W.run[2].dir, "items.csv");
	ck_assert_ptr_nonnull(txt);
	ck_assert_ptr_nonnull(base);
	ck_assert_str_eq(txt, base);
	free(txt);
	free(base);
}
END_TEST

START_TEST(test_csv_header_and_split)
{
	const char *names[] = { "synced.csv", "failed.csv", "items.csv" };
	char *txt, *p;
	size_t i, k;
	const json_t *r;

	NEED_WORLD();
	for (i = 0; i < 3; i++) {
		txt = read_in(W.run[0].dir, names[i]);
		ck_assert_ptr_nonnull(txt);
		/* The header: the documented columns first, in order. */
		p = txt;
		for (k = 0; k < sizeof(columns) / sizeof(columns[0]); k++) {
			char cell[64];

			snprintf(cell, sizeof(cell), "\"%s\"", columns[k]);
			if (strncmp(p, cell, strlen(cell)) == 0)
				p += strlen(cell);
			else if (strncmp(p, columns[k], strlen(columns[k])) == 0)
				p += strlen(columns[k]);
			else
				ck_abort_msg("%s: column %zu is not %s: %.200s", names[i], k,
					     columns[k], txt);
			ck_assert_msg(*p == ',', "%s: header ends after %s", names[i], columns[k]);
			p++;
		}
		free(txt);
	}
	/* synced.csv holds synced items only, failed.csv failed items only,
	 * and items.csv has them all. */
	txt = read_in(W.run[0].dir, "failed.csv");
	ck_assert_msg(strstr(txt, ID_PREFIX "30") && !strstr(txt, "\"synced\""),
		      "failed.csv of run 1 wrong");
	free(txt);
	txt = read_in(W.run[0].dir, "synced.csv");
	ck_assert_msg(strstr(txt, ID_PREFIX "01") && !strstr(txt, "\"failed\"") &&
		      !strstr(txt, ID_PREFIX "30"), "synced.csv of run 1 wrong");
	free(txt);
	json_array_foreach(W.run[0].items, i, r) {
		const char *st = sv(r, "status");

		ck_assert_msg(streq(st, "synced") || streq(st, "failed") ||
			      streq(st, "skipped") || streq(st, "not_synced"),
			      "status '%s'", st);
	}
}
END_TEST

/* Every cell of every CSV of the run: none a spreadsheet would run. */
static int formula_cell(const json_t *rows, char *where, size_t n)
{
	const json_t *r, *v;
	const char *k;
	size_t i;

	json_array_foreach(rows, i, r) {
		json_object_foreach((json_t *)r, k, v) {
			const char *c = json_string_value(v);

			if (c && (*c == '=' || *c == '+' || *c == '-' || *c == '@' ||
				  *c == '\t' || *c == '\r')) {
				snprintf(where, n, "row %zu column %s: %.80s", i, k, c);
				return 1;
			}
		}
	}
	return 0;
}

static int row_has_cell(const json_t *row, const char *prefix)
{
	const char *k;
	const json_t *v;

	json_object_foreach((json_t *)row, k, v)
		if (json_string_value(v) &&
		    strncmp(json_string_value(v), prefix, strlen(prefix)) == 0)
			return 1;
	return 0;
}

START_TEST(test_csv_neutralises_buyer_formulas)
{
	char where[256];
	const json_t *r07 = row1("07"), *r40 = row1("40");

	NEED_WORLD();
	ck_assert_msg(!formula_cell(W.run[0].items, where, sizeof(where)),
		      "items.csv: a cell a spreadsheet would evaluate: %s", where);
	ck_assert_ptr_nonnull(r07);
	ck_assert_ptr_nonnull(r40);
	/* CASES.md 07 / 40: the buyer's text is in the report, neutralised
	 * (a leading single quote), not left out.
	 * KNOWN FAILURE (reported): no report carries buyer-typed text
	 * (message, recipient name) at all yet. */
	ck_assert_msg(row_has_cell(r07, "'=HYPERLINK("),
		      "order 07: no neutralised buyer message cell in items.csv");
	ck_assert_msg(row_has_cell(r40, "'-2+3 @SUM(1+1)"),
		      "order 40: no neutralised buyer message cell in items.csv");
	ck_assert_msg(row_has_cell(r40, "'@lex"),
		      "order 40: no neutralised buyer name cell ('@lex ...') in items.csv");
}
END_TEST

START_TEST(test_html_escapes_buyer_text_and_links)
{
	char *html, frag[300];
	const json_t *sh;
	char id[40];
	size_t i;

	NEED_WORLD();
	html = read_in(W.run[0].dir, "report.html");
	ck_assert_ptr_nonnull(html);
	ck_assert_msg(strstr(html, "<script>alert") == NULL, "raw <script> from order 39");
	ck_assert_msg(strstr(html, "<img src=x") == NULL, "raw <img> from order 39");
	/* CASES.md 39: the page shows the text, escaped.
	 * KNOWN FAILURE (reported): buyer text is not in the reports yet. */
	ck_assert_msg(strstr(html, "&lt;script&gt;alert(") != NULL,
		      "report.html does not show order 39's buyer message (escaped)");
	/* Links to TikTok Seller Center and Shopify admin for every item. */
	for (i = 0; i < sizeof(created1) / sizeof(created1[0]); i++) {
		full_id(created1[i], id, sizeof(id));
		snprintf(frag, sizeof(frag), "https://seller-us.tiktok.com/order/detail?order_no=%s", id);
		ck_assert_msg(strstr(html, frag) != NULL, "no Seller Center link for %s", id);
		ck_assert_int_eq(sh_count(W.sh_after1, id, &sh), 1);
		snprintf(frag, sizeof(frag), "/admin/orders/%s",
			 strrchr(sv(sh, "id"), '/') + 1);
		ck_assert_msg(strstr(html, frag) != NULL, "no Shopify admin link for %s (%s)",
			      id, frag);
	}
	free(html);
}
END_TEST

/* ---- secrets --------------------------------------------------------------- */

static void scan_text(struct probs *p, const char *what, const char *txt,
		      const char *const *needles, size_t n)
{
	size_t i;

	for (i = 0; txt && i < n; i++)
		if (needles[i] && *needles[i] && strstr(txt, needles[i]))
			prob(p, "%s contains secret #%zu", what, i);
}

static void scan_dir(struct probs *p, const char *dir, const char *const *needles, size_t n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[1200];
	struct stat sb;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, "latest") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			scan_dir(p, path, needles, n);
		} else {
			char *txt = harness_read_file(path);

			scan_text(p, path, txt, needles, n);
			free(txt);
		}
	}
	closedir(d);
}

START_TEST(test_no_secret_in_output_or_reports)
{
	const char *needles[8];
	char *tok_line, access[256] = "", refresh[256] = "";
	struct probs p = { .n = 0 };
	size_t n = 0, i;

	NEED_WORLD();
	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		needles[n++] = secrets[i];
	/* The pair in the state (a refreshed one, if any) counts too. */
	ck_assert_ptr_nonnull(W.state_dump);
	tok_line = strstr(W.state_dump, "[token]\n");
	if (tok_line) {
		char *f = tok_line + 8, *sep;

		sep = strchr(f, '\x1f');		/* id */
		if (sep) {
			f = sep + 1;
			sep = strchr(f, '\x1f');	/* access token */
			if (sep) {
				snprintf(access, sizeof(access), "%.*s", (int)(sep - f), f);
				f = strchr(sep + 1, '\x1f');	/* after expiry */
				if (f) {
					f++;
					sep = strchr(f, '\x1f');
					if (sep)
						snprintf(refresh, sizeof(refresh), "%.*s",
							 (int)(sep - f), f);
				}
			}
		}
	}
	needles[n++] = access;
	needles[n++] = refresh;
	for (i = 0; i < 3; i++) {
		scan_text(&p, "stdout", W.run[i].r.out, needles, n);
		scan_text(&p, "stderr", W.run[i].r.err, needles, n);
	}
	/* Run 3 ran with debug logging: it did log. */
	ck_assert_msg(strstr(W.run[2].r.err, "debug") != NULL, "TTSYNC_LOG=3 printed no debug");
	scan_text(&p, "status", W.status.out, needles, n);
	scan_dir(&p, W.s.reports, needles, n);
	PROBS_NONE(&p);
}
END_TEST

static Suite *orders_suite(void)
{
	Suite *s = suite_create("e2e_orders");
	TCase *tc = tcase_create("demo_store");

	tcase_add_unchecked_fixture(tc, world_up, world_down);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_run1_exit_and_write_counts);
	tcase_add_test(tc, test_run1_outcome_of_every_order);
	tcase_add_test(tc, test_created_exactly_once_with_spec_mapping);
	tcase_add_test(tc, test_money_to_the_cent);
	tcase_add_test(tc, test_not_created_orders);
	tcase_add_test(tc, test_sku_failures_name_the_sku);
	tcase_add_test(tc, test_malformed_order_fails_alone);
	tcase_add_test(tc, test_already_in_shopify_is_linked);
	tcase_add_test(tc, test_totals_mismatch_shows_both_figures);
	tcase_add_test(tc, test_skips_carry_their_reason);
	tcase_add_test(tc, test_unchanged_run_writes_nothing);
	tcase_add_test(tc, test_cursor_windows);
	tcase_add_test(tc, test_later_eligible_orders_created_next_run);
	tcase_add_test(tc, test_status_lists_every_order);
	tcase_add_test(tc, test_status_filters);
	tcase_add_test(tc, test_report_files_and_latest);
	tcase_add_test(tc, test_csv_header_and_split);
	tcase_add_test(tc, test_csv_neutralises_buyer_formulas);
	tcase_add_test(tc, test_html_escapes_buyer_text_and_links);
	tcase_add_test(tc, test_no_secret_in_output_or_reports);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(orders_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

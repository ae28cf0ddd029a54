/*
 * check_e2e_orders_modes.c - end-to-end acceptance of order sync's modes
 * (issue 3) on the demo store, against the real ttsync binary and both
 * emulators:
 *   - automatic order sync off (the default): eligible orders recorded as
 *     Not synced (AUTO_SYNC_OFF) in items.csv and `ttsync status`, no
 *     orderCreate; `ttsync sync orders ID...` creates exactly those;
 *     `--all-not-synced` the rest; switching it on creates them in the
 *     next run;
 *   - product links: `ttsync link` by Shopify SKU and by variant GID,
 *     refused for an ambiguous SKU or a missing variant, --list, --remove;
 *     a previously unlinked (or ambiguous) order then syncs with the linked
 *     variant;
 *   - --dry-run: every action computed and reported (marked dry run), no
 *     write call, the state (rows, cursor, runs) and `ttsync status`
 *     unchanged.
 * Each store's whole story is played by an unchecked fixture in the
 * parent process; the tests (forked) read what it recorded. Owns the
 * stores and results for the suite's lifetime.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define ID_PREFIX "5769120043718200"

/* Created by a run with automatic sync on (CASES.md run 1). */
static const char *const created1[] = {
	"01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12",
	"13", "14", "15", "16", "17", "18", "19", "26", "27", "29", "39", "40",
	"41", "42", "43",
};
#define NCREATED1 (sizeof(created1) / sizeof(created1[0]))

/* ---- small helpers ------------------------------------------------------ */

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

/* orderCreate requests of a log slice for one TikTok id. */
static int creates_for(const json_t *log, const char *id)
{
	const json_t *e;
	size_t i;
	int n = 0;

	json_array_foreach(log, i, e) {
		const char *body = json_string_value(json_object_get(e, "body"));
		json_t *b;

		if (body == NULL || strstr(body, "orderCreate") == NULL)
			continue;
		b = json_loads(body, 0, NULL);
		n += streq(sv(json_object_get(json_object_get(b, "variables"), "order"),
			      "sourceIdentifier"), id);
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

/* The `ttsync status` line of one order (static buffer; "" if absent). */
static const char *status_line(const char *out, const char *id)
{
	static char line[300];
	const char *at = out ? strstr(out, id) : NULL;

	line[0] = '\0';
	if (at)
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(at, "\n"), at);
	return line;
}

struct probs {
	char buf[3000];
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

/* One ttsync invocation and what it sent / wrote. */
struct step {
	struct run_result r;
	long long now;
	json_t *tt_log, *sh_log;	/* requests it sent */
	json_t *items;			/* newest items.csv after it */
	char *state;			/* harness_state_dump() after it */
	struct run_result status;	/* `ttsync status` after it */
};

static void step_free(struct step *st)
{
	run_result_free(&st->r);
	run_result_free(&st->status);
	json_decref(st->tt_log);
	json_decref(st->sh_log);
	json_decref(st->items);
	free(st->state);
	memset(st, 0, sizeof(*st));
}

/* Run ttsync with args (after the program name) `advance` seconds later
 * on both clocks and record it. Returns -1 if the emulators are gone. */
static int step_run(struct store *s, struct step *st, long long advance,
		    const char *const *args)
{
	const char *sargs[] = { "status", "--config", s->config, NULL };
	long tm, sm;

	memset(st, 0, sizeof(*st));
	st->now = harness_store_advance(s, advance);
	tm = harness_log_mark(&s->tt);
	sm = harness_log_mark(&s->sh);
	if (st->now < 0 || tm < 0 || sm < 0)
		return -1;
	harness_ttsync_at(st->now, args, NULL, 180, &st->r);
	st->tt_log = harness_log_since(&s->tt, tm);
	st->sh_log = harness_log_since(&s->sh, sm);
	st->items = harness_report_csv(s, "items.csv");
	st->state = harness_state_dump(s->state);
	harness_ttsync_at(st->now, sargs, NULL, 60, &st->status);
	return st->tt_log && st->sh_log ? 0 : -1;
}

static json_t *ev(const char *type, const char *nn)
{
	char id[40];

	full_id(nn, id, sizeof(id));
	return json_pack("{s:s,s:s}", "type", type, "order_id", id);
}

/* ======================================================================
 * Store B: automatic sync off; manual sync by id; links; --all-not-synced
 * ====================================================================== */

enum { B_RUN1, B_SYNC_0102, B_SYNC_UNKNOWN, B_SYNC_3132, B_SYNC_ALL, B_RUN2, B_NSTEPS };
enum { L_BY_SKU, L_AMBIGUOUS, L_BY_GID, L_NO_VARIANT, L_LIST, L_REMOVE, L_LIST2,
       L_REMOVE_AGAIN, L_NCMDS };

static struct {
	int ok;
	char why[256];
	struct store s;
	struct step st[B_NSTEPS];
	struct run_result link[L_NCMDS];
	long link_sh_writes;		/* Shopify writes by the link commands */
	json_t *sh_final;
} B;

static void b_up(void)
{
	struct store_opts o;
	const char *cfg;

	memset(&B, 0, sizeof(B));
	memset(&o, 0, sizeof(o));	/* order_auto_sync: the default (off) */
	if (harness_store_start("modes-off", &o, &B.s) != 0) {
		snprintf(B.why, sizeof(B.why), "the emulators did not start");
		return;
	}
	cfg = B.s.config;
	{
		const char *run[] = { "run", "--config", cfg, NULL };
		const char *s0102[] = { "sync", "orders", "--config", cfg,
					ID_PREFIX "01", ID_PREFIX "02", NULL };
		const char *sunk[] = { "sync", "orders", "--config", cfg,
				       "576912004371829999", NULL };
		const char *s3132[] = { "sync", "orders", "--config", cfg,
					ID_PREFIX "31", ID_PREFIX "32", NULL };
		const char *sall[] = { "sync", "orders", "--config", cfg,
				       "--all-not-synced", NULL };
		const char *l_sku[] = { "link", "--config", cfg, "--tiktok-sku",
					"SCRUNCHIE-CHAMP", "--shopify-sku", "SCRUNCHIE-BLK", NULL };
		const char *l_amb[] = { "link", "--config", cfg, "--tiktok-sku",
					"CAP-OLIVE", "--shopify-sku", "CAP-OLIVE", NULL };
		const char *l_gid[] = { "link", "--config", cfg, "--tiktok-sku", "CAP-OLIVE",
					"--variant", "gid://shopify/ProductVariant/44010000016", NULL };
		const char *l_none[] = { "link", "--config", cfg, "--tiktok-sku", "SCARF-PLAID",
					 "--variant", "gid://shopify/ProductVariant/44019999999", NULL };
		const char *l_list[] = { "link", "--config", cfg, "--list", NULL };
		const char *l_rm[] = { "link", "--config", cfg, "--remove", "--tiktok-sku",
				       "SCRUNCHIE-CHAMP", NULL };
		long sm;
		json_t *lg;

		if (step_run(&B.s, &B.st[B_RUN1], 0, run) ||
		    step_run(&B.s, &B.st[B_SYNC_0102], 60, s0102) ||
		    step_run(&B.s, &B.st[B_SYNC_UNKNOWN], 60, sunk))
			goto gone;
		sm = harness_log_mark(&B.s.sh);
		harness_ttsync("ttsync", l_sku, NULL, 60, &B.link[L_BY_SKU]);
		harness_ttsync("ttsync", l_amb, NULL, 60, &B.link[L_AMBIGUOUS]);
		harness_ttsync("ttsync", l_gid, NULL, 60, &B.link[L_BY_GID]);
		harness_ttsync("ttsync", l_none, NULL, 60, &B.link[L_NO_VARIANT]);
		harness_ttsync("ttsync", l_list, NULL, 60, &B.link[L_LIST]);
		lg = harness_log_since(&B.s.sh, sm);
		B.link_sh_writes = lg ? harness_log_writes(lg, "shopify", NULL) : -1;
		json_decref(lg);
		if (step_run(&B.s, &B.st[B_SYNC_3132], 60, s3132))
			goto gone;
		harness_ttsync("ttsync", l_rm, NULL, 60, &B.link[L_REMOVE]);
		harness_ttsync("ttsync", l_list, NULL, 60, &B.link[L_LIST2]);
		harness_ttsync("ttsync", l_rm, NULL, 60, &B.link[L_REMOVE_AGAIN]);
		if (step_run(&B.s, &B.st[B_SYNC_ALL], 60, sall) ||
		    step_run(&B.s, &B.st[B_RUN2], 3600, run))
			goto gone;
	}
	B.sh_final = harness_shopify_orders(&B.s);
	B.ok = B.sh_final != NULL;
	return;
gone:
	snprintf(B.why, sizeof(B.why), "an emulator stopped answering");
}

static void b_down(void)
{
	int i;

	harness_store_stop(&B.s);
	harness_rmtree(B.s.dir);
	for (i = 0; i < B_NSTEPS; i++)
		step_free(&B.st[i]);
	for (i = 0; i < L_NCMDS; i++)
		run_result_free(&B.link[i]);
	json_decref(B.sh_final);
}

#define NEED_B() ck_assert_msg(B.ok, "store set-up failed: %s", B.why)

START_TEST(test_off_records_not_synced_and_creates_nothing)
{
	const struct step *st = &B.st[B_RUN1];
	struct probs p = { .n = 0 };
	const json_t *row;
	const char *line;
	char id[40];
	size_t i;

	NEED_B();
	ck_assert_int_eq(harness_log_writes(st->sh_log, "shopify", "orderCreate"), 0);
	ck_assert_ptr_nonnull(st->items);
	for (i = 0; i < NCREATED1; i++) {
		full_id(created1[i], id, sizeof(id));
		if (order_rows(st->items, id, &row) != 1 ||
		    !streq(sv(row, "status"), "not_synced") ||
		    !streq(sv(row, "reason_code"), "AUTO_SYNC_OFF"))
			prob(&p, "%s: items.csv %s %s", created1[i], row ? sv(row, "status") : "-",
			     row ? sv(row, "reason_code") : "-");
		line = status_line(st->status.out, id);
		if (!strstr(line, "Not synced") || !strstr(line, "AUTO_SYNC_OFF"))
			prob(&p, "%s: status line '%s'", created1[i], line);
	}
	/* Not eligible stays skipped, with its reason, also with sync off. */
	full_id("20", id, sizeof(id));
	if (order_rows(st->items, id, &row) != 1 || !streq(sv(row, "reason_code"), "SKIP_FBT"))
		prob(&p, "20: not reported SKIP_FBT");
	full_id("21", id, sizeof(id));
	if (order_rows(st->items, id, &row) != 1 || !streq(sv(row, "reason_code"), "SKIP_UNPAID"))
		prob(&p, "21: not reported SKIP_UNPAID");
	if (!strstr(st->status.out, "not synced"))
		prob(&p, "status has no summary of not synced orders");
	PROBS_NONE(&p);
	ck_assert_int_eq(json_array_size(B.st[B_RUN1].items) > 0, 1);
}
END_TEST

START_TEST(test_sync_orders_by_id_creates_only_those)
{
	const struct step *st = &B.st[B_SYNC_0102];
	json_t *sh = harness_shopify_orders(&B.s);
	const json_t *row, *o;
	char id[40];
	size_t i;

	NEED_B();
	ck_assert_msg(st->r.status == 0, "sync orders 01 02: exit %d\n%s", st->r.status,
		      st->r.err);
	ck_assert_int_eq(harness_log_writes(st->sh_log, "shopify", "orderCreate"), 2);
	full_id("01", id, sizeof(id));
	ck_assert_int_eq(creates_for(st->sh_log, id), 1);
	ck_assert_int_eq(sh_count(sh, id, &o), 1);
	ck_assert_int_eq(order_rows(st->items, id, &row), 1);
	ck_assert_str_eq(sv(row, "status"), "synced");
	ck_assert_str_eq(sv(row, "shopify_order"), sv(o, "name"));
	ck_assert_msg(strstr(status_line(st->status.out, id), "Synced") != NULL, "%s",
		      status_line(st->status.out, id));
	full_id("02", id, sizeof(id));
	ck_assert_int_eq(creates_for(st->sh_log, id), 1);
	/* The others are still Not synced. */
	for (i = 2; i < NCREATED1; i++) {
		full_id(created1[i], id, sizeof(id));
		ck_assert_msg(strstr(status_line(st->status.out, id), "Not synced") != NULL,
			      "%s", status_line(st->status.out, id));
	}
	json_decref(sh);
}
END_TEST

START_TEST(test_sync_orders_unknown_id)
{
	const struct step *st = &B.st[B_SYNC_UNKNOWN];
	const json_t *row;

	NEED_B();
	ck_assert_msg(st->r.status == 1, "exit %d\n%s", st->r.status, st->r.err);
	ck_assert_int_eq(harness_log_writes(st->sh_log, "shopify", NULL), 0);
	ck_assert_int_eq(order_rows(st->items, "576912004371829999", &row), 1);
	ck_assert_str_eq(sv(row, "status"), "failed");
	ck_assert_str_eq(sv(row, "reason_code"), "ORDER_NOT_FOUND");
}
END_TEST

START_TEST(test_link_commands)
{
	NEED_B();
	ck_assert_msg(B.link[L_BY_SKU].status == 0, "link by SKU: %d %s",
		      B.link[L_BY_SKU].status, B.link[L_BY_SKU].err);
	ck_assert_msg(strstr(B.link[L_BY_SKU].out, "gid://shopify/ProductVariant/44010000017"),
		      "%s", B.link[L_BY_SKU].out);
	/* An ambiguous Shopify SKU is refused, naming both variants. */
	ck_assert_int_eq(B.link[L_AMBIGUOUS].status, 2);
	ck_assert_msg(strstr(B.link[L_AMBIGUOUS].err, "44010000015") &&
		      strstr(B.link[L_AMBIGUOUS].err, "44010000016"), "%s",
		      B.link[L_AMBIGUOUS].err);
	ck_assert_msg(B.link[L_BY_GID].status == 0, "link by GID: %d %s",
		      B.link[L_BY_GID].status, B.link[L_BY_GID].err);
	/* A variant Shopify does not have is refused. */
	ck_assert_int_eq(B.link[L_NO_VARIANT].status, 2);
	ck_assert_msg(strstr(B.link[L_NO_VARIANT].err, "44019999999") != NULL, "%s",
		      B.link[L_NO_VARIANT].err);
	/* Linking reads Shopify, never writes. */
	ck_assert_int_eq(B.link_sh_writes, 0);
	/* --list: both links, each with its variant. */
	ck_assert_int_eq(B.link[L_LIST].status, 0);
	ck_assert_msg(strstr(status_line(B.link[L_LIST].out, "SCRUNCHIE-CHAMP"),
			     "gid://shopify/ProductVariant/44010000017") &&
		      strstr(status_line(B.link[L_LIST].out, "CAP-OLIVE"),
			     "gid://shopify/ProductVariant/44010000016") &&
		      !strstr(B.link[L_LIST].out, "SCARF-PLAID"),
		      "link --list:\n%s", B.link[L_LIST].out);
	/* --remove, then the list has one link; removing again is refused. */
	ck_assert_int_eq(B.link[L_REMOVE].status, 0);
	ck_assert_int_eq(B.link[L_LIST2].status, 0);
	ck_assert_msg(!strstr(B.link[L_LIST2].out, "SCRUNCHIE-CHAMP") &&
		      strstr(B.link[L_LIST2].out, "CAP-OLIVE"), "after --remove:\n%s",
		      B.link[L_LIST2].out);
	ck_assert_int_eq(B.link[L_REMOVE_AGAIN].status, 2);
}
END_TEST

/* The Shopify line of an order for a variant. */
static const json_t *line_of(const json_t *order, const char *variant)
{
	const json_t *l;
	size_t i;

	json_array_foreach(json_object_get(order, "lineItems"), i, l)
		if (streq(sv(l, "variantId"), variant))
			return l;
	return NULL;
}

START_TEST(test_linked_orders_sync_with_the_linked_variant)
{
	const struct step *st = &B.st[B_SYNC_3132];
	json_t *sh = harness_shopify_orders(&B.s);
	const json_t *o, *l, *row;
	char id[40];

	NEED_B();
	ck_assert_msg(st->r.status == 0, "sync orders 31 32: exit %d\n%s", st->r.status,
		      st->r.err);
	ck_assert_int_eq(harness_log_writes(st->sh_log, "shopify", "orderCreate"), 2);
	/* 31: the unlinked SCRUNCHIE-CHAMP now links to SCRUNCHIE-BLK. */
	full_id("31", id, sizeof(id));
	ck_assert_int_eq(creates_for(st->sh_log, id), 1);
	ck_assert_int_eq(sh_count(sh, id, &o), 1);
	l = line_of(o, "gid://shopify/ProductVariant/44010000017");
	ck_assert_msg(l != NULL, "31 not created with the linked variant");
	ck_assert_int_eq(json_integer_value(json_object_get(l, "quantity")), 2);
	ck_assert_msg(streq(sv(l, "price"), "16.0") || streq(sv(l, "price"), "16.00"),
		      "31: price %s", sv(l, "price"));
	ck_assert_msg(streq(sv(o, "total"), "39.32"), "31: total %s (TikTok 39.32)",
		      sv(o, "total"));
	ck_assert_int_eq(order_rows(st->items, id, &row), 1);
	ck_assert_str_eq(sv(row, "status"), "synced");
	/* 32: the ambiguous CAP-OLIVE goes to the variant the merchant chose. */
	full_id("32", id, sizeof(id));
	ck_assert_int_eq(sh_count(sh, id, &o), 1);
	ck_assert_msg(line_of(o, "gid://shopify/ProductVariant/44010000016") != NULL &&
		      line_of(o, "gid://shopify/ProductVariant/44010000015") == NULL,
		      "32 not created with the linked variant");
	json_decref(sh);
}
END_TEST

START_TEST(test_all_not_synced_creates_the_rest)
{
	const struct step *st = &B.st[B_SYNC_ALL];
	struct probs p = { .n = 0 };
	static const char *const linked[] = { "34", "35", "36" };
	static const char *const still_failed[] = { "28", "30", "33", "37", "38" };
	const json_t *row;
	char id[40];
	size_t i;
	int want;

	NEED_B();
	ck_assert_msg(st->r.status == 1, "--all-not-synced: exit %d (28, 30, 33, 37, 38 "
		      "fail)\n%s", st->r.status, st->r.err);
	for (i = 0; i < NCREATED1; i++) {
		full_id(created1[i], id, sizeof(id));
		want = !streq(created1[i], "01") && !streq(created1[i], "02");
		if (creates_for(st->sh_log, id) != want)
			prob(&p, "%s: %d orderCreate, expected %d", created1[i],
			     creates_for(st->sh_log, id), want);
		if (sh_count(B.sh_final, id, NULL) != 1)
			prob(&p, "%s: %d Shopify orders", created1[i],
			     sh_count(B.sh_final, id, NULL));
	}
	if (harness_log_writes(st->sh_log, "shopify", "orderCreate") != (int)NCREATED1 - 2)
		prob(&p, "%d orderCreate in all", harness_log_writes(st->sh_log, "shopify",
								      "orderCreate"));
	for (i = 0; i < 3; i++) {
		full_id(linked[i], id, sizeof(id));
		if (sh_count(B.sh_final, id, NULL) != 1 || creates_for(st->sh_log, id) != 0)
			prob(&p, "%s: not linked to the existing order", linked[i]);
		if (order_rows(st->items, id, &row) != 1 ||
		    !streq(sv(row, "reason_code"), "ALREADY_IN_SHOPIFY"))
			prob(&p, "%s: report row %s", linked[i], row ? sv(row, "reason_code") : "-");
	}
	for (i = 0; i < 5; i++) {
		full_id(still_failed[i], id, sizeof(id));
		if (sh_count(B.sh_final, id, NULL) != 0)
			prob(&p, "%s: created", still_failed[i]);
		if (!strstr(status_line(st->status.out, id), "Sync failed"))
			prob(&p, "%s: status '%s'", still_failed[i],
			     status_line(st->status.out, id));
	}
	/* 3 foreign + 27 + 31 and 32 */
	if (json_array_size(B.sh_final) != 32)
		prob(&p, "%zu Shopify orders, expected 32", json_array_size(B.sh_final));
	PROBS_NONE(&p);
}
END_TEST

START_TEST(test_next_run_with_sync_off_creates_nothing)
{
	NEED_B();
	ck_assert_int_eq(harness_log_writes(B.st[B_RUN2].sh_log, "shopify", "orderCreate"), 0);
}
END_TEST

/* ======================================================================
 * Store C: off for the first run, then switched on
 * ====================================================================== */

static struct {
	int ok;
	struct store s;
	struct step off, on;
} C;

static void c_up(void)
{
	struct store_opts o;

	memset(&C, 0, sizeof(C));
	memset(&o, 0, sizeof(o));
	if (harness_store_start("modes-switch", &o, &C.s) != 0)
		return;
	{
		const char *run[] = { "run", "--config", C.s.config, NULL };

		if (step_run(&C.s, &C.off, 0, run) != 0)
			return;
		o.order_auto_sync = 1;
		if (harness_store_config(&C.s, &o) != 0)
			return;
		/* An hour later: none of the orders changed on TikTok. */
		if (step_run(&C.s, &C.on, 3600, run) != 0)
			return;
	}
	C.ok = 1;
}

static void c_down(void)
{
	harness_store_stop(&C.s);
	harness_rmtree(C.s.dir);
	step_free(&C.off);
	step_free(&C.on);
}

START_TEST(test_switching_on_creates_existing_not_synced)
{
	json_t *sh = harness_shopify_orders(&C.s);
	struct probs p = { .n = 0 };
	char id[40];
	size_t i;

	ck_assert_msg(C.ok, "store set-up failed");
	ck_assert_int_eq(harness_log_writes(C.off.sh_log, "shopify", "orderCreate"), 0);
	ck_assert_msg(C.on.r.status == 1, "exit %d\n%s", C.on.r.status, C.on.r.err);
	for (i = 0; i < NCREATED1; i++) {
		full_id(created1[i], id, sizeof(id));
		if (creates_for(C.on.sh_log, id) != 1 || sh_count(sh, id, NULL) != 1)
			prob(&p, "%s: %d orderCreate, %d Shopify orders", created1[i],
			     creates_for(C.on.sh_log, id), sh_count(sh, id, NULL));
	}
	if (harness_log_writes(C.on.sh_log, "shopify", "orderCreate") != (int)NCREATED1)
		prob(&p, "%d orderCreate", harness_log_writes(C.on.sh_log, "shopify", "orderCreate"));
	json_decref(sh);
	PROBS_NONE(&p);
}
END_TEST

/* ======================================================================
 * Store D: --dry-run
 * ====================================================================== */

enum { D_FRESH_DRY, D_RUN_OFF, D_DRY_ON, D_DRY_SYNC_ALL, D_DRY_SYNC_ID, D_RUN_ON, D_NSTEPS };

static struct {
	int ok;
	char why[256];
	struct store s;
	struct step st[D_NSTEPS];
	int had_state_before;		/* a state file before the first dry run */
	char *html_dry;			/* report.html of D_DRY_ON */
} D;

static void d_up(void)
{
	struct store_opts o;
	const char *cfg;
	json_t *a;

	memset(&D, 0, sizeof(D));
	memset(&o, 0, sizeof(o));
	o.order_auto_sync = 1;
	if (harness_store_start("modes-dry", &o, &D.s) != 0) {
		snprintf(D.why, sizeof(D.why), "the emulators did not start");
		return;
	}
	cfg = D.s.config;
	{
		const char *run[] = { "run", "--config", cfg, NULL };
		const char *dry[] = { "run", "--config", cfg, "--dry-run", NULL };
		const char *dry_all[] = { "sync", "orders", "--config", cfg,
					  "--all-not-synced", "--dry-run", NULL };
		const char *dry_id[] = { "sync", "orders", "--config", cfg, "--dry-run",
					 ID_PREFIX "01", NULL };
		char *pre = harness_state_dump(D.s.state);

		D.had_state_before = pre != NULL;
		free(pre);
		/* The very first run of the store, dry. */
		if (step_run(&D.s, &D.st[D_FRESH_DRY], 0, dry) != 0)
			goto gone;
		/* A real run with automatic sync off records Not synced. */
		o.order_auto_sync = 0;
		if (harness_store_config(&D.s, &o) != 0 ||
		    step_run(&D.s, &D.st[D_RUN_OFF], 60, run) != 0)
			goto gone;
		/* An hour later the buyer of 22 pays. */
		harness_store_advance(&D.s, 3600);
		a = harness_emu_event(&D.s.tt, ev("buyer_pays", "22"));
		if (a == NULL) {
			snprintf(D.why, sizeof(D.why), "buyer_pays 22 refused");
			return;
		}
		json_decref(a);
		/* Two hours after the real run: dry runs with sync on. */
		o.order_auto_sync = 1;
		if (harness_store_config(&D.s, &o) != 0 ||
		    step_run(&D.s, &D.st[D_DRY_ON], 3600, dry) != 0)
			goto gone;
		D.html_dry = harness_read_file(harness_report_path(&D.s, "report.html"));
		if (step_run(&D.s, &D.st[D_DRY_SYNC_ALL], 60, dry_all) != 0 ||
		    step_run(&D.s, &D.st[D_DRY_SYNC_ID], 60, dry_id) != 0)
			goto gone;
		/* Three hours after the real run (the overlap is 15 min): if a
		 * dry run had moved the cursor, 22's payment is missed. */
		if (step_run(&D.s, &D.st[D_RUN_ON], 3600, run) != 0)
			goto gone;
	}
	D.ok = 1;
	return;
gone:
	if (!D.why[0])
		snprintf(D.why, sizeof(D.why), "an emulator stopped answering");
}

static void d_down(void)
{
	int i;

	harness_store_stop(&D.s);
	harness_rmtree(D.s.dir);
	for (i = 0; i < D_NSTEPS; i++)
		step_free(&D.st[i]);
	free(D.html_dry);
}

#define NEED_D() ck_assert_msg(D.ok, "store set-up failed: %s", D.why)

static void no_writes(struct probs *p, const char *what, const struct step *st)
{
	int sw = harness_log_writes(st->sh_log, "shopify", NULL);
	int tw = harness_log_writes(st->tt_log, "tiktok", NULL);

	if (sw != 0 || tw != 0)
		prob(p, "%s: %d Shopify and %d TikTok write calls", what, sw, tw);
}

/* Every table of a state dump empty (only "[name]" lines). */
static int dump_has_rows(const char *dump)
{
	const char *l;

	for (l = dump; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l))
		if (*l != '[' && *l != '\n')
			return 1;
	return 0;
}

static int count_action(const json_t *items, const char *action, int dry_marked)
{
	const json_t *r;
	size_t i;
	int n = 0;

	json_array_foreach(items, i, r)
		if (streq(sv(r, "object"), "order") && streq(sv(r, "action"), action) &&
		    (!dry_marked || strstr(sv(r, "detail"), "dry run")))
			n++;
	return n;
}

START_TEST(test_dry_run_first_run_changes_nothing)
{
	const struct step *st = &D.st[D_FRESH_DRY];
	struct probs p = { .n = 0 };

	NEED_D();
	ck_assert_msg(!D.had_state_before, "the store had a state file already");
	no_writes(&p, "first dry run", st);
	PROBS_NONE(&p);
	ck_assert_msg(st->r.status == 1, "exit %d\n%s", st->r.status, st->r.err);
	ck_assert_msg(strstr(st->r.out, "dry run") != NULL, "stdout: %s", st->r.out);
	/* Reported: every order it would create, marked as a dry run. */
	ck_assert_int_eq(count_action(st->items, "create_order", 1), (int)NCREATED1);
	ck_assert_int_eq(count_action(st->items, "create_order", 0), (int)NCREATED1);
	/* No state: no order, no cursor, no run recorded. */
	ck_assert_msg(st->state == NULL || !dump_has_rows(st->state),
		      "the dry run wrote to the state:\n%.1500s", st->state);
}
END_TEST

START_TEST(test_dry_run_leaves_state_and_status_unchanged)
{
	struct probs p = { .n = 0 };
	const struct step *base = &D.st[D_RUN_OFF];
	int i;

	NEED_D();
	ck_assert_ptr_nonnull(base->state);
	ck_assert_msg(strstr(base->state, "[runs]\n") && dump_has_rows(base->state),
		      "the real run recorded nothing");
	for (i = D_DRY_ON; i <= D_DRY_SYNC_ID; i++) {
		const struct step *st = &D.st[i];

		no_writes(&p, i == D_DRY_ON ? "run --dry-run" : "sync orders --dry-run", st);
		if (st->state == NULL || strcmp(st->state, base->state) != 0)
			prob(&p, "step %d: the state changed (rows, cursor or runs)", i);
		if (strcmp(st->status.out, base->status.out) != 0)
			prob(&p, "step %d: `ttsync status` changed", i);
		if (!strstr(st->r.out, "dry run"))
			prob(&p, "step %d: stdout does not say dry run", i);
	}
	PROBS_NONE(&p);
}
END_TEST

START_TEST(test_dry_run_reports_every_action)
{
	const struct step *st = &D.st[D_DRY_ON];
	const json_t *row;
	char id[40];

	NEED_D();
	ck_assert_msg(st->r.status == 1, "exit %d\n%s", st->r.status, st->r.err);
	/* 27 Not synced + 22 (now paid) would be created, marked dry run. */
	ck_assert_int_eq(count_action(st->items, "create_order", 1), (int)NCREATED1 + 1);
	full_id("22", id, sizeof(id));
	ck_assert_int_eq(order_rows(st->items, id, &row), 1);
	ck_assert_str_eq(sv(row, "action"), "create_order");
	/* 34-36 would be linked. */
	full_id("34", id, sizeof(id));
	ck_assert_int_eq(order_rows(st->items, id, &row), 1);
	ck_assert_msg(strstr(sv(row, "detail"), "dry run") && strstr(sv(row, "detail"), "#990"),
		      "34: %s / %s", sv(row, "action"), sv(row, "detail"));
	ck_assert_ptr_nonnull(D.html_dry);
	ck_assert_msg(strcasestr(D.html_dry, "dry run") != NULL, "report.html not marked");
	/* sync orders ID --dry-run reports that one order. */
	full_id("01", id, sizeof(id));
	ck_assert_int_eq(order_rows(D.st[D_DRY_SYNC_ID].items, id, &row), 1);
	ck_assert_str_eq(sv(row, "action"), "create_order");
	ck_assert_msg(strstr(sv(row, "detail"), "dry run") != NULL, "%s", sv(row, "detail"));
}
END_TEST

START_TEST(test_real_run_after_dry_runs_does_the_work)
{
	const struct step *st = &D.st[D_RUN_ON];
	json_t *sh = harness_shopify_orders(&D.s);
	char id[40];
	size_t i;

	NEED_D();
	ck_assert_int_eq(harness_log_writes(st->sh_log, "shopify", "orderCreate"),
			 (int)NCREATED1 + 1);
	for (i = 0; i < NCREATED1; i++) {
		full_id(created1[i], id, sizeof(id));
		ck_assert_int_eq(sh_count(sh, id, NULL), 1);
	}
	/* 22 paid between the real runs: seen although dry runs came between. */
	full_id("22", id, sizeof(id));
	ck_assert_msg(sh_count(sh, id, NULL) == 1, "22 was not created: the dry run "
		      "moved the cursor past its payment");
	json_decref(sh);
}
END_TEST

static Suite *modes_suite(void)
{
	Suite *s = suite_create("e2e_orders_modes");
	TCase *tc;

	tc = tcase_create("auto_off_manual_links");
	tcase_add_unchecked_fixture(tc, b_up, b_down);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_off_records_not_synced_and_creates_nothing);
	tcase_add_test(tc, test_sync_orders_by_id_creates_only_those);
	tcase_add_test(tc, test_sync_orders_unknown_id);
	tcase_add_test(tc, test_link_commands);
	tcase_add_test(tc, test_linked_orders_sync_with_the_linked_variant);
	tcase_add_test(tc, test_all_not_synced_creates_the_rest);
	tcase_add_test(tc, test_next_run_with_sync_off_creates_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("switch_on");
	tcase_add_unchecked_fixture(tc, c_up, c_down);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_switching_on_creates_existing_not_synced);
	suite_add_tcase(s, tc);

	tc = tcase_create("dry_run");
	tcase_add_unchecked_fixture(tc, d_up, d_down);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_dry_run_first_run_changes_nothing);
	tcase_add_test(tc, test_dry_run_leaves_state_and_status_unchanged);
	tcase_add_test(tc, test_dry_run_reports_every_action);
	tcase_add_test(tc, test_real_run_after_dry_runs_does_the_work);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(modes_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

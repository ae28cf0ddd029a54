/*
 * check_e2e_ful_demo.c - the demo store end to end, as `make demo` plays
 * it (tests/demo.sh): run 1, the events of fixtures/demo/events.json
 * (build/emu-events), run 2, then a third run with nothing new. Every row
 * of fixtures/demo/CASES.md is held to its expected outcome: the write
 * calls each platform received for each order in each run (attributed
 * from the request logs), the order and fulfillment records in ttsync's
 * state after run 2, and the report details the table names. The third
 * run makes no write call on either platform. The whole story is played
 * twice: with the default settings, and with the orders stage working
 * through the window 3 orders at a time (settings.chunk_orders).
 *
 * The two edit_tracking events of events.json name fixture fulfillment
 * ids the Shopify emulator does not keep yet; the same edits are made
 * with the ids read from the emulator's state.
 */
#include "ful_common.h"

enum { W_SHIP, W_UPDATE, W_CREATE, W_CANCEL, W_FCREATE, W_FEVENT, W_OTHER, NW };

static const char *const wname[NW] = { "ship", "update", "orderCreate", "orderCancel",
				       "fulfillmentCreate", "fulfillmentEvent", "other" };

#define NORDERS 43

struct writes {
	int n[NORDERS + 1][NW];		/* [NN][kind]; [0] = not attributed */
};

static int nn_of(const char *tt_id)
{
	size_t n = strlen(tt_id);

	return n >= 2 ? atoi(tt_id + n - 2) : 0;
}

/* Attribute the log entries [tt0..] and [sh0..] to demo orders. */
static void count_writes(struct fstore *f, size_t tt0, size_t sh0, struct writes *w)
{
	json_t *tlog = fs_keep(harness_emu_log(&f->s.tt));
	json_t *slog = fs_keep(harness_emu_log(&f->s.sh));
	json_t *tst = fs_keep(harness_emu_get(&f->s.tt, "/_emu/state"));
	json_t *sorders = fs_keep(harness_shopify_orders(&f->s));
	json_t *e, *o, *x, *y;
	size_t i, j, k;

	ck_assert_ptr_nonnull(tlog);
	ck_assert_ptr_nonnull(slog);
	memset(w, 0, sizeof(*w));
	for (i = tt0; i < json_array_size(tlog); i++) {
		const char *path;

		e = json_array_get(tlog, i);
		path = fs_str(e, "path");
		if (strcmp(fs_str(e, "method"), "POST") != 0 ||
		    strncmp(path, "/fulfillment/", 13) != 0)
			continue;
		if (strncmp(path, "/fulfillment/202309/orders/", 27) == 0) {
			char id[32];

			snprintf(id, sizeof(id), "%.18s", path + 27);
			if (strstr(path, "shipping_info/update"))
				w->n[nn_of(id)][W_UPDATE]++;
			else if (strstr(path, "/packages"))
				w->n[nn_of(id)][W_SHIP]++;
			else
				w->n[nn_of(id)][W_OTHER]++;
			continue;
		}
		if (strstr(path, "shipping_info/update")) {
			int who = 0;

			json_array_foreach(json_object_get(tst, "packages"), j, x)
				if (strstr(path, fs_str(x, "id")) != NULL)
					who = nn_of(fs_str(x, "order_id"));
			w->n[who][W_UPDATE]++;
			continue;
		}
		w->n[0][W_OTHER]++;
	}
	for (i = sh0; i < json_array_size(slog); i++) {
		const char *body, *op;
		int kind, who = 0;
		json_t *b;

		e = json_array_get(slog, i);
		body = fs_str(e, "body");
		if (strstr(body, "\"query\":\"mutation ") == NULL)
			continue;
		b = fs_body(e);
		op = fs_str(b, "operationName");
		kind = strcmp(op, "OrderCreate") == 0 ? W_CREATE
		       : strcmp(op, "OrderCancel") == 0 ? W_CANCEL
		       : strcmp(op, "FulfillmentCreate") == 0 ? W_FCREATE
		       : strcmp(op, "FulfillmentEventCreate") == 0 ? W_FEVENT : W_OTHER;
		json_array_foreach(sorders, j, o) {
			const char *sid = fs_str(o, "sourceIdentifier");
			char q[128];

			if (strncmp(sid, "5769120043718200", 16) != 0)
				continue;
			snprintf(q, sizeof(q), "\"%s\"", sid);
			if (strstr(body, q))
				who = nn_of(sid);
			snprintf(q, sizeof(q), "\"%s\"", fs_str(o, "id"));
			if (strstr(body, q))
				who = nn_of(sid);
			json_array_foreach(json_object_get(o, "fulfillmentOrders"), k, x) {
				snprintf(q, sizeof(q), "\"%s\"", fs_str(x, "id"));
				if (strstr(body, q))
					who = nn_of(sid);
			}
			json_array_foreach(json_object_get(o, "fulfillments"), k, y) {
				snprintf(q, sizeof(q), "\"%s\"", fs_str(y, "id"));
				if (strstr(body, q))
					who = nn_of(sid);
			}
		}
		w->n[who][kind]++;
	}
}

/* Expected writes of a run: (order, kind, count); every other cell of
 * the table must be 0. */
struct expect {
	int nn, kind, count;
};

static void assert_writes(const struct writes *w, const struct expect *ex, size_t nex,
			  const char *run)
{
	int want[NORDERS + 1][NW];
	size_t i;
	int nn, k;

	memset(want, 0, sizeof(want));
	for (i = 0; i < nex; i++)
		want[ex[i].nn][ex[i].kind] = ex[i].count;
	for (nn = 0; nn <= NORDERS; nn++)
		for (k = 0; k < NW; k++)
			ck_assert_msg(w->n[nn][k] == want[nn][k],
				      "%s: order %02d received %d %s write(s), CASES.md says %d",
				      run, nn, w->n[nn][k], wname[k], want[nn][k]);
}

static void order_state(struct fstore *f, const char *tt_id, int *status, char *reason,
			size_t rlen)
{
	struct state *st = NULL;
	struct order_rec r;
	struct err e;
	int found = 0;

	err_clear(&e);
	memset(&r, 0, sizeof(r));
	ck_assert_msg(state_open(f->s.state, &st, &e) == 0, "state: %s", e.msg);
	if (state_order_get(st, tt_id, &r, &found, &e) != 0) {
		state_close(st);
		ck_abort_msg("state: %s", e.msg);
	}
	state_close(st);
	ck_assert_msg(found, "order %s not in the state", tt_id);
	*status = (int)r.status;
	snprintf(reason, rlen, "%s", r.reason_code ? r.reason_code : "");
	order_rec_free(&r);
}

/* The fulfillment records of an order, as JSON objects (kept). */
static json_t *ful_recs(struct fstore *f, const char *tt_id)
{
	struct ful_rec *v = NULL;
	size_t n = 0, i, k;
	json_t *out = fs_keep(json_array());

	fs_recs(f, tt_id, &v, &n);
	for (i = 0; i < n; i++) {
		json_t *ids = json_array();

		for (k = 0; k < v[i].ntt_line_ids; k++)
			json_array_append_new(ids, json_string(v[i].tt_line_ids[k]));
		json_array_append_new(out, json_pack(
			"{s:s,s:i,s:i,s:s?,s:s?,s:s?,s:s?,s:s?,s:o,s:i,s:i}", "key", v[i].key,
			"dir", (int)v[i].dir, "status", (int)v[i].status, "reason_code",
			v[i].reason_code, "reason", v[i].reason, "tracking", v[i].tracking_number,
			"provider_id", v[i].provider_id, "package", v[i].tt_package_id,
			"units", ids, "events", v[i].events_sent, "updates", v[i].tracking_updates));
	}
	ful_rec_free_array(v, n);
	return out;
}

/* The one record of the order with this tracking number. */
static json_t *rec_by_tracking(json_t *recs, const char *number)
{
	json_t *r;
	size_t i;

	json_array_foreach(recs, i, r)
		if (strcmp(fs_str(r, "tracking"), number) == 0)
			return r;
	ck_abort_msg("no fulfillment record with tracking %s", number);
	return NULL;
}

static void assert_rec(json_t *r, int dir, int status, const char *code)
{
	ck_assert_msg(json_integer_value(json_object_get(r, "dir")) == dir &&
		      json_integer_value(json_object_get(r, "status")) == status &&
		      strcmp(fs_str(r, "reason_code"), code) == 0,
		      "record %s: dir %d status %d reason %s (want %d %d %s): %s",
		      fs_str(r, "key"), (int)json_integer_value(json_object_get(r, "dir")),
		      (int)json_integer_value(json_object_get(r, "status")),
		      fs_str(r, "reason_code"), dir, status, code, fs_str(r, "reason"));
}

/* Order NN after run 2: status and (when given) reason code. */
static void assert_order(struct fstore *f, const char *nn, int status, const char *code)
{
	char id[32], reason[64];
	int st;

	snprintf(id, sizeof(id), "5769120043718200%s", nn);
	order_state(f, id, &st, reason, sizeof(reason));
	ck_assert_msg(st == status && (code == NULL || strcmp(reason, code) == 0),
		      "order %s: status %d reason %s (want %d %s)", nn, st, reason, status,
		      code ? code : "(any)");
}

static void play_events_json(struct fstore *f)
{
	char path[700];
	const char *argv[8];
	struct run_result r;
	char *line, *save = NULL;
	int ok = 0, refused = 0;

	snprintf(path, sizeof(path), "%s/fixtures/demo/events.json", harness_top());
	argv[0] = "emu-events";
	argv[1] = "--tiktok";
	argv[2] = f->s.tt.base_url;
	argv[3] = "--shopify";
	argv[4] = f->s.sh.base_url;
	argv[5] = path;
	argv[6] = NULL;
	harness_run(argv, NULL, 120, &r);
	/* every event applies, except (for now) the two edit_tracking ones */
	for (line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(line);

		if (strstr(line, "event ") == NULL)
			continue;
		if (n >= 2 && strcmp(line + n - 2, "ok") == 0)
			ok++;
		else if (strstr(line, "edit_tracking") != NULL)
			refused++;
		else
			ck_abort_msg("a demo event was refused: %s", line);
	}
	ck_assert_int_eq(ok + refused, 31);
	run_result_free(&r);
}

START_TEST(demo_two_runs)
{
	static const struct expect run1[] = {
		{ 1, W_CREATE, 1 }, { 2, W_CREATE, 1 }, { 3, W_CREATE, 1 }, { 4, W_CREATE, 1 },
		{ 5, W_CREATE, 1 }, { 6, W_CREATE, 1 }, { 7, W_CREATE, 1 }, { 8, W_CREATE, 1 },
		{ 9, W_CREATE, 1 }, { 10, W_CREATE, 1 }, { 11, W_CREATE, 1 }, { 12, W_CREATE, 1 },
		{ 13, W_CREATE, 1 }, { 14, W_CREATE, 1 }, { 15, W_CREATE, 1 }, { 16, W_CREATE, 1 },
		{ 17, W_CREATE, 1 }, { 18, W_CREATE, 1 }, { 19, W_CREATE, 1 }, { 26, W_CREATE, 1 },
		{ 27, W_CREATE, 1 }, { 29, W_CREATE, 1 }, { 39, W_CREATE, 1 }, { 40, W_CREATE, 1 },
		{ 41, W_CREATE, 1 }, { 42, W_CREATE, 1 }, { 43, W_CREATE, 1 },
		{ 11, W_FCREATE, 1 }, { 12, W_FCREATE, 1 }, { 13, W_FCREATE, 1 },
		{ 14, W_FCREATE, 1 }, { 15, W_FCREATE, 2 },
		{ 12, W_FEVENT, 1 }, { 13, W_FEVENT, 1 }, { 14, W_FEVENT, 1 }, { 36, W_FEVENT, 1 },
		{ 35, W_SHIP, 1 },
	};
	static const struct expect run2[] = {
		{ 22, W_CREATE, 1 }, { 24, W_CREATE, 1 }, { 31, W_CREATE, 1 },
		{ 26, W_CANCEL, 1 },
		{ 9, W_FCREATE, 1 }, { 10, W_FCREATE, 1 }, { 15, W_FCREATE, 1 },
		{ 10, W_FEVENT, 1 }, { 11, W_FEVENT, 1 }, { 12, W_FEVENT, 1 },
		{ 1, W_SHIP, 1 }, { 2, W_SHIP, 1 }, { 3, W_SHIP, 1 }, { 8, W_SHIP, 1 },
		{ 34, W_SHIP, 1 }, { 42, W_SHIP, 2 },
		{ 35, W_UPDATE, 1 },
	};
	struct fstore f;
	struct writes w;
	json_t *recs, *r, *o, *sh, *row, *x;
	size_t tt0, sh0, i;
	char deadline[32], *html2 = NULL;

	/* _i == 1: the same story with the orders stage working through the
	 * window 3 orders at a time (TikTok pages of 4, Shopify pages of 5):
	 * every expectation below holds the same. */
	if (_i == 1) {
		struct store_opts co;

		fs_opts(&co);
		co.extra_settings = "  chunk_orders: 3\n  tiktok_page_size: 4\n"
				   "  shopify_page_size: 5\n";
		fs_start(&f, "ful-demo-chunks", NULL, &co);
	} else {
		fs_start(&f, "ful-demo", NULL, NULL);
	}

	/* ---- run 1 ---- */
	ck_assert_int_eq(fs_run(&f), 1);
	count_writes(&f, 0, 0, &w);
	assert_writes(&w, run1, ARRAY_SIZE(run1), "run 1");
	/* Each SKU is asked of Shopify once a run, however many chunks. */
	{
		json_t *q = fs_keep(harness_log_select(&f.s.sh, "POST", "/admin/",
						       "VariantsBySku"));
		json_t *seen = fs_keep(json_object());
		size_t k;

		ck_assert_ptr_nonnull(q);
		ck_assert_int_gt(json_array_size(q), 0);
		json_array_foreach(q, k, x) {
			json_t *body = json_loads(fs_str(x, "body"), 0, NULL);
			const char *sku = json_string_value(json_object_get(
				json_object_get(body, "variables"), "query"));

			ck_assert_msg(sku != NULL, "a VariantsBySku request without $query");
			ck_assert_msg(json_object_get(seen, sku) == NULL,
				      "run 1 asked Shopify twice for %s", sku);
			json_object_set_new(seen, sku, json_true());
			json_decref(body);
		}
	}
	/* 35: pushed unit 035001 with USPS and #991's number */
	x = fs_body(json_array_get(fs_ship_calls(&f, TT("35")), 0));
	{
		const char *u[] = { UNIT("35", "01"), NULL };

		ck_assert(fs_ids_eq(json_object_get(x, "order_line_item_ids"), u));
	}
	ck_assert_str_eq(fs_str(x, "tracking_number"), "9400111899223188880006");
	ck_assert_str_eq(fs_str(x, "shipping_provider_id"), P_USPS);
	/* 36: synced without a ship call, its event on #992's fulfillment */
	fs_assert_row(fs_row(&f, TT("36"), "order", NULL), "synced", "ALREADY_IN_SHOPIFY");
	recs = ful_recs(&f, TT("36"));
	ck_assert_int_eq(json_array_size(recs), 1);
	assert_rec(json_array_get(recs, 0), FUL_PUSH, SYNC_SYNCED, "");

	/* ---- the events; the two tracking edits with the real ids ---- */
	tt0 = json_array_size(fs_keep(harness_emu_log(&f.s.tt)));
	sh0 = json_array_size(fs_keep(harness_emu_log(&f.s.sh)));
	play_events_json(&f);
	sh = fs_sh_order(&f, TT("35"));
	fs_edit_tracking(&f, fs_str(json_array_get(json_object_get(sh, "fulfillments"), 0), "id"),
			 "9400111899223188880013");
	sh = fs_sh_order(&f, TT("36"));
	fs_edit_tracking(&f, fs_str(json_array_get(json_object_get(sh, "fulfillments"), 0), "id"),
			 "9400111899223177770011");

	/* ---- run 2 ---- */
	ck_assert_int_eq(fs_run(&f), 1);
	count_writes(&f, tt0, sh0, &w);
	assert_writes(&w, run2, ARRAY_SIZE(run2), "run 2");

	/* 01 */
	recs = ful_recs(&f, TT("01"));
	ck_assert_int_eq(json_array_size(recs), 1);
	r = json_array_get(recs, 0);
	assert_rec(r, FUL_PUSH, SYNC_SYNCED, "");
	ck_assert_str_eq(fs_str(r, "tracking"), "9400111899223197428497");
	ck_assert_str_eq(fs_str(r, "provider_id"), P_USPS);
	ck_assert_str_ne(fs_str(r, "package"), "");
	ck_assert_str_eq(fs_str(fs_tt_order(&f, TT("01")), "status"), "AWAITING_COLLECTION");
	/* 02 */
	r = rec_by_tracking(ful_recs(&f, TT("02")), "9405511899561234567819");
	assert_rec(r, FUL_PUSH, SYNC_SYNCED, "");
	{
		const char *u[] = { UNIT("02", "01"), UNIT("02", "02"), NULL };

		ck_assert(fs_ids_eq(json_object_get(r, "units"), u));
	}
	o = fs_tt_order(&f, TT("02"));
	ck_assert_str_eq(fs_str(o, "status"), "PARTIALLY_SHIPPING");
	ck_assert_str_eq(fs_str(fs_tt_line(o, UNIT("02", "03")), "display_status"),
			 "AWAITING_SHIPMENT");
	/* 03 */
	r = rec_by_tracking(ful_recs(&f, TT("03")), "LP00412345678901");
	assert_rec(r, FUL_PUSH, SYNC_SYNCED, "");
	ck_assert_str_eq(fs_str(r, "provider_id"), P_CAINIAO);
	ck_assert_int_eq(json_array_size(json_object_get(r, "units")), 4);
	ck_assert_str_eq(fs_str(fs_tt_order(&f, TT("03")), "status"), "AWAITING_COLLECTION");
	/* 04 */
	r = json_array_get(ful_recs(&f, TT("04")), 0);
	assert_rec(r, FUL_PUSH, SYNC_FAILED, "CARRIER_NOT_INTEGRATED");
	ck_assert_ptr_nonnull(strstr(fs_str(r, "reason"), "Bob's Courier"));
	ck_assert_ptr_nonnull(strstr(fs_str(r, "reason"), "Amazon Shipping"));
	/* 05 */
	r = json_array_get(ful_recs(&f, TT("05")), 0);
	assert_rec(r, FUL_PUSH, SYNC_FAILED, "TRACKING_FORMAT_INVALID");
	ck_assert_ptr_nonnull(strstr(fs_str(r, "reason"), "1Z999AA1012345"));
	ck_assert_ptr_nonnull(strstr(fs_str(r, "reason"), "UPS"));
	/* 06 */
	assert_rec(json_array_get(ful_recs(&f, TT("06")), 0), FUL_PUSH, SYNC_FAILED,
		   "TRACKING_MISSING");
	/* 07: nothing (not fulfilled) */
	ck_assert_int_eq(json_array_size(ful_recs(&f, TT("07"))), 0);
	/* 08: DHL eCommerce, TikTok's warning kept */
	r = rec_by_tracking(ful_recs(&f, TT("08")), "9261290100130436100008");
	assert_rec(r, FUL_PUSH, SYNC_SYNCED, "");
	ck_assert_str_eq(fs_str(r, "provider_id"), P_DHLE);
	row = fs_row(&f, TT("08"), "fulfillment", "ship_package");
	ck_assert_ptr_nonnull(strstr(fs_str(row, "detail"), "also matches the format of USPS"));
	/* 09, 10: pulled; 10 then in transit */
	assert_rec(rec_by_tracking(ful_recs(&f, TT("09")), "9400136109876500090002"),
		   FUL_PULL, SYNC_SYNCED, "");
	r = rec_by_tracking(ful_recs(&f, TT("10")), "1Z4V8E690310101016");
	assert_rec(r, FUL_PULL, SYNC_SYNCED, "");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "events")), FUL_EVENT_IN_TRANSIT);
	x = json_array_get(json_object_get(fs_sh_order(&f, TT("10")), "fulfillments"), 0);
	x = json_array_get(json_object_get(x, "trackingInfo"), 0);
	ck_assert_str_eq(fs_str(x, "company"), "UPS");
	ck_assert_str_eq(fs_str(x, "number"), "1Z4V8E690310101016");
	/* 11: in transit; 12: delivered; 13, 14: delivered since run 1 */
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(
		ful_recs(&f, TT("11")), 0), "events")), FUL_EVENT_IN_TRANSIT);
	ck_assert(json_integer_value(json_object_get(json_array_get(
		ful_recs(&f, TT("12")), 0), "events")) & FUL_EVENT_DELIVERED);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(
		ful_recs(&f, TT("13")), 0), "events")), FUL_EVENT_DELIVERED);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(
		ful_recs(&f, TT("14")), 0), "events")), FUL_EVENT_DELIVERED);
	/* 15: a third fulfillment, the mug */
	recs = ful_recs(&f, TT("15"));
	ck_assert_int_eq(json_array_size(recs), 3);
	assert_rec(rec_by_tracking(recs, "9400111899561234500028"), FUL_PULL, SYNC_SYNCED, "");
	ck_assert_str_eq(fs_str(fs_tt_order(&f, TT("15")), "status"), "AWAITING_COLLECTION");
	/* 16: other tracking on TikTok, both numbers named */
	r = json_array_get(ful_recs(&f, TT("16")), 0);
	assert_rec(r, FUL_PUSH, SYNC_FAILED, "ALREADY_SHIPPED_OTHER_TRACKING");
	ck_assert_ptr_nonnull(strstr(fs_str(r, "reason"), "1Z8A2F4E0398765430"));
	ck_assert_ptr_nonnull(strstr(fs_str(r, "reason"), "1Z8A2F4E0311111110"));
	ck_assert_str_eq(fs_str(fs_tt_line(fs_tt_order(&f, TT("16")), UNIT("16", "01")),
				"tracking_number"), "1Z8A2F4E0398765430");
	/* 17: same number: synced without a call */
	r = json_array_get(ful_recs(&f, TT("17")), 0);
	assert_rec(r, FUL_PUSH, SYNC_SYNCED, "");
	ck_assert_str_eq(fs_str(r, "package"), "1153132168121700001");
	/* 18: nothing in either direction */
	ck_assert_int_eq(json_array_size(ful_recs(&f, TT("18"))), 0);
	/* 19 */
	assert_rec(json_array_get(ful_recs(&f, TT("19")), 0), FUL_PUSH, SYNC_FAILED,
		   "ITEMS_FULFILLED_DIFFERENTLY");
	ck_assert_int_eq(json_array_size(fs_tt_packages(&f, TT("19"))), 1);
	/* 20-25: order sync outcomes */
	assert_order(&f, "20", SYNC_SKIPPED, "SKIP_FBT");
	assert_order(&f, "21", SYNC_SKIPPED, "SKIP_UNPAID");
	assert_order(&f, "22", SYNC_SYNCED, NULL);
	assert_order(&f, "23", SYNC_SKIPPED, "SKIP_ON_HOLD");
	assert_order(&f, "24", SYNC_SYNCED, NULL);
	assert_order(&f, "25", SYNC_SKIPPED, "SKIP_CANCELLED_BEFORE_SYNC");
	/* 26: cancelled in Shopify, reported as cancel_order */
	fs_assert_row(fs_row(&f, TT("26"), "order", "cancel_order"), "synced", "");
	ck_assert(json_is_string(json_object_get(fs_sh_order(&f, TT("26")), "cancelledAt")));
	/* 27: its fulfillment ORDER_CANCELLED (the alert: at the end) */
	assert_order(&f, "27", SYNC_FAILED, "CANCELLED_AFTER_FULFILLMENT");
	assert_rec(json_array_get(ful_recs(&f, TT("27")), 0), FUL_PUSH, SYNC_FAILED,
		   "ORDER_CANCELLED");
	html2 = harness_read_file(harness_report_path(&f.s, "report.html"));
	ck_assert_ptr_nonnull(html2);
	/* 28 */
	assert_order(&f, "28", SYNC_FAILED, "CANCEL_REQUEST_PENDING");
	/* 29 */
	assert_order(&f, "29", SYNC_SYNCED, "LINE_CANCELLED");
	row = fs_row(&f, TT("29"), "order", NULL);
	ck_assert_ptr_nonnull(strstr(fs_str(row, "reason"), UNIT("29", "03")));
	ck_assert_ptr_nonnull(strstr(fs_str(row, "reason"), "PIN-SET-3"));
	/* 30-33 */
	assert_order(&f, "30", SYNC_FAILED, "SKU_NOT_LINKED");
	assert_order(&f, "31", SYNC_SYNCED, NULL);
	assert_order(&f, "32", SYNC_FAILED, "SKU_AMBIGUOUS");
	assert_order(&f, "33", SYNC_FAILED, "SKU_MISSING");
	/* 34: FedEx, both units */
	r = rec_by_tracking(ful_recs(&f, TT("34")), "794612345670");
	assert_rec(r, FUL_PUSH, SYNC_SYNCED, "");
	ck_assert_str_eq(fs_str(r, "provider_id"), P_FEDEX);
	ck_assert_int_eq(json_array_size(json_object_get(r, "units")), 2);
	assert_order(&f, "34", SYNC_SYNCED, "ALREADY_IN_SHOPIFY");
	/* 35: the one tracking change */
	r = json_array_get(ful_recs(&f, TT("35")), 0);
	assert_rec(r, FUL_PUSH, SYNC_SYNCED, "");
	ck_assert_str_eq(fs_str(r, "tracking"), "9400111899223188880013");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "updates")), 1);
	x = fs_body(json_array_get(fs_keep(harness_log_select(&f.s.tt, "POST",
		"/fulfillment/202309/packages/", "9400111899223188880013")), 0));
	ck_assert_str_eq(fs_str(x, "shipping_provider_id"), P_USPS);
	ck_assert_str_eq(fs_str(fs_tt_line(fs_tt_order(&f, TT("35")), UNIT("35", "01")),
				"tracking_number"), "9400111899223188880013");
	/* 36: past the 72 h window (from TikTok's rts_time), deadline named */
	r = json_array_get(ful_recs(&f, TT("36")), 0);
	assert_rec(r, FUL_PUSH, SYNC_FAILED, "TRACKING_UPDATE_WINDOW");
	o = fs_tt_order(&f, TT("36"));
	ck_assert_int_eq(time_to_iso8601(json_integer_value(json_object_get(
		fs_tt_line(o, UNIT("36", "01")), "rts_time")) + 72 * 3600, deadline), 0);
	ck_assert_msg(strstr(fs_str(r, "reason"), deadline) != NULL, "no deadline %s in: %s",
		      deadline, fs_str(r, "reason"));
	ck_assert_str_eq(fs_str(fs_tt_line(o, UNIT("36", "01")), "tracking_number"),
			 "9400111899223177770004");
	/* 37, 38 */
	assert_order(&f, "37", SYNC_FAILED, "ORDER_DATA_INVALID");
	assert_order(&f, "38", SYNC_FAILED, "TOTALS_MISMATCH");
	/* 39, 40: nothing */
	ck_assert_int_eq(json_array_size(ful_recs(&f, TT("39"))), 0);
	ck_assert_int_eq(json_array_size(ful_recs(&f, TT("40"))), 0);
	/* 41 */
	assert_rec(json_array_get(ful_recs(&f, TT("41")), 0), FUL_PUSH, SYNC_FAILED,
		   "WRONG_SHIPPING_TYPE");
	/* 42: two packages */
	recs = ful_recs(&f, TT("42"));
	ck_assert_int_eq(json_array_size(recs), 2);
	json_array_foreach(recs, i, r)
		assert_rec(r, FUL_PUSH, SYNC_SYNCED, "");
	ck_assert_int_eq(json_array_size(fs_tt_packages(&f, TT("42"))), 2);
	ck_assert_str_eq(fs_str(fs_tt_order(&f, TT("42")), "status"), "AWAITING_COLLECTION");
	/* 43: buyer's cancel request pending: no package */
	assert_rec(json_array_get(ful_recs(&f, TT("43")), 0), FUL_PUSH, SYNC_FAILED,
		   "CANCEL_REQUEST_PENDING");
	ck_assert_int_eq(json_array_size(fs_tt_packages(&f, TT("43"))), 0);

	/* ---- run 3: nothing new, no write anywhere ---- */
	tt0 = json_array_size(fs_keep(harness_emu_log(&f.s.tt)));
	sh0 = json_array_size(fs_keep(harness_emu_log(&f.s.sh)));
	fs_run(&f);
	count_writes(&f, tt0, sh0, &w);
	assert_writes(&w, NULL, 0, "run 3");

	/* CASES.md: orders 27 (cancelled after fulfillment) and 29 (a unit
	 * cancelled after the order reached Shopify) are run 2's red alerts,
	 * and no other order is. */
	{
		const char *p;
		int saw27 = 0, saw29 = 0;

		for (p = strstr(html2, "<div class=\"alert\">"); p;
		     p = strstr(p + 1, "<div class=\"alert\">")) {
			const char *end = strstr(p, "</div>");

			ck_assert_ptr_nonnull(end);
			if (memmem(p, (size_t)(end - p), TT("27"), 18) != NULL) {
				ck_assert_ptr_nonnull(memmem(p, (size_t)(end - p),
							     "CANCELLED_AFTER_FULFILLMENT", 27));
				saw27++;
				continue;
			}
			if (memmem(p, (size_t)(end - p), TT("29"), 18) != NULL) {
				ck_assert_ptr_nonnull(memmem(p, (size_t)(end - p),
							     "LINE_CANCELLED", 14));
				saw29++;
				continue;
			}
			free(html2);
			html2 = NULL;
			ck_abort_msg("run 2's report has an alert other than orders 27 and 29: %.*s",
				     (int)(end - p), p);
		}
		ck_assert_int_eq(saw27, 1);
		ck_assert_int_eq(saw29, 1);
	}
	free(html2);
	fs_stop(&f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("e2e demo store, two runs (CASES.md)");
	TCase *tc = tcase_create("demo");

	tcase_set_timeout(tc, FS_TIMEOUT);
	tcase_add_unchecked_fixture(tc, fs_suite_setup, fs_suite_teardown);
	tcase_add_loop_test(tc, demo_two_runs, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

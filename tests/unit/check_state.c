/*
 * check_state.c - state.c: round trips of every record type; a snapshot
 * refresh keeps status and link; intents from begin to close, durable for
 * another connection and across SIGKILL; cursors; the token pair; filters
 * of the iterators; transactions; and the file itself: mode 0600, a newer
 * schema, a corrupt file and a foreign database refused with ERR_STATE.
 * (The test reads the file with sqlite3 directly only to set up or check
 * what ttsync cannot express through its API.)
 */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "state.h"

static char tmpdir[PATH_MAX];
static char dbpath[PATH_MAX + 64];
static struct state *st;

static void setup(void)
{
	const char *t = getenv("TMPDIR");
	struct err e = { 0 };

	snprintf(tmpdir, sizeof(tmpdir), "%s/ttsync-state-XXXXXX", t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	/* The directory does not exist yet: a first run creates it. */
	snprintf(dbpath, sizeof(dbpath), "%s/state/acme.sqlite", tmpdir);
	ck_assert_msg(state_open(dbpath, &st, &e) == 0, "%s", e.msg);
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	state_close(st);
	st = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

static void put_order(const char *id, enum tt_status s, int64_t ctime,
		      int64_t now)
{
	struct tt_order o;
	struct err e = { 0 };
	char json[128];

	memset(&o, 0, sizeof(o));
	o.id = (char *)id;
	o.status = s;
	o.fulfillment_type = "FULFILLMENT_BY_SELLER";
	o.shipping_type = "SELLER";
	o.create_time = ctime;
	o.update_time = ctime + 10;
	snprintf(json, sizeof(json), "{\"id\":\"%s\",\"status\":\"%s\"}", id,
		 tt_status_name(s));
	ck_assert_msg(state_order_put_snapshot(st, &o, json, now, &e) == 0, "%s",
		      e.msg);
}

START_TEST(test_file_created_private_wal)
{
	struct stat sb;
	sqlite3 *db;
	sqlite3_stmt *s;

	ck_assert_int_eq(stat(dbpath, &sb), 0);
	ck_assert(S_ISREG(sb.st_mode));
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	ck_assert_int_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s,
					    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s,
					    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_ge(sqlite3_column_int(s, 0), 1);
	sqlite3_finalize(s);
	sqlite3_close(db);
	/* The write-ahead log holds the same secrets: just as private. */
	put_order("W1", TT_AWAITING_SHIPMENT, 1, 1);
	{
		char wal[PATH_MAX + 80];

		snprintf(wal, sizeof(wal), "%s-wal", dbpath);
		ck_assert_int_eq(stat(wal, &sb), 0);
		ck_assert_int_eq(sb.st_mode & 077, 0);
	}
}
END_TEST

START_TEST(test_existing_file_tightened)
{
	struct err e = { 0 };
	struct stat sb;

	state_close(st);
	st = NULL;
	ck_assert_int_eq(chmod(dbpath, 0644), 0);
	ck_assert_msg(state_open(dbpath, &st, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(stat(dbpath, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
}
END_TEST

START_TEST(test_order_round_trip)
{
	struct order_rec r;
	struct err e = { 0 };
	int found = -1;

	put_order("577000000000000001", TT_AWAITING_SHIPMENT, 1700000000, 1700000500);
	ck_assert_int_eq(state_order_get(st, "577000000000000001", &r, &found, &e), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_str_eq(r.tt_id, "577000000000000001");
	ck_assert_int_eq(r.tt_status, TT_AWAITING_SHIPMENT);
	ck_assert_str_eq(r.fulfillment_type, "FULFILLMENT_BY_SELLER");
	ck_assert_str_eq(r.shipping_type, "SELLER");
	ck_assert_int_eq(r.create_time, 1700000000);
	ck_assert_int_eq(r.update_time, 1700000010);
	ck_assert_ptr_nonnull(strstr(r.snapshot, "AWAITING_SHIPMENT"));
	ck_assert_int_eq(r.status, SYNC_NOT_SYNCED);
	ck_assert_ptr_null(r.reason_code);
	ck_assert_ptr_null(r.sh_gid);
	ck_assert_int_eq(r.first_seen, 1700000500);
	ck_assert_int_eq(r.last_seen, 1700000500);
	ck_assert_int_eq(r.synced_at, 0);
	ck_assert_int_eq(r.attempts, 0);
	ck_assert_int_eq(r.cancel_state, 0);
	order_rec_free(&r);

	ck_assert_int_eq(state_order_get(st, "nope", &r, &found, &e), 0);
	ck_assert_int_eq(found, 0);
}
END_TEST

START_TEST(test_snapshot_refresh_keeps_status_and_link)
{
	struct order_rec r;
	struct err e = { 0 };
	char *tt = NULL;
	int found;

	put_order("A1", TT_AWAITING_SHIPMENT, 100, 1000);
	ck_assert_int_eq(state_order_set_status(st, "A1", SYNC_FAILED,
		"SKU_NOT_LINKED", "SKU RED-M is not linked", "Link it",
		RETRY_AFTER_FIX, 1001, &e), 0);
	ck_assert_int_eq(state_order_set_status(st, "A1", SYNC_FAILED,
		"SKU_NOT_LINKED", "SKU RED-M is not linked", "Link it",
		RETRY_AFTER_FIX, 1002, &e), 0);
	ck_assert_int_eq(state_order_link(st, "A1", "gid://shopify/Order/9",
					  "#1001", "9", 1003, &e), 0);
	ck_assert_int_eq(state_order_set_status(st, "A1", SYNC_SYNCED, NULL,
		NULL, NULL, RETRY_NONE, 1004, &e), 0);
	/* TikTok changes the order: the snapshot moves on, our side stays. */
	put_order("A1", TT_IN_TRANSIT, 100, 2000);
	ck_assert_int_eq(state_order_get(st, "A1", &r, &found, &e), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(r.tt_status, TT_IN_TRANSIT);
	ck_assert_ptr_nonnull(strstr(r.snapshot, "IN_TRANSIT"));
	ck_assert_int_eq(r.status, SYNC_SYNCED);
	ck_assert_ptr_null(r.reason_code);
	ck_assert_int_eq(r.retry, RETRY_NONE);
	ck_assert_str_eq(r.sh_gid, "gid://shopify/Order/9");
	ck_assert_str_eq(r.sh_name, "#1001");
	ck_assert_str_eq(r.sh_legacy_id, "9");
	ck_assert_int_eq(r.first_seen, 1000);
	ck_assert_int_eq(r.last_seen, 2000);
	ck_assert_int_eq(r.synced_at, 1004);
	ck_assert_int_eq(r.attempts, 2);
	order_rec_free(&r);

	/* Reasons are stored as given while failed. */
	ck_assert_int_eq(state_order_set_status(st, "A1", SYNC_FAILED,
		"TOTALS_MISMATCH", "Shopify 10.00, TikTok 10.01", "Check",
		RETRY_PERSON, 2001, &e), 0);
	ck_assert_int_eq(state_order_get(st, "A1", &r, &found, &e), 0);
	ck_assert_str_eq(r.reason_code, "TOTALS_MISMATCH");
	ck_assert_str_eq(r.reason, "Shopify 10.00, TikTok 10.01");
	ck_assert_str_eq(r.remedy, "Check");
	ck_assert_int_eq(r.retry, RETRY_PERSON);
	ck_assert_int_eq(r.synced_at, 1004);	/* first sync time kept */
	order_rec_free(&r);

	ck_assert_int_eq(state_order_by_shopify_gid(st, "gid://shopify/Order/9",
						    &tt, &found, &e), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_str_eq(tt, "A1");
	free(tt);
	ck_assert_int_eq(state_order_by_shopify_gid(st, "gid://shopify/Order/1",
						    &tt, &found, &e), 0);
	ck_assert_int_eq(found, 0);
	ck_assert_ptr_null(tt);

	ck_assert_int_eq(state_order_set_cancel_state(st, "A1", 2, &e), 0);
	ck_assert_int_eq(state_order_get(st, "A1", &r, &found, &e), 0);
	ck_assert_int_eq(r.cancel_state, 2);
	order_rec_free(&r);
}
END_TEST

START_TEST(test_order_errors)
{
	struct err e = { 0 };

	/* One Shopify order belongs to one TikTok order. */
	put_order("A1", TT_AWAITING_SHIPMENT, 100, 1000);
	put_order("A2", TT_AWAITING_SHIPMENT, 101, 1000);
	ck_assert_int_eq(state_order_link(st, "A1", "gid://shopify/Order/9",
					  "#1001", "9", 1003, &e), 0);
	ck_assert_int_eq(state_order_link(st, "A2", "gid://shopify/Order/9",
					  "#1001", "9", 1003, &e), -1);
	ck_assert_int_eq(e.cls, ERR_STATE);
	ck_assert_ptr_nonnull(strstr(e.msg, "already linked to TikTok order A1"));
	/* Unknown orders are named. */
	ck_assert_int_eq(state_order_set_status(st, "ZZ", SYNC_SYNCED, NULL, NULL,
						NULL, RETRY_NONE, 1, &e), -1);
	ck_assert_int_eq(e.cls, ERR_STATE);
	ck_assert_ptr_nonnull(strstr(e.msg, "ZZ"));
	ck_assert_ptr_nonnull(strstr(e.msg, dbpath));
	ck_assert_int_eq(state_order_link(st, "ZZ", "gid://shopify/Order/8", "#2",
					  "8", 1, &e), -1);
	ck_assert_int_eq(state_order_set_cancel_state(st, "ZZ", 1, &e), -1);
}
END_TEST

struct seen {
	char ids[16][32];
	int n;
	int stop_after;
};

static int collect(const struct order_rec *r, void *arg)
{
	struct seen *s = arg;

	snprintf(s->ids[s->n++], sizeof(s->ids[0]), "%s", r->tt_id);
	return s->stop_after && s->n == s->stop_after ? 7 : 0;
}

static void run_filter(const struct order_filter *f, const char *want)
{
	struct seen s;
	struct err e = { 0 };
	char got[512] = "";
	int i;

	memset(&s, 0, sizeof(s));
	ck_assert_msg(state_orders_foreach(st, f, collect, &s, &e) == 0, "%s",
		      e.msg);
	for (i = 0; i < s.n; i++) {
		strcat(got, i ? " " : "");
		strcat(got, s.ids[i]);
	}
	ck_assert_str_eq(got, want);
}

START_TEST(test_orders_foreach_filters)
{
	struct order_filter f;
	struct err e = { 0 };
	struct seen s;
	char *const some[] = { "D", "B", "X" };
	long n;

	/* Create times out of id order: the listing follows create time. */
	put_order("C", TT_AWAITING_SHIPMENT, 300, 1);
	put_order("A", TT_COMPLETED, 100, 1);
	put_order("B", TT_CANCELLED, 200, 1);
	put_order("D", TT_CANCELLED, 200, 1);	/* same time: by id */
	put_order("E", TT_UNPAID, 50, 1);
	ck_assert_int_eq(state_order_set_status(st, "A", SYNC_SYNCED, NULL, NULL,
						NULL, RETRY_NONE, 2, &e), 0);
	ck_assert_int_eq(state_order_set_status(st, "B", SYNC_SYNCED, NULL, NULL,
						NULL, RETRY_NONE, 2, &e), 0);
	ck_assert_int_eq(state_order_set_status(st, "D", SYNC_SYNCED, NULL, NULL,
						NULL, RETRY_NONE, 2, &e), 0);
	ck_assert_int_eq(state_order_set_status(st, "C", SYNC_FAILED, "X", "x",
						"y", RETRY_AUTO, 2, &e), 0);
	ck_assert_int_eq(state_order_set_status(st, "E", SYNC_SKIPPED,
						"SKIP_UNPAID", "u", "w", RETRY_WAIT,
						2, &e), 0);
	ck_assert_int_eq(state_order_link(st, "A", "g/A", "#1", "1", 3, &e), 0);
	ck_assert_int_eq(state_order_link(st, "B", "g/B", "#2", "2", 3, &e), 0);
	ck_assert_int_eq(state_order_link(st, "D", "g/D", "#3", "3", 3, &e), 0);
	ck_assert_int_eq(state_order_link(st, "C", "g/C", "#4", "4", 3, &e), 0);
	ck_assert_int_eq(state_order_set_cancel_state(st, "D", 1, &e), 0);

	memset(&f, 0, sizeof(f));
	f.only_status = -1;
	run_filter(&f, "E A B D C");
	f.only_status = SYNC_SYNCED;
	run_filter(&f, "A B D");
	f.only_status = SYNC_FAILED;
	run_filter(&f, "C");
	f.only_status = SYNC_NOT_SYNCED;
	run_filter(&f, "");
	f.only_status = -1;
	f.only_failed_or_not_synced = 1;
	put_order("F", TT_AWAITING_SHIPMENT, 400, 1);	/* not synced */
	run_filter(&f, "C F");
	f.only_failed_or_not_synced = 0;
	/* Linked and open: not COMPLETED (A), not a handled cancel (D). */
	f.only_linked_open = 1;
	run_filter(&f, "B C");
	f.only_linked_open = 0;
	f.ids = some;
	f.nids = 3;
	run_filter(&f, "B D");
	f.nids = 0;
	run_filter(&f, "");
	f.ids = NULL;

	/* A non-zero callback result stops and is returned. */
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	ck_assert_int_eq(state_orders_foreach(st, &f, collect, &s, &e), 7);
	ck_assert_int_eq(s.n, 2);

	ck_assert_int_eq(state_orders_count(st, SYNC_SYNCED, &n, &e), 0);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(state_orders_count(st, SYNC_NOT_SYNCED, &n, &e), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(state_orders_count(st, SYNC_SKIPPED, &n, &e), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(state_orders_count(st, -1, &n, &e), 0);
	ck_assert_int_eq(n, 6);
}
END_TEST

/* Callbacks may write to the state while iterating. */
static int mark_synced(const struct order_rec *r, void *arg)
{
	struct state *s = arg;
	struct err e = { 0 };
	struct tt_order o;

	ck_assert_int_eq(state_order_set_status(s, r->tt_id, SYNC_SYNCED, NULL,
						NULL, NULL, RETRY_NONE, 5, &e), 0);
	/* ... even add orders, which this iteration does not see. */
	memset(&o, 0, sizeof(o));
	o.id = xasprintf("new-%s", r->tt_id);
	o.create_time = 1;
	ck_assert_int_eq(state_order_put_snapshot(s, &o, "{}", 5, &e), 0);
	free(o.id);
	return 0;
}

START_TEST(test_foreach_callback_writes)
{
	struct order_filter f;
	struct err e = { 0 };
	long n;

	put_order("A", TT_AWAITING_SHIPMENT, 100, 1);
	put_order("B", TT_AWAITING_SHIPMENT, 200, 1);
	memset(&f, 0, sizeof(f));
	f.only_status = SYNC_NOT_SYNCED;
	ck_assert_int_eq(state_orders_foreach(st, &f, mark_synced, st, &e), 0);
	ck_assert_int_eq(state_orders_count(st, SYNC_SYNCED, &n, &e), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(state_orders_count(st, SYNC_NOT_SYNCED, &n, &e), 0);
	ck_assert_int_eq(n, 2);	/* new-A, new-B */
}
END_TEST

START_TEST(test_units_round_trip)
{
	struct unit_map in[3] = {
		{ "L1", "gid://shopify/LineItem/1" },
		{ "L2", "gid://shopify/LineItem/1" },
		{ "L3", "gid://shopify/LineItem/2" },
	};
	struct unit_map *out = NULL;
	struct err e = { 0 };
	size_t n = 0;

	ck_assert_int_eq(state_units_put(st, "A1", in, 3, &e), 0);
	ck_assert_int_eq(state_units_get(st, "A1", &out, &n, &e), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(out[0].tt_line_id, "L1");
	ck_assert_str_eq(out[1].sh_line_item_id, "gid://shopify/LineItem/1");
	ck_assert_str_eq(out[2].tt_line_id, "L3");
	ck_assert_str_eq(out[2].sh_line_item_id, "gid://shopify/LineItem/2");
	unit_map_free(out, n);
	/* Putting again replaces the map. */
	ck_assert_int_eq(state_units_put(st, "A1", in + 2, 1, &e), 0);
	ck_assert_int_eq(state_units_get(st, "A1", &out, &n, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(out[0].tt_line_id, "L3");
	unit_map_free(out, n);
	ck_assert_int_eq(state_units_get(st, "none", &out, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(out);
}
END_TEST

static void fill_ful(struct ful_rec *r, const char *key, const char *order,
		     enum sync_status s)
{
	static char *lines[] = { "L1", "L2" };

	memset(r, 0, sizeof(*r));
	r->key = (char *)key;
	r->dir = FUL_PUSH;
	r->tt_order_id = (char *)order;
	r->sh_fulfillment_id = "gid://shopify/Fulfillment/5";
	r->tt_package_id = "1153000000000000001";
	r->tracking_number = "9400111899223197428490";
	r->carrier = "USPS";
	r->provider_id = "7117858858072016686";
	r->provider_name = "USPS";
	r->tt_line_ids = lines;
	r->ntt_line_ids = 2;
	r->shipped_at = 1700000000;
	r->tracking_updates = 1;
	r->events_sent = FUL_EVENT_IN_TRANSIT;
	r->status = s;
	r->reason_code = s == SYNC_FAILED ? "CARRIER_NOT_INTEGRATED" : NULL;
	r->reason = s == SYNC_FAILED ? "carrier 'Foo'" : NULL;
	r->remedy = s == SYNC_FAILED ? "map it" : NULL;
	r->retry = s == SYNC_FAILED ? RETRY_AFTER_FIX : RETRY_NONE;
	r->warning = "tracking matched another provider";
	r->updated_at = 1700000100;
}

static int count_ful(const struct ful_rec *r, void *arg)
{
	int *n = arg;

	ck_assert_ptr_nonnull(r->key);
	(*n)++;
	return 0;
}

START_TEST(test_fulfillments_round_trip)
{
	struct ful_rec in, out, *v = NULL;
	struct err e = { 0 };
	size_t n = 0;
	int found = 0, cnt;

	fill_ful(&in, "push:gid://shopify/Fulfillment/5", "A1", SYNC_SYNCED);
	ck_assert_int_eq(state_ful_put(st, &in, &e), 0);
	ck_assert_int_eq(state_ful_get(st, in.key, &out, &found, &e), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_str_eq(out.key, in.key);
	ck_assert_int_eq(out.dir, FUL_PUSH);
	ck_assert_str_eq(out.tt_order_id, "A1");
	ck_assert_str_eq(out.sh_fulfillment_id, in.sh_fulfillment_id);
	ck_assert_str_eq(out.tt_package_id, in.tt_package_id);
	ck_assert_str_eq(out.tracking_number, in.tracking_number);
	ck_assert_str_eq(out.carrier, "USPS");
	ck_assert_str_eq(out.provider_id, in.provider_id);
	ck_assert_str_eq(out.provider_name, "USPS");
	ck_assert_uint_eq(out.ntt_line_ids, 2);
	ck_assert_str_eq(out.tt_line_ids[0], "L1");
	ck_assert_str_eq(out.tt_line_ids[1], "L2");
	ck_assert_int_eq(out.shipped_at, 1700000000);
	ck_assert_int_eq(out.tracking_updates, 1);
	ck_assert_int_eq(out.events_sent, FUL_EVENT_IN_TRANSIT);
	ck_assert_int_eq(out.status, SYNC_SYNCED);
	ck_assert_ptr_null(out.reason_code);
	ck_assert_str_eq(out.warning, in.warning);
	ck_assert_int_eq(out.updated_at, 1700000100);
	ful_rec_free(&out);

	/* Replace: fewer lines, failed with a reason. */
	fill_ful(&in, "push:gid://shopify/Fulfillment/5", "A1", SYNC_FAILED);
	in.ntt_line_ids = 1;
	in.events_sent = FUL_EVENT_IN_TRANSIT | FUL_EVENT_DELIVERED;
	ck_assert_int_eq(state_ful_put(st, &in, &e), 0);
	ck_assert_int_eq(state_ful_get(st, in.key, &out, &found, &e), 0);
	ck_assert_uint_eq(out.ntt_line_ids, 1);
	ck_assert_int_eq(out.status, SYNC_FAILED);
	ck_assert_str_eq(out.reason_code, "CARRIER_NOT_INTEGRATED");
	ck_assert_str_eq(out.reason, "carrier 'Foo'");
	ck_assert_str_eq(out.remedy, "map it");
	ck_assert_int_eq(out.retry, RETRY_AFTER_FIX);
	ck_assert_int_eq(out.events_sent, 3);
	ful_rec_free(&out);

	fill_ful(&in, "pull:1153000000000000009", "A1", SYNC_SYNCED);
	in.dir = FUL_PULL;
	in.tt_line_ids = NULL;
	in.ntt_line_ids = 0;
	ck_assert_int_eq(state_ful_put(st, &in, &e), 0);
	fill_ful(&in, "pull:other", "B2", SYNC_FAILED);
	ck_assert_int_eq(state_ful_put(st, &in, &e), 0);

	ck_assert_int_eq(state_ful_list_for_order(st, "A1", &v, &n, &e), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0].key, "push:gid://shopify/Fulfillment/5");
	ck_assert_str_eq(v[1].key, "pull:1153000000000000009");
	ck_assert_int_eq(v[1].dir, FUL_PULL);
	ck_assert_uint_eq(v[1].ntt_line_ids, 0);
	ful_rec_free_array(v, n);
	ck_assert_int_eq(state_ful_list_for_order(st, "none", &v, &n, &e), 0);
	ck_assert_uint_eq(n, 0);
	ful_rec_free_array(v, n);

	cnt = 0;
	ck_assert_int_eq(state_fuls_foreach(st, SYNC_FAILED, count_ful, &cnt, &e), 0);
	ck_assert_int_eq(cnt, 2);
	cnt = 0;
	ck_assert_int_eq(state_fuls_foreach(st, -1, count_ful, &cnt, &e), 0);
	ck_assert_int_eq(cnt, 3);
	ck_assert_int_eq(state_ful_get(st, "push:none", &out, &found, &e), 0);
	ck_assert_int_eq(found, 0);
}
END_TEST

static int count_link(const struct link_rec *l, void *arg)
{
	int *n = arg;

	ck_assert_ptr_nonnull(l->variant_id);
	(*n)++;
	return 0;
}

START_TEST(test_links)
{
	struct link_rec l, out;
	struct err e = { 0 };
	int found = 0, deleted = 0, n = 0;

	memset(&l, 0, sizeof(l));
	l.tt_sku_id = "1729000000000000001";
	l.seller_sku = "RED-M";
	l.variant_id = "gid://shopify/ProductVariant/1";
	l.source = "manual";
	l.created_at = 10;
	ck_assert_int_eq(state_link_put(st, &l, &e), 0);
	memset(&l, 0, sizeof(l));
	l.seller_sku = "BLUE-L";
	l.variant_id = "gid://shopify/ProductVariant/2";
	l.source = "sku";
	l.created_at = 11;
	ck_assert_int_eq(state_link_put(st, &l, &e), 0);

	/* By TikTok SKU id first. */
	ck_assert_int_eq(state_link_find(st, "1729000000000000001", "BLUE-L", &out,
					 &found, &e), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_str_eq(out.variant_id, "gid://shopify/ProductVariant/1");
	ck_assert_str_eq(out.seller_sku, "RED-M");
	ck_assert_str_eq(out.source, "manual");
	ck_assert_int_eq(out.created_at, 10);
	link_rec_free(&out);
	/* Then by seller SKU (a link made by seller SKU). */
	ck_assert_int_eq(state_link_find(st, "1729000000000000099", "BLUE-L", &out,
					 &found, &e), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_str_eq(out.variant_id, "gid://shopify/ProductVariant/2");
	ck_assert_ptr_null(out.tt_sku_id);
	link_rec_free(&out);
	/* A link by SKU id does not claim other SKUs with its seller SKU. */
	ck_assert_int_eq(state_link_find(st, "1729000000000000099", "RED-M", &out,
					 &found, &e), 0);
	ck_assert_int_eq(found, 0);
	ck_assert_int_eq(state_link_find(st, NULL, NULL, &out, &found, &e), 0);
	ck_assert_int_eq(found, 0);

	/* Re-linking replaces. */
	memset(&l, 0, sizeof(l));
	l.tt_sku_id = "1729000000000000001";
	l.variant_id = "gid://shopify/ProductVariant/3";
	l.source = "manual";
	ck_assert_int_eq(state_link_put(st, &l, &e), 0);
	memset(&l, 0, sizeof(l));
	l.seller_sku = "BLUE-L";
	l.variant_id = "gid://shopify/ProductVariant/4";
	ck_assert_int_eq(state_link_put(st, &l, &e), 0);
	ck_assert_int_eq(state_link_find(st, "1729000000000000001", NULL, &out,
					 &found, &e), 0);
	ck_assert_str_eq(out.variant_id, "gid://shopify/ProductVariant/3");
	link_rec_free(&out);
	ck_assert_int_eq(state_link_find(st, NULL, "BLUE-L", &out, &found, &e), 0);
	ck_assert_str_eq(out.variant_id, "gid://shopify/ProductVariant/4");
	link_rec_free(&out);
	ck_assert_int_eq(state_links_foreach(st, count_link, &n, &e), 0);
	ck_assert_int_eq(n, 2);

	/* Refused: no key, no variant. */
	memset(&l, 0, sizeof(l));
	l.variant_id = "gid://shopify/ProductVariant/5";
	ck_assert_int_eq(state_link_put(st, &l, &e), -1);
	l.seller_sku = "X";
	l.variant_id = NULL;
	ck_assert_int_eq(state_link_put(st, &l, &e), -1);

	ck_assert_int_eq(state_link_delete(st, "1729000000000000001", NULL,
					   &deleted, &e), 0);
	ck_assert_int_eq(deleted, 1);
	ck_assert_int_eq(state_link_delete(st, "1729000000000000001", NULL,
					   &deleted, &e), 0);
	ck_assert_int_eq(deleted, 0);
	ck_assert_int_eq(state_link_delete(st, NULL, "BLUE-L", &deleted, &e), 0);
	ck_assert_int_eq(deleted, 1);
	n = 0;
	ck_assert_int_eq(state_links_foreach(st, count_link, &n, &e), 0);
	ck_assert_int_eq(n, 0);
}
END_TEST

static int collect_intent(const struct intent *in, void *arg)
{
	struct seen *s = arg;

	snprintf(s->ids[s->n++], sizeof(s->ids[0]), "%s/%s", in->kind,
		 in->object_key);
	return 0;
}

START_TEST(test_intent_lifecycle)
{
	struct intent in;
	struct err e = { 0 };
	struct seen s;
	int64_t id1 = 0, id2 = 0, id3 = 0;
	int found = 0;

	ck_assert_int_eq(state_intent_begin(st, "order_create", "A1",
		"{\"lines\":2}", "run-1", 100, &id1, &e), 0);
	ck_assert_int_gt(id1, 0);
	memset(&in, 0, sizeof(in));
	ck_assert_int_eq(state_intent_open(st, "order_create", "A1", &in, &found,
					   &e), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(in.id, id1);
	ck_assert_str_eq(in.kind, "order_create");
	ck_assert_str_eq(in.object_key, "A1");
	ck_assert_str_eq(in.payload, "{\"lines\":2}");
	ck_assert_str_eq(in.run_id, "run-1");
	ck_assert_int_eq(in.state, INTENT_PENDING);
	ck_assert_int_eq(in.created_at, 100);
	ck_assert_ptr_null(in.result);
	intent_free(&in);

	/* Answer lost: still open, the latest one is returned. */
	ck_assert_int_eq(state_intent_finish(st, id1, INTENT_UNKNOWN, "timeout",
					     101, &e), 0);
	ck_assert_int_eq(state_intent_begin(st, "order_create", "A1", "{}",
					    "run-2", 200, &id2, &e), 0);
	ck_assert_int_gt(id2, id1);
	ck_assert_int_eq(state_intent_open(st, "order_create", "A1", &in, &found,
					   &e), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(in.id, id2);
	intent_free(&in);
	/* Other kinds and keys are separate. */
	ck_assert_int_eq(state_intent_begin(st, "ship_package", "push:F1", "{}",
					    "run-2", 201, &id3, &e), 0);
	ck_assert_int_eq(state_intent_open(st, "order_create", "B1", &in, &found,
					   &e), 0);
	ck_assert_int_eq(found, 0);

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(state_intents_open_foreach(st, collect_intent, &s, &e), 0);
	ck_assert_int_eq(s.n, 3);
	ck_assert_str_eq(s.ids[0], "order_create/A1");
	ck_assert_str_eq(s.ids[2], "ship_package/push:F1");

	/* The order was found in Shopify: resolve every open create at once. */
	ck_assert_int_eq(state_intent_close_all(st, "order_create", "A1",
		INTENT_DONE, "gid://shopify/Order/9", 300, &e), 0);
	ck_assert_int_eq(state_intent_open(st, "order_create", "A1", &in, &found,
					   &e), 0);
	ck_assert_int_eq(found, 0);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(state_intents_open_foreach(st, collect_intent, &s, &e), 0);
	ck_assert_int_eq(s.n, 1);
	ck_assert_int_eq(state_intent_finish(st, id3, INTENT_FAILED, "21011022",
					     301, &e), 0);
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(state_intents_open_foreach(st, collect_intent, &s, &e), 0);
	ck_assert_int_eq(s.n, 0);

	ck_assert_int_eq(state_intent_finish(st, 999999, INTENT_DONE, NULL, 1, &e),
			 -1);
	/* An intent cannot hide inside the caller's transaction. */
	ck_assert_int_eq(state_begin(st, &e), 0);
	ck_assert_int_eq(state_intent_begin(st, "order_create", "C1", "{}", "r",
					    1, &id1, &e), -1);
	ck_assert_int_eq(e.cls, ERR_STATE);
	state_rollback(st);
}
END_TEST

START_TEST(test_intent_visible_to_second_connection)
{
	struct state *other = NULL;
	struct intent in;
	struct err e = { 0 };
	int64_t id = 0;
	int found = 0;

	ck_assert_msg(state_open(dbpath, &other, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(state_intent_begin(st, "order_create", "A1", "{}", "r",
					    1, &id, &e), 0);
	/* No commit call, no close: the other connection sees it now. */
	ck_assert_int_eq(state_intent_open(other, "order_create", "A1", &in,
					   &found, &e), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(in.id, id);
	intent_free(&in);
	state_close(other);
}
END_TEST

START_TEST(test_intent_survives_sigkill)
{
	struct intent in;
	struct err e = { 0 };
	int fds[2], status;
	int64_t id = 0, child_id = 0;
	pid_t pid;
	int found = 0;

	state_close(st);
	st = NULL;
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct state *cs = NULL;
		struct err ce = { 0 };

		close(fds[0]);
		if (state_open(dbpath, &cs, &ce) != 0 ||
		    state_intent_begin(cs, "ship_package", "push:F9", "{\"t\":1}",
				       "run-9", 42, &id, &ce) != 0)
			_exit(1);
		if (write(fds[1], &id, sizeof(id)) != (ssize_t)sizeof(id))
			_exit(1);
		raise(SIGKILL);	/* no close, no cleanup */
		_exit(0);
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &child_id, sizeof(child_id)),
			 (ssize_t)sizeof(child_id));
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_msg(state_open(dbpath, &st, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(state_intent_open(st, "ship_package", "push:F9", &in,
					   &found, &e), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(in.id, child_id);
	ck_assert_str_eq(in.payload, "{\"t\":1}");
	ck_assert_int_eq(in.state, INTENT_PENDING);
	intent_free(&in);
}
END_TEST

START_TEST(test_cursor_and_token)
{
	struct tt_token t, out;
	struct err e = { 0 };
	int64_t v = 0;
	int found = -1;

	ck_assert_int_eq(state_cursor_get(st, "tt_update", &v, &found, &e), 0);
	ck_assert_int_eq(found, 0);
	ck_assert_int_eq(state_cursor_set(st, "tt_update", 1700000000, &e), 0);
	ck_assert_int_eq(state_cursor_set(st, "sh_update", 5, &e), 0);
	ck_assert_int_eq(state_cursor_set(st, "tt_update", 1700000900, &e), 0);
	ck_assert_int_eq(state_cursor_get(st, "tt_update", &v, &found, &e), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(v, 1700000900);
	ck_assert_int_eq(state_cursor_get(st, "sh_update", &v, &found, &e), 0);
	ck_assert_int_eq(v, 5);

	memset(&out, 0, sizeof(out));
	ck_assert_int_eq(state_token_get(st, &out, &found, &e), 0);
	ck_assert_int_eq(found, 0);
	t.access_token = "TTP_a1";
	t.access_expire = 1000;
	t.refresh_token = "TTP_r1";
	t.refresh_expire = 2000;
	ck_assert_int_eq(state_token_put(st, &t, &e), 0);
	t.access_token = "TTP_a2";
	t.access_expire = 3000;
	t.refresh_token = "TTP_r2";
	t.refresh_expire = 4000;
	ck_assert_int_eq(state_token_put(st, &t, &e), 0);
	ck_assert_int_eq(state_token_get(st, &out, &found, &e), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_str_eq(out.access_token, "TTP_a2");
	ck_assert_int_eq(out.access_expire, 3000);
	ck_assert_str_eq(out.refresh_token, "TTP_r2");
	ck_assert_int_eq(out.refresh_expire, 4000);
	tt_token_free(&out);
	/* Half a pair is refused. */
	t.refresh_token = NULL;
	ck_assert_int_eq(state_token_put(st, &t, &e), -1);
}
END_TEST

START_TEST(test_runs_and_providers)
{
	struct tt_provider v[2] = { { "7117858858072016686", "USPS" },
				    { "7117859084333745966", "UPS" } };
	struct tt_provider_list l = { "DO1", v, 2 }, out;
	struct err e = { 0 };
	int64_t at = 0;
	int found = 0;
	sqlite3 *db;
	sqlite3_stmt *s;

	ck_assert_int_eq(state_run_start(st, "20251121T000000Z-1", 100, "run", 1,
					 &e), 0);
	ck_assert_int_eq(state_run_start(st, "20251121T000000Z-1", 100, "run", 1,
					 &e), -1);	/* run ids are unique */
	ck_assert_int_eq(state_run_finish(st, "20251121T000000Z-1", 160, 1,
					  "{\"created\":3}", &e), 0);
	ck_assert_int_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT command, dry_run, "
		"started_at, finished_at, exit_code, stats FROM runs", -1, &s,
		NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 0), "run");
	ck_assert_int_eq(sqlite3_column_int(s, 1), 1);
	ck_assert_int_eq(sqlite3_column_int(s, 2), 100);
	ck_assert_int_eq(sqlite3_column_int(s, 3), 160);
	ck_assert_int_eq(sqlite3_column_int(s, 4), 1);
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 5), "{\"created\":3}");
	sqlite3_finalize(s);
	sqlite3_close(db);

	ck_assert_int_eq(state_providers_get(st, "DO1", &out, &at, &found, &e), 0);
	ck_assert_int_eq(found, 0);
	ck_assert_int_eq(state_providers_put(st, &l, 500, &e), 0);
	ck_assert_int_eq(state_providers_get(st, "DO1", &out, &at, &found, &e), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(at, 500);
	ck_assert_str_eq(out.delivery_option_id, "DO1");
	ck_assert_uint_eq(out.n, 2);
	ck_assert_str_eq(out.v[0].name, "USPS");
	ck_assert_str_eq(out.v[1].id, "7117859084333745966");
	tt_provider_list_free(&out);
	/* Refreshed: the list is replaced, not merged. */
	l.n = 1;
	l.v = v + 1;
	ck_assert_int_eq(state_providers_put(st, &l, 600, &e), 0);
	ck_assert_int_eq(state_providers_get(st, "DO1", &out, &at, &found, &e), 0);
	ck_assert_int_eq(at, 600);
	ck_assert_uint_eq(out.n, 1);
	ck_assert_str_eq(out.v[0].name, "UPS");
	tt_provider_list_free(&out);
	/* An empty list is a valid answer (TikTok-shipped option). */
	l.n = 0;
	ck_assert_int_eq(state_providers_put(st, &l, 700, &e), 0);
	ck_assert_int_eq(state_providers_get(st, "DO1", &out, &at, &found, &e), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_uint_eq(out.n, 0);
	tt_provider_list_free(&out);
}
END_TEST

START_TEST(test_transactions)
{
	struct err e = { 0 };
	struct order_rec r;
	struct unit_map u = { "L1", "gid://shopify/LineItem/1" };
	int found = 0;

	ck_assert_int_eq(state_begin(st, &e), 0);
	ck_assert_int_eq(state_begin(st, &e), -1);	/* no nesting */
	put_order("T1", TT_AWAITING_SHIPMENT, 1, 1);
	ck_assert_int_eq(state_units_put(st, "T1", &u, 1, &e), 0);
	state_rollback(st);
	ck_assert_int_eq(state_order_get(st, "T1", &r, &found, &e), 0);
	ck_assert_int_eq(found, 0);

	ck_assert_int_eq(state_begin(st, &e), 0);
	put_order("T1", TT_AWAITING_SHIPMENT, 1, 1);
	ck_assert_int_eq(state_order_link(st, "T1", "g/1", "#1", "1", 2, &e), 0);
	ck_assert_int_eq(state_units_put(st, "T1", &u, 1, &e), 0);
	ck_assert_int_eq(state_commit(st, &e), 0);
	ck_assert_int_eq(state_order_get(st, "T1", &r, &found, &e), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_str_eq(r.sh_gid, "g/1");
	order_rec_free(&r);
}
END_TEST

/* ---- files ttsync must refuse --------------------------------------------- */

START_TEST(test_newer_schema_refused)
{
	struct err e = { 0 };
	struct state *s2 = NULL;
	sqlite3 *db;

	state_close(st);
	st = NULL;
	ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL,
				      NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(state_open(dbpath, &s2, &e), -1);
	ck_assert_ptr_null(s2);
	ck_assert_int_eq(e.cls, ERR_STATE);
	ck_assert_ptr_nonnull(strstr(e.msg, dbpath));
	ck_assert_ptr_nonnull(strstr(e.msg, "schema version 999"));
	ck_assert_ptr_nonnull(strstr(e.msg, "newer"));
}
END_TEST

START_TEST(test_corrupt_file_refused)
{
	struct err e = { 0 };
	struct state *s2 = NULL;
	char path[PATH_MAX + 64];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/garbage.sqlite", tmpdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (i = 0; i < 200; i++)
		fputs("this is not an SQLite database, just text\n", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(state_open(path, &s2, &e), -1);
	ck_assert_ptr_null(s2);
	ck_assert_int_eq(e.cls, ERR_STATE);
	ck_assert_msg(strstr(e.msg, path) != NULL, "%s", e.msg);
	ck_assert_msg(strstr(e.msg, "not a usable ttsync state database") != NULL,
		      "%s", e.msg);
}
END_TEST

START_TEST(test_foreign_database_refused)
{
	struct err e = { 0 };
	struct state *s2 = NULL;
	char path[PATH_MAX + 64];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/other.sqlite", tmpdir);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(state_open(path, &s2, &e), -1);
	ck_assert_int_eq(e.cls, ERR_STATE);
	ck_assert_ptr_nonnull(strstr(e.msg, path));
	ck_assert_ptr_nonnull(strstr(e.msg, "not ttsync's"));
}
END_TEST

START_TEST(test_reopen_keeps_data)
{
	struct err e = { 0 };
	struct order_rec r;
	int found = 0;

	put_order("R1", TT_DELIVERED, 1, 1);
	state_close(st);
	st = NULL;
	ck_assert_int_eq(state_open(dbpath, &st, &e), 0);
	ck_assert_int_eq(state_order_get(st, "R1", &r, &found, &e), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_int_eq(r.tt_status, TT_DELIVERED);
	order_rec_free(&r);
}
END_TEST

static Suite *state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_file_created_private_wal);
	tcase_add_test(tc, test_existing_file_tightened);
	tcase_add_test(tc, test_order_round_trip);
	tcase_add_test(tc, test_snapshot_refresh_keeps_status_and_link);
	tcase_add_test(tc, test_order_errors);
	tcase_add_test(tc, test_orders_foreach_filters);
	tcase_add_test(tc, test_foreach_callback_writes);
	tcase_add_test(tc, test_units_round_trip);
	tcase_add_test(tc, test_fulfillments_round_trip);
	tcase_add_test(tc, test_links);
	tcase_add_test(tc, test_intent_lifecycle);
	tcase_add_test(tc, test_intent_visible_to_second_connection);
	tcase_add_test(tc, test_intent_survives_sigkill);
	tcase_add_test(tc, test_cursor_and_token);
	tcase_add_test(tc, test_runs_and_providers);
	tcase_add_test(tc, test_transactions);
	tcase_add_test(tc, test_newer_schema_refused);
	tcase_add_test(tc, test_corrupt_file_refused);
	tcase_add_test(tc, test_foreign_database_refused);
	tcase_add_test(tc, test_reopen_keeps_data);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(state_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

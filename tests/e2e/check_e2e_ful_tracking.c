/*
 * check_e2e_ful_tracking.c - end-to-end acceptance of tracking edits
 * (issue 4): a tracking number changed in Shopify after the push reaches
 * TikTok through update-shipping-info exactly once and only within 72 h of
 * shipment; a second change, or one after the window, fails with the
 * reason (and the deadline), sends nothing, and is not retried by later
 * runs; `ttsync sync fulfillments ID` examines it again. Time moves by the
 * emulators' clocks and TTSYNC_NOW, never by sleeping.
 */
#include "ful_common.h"

#define N1 "9400111899223197428497"
#define N2 "9400111899223197428503"
#define N3 "9400111899223197428510"

/* Order 01 shipped on TikTok from its Shopify fulfillment (run 2);
 * returns the Shopify fulfillment id, *pkg the TikTok package. */
static const char *shipped_01(struct fstore *f, const char *tag, const char **pkg)
{
	const char *nn[] = { "01", NULL };
	const char *ful;
	json_t *calls;

	fs_start(f, tag, nn, NULL);
	ck_assert_int_eq(fs_run(f), 0);
	ful = fs_fulfill_all(f, TT("01"), "USPS", N1);
	ck_assert_int_eq(fs_run(f), 0);
	calls = fs_ship_calls(f, TT("01"));
	ck_assert_int_eq(json_array_size(calls), 1);
	*pkg = fs_str(json_object_get(fs_response(json_array_get(calls, 0)), "data"),
		      "package_id");
	ck_assert_str_ne(*pkg, "");
	return ful;
}

static json_t *tt_package(struct fstore *f, const char *pkg)
{
	json_t *all = fs_tt_packages(f, TT("01")), *p;
	size_t i;

	json_array_foreach(all, i, p)
		if (strcmp(fs_str(p, "id"), pkg) == 0)
			return p;
	ck_abort_msg("package %s not on TikTok", pkg);
	return NULL;
}

static int gets_of_order(struct fstore *f, const char *tt_id)
{
	json_t *all = harness_log_select(&f->s.tt, "GET", "/order/202309/orders", NULL), *e;
	size_t i;
	int n = 0;

	json_array_foreach(all, i, e)
		if (strcmp(fs_str(e, "path"), "/order/202309/orders") == 0 &&
		    strstr(fs_str(e, "query"), tt_id) != NULL)
			n++;
	json_decref(all);
	return n;
}

START_TEST(tracking_update_once)
{
	struct fstore f;
	const char *ful, *pkg;
	json_t *calls, *b, *row, *rec, *rows, *r;
	char path[128];
	int gets;
	size_t i;

	ful = shipped_01(&f, "ful-track-once", &pkg);

	/* First change: sent once, with the provider. */
	fs_edit_tracking(&f, ful, N2);
	ck_assert_int_eq(fs_run(&f), 0);
	ck_assert_int_eq(fs_update_calls(&f), 1);
	snprintf(path, sizeof(path), "/fulfillment/202309/packages/%s/shipping_info/update", pkg);
	calls = fs_keep(harness_log_select(&f.s.tt, "POST", path, NULL));
	ck_assert_int_eq(json_array_size(calls), 1);
	b = fs_body(json_array_get(calls, 0));
	ck_assert_str_eq(fs_str(b, "tracking_number"), N2);
	ck_assert_str_eq(fs_str(b, "shipping_provider_id"), P_USPS);
	ck_assert_int_eq(json_integer_value(json_object_get(
		fs_response(json_array_get(calls, 0)), "code")), 0);
	ck_assert_str_eq(fs_str(tt_package(&f, pkg), "tracking_number"), N2);
	ck_assert_int_eq(json_integer_value(json_object_get(tt_package(&f, pkg), "updates")), 1);
	ck_assert_str_eq(fs_str(fs_tt_line(fs_tt_order(&f, TT("01")), UNIT("01", "01")),
				"tracking_number"), N2);
	ck_assert_int_eq(json_array_size(fs_ship_calls(&f, TT("01"))), 1);
	row = fs_row(&f, TT("01"), "fulfillment", "update_tracking");
	fs_assert_row(row, "synced", "");
	rec = fs_rec(&f, TT("01"), NULL);
	ck_assert_str_eq(fs_str(rec, "tracking"), N2);
	ck_assert_int_eq(json_integer_value(json_object_get(rec, "updates")), 1);
	ck_assert_str_eq(fs_str(rec, "package"), pkg);

	/* Unchanged: nothing more. */
	ck_assert_int_eq(fs_run(&f), 0);
	ck_assert_int_eq(fs_update_calls(&f), 1);

	/* Second change: TikTok allows one; needs a person, nothing sent. */
	fs_edit_tracking(&f, ful, N3);
	ck_assert_int_eq(fs_run(&f), 1);
	ck_assert_int_eq(fs_update_calls(&f), 1);
	ck_assert_int_eq(fs_tt_writes(&f), 2);
	row = fs_row(&f, TT("01"), "fulfillment", NULL);
	fs_assert_row(row, "failed", "TRACKING_UPDATE_ONCE");
	ck_assert_str_eq(fs_str(row, "needs_person"), "1");
	ck_assert_ptr_nonnull(strstr(fs_str(row, "reason"), N3));
	ck_assert_ptr_nonnull(strstr(fs_str(row, "remedy"), "TikTok Shop support"));
	ck_assert_str_eq(fs_str(tt_package(&f, pkg), "tracking_number"), N2);

	/* The following runs do not try again: the failure stays open (the
	 * report carries it) and nothing is sent. (Their exit status is not
	 * asserted: a run in which nothing new failed may exit 0.) */
	fs_run(&f);
	fs_run(&f);
	ck_assert_int_eq(fs_tt_writes(&f), 2);
	rows = fs_rows(&f, TT("01"), "fulfillment");
	ck_assert_int_eq(json_array_size(rows), 1);
	json_array_foreach(rows, i, r) {
		fs_assert_row(r, "failed", "TRACKING_UPDATE_ONCE");
		ck_assert_msg(strstr(fs_str(r, "detail"), "open since an earlier run") != NULL,
			      "a scheduled run examined the refused change again: %s",
			      fs_str(r, "detail"));
	}
	ck_assert_str_eq(fs_str(tt_package(&f, pkg), "tracking_number"), N2);

	/* A manual sync reads the order again and examines it again: TikTok
	 * still allows no second change, so nothing is sent. */
	gets = gets_of_order(&f, TT("01"));
	{
		const char *args[] = { "sync", "fulfillments", TT("01"), NULL };

		ck_assert_int_eq(fs_ttsync(&f, args), 1);
	}
	ck_assert_int_gt(gets_of_order(&f, TT("01")), gets);
	row = fs_row(&f, TT("01"), "fulfillment", NULL);
	fs_assert_row(row, "failed", "TRACKING_UPDATE_ONCE");
	ck_assert_ptr_null(strstr(fs_str(row, "detail"), "open since an earlier run"));
	ck_assert_int_eq(fs_tt_writes(&f), 2);
	fs_stop(&f);
}
END_TEST

START_TEST(tracking_update_window)
{
	struct fstore f;
	const char *ful, *pkg;
	json_t *rec, *row;
	long long shipped;
	char deadline[32];

	ful = shipped_01(&f, "ful-track-window", &pkg);
	rec = fs_rec(&f, TT("01"), NULL);
	shipped = json_integer_value(json_object_get(rec, "shipped_at"));
	ck_assert_msg(shipped >= f.now - 5 && shipped <= f.now + 5,
		      "shipped_at %lld, run at %lld", shipped, f.now);

	/* 73 hours later the merchant changes the number. */
	ck_assert_int_gt(harness_store_advance(&f.s, 73LL * 3600), 0);
	fs_edit_tracking(&f, ful, N2);
	ck_assert_int_eq(fs_run(&f), 1);
	ck_assert_int_eq(fs_update_calls(&f), 0);
	ck_assert_int_eq(fs_tt_writes(&f), 1);
	row = fs_row(&f, TT("01"), "fulfillment", NULL);
	fs_assert_row(row, "failed", "TRACKING_UPDATE_WINDOW");
	ck_assert_str_eq(fs_str(row, "needs_person"), "1");
	ck_assert_int_eq(time_to_iso8601(shipped + 72 * 3600, deadline), 0);
	ck_assert_msg(strstr(fs_str(row, "reason"), deadline) != NULL,
		      "the reason does not name the deadline %s: %s", deadline,
		      fs_str(row, "reason"));
	ck_assert_str_eq(fs_str(tt_package(&f, pkg), "tracking_number"), N1);
	ck_assert_int_eq(json_integer_value(json_object_get(tt_package(&f, pkg), "updates")), 0);

	fs_run(&f);
	ck_assert_int_eq(fs_tt_writes(&f), 1);
	ck_assert_ptr_nonnull(strstr(fs_str(fs_row(&f, TT("01"), "fulfillment", NULL), "detail"),
				     "open since an earlier run"));
	fs_stop(&f);
}
END_TEST

/* CASES rows 35 and 36 (orders linked to another connector's Shopify
 * orders): 35 was pushed by run 1 and its change within 72 h goes out;
 * 36 was shipped 4 days ago (rts_time), so its change is refused with the
 * deadline counted from TikTok's rts_time. Fulfillment ids come from the
 * Shopify state (the emulator numbers them itself). */
START_TEST(tracking_edit_linked_orders)
{
	const char *nn[] = { "35", "36", NULL };
	struct fstore f;
	json_t *sh35, *sh36, *calls, *b, *row, *o36;
	const char *f35, *f36, *pkg35;
	char deadline[32], path[128];
	long long rts;

	fs_start(&f, "ful-track-linked", nn, NULL);
	ck_assert_int_eq(fs_run(&f), 0);
	calls = fs_ship_calls(&f, TT("35"));
	ck_assert_int_eq(json_array_size(calls), 1);
	b = fs_body(json_array_get(calls, 0));
	ck_assert_str_eq(fs_str(b, "tracking_number"), "9400111899223188880006");
	pkg35 = fs_str(json_object_get(fs_response(json_array_get(calls, 0)), "data"),
		       "package_id");
	ck_assert_int_eq(json_array_size(fs_ship_calls(&f, TT("36"))), 0);

	sh35 = fs_sh_order(&f, TT("35"));
	sh36 = fs_sh_order(&f, TT("36"));
	ck_assert_str_eq(fs_str(sh35, "name"), "#991");
	ck_assert_str_eq(fs_str(sh36, "name"), "#992");
	f35 = fs_str(json_array_get(json_object_get(sh35, "fulfillments"), 0), "id");
	f36 = fs_str(json_array_get(json_object_get(sh36, "fulfillments"), 0), "id");
	fs_edit_tracking(&f, f35, "9400111899223188880013");
	fs_edit_tracking(&f, f36, "9400111899223177770011");
	ck_assert_int_eq(fs_run(&f), 1);

	snprintf(path, sizeof(path), "/fulfillment/202309/packages/%s/shipping_info/update",
		 pkg35);
	calls = fs_keep(harness_log_select(&f.s.tt, "POST", path, NULL));
	ck_assert_int_eq(json_array_size(calls), 1);
	ck_assert_int_eq(fs_update_calls(&f), 1);
	b = fs_body(json_array_get(calls, 0));
	ck_assert_str_eq(fs_str(b, "tracking_number"), "9400111899223188880013");
	ck_assert_str_eq(fs_str(b, "shipping_provider_id"), P_USPS);
	fs_assert_row(fs_row(&f, TT("35"), "fulfillment", "update_tracking"), "synced", "");
	ck_assert_str_eq(fs_str(fs_tt_line(fs_tt_order(&f, TT("35")), UNIT("35", "01")),
				"tracking_number"), "9400111899223188880013");

	row = fs_row(&f, TT("36"), "fulfillment", NULL);
	fs_assert_row(row, "failed", "TRACKING_UPDATE_WINDOW");
	o36 = fs_tt_order(&f, TT("36"));
	rts = json_integer_value(json_object_get(fs_tt_line(o36, UNIT("36", "01")), "rts_time"));
	if (rts == 0)
		rts = json_integer_value(json_object_get(o36, "rts_time"));
	ck_assert_int_gt(rts, 0);
	ck_assert_int_eq(time_to_iso8601(rts + 72 * 3600, deadline), 0);
	ck_assert_msg(strstr(fs_str(row, "reason"), deadline) != NULL,
		      "the reason does not name the deadline %s: %s", deadline,
		      fs_str(row, "reason"));
	ck_assert_str_eq(fs_str(fs_tt_line(o36, UNIT("36", "01")), "tracking_number"),
			 "9400111899223177770004");
	fs_run(&f);
	ck_assert_int_eq(fs_update_calls(&f), 1);
	ck_assert_int_eq(fs_tt_writes(&f), 2);
	fs_stop(&f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("e2e fulfillment tracking edits");
	TCase *tc = tcase_create("tracking");

	tcase_set_timeout(tc, FS_TIMEOUT);
	tcase_add_unchecked_fixture(tc, fs_suite_setup, fs_suite_teardown);
	tcase_add_test(tc, tracking_update_once);
	tcase_add_test(tc, tracking_update_window);
	tcase_add_test(tc, tracking_edit_linked_orders);
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

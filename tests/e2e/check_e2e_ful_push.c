/*
 * check_e2e_ful_push.c - end-to-end acceptance of seller shipping,
 * Shopify -> TikTok (issue 4): the real ttsync against both emulators,
 * starting from orders of the demo store (fixtures/demo/CASES.md). The
 * merchant fulfils in Shopify; the tests assert what TikTok received
 * (Mark Package As Shipped bodies in the request log, the order, its
 * lines and packages in the emulator state), the report rows, ttsync's
 * state (package id), and that nothing is sent when the carrier, the
 * tracking number or the units are wrong. Carrier rules are checked
 * against TikTok's providers by `ttsync run` and `ttsync check-config`.
 */
#include "ful_common.h"

/* One Mark Package As Shipped call: units, tracking, provider. */
static void assert_ship_call(json_t *call, const char *const *units,
			     const char *tracking, const char *provider)
{
	json_t *b = fs_body(call);

	ck_assert_msg(fs_ids_eq(json_object_get(b, "order_line_item_ids"), units),
		      "order_line_item_ids: %s", fs_str(call, "body"));
	ck_assert_str_eq(fs_str(b, "tracking_number"), tracking);
	ck_assert_str_eq(fs_str(b, "shipping_provider_id"), provider);
	ck_assert_int_eq(json_integer_value(json_object_get(call, "status")), 200);
}

/* The package id TikTok answered a ship call with. */
static const char *answered_package(json_t *call)
{
	json_t *r = fs_response(call);

	ck_assert_int_eq(json_integer_value(json_object_get(r, "code")), 0);
	return fs_str(json_object_get(r, "data"), "package_id");
}

/* TikTok's line: shipped in package pkg with tracking / provider. */
static void assert_line_shipped(json_t *order, const char *line, const char *pkg,
				const char *tracking, const char *provider,
				const char *display)
{
	json_t *l = fs_tt_line(order, line);

	ck_assert_str_eq(fs_str(l, "package_id"), pkg);
	ck_assert_str_eq(fs_str(l, "tracking_number"), tracking);
	ck_assert_str_eq(fs_str(l, "shipping_provider_id"), provider);
	ck_assert_str_eq(fs_str(l, "display_status"), display);
}

static void assert_line_unshipped(json_t *order, const char *line)
{
	json_t *l = fs_tt_line(order, line);

	ck_assert_str_eq(fs_str(l, "display_status"), "AWAITING_SHIPMENT");
	ck_assert_str_eq(fs_str(l, "package_id"), "");
	ck_assert_str_eq(fs_str(l, "tracking_number"), "");
}

/* A second run with nothing new writes nothing anywhere. */
static void assert_quiet_run(struct fstore *f)
{
	int tt = fs_tt_writes(f), sh = fs_sh_mutations(f);

	fs_run(f);
	ck_assert_msg(fs_tt_writes(f) == tt, "an unchanged run wrote to TikTok");
	ck_assert_msg(fs_sh_mutations(f) == sh, "an unchanged run wrote to Shopify");
}

/* CASES row 01: one unit, exact carrier name, valid USPS number. */
START_TEST(push_exact_units_usps)
{
	const char *nn[] = { "01", NULL };
	const char *units[] = { UNIT("01", "01"), NULL };
	struct fstore f;
	json_t *calls, *o, *pk, *row, *rec;
	const char *ful, *pkg;
	char key[256];

	fs_start(&f, "ful-push-01", nn, NULL);
	ck_assert_int_eq(fs_run(&f), 0);
	ck_assert_int_eq(json_array_size(fs_ship_calls(&f, TT("01"))), 0);
	ful = fs_fulfill_all(&f, TT("01"), "USPS", "9400111899223197428497");
	ck_assert_int_eq(fs_run(&f), 0);

	calls = fs_ship_calls(&f, TT("01"));
	ck_assert_int_eq(json_array_size(calls), 1);
	assert_ship_call(json_array_get(calls, 0), units, "9400111899223197428497", P_USPS);
	pkg = answered_package(json_array_get(calls, 0));
	ck_assert_str_ne(pkg, "");

	o = fs_tt_order(&f, TT("01"));
	ck_assert_str_eq(fs_str(o, "status"), "AWAITING_COLLECTION");
	assert_line_shipped(o, UNIT("01", "01"), pkg, "9400111899223197428497", P_USPS,
			    "AWAITING_COLLECTION");
	pk = fs_tt_packages(&f, TT("01"));
	ck_assert_int_eq(json_array_size(pk), 1);
	ck_assert_str_eq(fs_str(json_array_get(pk, 0), "id"), pkg);
	ck_assert(fs_ids_eq(json_object_get(json_array_get(pk, 0), "order_line_item_ids"), units));
	ck_assert_str_eq(fs_str(json_array_get(pk, 0), "shipping_provider_id"), P_USPS);

	row = fs_row(&f, TT("01"), "fulfillment", "ship_package");
	fs_assert_row(row, "synced", "");
	ck_assert_str_eq(fs_str(row, "direction"), "shopify_to_tiktok");
	ck_assert_ptr_nonnull(strstr(fs_str(row, "detail"), "9400111899223197428497"));

	/* The package id is recorded with the fulfillment. */
	snprintf(key, sizeof(key), "push:%s", ful);
	rec = fs_rec(&f, TT("01"), key);
	ck_assert_str_eq(fs_str(rec, "package"), pkg);
	ck_assert_str_eq(fs_str(rec, "tracking"), "9400111899223197428497");
	ck_assert_str_eq(fs_str(rec, "provider_id"), P_USPS);
	ck_assert_int_eq(json_integer_value(json_object_get(rec, "status")), SYNC_SYNCED);
	ck_assert(fs_ids_eq(json_object_get(rec, "units"), units));

	/* `ttsync status ID` shows the synced fulfillment, its tracking and
	 * TikTok's package. */
	{
		const char *args[] = { "status", TT("01"), NULL };

		ck_assert_int_eq(fs_ttsync(&f, args), 0);
		ck_assert_ptr_nonnull(strstr(f.last_out, "9400111899223197428497"));
		ck_assert_ptr_nonnull(strstr(f.last_out, "Synced"));
		ck_assert_msg(strstr(f.last_out, pkg) != NULL, "status does not show package %s:\n%s",
			      pkg, f.last_out);
	}
	assert_quiet_run(&f);
	ck_assert_int_eq(f.last_status, 0);
	fs_stop(&f);
}
END_TEST

/* CASES row 02: 2 of 3 units, then the last one in a second fulfillment. */
START_TEST(push_partial_then_rest)
{
	const char *nn[] = { "02", NULL };
	const char *first[] = { UNIT("02", "01"), UNIT("02", "02"), NULL };
	const char *rest[] = { UNIT("02", "03"), NULL };
	struct fstore f;
	json_t *calls, *o;
	const char *pkg1, *pkg2;

	fs_start(&f, "ful-push-02", nn, NULL);
	ck_assert_int_eq(fs_run(&f), 0);
	fs_fulfill_sku(&f, TT("02"), "MUG-SAND-12", 2, "USPS", "9405511899561234567819");
	ck_assert_int_eq(fs_run(&f), 0);
	calls = fs_ship_calls(&f, TT("02"));
	ck_assert_int_eq(json_array_size(calls), 1);
	assert_ship_call(json_array_get(calls, 0), first, "9405511899561234567819", P_USPS);
	pkg1 = answered_package(json_array_get(calls, 0));
	o = fs_tt_order(&f, TT("02"));
	ck_assert_str_eq(fs_str(o, "status"), "PARTIALLY_SHIPPING");
	assert_line_shipped(o, UNIT("02", "01"), pkg1, "9405511899561234567819", P_USPS,
			    "AWAITING_COLLECTION");
	assert_line_shipped(o, UNIT("02", "02"), pkg1, "9405511899561234567819", P_USPS,
			    "AWAITING_COLLECTION");
	assert_line_unshipped(o, UNIT("02", "03"));

	fs_fulfill_sku(&f, TT("02"), "MUG-SAND-12", 1, "USPS", "9405511899561234567826");
	ck_assert_int_eq(fs_run(&f), 0);
	calls = fs_ship_calls(&f, TT("02"));
	ck_assert_int_eq(json_array_size(calls), 2);
	assert_ship_call(json_array_get(calls, 1), rest, "9405511899561234567826", P_USPS);
	pkg2 = answered_package(json_array_get(calls, 1));
	ck_assert_str_ne(pkg1, pkg2);
	o = fs_tt_order(&f, TT("02"));
	ck_assert_str_eq(fs_str(o, "status"), "AWAITING_COLLECTION");
	assert_line_shipped(o, UNIT("02", "03"), pkg2, "9405511899561234567826", P_USPS,
			    "AWAITING_COLLECTION");
	ck_assert_int_eq(json_array_size(fs_tt_packages(&f, TT("02"))), 2);
	fs_assert_row(fs_row(&f, TT("02"), "fulfillment", "ship_package"), "synced", "");
	assert_quiet_run(&f);
	fs_stop(&f);
}
END_TEST

/* CASES row 42: two Shopify fulfillments in one run -> two packages. */
START_TEST(push_two_packages_one_run)
{
	const char *nn[] = { "42", NULL };
	const char *a[] = { UNIT("42", "01"), UNIT("42", "02"), NULL };
	const char *b[] = { UNIT("42", "03"), NULL };
	struct fstore f;
	json_t *calls, *o, *rows, *r, *ca = NULL, *cb = NULL, *call;
	size_t i, synced = 0;

	fs_start(&f, "ful-push-42", nn, NULL);
	ck_assert_int_eq(fs_run(&f), 0);
	fs_sh_event(&f, json_pack("{s:s,s:s,s:[{s:s,s:i},{s:s,s:i}],s:s,s:s}",
				  "type", "fulfill", "order", TT("42"), "lines",
				  "sku", "TEE-BLK-M", "quantity", 1, "sku", "HOOD-GRY-M",
				  "quantity", 1, "company", "USPS", "number",
				  "9400111899223142420002"));
	fs_fulfill_sku(&f, TT("42"), "CANDLE-CEDAR", 1, "UPS", "1Z4V8E690342424242");
	ck_assert_int_eq(fs_run(&f), 0);
	calls = fs_ship_calls(&f, TT("42"));
	ck_assert_int_eq(json_array_size(calls), 2);
	json_array_foreach(calls, i, call) {
		if (strcmp(fs_str(fs_body(call), "shipping_provider_id"), P_USPS) == 0)
			ca = call;
		else
			cb = call;
	}
	ck_assert_ptr_nonnull(ca);
	ck_assert_ptr_nonnull(cb);
	assert_ship_call(ca, a, "9400111899223142420002", P_USPS);
	assert_ship_call(cb, b, "1Z4V8E690342424242", P_UPS);
	o = fs_tt_order(&f, TT("42"));
	ck_assert_str_eq(fs_str(o, "status"), "AWAITING_COLLECTION");
	assert_line_shipped(o, UNIT("42", "01"), answered_package(ca),
			    "9400111899223142420002", P_USPS, "AWAITING_COLLECTION");
	assert_line_shipped(o, UNIT("42", "02"), answered_package(ca),
			    "9400111899223142420002", P_USPS, "AWAITING_COLLECTION");
	assert_line_shipped(o, UNIT("42", "03"), answered_package(cb),
			    "1Z4V8E690342424242", P_UPS, "AWAITING_COLLECTION");
	ck_assert_int_eq(json_array_size(fs_tt_packages(&f, TT("42"))), 2);
	rows = fs_rows(&f, TT("42"), "fulfillment");
	json_array_foreach(rows, i, r)
		if (strcmp(fs_str(r, "action"), "ship_package") == 0 &&
		    strcmp(fs_str(r, "status"), "synced") == 0)
			synced++;
	ck_assert_int_eq(synced, 2);
	assert_quiet_run(&f);
	fs_stop(&f);
}
END_TEST

/* CASES row 03: company "Other" reaches TikTok only through the rule
 * Other -> Cainiao US; without it the fulfillment fails, and adding the
 * rule fixes it on the next run. */
START_TEST(push_carrier_rule)
{
	const char *nn[] = { "03", NULL };
	const char *units[] = { UNIT("03", "01"), UNIT("03", "02"), UNIT("03", "03"),
				UNIT("03", "04"), NULL };
	struct store_opts o;
	struct fstore f;
	json_t *row, *calls, *order;

	fs_opts(&o);
	o.extra_yaml = NULL;	/* no carrier rule yet */
	fs_start(&f, "ful-push-03", nn, &o);
	ck_assert_int_eq(fs_run(&f), 0);
	fs_fulfill_all(&f, TT("03"), "Other", "LP00412345678901");
	ck_assert_int_eq(fs_run(&f), 1);
	row = fs_row(&f, TT("03"), "fulfillment", NULL);
	fs_assert_row(row, "failed", "CARRIER_NOT_INTEGRATED");
	ck_assert_int_eq(json_array_size(fs_ship_calls(&f, TT("03"))), 0);

	fs_opts(&o);		/* the rule Other -> Cainiao US */
	fs_config(&f, &o);
	ck_assert_int_eq(fs_run(&f), 0);
	calls = fs_ship_calls(&f, TT("03"));
	ck_assert_int_eq(json_array_size(calls), 1);
	assert_ship_call(json_array_get(calls, 0), units, "LP00412345678901", P_CAINIAO);
	order = fs_tt_order(&f, TT("03"));
	ck_assert_str_eq(fs_str(order, "status"), "AWAITING_COLLECTION");
	assert_line_shipped(order, UNIT("03", "04"), answered_package(json_array_get(calls, 0)),
			    "LP00412345678901", P_CAINIAO, "AWAITING_COLLECTION");
	row = fs_row(&f, TT("03"), "fulfillment", "ship_package");
	fs_assert_row(row, "synced", "");
	ck_assert_ptr_nonnull(strstr(fs_str(row, "detail"), "Cainiao US"));
	assert_quiet_run(&f);
	fs_stop(&f);
}
END_TEST

/* CASES row 04: a carrier TikTok does not integrate, no rule. */
START_TEST(push_carrier_not_integrated)
{
	static const char *const names[] = { "USPS", "UPS", "FedEx", "DHL eCommerce",
					     "OnTrac", "Cainiao US", "Amazon Shipping" };
	const char *nn[] = { "04", NULL };
	struct fstore f;
	json_t *row, *o;
	size_t i;

	fs_start(&f, "ful-push-04", nn, NULL);
	ck_assert_int_eq(fs_run(&f), 0);
	fs_fulfill_all(&f, TT("04"), "Bob's Courier", "BC-104233");
	ck_assert_int_eq(fs_run(&f), 1);
	row = fs_row(&f, TT("04"), "fulfillment", NULL);
	fs_assert_row(row, "failed", "CARRIER_NOT_INTEGRATED");
	ck_assert_ptr_nonnull(strstr(fs_str(row, "reason"), "Bob's Courier"));
	for (i = 0; i < ARRAY_SIZE(names); i++)
		ck_assert_msg(strstr(fs_str(row, "reason"), names[i]) != NULL,
			      "valid name %s missing from: %s", names[i], fs_str(row, "reason"));
	ck_assert_str_ne(fs_str(row, "remedy"), "");
	ck_assert_str_eq(fs_str(row, "needs_person"), "0");
	ck_assert_int_eq(fs_tt_writes(&f), 0);
	o = fs_tt_order(&f, TT("04"));
	ck_assert_str_eq(fs_str(o, "status"), "AWAITING_SHIPMENT");
	ck_assert_int_eq(json_array_size(fs_tt_packages(&f, TT("04"))), 0);
	/* Retried after a fix, never sent while the carrier is unknown. */
	ck_assert_int_eq(fs_run(&f), 1);
	fs_assert_row(fs_row(&f, TT("04"), "fulfillment", NULL), "failed",
		      "CARRIER_NOT_INTEGRATED");
	ck_assert_int_eq(fs_tt_writes(&f), 0);
	fs_stop(&f);
}
END_TEST

/* CASES row 05: a number that is not a UPS number. */
START_TEST(push_tracking_format_invalid)
{
	const char *nn[] = { "05", NULL };
	struct fstore f;
	json_t *row;

	fs_start(&f, "ful-push-05", nn, NULL);
	ck_assert_int_eq(fs_run(&f), 0);
	fs_fulfill_all(&f, TT("05"), "UPS", "1Z999AA1012345");
	ck_assert_int_eq(fs_run(&f), 1);
	row = fs_row(&f, TT("05"), "fulfillment", NULL);
	fs_assert_row(row, "failed", "TRACKING_FORMAT_INVALID");
	ck_assert_ptr_nonnull(strstr(fs_str(row, "reason"), "1Z999AA1012345"));
	ck_assert_ptr_nonnull(strstr(fs_str(row, "reason"), "UPS"));
	ck_assert_int_eq(fs_tt_writes(&f), 0);
	ck_assert_str_eq(fs_str(fs_tt_order(&f, TT("05")), "status"), "AWAITING_SHIPMENT");
	fs_stop(&f);
}
END_TEST

/* CASES row 06: no tracking number; the merchant adds one, the next run
 * ships both units. */
START_TEST(push_tracking_missing_then_added)
{
	const char *nn[] = { "06", NULL };
	const char *units[] = { UNIT("06", "01"), UNIT("06", "02"), NULL };
	struct fstore f;
	json_t *row, *calls;
	const char *ful;

	fs_start(&f, "ful-push-06", nn, NULL);
	ck_assert_int_eq(fs_run(&f), 0);
	ful = fs_fulfill_all(&f, TT("06"), "USPS", NULL);
	ck_assert_ptr_nonnull(ful);
	ck_assert_int_eq(fs_run(&f), 1);
	row = fs_row(&f, TT("06"), "fulfillment", NULL);
	fs_assert_row(row, "failed", "TRACKING_MISSING");
	ck_assert_int_eq(fs_tt_writes(&f), 0);

	fs_edit_tracking(&f, ful, "9400111899223106060006");
	ck_assert_int_eq(fs_run(&f), 0);
	calls = fs_ship_calls(&f, TT("06"));
	ck_assert_int_eq(json_array_size(calls), 1);
	assert_ship_call(json_array_get(calls, 0), units, "9400111899223106060006", P_USPS);
	ck_assert_str_eq(fs_str(fs_tt_order(&f, TT("06")), "status"), "AWAITING_COLLECTION");
	assert_quiet_run(&f);
	fs_stop(&f);
}
END_TEST

/* CASES row 08: the number fits DHL eCommerce and USPS: shipped with DHL
 * eCommerce, TikTok's warning kept in the report and the state. */
START_TEST(push_warning_kept)
{
	const char *nn[] = { "08", NULL };
	const char *units[] = { UNIT("08", "01"), UNIT("08", "02"), NULL };
	struct fstore f;
	json_t *calls, *resp, *row, *rec;
	const char *warning;

	fs_start(&f, "ful-push-08", nn, NULL);
	ck_assert_int_eq(fs_run(&f), 0);
	fs_fulfill_all(&f, TT("08"), "DHL eCommerce", "9261290100130436100008");
	ck_assert_int_eq(fs_run(&f), 0);
	calls = fs_ship_calls(&f, TT("08"));
	ck_assert_int_eq(json_array_size(calls), 1);
	assert_ship_call(json_array_get(calls, 0), units, "9261290100130436100008", P_DHLE);
	resp = fs_response(json_array_get(calls, 0));
	warning = fs_str(json_object_get(json_object_get(resp, "data"), "warning"), "message");
	ck_assert_ptr_nonnull(strstr(warning, "also matches the format of USPS"));
	row = fs_row(&f, TT("08"), "fulfillment", "ship_package");
	fs_assert_row(row, "synced", "");
	ck_assert_msg(strstr(fs_str(row, "detail"), warning) != NULL,
		      "TikTok's warning \"%s\" is not in the report: %s", warning,
		      fs_str(row, "detail"));
	rec = fs_rec(&f, TT("08"), NULL);
	ck_assert_str_eq(fs_str(rec, "warning"), warning);
	fs_stop(&f);
}
END_TEST

/* A carrier rule naming a provider TikTok does not offer: reported by the
 * run (with the valid names) and by check-config; the rest still syncs. */
START_TEST(carrier_rule_unknown_provider)
{
	static const char *const names[] = { "USPS", "UPS", "FedEx", "DHL eCommerce",
					     "OnTrac", "Cainiao US", "Amazon Shipping" };
	const char *nn[] = { "01", NULL };
	const char *check[] = { "check-config", NULL };
	struct store_opts o;
	struct fstore f;
	json_t *rows, *row;
	size_t i;

	fs_opts(&o);
	o.extra_yaml = "carrier_rules:\n  - shopify: Other\n    tiktok: Cainiao US\n"
		       "  - shopify: Speedy Bob\n    tiktok: Bobs Express\n";
	fs_start(&f, "ful-rule-unknown", nn, &o);
	/* Checked at the start of every run, push or not. */
	ck_assert_int_eq(fs_run(&f), 1);
	rows = fs_rows(&f, NULL, "config");
	ck_assert_int_eq(json_array_size(rows), 1);
	ck_assert_ptr_nonnull(strstr(fs_str(json_array_get(rows, 0), "reason"), "Bobs Express"));
	fs_fulfill_all(&f, TT("01"), "USPS", "9400111899223197428497");
	ck_assert_int_eq(fs_run(&f), 1);
	rows = fs_rows(&f, NULL, "config");
	ck_assert_int_eq(json_array_size(rows), 1);
	row = json_array_get(rows, 0);
	fs_assert_row(row, "failed", "CARRIER_RULE_UNKNOWN_PROVIDER");
	ck_assert_ptr_nonnull(strstr(fs_str(row, "reason"), "Bobs Express"));
	for (i = 0; i < ARRAY_SIZE(names); i++)
		ck_assert_msg(strstr(fs_str(row, "reason"), names[i]) != NULL,
			      "valid name %s missing from: %s", names[i], fs_str(row, "reason"));
	ck_assert_ptr_null(strstr(fs_str(row, "reason"), "'Cainiao US' ->"));
	/* The good rule and the push are not held up by the bad rule. */
	fs_assert_row(fs_row(&f, TT("01"), "fulfillment", "ship_package"), "synced", "");

	ck_assert_int_eq(fs_ttsync(&f, check), 1);
	ck_assert_ptr_nonnull(strstr(f.last_out, "Bobs Express"));
	for (i = 0; i < ARRAY_SIZE(names); i++)
		ck_assert_msg(strstr(f.last_out, names[i]) != NULL,
			      "check-config does not list %s: %s", names[i], f.last_out);

	fs_opts(&o);		/* fixed: only the good rule */
	fs_config(&f, &o);
	ck_assert_int_eq(fs_ttsync(&f, check), 0);
	ck_assert_ptr_null(strstr(f.last_out, "Bobs Express"));
	fs_stop(&f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("e2e fulfillment push (Shopify -> TikTok)");
	TCase *tc = tcase_create("push");

	tcase_set_timeout(tc, FS_TIMEOUT);
	tcase_add_unchecked_fixture(tc, fs_suite_setup, fs_suite_teardown);
	tcase_add_test(tc, push_exact_units_usps);
	tcase_add_test(tc, push_partial_then_rest);
	tcase_add_test(tc, push_two_packages_one_run);
	tcase_add_test(tc, push_carrier_rule);
	tcase_add_test(tc, push_carrier_not_integrated);
	tcase_add_test(tc, push_tracking_format_invalid);
	tcase_add_test(tc, push_tracking_missing_then_added);
	tcase_add_test(tc, push_warning_kept);
	tcase_add_test(tc, carrier_rule_unknown_provider);
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

/*
 * check_e2e_ful_modes.c - end-to-end acceptance of the fulfillment sync
 * modes (issue 4): with automatic fulfillment sync off, `ttsync run`
 * records Shopify fulfillments and TikTok packages as Not synced and
 * writes nothing; `ttsync sync fulfillments --config F ID...` pushes or
 * pulls exactly the orders named, `--all-not-synced` every one left; a
 * scheduled run afterwards writes nothing.
 */
#include "ful_common.h"

static int creates(struct fstore *f)
{
	return (int)json_array_size(fs_sh_ops(f, "FulfillmentCreate"));
}

START_TEST(auto_off_then_manual)
{
	const char *nn[] = { "01", "11", "42", NULL };
	const char *u01[] = { UNIT("01", "01"), NULL };
	const char *u42[] = { UNIT("42", "01"), UNIT("42", "02"), UNIT("42", "03"), NULL };
	struct store_opts o;
	struct fstore f;
	json_t *row, *calls;

	fs_opts(&o);
	o.fulfillment_auto_sync_off = 1;
	fs_start(&f, "ful-modes", nn, &o);

	/* Run 1: orders created; TikTok's package of 11 waits. */
	ck_assert_int_eq(fs_run(&f), 0);
	ck_assert_int_eq(json_array_size(fs_sh_ops(&f, "OrderCreate")), 3);
	ck_assert_int_eq(creates(&f), 0);
	row = fs_row(&f, TT("11"), "fulfillment", NULL);
	fs_assert_row(row, "not_synced", "AUTO_SYNC_OFF");

	/* The merchant fulfils 01 and 42 in Shopify: not sent either. */
	fs_fulfill_all(&f, TT("01"), "USPS", "9400111899223197428497");
	fs_fulfill_all(&f, TT("42"), "USPS", "9400111899223142420002");
	ck_assert_int_eq(fs_run(&f), 0);
	fs_assert_row(fs_row(&f, TT("01"), "fulfillment", NULL), "not_synced", "AUTO_SYNC_OFF");
	fs_assert_row(fs_row(&f, TT("42"), "fulfillment", NULL), "not_synced", "AUTO_SYNC_OFF");
	ck_assert_int_eq(fs_tt_writes(&f), 0);
	ck_assert_int_eq(creates(&f), 0);
	{
		const char *args[] = { "status", TT("01"), NULL };

		ck_assert_int_eq(fs_ttsync(&f, args), 0);
		ck_assert_ptr_nonnull(strstr(f.last_out, "Not synced"));
	}
	ck_assert_int_eq(fs_run(&f), 0);
	ck_assert_int_eq(fs_tt_writes(&f), 0);
	ck_assert_int_eq(creates(&f), 0);

	/* Manual sync of one order: exactly that one is pushed. */
	{
		const char *args[] = { "sync", "fulfillments", TT("01"), NULL };

		ck_assert_int_eq(fs_ttsync(&f, args), 0);
	}
	calls = fs_ship_calls(&f, TT("01"));
	ck_assert_int_eq(json_array_size(calls), 1);
	ck_assert(fs_ids_eq(json_object_get(fs_body(json_array_get(calls, 0)),
					    "order_line_item_ids"), u01));
	ck_assert_int_eq(fs_tt_writes(&f), 1);
	ck_assert_int_eq(creates(&f), 0);
	fs_assert_row(fs_row(&f, TT("01"), "fulfillment", "ship_package"), "synced", "");
	ck_assert_str_eq(fs_str(fs_tt_order(&f, TT("01")), "status"), "AWAITING_COLLECTION");

	/* Every order still not synced: 42 pushed, 11 pulled; 01 not again. */
	{
		const char *args[] = { "sync", "fulfillments", "--all-not-synced", NULL };

		ck_assert_int_eq(fs_ttsync(&f, args), 0);
	}
	ck_assert_int_eq(json_array_size(fs_ship_calls(&f, TT("01"))), 1);
	calls = fs_ship_calls(&f, TT("42"));
	ck_assert_int_eq(json_array_size(calls), 1);
	ck_assert(fs_ids_eq(json_object_get(fs_body(json_array_get(calls, 0)),
					    "order_line_item_ids"), u42));
	ck_assert_int_eq(creates(&f), 1);
	ck_assert_int_eq(json_array_size(json_object_get(fs_sh_order(&f, TT("11")),
							 "fulfillments")), 1);
	fs_assert_row(fs_row(&f, TT("11"), "fulfillment", "create_fulfillment"), "synced", "");

	/* Nothing left: a scheduled run and another manual sync write nothing. */
	{
		const char *args[] = { "sync", "fulfillments", "--all-not-synced", NULL };
		int tt = fs_tt_writes(&f), sh = fs_sh_mutations(&f);

		ck_assert_int_eq(fs_run(&f), 0);
		ck_assert_int_eq(fs_ttsync(&f, args), 0);
		ck_assert_int_eq(fs_tt_writes(&f), tt);
		ck_assert_int_eq(fs_sh_mutations(&f), sh);
	}
	fs_stop(&f);
}
END_TEST

/* Manual sync with automatic sync on: `sync fulfillments ID` of an order
 * with nothing new writes nothing; an unknown id is reported. */
START_TEST(manual_sync_nothing_new)
{
	const char *nn[] = { "01", NULL };
	const char *args[] = { "sync", "fulfillments", TT("01"), NULL };
	const char *bad[] = { "sync", "fulfillments", "576912004371829999", NULL };
	struct fstore f;
	json_t *row;

	fs_start(&f, "ful-modes-manual", nn, NULL);
	ck_assert_int_eq(fs_run(&f), 0);
	fs_fulfill_all(&f, TT("01"), "USPS", "9400111899223197428497");
	ck_assert_int_eq(fs_run(&f), 0);
	ck_assert_int_eq(fs_tt_writes(&f), 1);
	ck_assert_int_eq(fs_ttsync(&f, args), 0);
	ck_assert_int_eq(fs_tt_writes(&f), 1);
	ck_assert_int_eq(fs_ttsync(&f, bad), 1);
	row = fs_row(&f, "576912004371829999", "order", NULL);
	fs_assert_row(row, "failed", "ORDER_NOT_FOUND");
	ck_assert_int_eq(fs_tt_writes(&f), 1);
	fs_stop(&f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("e2e fulfillment sync modes");
	TCase *tc = tcase_create("modes");

	tcase_set_timeout(tc, FS_TIMEOUT);
	tcase_add_unchecked_fixture(tc, fs_suite_setup, fs_suite_teardown);
	tcase_add_test(tc, auto_off_then_manual);
	tcase_add_test(tc, manual_sync_nothing_new);
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

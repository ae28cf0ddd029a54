/*
 * check_e2e_ful_cancel.c - end-to-end acceptance of cancellations (issue
 * 4): TikTok cancels an order ttsync created in Shopify. Nothing
 * fulfilled: one orderCancel (no refund, restock, buyer not notified) and
 * Shopify's order is cancelled; with cancel_in_shopify off, only reported.
 * Something fulfilled: a red alert at the top of the report, no cancel
 * sent, and the fulfillment is not pushed to the cancelled order. A
 * line-level cancel is reported, Shopify's order left alone. Each happens
 * once, whatever the number of runs.
 */
#include "ful_common.h"

/* The alerts of the newest report.html: the text of each alert block. */
static json_t *html_alerts(struct fstore *f)
{
	char *html = harness_read_file(harness_report_path(&f->s, "report.html"));
	json_t *out = fs_keep(json_array());
	const char *p, *end, *failures, *items;

	ck_assert_ptr_nonnull(html);
	failures = strstr(html, "<h2 id=\"failures\">");
	items = strstr(html, "<h2 id=\"items\">");
	for (p = strstr(html, "<div class=\"alert\">"); p; p = strstr(end, "<div class=\"alert\">")) {
		end = strstr(p, "</div>");
		ck_assert_ptr_nonnull(end);
		/* at the top: before the failures and the list of items */
		ck_assert_msg((failures == NULL || p < failures) && (items == NULL || p < items),
			      "an alert comes after the report's lists");
		json_array_append_new(out, json_stringn(p, (size_t)(end - p)));
	}
	free(html);
	return out;
}

static int orders_cancelled(struct fstore *f)
{
	return (int)json_array_size(fs_sh_ops(f, "OrderCancel"));
}

/* CASES row 26. */
START_TEST(cancel_unfulfilled_in_shopify)
{
	const char *nn[] = { "26", NULL };
	struct fstore f;
	json_t *sh, *call, *b, *row;
	const char *q;

	fs_start(&f, "ful-cancel-26", nn, NULL);
	ck_assert_int_eq(fs_run(&f), 0);
	sh = fs_sh_order(&f, TT("26"));
	ck_assert(json_is_null(json_object_get(sh, "cancelledAt")));
	fs_tt_event(&f, json_pack("{s:s,s:s}", "type", "buyer_cancels", "order_id", TT("26")));
	ck_assert_int_eq(fs_run(&f), 0);

	ck_assert_int_eq(orders_cancelled(&f), 1);
	call = json_array_get(fs_sh_ops(&f, "OrderCancel"), 0);
	b = fs_body(call);
	ck_assert_str_eq(fs_str(json_object_get(b, "variables"), "orderId"), fs_str(sh, "id"));
	/* no refund (the money went through TikTok), restock, no e-mail */
	q = fs_str(b, "query");
	ck_assert_ptr_nonnull(strstr(q, "restock: true"));
	ck_assert_ptr_nonnull(strstr(q, "originalPaymentMethodsRefund: false"));
	ck_assert_ptr_nonnull(strstr(q, "notifyCustomer: false"));
	sh = fs_sh_order(&f, TT("26"));
	ck_assert_msg(json_is_string(json_object_get(sh, "cancelledAt")),
		      "Shopify's order is not cancelled");
	ck_assert_str_eq(fs_str(sh, "displayFinancialStatus"), "PAID");
	row = fs_row(&f, TT("26"), "order", "cancel_order");
	fs_assert_row(row, "synced", "");

	ck_assert_int_eq(fs_run(&f), 0);
	ck_assert_int_eq(fs_run(&f), 0);
	ck_assert_int_eq(orders_cancelled(&f), 1);
	ck_assert_int_eq(fs_sh_mutations(&f), 2);	/* orderCreate, orderCancel */
	fs_stop(&f);
}
END_TEST

/* cancel_in_shopify: false -> reported, Shopify's order left open. */
START_TEST(cancel_report_only)
{
	const char *nn[] = { "26", NULL };
	struct store_opts o;
	struct fstore f;
	json_t *row, *rows, *r;
	size_t i;

	fs_opts(&o);
	o.extra_settings = "  cancel_in_shopify: false\n";
	fs_start(&f, "ful-cancel-off", nn, &o);
	ck_assert_int_eq(fs_run(&f), 0);
	fs_tt_event(&f, json_pack("{s:s,s:s}", "type", "buyer_cancels", "order_id", TT("26")));
	fs_run(&f);
	ck_assert_int_eq(orders_cancelled(&f), 0);
	ck_assert(json_is_null(json_object_get(fs_sh_order(&f, TT("26")), "cancelledAt")));
	row = fs_row(&f, TT("26"), "order", NULL);
	ck_assert_str_eq(fs_str(row, "reason_code"), "ORDER_CANCELLED");
	ck_assert_ptr_nonnull(strstr(fs_str(row, "reason"), "cancel_in_shopify"));
	ck_assert_int_eq(json_array_size(html_alerts(&f)), 1);

	fs_run(&f);
	ck_assert_int_eq(orders_cancelled(&f), 0);
	ck_assert_int_eq(fs_sh_mutations(&f), 1);
	rows = fs_rows(&f, TT("26"), "order");
	json_array_foreach(rows, i, r)
		ck_assert_msg(strcmp(fs_str(r, "reason_code"), "ORDER_CANCELLED") != 0 ||
			      strstr(fs_str(r, "detail"), "open since an earlier run") != NULL,
			      "the cancellation was reported as new twice");
	fs_stop(&f);
}
END_TEST

/* CASES row 27: fulfilled in Shopify, then cancelled on TikTok. */
START_TEST(cancel_after_fulfillment_alert)
{
	const char *nn[] = { "27", NULL };
	struct fstore f;
	json_t *row, *alerts, *rows, *r;
	const char *a;
	size_t i;
	int found = 0;

	fs_start(&f, "ful-cancel-27", nn, NULL);
	ck_assert_int_eq(fs_run(&f), 0);
	fs_fulfill_all(&f, TT("27"), "USPS", "9400111899223155553339");
	fs_tt_event(&f, json_pack("{s:s,s:s}", "type", "buyer_cancels", "order_id", TT("27")));
	ck_assert_int_eq(fs_run(&f), 1);

	row = fs_row(&f, TT("27"), "order", NULL);
	fs_assert_row(row, "failed", "CANCELLED_AFTER_FULFILLMENT");
	ck_assert_str_eq(fs_str(row, "needs_person"), "1");
	ck_assert_str_ne(fs_str(row, "remedy"), "");
	alerts = html_alerts(&f);
	ck_assert_int_eq(json_array_size(alerts), 1);
	a = json_string_value(json_array_get(alerts, 0));
	ck_assert_ptr_nonnull(strstr(a, "CANCELLED_AFTER_FULFILLMENT"));
	ck_assert_ptr_nonnull(strstr(a, TT("27")));
	ck_assert_int_eq(orders_cancelled(&f), 0);
	ck_assert(json_is_null(json_object_get(fs_sh_order(&f, TT("27")), "cancelledAt")));
	/* no ship call to a cancelled order */
	ck_assert_int_eq(fs_tt_writes(&f), 0);
	rows = fs_rows(&f, TT("27"), "fulfillment");
	json_array_foreach(rows, i, r)
		if (strcmp(fs_str(r, "reason_code"), "ORDER_CANCELLED") == 0 &&
		    strcmp(fs_str(r, "status"), "failed") == 0)
			found++;
	ck_assert_int_eq(found, 1);

	fs_run(&f);
	fs_run(&f);
	ck_assert_int_eq(orders_cancelled(&f), 0);
	ck_assert_int_eq(fs_tt_writes(&f), 0);
	ck_assert_int_eq(fs_sh_mutations(&f), 1);
	fs_stop(&f);
}
END_TEST

/* CASES row 29: the buyer cancels one unit after the order was created. */
START_TEST(cancel_line_reported)
{
	const char *nn[] = { "29", NULL };
	struct fstore f;
	json_t *row, *rows, *r, *sh;
	size_t i;
	int n = 0;

	fs_start(&f, "ful-cancel-29", nn, NULL);
	ck_assert_int_eq(fs_run(&f), 0);
	fs_tt_event(&f, json_pack("{s:s,s:s,s:[s]}", "type", "buyer_cancels", "order_id",
				  TT("29"), "line_item_ids", UNIT("29", "03")));
	fs_run(&f);
	row = fs_row(&f, TT("29"), "order", NULL);
	ck_assert_str_eq(fs_str(row, "reason_code"), "LINE_CANCELLED");
	ck_assert_ptr_nonnull(strstr(fs_str(row, "reason"), "Enamel Pin Set"));
	ck_assert_ptr_nonnull(strstr(fs_str(row, "reason"), UNIT("29", "03")));
	ck_assert_msg(strstr(fs_str(row, "reason"), "PIN-SET-3") != NULL,
		      "the reason does not name the SKU PIN-SET-3: %s", fs_str(row, "reason"));
	ck_assert_str_eq(fs_str(row, "needs_person"), "1");
	/* Shopify's order is left as it was. */
	ck_assert_int_eq(fs_sh_mutations(&f), 1);
	ck_assert_int_eq(orders_cancelled(&f), 0);
	sh = fs_sh_order(&f, TT("29"));
	ck_assert(json_is_null(json_object_get(sh, "cancelledAt")));

	fs_run(&f);
	rows = fs_rows(&f, TT("29"), "order");
	json_array_foreach(rows, i, r)
		if (strcmp(fs_str(r, "reason_code"), "LINE_CANCELLED") == 0 &&
		    strstr(fs_str(r, "detail"), "open since an earlier run") == NULL)
			n++;
	ck_assert_msg(n == 0, "the line cancellation was reported as new again");
	ck_assert_int_eq(fs_sh_mutations(&f), 1);
	fs_stop(&f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("e2e cancellations");
	TCase *tc = tcase_create("cancel");

	tcase_set_timeout(tc, FS_TIMEOUT);
	tcase_add_unchecked_fixture(tc, fs_suite_setup, fs_suite_teardown);
	tcase_add_test(tc, cancel_unfulfilled_in_shopify);
	tcase_add_test(tc, cancel_report_only);
	tcase_add_test(tc, cancel_after_fulfillment_alert);
	tcase_add_test(tc, cancel_line_reported);
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

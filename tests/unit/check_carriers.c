/*
 * check_carriers.c - carriers and units between the platforms: Shopify
 * company -> TikTok provider (exact, forgiving of case and spaces, the
 * merchant's rules, the failure that lists valid names), TikTok provider
 * -> Shopify company and tracking URL, Shopify's carrier list, tracking
 * number formats, which TikTok units two partial fulfillments ship, and
 * the fulfillment-order lines a TikTok package covers.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mapping.h"

static struct tt_provider provs[] = {
	{ (char *)"7117858858072016686", (char *)"USPS" },
	{ (char *)"7117859084333745966", (char *)"UPS" },
	{ (char *)"7117858858072016999", (char *)"FedEx" },
	{ (char *)"7208502187360519982", (char *)"Cainiao US" },
};
static struct tt_provider_list plist = {
	(char *)"7091146663229654785", provs, ARRAY_SIZE(provs)
};
static struct carrier_rule rules[] = {
	{ (char *)"Other", (char *)"Cainiao US", 12 },
	{ (char *)"USPS", (char *)"UPS", 13 },	/* never used: exact wins */
	{ (char *)"Speedy Parcel", (char *)"Yodel", 14 },
};
static struct config cfg;

static void setup(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.store_name = (char *)"Acme";
	cfg.carrier_rules = rules;
	cfg.ncarrier_rules = ARRAY_SIZE(rules);
}

/* ---- Shopify -> TikTok ------------------------------------------------- */

START_TEST(test_exact_match)
{
	const struct tt_provider *p = NULL;
	struct err e;

	ck_assert_int_eq(carrier_to_tiktok(&cfg, &plist, "USPS", &p, &e), 0);
	ck_assert_str_eq(p->id, "7117858858072016686");
	/* exact name beats a rule naming the same Shopify company */
	ck_assert_str_eq(p->name, "USPS");
	ck_assert_int_eq(carrier_to_tiktok(&cfg, &plist, "FedEx", &p, &e), 0);
	ck_assert_str_eq(p->name, "FedEx");
}
END_TEST

START_TEST(test_case_and_space_insensitive)
{
	const struct tt_provider *p = NULL;
	struct err e;

	ck_assert_int_eq(carrier_to_tiktok(&cfg, &plist, "  usps ", &p, &e), 0);
	ck_assert_str_eq(p->name, "USPS");
	ck_assert_int_eq(carrier_to_tiktok(&cfg, &plist, "FEDEX", &p, &e), 0);
	ck_assert_str_eq(p->name, "FedEx");
	ck_assert_int_eq(carrier_to_tiktok(&cfg, &plist, "cainiao   us", &p, &e), 0);
	ck_assert_str_eq(p->id, "7208502187360519982");
	/* TikTok's own names may carry stray spaces too */
	{
		struct tt_provider sp[] = { { (char *)"1", (char *)" OnTrac  " } };
		struct tt_provider_list l = { (char *)"9", sp, 1 };

		ck_assert_int_eq(carrier_to_tiktok(&cfg, &l, "ontrac", &p, &e), 0);
		ck_assert_str_eq(p->id, "1");
		ck_assert_int_eq(carrier_to_tiktok(&cfg, &l, "OnTrac Ground", &p,
						   &e), -1);
	}
	/* but letters still count: "Fed Ex" is not FedEx */
	ck_assert_int_eq(carrier_to_tiktok(&cfg, &plist, "Fed Ex", &p, &e), -1);
	ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_rule_mapping)
{
	const struct tt_provider *p = NULL;
	struct err e;

	ck_assert_int_eq(carrier_to_tiktok(&cfg, &plist, "Other", &p, &e), 0);
	ck_assert_str_eq(p->name, "Cainiao US");
	ck_assert_str_eq(p->id, "7208502187360519982");
	ck_assert_int_eq(carrier_to_tiktok(&cfg, &plist, " other", &p, &e), 0);
	ck_assert_str_eq(p->name, "Cainiao US");
	/* without the rule, "Other" is not a TikTok provider */
	cfg.ncarrier_rules = 0;
	ck_assert_int_eq(carrier_to_tiktok(&cfg, &plist, "Other", &p, &e), -1);
	ck_assert_str_eq(e.code, "CARRIER_NOT_INTEGRATED");
}
END_TEST

START_TEST(test_not_integrated_lists_names)
{
	const struct tt_provider *p = NULL;
	struct err e;

	ck_assert_int_eq(carrier_to_tiktok(&cfg, &plist, "Foo Express", &p, &e),
			 -1);
	ck_assert_int_eq(e.cls, ERR_DATA);
	ck_assert_str_eq(e.code, "CARRIER_NOT_INTEGRATED");
	ck_assert_ptr_nonnull(strstr(e.msg, "\"Foo Express\""));
	ck_assert_ptr_nonnull(strstr(e.msg, "USPS, UPS, FedEx, Cainiao US"));

	/* a rule pointing at a provider this option does not offer */
	ck_assert_int_eq(carrier_to_tiktok(&cfg, &plist, "Speedy Parcel", &p,
					   &e), -1);
	ck_assert_str_eq(e.code, "CARRIER_NOT_INTEGRATED");
	ck_assert_ptr_nonnull(strstr(e.msg, "\"Yodel\""));
	ck_assert_ptr_nonnull(strstr(e.msg, "line 14"));
	ck_assert_ptr_nonnull(strstr(e.msg, "USPS, UPS, FedEx, Cainiao US"));
}
END_TEST

START_TEST(test_missing_carrier_and_providers)
{
	const struct tt_provider *p = NULL;
	struct tt_provider_list none = { (char *)"1", NULL, 0 };
	struct err e;

	ck_assert_int_eq(carrier_to_tiktok(&cfg, &plist, "", &p, &e), -1);
	ck_assert_str_eq(e.code, "CARRIER_MISSING");
	ck_assert_int_eq(carrier_to_tiktok(&cfg, &plist, "   ", &p, &e), -1);
	ck_assert_str_eq(e.code, "CARRIER_MISSING");
	ck_assert_int_eq(carrier_to_tiktok(&cfg, &plist, NULL, &p, &e), -1);
	ck_assert_str_eq(e.code, "CARRIER_MISSING");
	ck_assert_int_eq(carrier_to_tiktok(&cfg, NULL, "USPS", &p, &e), -1);
	ck_assert_str_eq(e.code, "PROVIDERS_UNAVAILABLE");
	ck_assert_int_eq(carrier_to_tiktok(&cfg, &none, "USPS", &p, &e), -1);
	ck_assert_str_eq(e.code, "CARRIER_NOT_INTEGRATED");
	ck_assert_ptr_nonnull(strstr(e.msg, "(none)"));
}
END_TEST

/* ---- TikTok -> Shopify ------------------------------------------------- */

START_TEST(test_reverse_mapping_and_url)
{
	char *company = NULL, *url = NULL;

	/* the rule read in reverse; Shopify does not know "Other": URL */
	ck_assert_int_eq(carrier_to_shopify(&cfg, "Cainiao US",
					    "LP00512345678901", &company, &url), 0);
	ck_assert_str_eq(company, "Other");
	ck_assert_str_eq(url, "https://global.cainiao.com/newDetail.htm?"
			      "mailNoList=LP00512345678901");
	free(company);
	free(url);

	/* Shopify knows USPS: its own link, no URL from us */
	ck_assert_int_eq(carrier_to_shopify(&cfg, "USPS", "9400111899223197428490",
					    &company, &url), 0);
	ck_assert_str_eq(company, "USPS");
	ck_assert_ptr_null(url);
	free(company);

	/* Shopify's exact spelling */
	ck_assert_int_eq(carrier_to_shopify(&cfg, "FEDEX", "123", &company,
					    &url), 0);
	ck_assert_str_eq(company, "FedEx");
	ck_assert_ptr_null(url);
	free(company);
	ck_assert_int_eq(carrier_to_shopify(&cfg, "LaserShip", "1LS7123", &company,
					    &url), 0);
	ck_assert_str_eq(company, "Lasership");
	ck_assert_ptr_null(url);
	free(company);
	ck_assert_int_eq(carrier_to_shopify(&cfg, "Amazon Shipping", "TBA1",
					    &company, &url), 0);
	ck_assert_str_eq(company, "Amazon");
	ck_assert_ptr_null(url);
	free(company);

	/* no rule: the TikTok name, with a URL when we know the carrier */
	cfg.ncarrier_rules = 0;
	ck_assert_int_eq(carrier_to_shopify(&cfg, "Cainiao US", "AB 12/3",
					    &company, &url), 0);
	ck_assert_str_eq(company, "Cainiao US");
	ck_assert_str_eq(url, "https://global.cainiao.com/newDetail.htm?"
			      "mailNoList=AB%2012%2F3");
	free(company);
	free(url);
	ck_assert_int_eq(carrier_to_shopify(&cfg, "Veho", "V123", &company,
					    &url), 0);
	ck_assert_str_eq(company, "Veho");
	ck_assert_ptr_null(url);
	free(company);

	ck_assert_int_eq(carrier_to_shopify(&cfg, "", "1", &company, &url), -1);
	ck_assert_ptr_null(company);
	ck_assert_ptr_null(url);
}
END_TEST

START_TEST(test_shopify_known_carrier)
{
	ck_assert_int_eq(shopify_known_carrier("USPS"), 1);
	ck_assert_int_eq(shopify_known_carrier("UPS"), 1);
	ck_assert_int_eq(shopify_known_carrier("FedEx"), 1);
	ck_assert_int_eq(shopify_known_carrier("DHL Express"), 1);
	ck_assert_int_eq(shopify_known_carrier("DHL eCommerce"), 1);
	ck_assert_int_eq(shopify_known_carrier("OnTrac"), 1);
	ck_assert_int_eq(shopify_known_carrier("YunExpress"), 1);
	ck_assert_int_eq(shopify_known_carrier("Lietuvos Paštas"), 1);
	ck_assert_int_eq(shopify_known_carrier("Heppner Internationale "
					       "Spedition GmbH & Co."), 1);
	ck_assert_int_eq(shopify_known_carrier("LSO"), 1);
	ck_assert_int_eq(shopify_known_carrier("Skynet"), 1);
	/* capitalization matters to Shopify */
	ck_assert_int_eq(shopify_known_carrier("usps"), 0);
	ck_assert_int_eq(shopify_known_carrier("Other"), 0);
	ck_assert_int_eq(shopify_known_carrier("Cainiao US"), 0);
	ck_assert_int_eq(shopify_known_carrier(""), 0);
	ck_assert_int_eq(shopify_known_carrier(NULL), 0);
}
END_TEST

/* ---- tracking formats -------------------------------------------------- */

static struct tracking_format fmts[] = {
	{ (char *)"USPS", (char *)"9[0-9]{21}", (char *)"9400111899223197428490" },
	{ (char *)"USPS", (char *)"[A-Z]{2}[0-9]{9}US", (char *)"EA123456789US" },
	{ (char *)"UPS", (char *)"1Z[0-9A-Z]{16}", (char *)"1Z999AA10123456784" },
};

START_TEST(test_tracking_formats)
{
	struct err e;

	ck_assert_int_eq(tracking_check(fmts, 3, "USPS", "9400111899223197428490",
					&e), 0);
	/* a second pattern of the same provider */
	ck_assert_int_eq(tracking_check(fmts, 3, "usps", "EA123456789US", &e), 0);
	ck_assert_int_eq(tracking_check(fmts, 3, "UPS", "1Z999AA10123456784", &e),
			 0);
	/* anchored: no extra characters either side */
	ck_assert_int_eq(tracking_check(fmts, 3, "USPS", "X9400111899223197428490",
					&e), -1);
	ck_assert_int_eq(tracking_check(fmts, 3, "USPS", "94001118992231974284901",
					&e), -1);
	ck_assert_str_eq(e.code, "TRACKING_FORMAT_INVALID");
	ck_assert_ptr_nonnull(strstr(e.msg, "\"94001118992231974284901\""));
	ck_assert_ptr_nonnull(strstr(e.msg, "USPS"));
	ck_assert_ptr_nonnull(strstr(e.msg, "9400111899223197428490"));
	ck_assert_int_eq(tracking_check(fmts, 3, "UPS", "1Z999", &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "1Z999AA10123456784"));
	/* providers absent from the table pass */
	ck_assert_int_eq(tracking_check(fmts, 3, "Veho", "anything-goes", &e), 0);
	ck_assert_int_eq(tracking_check(NULL, 0, "USPS", "123", &e), 0);
	/* no number at all */
	ck_assert_int_eq(tracking_check(fmts, 3, "USPS", "", &e), -1);
	ck_assert_str_eq(e.code, "TRACKING_MISSING");
}
END_TEST

START_TEST(test_tracking_format_bad_pattern)
{
	struct tracking_format bad[] = {
		{ (char *)"USPS", (char *)"9[0-9", (char *)"9" },
	};
	struct err e;

	ck_assert_int_eq(tracking_check(bad, 1, "USPS", "9400", &e), -1);
	ck_assert_int_eq(e.cls, ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(e.msg, "9[0-9"));
}
END_TEST

START_TEST(test_builtin_formats_accept_real_numbers)
{
	const struct tracking_format *b;
	size_t n = 0;
	struct err e;

	b = tracking_formats_builtin(&n);
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(tracking_check(b, n, "USPS", "9400111899223197428490",
					&e), 0);
	ck_assert_int_eq(tracking_check(b, n, "UPS", "1Z999AA10123456784", &e),
			 0);
	ck_assert_int_eq(tracking_check(b, n, "USPS", "1Z999AA10123456784", &e),
			 -1);
}
END_TEST

/* ---- units ------------------------------------------------------------- */

static struct unit_map units[] = {
	/* three units of line item 1 (listed out of id order), one of 2 */
	{ (char *)"577000000000000013", (char *)"gid://shopify/LineItem/1" },
	{ (char *)"577000000000000011", (char *)"gid://shopify/LineItem/1" },
	{ (char *)"99000000000000012", (char *)"gid://shopify/LineItem/1" },
	{ (char *)"577000000000000014", (char *)"gid://shopify/LineItem/2" },
};

START_TEST(test_units_two_partial_fulfillments)
{
	struct sh_fulfillment_line l1[] = {
		{ (char *)"gid://shopify/LineItem/1", 2 },
	};
	struct sh_fulfillment_line l2[] = {
		{ (char *)"gid://shopify/LineItem/2", 1 },
		{ (char *)"gid://shopify/LineItem/1", 1 },
	};
	struct sh_fulfillment f1 = { .id = (char *)"gid://shopify/Fulfillment/1",
				     .name = (char *)"#1001-F1", .lines = l1,
				     .nlines = 1 };
	struct sh_fulfillment f2 = { .id = (char *)"gid://shopify/Fulfillment/2",
				     .name = (char *)"#1001-F2", .lines = l2,
				     .nlines = 2 };
	char **a = NULL, **b = NULL;
	size_t na = 0, nb = 0;
	struct err e;

	ck_assert_int_eq(units_for_fulfillment(&f1, units, 4, NULL, 0, &a, &na,
					       &e), 0);
	ck_assert_uint_eq(na, 2);
	/* lowest ids first, numerically */
	ck_assert_str_eq(a[0], "99000000000000012");
	ck_assert_str_eq(a[1], "577000000000000011");
	ck_assert_int_eq(units_for_fulfillment(&f2, units, 4, a, na, &b, &nb,
					       &e), 0);
	ck_assert_uint_eq(nb, 2);
	ck_assert_str_eq(b[0], "577000000000000013");
	ck_assert_str_eq(b[1], "577000000000000014");
	str_free_array(b, nb);

	/* a third fulfillment of line 1 finds nothing left */
	{
		char *taken[] = { a[0], a[1], (char *)"577000000000000013" };

		ck_assert_int_eq(units_for_fulfillment(&f1, units, 4, taken, 3,
						       &b, &nb, &e), -1);
		ck_assert_str_eq(e.code, "UNITS_UNMAPPED");
		ck_assert_ptr_nonnull(strstr(e.msg, "#1001-F1"));
		ck_assert_ptr_null(b);
	}
	str_free_array(a, na);
}
END_TEST

START_TEST(test_units_unmapped)
{
	struct sh_fulfillment_line l[] = {
		{ (char *)"gid://shopify/LineItem/9", 1 },
	};
	struct sh_fulfillment f = { .id = (char *)"gid://shopify/Fulfillment/3",
				    .lines = l, .nlines = 1 };
	char **out = NULL;
	size_t n = 0;
	struct err e;

	ck_assert_int_eq(units_for_fulfillment(&f, units, 4, NULL, 0, &out, &n,
					       &e), -1);
	ck_assert_str_eq(e.code, "UNITS_UNMAPPED");
	ck_assert_ptr_nonnull(strstr(e.msg, "gid://shopify/LineItem/9"));
	/* no unit map at all */
	ck_assert_int_eq(units_for_fulfillment(&f, NULL, 0, NULL, 0, &out, &n,
					       &e), -1);
	ck_assert_str_eq(e.code, "UNITS_UNMAPPED");
}
END_TEST

/* ---- fulfillment-order lines ------------------------------------------- */

START_TEST(test_fo_lines)
{
	struct sh_fo_line fo1_lines[] = {
		{ (char *)"gid://shopify/FulfillmentOrderLineItem/1",
		  (char *)"gid://shopify/LineItem/1", 3, 3 },
		{ (char *)"gid://shopify/FulfillmentOrderLineItem/2",
		  (char *)"gid://shopify/LineItem/2", 1, 1 },
	};
	struct sh_fo_line fo0_lines[] = {
		{ (char *)"gid://shopify/FulfillmentOrderLineItem/0",
		  (char *)"gid://shopify/LineItem/1", 3, 3 },
	};
	struct sh_fulfillment_order fos[] = {
		{ (char *)"gid://shopify/FulfillmentOrder/0", (char *)"CLOSED",
		  fo0_lines, 1 },
		{ (char *)"gid://shopify/FulfillmentOrder/1", (char *)"OPEN",
		  fo1_lines, 2 },
	};
	struct sh_order o = { .id = (char *)"gid://shopify/Order/1",
			      .name = (char *)"#1001", .fos = fos, .nfos = 2 };
	char *pkg[] = { (char *)"577000000000000011", (char *)"577000000000000013",
			(char *)"577000000000000014" };
	struct sh_fulfillment_input in;
	struct err e;

	ck_assert_int_eq(fo_lines_for_units(&o, units, 4, pkg, 3, &in, &e), 0);
	/* the closed FO is passed over */
	ck_assert_uint_eq(in.ngroups, 1);
	ck_assert_str_eq(in.groups[0].fulfillment_order_id,
			 "gid://shopify/FulfillmentOrder/1");
	ck_assert_uint_eq(in.groups[0].nlines, 2);
	ck_assert_str_eq(in.groups[0].lines[0].fo_line_id,
			 "gid://shopify/FulfillmentOrderLineItem/1");
	ck_assert_int_eq(in.groups[0].lines[0].quantity, 2);
	ck_assert_str_eq(in.groups[0].lines[1].fo_line_id,
			 "gid://shopify/FulfillmentOrderLineItem/2");
	ck_assert_int_eq(in.groups[0].lines[1].quantity, 1);
	sh_fulfillment_input_free(&in);

	/* a unit that is not in the order */
	{
		char *bad[] = { (char *)"577000000000000099" };

		ck_assert_int_eq(fo_lines_for_units(&o, units, 4, bad, 1, &in,
						    &e), -1);
		ck_assert_str_eq(e.code, "UNITS_UNMAPPED");
		ck_assert_ptr_nonnull(strstr(e.msg, "577000000000000099"));
	}

	/* nothing left open for line item 2 */
	fo1_lines[1].remaining_quantity = 0;
	ck_assert_int_eq(fo_lines_for_units(&o, units, 4, pkg, 3, &in, &e), -1);
	ck_assert_str_eq(e.code, "FULFILLMENT_ORDER_CLOSED");
	ck_assert_ptr_nonnull(strstr(e.msg, "gid://shopify/LineItem/2"));
	ck_assert_uint_eq(in.ngroups, 0);
}
END_TEST

START_TEST(test_fo_lines_across_two_open_fos)
{
	struct sh_fo_line a_lines[] = {
		{ (char *)"gid://shopify/FulfillmentOrderLineItem/1",
		  (char *)"gid://shopify/LineItem/1", 3, 1 },
	};
	struct sh_fo_line b_lines[] = {
		{ (char *)"gid://shopify/FulfillmentOrderLineItem/5",
		  (char *)"gid://shopify/LineItem/1", 2, 2 },
	};
	struct sh_fulfillment_order fos[] = {
		{ (char *)"gid://shopify/FulfillmentOrder/1", (char *)"OPEN",
		  a_lines, 1 },
		{ (char *)"gid://shopify/FulfillmentOrder/2",
		  (char *)"IN_PROGRESS", b_lines, 1 },
	};
	struct sh_order o = { .id = (char *)"gid://shopify/Order/1",
			      .fos = fos, .nfos = 2 };
	char *pkg[] = { (char *)"577000000000000011", (char *)"577000000000000013" };
	struct sh_fulfillment_input in;
	struct err e;

	ck_assert_int_eq(fo_lines_for_units(&o, units, 4, pkg, 2, &in, &e), 0);
	ck_assert_uint_eq(in.ngroups, 2);
	ck_assert_int_eq(in.groups[0].lines[0].quantity, 1);
	ck_assert_str_eq(in.groups[1].fulfillment_order_id,
			 "gid://shopify/FulfillmentOrder/2");
	ck_assert_int_eq(in.groups[1].lines[0].quantity, 1);
	sh_fulfillment_input_free(&in);
}
END_TEST

START_TEST(test_id_order)
{
	ck_assert_int_lt(tt_id_cmp("99", "100"), 0);
	ck_assert_int_gt(tt_id_cmp("577000000000000011", "99000000000000012"), 0);
	ck_assert_int_eq(tt_id_cmp("12", "12"), 0);
	ck_assert_int_lt(tt_id_cmp("gid://a/10", "gid://a/9"), 0);
	ck_assert_int_lt(tt_id_cmp(NULL, "1"), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("carriers");
	TCase *tc = tcase_create("carriers");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_exact_match);
	tcase_add_test(tc, test_case_and_space_insensitive);
	tcase_add_test(tc, test_rule_mapping);
	tcase_add_test(tc, test_not_integrated_lists_names);
	tcase_add_test(tc, test_missing_carrier_and_providers);
	tcase_add_test(tc, test_reverse_mapping_and_url);
	tcase_add_test(tc, test_shopify_known_carrier);
	tcase_add_test(tc, test_tracking_formats);
	tcase_add_test(tc, test_tracking_format_bad_pattern);
	tcase_add_test(tc, test_builtin_formats_accept_real_numbers);
	tcase_add_test(tc, test_units_two_partial_fulfillments);
	tcase_add_test(tc, test_units_unmapped);
	tcase_add_test(tc, test_fo_lines);
	tcase_add_test(tc, test_fo_lines_across_two_open_fos);
	tcase_add_test(tc, test_id_order);
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
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

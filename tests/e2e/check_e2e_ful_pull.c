/*
 * check_e2e_ful_pull.c - end-to-end acceptance of TikTok shipping,
 * TikTok -> Shopify, and of delivery status (issue 4). TikTok buys a label
 * (emulator event buy_label): the tests assert the fulfillmentCreate
 * Shopify received (the fulfillment-order lines of exactly those units,
 * tracking number, company mapped back from TikTok's provider, a tracking
 * URL when Shopify does not know the company, notifyCustomer as set) and
 * the fulfillment Shopify now holds. Carrier pick-up and delivery become
 * one IN_TRANSIT and one DELIVERED fulfillment event each, with TikTok's
 * times, exactly once across runs, in both shipping directions.
 */
#include "ful_common.h"

struct want_line {
	const char *sku;
	int qty;
};

/* SKU of a Shopify fulfillment-order line (state of the order). */
static const char *fo_line_sku(json_t *sh_order, const char *fo_line_id)
{
	json_t *fo, *l, *li;
	size_t i, j, k;

	json_array_foreach(json_object_get(sh_order, "fulfillmentOrders"), i, fo)
		json_array_foreach(json_object_get(fo, "lineItems"), j, l) {
			if (strcmp(fs_str(l, "id"), fo_line_id) != 0)
				continue;
			json_array_foreach(json_object_get(sh_order, "lineItems"), k, li)
				if (strcmp(fs_str(li, "id"), fs_str(l, "lineItem")) == 0)
					return fs_str(li, "sku");
		}
	return NULL;
}

/* The fulfillmentCreate inputs of the log that touch this order. */
static json_t *creates_for(struct fstore *f, json_t *sh_order)
{
	json_t *calls = fs_sh_ops(f, "FulfillmentCreate"), *c, *out = fs_keep(json_array());
	json_t *g;
	size_t i, j;

	json_array_foreach(calls, i, c) {
		json_t *in = json_object_get(json_object_get(fs_body(c), "variables"),
					     "fulfillment");
		int mine = 0;

		json_array_foreach(json_object_get(in, "lineItemsByFulfillmentOrder"), j, g) {
			json_t *fo;
			size_t k;

			json_array_foreach(json_object_get(sh_order, "fulfillmentOrders"), k, fo)
				if (strcmp(fs_str(fo, "id"), fs_str(g, "fulfillmentOrderId")) == 0)
					mine = 1;
		}
		if (mine)
			json_array_append(out, in);
	}
	return out;
}

/* A fulfillmentCreate input ships exactly these SKU quantities. */
static void assert_create_lines(json_t *sh_order, json_t *in, const struct want_line *want,
				size_t nwant)
{
	json_t *g, *l;
	size_t i, j, k;
	int got[8] = { 0 };

	ck_assert(nwant <= 8);
	json_array_foreach(json_object_get(in, "lineItemsByFulfillmentOrder"), i, g)
		json_array_foreach(json_object_get(g, "fulfillmentOrderLineItems"), j, l) {
			const char *sku = fo_line_sku(sh_order, fs_str(l, "id"));
			int hit = 0;

			ck_assert_msg(sku != NULL, "fulfillment-order line %s is not of the order",
				      fs_str(l, "id"));
			for (k = 0; k < nwant; k++)
				if (strcmp(want[k].sku, sku) == 0) {
					got[k] += (int)json_integer_value(json_object_get(l, "quantity"));
					hit = 1;
				}
			ck_assert_msg(hit, "unexpected SKU %s in the fulfillment", sku);
		}
	for (k = 0; k < nwant; k++)
		ck_assert_msg(got[k] == want[k].qty, "%s: %d shipped, want %d", want[k].sku,
			      got[k], want[k].qty);
}

/* The Shopify fulfillment (state) carrying a tracking number. */
static json_t *sh_fulfillment(json_t *sh_order, const char *number)
{
	json_t *fl, *t;
	size_t i, j;

	json_array_foreach(json_object_get(sh_order, "fulfillments"), i, fl)
		json_array_foreach(json_object_get(fl, "trackingInfo"), j, t)
			if (strcmp(fs_str(t, "number"), number) == 0)
				return fl;
	ck_abort_msg("no Shopify fulfillment with tracking %s", number);
	return NULL;
}

static int sh_fulfillment_qty(json_t *fl, const char *sku)
{
	json_t *l;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(fl, "lines"), i, l)
		if (strcmp(fs_str(l, "sku"), sku) == 0)
			n += (int)json_integer_value(json_object_get(l, "quantity"));
	return n;
}

/* fulfillmentEventCreate inputs of the log for one fulfillment. */
static json_t *events_for(struct fstore *f, const char *ful_id)
{
	json_t *calls = fs_sh_ops(f, "FulfillmentEventCreate"), *c, *out = fs_keep(json_array());
	size_t i;

	json_array_foreach(calls, i, c) {
		json_t *ev = json_object_get(json_object_get(fs_body(c), "variables"),
					     "fulfillmentEvent");

		if (strcmp(fs_str(ev, "fulfillmentId"), ful_id) == 0)
			json_array_append(out, ev);
	}
	return out;
}

static int count_status(json_t *events, const char *status)
{
	json_t *ev;
	size_t i;
	int n = 0;

	json_array_foreach(events, i, ev)
		if (strcmp(fs_str(ev, "status"), status) == 0)
			n++;
	return n;
}

static const char *event_time(json_t *events, const char *status)
{
	json_t *ev;
	size_t i;

	json_array_foreach(events, i, ev)
		if (strcmp(fs_str(ev, "status"), status) == 0)
			return fs_str(ev, "happenedAt");
	return "";
}

static void iso(long long t, char out[32])
{
	ck_assert_int_eq(time_to_iso8601(t, out), 0);
}

/* CASES row 09: TikTok buys a USPS label for the three units. */
START_TEST(pull_label_bought)
{
	const char *nn[] = { "09", NULL };
	const struct want_line want[] = { { "TEE-BLK-S", 1 }, { "SOCK-WOOL-M", 2 } };
	struct fstore f;
	json_t *sh, *in, *fl, *row, *rec;
	const char *pkg;

	fs_start(&f, "ful-pull-09", nn, NULL);
	ck_assert_int_eq(fs_run(&f), 0);
	ck_assert_int_eq(json_array_size(fs_sh_ops(&f, "FulfillmentCreate")), 0);
	fs_tt_event(&f, json_pack("{s:s,s:s,s:s,s:s}", "type", "buy_label", "order_id",
				  TT("09"), "provider_id", P_USPS, "tracking_number",
				  "9400136109876500090002"));
	pkg = fs_str(fs_tt_line(fs_tt_order(&f, TT("09")), UNIT("09", "01")), "package_id");
	ck_assert_str_ne(pkg, "");
	ck_assert_int_eq(fs_run(&f), 0);

	sh = fs_sh_order(&f, TT("09"));
	ck_assert_int_eq(json_array_size(fs_sh_ops(&f, "FulfillmentCreate")), 1);
	in = json_array_get(creates_for(&f, sh), 0);
	ck_assert_ptr_nonnull(in);
	assert_create_lines(sh, in, want, 2);
	ck_assert_str_eq(fs_str(json_object_get(in, "trackingInfo"), "number"),
			 "9400136109876500090002");
	ck_assert_str_eq(fs_str(json_object_get(in, "trackingInfo"), "company"), "USPS");
	ck_assert_ptr_null(json_object_get(json_object_get(in, "trackingInfo"), "url"));
	ck_assert(json_is_false(json_object_get(in, "notifyCustomer")));

	fl = sh_fulfillment(sh, "9400136109876500090002");
	ck_assert_str_eq(fs_str(fl, "status"), "SUCCESS");
	ck_assert(json_is_false(json_object_get(fl, "notifyCustomer")));
	ck_assert_int_eq(sh_fulfillment_qty(fl, "TEE-BLK-S"), 1);
	ck_assert_int_eq(sh_fulfillment_qty(fl, "SOCK-WOOL-M"), 2);
	ck_assert_str_eq(fs_str(sh, "displayFulfillmentStatus"), "FULFILLED");

	row = fs_row(&f, TT("09"), "fulfillment", "create_fulfillment");
	fs_assert_row(row, "synced", "");
	ck_assert_str_eq(fs_str(row, "direction"), "tiktok_to_shopify");
	{
		char key[64];

		snprintf(key, sizeof(key), "pull:%s", pkg);
		rec = fs_rec(&f, TT("09"), key);
	}
	ck_assert_str_eq(fs_str(rec, "fulfillment"), fs_str(fl, "id"));
	ck_assert_int_eq(json_integer_value(json_object_get(rec, "status")), SYNC_SYNCED);

	ck_assert_int_eq(fs_run(&f), 0);
	ck_assert_int_eq(json_array_size(fs_sh_ops(&f, "FulfillmentCreate")), 1);
	ck_assert_int_eq(fs_sh_mutations(&f), 2);	/* orderCreate + fulfillmentCreate */
	fs_stop(&f);
}
END_TEST

/* CASES row 15: two packages pulled at once, a third after its label. */
START_TEST(pull_partial_packages)
{
	const char *nn[] = { "15", NULL };
	const struct want_line a[] = { { "TEE-BLK-M", 1 }, { "HOOD-GRY-L", 1 } };
	const struct want_line b[] = { { "TEE-BLK-M", 1 } };
	const struct want_line c[] = { { "MUG-SAND-12", 1 } };
	struct fstore f;
	json_t *sh, *ins, *in;
	size_t i;
	int seen_a = 0, seen_b = 0;

	fs_start(&f, "ful-pull-15", nn, NULL);
	ck_assert_int_eq(fs_run(&f), 0);
	sh = fs_sh_order(&f, TT("15"));
	ins = creates_for(&f, sh);
	ck_assert_int_eq(json_array_size(ins), 2);
	json_array_foreach(ins, i, in) {
		const char *num = fs_str(json_object_get(in, "trackingInfo"), "number");

		if (strcmp(num, "9400111899561234500011") == 0) {
			assert_create_lines(sh, in, a, 2);
			ck_assert_str_eq(fs_str(json_object_get(in, "trackingInfo"), "company"),
					 "USPS");
			seen_a++;
		} else {
			ck_assert_str_eq(num, "1Z4V8E690312345670");
			assert_create_lines(sh, in, b, 1);
			ck_assert_str_eq(fs_str(json_object_get(in, "trackingInfo"), "company"),
					 "UPS");
			seen_b++;
		}
	}
	ck_assert_int_eq(seen_a, 1);
	ck_assert_int_eq(seen_b, 1);

	fs_tt_event(&f, json_pack("{s:s,s:s,s:[s],s:s,s:s}", "type", "buy_label",
				  "order_id", TT("15"), "line_item_ids", UNIT("15", "04"),
				  "provider_id", P_USPS, "tracking_number",
				  "9400111899561234500028"));
	ck_assert_str_eq(fs_str(fs_tt_order(&f, TT("15")), "status"), "AWAITING_COLLECTION");
	ck_assert_int_eq(fs_run(&f), 0);
	sh = fs_sh_order(&f, TT("15"));
	ins = creates_for(&f, sh);
	ck_assert_int_eq(json_array_size(ins), 3);
	in = json_array_get(ins, 2);
	ck_assert_str_eq(fs_str(json_object_get(in, "trackingInfo"), "number"),
			 "9400111899561234500028");
	assert_create_lines(sh, in, c, 1);
	ck_assert_int_eq(json_array_size(json_object_get(sh, "fulfillments")), 3);
	ck_assert_str_eq(fs_str(sh, "displayFulfillmentStatus"), "FULFILLED");
	ck_assert_int_eq(sh_fulfillment_qty(sh_fulfillment(sh, "9400111899561234500028"),
					    "MUG-SAND-12"), 1);
	fs_run(&f);
	ck_assert_int_eq(json_array_size(creates_for(&f, fs_sh_order(&f, TT("15")))), 3);
	fs_stop(&f);
}
END_TEST

/* TikTok provider -> Shopify company: the carrier rule read in reverse
 * (Cainiao US -> Other, with a tracking URL since Shopify does not know
 * "Other"), Shopify's own spelling (Amazon Shipping -> Amazon), a name
 * Shopify knows (OnTrac: no URL). */
START_TEST(pull_company_mapping)
{
	const char *nn[] = { "09", "10", "41", NULL };
	struct fstore f;
	json_t *ti;

	fs_start(&f, "ful-pull-company", nn, NULL);
	ck_assert_int_eq(fs_run(&f), 0);
	fs_tt_event(&f, json_pack("{s:s,s:s,s:s,s:s}", "type", "buy_label", "order_id",
				  TT("09"), "provider_id", P_CAINIAO, "tracking_number",
				  "LP00412345678918"));
	fs_tt_event(&f, json_pack("{s:s,s:s,s:s,s:s}", "type", "buy_label", "order_id",
				  TT("10"), "provider_id", P_AMAZON, "tracking_number",
				  "TBA123456789012"));
	fs_tt_event(&f, json_pack("{s:s,s:s,s:s,s:s}", "type", "buy_label", "order_id",
				  TT("41"), "provider_id", P_ONTRAC, "tracking_number",
				  "C12345678901234"));
	ck_assert_int_eq(fs_run(&f), 0);

	ti = json_object_get(json_array_get(creates_for(&f, fs_sh_order(&f, TT("09"))), 0),
			     "trackingInfo");
	ck_assert_str_eq(fs_str(ti, "company"), "Other");
	ck_assert_str_eq(fs_str(ti, "number"), "LP00412345678918");
	ck_assert_ptr_nonnull(strstr(fs_str(ti, "url"), "LP00412345678918"));
	ck_assert_ptr_nonnull(strstr(fs_str(ti, "url"), "https://"));
	ti = json_object_get(sh_fulfillment(fs_sh_order(&f, TT("09")), "LP00412345678918"),
			     "trackingInfo");
	ck_assert_str_eq(fs_str(json_array_get(ti, 0), "company"), "Other");
	ck_assert_ptr_nonnull(strstr(fs_str(json_array_get(ti, 0), "url"), "LP00412345678918"));

	ti = json_object_get(json_array_get(creates_for(&f, fs_sh_order(&f, TT("10"))), 0),
			     "trackingInfo");
	ck_assert_str_eq(fs_str(ti, "company"), "Amazon");
	ck_assert_ptr_null(json_object_get(ti, "url"));

	ti = json_object_get(json_array_get(creates_for(&f, fs_sh_order(&f, TT("41"))), 0),
			     "trackingInfo");
	ck_assert_str_eq(fs_str(ti, "company"), "OnTrac");
	ck_assert_ptr_null(json_object_get(ti, "url"));
	fs_stop(&f);
}
END_TEST

/* Without a rule, a provider Shopify does not know keeps TikTok's name
 * and gets a tracking URL. */
START_TEST(pull_company_unknown_to_shopify)
{
	const char *nn[] = { "09", NULL };
	struct store_opts o;
	struct fstore f;
	json_t *ti;

	fs_opts(&o);
	o.extra_yaml = NULL;
	fs_start(&f, "ful-pull-norule", nn, &o);
	ck_assert_int_eq(fs_run(&f), 0);
	fs_tt_event(&f, json_pack("{s:s,s:s,s:s,s:s}", "type", "buy_label", "order_id",
				  TT("09"), "provider_id", P_CAINIAO, "tracking_number",
				  "LP00412345678918"));
	ck_assert_int_eq(fs_run(&f), 0);
	ti = json_object_get(json_array_get(creates_for(&f, fs_sh_order(&f, TT("09"))), 0),
			     "trackingInfo");
	ck_assert_str_eq(fs_str(ti, "company"), "Cainiao US");
	ck_assert_ptr_nonnull(strstr(fs_str(ti, "url"), "LP00412345678918"));
	fs_stop(&f);
}
END_TEST

/* settings.notify_customer: true makes Shopify notify the buyer. */
START_TEST(pull_notify_customer_setting)
{
	const char *nn[] = { "09", NULL };
	struct store_opts o;
	struct fstore f;
	json_t *in;

	fs_opts(&o);
	o.extra_settings = "  notify_customer: true\n";
	fs_start(&f, "ful-pull-notify", nn, &o);
	ck_assert_int_eq(fs_run(&f), 0);
	fs_tt_event(&f, json_pack("{s:s,s:s,s:s,s:s}", "type", "buy_label", "order_id",
				  TT("09"), "provider_id", P_USPS, "tracking_number",
				  "9400136109876500090002"));
	ck_assert_int_eq(fs_run(&f), 0);
	in = json_array_get(creates_for(&f, fs_sh_order(&f, TT("09"))), 0);
	ck_assert_ptr_nonnull(in);
	ck_assert(json_is_true(json_object_get(in, "notifyCustomer")));
	ck_assert(json_is_true(json_object_get(sh_fulfillment(fs_sh_order(&f, TT("09")),
							       "9400136109876500090002"),
					       "notifyCustomer")));
	fs_stop(&f);
}
END_TEST

/* CASES rows 11-14: TikTok shipping. Run 1 pulls every package and adds
 * what TikTok already reports (12 in transit, 13 and 14 delivered: no
 * IN_TRANSIT for a package first seen delivered); then 11 is picked up
 * and delivered, 12 delivered: one event per status, TikTok's times,
 * never twice. */
START_TEST(delivery_events_pull)
{
	const char *nn[] = { "11", "12", "13", "14", NULL };
	struct fstore f;
	json_t *o, *e11, *e12, *e13, *e14;
	const char *f11, *f12, *f13, *f14;
	char when[32];
	int i;

	fs_start(&f, "ful-events-pull", nn, NULL);
	ck_assert_int_eq(fs_run(&f), 0);
	f11 = fs_str(sh_fulfillment(fs_sh_order(&f, TT("11")), "9400136109876543210986"), "id");
	f12 = fs_str(sh_fulfillment(fs_sh_order(&f, TT("12")), "771234509875"), "id");
	f13 = fs_str(sh_fulfillment(fs_sh_order(&f, TT("13")), "9434636208303341235870"), "id");
	f14 = fs_str(sh_fulfillment(fs_sh_order(&f, TT("14")), "9200190164917312345674"), "id");
	ck_assert_int_eq(json_array_size(events_for(&f, f11)), 0);
	e12 = events_for(&f, f12);
	ck_assert_int_eq(json_array_size(e12), 1);
	ck_assert_int_eq(count_status(e12, "IN_TRANSIT"), 1);
	o = fs_tt_order(&f, TT("12"));
	iso(json_integer_value(json_object_get(o, "collection_time")), when);
	ck_assert_str_eq(event_time(e12, "IN_TRANSIT"), when);
	e13 = events_for(&f, f13);
	ck_assert_int_eq(json_array_size(e13), 1);
	ck_assert_int_eq(count_status(e13, "DELIVERED"), 1);
	iso(json_integer_value(json_object_get(fs_tt_order(&f, TT("13")), "delivery_time")), when);
	ck_assert_str_eq(event_time(e13, "DELIVERED"), when);
	e14 = events_for(&f, f14);
	ck_assert_int_eq(json_array_size(e14), 1);
	ck_assert_int_eq(count_status(e14, "DELIVERED"), 1);

	fs_tt_event(&f, json_pack("{s:s,s:s}", "type", "carrier_pickup", "order_id", TT("11")));
	fs_tt_event(&f, json_pack("{s:s,s:s}", "type", "delivered", "order_id", TT("12")));
	ck_assert_int_eq(fs_run(&f), 0);
	e11 = events_for(&f, f11);
	ck_assert_int_eq(json_array_size(e11), 1);
	ck_assert_int_eq(count_status(e11, "IN_TRANSIT"), 1);
	o = fs_tt_order(&f, TT("11"));
	ck_assert_int_gt(json_integer_value(json_object_get(o, "collection_time")), 0);
	iso(json_integer_value(json_object_get(o, "collection_time")), when);
	ck_assert_str_eq(event_time(e11, "IN_TRANSIT"), when);
	e12 = events_for(&f, f12);
	ck_assert_int_eq(json_array_size(e12), 2);
	ck_assert_int_eq(count_status(e12, "DELIVERED"), 1);
	iso(json_integer_value(json_object_get(fs_tt_order(&f, TT("12")), "delivery_time")), when);
	ck_assert_str_eq(event_time(e12, "DELIVERED"), when);

	fs_tt_event(&f, json_pack("{s:s,s:s}", "type", "delivered", "order_id", TT("11")));
	ck_assert_int_eq(fs_run(&f), 0);
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(fs_run(&f), 0);
	e11 = events_for(&f, f11);
	ck_assert_int_eq(json_array_size(e11), 2);
	ck_assert_int_eq(count_status(e11, "IN_TRANSIT"), 1);
	ck_assert_int_eq(count_status(e11, "DELIVERED"), 1);
	ck_assert_int_eq(json_array_size(events_for(&f, f12)), 2);
	ck_assert_int_eq(json_array_size(events_for(&f, f13)), 1);
	ck_assert_int_eq(json_array_size(events_for(&f, f14)), 1);
	ck_assert_int_eq(json_array_size(fs_sh_ops(&f, "FulfillmentEventCreate")), 6);
	/* What Shopify shows. */
	ck_assert_str_eq(fs_str(sh_fulfillment(fs_sh_order(&f, TT("11")),
					       "9400136109876543210986"), "displayStatus"),
			 "DELIVERED");
	ck_assert_int_eq(json_array_size(json_object_get(
		sh_fulfillment(fs_sh_order(&f, TT("11")), "9400136109876543210986"), "events")), 2);
	fs_stop(&f);
}
END_TEST

/* Seller shipping: the merchant's own Shopify fulfillment gets TikTok's
 * in-transit and delivered status, once each. */
START_TEST(delivery_events_push)
{
	const char *nn[] = { "01", NULL };
	struct fstore f;
	json_t *ev;
	const char *ful;
	int i;

	fs_start(&f, "ful-events-push", nn, NULL);
	ck_assert_int_eq(fs_run(&f), 0);
	ful = fs_fulfill_all(&f, TT("01"), "USPS", "9400111899223197428497");
	ck_assert_int_eq(fs_run(&f), 0);
	ck_assert_int_eq(json_array_size(fs_ship_calls(&f, TT("01"))), 1);
	ck_assert_int_eq(json_array_size(events_for(&f, ful)), 0);

	fs_tt_event(&f, json_pack("{s:s,s:s}", "type", "carrier_pickup", "order_id", TT("01")));
	ck_assert_int_eq(fs_run(&f), 0);
	ev = events_for(&f, ful);
	ck_assert_int_eq(json_array_size(ev), 1);
	ck_assert_int_eq(count_status(ev, "IN_TRANSIT"), 1);
	ck_assert_int_eq(fs_run(&f), 0);
	ck_assert_int_eq(json_array_size(events_for(&f, ful)), 1);

	fs_tt_event(&f, json_pack("{s:s,s:s}", "type", "delivered", "order_id", TT("01")));
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(fs_run(&f), 0);
	ev = events_for(&f, ful);
	ck_assert_int_eq(json_array_size(ev), 2);
	ck_assert_int_eq(count_status(ev, "IN_TRANSIT"), 1);
	ck_assert_int_eq(count_status(ev, "DELIVERED"), 1);
	ck_assert_int_eq(json_array_size(fs_ship_calls(&f, TT("01"))), 1);
	ck_assert_int_eq(fs_tt_writes(&f), 1);
	fs_stop(&f);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("e2e fulfillment pull (TikTok -> Shopify) and delivery");
	TCase *tc = tcase_create("pull");

	tcase_set_timeout(tc, FS_TIMEOUT);
	tcase_add_unchecked_fixture(tc, fs_suite_setup, fs_suite_teardown);
	tcase_add_test(tc, pull_label_bought);
	tcase_add_test(tc, pull_partial_packages);
	tcase_add_test(tc, pull_company_mapping);
	tcase_add_test(tc, pull_company_unknown_to_shopify);
	tcase_add_test(tc, pull_notify_customer_setting);
	tcase_add_test(tc, delivery_events_pull);
	tcase_add_test(tc, delivery_events_push);
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

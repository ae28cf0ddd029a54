/*
 * check_map_order.c - the TikTok order -> Shopify order mapper: every row
 * of SPEC.md's field table, unit grouping, promotions, gifts and samples,
 * taxes (line, order level, shipping), the retail delivery fee, the money
 * check to the cent, SKU failures that name the SKU, line cancellations,
 * invalid data, non-ASCII text, US state codes and phone numbers.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mapping.h"

/* ---- builders ----------------------------------------------------------- */

static char *S(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* A paid, seller-shipped US order with no lines yet. */
static struct tt_order *order_new(void)
{
	struct tt_order *o = xcalloc(1, sizeof(*o));

	o->id = S("579000000000000001");
	o->status = TT_AWAITING_SHIPMENT;
	o->status_str = S("AWAITING_SHIPMENT");
	o->fulfillment_type = S("FULFILLMENT_BY_SELLER");
	o->shipping_type = S("SELLER");
	o->delivery_option_id = S("7091146663229654785");
	o->delivery_option_name = S("Standard Shipping");
	o->buyer_message = S("Please leave at the door");
	o->buyer_email = S("v2b2V5@chat.seller.tiktok.com");
	o->create_time = 1763600000;
	o->paid_time = 1763600120;
	strcpy(o->payment.currency, "USD");
	o->payment.exp = 2;
	o->payment.shipping_fee = 599;
	o->addr.name = S("Jane Doe");
	o->addr.first_name = S("Jane");
	o->addr.last_name = S("Doe");
	o->addr.phone = S("(+1)5551234567");
	o->addr.line1 = S("1 Main St");
	o->addr.line2 = S("Apt 2");
	o->addr.line3 = S("");
	o->addr.postal_code = S("95110");
	o->addr.region_code = S("US");
	o->addr.country = S("United States");
	o->addr.state = S("California");
	o->addr.county = S("Santa Clara");
	o->addr.city = S("San Jose");
	return o;
}

static struct tt_line *add_line(struct tt_order *o, const char *id,
				const char *sku_id, const char *seller_sku,
				const char *product, money_t sale)
{
	struct tt_line *l;

	o->lines = xrealloc(o->lines, (o->nlines + 1) * sizeof(*o->lines));
	l = &o->lines[o->nlines++];
	memset(l, 0, sizeof(*l));
	l->id = S(id);
	l->sku_id = S(sku_id);
	l->seller_sku = S(seller_sku);
	l->product_name = S(product);
	l->sku_name = S("Red, M");
	l->original_price = sale;
	l->sale_price = sale;
	l->display_status = S("AWAITING_SHIPMENT");
	return l;
}

static void line_tax(struct tt_line *l, money_t tax, const char *rate)
{
	l->tax = tax;
	l->has_tax = 1;
	l->tax_rate = S(rate);
}

/* Fill the payment the way TikTok computes it from the lines. */
static void finish_payment(struct tt_order *o)
{
	struct tt_payment *p = &o->payment;
	size_t i;

	p->sub_total = 0;
	p->product_tax = 0;
	for (i = 0; i < o->nlines; i++) {
		p->sub_total += o->lines[i].sale_price;
		p->product_tax += o->lines[i].tax;
	}
	p->tax = p->product_tax + p->shipping_fee_tax;
	p->total_amount = p->sub_total + p->shipping_fee + p->tax +
			  p->retail_delivery_fee;
}

static void order_free(struct tt_order *o)
{
	tt_order_free(o);
	free(o);
}

static struct config cfg;
static struct sku_resolution skus[] = {
	{ .tt_sku_id = (char *)"1729000000000000001",
	  .seller_sku = (char *)"TEE-RED-M", .kind = SKU_RES_LINKED,
	  .variant_id = (char *)"gid://shopify/ProductVariant/11" },
	{ .tt_sku_id = (char *)"1729000000000000002",
	  .seller_sku = (char *)"STICKER", .kind = SKU_RES_MATCHED,
	  .variant_id = (char *)"gid://shopify/ProductVariant/22" },
};

static struct map_ctx ctx(void)
{
	struct map_ctx c;

	memset(&c, 0, sizeof(c));
	c.cfg = &cfg;
	c.skus = skus;
	c.nskus = ARRAY_SIZE(skus);
	c.tiktok_order_url =
		"https://seller-us.tiktok.com/order/detail?order_no=579000000000000001";
	return c;
}

static void setup(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.store_name = (char *)"Acme";
	cfg.region = (char *)"US";
}

static const char *attr(const struct sh_order_input *in, const char *key)
{
	size_t i;

	for (i = 0; i < in->nattrs; i++)
		if (strcmp(in->attrs[i].key, key) == 0)
			return in->attrs[i].value;
	return NULL;
}

static int has_tag(const struct sh_order_input *in, const char *tag)
{
	size_t i;

	for (i = 0; i < in->ntags; i++)
		if (strcmp(in->tags[i], tag) == 0)
			return 1;
	return 0;
}

/* The ordinary order: two units of a tee at a discount, one sticker. */
static struct tt_order *tee_order(void)
{
	struct tt_order *o = order_new();
	struct tt_line *l;

	l = add_line(o, "577000000000000011", "1729000000000000001",
		     "TEE-RED-M", "Tee", 1700);
	l->original_price = 2000;
	l->seller_discount = 200;
	l->platform_discount = 100;
	l = add_line(o, "577000000000000012", "1729000000000000001",
		     "TEE-RED-M", "Tee", 1700);
	l->original_price = 2000;
	l->seller_discount = 200;
	l->platform_discount = 100;
	add_line(o, "577000000000000013", "1729000000000000002", "STICKER",
		 "Sticker", 250);
	finish_payment(o);
	return o;
}

/* ---- SPEC's field table ------------------------------------------------ */

START_TEST(test_field_table)
{
	struct tt_order *o = tee_order();
	struct map_ctx c = ctx();
	struct sh_order_input in;
	struct err e;

	err_clear(&e);
	ck_assert_int_eq(map_order(o, &c, &in, &e), 0);
	/* order ID: custom attributes (Shopify numbers the order itself),
	 * in display order */
	ck_assert_uint_eq(in.nattrs, 3);
	ck_assert_str_eq(in.attrs[0].key, "Channel");
	ck_assert_str_eq(in.attrs[0].value, "TikTok Shop - Acme");
	ck_assert_str_eq(in.attrs[1].key, "TikTok Shop Order ID");
	ck_assert_str_eq(in.attrs[1].value, "579000000000000001");
	ck_assert_str_eq(in.attrs[2].key, "Shipping Method");
	ck_assert_str_eq(in.attrs[2].value, "Seller shipping");
	ck_assert_str_eq(in.source_identifier, "579000000000000001");
	ck_assert_str_eq(in.source_url, c.tiktok_order_url);
	/* create time, never the sync time */
	ck_assert_int_eq(in.processed_at, 1763600000);
	/* buyer: relay email kept, nobody messaged */
	ck_assert_str_eq(in.email, "v2b2V5@chat.seller.tiktok.com");
	ck_assert_int_eq(in.send_receipt, 0);
	ck_assert_int_eq(in.send_fulfillment_receipt, 0);
	ck_assert_str_eq(in.customer_first_name, "Jane");
	ck_assert_str_eq(in.customer_last_name, "Doe");
	ck_assert(in.has_shipping_address);
	ck_assert_str_eq(in.shipping_address.first_name, "Jane");
	ck_assert_str_eq(in.shipping_address.last_name, "Doe");
	ck_assert_str_eq(in.shipping_address.address1, "1 Main St");
	ck_assert_str_eq(in.shipping_address.address2, "Apt 2");
	ck_assert_str_eq(in.shipping_address.city, "San Jose");
	ck_assert_str_eq(in.shipping_address.province_code, "CA");
	ck_assert_str_eq(in.shipping_address.zip, "95110");
	ck_assert_str_eq(in.shipping_address.country_code, "US");
	ck_assert_str_eq(in.shipping_address.phone, "+15551234567");
	ck_assert_str_eq(in.phone, "+15551234567");
	/* delivery option -> shipping line */
	ck_assert_uint_eq(in.nshipping, 1);
	ck_assert_str_eq(in.shipping[0].title, "Standard Shipping");
	ck_assert_str_eq(in.shipping[0].code, "tiktok_shop");
	ck_assert_str_eq(in.shipping[0].source, "tiktok_shop");
	ck_assert_int_eq(in.shipping[0].price, 599);
	ck_assert_uint_eq(in.shipping[0].ntax_lines, 0);
	/* buyer message -> note */
	ck_assert_str_eq(in.note, "Please leave at the door");
	/* tags */
	ck_assert_uint_eq(in.ntags, 1);
	ck_assert_str_eq(in.tags[0], "TikTok Shop");
	/* line items: linked variants */
	ck_assert_uint_eq(in.nlines, 2);
	ck_assert_str_eq(in.lines[0].variant_id, "gid://shopify/ProductVariant/11");
	ck_assert_str_eq(in.lines[1].variant_id, "gid://shopify/ProductVariant/22");
	ck_assert_str_eq(in.lines[0].sku, "TEE-RED-M");
	/* money and payment */
	ck_assert_str_eq(in.currency, "USD");
	ck_assert_int_eq(in.exp, 2);
	ck_assert_str_eq(in.transaction_gateway, "TikTok Shop");
	ck_assert_int_eq(in.transaction_amount, 1700 * 2 + 250 + 599);
	ck_assert_int_eq(in.transaction_processed_at, 1763600120);
	ck_assert_str_eq(in.inventory_behaviour, "BYPASS");
	sh_order_input_free(&in);
	order_free(o);
}
END_TEST

START_TEST(test_tiktok_shipping_attribute)
{
	struct tt_order *o = tee_order();
	struct map_ctx c = ctx();
	struct sh_order_input in;
	struct err e;

	free(o->shipping_type);
	o->shipping_type = S("TIKTOK");
	o->paid_time = 0;
	ck_assert_int_eq(map_order(o, &c, &in, &e), 0);
	ck_assert_str_eq(attr(&in, "Shipping Method"), "TikTok shipping");
	/* no paid time: the transaction is dated at creation */
	ck_assert_int_eq(in.transaction_processed_at, o->create_time);
	sh_order_input_free(&in);
	order_free(o);
}
END_TEST

START_TEST(test_address_fallbacks)
{
	struct tt_order *o = tee_order();
	struct map_ctx c = ctx();
	struct sh_order_input in;
	struct err e;

	free(o->addr.first_name);
	free(o->addr.last_name);
	o->addr.first_name = o->addr.last_name = NULL;
	free(o->addr.name);
	o->addr.name = S("Mary Ann Smith");
	free(o->addr.line3);
	o->addr.line3 = S("Building C");
	o->addr.line4 = S("Floor 3");
	free(o->addr.city);
	o->addr.city = NULL;	/* L3 masked: the county stands in */
	free(o->addr.state);
	o->addr.state = S("District of Columbia");
	free(o->addr.phone);
	o->addr.phone = S("(+1)555****567");	/* masked */
	ck_assert_int_eq(map_order(o, &c, &in, &e), 0);
	ck_assert_str_eq(in.shipping_address.first_name, "Mary Ann");
	ck_assert_str_eq(in.shipping_address.last_name, "Smith");
	ck_assert_str_eq(in.shipping_address.address2,
			 "Apt 2, Building C, Floor 3");
	ck_assert_str_eq(in.shipping_address.city, "Santa Clara");
	ck_assert_str_eq(in.shipping_address.province_code, "DC");
	ck_assert_ptr_null(in.shipping_address.phone);
	ck_assert_ptr_null(in.phone);
	sh_order_input_free(&in);
	order_free(o);
}
END_TEST

START_TEST(test_non_ascii_survives)
{
	struct tt_order *o = tee_order();
	struct map_ctx c = ctx();
	struct sh_order_input in;
	struct err e;

	free(o->addr.first_name);
	free(o->addr.last_name);
	o->addr.first_name = S("José");
	o->addr.last_name = S("Müller-Øberg");
	free(o->buyer_message);
	o->buyer_message = S("Gracias 🎁 — 東京へ");
	free(o->lines[0].product_name);
	o->lines[0].product_name = S("Café Tee «Ünïcode»");
	cfg.store_name = (char *)"Ñandú Store";
	ck_assert_int_eq(map_order(o, &c, &in, &e), 0);
	ck_assert_str_eq(in.customer_first_name, "José");
	ck_assert_str_eq(in.customer_last_name, "Müller-Øberg");
	ck_assert_str_eq(in.note, "Gracias 🎁 — 東京へ");
	ck_assert_str_eq(in.lines[0].title, "Café Tee «Ünïcode»");
	ck_assert_str_eq(attr(&in, "Channel"), "TikTok Shop - Ñandú Store");
	sh_order_input_free(&in);
	order_free(o);
}
END_TEST

/* ---- items ------------------------------------------------------------- */

START_TEST(test_units_grouped_ids_kept)
{
	struct tt_order *o = order_new();
	struct map_ctx c = ctx();
	struct sh_order_input in;
	struct err e;

	/* three units of one SKU, listed out of order (ids of different
	 * lengths), and one of them at another price */
	add_line(o, "577000000000000112", "1729000000000000001", "TEE-RED-M",
		 "Tee", 1700);
	add_line(o, "99000000000000001", "1729000000000000001", "TEE-RED-M",
		 "Tee", 1700);
	add_line(o, "577000000000000100", "1729000000000000001", "TEE-RED-M",
		 "Tee", 1700);
	add_line(o, "577000000000000105", "1729000000000000001", "TEE-RED-M",
		 "Tee", 1500);
	finish_payment(o);
	ck_assert_int_eq(map_order(o, &c, &in, &e), 0);
	ck_assert_uint_eq(in.nlines, 2);
	ck_assert_int_eq(in.lines[0].quantity, 3);
	ck_assert_int_eq(in.lines[0].unit_price, 1700);
	ck_assert_uint_eq(in.lines[0].ntt_line_ids, 3);
	ck_assert_str_eq(in.lines[0].tt_line_ids[0], "99000000000000001");
	ck_assert_str_eq(in.lines[0].tt_line_ids[1], "577000000000000100");
	ck_assert_str_eq(in.lines[0].tt_line_ids[2], "577000000000000112");
	ck_assert_int_eq(in.lines[1].quantity, 1);
	ck_assert_int_eq(in.lines[1].unit_price, 1500);
	ck_assert_str_eq(in.lines[1].tt_line_ids[0], "577000000000000105");
	ck_assert_int_eq(in.expect_subtotal, 3 * 1700 + 1500);
	sh_order_input_free(&in);
	order_free(o);
}
END_TEST

START_TEST(test_promotion_price)
{
	struct tt_order *o = tee_order();
	struct map_ctx c = ctx();
	struct sh_order_input in;
	struct err e;

	/* seller 2.00 + platform 1.00 off 20.00: TikTok charged 17.00 */
	o->payment.original_total_product_price = 2 * 2000 + 250;
	o->payment.seller_discount = 400;
	o->payment.platform_discount = 200;
	ck_assert_int_eq(map_order(o, &c, &in, &e), 0);
	ck_assert_int_eq(in.lines[0].unit_price, 1700);
	ck_assert_int_eq(in.expect_subtotal, o->payment.sub_total);
	ck_assert_int_eq(in.expect_total, o->payment.total_amount);
	sh_order_input_free(&in);
	order_free(o);
}
END_TEST

START_TEST(test_gift_line_and_tag)
{
	struct tt_order *o = tee_order();
	struct map_ctx c = ctx();
	struct sh_order_input in;
	struct tt_line *g;
	struct err e;

	/* a free sticker as gift-with-purchase: its own line, tagged */
	g = add_line(o, "577000000000000014", "1729000000000000002", "STICKER",
		     "Sticker", 0);
	g->is_gift = 1;
	g->gift_retail_price = 300;
	finish_payment(o);
	ck_assert_int_eq(map_order(o, &c, &in, &e), 0);
	ck_assert(has_tag(&in, "TikTok Shop"));
	ck_assert(has_tag(&in, "TikTok Shop Gift"));
	ck_assert(!has_tag(&in, "TikTok Shop Sample"));
	ck_assert_uint_eq(in.nlines, 3);
	ck_assert_int_eq(in.lines[2].is_gift, 1);
	ck_assert_int_eq(in.lines[2].unit_price, 0);
	ck_assert_int_eq(in.lines[1].is_gift, 0);
	sh_order_input_free(&in);

	/* a free sticker bought at 0.00 (a promotion) and the gift sticker:
	 * same variant, same price, still two lines */
	o->lines[2].sale_price = 0;
	finish_payment(o);
	ck_assert_int_eq(map_order(o, &c, &in, &e), 0);
	ck_assert_uint_eq(in.nlines, 3);
	ck_assert_int_eq(in.lines[1].quantity, 1);
	ck_assert_int_eq(in.lines[1].is_gift, 0);
	ck_assert_int_eq(in.lines[2].quantity, 1);
	ck_assert_int_eq(in.lines[2].is_gift, 1);
	sh_order_input_free(&in);
	order_free(o);
}
END_TEST

START_TEST(test_sample_tag)
{
	struct tt_order *o = tee_order();
	struct map_ctx c = ctx();
	struct sh_order_input in;
	struct err e;

	o->is_sample_order = 1;
	ck_assert_int_eq(map_order(o, &c, &in, &e), 0);
	ck_assert(has_tag(&in, "TikTok Shop Sample"));
	ck_assert(!has_tag(&in, "TikTok Shop Gift"));
	ck_assert_uint_eq(in.ntags, 2);
	sh_order_input_free(&in);
	order_free(o);
}
END_TEST

START_TEST(test_cancelled_unit_left_out)
{
	struct tt_order *o = tee_order();
	struct map_ctx c = ctx();
	struct sh_order_input in;
	struct err e;

	/* the buyer cancelled one tee before we synced; TikTok's payment
	 * still counts it */
	o->lines[1].cancel_user = S("BUYER");
	free(o->lines[1].display_status);
	o->lines[1].display_status = S("CANCELLED");
	ck_assert_int_eq(map_order(o, &c, &in, &e), 0);
	ck_assert_uint_eq(in.nlines, 2);
	ck_assert_int_eq(in.lines[0].quantity, 1);
	ck_assert_str_eq(in.lines[0].tt_line_ids[0], "577000000000000011");
	ck_assert_int_eq(in.transaction_amount, 1700 + 250 + 599);
	sh_order_input_free(&in);

	/* ... and when TikTok's payment already left it out */
	o->payment.sub_total -= 1700;
	o->payment.total_amount -= 1700;
	ck_assert_int_eq(map_order(o, &c, &in, &e), 0);
	ck_assert_int_eq(in.expect_total, o->payment.total_amount);
	sh_order_input_free(&in);

	/* every unit cancelled while the order is not: nothing to import */
	o->lines[0].cancel_user = S("BUYER");
	o->lines[2].cancel_user = S("SELLER");
	ck_assert_int_eq(map_order(o, &c, &in, &e), -1);
	ck_assert_str_eq(e.code, "ORDER_DATA_INVALID");
	order_free(o);
}
END_TEST

/* ---- taxes and fees ---------------------------------------------------- */

START_TEST(test_line_taxes)
{
	struct tt_order *o = tee_order();
	struct map_ctx c = ctx();
	struct sh_order_input in;
	struct err e;

	line_tax(&o->lines[0], 140, "0.0825");
	line_tax(&o->lines[1], 140, "0.0825");
	line_tax(&o->lines[2], 21, "0.0825");
	finish_payment(o);
	ck_assert_int_eq(map_order(o, &c, &in, &e), 0);
	ck_assert_uint_eq(in.nlines, 2);
	ck_assert_uint_eq(in.lines[0].ntax_lines, 1);
	ck_assert_str_eq(in.lines[0].tax_lines[0].rate, "0.0825");
	ck_assert_int_eq(in.lines[0].tax_lines[0].amount, 280);
	ck_assert_ptr_nonnull(in.lines[0].tax_lines[0].title);
	ck_assert_int_eq(in.lines[1].tax_lines[0].amount, 21);
	ck_assert_uint_eq(in.norder_tax_lines, 0);
	ck_assert_int_eq(in.expect_tax, 301);
	ck_assert_int_eq(in.expect_total, o->payment.total_amount);
	sh_order_input_free(&in);

	/* same variant and price but a different tax per unit: two lines */
	o->lines[1].tax = 150;
	finish_payment(o);
	ck_assert_int_eq(map_order(o, &c, &in, &e), 0);
	ck_assert_uint_eq(in.nlines, 3);
	ck_assert_int_eq(in.expect_tax, 140 + 150 + 21);
	sh_order_input_free(&in);
	order_free(o);
}
END_TEST

START_TEST(test_line_tax_without_rate)
{
	struct tt_order *o = tee_order();
	struct map_ctx c = ctx();
	struct sh_order_input in;
	struct err e;

	/* item_tax with no rate: Shopify needs one, derived from the amount */
	line_tax(&o->lines[2], 25, NULL);
	finish_payment(o);
	ck_assert_int_eq(map_order(o, &c, &in, &e), 0);
	ck_assert_str_eq(in.lines[1].tax_lines[0].rate, "0.1");
	sh_order_input_free(&in);
	order_free(o);
}
END_TEST

START_TEST(test_order_level_tax)
{
	struct tt_order *o = tee_order();
	struct map_ctx c = ctx();
	struct sh_order_input in;
	struct err e;

	/* no item_tax on any line, product tax on the order */
	o->payment.product_tax = 301;
	o->payment.tax = 301;
	o->payment.total_amount += 301;
	ck_assert_int_eq(map_order(o, &c, &in, &e), 0);
	ck_assert_uint_eq(in.norder_tax_lines, 1);
	ck_assert_int_eq(in.order_tax_lines[0].amount, 301);
	/* 3.01 / 36.50 = 0.08246... */
	ck_assert_str_eq(in.order_tax_lines[0].rate, "0.0825");
	ck_assert_uint_eq(in.lines[0].ntax_lines, 0);
	ck_assert_int_eq(in.expect_tax, 301);
	ck_assert_int_eq(in.expect_total, o->payment.total_amount);
	sh_order_input_free(&in);
	order_free(o);
}
END_TEST

START_TEST(test_shipping_tax)
{
	struct tt_order *o = tee_order();
	struct map_ctx c = ctx();
	struct sh_order_input in;
	struct err e;

	o->payment.shipping_fee_tax = 49;
	finish_payment(o);
	ck_assert_int_eq(map_order(o, &c, &in, &e), 0);
	ck_assert_uint_eq(in.shipping[0].ntax_lines, 1);
	ck_assert_int_eq(in.shipping[0].tax_lines[0].amount, 49);
	/* 0.49 / 5.99 = 0.08180... */
	ck_assert_str_eq(in.shipping[0].tax_lines[0].rate, "0.0818");
	ck_assert_int_eq(in.expect_tax, 49);
	ck_assert_int_eq(in.expect_total, o->payment.total_amount);
	sh_order_input_free(&in);
	order_free(o);
}
END_TEST

START_TEST(test_retail_delivery_fee)
{
	struct tt_order *o = tee_order();
	struct map_ctx c = ctx();
	struct sh_order_input in;
	struct err e;

	o->payment.retail_delivery_fee = 28;	/* Colorado */
	finish_payment(o);
	ck_assert_int_eq(map_order(o, &c, &in, &e), 0);
	ck_assert_uint_eq(in.nshipping, 2);
	ck_assert_str_eq(in.shipping[1].title, "Retail Delivery Fee");
	ck_assert_int_eq(in.shipping[1].price, 28);
	ck_assert_int_eq(in.expect_shipping, 599 + 28);
	ck_assert_int_eq(in.expect_total, o->payment.total_amount);
	ck_assert_int_eq(in.transaction_amount, o->payment.total_amount);
	sh_order_input_free(&in);
	order_free(o);
}
END_TEST

/* ---- the money check --------------------------------------------------- */

START_TEST(test_totals_to_the_cent)
{
	struct tt_order *o = tee_order();
	struct map_ctx c = ctx();
	struct sh_order_input in;
	struct err e;

	line_tax(&o->lines[0], 140, "0.0825");
	line_tax(&o->lines[1], 140, "0.0825");
	line_tax(&o->lines[2], 21, "0.0825");
	o->payment.shipping_fee_tax = 49;
	o->payment.retail_delivery_fee = 28;
	finish_payment(o);
	ck_assert_int_eq(map_order(o, &c, &in, &e), 0);
	ck_assert_int_eq(in.expect_subtotal, 3650);
	ck_assert_int_eq(in.expect_shipping, 627);
	ck_assert_int_eq(in.expect_tax, 350);
	ck_assert_int_eq(in.expect_total, 4627);
	ck_assert_int_eq(in.expect_total, o->payment.total_amount);
	ck_assert_int_eq(in.transaction_amount, 4627);
	sh_order_input_free(&in);
	order_free(o);
}
END_TEST

START_TEST(test_totals_mismatch_names_both)
{
	struct tt_order *o = order_new();
	struct map_ctx c = ctx();
	struct sh_order_input in;
	struct err e;

	add_line(o, "577000000000000011", "1729000000000000001", "TEE-RED-M",
		 "Tee", 3000);
	line_tax(&o->lines[0], 81, "0.027");
	finish_payment(o);
	ck_assert_int_eq(o->payment.total_amount, 3680);
	/* doctored: TikTok says one cent more than its parts */
	o->payment.total_amount = 3681;
	ck_assert_int_eq(map_order(o, &c, &in, &e), -1);
	ck_assert_str_eq(e.code, "TOTALS_MISMATCH");
	ck_assert_int_eq(e.cls, ERR_DATA);
	ck_assert_msg(strstr(e.msg, "total 36.81 on TikTok but the Shopify "
				    "order would total 36.80") != NULL,
		      "message: %s", e.msg);
	ck_assert_ptr_nonnull(strstr(e.msg, o->id));
	/* nothing left allocated in the output */
	ck_assert_uint_eq(in.nlines, 0);
	ck_assert_ptr_null(in.lines);

	/* item tax that does not sum to the order's tax */
	o->payment.total_amount = 3680;
	o->payment.tax = 80;
	o->payment.total_amount = 3679;
	ck_assert_int_eq(map_order(o, &c, &in, &e), -1);
	ck_assert_str_eq(e.code, "TOTALS_MISMATCH");
	ck_assert_msg(strstr(e.msg, "tax 0.80 on TikTok") != NULL &&
		      strstr(e.msg, "0.81") != NULL, "message: %s", e.msg);
	order_free(o);
}
END_TEST

/* ---- SKU failures ------------------------------------------------------ */

START_TEST(test_sku_not_linked)
{
	struct tt_order *o = tee_order();
	struct map_ctx c = ctx();
	struct sku_resolution r[2];
	struct sh_order_input in;
	struct err e;

	memcpy(r, skus, sizeof(r));
	r[0].kind = SKU_RES_NONE;
	r[0].variant_id = NULL;
	c.skus = r;
	ck_assert_int_eq(map_order(o, &c, &in, &e), -1);
	ck_assert_str_eq(e.code, "SKU_NOT_LINKED");
	ck_assert_ptr_nonnull(strstr(e.msg, "\"TEE-RED-M\""));
	ck_assert_ptr_nonnull(strstr(e.msg, "Tee"));
	/* one sentence for the SKU, not one per unit */
	ck_assert_ptr_null(strstr(strstr(e.msg, "TEE-RED-M") + 1, "TEE-RED-M"));

	/* two bad SKUs: both named */
	r[1].kind = SKU_RES_NONE;
	r[1].variant_id = NULL;
	ck_assert_int_eq(map_order(o, &c, &in, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "TEE-RED-M"));
	ck_assert_ptr_nonnull(strstr(e.msg, "STICKER"));

	/* no resolution at all for a SKU counts as not linked */
	c.nskus = 0;
	ck_assert_int_eq(map_order(o, &c, &in, &e), -1);
	ck_assert_str_eq(e.code, "SKU_NOT_LINKED");
	ck_assert_ptr_nonnull(strstr(e.msg, "STICKER"));
	order_free(o);
}
END_TEST

START_TEST(test_sku_ambiguous)
{
	struct tt_order *o = tee_order();
	struct map_ctx c = ctx();
	struct sku_resolution r[2];
	char *cands[] = { (char *)"gid://shopify/ProductVariant/11 (Tee / Red M)",
			  (char *)"gid://shopify/ProductVariant/12 (Tee old / Red M)" };
	struct sh_order_input in;
	struct err e;

	memcpy(r, skus, sizeof(r));
	r[0].kind = SKU_RES_AMBIGUOUS;
	r[0].variant_id = NULL;
	r[0].candidates = cands;
	r[0].ncandidates = 2;
	c.skus = r;
	ck_assert_int_eq(map_order(o, &c, &in, &e), -1);
	ck_assert_str_eq(e.code, "SKU_AMBIGUOUS");
	ck_assert_ptr_nonnull(strstr(e.msg, "\"TEE-RED-M\""));
	ck_assert_ptr_nonnull(strstr(e.msg, "ProductVariant/11 (Tee / Red M)"));
	ck_assert_ptr_nonnull(strstr(e.msg, "ProductVariant/12 (Tee old / Red M)"));
	order_free(o);
}
END_TEST

START_TEST(test_sku_missing_and_lookup)
{
	struct tt_order *o = tee_order();
	struct map_ctx c = ctx();
	struct sku_resolution r[2];
	struct sh_order_input in;
	struct err e;

	memcpy(r, skus, sizeof(r));
	c.skus = r;
	/* the sticker has no seller SKU on TikTok and no link */
	free(o->lines[2].seller_sku);
	o->lines[2].seller_sku = NULL;
	r[1].seller_sku = NULL;
	r[1].kind = SKU_RES_NO_SKU;
	r[1].variant_id = NULL;
	ck_assert_int_eq(map_order(o, &c, &in, &e), -1);
	ck_assert_str_eq(e.code, "SKU_MISSING");
	ck_assert_ptr_nonnull(strstr(e.msg, "Sticker"));
	ck_assert_ptr_nonnull(strstr(e.msg, "1729000000000000002"));

	/* Shopify could not be asked: transient */
	r[1] = skus[1];
	r[0].kind = SKU_RES_LOOKUP_FAILED;
	r[0].variant_id = NULL;
	ck_assert_int_eq(map_order(o, &c, &in, &e), -1);
	ck_assert_str_eq(e.code, "NETWORK_ERROR");
	ck_assert_ptr_nonnull(strstr(e.msg, "TEE-RED-M"));

	/* a SKU the merchant must fix wins over the failed lookup */
	r[1].kind = SKU_RES_NONE;
	r[1].variant_id = NULL;
	r[1].seller_sku = (char *)"STICKER";
	free(o->lines[2].seller_sku);
	o->lines[2].seller_sku = S("STICKER");
	ck_assert_int_eq(map_order(o, &c, &in, &e), -1);
	ck_assert_str_eq(e.code, "SKU_NOT_LINKED");
	order_free(o);
}
END_TEST

/* ---- invalid data ------------------------------------------------------ */

START_TEST(test_invalid_data)
{
	struct map_ctx c = ctx();
	struct sh_order_input in;
	struct tt_order *o;
	struct err e;

	o = tee_order();
	free(o->id);
	o->id = NULL;
	ck_assert_int_eq(map_order(o, &c, &in, &e), -1);
	ck_assert_str_eq(e.code, "ORDER_DATA_INVALID");
	ck_assert_ptr_nonnull(strstr(e.msg, "id"));
	order_free(o);

	o = order_new();
	ck_assert_int_eq(map_order(o, &c, &in, &e), -1);
	ck_assert_str_eq(e.code, "ORDER_DATA_INVALID");
	ck_assert_ptr_nonnull(strstr(e.msg, "line_items"));
	order_free(o);

	o = tee_order();
	strcpy(o->payment.currency, "XXQ");
	ck_assert_int_eq(map_order(o, &c, &in, &e), -1);
	ck_assert_str_eq(e.code, "ORDER_DATA_INVALID");
	ck_assert_ptr_nonnull(strstr(e.msg, "payment.currency \"XXQ\""));
	order_free(o);

	o = tee_order();
	o->payment.shipping_fee = -100;
	ck_assert_int_eq(map_order(o, &c, &in, &e), -1);
	ck_assert_str_eq(e.code, "ORDER_DATA_INVALID");
	ck_assert_ptr_nonnull(strstr(e.msg, "payment.shipping_fee"));
	order_free(o);

	o = tee_order();
	o->lines[1].sale_price = -1;
	ck_assert_int_eq(map_order(o, &c, &in, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "sale_price"));
	ck_assert_ptr_nonnull(strstr(e.msg, "577000000000000012"));
	order_free(o);

	o = tee_order();
	free(o->lines[0].id);
	o->lines[0].id = S("");
	ck_assert_int_eq(map_order(o, &c, &in, &e), -1);
	ck_assert_str_eq(e.code, "ORDER_DATA_INVALID");
	order_free(o);

	o = tee_order();
	free(o->shipping_type);
	o->shipping_type = NULL;
	ck_assert_int_eq(map_order(o, &c, &in, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "shipping_type"));
	order_free(o);
}
END_TEST

/* ---- address helpers --------------------------------------------------- */

START_TEST(test_us_state_codes)
{
	static const char *const names[] = {
		"Alabama", "Alaska", "Arizona", "Arkansas", "California",
		"Colorado", "Connecticut", "Delaware", "Florida", "Georgia",
		"Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas",
		"Kentucky", "Louisiana", "Maine", "Maryland", "Massachusetts",
		"Michigan", "Minnesota", "Mississippi", "Missouri", "Montana",
		"Nebraska", "Nevada", "New Hampshire", "New Jersey",
		"New Mexico", "New York", "North Carolina", "North Dakota",
		"Ohio", "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island",
		"South Carolina", "South Dakota", "Tennessee", "Texas", "Utah",
		"Vermont", "Virginia", "Washington", "West Virginia",
		"Wisconsin", "Wyoming",
	};
	static const char *const codes[] = {
		"AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA",
		"HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD",
		"MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
		"NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC",
		"SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		ck_assert_ptr_nonnull(us_state_code(names[i]));
		ck_assert_str_eq(us_state_code(names[i]), codes[i]);
		ck_assert_str_eq(us_state_code(codes[i]), codes[i]);
	}
	ck_assert_str_eq(us_state_code("District of Columbia"), "DC");
	ck_assert_str_eq(us_state_code("Puerto Rico"), "PR");
	ck_assert_str_eq(us_state_code("Guam"), "GU");
	ck_assert_str_eq(us_state_code("U.S. Virgin Islands"), "VI");
	ck_assert_str_eq(us_state_code("American Samoa"), "AS");
	ck_assert_str_eq(us_state_code("Northern Mariana Islands"), "MP");
	ck_assert_str_eq(us_state_code("  new york "), "NY");
	ck_assert_str_eq(us_state_code("ca"), "CA");
	ck_assert_ptr_null(us_state_code("Ontario"));
	ck_assert_ptr_null(us_state_code("ZZ"));
	ck_assert_ptr_null(us_state_code(""));
	ck_assert_ptr_null(us_state_code(NULL));
}
END_TEST

START_TEST(test_normalize_phone)
{
	struct {
		const char *in, *out;
	} cases[] = {
		{ "(+1)5551234567", "+15551234567" },
		{ "+1 (555) 123-4567", "+15551234567" },
		{ "555-123-4567", "+15551234567" },
		{ "15551234567", "+15551234567" },
		{ "(+44)2071234567", "+442071234567" },
		{ "(+1)555****567", NULL },
		{ "", NULL },
		{ "12", NULL },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *p = normalize_phone(cases[i].in);

		if (cases[i].out == NULL)
			ck_assert_msg(p == NULL, "%s -> %s", cases[i].in, p);
		else
			ck_assert_str_eq(p, cases[i].out);
		free(p);
	}
	ck_assert_ptr_null(normalize_phone(NULL));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("map_order");
	TCase *tc = tcase_create("map_order");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_field_table);
	tcase_add_test(tc, test_tiktok_shipping_attribute);
	tcase_add_test(tc, test_address_fallbacks);
	tcase_add_test(tc, test_non_ascii_survives);
	tcase_add_test(tc, test_units_grouped_ids_kept);
	tcase_add_test(tc, test_promotion_price);
	tcase_add_test(tc, test_gift_line_and_tag);
	tcase_add_test(tc, test_sample_tag);
	tcase_add_test(tc, test_cancelled_unit_left_out);
	tcase_add_test(tc, test_line_taxes);
	tcase_add_test(tc, test_line_tax_without_rate);
	tcase_add_test(tc, test_order_level_tax);
	tcase_add_test(tc, test_shipping_tax);
	tcase_add_test(tc, test_retail_delivery_fee);
	tcase_add_test(tc, test_totals_to_the_cent);
	tcase_add_test(tc, test_totals_mismatch_names_both);
	tcase_add_test(tc, test_sku_not_linked);
	tcase_add_test(tc, test_sku_ambiguous);
	tcase_add_test(tc, test_sku_missing_and_lookup);
	tcase_add_test(tc, test_invalid_data);
	tcase_add_test(tc, test_us_state_codes);
	tcase_add_test(tc, test_normalize_phone);
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

/*
 * model.h - platform-neutral pictures of what each platform holds, and of
 * what ttsync wants to send. The TikTok and Shopify clients fill and read
 * these; the mappers and the planner work only with them (they never see
 * JSON or GraphQL).
 *
 * Ownership: every char * in these structs is heap-owned by the struct and
 * freed by the matching *_free() function. NULL means "absent"; the
 * empty string means "present and empty".
 */
#ifndef TTSYNC_MODEL_H
#define TTSYNC_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "money.h"

/* ------------------------------------------------------------------ */
/* TikTok Shop                                                          */

enum tt_status {
	TT_STATUS_UNKNOWN = 0,
	TT_UNPAID,
	TT_ON_HOLD,
	TT_AWAITING_SHIPMENT,
	TT_PARTIALLY_SHIPPING,
	TT_AWAITING_COLLECTION,
	TT_IN_TRANSIT,
	TT_DELIVERED,
	TT_COMPLETED,
	TT_CANCELLED,
};
enum tt_status tt_status_parse(const char *s);	/* unknown -> TT_STATUS_UNKNOWN */
const char *tt_status_name(enum tt_status s);	/* "AWAITING_SHIPMENT" */

/* One TikTok order line item == one unit (TikTok has no quantity). */
struct tt_line {
	char *id;		/* order line item id: what Mark Package As Shipped takes */
	char *sku_id, *product_id, *seller_sku;
	char *product_name, *sku_name;
	money_t original_price, sale_price;	/* sale_price nets both discounts */
	money_t seller_discount, platform_discount;
	money_t tax;			/* sum of item_tax[].tax_amount */
	int has_tax;			/* item_tax present on this line */
	char *tax_rate;			/* first item_tax[].tax_rate, decimal string, or NULL */
	int is_gift;
	money_t gift_retail_price;
	char *display_status;
	char *package_id, *package_status;
	char *tracking_number, *shipping_provider_id, *shipping_provider_name;
	char *cancel_user, *cancel_reason;	/* line-level cancellation (US) */
	int64_t rts_time;
};

struct tt_address {
	char *name, *first_name, *last_name, *phone;
	char *line1, *line2, *line3, *line4;
	char *postal_code, *region_code;	/* region_code: country, "US" */
	/* From district_info[] by address_level_name / level: */
	char *country, *state, *county, *city;
	char *full_address;
};

struct tt_payment {
	char currency[8];
	int exp;		/* minor-unit digits of currency */
	money_t sub_total, shipping_fee, seller_discount, platform_discount;
	money_t total_amount, original_total_product_price, original_shipping_fee;
	money_t shipping_fee_seller_discount, shipping_fee_platform_discount;
	money_t shipping_fee_cofunded_discount;
	money_t tax, product_tax, shipping_fee_tax, retail_delivery_fee;
	money_t item_insurance_fee, item_insurance_tax, handling_fee;
};

struct tt_order {
	char *id;
	enum tt_status status;
	char *status_str;		/* as sent, for messages */
	char *fulfillment_type;		/* FULFILLMENT_BY_SELLER / _BY_TIKTOK */
	char *shipping_type;		/* SELLER / TIKTOK */
	char *delivery_option_id, *delivery_option_name;
	char *buyer_message, *buyer_email, *seller_note, *user_id;
	char *cancel_reason, *cancellation_initiator;
	int is_sample_order, is_on_hold_order, is_buyer_request_cancel;
	int64_t create_time, update_time, paid_time, rts_time;
	int64_t collection_time, delivery_time, cancel_time;
	char *tracking_number, *shipping_provider, *shipping_provider_id;
	struct tt_payment payment;
	struct tt_address addr;
	struct tt_line *lines;
	size_t nlines;
	char **package_ids;
	size_t npackages;
};
void tt_order_free(struct tt_order *o);	/* frees members, not o itself */

struct tt_provider {
	char *id, *name;
};
struct tt_provider_list {
	char *delivery_option_id;
	struct tt_provider *v;
	size_t n;
};
void tt_provider_list_free(struct tt_provider_list *l);

/* Token pair; expiries are absolute epoch seconds as TikTok sends them. */
struct tt_token {
	char *access_token;
	int64_t access_expire;
	char *refresh_token;
	int64_t refresh_expire;
};
void tt_token_free(struct tt_token *t);

struct tt_shop {
	char *id, *name, *region, *cipher, *seller_type, *code;
};
void tt_shop_free(struct tt_shop *s);

/* ------------------------------------------------------------------ */
/* Shopify                                                              */

struct sh_tracking {
	char *company, *number, *url;
};

struct sh_fulfillment_line {
	char *line_item_id;	/* gid://shopify/LineItem/... */
	int quantity;
};

struct sh_fulfillment {
	char *id;		/* gid://shopify/Fulfillment/... */
	char *name;		/* "#1001-F1" */
	char *status;		/* SUCCESS, CANCELLED, ERROR, FAILURE */
	char *display_status;	/* FULFILLED, IN_TRANSIT, DELIVERED, ... */
	int64_t created_at, updated_at, in_transit_at, delivered_at;
	struct sh_tracking *tracking;
	size_t ntracking;
	struct sh_fulfillment_line *lines;
	size_t nlines;
};

struct sh_fo_line {
	char *id;		/* gid://shopify/FulfillmentOrderLineItem/... */
	char *line_item_id;
	int total_quantity, remaining_quantity;
};

struct sh_fulfillment_order {
	char *id;		/* gid://shopify/FulfillmentOrder/... */
	char *status;		/* OPEN, IN_PROGRESS, CLOSED, CANCELLED, ... */
	struct sh_fo_line *lines;
	size_t nlines;
};

struct sh_line_item {
	char *id;		/* gid://shopify/LineItem/... */
	char *sku, *variant_id, *title;
	int quantity;
};

struct sh_order {
	char *id;		/* gid://shopify/Order/123 */
	char *legacy_id;	/* "123": admin URL id */
	char *name;		/* "#1001" */
	char *source_identifier, *source_name;
	char *tiktok_order_id;	/* from customAttributes "TikTok Shop Order ID", or NULL */
	char **tags;
	size_t ntags;
	int64_t created_at, updated_at, processed_at, cancelled_at; /* 0 = not cancelled */
	char *display_fulfillment_status, *display_financial_status;
	money_t total_price;	/* totalPriceSet.shopMoney, minor units */
	char currency[8];
	struct sh_line_item *lines;
	size_t nlines;
	struct sh_fulfillment *fulfillments;
	size_t nfulfillments;
	struct sh_fulfillment_order *fos;
	size_t nfos;
	int partial;		/* read without line items and fulfillment orders
				 * (the window scan): read it again by id before
				 * a package is pulled into it */
};
void sh_order_free(struct sh_order *o);
void sh_fulfillment_free(struct sh_fulfillment *f);	/* members, not f */

/* A Shopify variant found for a SKU. */
struct sh_variant {
	char *id;		/* gid://shopify/ProductVariant/... */
	char *sku, *title, *product_id, *product_title;
};
void sh_variant_free(struct sh_variant *v);

/* ------------------------------------------------------------------ */
/* What ttsync sends to Shopify (built by map_order.c, serialised by
 * shopify.c). Amounts are minor units of `currency`.                    */

struct kv {
	char *key, *value;
};

struct sh_tax_line {
	char *title;
	char *rate;		/* decimal string, e.g. "0.0825" */
	money_t amount;
};

struct sh_line_input {
	char *variant_id;	/* gid; required (ttsync never sends custom lines) */
	char *title, *sku;	/* informational */
	int quantity;
	money_t unit_price;	/* TikTok sale_price: discounted, before tax */
	struct sh_tax_line *tax_lines;
	size_t ntax_lines;
	/* The TikTok unit (line item) ids grouped into this line, in order. */
	char **tt_line_ids;
	size_t ntt_line_ids;
	int is_gift;
};

struct sh_shipping_input {
	char *title, *code, *source;
	money_t price;
	struct sh_tax_line *tax_lines;
	size_t ntax_lines;
};

struct sh_address_input {
	char *first_name, *last_name, *address1, *address2, *city;
	char *province_code, *country_code, *zip, *phone;
};

struct sh_order_input {
	char currency[8];
	int exp;
	int64_t processed_at;	/* TikTok create_time */
	char *email, *phone, *note;
	char *customer_first_name, *customer_last_name;
	struct sh_address_input shipping_address;
	int has_shipping_address;
	char **tags;
	size_t ntags;
	struct kv *attrs;	/* customAttributes, in display order */
	size_t nattrs;
	char *source_identifier, *source_url;
	struct sh_line_input *lines;
	size_t nlines;
	struct sh_shipping_input *shipping;	/* shipping lines */
	size_t nshipping;
	/* Order-level tax lines, used only when no line carries its own. */
	struct sh_tax_line *order_tax_lines;
	size_t norder_tax_lines;
	money_t transaction_amount;	/* SALE/SUCCESS, gateway "TikTok Shop" */
	char *transaction_gateway;
	int64_t transaction_processed_at;
	/* Totals as Shopify will compute them from the above (for the check). */
	money_t expect_subtotal, expect_shipping, expect_tax, expect_total;
	/* Options */
	int send_receipt, send_fulfillment_receipt;
	char *inventory_behaviour;	/* "BYPASS" / "DECREMENT_IGNORING_POLICY" ... */
};
void sh_order_input_free(struct sh_order_input *in);

/* fulfillmentCreate input */
struct sh_fo_line_qty {
	char *fo_line_id;
	int quantity;
};
struct sh_fo_group {
	char *fulfillment_order_id;
	struct sh_fo_line_qty *lines;
	size_t nlines;
};
struct sh_fulfillment_input {
	struct sh_fo_group *groups;
	size_t ngroups;
	char *company, *number, *url;
	int notify_customer;
};
void sh_fulfillment_input_free(struct sh_fulfillment_input *in);

/* Which Shopify line item a TikTok unit became (recorded at create/link). */
struct unit_map {
	char *tt_line_id;
	char *sh_line_item_id;	/* gid://shopify/LineItem/... */
};
void unit_map_free(struct unit_map *v, size_t n);

void kv_free_array(struct kv *v, size_t n);
void str_free_array(char **v, size_t n);

#endif

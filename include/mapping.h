/*
 * mapping.h - pure translations between the two platforms' pictures:
 *   - a TikTok order -> the Shopify order input (SPEC.md's field table),
 *     with the money check against TikTok's payment to the cent;
 *   - carriers: Shopify company -> TikTok provider (exact name, then the
 *     merchant's rules) and back; tracking-number formats per provider;
 *   - units: which TikTok line items a Shopify fulfillment ships, and
 *     which Shopify fulfillment-order lines a TikTok package covers.
 * No I/O, no JSON, no clock: everything comes in as arguments. Failures
 * come back as struct err with cls ERR_DATA and code = a reason code of
 * reasons.h, msg = a sentence naming the value at fault.
 */
#ifndef TTSYNC_MAPPING_H
#define TTSYNC_MAPPING_H

#include <stddef.h>
#include "common.h"
#include "config.h"
#include "model.h"

/* How one TikTok SKU resolved to a Shopify variant. */
enum sku_res_kind {
	SKU_RES_LINKED = 1,	/* from the product-link table */
	SKU_RES_MATCHED,	/* unique exact SKU match in Shopify */
	SKU_RES_NONE,		/* no variant with that SKU */
	SKU_RES_AMBIGUOUS,	/* several variants share the SKU */
	SKU_RES_NO_SKU,		/* TikTok line has no seller SKU and no link */
	SKU_RES_LOOKUP_FAILED,	/* Shopify could not be asked (transient) */
};
struct sku_resolution {
	char *tt_sku_id, *seller_sku;
	enum sku_res_kind kind;
	char *variant_id;		/* LINKED / MATCHED */
	char **candidates;		/* AMBIGUOUS: "gid (product title / variant title)" */
	size_t ncandidates;
};
void sku_resolution_free(struct sku_resolution *r);

struct map_ctx {
	const struct config *cfg;	/* store name, settings */
	const struct sku_resolution *skus;
	size_t nskus;
	const char *tiktok_order_url;	/* sourceUrl; may be NULL */
};

/*
 * Build the Shopify order for a TikTok order. Groups units into lines by
 * (variant, unit price, tax per unit, gift); lines at TikTok's sale price;
 * shipping line = delivery option at TikTok's shipping fee; taxes as
 * TikTok charged them (line item_tax, shipping_fee_tax; order-level
 * allocation when lines carry none); retail delivery fee as its own
 * shipping line; note = buyer message; tags; custom attributes;
 * processedAt = create_time. Then checks expect_* against TikTok's
 * payment: TOTALS_MISMATCH names both figures.
 * Fails with SKU_NOT_LINKED / SKU_AMBIGUOUS / SKU_MISSING / TOTALS_MISMATCH
 * / ORDER_DATA_INVALID.
 */
int map_order(const struct tt_order *o, const struct map_ctx *ctx,
	      struct sh_order_input *out, struct err *e);

/* US state name ("California", "District of Columbia") -> "CA"/"DC";
 * NULL if unknown. Accepts two-letter codes as they are. */
const char *us_state_code(const char *name);
/* "(+1)5551234567" -> "+15551234567"; NULL/"" -> NULL. Caller frees. */
char *normalize_phone(const char *tt_phone);

/* Carrier: Shopify company -> TikTok provider from the order's delivery
 * option list. Exact (case-insensitive, trimmed) name first, then the
 * merchant's rules. CARRIER_NOT_INTEGRATED lists the valid names. */
int carrier_to_tiktok(const struct config *c,
		      const struct tt_provider_list *providers,
		      const char *shopify_company,
		      const struct tt_provider **out, struct err *e);
/* TikTok provider name -> Shopify company (rules read in reverse, then
 * Shopify's known carrier names) and a tracking URL when Shopify does not
 * know the company (NULL otherwise). Caller frees both. */
int carrier_to_shopify(const struct config *c, const char *tt_provider,
		       const char *tracking_number, char **company,
		       char **url);
/* 1 if Shopify knows the carrier name (its tracking-company list). */
int shopify_known_carrier(const char *name);

/* Tracking number against the provider's format (table from the config
 * or the built-in one). Providers absent from the table pass.
 * TRACKING_FORMAT_INVALID names number, provider and the expected shape. */
int tracking_check(const struct tracking_format *fmts, size_t n,
		   const char *provider_name, const char *number,
		   struct err *e);

/* Which TikTok units a Shopify fulfillment ships: for each fulfilled line
 * item and quantity, that many units of it, skipping units in `taken`
 * (already assigned to other fulfillments), lowest ids first.
 * UNITS_UNMAPPED when a line is not in the unit map or runs out. */
int units_for_fulfillment(const struct sh_fulfillment *f,
			  const struct unit_map *units, size_t nunits,
			  char *const *taken, size_t ntaken, char ***out,
			  size_t *nout, struct err *e);

/* The fulfillment-order lines (and quantities) that cover a set of TikTok
 * units, for fulfillmentCreate. Only OPEN/IN_PROGRESS FOs with remaining
 * quantity are used. FULFILLMENT_ORDER_CLOSED / UNITS_UNMAPPED on failure. */
int fo_lines_for_units(const struct sh_order *o,
		       const struct unit_map *units, size_t nunits,
		       char *const *tt_line_ids, size_t n,
		       struct sh_fulfillment_input *out, struct err *e);

/* 1 when this unit's line was cancelled (cancel_user set or display_status
 * CANCELLED) while the order as a whole is not: such units are left out
 * of the Shopify order and reported on linked orders. */
int tt_line_is_cancelled(const struct tt_order *o, const struct tt_line *l);
/* Order of platform ids: all-digit ids numerically (shorter first), else
 * bytewise; NULL sorts first. The one order "lowest ids first" means. */
int tt_id_cmp(const char *a, const char *b);

#endif

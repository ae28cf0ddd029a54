/*
 * shopify.h - Shopify Admin GraphQL (2026-04) client: the documents ttsync
 * sends, their variables, the cost bucket, and the parsing of answers into
 * model.h structs. The only module that knows Shopify's wire format.
 *
 * Every document this client can send is a named operation defined in
 * shopify.c; `shopify_documents()` lists them so the test suite can hold
 * each against the real schema (../shared/tools/shopify-schema-check).
 *
 * Failure classes, for every operation:
 *   - THROTTLED (any HTTP status), 429, transport errors and 5xx on a READ:
 *     waited out from throttleStatus / Retry-After and retried (http.c);
 *   - THROTTLED or MAX_COST_EXCEEDED on a WRITE: refused before execution,
 *     so retried (THROTTLED) or failed (MAX_COST);
 *   - transport errors / 5xx / INTERNAL_SERVER_ERROR on a WRITE: outcome
 *     unknown (res->oc == HTTP_OUTCOME_UNKNOWN); never resent here;
 *   - 401/403/ACCESS_DENIED: ERR_AUTH (the run aborts);
 *   - userErrors: res->user_errors, class ERR_PLATFORM (item fails alone).
 */
#ifndef TTSYNC_SHOPIFY_H
#define TTSYNC_SHOPIFY_H

#include <stddef.h>
#include <stdint.h>
#include "common.h"
#include "config.h"
#include "http.h"
#include "model.h"

struct shopify;

struct sh_user_error {
	char *field;		/* dotted path, e.g. "order.lineItems.0.variantId" */
	char *code;		/* may be NULL (plain UserError) */
	char *message;
};

struct sh_result {
	enum http_outcome oc;
	long http_status;
	char *error_code;	/* first top-level errors[].extensions.code, or NULL */
	struct sh_user_error *user_errors;
	size_t nuser_errors;
	struct err err;		/* filled unless success with no user errors */
};
void sh_result_free(struct sh_result *r);

struct sh_order_list {
	struct sh_order *v;
	size_t n;
	char *end_cursor;
	int has_next;
};
void sh_order_list_free(struct sh_order_list *l);

struct sh_variant_list {
	struct sh_variant *v;
	size_t n;
};
void sh_variant_list_free(struct sh_variant_list *l);

typedef void (*sh_orders_cb)(void *arg, struct sh_result *res,
			     struct sh_order_list *orders);
typedef void (*sh_variants_cb)(void *arg, struct sh_result *res,
			       struct sh_variant_list *variants);
typedef void (*sh_fulfillment_cb)(void *arg, struct sh_result *res,
				  struct sh_fulfillment *f);
typedef void (*sh_simple_cb)(void *arg, struct sh_result *res);

/* Callbacks own nothing they are given (copy what you keep). */
struct sh_ops {
	/* Synchronous: `shop { name currencyCode myshopifyDomain }`;
	 * ERR_AUTH on 401. */
	int (*get_shop)(struct shopify *s, char **name, char **currency,
			struct err *e);
	/* Synchronous, one page of the window scan, orders updated in
	 * [since, until) (until 0: no end) and tagged by ttsync:
	 * orders(first, after, sortKey: UPDATED_AT, query: "updated_at:>='…'
	 * updated_at:<'…' tag:'TikTok Shop'"), read light (sh_order.partial:
	 * fulfillments with tracking and lines; no line items, no
	 * fulfillment orders). Other queued requests progress meanwhile. */
	int (*orders_updated_since)(struct shopify *s, int64_t since,
				    int64_t until, const char *after, int first,
				    struct sh_order_list *out, struct err *e);
	/* Async read: orders whose sourceIdentifier is one of tt_ids
	 * (n <= 10 per call, OR-ed in one search query). Used before every
	 * orderCreate and after an unknown outcome. */
	int (*find_orders_by_tiktok_id)(struct shopify *s, char *const *tt_ids,
					size_t n, sh_orders_cb cb, void *arg,
					struct err *e);
	/* Async read: nodes(ids:) for order GIDs (n <= 25), same selection
	 * as the window scan. */
	int (*get_orders)(struct shopify *s, char *const *gids, size_t n,
			  sh_orders_cb cb, void *arg, struct err *e);
	/* Async read: productVariants(first: 5, query: "sku:'…'"); only
	 * variants whose sku equals `sku` byte for byte are returned. */
	int (*find_variants_by_sku)(struct shopify *s, const char *sku,
				    sh_variants_cb cb, void *arg,
				    struct err *e);
	/* Async read: one variant by GID (checks a stored link still exists). */
	int (*get_variant)(struct shopify *s, const char *gid,
			   sh_variants_cb cb, void *arg, struct err *e);
	/* Async WRITE: orderCreate. On success orders->v[0] is the created
	 * order with line items and fulfillment orders. */
	int (*order_create)(struct shopify *s, const struct sh_order_input *in,
			    sh_orders_cb cb, void *arg, struct err *e);
	/* Async WRITE: fulfillmentCreate. */
	int (*fulfillment_create)(struct shopify *s,
				  const struct sh_fulfillment_input *in,
				  sh_fulfillment_cb cb, void *arg,
				  struct err *e);
	/* Async WRITE: fulfillmentEventCreate (status "IN_TRANSIT" / "DELIVERED"). */
	int (*fulfillment_event_create)(struct shopify *s,
					const char *fulfillment_id,
					const char *status, int64_t happened_at,
					sh_simple_cb cb, void *arg,
					struct err *e);
	/* Async WRITE: orderCancel(reason: CUSTOMER, restock: true,
	 * refundMethod none, notifyCustomer: false). */
	int (*order_cancel)(struct shopify *s, const char *order_gid,
			    const char *staff_note, sh_simple_cb cb, void *arg,
			    struct err *e);
};
extern const struct sh_ops shopify_ops;

int shopify_new(const struct config *c, struct http *h, struct shopify **out,
		struct err *e);
void shopify_free(struct shopify *s);
struct http_limiter *shopify_limiter(struct shopify *s);

/* Every GraphQL document this client sends: name + text (for the schema
 * oracle test). */
struct sh_document {
	const char *name, *text;
};
const struct sh_document *shopify_documents(size_t *n);

/* Build the variables JSON for orderCreate (exposed for unit tests and the
 * dry-run report). Caller frees. */
char *shopify_order_create_variables(const struct sh_order_input *in);

/* Admin links for reports. Caller frees. */
char *shopify_order_admin_url(const struct config *c, const char *legacy_id);

#endif

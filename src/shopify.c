/*
 * shopify.c - the Shopify Admin GraphQL client (API 2026-04): every
 * document ttsync sends (named operations, listed by shopify_documents()),
 * their variables (built with Jansson, never pasted into a query), the
 * static cost of each request and the cost bucket it waits on, the
 * classification of answers (throttled, transient, unknown, refused), and
 * the parsing of answers into model.h structs.
 *
 * Owns: struct shopify (endpoint, token header, the Shopify limiter), the
 * per-request contexts (struct sh_call) and the order-read jobs that stitch
 * several requests into one answer (struct sh_job). Knows nothing of
 * SQLite, TikTok or the planner; only this file knows Shopify's wire
 * format. The access token goes into a request header and nowhere else:
 * never into a log line, an error message or a report.
 */
#include "shopify.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Tunables                                                             */

#define SH_MAX_QUERY_COST 1000	/* Shopify refuses a single query above this (MAX_COST_EXCEEDED) */
#define SH_INITIAL_BUCKET 1000	/* until the first throttleStatus: the smallest bucket Shopify ever had */
#define SH_INITIAL_RESTORE 50	/* idem, points per second (old Standard plan) */
#define SH_MIN_THROTTLE_WAIT_MS 1000 /* research §2: wait at least 1 s after THROTTLED */
#define SH_DEFAULT_429_WAIT_MS 1000  /* 429 without Retry-After */
#define SH_FIND_MAX_IDS 10	/* find_orders_by_tiktok_id: OR-ed terms per query */
#define SH_MAX_CREATE_LINES 50	/* orderCreate lines we can read back in one answer (CREATE_LI) */
#define SH_VARIANTS_FIRST 5	/* productVariants(first:) for a SKU: >1 hit is ambiguous anyway */
#define SH_CANCEL_NOTE_MAX 255	/* orderCancel staffNote maximum length (schema) */

/*
 * Nested page sizes of the order selection, three sets:
 *  SCAN   - window scan, lookups and nodes(ids:): small, so a page holds
 *           ten orders; an order whose children do not fit is read again
 *           on its own with DETAIL (see order_truncated()).
 *  DETAIL - one order by id: big enough for any order ttsync creates.
 *  CREATE - the order returned by orderCreate (a new order has no
 *           fulfillments yet).
 * Each is (lineItems, fulfillments, trackingInfo, fulfillmentLineItems,
 * fulfillmentOrders, fulfillmentOrder lineItems).
 */
#define SCAN_LI 10
#define SCAN_FUL 10
#define SCAN_TRK 5
#define SCAN_FLI 10
#define SCAN_FO 2
#define SCAN_FOL 10

#define DETAIL_LI 100
#define DETAIL_FUL 50
#define DETAIL_TRK 10
#define DETAIL_FLI 100
#define DETAIL_FO 5
#define DETAIL_FOL 50

/* LIGHT - the window scan: what changed (fulfillments, tracking, status)
 *          without line items or fulfillment orders; the caller reads
 *          the orders with work to do again with nodes(ids:).
 * LOOKUP - orders found by TikTok id: LIGHT plus the line items (to map
 *          TikTok's units when an existing order is linked). */
#define LIGHT_FUL 20
#define LIGHT_TRK 5
#define LIGHT_FLI 10
#define LOOKUP_LI 20

#define CREATE_LI 50
#define CREATE_FUL 5
#define CREATE_TRK 5
#define CREATE_FLI 1
#define CREATE_FO 5
#define CREATE_FOL 50

/* fulfillmentCreate's answer */
#define FULCREATE_TRK 10
#define FULCREATE_FLI 100

struct sel_sizes {
	int li, ful, trk, fli, fo, fol;
};
static const struct sel_sizes SZ_SCAN = { SCAN_LI, SCAN_FUL, SCAN_TRK, SCAN_FLI, SCAN_FO, SCAN_FOL };
static const struct sel_sizes SZ_DETAIL = { DETAIL_LI, DETAIL_FUL, DETAIL_TRK, DETAIL_FLI, DETAIL_FO, DETAIL_FOL };
static const struct sel_sizes SZ_CREATE = { CREATE_LI, CREATE_FUL, CREATE_TRK, CREATE_FLI, CREATE_FO, CREATE_FOL };
static const struct sel_sizes SZ_LIGHT = { 0, LIGHT_FUL, LIGHT_TRK, LIGHT_FLI, 0, 0 };
static const struct sel_sizes SZ_LOOKUP = { LOOKUP_LI, LIGHT_FUL, LIGHT_TRK, LIGHT_FLI, 0, 0 };

/* ------------------------------------------------------------------ */
/* Documents                                                            */

#define STR_(x) #x
#define STR(x) STR_(x)

#define FULFILLMENT_FIELDS(trk, fli)					\
	"id name status displayStatus createdAt updatedAt inTransitAt deliveredAt\n" \
	"    trackingInfo(first: " STR(trk) ") { company number url }\n"	\
	"    fulfillmentLineItems(first: " STR(fli) ") { pageInfo { hasNextPage }" \
	" nodes { quantity lineItem { id } } }"

#define ORDER_FIELDS(li, ful, trk, fli, fo, fol)			\
	"id legacyResourceId name createdAt updatedAt processedAt cancelledAt\n" \
	"  sourceName sourceIdentifier tags customAttributes { key value }\n" \
	"  displayFulfillmentStatus displayFinancialStatus\n"		\
	"  totalPriceSet { shopMoney { amount currencyCode } }\n"	\
	"  lineItems(first: " STR(li) ") { pageInfo { hasNextPage }"	\
	" nodes { id sku title quantity variant { id } } }\n"		\
	"  fulfillments(first: " STR(ful) ") {\n    "			\
	FULFILLMENT_FIELDS(trk, fli) "\n  }\n"				\
	"  fulfillmentOrders(first: " STR(fo) ") { pageInfo { hasNextPage }" \
	" nodes { id status\n"						\
	"    lineItems(first: " STR(fol) ") { pageInfo { hasNextPage }"	\
	" nodes { id totalQuantity remainingQuantity lineItem { id } } } } }"

#define SCAN_ORDER_FIELDS \
	ORDER_FIELDS(SCAN_LI, SCAN_FUL, SCAN_TRK, SCAN_FLI, SCAN_FO, SCAN_FOL)

/* The window scan: only what tells a change (status, fulfillments with
 * their tracking and lines). */
#define LIGHT_ORDER_HEAD						\
	"id legacyResourceId name createdAt updatedAt processedAt cancelledAt\n" \
	"  sourceName sourceIdentifier tags\n"				\
	"  displayFulfillmentStatus displayFinancialStatus\n"		\
	"  fulfillments(first: " STR(LIGHT_FUL) ") {\n    "		\
	FULFILLMENT_FIELDS(LIGHT_TRK, LIGHT_FLI) "\n  }"

#define LIGHT_ORDER_FIELDS LIGHT_ORDER_HEAD

/* Lookups by TikTok id: also the custom attributes (another connector may
 * keep the id only there) and the line items (to map TikTok's units). */
#define LOOKUP_ORDER_FIELDS LIGHT_ORDER_HEAD "\n"			\
	"  customAttributes { key value }\n"				\
	"  totalPriceSet { shopMoney { amount currencyCode } }\n"	\
	"  lineItems(first: " STR(LOOKUP_LI) ") { pageInfo { hasNextPage }" \
	" nodes { id sku title quantity variant { id } } }"

/* orderCreate reads back the new order's lines and fulfillment orders,
 * sized by the number of lines sent ($lines): a new order has no
 * fulfillments yet. */
#define CREATE_ORDER_FIELDS						\
	"id legacyResourceId name createdAt updatedAt processedAt cancelledAt\n" \
	"  sourceName sourceIdentifier tags customAttributes { key value }\n" \
	"  displayFulfillmentStatus displayFinancialStatus\n"		\
	"  totalPriceSet { shopMoney { amount currencyCode } }\n"	\
	"  lineItems(first: $lines) { pageInfo { hasNextPage }"	\
	" nodes { id sku title quantity variant { id } } }\n"		\
	"  fulfillmentOrders(first: " STR(CREATE_FO) ") { pageInfo { hasNextPage }" \
	" nodes { id status\n"						\
	"    lineItems(first: $lines) { pageInfo { hasNextPage }"	\
	" nodes { id totalQuantity remainingQuantity lineItem { id } } } } }"

enum sh_doc_id {
	DOC_SHOP = 0,
	DOC_ORDERS_UPDATED,
	DOC_ORDERS_BY_SOURCE,
	DOC_ORDERS_BY_IDS,
	DOC_ORDER_DETAIL,
	DOC_VARIANTS_BY_SKU,
	DOC_VARIANT,
	DOC_ORDER_CREATE,
	DOC_FULFILLMENT_CREATE,
	DOC_FULFILLMENT_EVENT,
	DOC_ORDER_CANCEL,
	DOC_COUNT
};

static const struct sh_document documents[DOC_COUNT] = {
	[DOC_SHOP] = { "Shop",
		"query Shop {\n  shop { name currencyCode myshopifyDomain }\n}\n" },

	[DOC_ORDERS_UPDATED] = { "OrdersUpdatedSince",
		"query OrdersUpdatedSince($first: Int!, $after: String, $query: String!) {\n"
		"  orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {\n"
		"    pageInfo { hasNextPage endCursor }\n"
		"    nodes {\n  " LIGHT_ORDER_FIELDS "\n    }\n  }\n}\n" },

	[DOC_ORDERS_BY_SOURCE] = { "OrdersBySourceIdentifier",
		"query OrdersBySourceIdentifier($first: Int!, $after: String, $query: String!) {\n"
		"  orders(first: $first, after: $after, sortKey: ID, query: $query) {\n"
		"    pageInfo { hasNextPage endCursor }\n"
		"    nodes {\n  " LOOKUP_ORDER_FIELDS "\n    }\n  }\n}\n" },

	[DOC_ORDERS_BY_IDS] = { "OrdersByIds",
		"query OrdersByIds($ids: [ID!]!) {\n"
		"  nodes(ids: $ids) {\n    ... on Order {\n  " SCAN_ORDER_FIELDS
		"\n    }\n  }\n}\n" },

	[DOC_ORDER_DETAIL] = { "OrderDetail",
		"query OrderDetail($id: ID!) {\n  order(id: $id) {\n  "
		ORDER_FIELDS(DETAIL_LI, DETAIL_FUL, DETAIL_TRK, DETAIL_FLI, DETAIL_FO, DETAIL_FOL)
		"\n  }\n}\n" },

	[DOC_VARIANTS_BY_SKU] = { "VariantsBySku",
		"query VariantsBySku($query: String!) {\n"
		"  productVariants(first: " STR(SH_VARIANTS_FIRST) ", query: $query) {\n"
		"    nodes { id sku title product { id title } }\n  }\n}\n" },

	[DOC_VARIANT] = { "VariantById",
		"query VariantById($id: ID!) {\n"
		"  productVariant(id: $id) { id sku title product { id title } }\n}\n" },

	[DOC_ORDER_CREATE] = { "OrderCreate",
		"mutation OrderCreate($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput,"
		" $lines: Int!) {\n"
		"  orderCreate(order: $order, options: $options) {\n"
		"    order {\n  " CREATE_ORDER_FIELDS
		"\n    }\n    userErrors { field message code }\n  }\n}\n" },

	[DOC_FULFILLMENT_CREATE] = { "FulfillmentCreate",
		"mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {\n"
		"  fulfillmentCreate(fulfillment: $fulfillment) {\n"
		"    fulfillment {\n    " FULFILLMENT_FIELDS(FULCREATE_TRK, FULCREATE_FLI)
		"\n    }\n    userErrors { field message }\n  }\n}\n" },

	[DOC_FULFILLMENT_EVENT] = { "FulfillmentEventCreate",
		"mutation FulfillmentEventCreate($fulfillmentEvent: FulfillmentEventInput!) {\n"
		"  fulfillmentEventCreate(fulfillmentEvent: $fulfillmentEvent) {\n"
		"    fulfillmentEvent { id status happenedAt }\n"
		"    userErrors { field message }\n  }\n}\n" },

	/* The money went through TikTok: cancel without any refund (no
	 * original-method refund, no store credit), put the stock back, and
	 * do not write to the buyer. `refund` is deprecated in 2026-04. */
	[DOC_ORDER_CANCEL] = { "OrderCancel",
		"mutation OrderCancel($orderId: ID!, $staffNote: String) {\n"
		"  orderCancel(orderId: $orderId, reason: CUSTOMER, restock: true,\n"
		"      refundMethod: { originalPaymentMethodsRefund: false },\n"
		"      notifyCustomer: false, staffNote: $staffNote) {\n"
		"    job { id done }\n"
		"    orderCancelUserErrors { field message code }\n  }\n}\n" },
};

const struct sh_document *shopify_documents(size_t *n)
{
	*n = DOC_COUNT;
	return documents;
}

/* ------------------------------------------------------------------ */
/* Static cost of each request                                          */

/*
 * Shopify's rules (research §2, shopify.dev rate-limits): a scalar or
 * enum costs 0, an object 1, a connection 2 (edges/nodes/pageInfo) plus
 * `first` times the cost of one node, a mutation 10 plus its selection.
 * A plain list field (Order.fulfillments, Fulfillment.trackingInfo,
 * Order.customAttributes, userErrors) is charged like one object: the
 * live store charged `order { fulfillments(first: 5) { trackingInfo(first:
 * 5) {..} } }` 3 points (research §0.2 fixture fulfillment-multi-tracking-
 * info, downstreamRead). nodes(ids:) has no such evidence, so it is
 * charged per id (an upper bound). Live requested costs came out below
 * these sums (orderCreate with fulfillmentOrders(first:5){lineItems
 * (first:5)}: 39 live, 79 here), so these are upper bounds: a request we
 * estimate at <= 1000 is never refused with MAX_COST_EXCEEDED.
 *
 * One order node with sizes (li, fli, fo, fol):
 *     1                      Order
 *   + 1                      customAttributes (list)
 *   + 2                      totalPriceSet (MoneyBag) { shopMoney (MoneyV2) }
 *   + 2 + li * 2             lineItems: LineItem + variant
 *   + 1 + 1 + 2 + fli * 2    fulfillments (list) { trackingInfo (list),
 *                            fulfillmentLineItems: FulfillmentLineItem + lineItem }
 *   + 2 + fo * (1 + 2 + fol * 2)
 *                            fulfillmentOrders: FulfillmentOrder +
 *                            lineItems: FulfillmentOrderLineItem + lineItem
 * SCAN   (10, 10, 2, 10):   4 + 22 + 24 + 48          =  98
 * DETAIL (100, 100, 5, 50): 4 + 202 + 204 + 517       = 927
 * CREATE (50, 1, 5, 50):    4 + 102 + 6 + 517         = 629
 *
 * Requests:
 *   Shop                      shop                                  1
 *   OrdersUpdatedSince(first) 2 + first * 98; first <= (1000-2)/98 = 10 -> 982
 *   OrdersBySourceIdentifier  the same, first = ids + 1 (<= 10): 198 for one id
 *   OrdersByIds(n ids)        n * 98; n <= 1000/98 = 10            -> 980
 *   OrderDetail               927
 *   VariantsBySku             2 + 5 * (ProductVariant 1 + product 1) = 12
 *   VariantById               productVariant 1 + product 1          2
 *   OrderCreate               10 + 629 + userErrors 1              640
 *   FulfillmentCreate         10 + (1 + 1 + 2 + 100 * 2) + 1        215
 *   FulfillmentEventCreate    10 + fulfillmentEvent 1 + userErrors 1 12
 *   OrderCancel               10 + job 1 + orderCancelUserErrors 1   12
 */
static int order_node_cost(const struct sel_sizes *z)
{
	return 1 + 1 + 2
		+ (2 + z->li * 2)
		+ (1 + 1 + 2 + z->fli * 2)
		+ (2 + z->fo * (1 + 2 + z->fol * 2));
}

/* LIGHT: Order 1 + fulfillments (list) 1 + trackingInfo (list) 1 +
 * fulfillmentLineItems 2 + 10 * 2 = 25; LOOKUP adds customAttributes 1,
 * totalPriceSet 2 and lineItems 2 + 20 * 2: 70. */
static int light_node_cost(void)
{
	return 1 + 1 + 1 + 2 + LIGHT_FLI * 2;
}

static int lookup_node_cost(void)
{
	return light_node_cost() + 1 + 2 + 2 + LOOKUP_LI * 2;
}

/* orderCreate with n lines: 10 + Order 4 + lineItems (2 + 2n) +
 * fulfillmentOrders (2 + 5 * (FulfillmentOrder 1 + lineItems 2 + 2n)) +
 * userErrors 1. Two lines: 58 (live Shopify charged 39 for a similar
 * selection: an upper bound). */
static int create_cost(int n)
{
	return 10 + 4 + (2 + 2 * n) + (2 + CREATE_FO * (1 + 2 + 2 * n)) + 1;
}

/* The biggest window page under the cap: (1000 - 2) / 25 = 39. */
static int scan_max_first(void)
{
	return (SH_MAX_QUERY_COST - 2) / light_node_cost();
}

/* The most ids per nodes(ids:) request: 1000 / 98 = 10. */
static int nodes_max_ids(void)
{
	return SH_MAX_QUERY_COST / order_node_cost(&SZ_SCAN);
}

/* The requested cost of one request of `doc`; `n` is `first` for the
 * orders connections and the number of ids for nodes(ids:). */
static double doc_cost(enum sh_doc_id doc, int n)
{
	switch (doc) {
	case DOC_SHOP:
		return 1;
	case DOC_ORDERS_UPDATED:
		return 2 + (double)n * light_node_cost();
	case DOC_ORDERS_BY_SOURCE:
		return 2 + (double)n * lookup_node_cost();
	case DOC_ORDERS_BY_IDS:
		return (double)n * order_node_cost(&SZ_SCAN);
	case DOC_ORDER_DETAIL:
		return order_node_cost(&SZ_DETAIL);
	case DOC_VARIANTS_BY_SKU:
		return 2 + SH_VARIANTS_FIRST * 2;
	case DOC_VARIANT:
		return 2;
	case DOC_ORDER_CREATE:
		return create_cost(n);
	case DOC_FULFILLMENT_CREATE:
		return 10 + (1 + 1 + 2 + FULCREATE_FLI * 2) + 1;
	case DOC_FULFILLMENT_EVENT:
	case DOC_ORDER_CANCEL:
		return 10 + 1 + 1;
	case DOC_COUNT:
		break;
	}
	return SH_MAX_QUERY_COST;
}

/* ------------------------------------------------------------------ */
/* The client                                                           */

struct shopify {
	const struct config *cfg;
	struct http *h;
	struct http_limiter *lim;
	char *base;		/* https://shop.myshopify.com or the configured base, no trailing '/' */
	char *endpoint;		/* {base}/admin/api/{version}/graphql.json */
	char *token;		/* the access token: header only */
};

static char *base_url(const struct config *c)
{
	char *b;
	size_t n;

	if (c->sh_base_url != NULL && c->sh_base_url[0] != '\0')
		b = xstrdup(c->sh_base_url);
	else if (c->sh_shop_domain != NULL && c->sh_shop_domain[0] != '\0')
		b = xasprintf("https://%s", c->sh_shop_domain);
	else
		return NULL;
	n = strlen(b);
	while (n > 0 && b[n - 1] == '/')
		b[--n] = '\0';
	return b;
}

int shopify_new(const struct config *c, struct http *h, struct shopify **out,
		struct err *e)
{
	struct shopify *s;
	const char *version;

	*out = NULL;
	if (c->sh_access_token == NULL || c->sh_access_token[0] == '\0')
		return err_set(e, ERR_CONFIG, "CONFIG",
			       "%s: shopify: no access token (set access_token_env or access_token_file)",
			       c->path ? c->path : "config");
	s = xcalloc(1, sizeof(*s));
	s->cfg = c;
	s->h = h;
	s->base = base_url(c);
	if (s->base == NULL) {
		free(s);
		return err_set(e, ERR_CONFIG, "CONFIG",
			       "%s: shopify: neither shop_domain nor base_url is set",
			       c->path ? c->path : "config");
	}
	version = c->sh_api_version && c->sh_api_version[0]
		? c->sh_api_version : CFG_DEFAULT_SHOPIFY_VERSION;
	s->endpoint = xasprintf("%s/admin/api/%s/graphql.json", s->base, version);
	s->token = xstrdup(c->sh_access_token);
	s->lim = http_limiter_new("shopify", SH_INITIAL_BUCKET, SH_INITIAL_RESTORE);
	*out = s;
	return 0;
}

void shopify_free(struct shopify *s)
{
	if (s == NULL)
		return;
	http_limiter_free(s->lim);
	free(s->base);
	free(s->endpoint);
	if (s->token != NULL) {
		memset(s->token, 0, strlen(s->token));
		free(s->token);
	}
	free(s);
}

struct http_limiter *shopify_limiter(struct shopify *s)
{
	return s->lim;
}

char *shopify_order_admin_url(const struct config *c, const char *legacy_id)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	char *base;

	if (legacy_id == NULL || legacy_id[0] == '\0')
		return NULL;
	for (p = legacy_id; *p; p++)
		if (*p < '0' || *p > '9')
			return NULL;	/* a legacy id is a number; anything else is not ours to link */
	if (c->sh_base_url != NULL && c->sh_base_url[0] != '\0') {
		base = base_url(c);
		sb_addf(&sb, "%s/admin/orders/%s", base, legacy_id);
		free(base);
		return sb_detach(&sb);
	}
	if (c->sh_shop_domain == NULL || c->sh_shop_domain[0] == '\0')
		return NULL;
	/* "acme.myshopify.com" -> store handle "acme" */
	p = strchr(c->sh_shop_domain, '.');
	sb_add(&sb, "https://admin.shopify.com/store/");
	sb_addn(&sb, c->sh_shop_domain,
		p ? (size_t)(p - c->sh_shop_domain) : strlen(c->sh_shop_domain));
	sb_addf(&sb, "/orders/%s", legacy_id);
	return sb_detach(&sb);
}

/* ------------------------------------------------------------------ */
/* Results and lists                                                    */

void sh_result_free(struct sh_result *r)
{
	size_t i;

	if (r == NULL)
		return;
	free(r->error_code);
	for (i = 0; i < r->nuser_errors; i++) {
		free(r->user_errors[i].field);
		free(r->user_errors[i].code);
		free(r->user_errors[i].message);
	}
	free(r->user_errors);
	memset(r, 0, sizeof(*r));
}

void sh_order_list_free(struct sh_order_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		sh_order_free(&l->v[i]);
	free(l->v);
	free(l->end_cursor);
	memset(l, 0, sizeof(*l));
}

void sh_variant_list_free(struct sh_variant_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		sh_variant_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static void order_list_push(struct sh_order_list *l, struct sh_order *o)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = *o;
	memset(o, 0, sizeof(*o));
}

/* ------------------------------------------------------------------ */
/* Search syntax                                                        */

/*
 * Append `field:'value'` in Shopify search syntax: the value single-quoted,
 * with backslash and single quote escaped by a backslash (research §4.2;
 * D-search "special characters"). The result travels as a GraphQL
 * variable, so JSON takes care of the outer layer.
 */
static void sb_add_term(struct strbuf *sb, const char *field, const char *cmp,
			const char *value)
{
	const char *p;

	sb_add(sb, field);
	sb_add(sb, cmp);
	sb_add(sb, "'");
	for (p = value; *p; p++) {
		if (*p == '\\' || *p == '\'')
			sb_addn(sb, "\\", 1);
		sb_addn(sb, p, 1);
	}
	sb_add(sb, "'");
}

/* ------------------------------------------------------------------ */
/* JSON helpers                                                         */

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static char *jdup(const json_t *o, const char *k)
{
	return xstrdup(jstr(o, k));
}

/* An ISO time field: absent/null -> 0 unless required; malformed -> error. */
static int jtime(const json_t *o, const char *k, int required, int64_t *out,
		 const char *what, struct err *e)
{
	const json_t *v = json_object_get(o, k);

	*out = 0;
	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		return err_set(e, ERR_DATA, "PLATFORM_ERROR",
			       "Shopify %s has no %s", what, k);
	}
	if (!json_is_string(v) || iso8601_to_time(json_string_value(v), out) != 0)
		return err_set(e, ERR_DATA, "PLATFORM_ERROR",
			       "Shopify %s: %s is not an ISO 8601 time", what, k);
	return 0;
}

static int jint(const json_t *o, const char *k, int *out)
{
	const json_t *v = json_object_get(o, k);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 1000000000)
		return -1;
	*out = (int)json_integer_value(v);
	return 0;
}

static int jtrue(const json_t *o, const char *k)
{
	return json_is_true(json_object_get(o, k));
}

/* A string member for a request. NULL values are left out; text that is
 * not UTF-8 cannot be sent and fails the request with the field named. */
static int put_str(json_t *o, const char *k, const char *v, struct err *e)
{
	json_t *s;

	if (v == NULL)
		return 0;
	s = json_string(v);
	if (s == NULL)
		return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
			       "%s is not valid UTF-8 text", k);
	json_object_set_new(o, k, s);
	return 0;
}

static json_t *money_bag(money_t amount, int exp, const char *currency)
{
	char buf[32];

	money_format(amount, exp, buf);
	return json_pack("{s:{s:s,s:s}}", "shopMoney", "amount", buf,
			 "currencyCode", currency);
}

/* "updated_at" etc. from ISO: NULL -> nothing */
static int put_time(json_t *o, const char *k, int64_t t, struct err *e)
{
	char iso[32];

	if (t <= 0)
		return 0;
	if (time_to_iso8601(t, iso) != 0)
		return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
			       "%s: time %lld cannot be written", k, (long long)t);
	json_object_set_new(o, k, json_string(iso));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Parsing answers                                                      */

/* Does this connection say there is more? */
static int conn_more(const json_t *conn)
{
	return jtrue(json_object_get(conn, "pageInfo"), "hasNextPage");
}

static int parse_fulfillment(const json_t *j, struct sh_fulfillment *f,
			     const struct sel_sizes *z, int *truncated,
			     struct err *e)
{
	const json_t *arr, *conn, *it;
	size_t i;

	memset(f, 0, sizeof(*f));
	if (jstr(j, "id") == NULL)
		return err_set(e, ERR_DATA, "PLATFORM_ERROR",
			       "Shopify fulfillment without an id");
	f->id = jdup(j, "id");
	f->name = jdup(j, "name");
	f->status = jdup(j, "status");
	f->display_status = jdup(j, "displayStatus");
	if (jtime(j, "createdAt", 0, &f->created_at, "fulfillment", e) != 0 ||
	    jtime(j, "updatedAt", 0, &f->updated_at, "fulfillment", e) != 0 ||
	    jtime(j, "inTransitAt", 0, &f->in_transit_at, "fulfillment", e) != 0 ||
	    jtime(j, "deliveredAt", 0, &f->delivered_at, "fulfillment", e) != 0)
		return -1;
	arr = json_object_get(j, "trackingInfo");
	if (json_is_array(arr) && json_array_size(arr) > 0) {
		f->tracking = xcalloc(json_array_size(arr), sizeof(*f->tracking));
		json_array_foreach(arr, i, it) {
			f->tracking[i].company = jdup(it, "company");
			f->tracking[i].number = jdup(it, "number");
			f->tracking[i].url = jdup(it, "url");
		}
		f->ntracking = json_array_size(arr);
		if (z != NULL && f->ntracking >= (size_t)z->trk)
			*truncated = 1;
	}
	conn = json_object_get(j, "fulfillmentLineItems");
	arr = json_object_get(conn, "nodes");
	if (json_is_array(arr) && json_array_size(arr) > 0) {
		f->lines = xcalloc(json_array_size(arr), sizeof(*f->lines));
		json_array_foreach(arr, i, it) {
			f->lines[i].line_item_id =
				xstrdup(jstr(json_object_get(it, "lineItem"), "id"));
			if (jint(it, "quantity", &f->lines[i].quantity) != 0)
				f->lines[i].quantity = 0;
			f->nlines = i + 1;
			if (f->lines[i].line_item_id == NULL)
				return err_set(e, ERR_DATA, "PLATFORM_ERROR",
					       "Shopify fulfillment %s: a line without its line item",
					       f->id);
		}
	}
	if (conn_more(conn))
		*truncated = 1;
	return 0;
}

/*
 * One Order object -> sh_order. `*truncated` is set when a nested list
 * hit its page size (the order must be read again on its own).
 */
static int parse_order(const json_t *j, struct sh_order *o,
		       const struct sel_sizes *z, int *truncated, struct err *e)
{
	const json_t *arr, *conn, *it, *money, *v;
	const char *amount, *cur;
	size_t i, k;
	int exp;

	memset(o, 0, sizeof(*o));
	*truncated = 0;
	o->partial = z != NULL && z->fo == 0;
	if (jstr(j, "id") == NULL)
		return err_set(e, ERR_DATA, "PLATFORM_ERROR",
			       "Shopify answered an order without an id");
	o->id = jdup(j, "id");
	v = json_object_get(j, "legacyResourceId");
	if (json_is_string(v))
		o->legacy_id = xstrdup(json_string_value(v));
	else if (json_is_integer(v))
		o->legacy_id = xasprintf("%lld", (long long)json_integer_value(v));
	o->name = jdup(j, "name");
	o->source_identifier = jdup(j, "sourceIdentifier");
	o->source_name = jdup(j, "sourceName");
	o->display_fulfillment_status = jdup(j, "displayFulfillmentStatus");
	o->display_financial_status = jdup(j, "displayFinancialStatus");
	if (jtime(j, "createdAt", 0, &o->created_at, o->id, e) != 0 ||
	    jtime(j, "updatedAt", 0, &o->updated_at, o->id, e) != 0 ||
	    jtime(j, "processedAt", 0, &o->processed_at, o->id, e) != 0 ||
	    jtime(j, "cancelledAt", 0, &o->cancelled_at, o->id, e) != 0)
		return -1;

	arr = json_object_get(j, "tags");
	if (json_is_array(arr) && json_array_size(arr) > 0) {
		o->tags = xcalloc(json_array_size(arr), sizeof(*o->tags));
		json_array_foreach(arr, i, it)
			if (json_is_string(it))
				o->tags[o->ntags++] = xstrdup(json_string_value(it));
	}
	arr = json_object_get(j, "customAttributes");
	json_array_foreach(arr, i, it) {
		if (o->tiktok_order_id == NULL &&
		    jstr(it, "key") != NULL && jstr(it, "value") != NULL &&
		    strcmp(jstr(it, "key"), "TikTok Shop Order ID") == 0)
			o->tiktok_order_id = jdup(it, "value");
	}
	if (o->tiktok_order_id == NULL && o->source_identifier != NULL &&
	    o->source_identifier[0] != '\0')
		o->tiktok_order_id = xstrdup(o->source_identifier);

	money = json_object_get(json_object_get(j, "totalPriceSet"), "shopMoney");
	amount = jstr(money, "amount");
	cur = jstr(money, "currencyCode");
	if (amount != NULL && cur != NULL) {
		exp = currency_exponent(cur);
		if (exp < 0 || strlen(cur) >= sizeof(o->currency))
			return err_set(e, ERR_DATA, "PLATFORM_ERROR",
				       "Shopify order %s: unknown currency '%s'", o->id, cur);
		memcpy(o->currency, cur, strlen(cur) + 1);
		if (money_parse(amount, exp, &o->total_price,
				"totalPriceSet.shopMoney.amount", e) != 0)
			return err_prefix(e, "Shopify order %s", o->id);
	}

	conn = json_object_get(j, "lineItems");
	arr = json_object_get(conn, "nodes");
	if (json_is_array(arr) && json_array_size(arr) > 0) {
		o->lines = xcalloc(json_array_size(arr), sizeof(*o->lines));
		json_array_foreach(arr, i, it) {
			struct sh_line_item *l = &o->lines[o->nlines];

			if (jstr(it, "id") == NULL)
				return err_set(e, ERR_DATA, "PLATFORM_ERROR",
					       "Shopify order %s: a line item without an id", o->id);
			l->id = jdup(it, "id");
			l->sku = jdup(it, "sku");
			l->title = jdup(it, "title");
			l->variant_id = xstrdup(jstr(json_object_get(it, "variant"), "id"));
			if (jint(it, "quantity", &l->quantity) != 0)
				l->quantity = 0;
			o->nlines++;
		}
	}
	if (conn_more(conn))
		*truncated = 1;

	arr = json_object_get(j, "fulfillments");
	if (json_is_array(arr) && json_array_size(arr) > 0) {
		o->fulfillments = xcalloc(json_array_size(arr), sizeof(*o->fulfillments));
		json_array_foreach(arr, i, it) {
			if (parse_fulfillment(it, &o->fulfillments[o->nfulfillments],
					      z, truncated, e) != 0) {
				o->nfulfillments++;	/* freed with the order */
				return err_prefix(e, "Shopify order %s", o->id);
			}
			o->nfulfillments++;
		}
		if (z != NULL && o->nfulfillments >= (size_t)z->ful)
			*truncated = 1;
	}

	conn = json_object_get(j, "fulfillmentOrders");
	arr = json_object_get(conn, "nodes");
	if (json_is_array(arr) && json_array_size(arr) > 0) {
		o->fos = xcalloc(json_array_size(arr), sizeof(*o->fos));
		json_array_foreach(arr, i, it) {
			struct sh_fulfillment_order *fo = &o->fos[o->nfos++];
			const json_t *lconn = json_object_get(it, "lineItems");
			const json_t *larr = json_object_get(lconn, "nodes");
			const json_t *lit;

			if (jstr(it, "id") == NULL)
				return err_set(e, ERR_DATA, "PLATFORM_ERROR",
					       "Shopify order %s: a fulfillment order without an id",
					       o->id);
			fo->id = jdup(it, "id");
			fo->status = jdup(it, "status");
			if (json_is_array(larr) && json_array_size(larr) > 0) {
				fo->lines = xcalloc(json_array_size(larr), sizeof(*fo->lines));
				json_array_foreach(larr, k, lit) {
					struct sh_fo_line *fl = &fo->lines[fo->nlines++];

					fl->id = jdup(lit, "id");
					fl->line_item_id = xstrdup(jstr(json_object_get(lit, "lineItem"), "id"));
					if (fl->id == NULL || fl->line_item_id == NULL)
						return err_set(e, ERR_DATA, "PLATFORM_ERROR",
							       "Shopify order %s: fulfillment order %s has a line without ids",
							       o->id, fo->id);
					if (jint(lit, "totalQuantity", &fl->total_quantity) != 0 ||
					    jint(lit, "remainingQuantity", &fl->remaining_quantity) != 0)
						return err_set(e, ERR_DATA, "PLATFORM_ERROR",
							       "Shopify order %s: fulfillment order line %s has no quantities",
							       o->id, fl->id);
				}
			}
			if (conn_more(lconn))
				*truncated = 1;
		}
	}
	if (conn_more(conn))
		*truncated = 1;
	return 0;
}

static int parse_variant(const json_t *j, struct sh_variant *v, struct err *e)
{
	const json_t *p = json_object_get(j, "product");

	memset(v, 0, sizeof(*v));
	if (jstr(j, "id") == NULL)
		return err_set(e, ERR_DATA, "PLATFORM_ERROR",
			       "Shopify answered a variant without an id");
	v->id = jdup(j, "id");
	v->sku = jdup(j, "sku");
	v->title = jdup(j, "title");
	v->product_id = jdup(p, "id");
	v->product_title = jdup(p, "title");
	return 0;
}

/* userErrors / orderCancelUserErrors -> res; 0 when there were none. */
static size_t parse_user_errors(const json_t *arr, struct sh_result *res)
{
	const json_t *it, *f, *seg;
	size_t i, k;

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return 0;
	res->user_errors = xcalloc(json_array_size(arr), sizeof(*res->user_errors));
	json_array_foreach(arr, i, it) {
		struct sh_user_error *u = &res->user_errors[res->nuser_errors++];
		struct strbuf sb = STRBUF_INIT;

		f = json_object_get(it, "field");
		json_array_foreach(f, k, seg) {
			if (!json_is_string(seg))
				continue;
			if (sb.len)
				sb_add(&sb, ".");
			sb_add(&sb, json_string_value(seg));
		}
		u->field = sb.len ? sb_detach(&sb) : NULL;
		sb_free(&sb);
		u->code = jdup(it, "code");
		u->message = xstrdup(jstr(it, "message") ? jstr(it, "message") : "(no message)");
	}
	/* The first one names the failure; the rest stay in user_errors. */
	err_set(&res->err, ERR_PLATFORM, "SHOPIFY_USER_ERROR", "Shopify refused: %s%s%s%s%s",
		res->user_errors[0].message,
		res->user_errors[0].field ? " (field " : "",
		res->user_errors[0].field ? res->user_errors[0].field : "",
		res->user_errors[0].field ? ")" : "",
		res->nuser_errors > 1 ? " and more" : "");
	return res->nuser_errors;
}

/* The first top-level error's code and message, or NULLs. */
static void top_error(const json_t *root, const char **code, const char **msg)
{
	const json_t *first = json_array_get(json_object_get(root, "errors"), 0);

	*code = jstr(json_object_get(first, "extensions"), "code");
	*msg = jstr(first, "message");
}

/* ------------------------------------------------------------------ */
/* Requests                                                             */

enum call_kind {
	CALL_SHOP,
	CALL_ORDERS,		/* orders connection or nodes list, part of a job */
	CALL_ORDER_DETAIL,	/* order(id:), part of a job */
	CALL_ORDER_CREATE,	/* part of a job */
	CALL_VARIANTS,
	CALL_VARIANT,
	CALL_FULFILLMENT,
	CALL_EVENT,
	CALL_CANCEL,
};

/* Several requests that answer one orders callback: paged lookups,
 * chunked nodes(ids:), and the single-order re-reads of orders whose
 * children did not fit a page. */
struct sh_job {
	struct shopify *s;
	sh_orders_cb cb;
	void *arg;
	struct sh_order_list acc;
	int pending;
	struct sh_result res;	/* first failure, else OK */
	int failed;
	int follow_pages;	/* lookups: read every page */
	int keep_page;		/* window scan: report has_next / end_cursor */
	int created;		/* orderCreate succeeded: later failures are "unknown" */
	char *created_id;
};

struct sh_call {
	struct shopify *s;
	enum sh_doc_id doc;
	enum call_kind kind;
	int write;
	double cost;
	json_t *vars;		/* kept for the next page of a lookup */
	struct sh_job *job;
	union {
		sh_variants_cb variants;
		sh_fulfillment_cb fulfillment;
		sh_simple_cb simple;
		void (*shop)(void *arg, struct sh_result *res, const char *name,
			     const char *currency);
	} cb;
	void *arg;
	char *sku;		/* find_variants_by_sku: the exact SKU to keep */
};

static void call_free(struct sh_call *c)
{
	if (c == NULL)
		return;
	json_decref(c->vars);
	free(c->sku);
	free(c);
}

/* Feed the bucket from extensions.cost.throttleStatus. */
static void observe_throttle(struct shopify *s, const json_t *root)
{
	const json_t *ts = json_object_get(json_object_get(json_object_get(root,
		"extensions"), "cost"), "throttleStatus");
	const json_t *avail = json_object_get(ts, "currentlyAvailable");
	const json_t *max = json_object_get(ts, "maximumAvailable");
	const json_t *rate = json_object_get(ts, "restoreRate");

	if (json_is_number(avail) && json_is_number(max) && json_is_number(rate) &&
	    json_number_value(max) > 0 && json_number_value(rate) > 0)
		http_limiter_observe(s->lim, json_number_value(avail),
				     json_number_value(max), json_number_value(rate));
}

/* Wait after THROTTLED: (cost - currentlyAvailable) / restoreRate s, >= 1 s. */
static int64_t throttle_wait_ms(const json_t *root, double cost)
{
	const json_t *c = json_object_get(json_object_get(root, "extensions"), "cost");
	const json_t *ts = json_object_get(c, "throttleStatus");
	const json_t *req = json_object_get(c, "requestedQueryCost");
	double avail, rate, need;
	int64_t ms;

	if (json_is_number(req) && json_number_value(req) > 0)
		cost = json_number_value(req);
	if (!json_is_number(json_object_get(ts, "currentlyAvailable")) ||
	    !json_is_number(json_object_get(ts, "restoreRate")))
		return SH_MIN_THROTTLE_WAIT_MS;
	avail = json_number_value(json_object_get(ts, "currentlyAvailable"));
	rate = json_number_value(json_object_get(ts, "restoreRate"));
	if (rate <= 0)
		return SH_MIN_THROTTLE_WAIT_MS;
	need = cost - avail;
	ms = 0;
	if (need > 0) {
		double exact = need * 1000.0 / rate;

		ms = (int64_t)exact;
		if ((double)ms < exact)
			ms++;	/* round up: never wake before the points are there */
	}
	return ms < SH_MIN_THROTTLE_WAIT_MS ? SH_MIN_THROTTLE_WAIT_MS : ms;
}

static int is_auth_code(const char *code)
{
	return code != NULL && strcmp(code, "ACCESS_DENIED") == 0;
}

/*
 * What to make of one answer (http.c calls this for every attempt that got
 * an HTTP answer; an attempt without one is resent by http.c when nothing
 * was sent, or when the request is a read, and is otherwise UNKNOWN).
 *   THROTTLED (any status)  REFUSED: never executed; resent, reads and
 *                           writes alike, after the bucket refills
 *   429                     REFUSED after Retry-After (else 1 s)
 *   401 / 403 / ACCESS_DENIED   FAIL (auth; the run aborts)
 *   MAX_COST_EXCEEDED       FAIL (our estimate is wrong: a bug)
 *   5xx; a 2xx with INTERNAL_SERVER_ERROR or a body that is not JSON
 *   (truncated)             RETRY: a read is resent with backoff; a write
 *                           completes UNKNOWN in http.c (may have been
 *                           applied; the caller looks it up)
 *   other statuses, other top-level errors (validation)   FAIL
 */
static enum http_verdict sh_classify(const struct http_resp *r, void *ctx,
				     int64_t *retry_ms)
{
	struct sh_call *c = ctx;
	json_t *root = NULL;
	const char *code = NULL, *msg = NULL;
	enum http_verdict v = HTTP_VERDICT_OK;

	*retry_ms = -1;		/* no hint: http.c's backoff */
	if (r->body != NULL && r->len > 0)
		root = json_loadb(r->body, r->len, 0, NULL);
	if (root != NULL) {
		observe_throttle(c->s, root);
		top_error(root, &code, &msg);
	}
	if (code != NULL && strcmp(code, "THROTTLED") == 0) {
		*retry_ms = throttle_wait_ms(root, c->cost);
		v = HTTP_VERDICT_REFUSED;
	} else if (r->status == 429) {
		*retry_ms = r->retry_after_ms >= 0 ? r->retry_after_ms : SH_DEFAULT_429_WAIT_MS;
		v = HTTP_VERDICT_REFUSED;
	} else if (r->status == 401 || r->status == 403 || is_auth_code(code)) {
		v = HTTP_VERDICT_FAIL;
	} else if (code != NULL && strcmp(code, "MAX_COST_EXCEEDED") == 0) {
		v = HTTP_VERDICT_FAIL;
	} else if (r->status >= 500) {
		v = HTTP_VERDICT_RETRY;
	} else if (r->status < 200 || r->status > 299) {
		v = HTTP_VERDICT_FAIL;	/* 402 frozen, 404, 423 locked ... */
	} else if (root == NULL ||
		   (code != NULL && strcmp(code, "INTERNAL_SERVER_ERROR") == 0)) {
		v = HTTP_VERDICT_RETRY;
	} else if (code != NULL) {
		v = HTTP_VERDICT_FAIL;
	}
	if (v != HTTP_VERDICT_OK)
		logmsg(LOG_INFO, "shopify %s: HTTP %ld%s%s", documents[c->doc].name,
		       r->status, code ? ", " : "", code ? code : "");
	json_decref(root);
	return v;
}

/* Fill res (oc, status, err, error_code) for an answer that is not a
 * usable 200; returns the parsed root for a usable one (caller decrefs). */
static json_t *result_of(struct sh_call *c, enum http_outcome oc,
			 const struct http_resp *r, struct sh_result *res)
{
	const char *opname = documents[c->doc].name;
	const char *code = NULL, *msg = NULL;
	json_t *root = NULL;

	memset(res, 0, sizeof(*res));
	res->oc = oc;
	res->http_status = r ? r->status : 0;
	if (r != NULL && r->body != NULL && r->len > 0)
		root = json_loadb(r->body, r->len, 0, NULL);
	if (root != NULL) {
		top_error(root, &code, &msg);
		res->error_code = xstrdup(code);
	}
	switch (oc) {
	case HTTP_OUTCOME_OK:
		if (root == NULL) {
			err_set(&res->err, ERR_DATA, "PLATFORM_ERROR",
				"Shopify %s: the answer is not JSON", opname);
			res->oc = HTTP_OUTCOME_FAILED;
			return NULL;
		}
		return root;
	case HTTP_OUTCOME_UNKNOWN:
		err_set(&res->err, ERR_UNKNOWN_OUTCOME, "OUTCOME_UNKNOWN",
			"Shopify %s: sent, but the answer was lost (HTTP %ld%s%s); "
			"it may have been applied", opname, res->http_status,
			r && r->curl_error[0] ? ", " : "", r ? r->curl_error : "");
		break;
	case HTTP_OUTCOME_GAVE_UP:
		err_set(&res->err, ERR_NETWORK, "NETWORK_ERROR",
			"Shopify %s: no usable answer after %d attempts (HTTP %ld%s%s)",
			opname, r ? r->attempts : 0, res->http_status,
			r && r->curl_error[0] ? ", " : "", r ? r->curl_error : "");
		break;
	case HTTP_OUTCOME_DEADLINE:
		err_set(&res->err, ERR_NETWORK, "RUN_DEADLINE",
			"Shopify %s: not sent, the run deadline passed", opname);
		break;
	case HTTP_OUTCOME_FAILED:
		if (res->http_status == 401 || res->http_status == 403 || is_auth_code(code))
			err_set(&res->err, ERR_AUTH, "SHOPIFY_AUTH",
				"Shopify refused the access token (HTTP %ld%s%s): check the "
				"token and the app's scopes", res->http_status,
				msg ? ": " : "", msg ? msg : "");
		else if (code != NULL && strcmp(code, "MAX_COST_EXCEEDED") == 0)
			err_set(&res->err, ERR_PLATFORM, "PLATFORM_ERROR",
				"Shopify %s: query cost above the limit (a ttsync bug): %s",
				opname, msg ? msg : "");
		else if (r != NULL && r->status == 0)
			err_set(&res->err, ERR_NETWORK, "NETWORK_ERROR",
				"Shopify %s: %s", opname,
				r->curl_error[0] ? r->curl_error : "no answer");
		else
			err_set(&res->err, ERR_PLATFORM, "PLATFORM_ERROR",
				"Shopify %s failed (HTTP %ld%s%s%s%s)", opname,
				res->http_status, code ? ", " : "", code ? code : "",
				msg ? ": " : "", msg ? msg : "");
		break;
	}
	json_decref(root);
	return NULL;
}

static void sh_done(struct http_req *req, enum http_outcome oc,
		    const struct http_resp *r, void *arg);

/* Build and queue one request; takes `vars` and, on failure, frees c. */
static int submit(struct sh_call *c, json_t *vars, struct err *e)
{
	const struct sh_document *d = &documents[c->doc];
	struct http_req *req;
	json_t *body;
	char *text;

	if (c->cost > SH_MAX_QUERY_COST) {
		json_decref(vars);
		call_free(c);
		return err_set(e, ERR_PLATFORM, "PLATFORM_ERROR",
			       "Shopify %s: estimated cost %.0f is above %d (a ttsync bug)",
			       d->name, c->cost, SH_MAX_QUERY_COST);
	}
	body = json_pack("{s:s,s:s,s:O}", "query", d->text, "operationName",
			 d->name, "variables", vars);
	if (c->vars != vars) {
		json_decref(c->vars);
		c->vars = vars;		/* kept for paging; freed with c */
	}
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (text == NULL) {
		call_free(c);
		return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
			       "Shopify %s: the request could not be encoded", d->name);
	}
	req = http_req_new("POST", c->s->endpoint);
	http_req_add_header(req, "Content-Type: application/json");
	http_req_add_header(req, "Accept: application/json");
	http_req_add_header(req, "X-Shopify-Access-Token: %s", c->s->token);
	http_req_set_body(req, text, strlen(text));
	free(text);
	req->retry_safe = !c->write;
	/* The window's pages are read one after another and feed the
	 * pushes and pulls queued behind: they go first. */
	req->urgent = c->doc == DOC_ORDERS_UPDATED;
	req->cost = c->cost;
	req->limiter = c->s->lim;
	req->classify = sh_classify;
	req->classify_ctx = c;
	req->done = sh_done;
	req->done_arg = c;
	req->log_label = d->name;
	if (http_submit(c->s->h, req, e) != 0) {
		call_free(c);
		return -1;
	}
	return 0;
}

static struct sh_call *call_new(struct shopify *s, enum sh_doc_id doc,
				enum call_kind kind, int write, double cost)
{
	struct sh_call *c = xcalloc(1, sizeof(*c));

	c->s = s;
	c->doc = doc;
	c->kind = kind;
	c->write = write;
	c->cost = cost;
	return c;
}

/* ---- order jobs -------------------------------------------------------- */

static struct sh_job *job_new(struct shopify *s, sh_orders_cb cb, void *arg)
{
	struct sh_job *j = xcalloc(1, sizeof(*j));

	j->s = s;
	j->cb = cb;
	j->arg = arg;
	return j;
}

static void job_fail(struct sh_job *j, struct sh_result *res)
{
	if (j->failed) {
		sh_result_free(res);
		return;
	}
	j->failed = 1;
	sh_result_free(&j->res);
	j->res = *res;
	memset(res, 0, sizeof(*res));
	/* A created order whose read-back failed: the caller must look it up. */
	if (j->created && j->res.oc != HTTP_OUTCOME_UNKNOWN) {
		char msg[ERR_MSG_MAX];

		(void)xsnprintf(msg, sizeof(msg), "%s", j->res.err.msg); /* same size: fits */
		j->res.oc = HTTP_OUTCOME_UNKNOWN;
		err_set(&j->res.err, ERR_UNKNOWN_OUTCOME, "OUTCOME_UNKNOWN",
			"Shopify created order %s but reading it back failed: %s",
			j->created_id ? j->created_id : "(no id)", msg);
	}
}

/* One request of the job is over: when it was the last, answer. */
static void job_settle(struct sh_job *j)
{
	if (--j->pending > 0)
		return;
	if (j->failed) {
		sh_order_list_free(&j->acc);	/* never hand out half a picture */
	} else if (j->res.nuser_errors == 0) {
		j->res.oc = HTTP_OUTCOME_OK;
		err_clear(&j->res.err);
	}
	j->cb(j->arg, &j->res, &j->acc);
	sh_order_list_free(&j->acc);
	sh_result_free(&j->res);
	free(j->created_id);
	free(j);
}

static int job_submit_detail(struct sh_job *j, const char *gid, struct err *e)
{
	struct sh_call *c = call_new(j->s, DOC_ORDER_DETAIL, CALL_ORDER_DETAIL, 0,
				     doc_cost(DOC_ORDER_DETAIL, 1));

	c->job = j;
	j->pending++;
	if (submit(c, json_pack("{s:s}", "id", gid), e) != 0) {
		j->pending--;
		return -1;
	}
	return 0;
}

/* Parse order objects of one answer into the job; orders whose children
 * did not fit are read again with DOC_ORDER_DETAIL (allow_detail), or, when
 * that was the re-read, kept as they are with a warning. */
static int job_take_orders(struct sh_job *j, const json_t *arr,
			   const struct sel_sizes *z, int allow_detail,
			   struct err *e)
{
	const json_t *it;
	size_t i;

	json_array_foreach(arr, i, it) {
		struct sh_order o;
		int truncated = 0;

		if (json_is_null(it))
			continue;	/* nodes(ids:) for an id that is gone */
		if (jstr(it, "id") == NULL) {
			logmsg(LOG_WARN, "Shopify: nodes(ids:) answered an object that is not an order; ignored");
			continue;
		}
		if (parse_order(it, &o, z, &truncated, e) != 0) {
			sh_order_free(&o);
			return -1;
		}
		if (truncated && !allow_detail) {
			/* Read alone with the biggest sizes and still cut: keep
			 * what we have rather than stall the whole run on it. */
			logmsg(LOG_WARN, "Shopify order %s (%s) has more line items, "
			       "fulfillments or fulfillment orders than ttsync reads "
			       "(%d / %d / %d); the rest is not seen",
			       o.id, o.name ? o.name : "?", z->li, z->ful, z->fo);
			truncated = 0;
		}
		if (truncated) {
			int rc = job_submit_detail(j, o.id, e);

			sh_order_free(&o);
			if (rc != 0)
				return -1;
			continue;
		}
		order_list_push(&j->acc, &o);
	}
	return 0;
}

static void done_orders(struct sh_call *c, json_t *root, struct sh_result *res)
{
	struct sh_job *j = c->job;
	const json_t *data = json_object_get(root, "data");
	const json_t *conn, *arr, *pi;
	struct err e;

	memset(&e, 0, sizeof(e));
	if (c->doc == DOC_ORDERS_BY_IDS) {
		conn = NULL;
		arr = json_object_get(data, "nodes");
	} else {
		conn = json_object_get(data, "orders");
		arr = json_object_get(conn, "nodes");
	}
	if (!json_is_array(arr)) {
		err_set(&res->err, ERR_DATA, "PLATFORM_ERROR",
			"Shopify %s: the answer has no order list", documents[c->doc].name);
		res->oc = HTTP_OUTCOME_FAILED;
		job_fail(j, res);
		return;
	}
	if (job_take_orders(j, arr, c->doc == DOC_ORDERS_UPDATED ? &SZ_LIGHT
				  : c->doc == DOC_ORDERS_BY_SOURCE ? &SZ_LOOKUP : &SZ_SCAN,
			    1, &e) != 0) {
		res->err = e;
		res->oc = HTTP_OUTCOME_FAILED;
		job_fail(j, res);
		return;
	}
	pi = json_object_get(conn, "pageInfo");
	if (j->keep_page) {
		free(j->acc.end_cursor);
		j->acc.end_cursor = jdup(pi, "endCursor");
		j->acc.has_next = jtrue(pi, "hasNextPage");
	} else if (j->follow_pages && jtrue(pi, "hasNextPage") &&
		   jstr(pi, "endCursor") != NULL) {
		struct sh_call *next = call_new(c->s, c->doc, CALL_ORDERS, 0, c->cost);
		json_t *vars = json_deep_copy(c->vars);

		next->job = j;
		json_object_set_new(vars, "after", json_string(jstr(pi, "endCursor")));
		j->pending++;
		if (submit(next, vars, &e) != 0) {
			j->pending--;
			res->err = e;
			res->oc = HTTP_OUTCOME_FAILED;
			job_fail(j, res);
		}
	}
}

static void done_detail(struct sh_call *c, json_t *root, struct sh_result *res)
{
	struct sh_job *j = c->job;
	const json_t *o = json_object_get(json_object_get(root, "data"), "order");
	json_t *one;
	struct err e;

	memset(&e, 0, sizeof(e));
	if (json_is_null(o) || o == NULL)
		return;		/* gone since the page was read: nothing to report */
	one = json_pack("[O]", o);
	if (job_take_orders(j, one, &SZ_DETAIL, 0, &e) != 0) {
		res->err = e;
		res->oc = HTTP_OUTCOME_FAILED;
		job_fail(j, res);
	}
	json_decref(one);
}

static void done_create(struct sh_call *c, json_t *root, struct sh_result *res)
{
	struct sh_job *j = c->job;
	const json_t *p = json_object_get(json_object_get(root, "data"), "orderCreate");
	const json_t *o = json_object_get(p, "order");
	json_t *one;
	struct err e;

	memset(&e, 0, sizeof(e));
	if (parse_user_errors(json_object_get(p, "userErrors"), res) > 0) {
		/* Refused before anything was created: the caller reads the errors. */
		sh_result_free(&j->res);
		j->res = *res;
		j->res.oc = HTTP_OUTCOME_OK;
		memset(res, 0, sizeof(*res));
		return;
	}
	if (!json_is_object(o) || jstr(o, "id") == NULL) {
		/* 200, no order, no userErrors: we cannot tell whether it exists. */
		err_set(&res->err, ERR_UNKNOWN_OUTCOME, "OUTCOME_UNKNOWN",
			"Shopify OrderCreate answered neither an order nor an error");
		res->oc = HTTP_OUTCOME_UNKNOWN;
		job_fail(j, res);
		return;
	}
	j->created = 1;
	j->created_id = jdup(o, "id");
	one = json_pack("[O]", o);
	if (job_take_orders(j, one, &SZ_CREATE, 1, &e) != 0) {
		res->err = e;
		res->oc = HTTP_OUTCOME_FAILED;
		job_fail(j, res);
	}
	json_decref(one);
}

/* ---- other answers -------------------------------------------------- */

static void done_variants(struct sh_call *c, json_t *root, struct sh_result *res)
{
	const json_t *data = json_object_get(root, "data");
	const json_t *arr, *it;
	struct sh_variant_list l;
	size_t i;

	memset(&l, 0, sizeof(l));
	if (c->kind == CALL_VARIANT) {
		it = json_object_get(data, "productVariant");
		if (json_is_object(it)) {
			l.v = xcalloc(1, sizeof(*l.v));
			if (parse_variant(it, &l.v[0], &res->err) != 0)
				goto bad;
			l.n = 1;
		}
	} else {
		arr = json_object_get(json_object_get(data, "productVariants"), "nodes");
		if (!json_is_array(arr)) {
			err_set(&res->err, ERR_DATA, "PLATFORM_ERROR",
				"Shopify VariantsBySku: the answer has no variant list");
			goto bad;
		}
		if (json_array_size(arr) > 0)
			l.v = xcalloc(json_array_size(arr), sizeof(*l.v));
		json_array_foreach(arr, i, it) {
			struct sh_variant v;

			if (parse_variant(it, &v, &res->err) != 0) {
				sh_variant_free(&v);
				goto bad;
			}
			/* Shopify's sku: filter is a search, not equality. */
			if (v.sku == NULL || strcmp(v.sku, c->sku) != 0) {
				sh_variant_free(&v);
				continue;
			}
			l.v[l.n++] = v;
		}
	}
	c->cb.variants(c->arg, res, &l);
	sh_variant_list_free(&l);
	return;
bad:
	sh_variant_list_free(&l);
	res->oc = HTTP_OUTCOME_FAILED;
	c->cb.variants(c->arg, res, NULL);
}

static void done_fulfillment(struct sh_call *c, json_t *root, struct sh_result *res)
{
	const json_t *p = json_object_get(json_object_get(root, "data"), "fulfillmentCreate");
	const json_t *f = json_object_get(p, "fulfillment");
	struct sh_fulfillment ful;
	int truncated = 0;

	memset(&ful, 0, sizeof(ful));
	if (parse_user_errors(json_object_get(p, "userErrors"), res) > 0) {
		c->cb.fulfillment(c->arg, res, NULL);
		return;
	}
	if (!json_is_object(f)) {
		err_set(&res->err, ERR_UNKNOWN_OUTCOME, "OUTCOME_UNKNOWN",
			"Shopify FulfillmentCreate answered neither a fulfillment nor an error");
		res->oc = HTTP_OUTCOME_UNKNOWN;
		c->cb.fulfillment(c->arg, res, NULL);
		return;
	}
	if (parse_fulfillment(f, &ful, NULL, &truncated, &res->err) != 0) {
		/* It exists (we got an object) but we cannot read it: look it up. */
		res->oc = HTTP_OUTCOME_UNKNOWN;
		res->err.cls = ERR_UNKNOWN_OUTCOME;
		c->cb.fulfillment(c->arg, res, NULL);
	} else {
		c->cb.fulfillment(c->arg, res, &ful);
	}
	sh_fulfillment_free(&ful);
}

static void done_simple(struct sh_call *c, json_t *root, struct sh_result *res)
{
	const json_t *data = json_object_get(root, "data");
	const json_t *p;

	if (c->kind == CALL_EVENT) {
		p = json_object_get(data, "fulfillmentEventCreate");
		if (parse_user_errors(json_object_get(p, "userErrors"), res) == 0 &&
		    !json_is_object(json_object_get(p, "fulfillmentEvent"))) {
			err_set(&res->err, ERR_UNKNOWN_OUTCOME, "OUTCOME_UNKNOWN",
				"Shopify FulfillmentEventCreate answered neither an event nor an error");
			res->oc = HTTP_OUTCOME_UNKNOWN;
		}
	} else {
		p = json_object_get(data, "orderCancel");
		if (parse_user_errors(json_object_get(p, "orderCancelUserErrors"), res) == 0 &&
		    !json_is_object(json_object_get(p, "job"))) {
			err_set(&res->err, ERR_UNKNOWN_OUTCOME, "OUTCOME_UNKNOWN",
				"Shopify OrderCancel answered neither a job nor an error");
			res->oc = HTTP_OUTCOME_UNKNOWN;
		}
	}
	c->cb.simple(c->arg, res);
}

static void done_shop(struct sh_call *c, json_t *root, struct sh_result *res)
{
	const json_t *shop = json_object_get(json_object_get(root, "data"), "shop");

	if (jstr(shop, "name") == NULL || jstr(shop, "currencyCode") == NULL) {
		err_set(&res->err, ERR_DATA, "PLATFORM_ERROR",
			"Shopify Shop: the answer has no shop name or currency");
		res->oc = HTTP_OUTCOME_FAILED;
		c->cb.shop(c->arg, res, NULL, NULL);
		return;
	}
	c->cb.shop(c->arg, res, jstr(shop, "name"), jstr(shop, "currencyCode"));
}

/* Hand a failure to whoever waits for this call. */
static void deliver_failure(struct sh_call *c, struct sh_result *res)
{
	switch (c->kind) {
	case CALL_ORDERS:
	case CALL_ORDER_DETAIL:
	case CALL_ORDER_CREATE:
		job_fail(c->job, res);
		break;
	case CALL_VARIANTS:
	case CALL_VARIANT:
		c->cb.variants(c->arg, res, NULL);
		break;
	case CALL_FULFILLMENT:
		c->cb.fulfillment(c->arg, res, NULL);
		break;
	case CALL_EVENT:
	case CALL_CANCEL:
		c->cb.simple(c->arg, res);
		break;
	case CALL_SHOP:
		c->cb.shop(c->arg, res, NULL, NULL);
		break;
	}
}

static void sh_done(struct http_req *req, enum http_outcome oc,
		    const struct http_resp *r, void *arg)
{
	struct sh_call *c = arg;
	struct sh_result res;
	json_t *root;

	(void)req;
	root = result_of(c, oc, r, &res);
	if (root == NULL) {
		logmsg(LOG_INFO, "shopify %s: %s", documents[c->doc].name, res.err.msg);
		deliver_failure(c, &res);
	} else {
		switch (c->kind) {
		case CALL_ORDERS:
			done_orders(c, root, &res);
			break;
		case CALL_ORDER_DETAIL:
			done_detail(c, root, &res);
			break;
		case CALL_ORDER_CREATE:
			done_create(c, root, &res);
			break;
		case CALL_VARIANTS:
		case CALL_VARIANT:
			done_variants(c, root, &res);
			break;
		case CALL_FULFILLMENT:
			done_fulfillment(c, root, &res);
			break;
		case CALL_EVENT:
		case CALL_CANCEL:
			done_simple(c, root, &res);
			break;
		case CALL_SHOP:
			done_shop(c, root, &res);
			break;
		}
		json_decref(root);
	}
	sh_result_free(&res);
	if (c->job != NULL)
		job_settle(c->job);
	call_free(c);
}

/* ------------------------------------------------------------------ */
/* Synchronous operations                                               */

struct sync_shop {
	int done;
	struct sh_result res;
	char *name, *currency;
};

static void on_sync_shop(void *arg, struct sh_result *res, const char *name,
			 const char *currency)
{
	struct sync_shop *ss = arg;

	ss->done = 1;
	ss->res = *res;
	memset(res, 0, sizeof(*res));
	ss->name = xstrdup(name);
	ss->currency = xstrdup(currency);
}

static int sh_get_shop(struct shopify *s, char **name, char **currency,
		       struct err *e)
{
	struct sync_shop ss;
	struct sh_call *c;
	int ret = -1;

	memset(&ss, 0, sizeof(ss));
	*name = *currency = NULL;
	c = call_new(s, DOC_SHOP, CALL_SHOP, 0, doc_cost(DOC_SHOP, 0));
	c->cb.shop = on_sync_shop;
	c->arg = &ss;
	if (submit(c, json_object(), e) != 0)
		return -1;
	if (http_run_until(s->h, &ss.done, e) != 0)
		goto cleanup;
	if (!ss.done) {
		err_set(e, ERR_NETWORK, "NETWORK_ERROR", "Shopify Shop: no answer");
		goto cleanup;
	}
	if (ss.res.oc != HTTP_OUTCOME_OK || ss.res.err.cls != ERR_NONE) {
		*e = ss.res.err;
		goto cleanup;
	}
	*name = ss.name;
	*currency = ss.currency;
	ss.name = ss.currency = NULL;
	ret = 0;
cleanup:
	free(ss.name);
	free(ss.currency);
	sh_result_free(&ss.res);
	return ret;
}

struct sync_orders {
	int done;
	struct sh_result res;
	struct sh_order_list list;
};

static void on_sync_orders(void *arg, struct sh_result *res,
			   struct sh_order_list *l)
{
	struct sync_orders *so = arg;

	so->done = 1;
	so->res = *res;
	memset(res, 0, sizeof(*res));
	so->list = *l;
	memset(l, 0, sizeof(*l));
}

static int sh_orders_updated_since(struct shopify *s, int64_t since,
				   int64_t until, const char *after, int first,
				   struct sh_order_list *out, struct err *e)
{
	char until_iso[32];

	struct sync_orders so;
	struct strbuf q = STRBUF_INIT;
	struct sh_job *j;
	struct sh_call *c;
	char iso[32];
	json_t *vars;
	int ret = -1;

	memset(&so, 0, sizeof(so));
	memset(out, 0, sizeof(*out));
	if (time_to_iso8601(since < 0 ? 0 : since, iso) != 0)
		return err_set(e, ERR_DATA, "PLATFORM_ERROR",
			       "window start %lld is not a time", (long long)since);
	/* Keep one page under the single-query cap (see doc_cost). */
	if (first < 1)
		first = 1;
	if (first > scan_max_first())
		first = scan_max_first();
	sb_add_term(&q, "updated_at", ":>=", iso);
	sb_add(&q, " ");
	if (until > 0 && time_to_iso8601(until, until_iso) == 0) {
		sb_add_term(&q, "updated_at", ":<", until_iso);
		sb_add(&q, " ");
	}
	sb_add_term(&q, "tag", ":", "TikTok Shop");
	vars = json_pack("{s:i,s:s}", "first", first, "query", q.buf);
	sb_free(&q);
	json_object_set_new(vars, "after", after ? json_string(after) : json_null());

	j = job_new(s, on_sync_orders, &so);
	j->keep_page = 1;
	c = call_new(s, DOC_ORDERS_UPDATED, CALL_ORDERS, 0,
		     doc_cost(DOC_ORDERS_UPDATED, first));
	c->job = j;
	j->pending = 1;
	if (submit(c, vars, e) != 0) {
		free(j);
		return -1;
	}
	if (http_run_until(s->h, &so.done, e) != 0)
		goto cleanup;
	if (!so.done) {
		err_set(e, ERR_NETWORK, "NETWORK_ERROR", "Shopify OrdersUpdatedSince: no answer");
		goto cleanup;
	}
	if (so.res.oc != HTTP_OUTCOME_OK || so.res.err.cls != ERR_NONE) {
		*e = so.res.err;
		goto cleanup;
	}
	*out = so.list;
	memset(&so.list, 0, sizeof(so.list));
	ret = 0;
cleanup:
	sh_order_list_free(&so.list);
	sh_result_free(&so.res);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Asynchronous reads                                                   */

static int sh_find_orders_by_tiktok_id(struct shopify *s, char *const *tt_ids,
				       size_t n, sh_orders_cb cb, void *arg,
				       struct err *e)
{
	struct strbuf q = STRBUF_INIT;
	struct sh_job *j;
	struct sh_call *c;
	json_t *vars;
	size_t i;
	int first;

	if (n == 0 || n > SH_FIND_MAX_IDS)
		return err_set(e, ERR_PLATFORM, "PLATFORM_ERROR",
			       "find_orders_by_tiktok_id: %zu ids (1..%d allowed)",
			       n, SH_FIND_MAX_IDS);
	for (i = 0; i < n; i++) {
		if (tt_ids[i] == NULL || tt_ids[i][0] == '\0') {
			sb_free(&q);
			return err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
				       "find_orders_by_tiktok_id: empty TikTok order id");
		}
		if (i > 0)
			sb_add(&q, " OR ");
		sb_add_term(&q, "source_identifier", ":", tt_ids[i]);
	}
	/* One more than the ids: usually one page; duplicates (another
	 * connector's import) spill onto the next page, which is read too. */
	first = (int)n + 1;	/* 11 * 70 + 2 = 772 at most */
	vars = json_pack("{s:i,s:n,s:s}", "first", first, "after",
			 "query", q.buf);
	sb_free(&q);
	j = job_new(s, cb, arg);
	j->follow_pages = 1;
	c = call_new(s, DOC_ORDERS_BY_SOURCE, CALL_ORDERS, 0,
		     doc_cost(DOC_ORDERS_BY_SOURCE, first));
	c->job = j;
	j->pending = 1;
	if (submit(c, vars, e) != 0) {
		free(j);
		return -1;
	}
	return 0;
}

static int sh_get_orders(struct shopify *s, char *const *gids, size_t n,
			 sh_orders_cb cb, void *arg, struct err *e)
{
	struct sh_job *j;
	size_t i, k, m;
	size_t chunk = (size_t)nodes_max_ids();

	if (n == 0)
		return err_set(e, ERR_PLATFORM, "PLATFORM_ERROR", "get_orders: no ids");
	for (i = 0; i < n; i++)
		if (gids[i] == NULL || gids[i][0] == '\0')
			return err_set(e, ERR_DATA, "PLATFORM_ERROR",
				       "get_orders: empty order id");
	j = job_new(s, cb, arg);
	/* One extra hold so that the job cannot settle while chunks are
	 * still being queued. */
	j->pending = 1;
	for (i = 0; i < n; i += chunk) {
		struct sh_call *c;
		json_t *ids = json_array();

		k = n - i < chunk ? n - i : chunk;
		for (m = 0; m < k; m++)
			json_array_append_new(ids, json_string(gids[i + m]));
		c = call_new(s, DOC_ORDERS_BY_IDS, CALL_ORDERS, 0,
			     doc_cost(DOC_ORDERS_BY_IDS, (int)k));
		c->job = j;
		j->pending++;
		if (submit(c, json_pack("{s:o}", "ids", ids), e) != 0) {
			struct sh_result res;

			j->pending--;
			if (i == 0) {	/* nothing queued: fail the call itself */
				free(j);
				return -1;
			}
			/* Later chunks: the callback reports the failure. */
			memset(&res, 0, sizeof(res));
			res.oc = HTTP_OUTCOME_FAILED;
			res.err = *e;
			job_fail(j, &res);
			break;
		}
	}
	job_settle(j);	/* drop the hold */
	return 0;
}

static int sh_find_variants_by_sku(struct shopify *s, const char *sku,
				   sh_variants_cb cb, void *arg, struct err *e)
{
	struct strbuf q = STRBUF_INIT;
	struct sh_call *c;
	json_t *vars;

	if (sku == NULL || sku[0] == '\0')
		return err_set(e, ERR_DATA, "SKU_MISSING", "find_variants_by_sku: empty SKU");
	sb_add_term(&q, "sku", ":", sku);
	vars = json_pack("{s:s}", "query", q.buf);
	sb_free(&q);
	if (vars == NULL)
		return err_set(e, ERR_DATA, "SKU_MISSING", "SKU is not valid UTF-8 text");
	c = call_new(s, DOC_VARIANTS_BY_SKU, CALL_VARIANTS, 0,
		     doc_cost(DOC_VARIANTS_BY_SKU, 0));
	c->cb.variants = cb;
	c->arg = arg;
	c->sku = xstrdup(sku);
	return submit(c, vars, e);
}

static int sh_get_variant(struct shopify *s, const char *gid, sh_variants_cb cb,
			  void *arg, struct err *e)
{
	struct sh_call *c;

	if (gid == NULL || gid[0] == '\0')
		return err_set(e, ERR_DATA, "VARIANT_GONE", "get_variant: empty id");
	c = call_new(s, DOC_VARIANT, CALL_VARIANT, 0, doc_cost(DOC_VARIANT, 0));
	c->cb.variants = cb;
	c->arg = arg;
	return submit(c, json_pack("{s:s}", "id", gid), e);
}

/* ------------------------------------------------------------------ */
/* Writes                                                               */

static json_t *tax_lines_json(const struct sh_tax_line *t, size_t n, int exp,
			      const char *cur, const char *where, struct err *e)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *o;

		if (t[i].rate == NULL || t[i].rate[0] == '\0' || t[i].title == NULL) {
			json_decref(arr);
			err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
				"%s: tax line %zu has no %s", where, i + 1,
				t[i].title == NULL ? "title" : "rate");
			return NULL;
		}
		o = json_pack("{s:o,s:b}", "priceSet", money_bag(t[i].amount, exp, cur),
			      "channelLiable", 1);
		if (put_str(o, "title", t[i].title, e) != 0 ||
		    put_str(o, "rate", t[i].rate, e) != 0) {
			json_decref(o);
			json_decref(arr);
			return NULL;
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *order_input_json(const struct sh_order_input *in, struct err *e)
{
	json_t *order = NULL, *vars = NULL, *arr, *o, *opts;
	const char *cur = in->currency;
	int exp = in->exp;
	int lines_taxed = 0;
	size_t i;

	if (currency_exponent(cur) < 0) {
		err_set(e, ERR_DATA, "ORDER_DATA_INVALID", "unknown currency '%s'", cur);
		return NULL;
	}
	if (in->nlines == 0) {
		err_set(e, ERR_DATA, "ORDER_DATA_INVALID", "the order has no line items");
		return NULL;
	}
	if (in->nlines > SH_MAX_CREATE_LINES) {
		err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
			"the order has %zu distinct items; ttsync creates at most %d per order",
			in->nlines, SH_MAX_CREATE_LINES);
		return NULL;
	}
	order = json_object();

	arr = json_array();
	json_object_set_new(order, "lineItems", arr);
	for (i = 0; i < in->nlines; i++) {
		const struct sh_line_input *l = &in->lines[i];
		char where[64];

		if (l->variant_id == NULL || l->quantity < 1) {
			err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
				"line %zu has %s", i + 1,
				l->variant_id == NULL ? "no variant" : "no quantity");
			goto fail;
		}
		o = json_pack("{s:i,s:o,s:b}", "quantity", l->quantity, "priceSet",
			      money_bag(l->unit_price, exp, cur), "requiresShipping", 1);
		json_array_append_new(arr, o);
		if (put_str(o, "variantId", l->variant_id, e) != 0)
			goto fail;
		if (l->ntax_lines > 0) {
			json_t *t;

			(void)xsnprintf(where, sizeof(where), "line %zu", i + 1); /* <= 25 chars */
			t = tax_lines_json(l->tax_lines, l->ntax_lines, exp, cur, where, e);
			if (t == NULL)
				goto fail;
			json_object_set_new(o, "taxLines", t);
			lines_taxed = 1;
		}
	}
	if (in->nshipping > 0) {
		arr = json_array();
		json_object_set_new(order, "shippingLines", arr);
		for (i = 0; i < in->nshipping; i++) {
			const struct sh_shipping_input *sl = &in->shipping[i];

			o = json_pack("{s:o}", "priceSet", money_bag(sl->price, exp, cur));
			json_array_append_new(arr, o);
			if (put_str(o, "title", sl->title ? sl->title : "Shipping", e) != 0 ||
			    put_str(o, "code", sl->code, e) != 0 ||
			    put_str(o, "source", sl->source, e) != 0)
				goto fail;
			if (sl->ntax_lines > 0) {
				json_t *t = tax_lines_json(sl->tax_lines, sl->ntax_lines,
							   exp, cur, "shipping line", e);

				if (t == NULL)
					goto fail;
				json_object_set_new(o, "taxLines", t);
			}
		}
	}
	/* Shopify takes tax on the lines or on the order, never both. */
	if (!lines_taxed && in->norder_tax_lines > 0) {
		json_t *t = tax_lines_json(in->order_tax_lines, in->norder_tax_lines,
					   exp, cur, "order", e);

		if (t == NULL)
			goto fail;
		json_object_set_new(order, "taxLines", t);
	}
	if (in->email || in->customer_first_name || in->customer_last_name) {
		json_t *up = json_object();

		json_object_set_new(order, "customer", json_pack("{s:o}", "toUpsert", up));
		if (put_str(up, "email", in->email, e) != 0 ||
		    put_str(up, "firstName", in->customer_first_name, e) != 0 ||
		    put_str(up, "lastName", in->customer_last_name, e) != 0)
			goto fail;
	}
	if (put_str(order, "email", in->email, e) != 0 ||
	    put_str(order, "phone", in->phone, e) != 0 ||
	    put_str(order, "note", in->note, e) != 0 ||
	    put_str(order, "sourceIdentifier", in->source_identifier, e) != 0 ||
	    put_str(order, "sourceUrl", in->source_url, e) != 0 ||
	    put_time(order, "processedAt", in->processed_at, e) != 0)
		goto fail;
	json_object_set_new(order, "currency", json_string(cur));
	if (in->ntags > 0) {
		arr = json_array();
		json_object_set_new(order, "tags", arr);
		for (i = 0; i < in->ntags; i++) {
			json_t *t = in->tags[i] ? json_string(in->tags[i]) : NULL;

			if (t == NULL) {
				err_set(e, ERR_DATA, "ORDER_DATA_INVALID",
					"tag %zu is not valid UTF-8 text", i + 1);
				goto fail;
			}
			json_array_append_new(arr, t);
		}
	}
	if (in->nattrs > 0) {
		arr = json_array();
		json_object_set_new(order, "customAttributes", arr);
		for (i = 0; i < in->nattrs; i++) {
			o = json_object();
			json_array_append_new(arr, o);
			if (put_str(o, "key", in->attrs[i].key ? in->attrs[i].key : "", e) != 0 ||
			    put_str(o, "value", in->attrs[i].value ? in->attrs[i].value : "", e) != 0)
				goto fail;
		}
	}
	if (in->has_shipping_address) {
		const struct sh_address_input *a = &in->shipping_address;

		o = json_object();
		json_object_set_new(order, "shippingAddress", o);
		if (put_str(o, "firstName", a->first_name, e) != 0 ||
		    put_str(o, "lastName", a->last_name, e) != 0 ||
		    put_str(o, "address1", a->address1, e) != 0 ||
		    put_str(o, "address2", a->address2, e) != 0 ||
		    put_str(o, "city", a->city, e) != 0 ||
		    put_str(o, "provinceCode", a->province_code, e) != 0 ||
		    put_str(o, "countryCode", a->country_code, e) != 0 ||
		    put_str(o, "zip", a->zip, e) != 0 ||
		    put_str(o, "phone", a->phone, e) != 0)
			goto fail;
	}
	o = json_pack("{s:s,s:s,s:o}", "kind", "SALE", "status", "SUCCESS",
		      "amountSet", money_bag(in->transaction_amount, exp, cur));
	json_object_set_new(order, "transactions", json_pack("[o]", o));
	if (put_str(o, "gateway", in->transaction_gateway, e) != 0 ||
	    put_time(o, "processedAt", in->transaction_processed_at
		     ? in->transaction_processed_at : in->processed_at, e) != 0)
		goto fail;
	json_object_set_new(order, "financialStatus", json_string("PAID"));
	/* No sourceName: a custom app may not name an attribution channel
	 * (research Q3); sourceIdentifier, tags and attributes identify it. */

	opts = json_pack("{s:b,s:b}", "sendReceipt", in->send_receipt ? 1 : 0,
			 "sendFulfillmentReceipt", in->send_fulfillment_receipt ? 1 : 0);
	if (in->inventory_behaviour != NULL)
		json_object_set_new(opts, "inventoryBehaviour",
				    json_string(in->inventory_behaviour));
	vars = json_pack("{s:o,s:o,s:i}", "order", order, "options", opts,
			 "lines", (int)in->nlines);
	return vars;
fail:
	json_decref(order);
	return NULL;
}

char *shopify_order_create_variables(const struct sh_order_input *in)
{
	struct err e;
	json_t *vars;
	char *s;

	memset(&e, 0, sizeof(e));
	vars = order_input_json(in, &e);
	if (vars == NULL) {
		logmsg(LOG_WARN, "orderCreate variables: %s", e.msg);
		return NULL;
	}
	s = json_dumps(vars, JSON_COMPACT);
	json_decref(vars);
	return s;
}

static int sh_order_create(struct shopify *s, const struct sh_order_input *in,
			   sh_orders_cb cb, void *arg, struct err *e)
{
	struct sh_job *j;
	struct sh_call *c;
	json_t *vars;

	vars = order_input_json(in, e);
	if (vars == NULL)
		return -1;
	j = job_new(s, cb, arg);
	c = call_new(s, DOC_ORDER_CREATE, CALL_ORDER_CREATE, 1,
		     doc_cost(DOC_ORDER_CREATE, (int)in->nlines));
	c->job = j;
	j->pending = 1;
	if (submit(c, vars, e) != 0) {
		free(j);
		return -1;
	}
	return 0;
}

static int sh_fulfillment_create(struct shopify *s,
				 const struct sh_fulfillment_input *in,
				 sh_fulfillment_cb cb, void *arg, struct err *e)
{
	json_t *f, *groups, *track;
	struct sh_call *c;
	size_t i, k;

	if (in->ngroups == 0)
		return err_set(e, ERR_DATA, "UNITS_UNMAPPED",
			       "fulfillment without fulfillment orders");
	f = json_pack("{s:b}", "notifyCustomer", in->notify_customer ? 1 : 0);
	groups = json_array();
	json_object_set_new(f, "lineItemsByFulfillmentOrder", groups);
	for (i = 0; i < in->ngroups; i++) {
		const struct sh_fo_group *g = &in->groups[i];
		json_t *gj, *lines;

		if (g->fulfillment_order_id == NULL) {
			json_decref(f);
			return err_set(e, ERR_DATA, "UNITS_UNMAPPED",
				       "fulfillment group %zu has no fulfillment order", i + 1);
		}
		gj = json_object();
		json_array_append_new(groups, gj);
		if (put_str(gj, "fulfillmentOrderId", g->fulfillment_order_id, e) != 0) {
			json_decref(f);
			return -1;
		}
		if (g->nlines == 0)
			continue;	/* the whole fulfillment order */
		lines = json_array();
		json_object_set_new(gj, "fulfillmentOrderLineItems", lines);
		for (k = 0; k < g->nlines; k++) {
			json_t *lj;

			if (g->lines[k].fo_line_id == NULL || g->lines[k].quantity < 1) {
				json_decref(f);
				return err_set(e, ERR_DATA, "UNITS_UNMAPPED",
					       "fulfillment order %s: line %zu has no id or quantity",
					       g->fulfillment_order_id, k + 1);
			}
			lj = json_pack("{s:i}", "quantity", g->lines[k].quantity);
			json_array_append_new(lines, lj);
			if (put_str(lj, "id", g->lines[k].fo_line_id, e) != 0) {
				json_decref(f);
				return -1;
			}
		}
	}
	if (in->company || in->number || in->url) {
		track = json_object();
		json_object_set_new(f, "trackingInfo", track);
		if (put_str(track, "company", in->company, e) != 0 ||
		    put_str(track, "number", in->number, e) != 0 ||
		    put_str(track, "url", in->url, e) != 0) {
			json_decref(f);
			return -1;
		}
	}
	c = call_new(s, DOC_FULFILLMENT_CREATE, CALL_FULFILLMENT, 1,
		     doc_cost(DOC_FULFILLMENT_CREATE, 0));
	c->cb.fulfillment = cb;
	c->arg = arg;
	return submit(c, json_pack("{s:o}", "fulfillment", f), e);
}

static int sh_fulfillment_event_create(struct shopify *s,
				       const char *fulfillment_id,
				       const char *status, int64_t happened_at,
				       sh_simple_cb cb, void *arg, struct err *e)
{
	json_t *ev;
	struct sh_call *c;

	if (fulfillment_id == NULL || status == NULL)
		return err_set(e, ERR_DATA, "PLATFORM_ERROR",
			       "fulfillment event without fulfillment or status");
	ev = json_pack("{s:s,s:s}", "fulfillmentId", fulfillment_id, "status", status);
	if (put_time(ev, "happenedAt", happened_at, e) != 0) {
		json_decref(ev);
		return -1;
	}
	c = call_new(s, DOC_FULFILLMENT_EVENT, CALL_EVENT, 1,
		     doc_cost(DOC_FULFILLMENT_EVENT, 0));
	c->cb.simple = cb;
	c->arg = arg;
	return submit(c, json_pack("{s:o}", "fulfillmentEvent", ev), e);
}

static int sh_order_cancel(struct shopify *s, const char *order_gid,
			   const char *staff_note, sh_simple_cb cb, void *arg,
			   struct err *e)
{
	struct sh_call *c;
	json_t *vars;

	if (order_gid == NULL)
		return err_set(e, ERR_DATA, "PLATFORM_ERROR", "order_cancel: no order id");
	vars = json_pack("{s:s}", "orderId", order_gid);
	if (staff_note != NULL) {
		/* Keep to the schema's 255 characters, cutting on a UTF-8 boundary. */
		size_t n = strlen(staff_note);
		char *cut;

		if (n > SH_CANCEL_NOTE_MAX) {
			n = SH_CANCEL_NOTE_MAX;
			while (n > 0 && ((unsigned char)staff_note[n] & 0xC0) == 0x80)
				n--;
		}
		cut = xstrndup(staff_note, n);
		if (put_str(vars, "staffNote", cut, e) != 0) {
			free(cut);
			json_decref(vars);
			return -1;
		}
		free(cut);
	}
	c = call_new(s, DOC_ORDER_CANCEL, CALL_CANCEL, 1, doc_cost(DOC_ORDER_CANCEL, 0));
	c->cb.simple = cb;
	c->arg = arg;
	return submit(c, vars, e);
}

const struct sh_ops shopify_ops = {
	.get_shop = sh_get_shop,
	.orders_updated_since = sh_orders_updated_since,
	.find_orders_by_tiktok_id = sh_find_orders_by_tiktok_id,
	.get_orders = sh_get_orders,
	.find_variants_by_sku = sh_find_variants_by_sku,
	.get_variant = sh_get_variant,
	.order_create = sh_order_create,
	.fulfillment_create = sh_fulfillment_create,
	.fulfillment_event_create = sh_fulfillment_event_create,
	.order_cancel = sh_order_cancel,
};

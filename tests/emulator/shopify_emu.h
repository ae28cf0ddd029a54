/*
 * shopify_emu.h - internals shared by the files of the Shopify Admin
 * GraphQL twin (build/shopify-emu): the store (shop, locations, products,
 * variants, customers, orders with their lines, shipping lines, fulfillment
 * orders, fulfillments, events, transactions), and the functions each file
 * offers the others.
 *
 *   shopify_emu.c          main, HTTP layer, auth, cost and leaky bucket,
 *                          control callbacks (state, config, events, faults)
 *   shopify_emu_store.c    the data, fixture loading, totals and statuses,
 *                          money/time helpers, JSON dumps
 *   shopify_emu_search.c   Shopify search syntax, sorting, cursors, paging
 *   shopify_emu_resolve.c  query resolvers (every field the twin answers)
 *   shopify_emu_mutate.c   mutations (orderCreate, fulfillmentCreate, ...)
 *                          and the merchant-side events
 *   shopify_emu_b64.c      base64 for cursors (OpenSSL)
 *
 * All of it runs under emu_common's state lock: one request at a time.
 */
#ifndef TTSYNC_SHOPIFY_EMU_H
#define TTSYNC_SHOPIFY_EMU_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "emu_common.h"
#include "gql_schema.h"

typedef int64_t sh_money;	/* minor units of the order's currency */

#define SH_MAX_PAGE 250		/* first/last above this is refused (Shopify) */
#define SH_MAX_QUERY_COST 1000	/* single-query cap: MAX_COST_EXCEEDED above */
#define SH_MAX_INPUT_ARRAY 250	/* MAX_INPUT_SIZE_EXCEEDED above */
#define SH_DEV_ORDERS_PER_MIN 5	/* development-store orderCreate limit */
#define SH_STAFF_NOTE_MAX 255	/* orderCancel staffNote length */

enum sh_kind {
	K_ORDER, K_LINE, K_SHIP, K_FO, K_FO_LINE, K_FUL, K_FUL_LINE, K_EVENT,
	K_PRODUCT, K_VARIANT, K_LOCATION, K_CUSTOMER, K_METAFIELD, K_TXN,
	K_ADDRESS, K_COUNT
};
extern const char *const sh_kind_names[K_COUNT];	/* "Order", "LineItem", ... */

struct sh_idmap {
	int64_t *keys;
	void **vals;
	size_t cap, n;
};

struct sh_kv {
	char *key, *value;
};

struct sh_tax {
	char *title, *rate;	/* rate: the decimal string as given ("0.0625") */
	sh_money amount;
	int channel_liable;
};

struct sh_product;
struct sh_order;
struct sh_fo;

struct sh_variant {
	int64_t id;
	struct sh_product *product;
	char *sku, *title, *barcode;
	sh_money price;
	int taxable;
	int64_t created, updated;
};

struct sh_product {
	int64_t id;
	char *title, *status, *handle, *vendor, *product_type;
	char **tags;
	size_t ntags;
	struct sh_variant **variants;
	size_t nvariants;
	int64_t created, updated;
};

struct sh_location {
	int64_t id;
	char *name;
	int active;
};

struct sh_customer {
	size_t pos;		/* in S->customers */
	int64_t id;
	char *email, *first_name, *last_name, *phone, *note;
	char **tags;
	size_t ntags;
	json_t *default_address;	/* MailingAddress fields, or NULL */
	int64_t created, updated;
};

struct sh_metafield {
	int64_t id;
	char *ns, *key, *value, *type;
	int64_t created, updated;
};

struct sh_line {
	int64_t id;
	struct sh_order *order;
	struct sh_variant *variant;
	char *title, *variant_title, *sku, *vendor;
	int quantity, current_quantity;
	int requires_shipping, taxable, gift_card;
	sh_money unit_price;	/* before discounts */
	sh_money discount;	/* discount allocated to the whole line */
	struct sh_tax *tax;
	size_t ntax;
	struct sh_kv *props;
	size_t nprops;
};

struct sh_ship {
	int64_t id;
	struct sh_order *order;
	char *title, *code, *source;
	sh_money price, discount;
	struct sh_tax *tax;
	size_t ntax;
};

struct sh_fo_line {
	int64_t id;
	struct sh_fo *fo;
	struct sh_line *line;
	int total, remaining;
};

struct sh_fo {
	int64_t id;
	struct sh_order *order;
	struct sh_location *loc;
	const char *status;		/* OPEN, IN_PROGRESS, CLOSED, CANCELLED */
	const char *request_status;	/* UNSUBMITTED, ... */
	struct sh_fo_line **lines;
	size_t nlines;
	int64_t created, updated, fulfill_at;
};

struct sh_tracking {
	char *company, *number, *url;
};

struct sh_ful_line {
	int64_t id;
	struct sh_line *line;
	struct sh_fo_line *fo_line;
	int quantity;
};

struct sh_event {
	int64_t id;
	const char *status;
	int64_t happened, created, estimated;
	char *message, *address1, *city, *province, *country, *zip;
	double lat, lng;
	int has_lat, has_lng;
};

struct sh_ful {
	int64_t id;
	struct sh_order *order;
	int seq;			/* name: <order name>-F<seq> */
	const char *status;		/* SUCCESS, CANCELLED */
	const char *display_status;	/* FULFILLED, IN_TRANSIT, ... CANCELED */
	int64_t created, updated, in_transit, delivered, estimated;
	struct sh_location *loc;
	struct sh_tracking *trk;
	size_t ntrk;
	struct sh_ful_line **lines;
	size_t nlines;
	struct sh_event **events;
	size_t nevents;
	struct sh_fo **fos;
	size_t nfos;
	int notify_customer;
};

struct sh_txn {
	int64_t id;
	char *kind, *status, *gateway;
	sh_money amount;
	int64_t processed;
	int test;
};

struct sh_order {
	int64_t id;
	int number;
	char *name;
	int64_t created, updated, processed, cancelled, closed_at;
	int64_t indexed_at;		/* visible to orders(query:) from then on */
	const char *cancel_reason;
	int closed, test, taxes_included, notify_on_cancel;
	char **tags;
	size_t ntags;
	char *note, *email, *phone, *source_name, *source_identifier, *source_url;
	char *po_number, *staff_note, *inventory_behaviour;
	char **discount_codes;
	size_t ndiscount_codes;
	struct sh_kv *attrs;
	size_t nattrs;
	char currency[8];
	int exp;
	json_t *shipping_address, *billing_address;	/* MailingAddress fields */
	struct sh_customer *customer;
	struct sh_metafield **mfs;
	size_t nmfs;
	struct sh_line **lines;
	size_t nlines;
	struct sh_ship **ships;
	size_t nships;
	struct sh_fo **fos;
	size_t nfos;
	struct sh_ful **fuls;
	size_t nfuls;
	struct sh_txn **txns;
	size_t ntxns;
	const char *financial_status;	/* explicit (orderCreate financialStatus), or NULL */
	int send_receipt, send_fulfillment_receipt;
};

struct sh_limits {
	double bucket_size, restore_rate;
	int throttle_http_status;	/* 200 or 429 */
	int dev_store_order_limit;	/* 5 orderCreate per minute */
	int search_index_lag;		/* s before orders(query:) sees a new order */
};

struct sh_store {
	/* configuration */
	char *shop_name, *shop_domain, *shop_email, *shop_currency, *shop_timezone;
	char *app_source_name;		/* Order.sourceName when orderCreate omits it */
	char **tokens;
	size_t ntokens;
	struct sh_limits limits;
	const struct gql_schema *schema;
	/* data */
	struct sh_location **locations;
	size_t nlocations;
	struct sh_product **products;
	size_t nproducts;
	struct sh_variant **variants;
	size_t nvariants;
	struct sh_customer **customers;
	size_t ncustomers;
	struct sh_order **orders;	/* in creation order */
	size_t norders, caporders;
	json_t *by_email;	/* lowercased email -> position in customers */
	json_t *by_source;	/* sourceIdentifier -> [positions in orders]: the
				 * search index of source_identifier:X queries */
	struct sh_idmap maps[K_COUNT];
	int64_t next_id[K_COUNT];
	int next_order_number;
	/* dev-store limit: emulator times of recent API orderCreates */
	int64_t recent_creates[SH_DEV_ORDERS_PER_MIN];
	size_t nrecent;
	/* leaky bucket */
	double available;
	int64_t bucket_ms;		/* emulator ms of the last update */
	int64_t last_real_sec, last_emu_sec;
	/* counters for /_emu/state */
	long long n_requests, n_throttled, n_max_cost, n_orders_created;
	/* the running request */
	struct gql_arena *rq_arena;
	struct emu *emu;
	int64_t now;			/* emulator clock for this request */
	int wrote;			/* a mutation changed state */
	json_t *search_ext;		/* extensions.search of this response */
	json_t *rq_keep;		/* JSON values owned by this request */
};

/* ---- store (shopify_emu_store.c) ---- */
struct sh_store *sh_store_new(void);
void sh_store_free(struct sh_store *S);
/* Load a shopify.json fixture; `clock` receives the fixture's "clock"
 * (absolute), 0 when absent. -1 with a message. */
int sh_store_load(struct sh_store *S, const char *path, int64_t start,
		  int64_t *clock, char *err, size_t errlen);
int64_t sh_new_id(struct sh_store *S, enum sh_kind k);
void sh_register(struct sh_store *S, enum sh_kind k, int64_t id, void *obj);
void *sh_lookup(const struct sh_store *S, enum sh_kind k, int64_t id);
/* "gid://shopify/Order/123" -> kind and id; -1 if not a GID we know. */
int sh_parse_gid(const char *gid, enum sh_kind *k, int64_t *id);
void *sh_lookup_gid(const struct sh_store *S, const char *gid, enum sh_kind want);
char *sh_gid(enum sh_kind k, int64_t id);		/* malloc'ed */
json_t *sh_gid_json(enum sh_kind k, int64_t id);

void *sh_grow(void *v, size_t n, size_t size);	/* room for element n */
char *sh_strdup(const char *s);		/* NULL -> NULL */
void sh_tags_set(char ***tags, size_t *n, json_t *list);	/* sorted, deduped */
void sh_tags_add(char ***tags, size_t *n, const char *tag);
int sh_tags_remove(char ***tags, size_t *n, const char *tag);

int sh_currency_exponent(const char *code);
/* Decimal string or JSON number -> minor units (rounded half away from
 * zero beyond the currency's digits). -1 when not a number. */
int sh_parse_amount(json_t *v, int exp, sh_money *out);
/* Shopify's Decimal output: "55.0", "19.99", "0.0". */
json_t *sh_amount_json(sh_money v, int exp);
int sh_parse_time(const char *s, int64_t *out);	/* ISO 8601 / date */
json_t *sh_time_json(int64_t t);		/* null for 0 */

/* totals (computed) */
sh_money sh_line_total(const struct sh_line *l, int current);	/* price x qty - discount */
sh_money sh_order_subtotal(const struct sh_order *o, int current);
sh_money sh_order_shipping(const struct sh_order *o);
sh_money sh_order_tax(const struct sh_order *o, int current);
sh_money sh_order_discounts(const struct sh_order *o);
sh_money sh_order_total(const struct sh_order *o, int current);
sh_money sh_order_received(const struct sh_order *o);
const char *sh_financial_status(const struct sh_order *o);
const char *sh_fulfillment_status(const struct sh_order *o);
int sh_line_fulfilled(const struct sh_line *l);		/* units in active fulfillments */
void sh_fo_refresh(struct sh_fo *fo);			/* status from quantities */
void sh_touch(struct sh_store *S, struct sh_order *o);	/* updatedAt = now */

json_t *sh_dump_order(const struct sh_store *S, const struct sh_order *o);
json_t *sh_dump_fulfillment(const struct sh_store *S, const struct sh_ful *f);
json_t *sh_dump_variant(const struct sh_store *S, const struct sh_variant *v);
json_t *sh_dump_state(struct sh_store *S);

/* ---- search, sort, paging (shopify_emu_search.c) ---- */
struct sh_query;
/* Parse Shopify search syntax; never fails (unparseable text is free
 * text). Unknown fields are recorded as warnings. */
struct sh_query *sh_query_parse(const char *text);
/* A query that is only source_identifier:X terms joined by OR: 1 and
 * their values (a new array of borrowed strings, *n of them); else 0. */
int sh_query_source_ids(const struct sh_query *q, const char ***vals, size_t *n);
void sh_query_free(struct sh_query *q);
json_t *sh_query_warnings(const struct sh_query *q, const char *const *known);
int sh_order_matches(const struct sh_store *S, const struct sh_order *o,
		     const struct sh_query *q);
int sh_variant_matches(const struct sh_variant *v, const struct sh_query *q);
extern const char *const sh_order_search_fields[];
extern const char *const sh_variant_search_fields[];

/* One page of a connection. items: candidate objects in their natural
 * order; keys: their sort keys (an integer, or a string when skey[i] is
 * non-NULL); ids: their ids. Handles first/last/after/before/reverse and
 * builds opaque cursors. Returns NULL with *err set (message for the
 * field error, caller frees) on bad arguments. */
struct sh_sortable {
	void *obj;
	int64_t id;
	int64_t key;
	const char *skey;	/* string sort key, or NULL */
};
struct gql_connection *sh_paginate(struct sh_sortable *items, size_t n,
				   json_t *args, const char *field,
				   int sorted_by_key, char **err);
char *sh_cursor(int64_t id, int64_t key, const char *skey);

/* ---- base64 (shopify_emu_b64.c) ---- */
char *sh_b64_encode(const char *in, size_t n);
char *sh_b64_decode(const char *in, size_t *n);	/* NULL if invalid */

/* ---- resolvers (shopify_emu_resolve.c) ---- */
void sh_resolve(void *user, const struct gql_field_call *call, struct gql_res *out);
/* MoneyBag for an amount in the request arena. */
void *sh_money_obj(struct sh_store *S, sh_money amount, const char *currency, int exp);

/* Payloads and user errors built by mutations (request arena). */
struct sh_uerr {
	json_t *field;		/* array of strings, or NULL */
	char *message;
	const char *code;	/* NULL for plain UserError */
};
struct sh_payload {
	void *obj;			/* order / fulfillment / event / node */
	const char *obj_type;		/* for TagsAddPayload.node */
	struct sh_uerr *errs;
	size_t nerrs;
	int job;			/* OrderCancelPayload.job present */
	char *job_id;
};
void sh_payload_error(struct sh_store *S, struct sh_payload *p, const char *code,
		      json_t *field, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* ---- mutations and events (shopify_emu_mutate.c) ---- */
void sh_mutate(struct sh_store *S, const struct gql_field_call *call, struct gql_res *out);
/* Build an order from an OrderCreateOrderInput-shaped object (also used
 * for fixture orders, with their extra keys). */
int sh_order_build(struct sh_store *S, json_t *in, json_t *options, int from_fixture,
		   struct sh_payload *p, struct sh_order **out);
json_t *sh_event(struct sh_store *S, json_t *ev, char **error);
/* The tracking URL Shopify generates for a company it knows, or NULL. */
char *sh_tracking_url(const char *company, const char *number);

#endif

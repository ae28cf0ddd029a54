/*
 * tiktok.h - TikTok Shop Open API (202309 paths) client: signing, the token
 * pair, orders, shipping providers, Mark Package As Shipped, shipping-info
 * updates. The only module that knows TikTok's wire format.
 *
 * Operations are listed in `struct tt_ops` below with their failure
 * classes; apply.c and the commands call them only through that table
 * (tests may substitute it).
 *
 * Failure classes, for every operation:
 *   - transport / 5xx / 429 / 36009002 / 36009003 / 36009007 on a READ:
 *     retried inside (http.c), then ERR_NETWORK;
 *   - the same on a WRITE (ship, update): never resent; the callback gets
 *     oc == HTTP_OUTCOME_UNKNOWN (except 429/36009002, refused before
 *     execution, which is retried) and the caller re-reads the order;
 *   - 105002 (expired token): the client refreshes once and resends
 *     (refused before execution, so safe for writes too);
 *   - 106001, 36009004, 105005, 101000, 36009033 ...: ERR_AUTH / ERR_CONFIG
 *     (the run aborts, exit 3);
 *   - business codes (21xxxxxx ...): res->code/message, class ERR_PLATFORM;
 *     map with reason_from_tiktok_code().
 * Secrets (app secret, tokens) never appear in logs, errors or reports.
 */
#ifndef TTSYNC_TIKTOK_H
#define TTSYNC_TIKTOK_H

#include <stddef.h>
#include <stdint.h>
#include "common.h"
#include "config.h"
#include "http.h"
#include "model.h"

struct tiktok;
struct state;

/* The signature of TikTok Shop API requests (§2 of tiktok-shop-api.md).
 * params are (key, decoded value) pairs, any order, excluding sign and
 * access_token. Writes 64 lower-case hex digits + NUL into out. */
struct tt_param {
	const char *key, *value;
};
int tiktok_sign(const char *app_secret, const char *path,
		const struct tt_param *params, size_t nparams,
		const char *body, size_t body_len, char out[65]);

/* Result of one call. */
struct tt_result {
	enum http_outcome oc;
	long http_status;
	long code;		/* TikTok "code"; 0 success; -1 no envelope */
	char *message;		/* TikTok "message" */
	char *request_id;
	struct err err;		/* filled unless oc == OK && code == 0 */
};
void tt_result_free(struct tt_result *r);

struct tt_search {
	int by_update;		/* 1: update_time window, sort by update_time; 0: create_time */
	int64_t ge, lt;		/* [ge, lt) */
	const char *page_token;	/* NULL for the first page */
	int page_size;		/* 1..100 */
	const char *order_status;	/* optional filter, NULL = any */
};

/* An order of a page that could not be parsed: it fails alone, the rest
 * of the page is delivered. */
struct tt_bad_order {
	char *id;		/* the order's "id" when it had a usable one, else NULL */
	char *raw;		/* its JSON as received */
	struct err err;		/* ERR_DATA naming the field and the value */
};

struct tt_order_page {
	struct tt_order *orders;
	char **raw;		/* each order's JSON as received (the snapshot) */
	size_t n;
	char *next_page_token;	/* NULL or "" at the end */
	long total_count;
	struct tt_bad_order *bad;	/* orders that failed to parse */
	size_t nbad;
};
void tt_order_page_free(struct tt_order_page *p);

struct tt_ship_result {
	char *package_id;
	char **line_ids;
	size_t nline_ids;
	char *warning;		/* data.warning.message (US), or NULL */
};
void tt_ship_result_free(struct tt_ship_result *r);

typedef void (*tt_orders_cb)(void *arg, struct tt_result *res,
			     struct tt_order_page *orders);
typedef void (*tt_providers_cb)(void *arg, struct tt_result *res,
				struct tt_provider_list *list);
typedef void (*tt_ship_cb)(void *arg, struct tt_result *res,
			   struct tt_ship_result *ship);
typedef void (*tt_simple_cb)(void *arg, struct tt_result *res);

/* Callbacks own nothing they are given: res and payloads are freed by the
 * client after the callback returns, so copy what you keep. The payload is
 * NULL unless res->oc == HTTP_OUTCOME_OK && res->code == 0. A success
 * whose data is malformed is reported as oc FAILED / ERR_DATA for a read,
 * and as oc UNKNOWN / ERR_UNKNOWN_OUTCOME for a write (TikTok applied it,
 * re-read the order). */
struct tt_ops {
	/* Synchronous: make sure the access token is valid for at least the
	 * configured margin, refreshing (and persisting the new pair in
	 * `st` atomically) when needed. ERR_AUTH when refresh is refused.
	 * An unknown expiry (0) is trusted until TikTok answers 105002. `st`
	 * is remembered: refreshes after a 105002 later in the run persist
	 * there too. */
	int (*ensure_token)(struct tiktok *t, struct state *st, struct err *e);
	/* Synchronous: GET /authorization/202309/shops (no shop_cipher);
	 * returns the shop whose cipher is configured, ERR_CONFIG if none. */
	int (*get_shop)(struct tiktok *t, struct tt_shop *out, struct err *e);
	/* Synchronous, one page of POST /order/202309/orders/search. */
	int (*search_orders)(struct tiktok *t, const struct tt_search *q,
			     struct tt_order_page *out, struct err *e);
	/* Async: GET /order/202309/orders?ids= (n <= 50). Read. */
	int (*get_orders)(struct tiktok *t, char *const *ids, size_t n,
			  tt_orders_cb cb, void *arg, struct err *e);
	/* Async: GET /logistics/202309/delivery_options/{id}/shipping_providers. Read. */
	int (*get_providers)(struct tiktok *t, const char *delivery_option_id,
			     tt_providers_cb cb, void *arg, struct err *e);
	/* Async WRITE: POST /fulfillment/202309/orders/{order_id}/packages. */
	int (*ship_package)(struct tiktok *t, const char *order_id,
			    char *const *line_ids, size_t nline_ids,
			    const char *tracking_number,
			    const char *provider_id, tt_ship_cb cb, void *arg,
			    struct err *e);
	/* Async WRITE: POST /fulfillment/202309/packages/{package_id}/shipping_info/update. */
	int (*update_package_shipping)(struct tiktok *t, const char *package_id,
				       const char *tracking_number,
				       const char *provider_id,
				       tt_simple_cb cb, void *arg,
				       struct err *e);
};
extern const struct tt_ops tiktok_ops;

int tiktok_new(const struct config *c, struct http *h, struct tiktok **out,
	       struct err *e);
void tiktok_free(struct tiktok *t);
/* Install a token pair (from state or config). */
void tiktok_set_token(struct tiktok *t, const struct tt_token *tok);
/* The limiters' counters, summed over TikTok's APIs (statistics). */
void tiktok_limiter_stats(struct tiktok *t, struct http_limiter_stats *out);

/* Parse one order object (as found in search/detail responses or in a
 * stored snapshot) into *out. Money strings are parsed exactly; a bad
 * value fails with ERR_DATA naming the field ("line_items[2].sale_price:
 * '1.2.3' is not a decimal amount"). */
int tiktok_order_from_json(const char *json, struct tt_order *out,
			   struct err *e);

/* Seller Center link for an order (for reports). Caller frees. */
char *tiktok_order_url(const struct config *c, const char *order_id);

#endif

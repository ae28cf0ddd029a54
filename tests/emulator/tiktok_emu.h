/*
 * tiktok_emu.h - internals shared by the TikTok Shop emulator's files
 * (tiktok_emu.c: start-up, fixtures, gatekeeping, tokens, control hooks;
 * tiktok_emu_orders.c: shops, order search and detail, providers;
 * tiktok_emu_ship.c: packages, shipping, tracking, the order state
 * machine and platform events). Not a contract: only these files use it.
 *
 * All state below is touched only with the emulator's state lock held
 * (emu_common.c calls every handler that way).
 */
#ifndef TTSYNC_TIKTOK_EMU_H
#define TTSYNC_TIKTOK_EMU_H

#include <jansson.h>
#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "emu_common.h"

#define TTE_RATE_QPS_DEFAULT 50		/* D-rate: 50 requests/s per API per (app, shop) */
#define TTE_TOKEN_LIFETIME_DEFAULT 604800	/* access token: 7 days (§4) */
#define TTE_REFRESH_LIFETIME_DEFAULT 31536000	/* refresh token: one year */
#define TTE_TS_PAST 300			/* timestamp window: -5 min ... */
#define TTE_TS_FUTURE 30		/* ... +30 s of the emulator clock */
#define TTE_UPDATE_WINDOW (72 * 3600)	/* US: tracking may change within 72 h */
#define TTE_MAX_IDS 50			/* Get Order Detail: ids <= 50 */
#define TTE_CONSOLIDATE_MAX 20		/* one tracking number, <= 20 orders */

struct tte_shop {
	char *id, *name, *region, *seller_type, *cipher, *code;
};

struct tte_token {
	char *access, *refresh;
	int64_t access_exp, refresh_exp;
	json_t *ciphers;	/* array of shop ciphers */
	int refresh_used;	/* a refresh token works once */
};

struct tte_provider {
	char *id, *name, *regex_src;
	char *example;		/* tracking_example ("" if none): labels TikTok buys */
	regex_t re;
	int has_re;
};

struct tte_option {
	char *id, *name;
	json_t *provider_ids;	/* array of strings */
	int tiktok_fulfilled;	/* Get Shipping Providers answers 21008117 */
};

struct tte_order {
	json_t *o;		/* the order object as served (owned) */
	char *id, *shop;	/* shop = cipher */
	/* cached for fast search */
	int64_t create_time, update_time;
	char status[32], shipping_type[16];
	json_t *history;	/* [{"time": s, "description": "..."}] oldest first */
};

struct tte_package {
	char *id, *order_id, *shop;
	json_t *line_ids;	/* array of strings */
	char *tracking, *provider_id, *provider_name;
	char status[16];	/* PROCESSING, FULFILLING, COMPLETED, CANCELLED */
	char shipping_type[16];
	int64_t create_time, update_time, shipped_time;
	int updates;		/* shipping-info updates so far */
};

struct tte_bucket {
	double tokens, last;
};

struct tte {
	struct emu *emu;	/* set on the first request */
	char *app_key, *app_secret;
	struct tte_shop *shops;
	size_t nshops;
	struct tte_token *tokens;
	size_t ntokens, cap_tokens;
	struct tte_provider *providers;
	size_t nproviders;
	struct tte_option *options;
	size_t noptions;
	struct tte_order **orders;
	size_t norders, cap_orders;
	json_t *order_index;	/* id -> integer index into orders */
	struct tte_package **packages;
	size_t npackages, cap_packages;
	json_t *package_index;	/* id -> integer index into packages */
	json_t *buckets;	/* "api|shop" -> integer index into bucket array */
	struct tte_bucket *bucket_arr;
	size_t nbuckets, cap_buckets;
	int rate_qps;
	int64_t token_lifetime, refresh_lifetime;
	int64_t start_clock;	/* base of relative fixture times */
	unsigned long long seq, pkg_seq, token_seq;
	unsigned long long n_requests, n_errors;
};

/* The envelope: {"code", "message", "request_id", "data"}. */
void tte_ok(struct tte *t, struct emu_response *rs, json_t *data);
void tte_err(struct tte *t, struct emu_response *rs, int http, long code,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Clock. */
int64_t tte_now(struct tte *t);

/* Lookups (NULL when unknown). */
struct tte_order *tte_order_get(struct tte *t, const char *id);
struct tte_package *tte_package_get(struct tte *t, const char *id);
struct tte_provider *tte_provider_get(struct tte *t, const char *id);
struct tte_option *tte_option_get(struct tte *t, const char *id);
struct tte_shop *tte_shop_by_cipher(struct tte *t, const char *cipher);

/* Orders: add (takes the reference; NULL + *error on a bad order), keep
 * the cached fields in step after a change, serve a copy. */
struct tte_order *tte_order_add(struct tte *t, json_t *o, const char *shop,
				char **error);
void tte_order_sync(struct tte_order *ord);
enum tte_shape { TTE_SHAPE_LIST, TTE_SHAPE_DETAIL };
json_t *tte_order_serve(const struct tte_order *ord, enum tte_shape shape);
void tte_packages_from_fixture(struct tte *t, struct tte_order *ord);
/* relative_times: integer *_time fields (any depth) += base. */
void tte_shift_times(json_t *v, int64_t base);

/* Handlers (request validated: app, sign, token, shop). */
struct tte_call {
	const struct emu_request *rq;
	const char *shop;	/* cipher of the shop addressed ("" for none) */
	struct tte_token *token;
	const char *id;		/* the {id} path segment, or NULL */
	json_t *body;		/* parsed body (object) or NULL */
};
void tte_get_shops(struct tte *t, const struct tte_call *c, struct emu_response *rs);
void tte_search_orders(struct tte *t, const struct tte_call *c, struct emu_response *rs);
void tte_get_orders(struct tte *t, const struct tte_call *c, struct emu_response *rs);
void tte_get_providers(struct tte *t, const struct tte_call *c, struct emu_response *rs);
void tte_ship(struct tte *t, const struct tte_call *c, struct emu_response *rs);
void tte_update_order_shipping(struct tte *t, const struct tte_call *c,
			       struct emu_response *rs);
void tte_update_package_shipping(struct tte *t, const struct tte_call *c,
				 struct emu_response *rs);
void tte_get_package(struct tte *t, const struct tte_call *c, struct emu_response *rs);
void tte_get_tracking(struct tte *t, const struct tte_call *c, struct emu_response *rs);

/* Platform events (/_emu/event). */
json_t *tte_event(struct tte *t, json_t *ev, char **error);
/* Whole state for /_emu/state. */
json_t *tte_dump(struct tte *t);

/* Small helpers. */
void *tte_xmalloc(size_t n);
void *tte_xrealloc(void *p, size_t n);
char *tte_xstrdup(const char *s);
char *tte_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *tte_jstr(const json_t *o, const char *key);	/* "" when absent */
int tte_same_id(const char *a, const char *b);

#endif

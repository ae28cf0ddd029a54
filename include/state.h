/*
 * state.h - the only SQLite user: schema and migrations, order snapshots
 * and statuses, the TikTok-unit <-> Shopify-line map, fulfillment records,
 * product links, intents (the write-ahead journal of non-idempotent remote
 * calls), cursors, the token pair, and runs.
 *
 * The file is created with mode 0600 (it holds the token pair). WAL mode,
 * synchronous=FULL: a committed intent survives SIGKILL and power loss.
 * A missing file is a first run; an unreadable or newer-schema file is
 * ERR_STATE (exit 3). Every function runs in its own transaction unless
 * the caller holds one open with state_begin().
 */
#ifndef TTSYNC_STATE_H
#define TTSYNC_STATE_H

#include <stddef.h>
#include <stdint.h>
#include "common.h"
#include "model.h"
#include "reasons.h"

struct state;

int state_open(const char *path, struct state **out, struct err *e);
void state_close(struct state *st);
int state_begin(struct state *st, struct err *e);
int state_commit(struct state *st, struct err *e);
void state_rollback(struct state *st);

/* ---- runs ---- */
int state_run_start(struct state *st, const char *run_id, int64_t now,
		    const char *command, int dry_run, struct err *e);
int state_run_finish(struct state *st, const char *run_id, int64_t now,
		     int exit_code, const char *stats_json, struct err *e);

/* ---- cursors (high-water marks, epoch seconds) ---- */
int state_cursor_get(struct state *st, const char *name, int64_t *val,
		     int *found, struct err *e);
int state_cursor_set(struct state *st, const char *name, int64_t val,
		     struct err *e);

/* ---- TikTok token pair (replaced atomically) ---- */
int state_token_get(struct state *st, struct tt_token *out, int *found,
		    struct err *e);
int state_token_put(struct state *st, const struct tt_token *t,
		    struct err *e);

/* ---- orders ---- */
struct order_rec {
	char *tt_id;
	enum tt_status tt_status;
	char *fulfillment_type, *shipping_type;
	int64_t create_time, update_time;
	char *snapshot;		/* TikTok order JSON as last received */
	enum sync_status status;
	char *reason_code, *reason, *remedy;
	enum retry_class retry;
	char *sh_gid, *sh_name, *sh_legacy_id;	/* set once linked */
	int64_t first_seen, last_seen, synced_at;
	int attempts;
	int cancel_state;	/* 0 none, 1 cancelled in Shopify by ttsync, 2 reported only */
};
void order_rec_free(struct order_rec *r);

/* Insert or refresh the TikTok side of an order (snapshot, status,
 * times). Keeps sync status, links and reasons. */
int state_order_put_snapshot(struct state *st, const struct tt_order *o,
			     const char *raw_json, int64_t now, struct err *e);
int state_order_get(struct state *st, const char *tt_id,
		    struct order_rec *out, int *found, struct err *e);
/* Set status + reason (reason_code may be NULL for synced/not_synced). */
int state_order_set_status(struct state *st, const char *tt_id,
			   enum sync_status status, const char *reason_code,
			   const char *reason, const char *remedy,
			   enum retry_class retry, int64_t now, struct err *e);
int state_order_link(struct state *st, const char *tt_id, const char *sh_gid,
		     const char *sh_name, const char *sh_legacy_id, int64_t now,
		     struct err *e);
int state_order_set_cancel_state(struct state *st, const char *tt_id,
				 int cancel_state, struct err *e);
int state_order_by_shopify_gid(struct state *st, const char *sh_gid,
			       char **tt_id, int *found, struct err *e);

/* Iterate orders matching a filter, ordered by create_time then id.
 * Return non-zero from fn to stop (that value is returned). */
struct order_filter {
	int only_status;	/* -1 any, else enum sync_status */
	int only_failed_or_not_synced;
	int only_linked_open;	/* linked and TikTok status not final-and-done */
	char *const *ids;	/* NULL = all */
	size_t nids;
};
typedef int (*order_iter_fn)(const struct order_rec *r, void *arg);
int state_orders_foreach(struct state *st, const struct order_filter *f,
			 order_iter_fn fn, void *arg, struct err *e);
int state_orders_count(struct state *st, int status, long *n,
		       struct err *e);

/* ---- TikTok unit -> Shopify line item map (set when the order is created
 * or linked) ---- */
int state_units_put(struct state *st, const char *tt_id,
		    const struct unit_map *v, size_t n, struct err *e);
int state_units_get(struct state *st, const char *tt_id,
		    struct unit_map **v, size_t *n, struct err *e);

/* ---- fulfillments ---- */
enum ful_direction {
	FUL_PUSH = 1,		/* Shopify fulfillment -> TikTok package (seller shipping) */
	FUL_PULL = 2,		/* TikTok package -> Shopify fulfillment (TikTok shipping) */
};
#define FUL_EVENT_IN_TRANSIT 1
#define FUL_EVENT_DELIVERED 2

struct ful_rec {
	char *key;		/* "push:<shopify fulfillment gid>" / "pull:<tiktok package id>" */
	enum ful_direction dir;
	char *tt_order_id;
	char *sh_fulfillment_id;
	char *tt_package_id;
	char *tracking_number;	/* as last sent (push) or received (pull) */
	char *carrier;		/* Shopify company name */
	char *provider_id, *provider_name;	/* TikTok provider */
	char **tt_line_ids;
	size_t ntt_line_ids;
	int64_t shipped_at;	/* when TikTok accepted the shipment (72 h window) */
	int tracking_updates;	/* update-shipping-info calls accepted */
	int events_sent;	/* FUL_EVENT_* bits */
	enum sync_status status;
	char *reason_code, *reason, *remedy;
	enum retry_class retry;
	char *warning;		/* TikTok's warning.message */
	int64_t updated_at;
};
void ful_rec_free(struct ful_rec *r);
int state_ful_get(struct state *st, const char *key, struct ful_rec *out,
		  int *found, struct err *e);
int state_ful_put(struct state *st, const struct ful_rec *r, struct err *e);
int state_ful_list_for_order(struct state *st, const char *tt_id,
			     struct ful_rec **v, size_t *n, struct err *e);
void ful_rec_free_array(struct ful_rec *v, size_t n);

/* ---- product links: TikTok SKU -> Shopify variant ---- */
struct link_rec {
	char *tt_sku_id;	/* may be NULL when linked by seller SKU only */
	char *seller_sku;	/* may be NULL */
	char *variant_id;
	char *source;		/* "manual" (ttsync link) / "sku" (matched) */
	int64_t created_at;
};
void link_rec_free(struct link_rec *r);
int state_link_put(struct state *st, const struct link_rec *l, struct err *e);
/* Lookup by TikTok sku_id first, then by seller SKU. */
int state_link_find(struct state *st, const char *tt_sku_id,
		    const char *seller_sku, struct link_rec *out, int *found,
		    struct err *e);
int state_link_delete(struct state *st, const char *tt_sku_id,
		      const char *seller_sku, int *deleted, struct err *e);
typedef int (*link_iter_fn)(const struct link_rec *l, void *arg);
int state_links_foreach(struct state *st, link_iter_fn fn, void *arg,
			struct err *e);

/* ---- intents: write-ahead journal of non-idempotent remote calls ----
 * state_intent_begin commits before returning (the call is made after).
 * kinds: "order_create", "ship_package", "update_shipping",
 * "fulfillment_create", "fulfillment_event", "order_cancel". */
enum intent_state {
	INTENT_PENDING = 0,	/* recorded, call maybe sent */
	INTENT_DONE,		/* the platform accepted; result recorded */
	INTENT_FAILED,		/* the platform refused; nothing happened */
	INTENT_UNKNOWN,		/* sent, answer lost; look up before retrying */
};
struct intent {
	int64_t id;
	char *kind, *object_key;	/* object_key: tt order id, ful key, ... */
	char *payload;		/* what was (to be) sent, JSON, no secrets */
	enum intent_state state;
	char *result;		/* platform id / message */
	char *run_id;
	int64_t created_at, finished_at;
};
void intent_free(struct intent *i);
int state_intent_begin(struct state *st, const char *kind,
		       const char *object_key, const char *payload,
		       const char *run_id, int64_t now, int64_t *id,
		       struct err *e);
int state_intent_finish(struct state *st, int64_t id, enum intent_state s,
			const char *result, int64_t now, struct err *e);
/* The latest intent of (kind, object_key) still PENDING or UNKNOWN. */
int state_intent_open(struct state *st, const char *kind,
		      const char *object_key, struct intent *out, int *found,
		      struct err *e);
/* Resolve every open intent of (kind, object_key) at once. */
int state_intent_close_all(struct state *st, const char *kind,
			   const char *object_key, enum intent_state s,
			   const char *result, int64_t now, struct err *e);

/* Every intent still PENDING or UNKNOWN (crash recovery at run start). */
typedef int (*intent_iter_fn)(const struct intent *i, void *arg);
int state_intents_open_foreach(struct state *st, intent_iter_fn fn, void *arg,
			       struct err *e);
/* Every fulfillment record with the given status (-1: any). */
typedef int (*ful_iter_fn)(const struct ful_rec *r, void *arg);
int state_fuls_foreach(struct state *st, int status, ful_iter_fn fn,
		       void *arg, struct err *e);

/* ---- shipping providers cache (per delivery option, refreshed each run) ---- */
int state_providers_put(struct state *st, const struct tt_provider_list *l,
			int64_t now, struct err *e);
/* Every provider name of every cached list (sorted, distinct). */
int state_provider_names(struct state *st, char ***names, size_t *n,
			 struct err *e);
/* The delivery options whose lists are cached (distinct, sorted). */
int state_provider_options(struct state *st, char ***ids, size_t *n, struct err *e);
int state_providers_get(struct state *st, const char *delivery_option_id,
			struct tt_provider_list *out, int64_t *fetched_at,
			int *found, struct err *e);

#endif

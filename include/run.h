/*
 * run.h - one run of the reconciler, shared by the commands that sync
 * (run, sync orders, sync fulfillments): the context they build, the
 * in-memory working set that fetch.c fills and plan/apply consume, and
 * the stage functions main's story calls in order:
 *
 *   run_open -> fetch_tiktok (per chunk: fetch_shopify_for_orders ->
 *            resolve_inputs -> apply_orders)
 *            -> apply_fulfillments -> run_report -> run_close
 *
 * In a dry run nothing is written to the state file and no write call is
 * made; everything else (reads, planning, the report) happens.
 */
#ifndef TTSYNC_RUN_H
#define TTSYNC_RUN_H

#include <stddef.h>
#include <stdint.h>
#include "common.h"
#include "config.h"
#include "http.h"
#include "lock.h"
#include "mapping.h"
#include "model.h"
#include "plan.h"
#include "report.h"
#include "shopify.h"
#include "state.h"
#include "tiktok.h"

enum run_mode {
	RUN_SCHEDULED = 0,	/* ttsync run: window + automatic settings */
	RUN_SYNC_ORDERS,	/* ttsync sync orders (ID... | --all-not-synced) */
	RUN_SYNC_FULFILLMENTS,	/* ttsync sync fulfillments (ID... | --all-not-synced) */
};

struct strindex;
struct idlist;
struct sku_cache;
struct run_ctx;

/* The orders stage runs over the TikTok window a chunk of
 * settings.chunk_orders orders at a time (fetch_tiktok): after each chunk
 * only the orders the fulfillment stage needs stay in memory, so a run's
 * memory does not grow with its window. */

/* One chunk of the orders stage (cmd_run.c): every item of the working
 * set with orders_done == 0. */
typedef int (*orders_stage_fn)(struct run_ctx *rc, struct err *e);

/* One order of the working set. */
struct work_item {
	char *tt_id;
	struct tt_order tt;	/* parsed TikTok view */
	char *raw;		/* its JSON, until recorded in the state (then NULL) */
	char *tt_url;		/* Seller Center link (sourceUrl, reports) */
	int have_tt;		/* tt/raw valid */
	struct order_rec rec;	/* state (or synthesized for a new order in a dry run) */
	struct sh_order sh;	/* Shopify view */
	int have_sh;
	struct unit_map *units;
	size_t nunits;
	struct ful_rec *fuls;
	size_t nfuls;
	struct sku_resolution *skus;
	size_t nskus;
	int selected;
	int create_intent_open;
	int needs_refresh;	/* an unknown outcome: re-read before re-planning */
	int needs_replan;	/* plan again (follow-up actions), no re-read needed */
	int want_detail;	/* the Shopify picture is light: read it in full */
	int detail_inflight;	/* that full read is on its way (fetch_details_async) */
	int ful_started;	/* fulfillments planned while the window was read */
	int from_tt_window, from_sh_window;
	int tt_fresh;		/* tt read from TikTok in this run (not a stored snapshot) */
	int orders_done;	/* the orders stage has handled it (an earlier chunk) */
	int tt_refreshing;	/* read again from TikTok, answer not in yet */
};

struct run_ctx {
	const struct config *cfg;
	enum run_mode mode;
	int dry_run;
	char *const *ids;	/* manual selection */
	size_t nids;
	int all_not_synced;

	char run_id[64];
	int64_t now;		/* fixed at the start of the run */
	int64_t deadline_ms;	/* clock_now_ms() after which fetching stops */
	struct store_lock lock;
	int locked;
	struct state *st;
	struct http *http;
	struct tiktok *tt;
	const struct tt_ops *tto;
	struct shopify *sh;
	const struct sh_ops *sho;

	struct work_item **items;	/* each its own allocation (stable addresses) */
	size_t nitems, capitems;
	struct strindex *item_index;	/* tt_id -> position in items (fetch.c) */
	struct idlist *seen;	/* orders the orders stage handled in this run */
	struct idlist *keep;	/* orders the fulfillment stage needs, whatever they look like */
	struct idlist *options;	/* seller delivery options of the orders let go */
	struct sku_cache *sku_cache;	/* SKU -> variant resolutions of this run */
	orders_stage_fn orders_stage;
	struct tt_provider_list *providers;	/* per delivery option seen */
	size_t nproviders;

	struct report rep;
	int item_failures;	/* items that failed this run (exit 1) */
	int aborted;		/* exit 3 */
	struct err abort_err;
	int detail_failed;	/* a full read of a Shopify order failed */
	struct err detail_err;
};

/* Open everything: lock, state, http, clients, token. Returns the exit
 * code class on failure (2 config, 3 abort, 4 locked) via e->cls. */
int run_open(struct run_ctx *rc, const struct config *cfg, enum run_mode mode,
	     int dry_run, struct err *e);
void run_close(struct run_ctx *rc);

/* The TikTok window (scheduled runs) or the chosen orders (manual syncs),
 * then the orders from the state that retry or wait on an outcome. Every
 * settings.chunk_orders orders, and once at the end, `stage` runs over the new ones;
 * then the orders the fulfillment stage has no use for are let go. */
int fetch_tiktok(struct run_ctx *rc, orders_stage_fn stage, struct err *e);
int fetch_shopify_for_orders(struct run_ctx *rc, struct err *e);
int resolve_inputs(struct run_ctx *rc, int for_orders, struct err *e);
int refetch_items(struct run_ctx *rc, struct err *e);
/* Mark the orders whose light Shopify picture is not enough (want_detail);
 * read them asynchronously, calling `then` for each as it arrives. With
 * only_pulls, just the TikTok-shipping orders with a package to pull
 * (read before the Shopify window: they need the full picture anyway). */
int fetch_mark_details(struct run_ctx *rc, int only_pulls);
typedef void (*detail_then_fn)(struct run_ctx *rc, struct work_item *w, void *arg);
int fetch_details_async(struct run_ctx *rc, detail_then_fn then, void *arg,
			struct err *e);
/* The Shopify window (scheduled runs), [cursor - overlap, run start);
 * `hook` (may be NULL) runs for each of our orders as its page arrives. */
int fetch_shopify_window(struct run_ctx *rc, detail_then_fn hook, void *hook_arg,
			 struct err *e);
int fetch_providers(struct run_ctx *rc, int check_rules, struct err *e);
/* A seller-shipping order known here only from its stored snapshot, with
 * something to ship (or re-track) on TikTok: TikTok advises reading it
 * again first (a pending cancel request does not move update_time). */
int work_wants_tt_refresh(const struct work_item *w);
/* Read these orders again from TikTok (Get Order Detail, at most 50 ids)
 * without waiting: as the answer arrives each is recorded (fresh) and
 * `then` runs for it - also when the read failed or left it out, on its
 * snapshot. Marks them tt_refreshing until then. */
int fetch_refresh_async(struct run_ctx *rc, char **ids, size_t n,
			detail_then_fn then, void *arg, struct err *e);
/* Read again from TikTok the seller-shipping orders known only from their
 * snapshot that have something to push (a pending cancel request does not
 * move TikTok's update_time). */
void fetch_refresh_before_push(struct run_ctx *rc);
int apply_orders(struct run_ctx *rc, struct err *e);
int apply_fulfillments(struct run_ctx *rc, struct err *e);
int run_report(struct run_ctx *rc, int exit_code, char **dir_out,
	       struct err *e);

/* Working-set helpers (fetch.c). */
struct work_item *work_find(struct run_ctx *rc, const char *tt_id);
struct work_item *work_add(struct run_ctx *rc, const char *tt_id);
const struct tt_provider_list *work_providers(struct run_ctx *rc,
					       const char *delivery_option_id);
void work_free_all(struct run_ctx *rc);
/* Fill a plan_order from an item. */
void work_to_plan(struct run_ctx *rc, struct work_item *w,
		  struct plan_order *po);

/* Map an err class to the documented exit code. */
int exit_code_for(const struct err *e);

#endif

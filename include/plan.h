/*
 * plan.h - the pure heart of a run: (remote state, snapshot, settings) ->
 * actions. No network, no SQLite, no clock: `now` is a setting. Tested
 * case by case in tests/unit/check_plan.c.
 *
 * plan_orders() decides, per TikTok order: skip (and why), leave not
 * synced (automatic sync off), fail (and why), create in Shopify, or
 * cancel in Shopify (TikTok cancelled it after we created it).
 * plan_fulfillments() decides, per linked order: push Shopify fulfillments
 * to TikTok (seller shipping), update tracking once within 72 h, pull
 * TikTok packages into Shopify fulfillments (TikTok shipping), mirror
 * in-transit / delivered, or fail (and why).
 *
 * Every decision, including "nothing to do" failures that are re-stated,
 * is an action: apply.c executes the remote ones through intents and
 * records the rest; report.c lists them.
 */
#ifndef TTSYNC_PLAN_H
#define TTSYNC_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include "common.h"
#include "config.h"
#include "mapping.h"
#include "model.h"
#include "reasons.h"
#include "state.h"

/* Everything known about one order when planning. */
struct plan_order {
	const struct tt_order *tt;	/* TikTok's view (fresh or from the snapshot); never NULL */
	const struct order_rec *rec;	/* our state for it; never NULL (snapshot stored first) */
	const struct sh_order *sh;	/* Shopify's view when linked and read this run, else NULL */
	const struct unit_map *units;	/* TikTok unit -> Shopify line item */
	size_t nunits;
	const struct ful_rec *fuls;	/* fulfillment records of this order */
	size_t nfuls;
	const struct tt_provider_list *providers; /* for tt->delivery_option_id, or NULL if unknown */
	const struct sku_resolution *skus;	/* one per distinct TikTok SKU of the order */
	size_t nskus;
	int selected;		/* named by a manual sync: retry even RETRY_PERSON failures */
	int create_intent_open;	/* an order_create intent is PENDING/UNKNOWN: resolve it */
	const char *tiktok_order_url;
};

struct plan_settings {
	const struct config *cfg;
	int64_t now;
	int orders_enabled;	/* order sync runs (auto setting, or a manual order sync) */
	int orders_auto;	/* automatic order sync: all eligible not-synced orders */
	int fulfillments_enabled;
	int fulfillments_auto;
};

enum action_kind {
	ACT_ORDER_RECORD = 1,	/* set the order's status/reason; no remote call */
	ACT_ORDER_CREATE,	/* look up in Shopify, link if there, else orderCreate */
	ACT_ORDER_CANCEL,	/* orderCancel in Shopify */
	ACT_FUL_RECORD,		/* set a fulfillment record's status/reason; no call */
	ACT_SHIP_PACKAGE,	/* TikTok Mark Package As Shipped */
	ACT_UPDATE_SHIPPING,	/* TikTok package shipping_info/update */
	ACT_FULFILLMENT_CREATE,	/* Shopify fulfillmentCreate from a TikTok package */
	ACT_FULFILLMENT_EVENT,	/* Shopify fulfillmentEventCreate */
};
const char *action_kind_name(enum action_kind k);	/* "create_order", "ship_package", ... (report column `action`) */

struct action {
	enum action_kind kind;
	char *tt_order_id;
	/* Outcome to record (RECORD kinds), or the status to record when a
	 * remote action fails before being sent. */
	enum sync_status status;
	char *reason_code, *reason;	/* reason: sentence naming the value */
	char *remedy;		/* remedy naming the value (SKU ...), or NULL: the
				 * reason table's general remedy applies */
	enum retry_class retry;
	int alert;		/* red item at the top of the report (cancelled after fulfillment, ...) */

	/* ACT_ORDER_CREATE */
	struct sh_order_input *order;
	int resume;		/* an earlier attempt's outcome is unknown */

	/* ACT_ORDER_CANCEL */
	char *sh_order_id;

	/* fulfillment actions: the record key and the record as it should be
	 * stored if the action succeeds (tracking, carrier, provider, units,
	 * package id, counters). */
	char *ful_key;
	struct ful_rec *ful;

	/* ACT_SHIP_PACKAGE / ACT_UPDATE_SHIPPING */
	char *tracking_number, *provider_id, *provider_name, *package_id;
	char **tt_line_ids;
	size_t ntt_line_ids;

	/* ACT_FULFILLMENT_CREATE */
	struct sh_fulfillment_input *fulfillment;

	/* ACT_FULFILLMENT_EVENT */
	char *sh_fulfillment_id;
	char *event_status;	/* "IN_TRANSIT" / "DELIVERED" */
	int event_bit;		/* FUL_EVENT_* */
	int64_t happened_at;
};

struct action_list {
	struct action *v;
	size_t n, cap;
};
void action_list_init(struct action_list *l);
void action_list_free(struct action_list *l);
struct action *action_list_add(struct action_list *l, enum action_kind k,
			       const char *tt_order_id);

int plan_orders(const struct plan_order *v, size_t n,
		const struct plan_settings *s, struct action_list *out,
		struct err *e);
int plan_fulfillments(const struct plan_order *v, size_t n,
		      const struct plan_settings *s, struct action_list *out,
		      struct err *e);

/* Eligibility alone (used by status and reports): 0 eligible, else the
 * SKIP_* reason code. */
const char *plan_skip_reason(const struct tt_order *o);

#endif

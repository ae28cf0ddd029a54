/*
 * plan.c - the decisions of a run: (what TikTok shows, what Shopify shows,
 * what the state remembers, the settings) -> a list of actions. Pure: no
 * network, no SQLite, no clock (`now` comes in the settings). apply.c
 * executes the remote actions through intents and stores the records;
 * report.c lists them. Owns the action lists it builds.
 *
 * Orders (plan_orders), per TikTok order, in create-time order:
 *   - order sync off for this command (orders_enabled == 0): nothing;
 *   - linked to a Shopify order: mirror a TikTok cancellation (cancel in
 *     Shopify when nothing is fulfilled and cancel_in_shopify is on; else
 *     a red report item, once), report line-level cancellations once;
 *   - an orderCreate whose answer was lost (create_intent_open): create
 *     again with resume = 1 (apply.c looks the order up first), even when
 *     automatic sync is off: finish what was started;
 *   - not eligible: skipped with the reason (FBT, unpaid, on hold,
 *     cancelled before sync); an unknown TikTok status is skipped too and
 *     re-examined every run;
 *   - automatic sync off and not selected: Not synced (AUTO_SYNC_OFF), but
 *     an earlier failure is kept, not overwritten;
 *   - a failure that needs a person (RETRY_PERSON) waits for a manual sync;
 *   - a pending buyer cancellation request holds the order: failed,
 *     CANCEL_REQUEST_PENDING, retried by the next run (RETRY_AUTO): creating
 *     an order TikTok is about to cancel would only make work;
 *   - else map_order(): create, or fail with the mapper's reason.
 *
 * Fulfillments (plan_fulfillments), per linked order that Shopify was read
 * for, neither unpaid nor on hold. At most one action per fulfillment key
 * per plan (apply.c stores each action's record; two would overwrite each
 * other): a tracking change or its failure comes before delivery events,
 * which follow on the next run or round.
 *   - seller shipping: each successful Shopify fulfillment ("push:<gid>")
 *     is shipped on TikTok with exactly its units, or recorded as already
 *     there (our tracking found on TikTok after a lost answer), or fails
 *     with the first reason found; a later tracking change in Shopify is
 *     sent once within 72 h of shipment;
 *   - TikTok shipping: each TikTok package with tracking ("pull:<id>")
 *     becomes a Shopify fulfillment of the matching fulfillment-order
 *     lines, or is recorded as already there; a Shopify fulfillment that
 *     is none of TikTok's packages fails WRONG_SHIPPING_TYPE, once;
 *   - both: in transit / delivered become fulfillment events, once each.
 * A "shipped" push record is one TikTok accepted: status synced or a
 * package id recorded; such a record is never shipped again, whatever
 * failure a later tracking change left on it.
 */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

/* TikTok US lets the tracking number change once, within 72 h of shipment. */
#define TRACKING_UPDATE_WINDOW_SECONDS (72 * 3600)
#define TRACKING_UPDATES_ALLOWED 1

/* ---- the action list --------------------------------------------------- */

const char *action_kind_name(enum action_kind k)
{
	switch (k) {
	case ACT_ORDER_RECORD:
		return "record_order";
	case ACT_ORDER_CREATE:
		return "create_order";
	case ACT_ORDER_CANCEL:
		return "cancel_order";
	case ACT_FUL_RECORD:
		return "record_fulfillment";
	case ACT_SHIP_PACKAGE:
		return "ship_package";
	case ACT_UPDATE_SHIPPING:
		return "update_tracking";
	case ACT_FULFILLMENT_CREATE:
		return "create_fulfillment";
	case ACT_FULFILLMENT_EVENT:
		return "fulfillment_event";
	}
	return "none";
}

void action_list_init(struct action_list *l)
{
	memset(l, 0, sizeof(*l));
}

static void action_free(struct action *a)
{
	free(a->tt_order_id);
	free(a->reason_code);
	free(a->reason);
	free(a->remedy);
	if (a->order != NULL) {
		sh_order_input_free(a->order);
		free(a->order);
	}
	free(a->sh_order_id);
	free(a->ful_key);
	if (a->ful != NULL) {
		ful_rec_free(a->ful);
		free(a->ful);
	}
	free(a->tracking_number);
	free(a->provider_id);
	free(a->provider_name);
	free(a->package_id);
	str_free_array(a->tt_line_ids, a->ntt_line_ids);
	if (a->fulfillment != NULL) {
		sh_fulfillment_input_free(a->fulfillment);
		free(a->fulfillment);
	}
	free(a->sh_fulfillment_id);
	free(a->event_status);
}

void action_list_free(struct action_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		action_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

struct action *action_list_add(struct action_list *l, enum action_kind k,
			       const char *tt_order_id)
{
	struct action *a;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	a = &l->v[l->n++];
	memset(a, 0, sizeof(*a));
	a->kind = k;
	a->tt_order_id = tt_order_id ? xstrdup(tt_order_id) : NULL;
	return a;
}

/* ---- small helpers ----------------------------------------------------- */

static int empty(const char *s)
{
	return s == NULL || *s == '\0';
}

static int str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static char *xdup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static char **dup_ids(char *const *v, size_t n)
{
	char **d;
	size_t i;

	if (n == 0)
		return NULL;
	d = xcalloc(n, sizeof(*d));
	for (i = 0; i < n; i++)
		d[i] = xdup(v[i]);
	return d;
}

static enum retry_class retry_of(const char *code, enum retry_class dflt)
{
	const struct reason *r = reason_lookup(code);

	return r ? r->retry : dflt;
}

static void set_outcome(struct action *a, enum sync_status st,
			const char *code, const char *reason,
			enum retry_class retry)
{
	a->status = st;
	free(a->reason_code);
	free(a->reason);
	a->reason_code = xdup(code);
	a->reason = xdup(reason);
	a->retry = retry;
}

static const char *order_label(const struct order_rec *r)
{
	return !empty(r->sh_name) ? r->sh_name
	       : !empty(r->sh_gid) ? r->sh_gid : "(unknown)";
}

/* The orders of v sorted by TikTok create time, then id. */
static const struct plan_order *const *sorted_orders(const struct plan_order *v,
						     size_t n)
{
	const struct plan_order **s = xcalloc(n ? n : 1, sizeof(*s));
	size_t i, j;

	for (i = 0; i < n; i++) {
		const struct plan_order *p = &v[i];

		/* insertion sort: stable, n is one run's window */
		for (j = i; j > 0; j--) {
			const struct tt_order *a = s[j - 1]->tt, *b = p->tt;

			if (a->create_time < b->create_time ||
			    (a->create_time == b->create_time &&
			     tt_id_cmp(a->id, b->id) <= 0))
				break;
			s[j] = s[j - 1];
		}
		s[j] = p;
	}
	return s;
}

/* ---- eligibility ------------------------------------------------------- */

const char *plan_skip_reason(const struct tt_order *o)
{
	if (o->fulfillment_type != NULL &&
	    strcmp(o->fulfillment_type, "FULFILLMENT_BY_SELLER") != 0)
		return "SKIP_FBT";
	switch (o->status) {
	case TT_CANCELLED:
		return "SKIP_CANCELLED_BEFORE_SYNC";
	case TT_UNPAID:
		return "SKIP_UNPAID";
	case TT_ON_HOLD:
		return "SKIP_ON_HOLD";
	default:
		return NULL;
	}
}

static char *skip_sentence(const struct tt_order *o, const char *code)
{
	if (strcmp(code, "SKIP_FBT") == 0)
		return xasprintf("TikTok order %s is fulfilled by TikTok (%s); "
				 "ttsync imports Fulfilled-by-Seller orders only",
				 o->id, o->fulfillment_type);
	if (strcmp(code, "SKIP_CANCELLED_BEFORE_SYNC") == 0)
		return xasprintf("TikTok order %s was cancelled before it was "
				 "synced%s%s", o->id,
				 empty(o->cancel_reason) ? "" : ": ",
				 empty(o->cancel_reason) ? "" : o->cancel_reason);
	if (strcmp(code, "SKIP_UNPAID") == 0)
		return xasprintf("TikTok order %s is not paid yet; it is synced "
				 "once it reaches Awaiting shipment", o->id);
	return xasprintf("TikTok order %s is on hold; it is synced once it "
			 "reaches Awaiting shipment", o->id);
}

/* ---- orders ------------------------------------------------------------ */

static void order_record(struct action_list *out, const struct plan_order *p,
			 enum sync_status st, const char *code,
			 const char *reason, enum retry_class retry, int alert)
{
	struct action *a = action_list_add(out, ACT_ORDER_RECORD, p->tt->id);

	set_outcome(a, st, code, reason, retry);
	a->alert = alert;
}

static int any_fulfilled(const struct sh_order *sh, const char **name)
{
	size_t i;

	for (i = 0; i < sh->nfulfillments; i++)
		if (str_eq(sh->fulfillments[i].status, "SUCCESS")) {
			*name = sh->fulfillments[i].name
					? sh->fulfillments[i].name
					: sh->fulfillments[i].id;
			return 1;
		}
	return 0;
}

static void plan_cancelled_linked(const struct plan_order *p,
				  const struct plan_settings *s,
				  struct action_list *out)
{
	const struct tt_order *tt = p->tt;
	const struct order_rec *rec = p->rec;
	const char *ful_name = NULL;
	char *why = NULL;
	struct action *a;

	if (rec->cancel_state != 0)
		return;
	/* Recorded already (apply.c does not store cancel_state for every
	 * outcome): once is enough. */
	if (str_eq(rec->reason_code, "CANCELLED_AFTER_FULFILLMENT") ||
	    str_eq(rec->reason_code, "ORDER_CANCELLED"))
		return;
	/* Without this run's picture of the Shopify order we cannot tell
	 * whether something shipped: wait for it. */
	if (p->sh == NULL)
		return;
	if (p->sh->cancelled_at != 0) {
		why = xasprintf("TikTok cancelled order %s; Shopify order %s is "
				"cancelled too", tt->id, order_label(rec));
		order_record(out, p, SYNC_SYNCED, "ORDER_CANCELLED", why,
			     RETRY_NONE, 0);
	} else if (any_fulfilled(p->sh, &ful_name)) {
		char *cause = empty(tt->cancel_reason)
				      ? xstrdup("")
				      : xasprintf(" (%s)", tt->cancel_reason);

		why = xasprintf("TikTok cancelled order %s%s after Shopify order "
				"%s was fulfilled (%s); it was not cancelled in "
				"Shopify", tt->id, cause, order_label(rec),
				ful_name);
		free(cause);
		order_record(out, p, SYNC_FAILED, "CANCELLED_AFTER_FULFILLMENT",
			     why, retry_of("CANCELLED_AFTER_FULFILLMENT",
					   RETRY_PERSON), 1);
	} else if (!s->cfg->cancel_in_shopify) {
		why = xasprintf("TikTok cancelled order %s; cancel_in_shopify is "
				"off, so Shopify order %s was left open",
				tt->id, order_label(rec));
		order_record(out, p, SYNC_SYNCED, "ORDER_CANCELLED", why,
			     RETRY_NONE, 1);
	} else {
		why = xasprintf("TikTok cancelled order %s: cancel Shopify order "
				"%s (restock, no refund)", tt->id,
				order_label(rec));
		a = action_list_add(out, ACT_ORDER_CANCEL, tt->id);
		a->sh_order_id = xstrdup(rec->sh_gid);
		set_outcome(a, SYNC_FAILED, "SHOPIFY_CANCEL_FAILED", why,
			    retry_of("SHOPIFY_CANCEL_FAILED", RETRY_AUTO));
	}
	free(why);
}

static int unit_in_map(const struct plan_order *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->nunits; i++)
		if (str_eq(p->units[i].tt_line_id, id))
			return 1;
	return 0;
}

static void plan_line_cancels(const struct plan_order *p,
			      struct action_list *out)
{
	const struct tt_order *tt = p->tt;
	struct strbuf sb = STRBUF_INIT;
	char *why;
	size_t i, n = 0;

	for (i = 0; i < tt->nlines; i++) {
		const struct tt_line *l = &tt->lines[i];

		if (!tt_line_is_cancelled(tt, l))
			continue;
		/* A unit cancelled before the order was created never made
		 * it into Shopify: nothing to tell. */
		if (p->nunits > 0 && !unit_in_map(p, l->id))
			continue;
		sb_addf(&sb, "%s%s%s%s%s%s (item %s)", n ? ", " : "",
			l->product_name ? l->product_name : "item",
			empty(l->sku_name) ? "" : " / ",
			empty(l->sku_name) ? "" : l->sku_name,
			empty(l->seller_sku) ? "" : ", SKU ",
			empty(l->seller_sku) ? "" : l->seller_sku, l->id);
		n++;
	}
	if (n > 0) {
		why = xasprintf("TikTok cancelled %zu unit%s of order %s after "
				"it was created in Shopify as %s: %s", n,
				n == 1 ? "" : "s", tt->id, order_label(p->rec),
				sb.buf);
		/* Once per distinct set of cancelled units. */
		if (!(str_eq(p->rec->reason_code, "LINE_CANCELLED") &&
		      str_eq(p->rec->reason, why)))
			order_record(out, p, p->rec->status, "LINE_CANCELLED",
				     why, retry_of("LINE_CANCELLED",
						   RETRY_PERSON), 1);
		free(why);
	}
	sb_free(&sb);
}

static void plan_linked_order(const struct plan_order *p,
			      const struct plan_settings *s,
			      struct action_list *out)
{
	if (p->rec->status == SYNC_FAILED && p->rec->retry == RETRY_PERSON &&
	    !p->selected)
		return;
	if (p->tt->status == TT_CANCELLED)
		plan_cancelled_linked(p, s, out);
	else
		plan_line_cancels(p, out);
}

/* Quote a value for a shell command line the merchant may paste. */
static char *shell_quote(const char *v)
{
	struct strbuf sb = STRBUF_INIT;

	sb_add(&sb, "'");
	for (; v && *v; v++) {
		if (*v == '\'')
			sb_add(&sb, "'\\''");
		else
			sb_addn(&sb, v, 1);
	}
	sb_add(&sb, "'");
	return sb_detach(&sb);
}

/* The remedy of a SKU failure, naming the SKU and the command to run. The
 * first unresolved SKU of the order is the one map_order() failed on. */
static char *sku_remedy(const struct plan_order *p, const struct plan_settings *s,
			const char *code)
{
	const char *cfg = s->cfg && s->cfg->path ? s->cfg->path : "FILE";
	const struct sku_resolution *r = NULL;
	enum sku_res_kind want;
	char *q_cfg, *q_sku, *out = NULL;
	size_t i;

	if (strcmp(code, "SKU_NOT_LINKED") == 0)
		want = SKU_RES_NONE;
	else if (strcmp(code, "SKU_AMBIGUOUS") == 0)
		want = SKU_RES_AMBIGUOUS;
	else if (strcmp(code, "SKU_MISSING") == 0)
		want = SKU_RES_NO_SKU;
	else
		return NULL;
	for (i = 0; i < p->nskus && r == NULL; i++)
		if (p->skus[i].kind == want)
			r = &p->skus[i];
	if (r == NULL)
		return NULL;
	q_cfg = shell_quote(cfg);
	q_sku = shell_quote(want == SKU_RES_NO_SKU ? r->tt_sku_id : r->seller_sku);
	switch (want) {
	case SKU_RES_NONE:
		out = xasprintf("Link TikTok SKU \"%s\" to its Shopify variant: "
				"ttsync link --config %s --tiktok-sku %s --variant GID "
				"(or give that variant the SKU \"%s\" in Shopify), then "
				"run again.", r->seller_sku ? r->seller_sku : "", q_cfg,
				q_sku, r->seller_sku ? r->seller_sku : "");
		break;
	case SKU_RES_AMBIGUOUS:
		out = xasprintf("SKU \"%s\" is on %zu Shopify variants: make it "
				"unique in Shopify, or pick one: ttsync link --config %s "
				"--tiktok-sku %s --variant %s, then run again.",
				r->seller_sku ? r->seller_sku : "", r->ncandidates, q_cfg,
				q_sku, r->ncandidates ? "<one of the variants in the reason>"
						      : "GID");
		break;
	default:
		out = xasprintf("TikTok SKU id %s has no seller SKU: give it the SKU "
				"of its Shopify variant in TikTok Seller Center, or link it: "
				"ttsync link --config %s --tiktok-sku-id %s --variant GID, "
				"then run again.", r->tt_sku_id ? r->tt_sku_id : "", q_cfg,
				q_sku);
		break;
	}
	free(q_cfg);
	free(q_sku);
	return out;
}

static int plan_one_order(const struct plan_order *p,
			  const struct plan_settings *s,
			  struct action_list *out, struct err *e)
{
	const struct tt_order *tt = p->tt;
	const struct order_rec *rec = p->rec;
	struct map_ctx ctx;
	struct sh_order_input *in = NULL;
	struct action *a;
	struct err me;
	const char *skip;
	char *why = NULL;

	if (!empty(rec->sh_gid)) {
		plan_linked_order(p, s, out);
		return 0;
	}
	skip = plan_skip_reason(tt);
	if (skip != NULL) {
		/* An open create intent on an order that is no longer
		 * eligible is not resumed: creating it could make a
		 * cancelled order. The skip is recorded instead. */
		why = skip_sentence(tt, skip);
		order_record(out, p, SYNC_SKIPPED, skip, why,
			     strcmp(skip, "SKIP_UNPAID") == 0 ||
				     strcmp(skip, "SKIP_ON_HOLD") == 0
			     ? RETRY_WAIT : RETRY_NONE, 0);
		free(why);
		return 0;
	}
	if (tt->status == TT_STATUS_UNKNOWN) {
		why = xasprintf("TikTok order %s has status \"%s\", which ttsync "
				"does not know; it is examined again on every "
				"run", tt->id, tt->status_str ? tt->status_str : "");
		order_record(out, p, SYNC_SKIPPED, "ORDER_DATA_INVALID", why,
			     RETRY_WAIT, 0);
		free(why);
		return 0;
	}
	if (!p->create_intent_open) {
		if (!s->orders_auto && !p->selected) {
			if (rec->status == SYNC_FAILED)
				return 0;	/* keep the failure and its reason */
			why = xasprintf("automatic order sync is off: TikTok order "
					"%s waits for a manual sync", tt->id);
			order_record(out, p, SYNC_NOT_SYNCED, "AUTO_SYNC_OFF", why,
				     retry_of("AUTO_SYNC_OFF", RETRY_PERSON), 0);
			free(why);
			return 0;
		}
		if (rec->status == SYNC_FAILED && rec->retry == RETRY_PERSON &&
		    !p->selected)
			return 0;
		if (tt->is_buyer_request_cancel) {
			why = xasprintf("the buyer asked TikTok to cancel order %s; "
					"it is created in Shopify if the request "
					"is rejected", tt->id);
			order_record(out, p, SYNC_FAILED, "CANCEL_REQUEST_PENDING",
				     why, RETRY_AUTO, 0);
			free(why);
			return 0;
		}
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = s->cfg;
	ctx.skus = p->skus;
	ctx.nskus = p->nskus;
	ctx.tiktok_order_url = p->tiktok_order_url;
	err_clear(&me);
	in = xcalloc(1, sizeof(*in));
	if (map_order(tt, &ctx, in, &me) != 0) {
		free(in);
		if (me.code[0] == '\0')
			return err_set(e, ERR_DATA, "PLATFORM_ERROR",
				       "mapping TikTok order %s failed: %s",
				       tt->id, me.msg);
		/* A resumed create whose mapping fails now is recorded; the
		 * intent stays open and the create resumes (after a lookup)
		 * once the cause is fixed. */
		order_record(out, p, SYNC_FAILED, me.code, me.msg,
			     retry_of(me.code, RETRY_AFTER_FIX), 0);
		out->v[out->n - 1].remedy = sku_remedy(p, s, me.code);
		return 0;
	}
	a = action_list_add(out, ACT_ORDER_CREATE, tt->id);
	a->order = in;
	a->resume = p->create_intent_open != 0;
	why = xasprintf("create TikTok order %s in Shopify", tt->id);
	set_outcome(a, SYNC_FAILED, NULL, why, RETRY_AUTO);
	free(why);
	return 0;
}

int plan_orders(const struct plan_order *v, size_t n,
		const struct plan_settings *s, struct action_list *out,
		struct err *e)
{
	const struct plan_order *const *sorted;
	size_t i;
	int ret = 0;

	if (!s->orders_enabled || n == 0)
		return 0;
	sorted = sorted_orders(v, n);
	for (i = 0; i < n && ret == 0; i++)
		ret = plan_one_order(sorted[i], s, out, e);
	free((void *)sorted);
	return ret;
}

/* ---- fulfillment records ----------------------------------------------- */

static struct ful_rec *ful_dup(const struct ful_rec *r)
{
	struct ful_rec *d = xcalloc(1, sizeof(*d));

	*d = *r;
	d->key = xdup(r->key);
	d->tt_order_id = xdup(r->tt_order_id);
	d->sh_fulfillment_id = xdup(r->sh_fulfillment_id);
	d->tt_package_id = xdup(r->tt_package_id);
	d->tracking_number = xdup(r->tracking_number);
	d->carrier = xdup(r->carrier);
	d->provider_id = xdup(r->provider_id);
	d->provider_name = xdup(r->provider_name);
	d->tt_line_ids = dup_ids(r->tt_line_ids, r->ntt_line_ids);
	d->reason_code = xdup(r->reason_code);
	d->reason = xdup(r->reason);
	d->remedy = xdup(r->remedy);
	d->warning = xdup(r->warning);
	return d;
}

static struct ful_rec *ful_fresh(const char *key, enum ful_direction dir,
				 const char *tt_id)
{
	struct ful_rec *f = xcalloc(1, sizeof(*f));

	f->key = xstrdup(key);
	f->dir = dir;
	f->tt_order_id = xdup(tt_id);
	return f;
}

static void set_str(char **dst, const char *src)
{
	char *v = xdup(src);

	free(*dst);
	*dst = v;
}

static void ful_set_ids(struct ful_rec *f, char *const *ids, size_t n)
{
	str_free_array(f->tt_line_ids, f->ntt_line_ids);
	f->tt_line_ids = dup_ids(ids, n);
	f->ntt_line_ids = n;
}

static void ful_set_outcome(struct ful_rec *f, enum sync_status st,
			    const char *code, const char *reason,
			    enum retry_class retry, int64_t now)
{
	f->status = st;
	set_str(&f->reason_code, code);
	set_str(&f->reason, reason);
	set_str(&f->remedy, NULL);
	f->retry = retry;
	f->updated_at = now;
}

static const struct ful_rec *find_ful(const struct plan_order *p,
				      const char *key)
{
	size_t i;

	for (i = 0; i < p->nfuls; i++)
		if (str_eq(p->fuls[i].key, key))
			return &p->fuls[i];
	return NULL;
}

static int ful_shipped(const struct ful_rec *r)
{
	return r->status == SYNC_SYNCED || !empty(r->tt_package_id);
}

static const struct tt_line *tt_line_by_id(const struct tt_order *o,
					   const char *id)
{
	size_t i;

	for (i = 0; i < o->nlines; i++)
		if (str_eq(o->lines[i].id, id))
			return &o->lines[i];
	return NULL;
}

/* ---- fulfillments: shared per-order context ---------------------------- */

struct ful_ctx {
	const struct plan_order *p;
	const struct plan_settings *s;
	struct action_list *out;
	int want;			/* automatic, or the order was selected */
	const struct tracking_format *fmts;
	size_t nfmts;
	char **taken;			/* push: TikTok units already shipped or planned */
	size_t ntaken, cap;
	struct sh_order budget;		/* pull: FO quantities left (shallow copy) */
};

static void taken_add(struct ful_ctx *c, char *const *ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (c->ntaken == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 16;
			c->taken = xrealloc(c->taken, c->cap * sizeof(*c->taken));
		}
		c->taken[c->ntaken++] = xdup(ids[i]);
	}
}

/* Record a fulfillment outcome; takes ownership of f. */
static void ful_record(struct ful_ctx *c, struct ful_rec *f,
		       enum sync_status st, const char *code,
		       const char *reason, enum retry_class retry)
{
	struct action *a = action_list_add(c->out, ACT_FUL_RECORD,
					   c->p->tt->id);

	ful_set_outcome(f, st, code, reason, retry, c->s->now);
	set_outcome(a, st, code, reason, retry);
	a->ful_key = xstrdup(f->key);
	a->sh_fulfillment_id = xdup(f->sh_fulfillment_id);
	a->package_id = xdup(f->tt_package_id);
	a->ful = f;
}

static int shopify_shows(const char *display_status, int bit)
{
	static const char *const transit_or_later[] = {
		"IN_TRANSIT", "OUT_FOR_DELIVERY", "ATTEMPTED_DELIVERY",
		"DELIVERED",
	};
	size_t i;

	if (display_status == NULL)
		return 0;
	if (bit == FUL_EVENT_DELIVERED)
		return strcmp(display_status, "DELIVERED") == 0;
	for (i = 0; i < ARRAY_SIZE(transit_or_later); i++)
		if (strcmp(display_status, transit_or_later[i]) == 0)
			return 1;
	return 0;
}

static int line_delivered(const char *st)
{
	return str_eq(st, "DELIVERED") || str_eq(st, "COMPLETED");
}

static int line_in_transit(const char *st)
{
	return str_eq(st, "IN_TRANSIT") || line_delivered(st);
}

static int units_all(const struct tt_order *o, const struct ful_rec *r,
		     int (*pred)(const char *))
{
	size_t i;

	if (r->ntt_line_ids == 0)
		return 0;
	for (i = 0; i < r->ntt_line_ids; i++) {
		const struct tt_line *l = tt_line_by_id(o, r->tt_line_ids[i]);

		if (l == NULL || !pred(l->display_status))
			return 0;
	}
	return 1;
}

/* In transit / delivered on TikTok -> the Shopify fulfillment's event. */
static void plan_events(struct ful_ctx *c, const struct ful_rec *rec,
			const struct sh_fulfillment *f)
{
	const struct tt_order *tt = c->p->tt;
	struct action *a;
	struct ful_rec *nf;
	int delivered, transit, bit;
	int64_t at;

	if (!c->want || f == NULL || !str_eq(f->status, "SUCCESS"))
		return;
	delivered = units_all(tt, rec, line_delivered) ||
		    tt->status == TT_DELIVERED || tt->status == TT_COMPLETED;
	transit = delivered || units_all(tt, rec, line_in_transit) ||
		  tt->status == TT_IN_TRANSIT;
	if (delivered && !(rec->events_sent & FUL_EVENT_DELIVERED)) {
		bit = FUL_EVENT_DELIVERED;
		at = tt->delivery_time;
	} else if (transit && !(rec->events_sent &
				(FUL_EVENT_IN_TRANSIT | FUL_EVENT_DELIVERED))) {
		bit = FUL_EVENT_IN_TRANSIT;
		at = tt->collection_time;
	} else {
		return;
	}
	nf = ful_dup(rec);
	nf->events_sent |= bit;
	if (shopify_shows(f->display_status, bit)) {
		/* Shopify knows already (its carrier tracking): remember
		 * it, send nothing. */
		char *r = xdup(rec->reason), *code = xdup(rec->reason_code);

		ful_record(c, nf, rec->status, code, r, rec->retry);
		free(r);
		free(code);
		return;
	}
	a = action_list_add(c->out, ACT_FULFILLMENT_EVENT, tt->id);
	set_outcome(a, rec->status, rec->reason_code, rec->reason, rec->retry);
	a->ful_key = xstrdup(rec->key);
	a->ful = nf;
	a->sh_fulfillment_id = xstrdup(f->id);
	a->event_status = xstrdup(bit == FUL_EVENT_DELIVERED ? "DELIVERED"
							     : "IN_TRANSIT");
	a->event_bit = bit;
	a->happened_at = at;
	a->package_id = xdup(rec->tt_package_id);
	a->tracking_number = xdup(rec->tracking_number);
}

static const struct sh_fulfillment *sh_fulfillment_by_id(const struct sh_order *o,
							 const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < o->nfulfillments; i++)
		if (str_eq(o->fulfillments[i].id, id))
			return &o->fulfillments[i];
	return NULL;
}

static const char *ful_tracking(const struct sh_fulfillment *f,
				const char **company)
{
	*company = f->ntracking > 0 ? f->tracking[0].company : NULL;
	return f->ntracking > 0 ? f->tracking[0].number : NULL;
}

/* PERSON failures wait for a manual sync (the order named by the merchant). */
static int person_blocked(const struct ful_ctx *c, const struct ful_rec *rec)
{
	return rec != NULL && rec->retry == RETRY_PERSON &&
	       rec->reason_code != NULL && !c->p->selected;
}

/* ---- seller shipping: Shopify -> TikTok -------------------------------- */

/* The tracking number TikTok shows for all of a record's units, or NULL
 * when the units disagree or show none. */
static const char *tiktok_tracking(const struct tt_order *tt,
				   const struct ful_rec *rec)
{
	const char *num = NULL;
	size_t i;

	for (i = 0; i < rec->ntt_line_ids; i++) {
		const struct tt_line *l = tt_line_by_id(tt, rec->tt_line_ids[i]);

		if (l == NULL || empty(l->tracking_number))
			return NULL;
		if (num != NULL && strcmp(num, l->tracking_number) != 0)
			return NULL;
		num = l->tracking_number;
	}
	return num;
}

/* A shipped push record as TikTok has it: the tracking number in force
 * and the number of accepted changes. The record is kept by apply.c from
 * what it sent; TikTok's lines settle what it cannot know:
 *  - TikTok shows Shopify's number, the record an older one: a change
 *    landed whose answer was lost; it counts;
 *  - TikTok shows another number than the record and the record carries
 *    a failure: the change the record names failed or was lost and did
 *    not land (apply.c stores the attempted record with the failure); it
 *    does not count;
 *  - a clean record TikTok does not match yet: TikTok's read lags; the
 *    record wins. */
struct shipped_view {
	const char *tracking;
	int updates;
};

static void shipped_view(const struct tt_order *tt, const struct ful_rec *rec,
			 const char *shopify_number, struct shipped_view *v)
{
	const char *on_tt = tiktok_tracking(tt, rec);

	v->tracking = rec->tracking_number;
	v->updates = rec->tracking_updates;
	if (on_tt == NULL || str_eq(on_tt, rec->tracking_number))
		return;
	if (str_eq(on_tt, shopify_number)) {
		v->tracking = on_tt;
		v->updates = rec->tracking_updates + 1;
	} else if (rec->reason_code != NULL) {
		v->tracking = on_tt;
		if (v->updates > 0)
			v->updates--;
	}
}

static void push_tracking_changed(struct ful_ctx *c,
				  const struct sh_fulfillment *f,
				  const struct ful_rec *rec,
				  const struct shipped_view *v,
				  const char *number, const char *company)
{
	const struct tt_order *tt = c->p->tt;
	const char *fname = f->name ? f->name : f->id;
	const char *was = v->tracking ? v->tracking : "";
	const struct tt_provider *prov = NULL;
	struct action *a;
	struct ful_rec *nf;
	struct err e;
	int64_t base;
	char *why = NULL;

	nf = ful_dup(rec);
	set_str(&nf->tracking_number, v->tracking);
	nf->tracking_updates = v->updates;
	if (v->updates >= TRACKING_UPDATES_ALLOWED) {
		why = xasprintf("the tracking number of Shopify fulfillment %s "
				"changed from %s to %s, but TikTok allows one "
				"change and it was used", fname, was, number);
		ful_record(c, nf, SYNC_FAILED, "TRACKING_UPDATE_ONCE", why,
			   RETRY_PERSON);
		goto cleanup;
	}
	base = rec->shipped_at > 0 ? rec->shipped_at : tt->rts_time;
	if (base > 0 && c->s->now > base + TRACKING_UPDATE_WINDOW_SECONDS) {
		char when[32] = "", deadline[32] = "";

		time_to_iso8601(base, when);
		time_to_iso8601(base + TRACKING_UPDATE_WINDOW_SECONDS, deadline);
		why = xasprintf("the tracking number of Shopify fulfillment %s "
				"changed from %s to %s after TikTok's 72-hour "
				"limit: shipped %s, changes allowed until %s",
				fname, was, number, when, deadline);
		ful_record(c, nf, SYNC_FAILED, "TRACKING_UPDATE_WINDOW", why,
			   RETRY_PERSON);
		goto cleanup;
	}
	err_clear(&e);
	if (carrier_to_tiktok(c->s->cfg, c->p->providers, company, &prov,
			      &e) != 0 ||
	    tracking_check(c->fmts, c->nfmts, prov->name, number, &e) != 0) {
		ful_record(c, nf, SYNC_FAILED, e.code, e.msg,
			   strcmp(e.code, "PROVIDERS_UNAVAILABLE") == 0
			   ? RETRY_AUTO : retry_of(e.code, RETRY_AFTER_FIX));
		goto cleanup;
	}
	set_str(&nf->tracking_number, number);
	set_str(&nf->carrier, company);
	set_str(&nf->provider_id, prov->id);
	set_str(&nf->provider_name, prov->name);
	nf->tracking_updates = v->updates + 1;
	ful_set_outcome(nf, SYNC_SYNCED, NULL, NULL, RETRY_NONE, c->s->now);
	a = action_list_add(c->out, ACT_UPDATE_SHIPPING, tt->id);
	why = xasprintf("change the tracking number of TikTok package %s from "
			"%s to %s", rec->tt_package_id ? rec->tt_package_id : "",
			was, number);
	set_outcome(a, SYNC_FAILED, NULL, why, RETRY_AUTO);
	a->ful_key = xstrdup(rec->key);
	a->ful = nf;
	a->package_id = xdup(rec->tt_package_id);
	a->tracking_number = xstrdup(number);
	a->provider_id = xdup(prov->id);
	a->provider_name = xdup(prov->name);
	a->tt_line_ids = dup_ids(rec->tt_line_ids, rec->ntt_line_ids);
	a->ntt_line_ids = rec->ntt_line_ids;
	a->sh_fulfillment_id = xdup(f->id);
cleanup:
	free(why);
}

static void push_shipped(struct ful_ctx *c, const struct sh_fulfillment *f,
			 const struct ful_rec *rec)
{
	const char *company, *number = ful_tracking(f, &company);
	struct shipped_view v;
	struct ful_rec *nf;

	shipped_view(c->p->tt, rec, number, &v);
	if (!empty(number) && !str_eq(number, v.tracking)) {
		if (c->want && !person_blocked(c, rec)) {
			push_tracking_changed(c, f, rec, &v, number, company);
			return;
		}
	} else if (c->want && !empty(number) &&
		   (rec->status != SYNC_SYNCED || rec->reason_code != NULL ||
		    !str_eq(rec->tracking_number, v.tracking) ||
		    rec->tracking_updates != v.updates)) {
		/* Shopify's tracking is what TikTok has: an earlier failed
		 * or unanswered change no longer applies. */
		nf = ful_dup(rec);
		set_str(&nf->tracking_number, v.tracking);
		nf->tracking_updates = v.updates;
		ful_record(c, nf, SYNC_SYNCED, NULL, NULL, RETRY_NONE);
		return;
	}
	plan_events(c, rec, f);
}

/* Compare the units with TikTok's lines: 0 none shipped, 1 all shipped
 * with our tracking (pkg set), -1 shipped otherwise (why set). */
static int tiktok_shipped(const struct tt_order *tt, char *const *ids,
			  size_t n, const char *number, const char **pkg,
			  int64_t *rts, char **why)
{
	struct strbuf sb = STRBUF_INIT;
	const char *other = NULL;
	size_t i, ours = 0, shipped = 0, same_other = 0;

	*pkg = NULL;
	*rts = 0;
	for (i = 0; i < n; i++) {
		const struct tt_line *l = tt_line_by_id(tt, ids[i]);

		if (l == NULL || empty(l->tracking_number))
			continue;
		shipped++;
		if (strcmp(l->tracking_number, number) == 0) {
			ours++;
			if (*pkg == NULL && !empty(l->package_id))
				*pkg = l->package_id;
			if (l->rts_time > *rts)
				*rts = l->rts_time;
			continue;
		}
		if (other == NULL)
			other = l->tracking_number;
		if (strcmp(other, l->tracking_number) == 0)
			same_other++;
		sb_addf(&sb, "%s%s (package %s, tracking %s)", sb.len ? ", " : "",
			l->id, empty(l->package_id) ? "?" : l->package_id,
			l->tracking_number);
	}
	if (shipped == 0) {
		sb_free(&sb);
		return 0;
	}
	if (ours == n) {
		sb_free(&sb);
		return 1;
	}
	if (same_other == n)
		*why = xasprintf("TikTok already shipped these items with "
				 "tracking number %s, not %s: %s", other,
				 number, sb.buf);
	else
		*why = xasprintf("some TikTok items of this fulfillment are "
				 "already shipped in other packages: %s%s",
				 sb.len ? sb.buf : "",
				 ours ? " (others with this tracking number)" : "");
	sb_free(&sb);
	return same_other == n ? -2 : -1;
}

static void push_new(struct ful_ctx *c, const struct sh_fulfillment *f,
		     const struct ful_rec *rec, const char *key)
{
	const struct plan_order *p = c->p;
	const struct tt_order *tt = p->tt;
	const char *company, *number = ful_tracking(f, &company);
	const char *fname = f->name ? f->name : f->id;
	const struct tt_provider *prov = NULL;
	const char *pkg;
	char **units = NULL;
	size_t nunits = 0;
	struct ful_rec *nf;
	struct action *a;
	struct err e;
	int64_t rts;
	char *why = NULL;
	int shipped;

	if (person_blocked(c, rec))
		return;
	nf = rec ? ful_dup(rec) : ful_fresh(key, FUL_PUSH, tt->id);
	nf->dir = FUL_PUSH;
	set_str(&nf->tt_order_id, tt->id);
	set_str(&nf->sh_fulfillment_id, f->id);
	set_str(&nf->tracking_number, number);
	set_str(&nf->carrier, company);
	if (!c->want) {
		if (rec != NULL && rec->status == SYNC_FAILED) {
			ful_rec_free(nf);	/* keep the failure */
			free(nf);
			return;
		}
		why = xasprintf("fulfillment automatic sync is off: Shopify "
				"fulfillment %s waits for a manual sync", fname);
		ful_record(c, nf, SYNC_NOT_SYNCED, "AUTO_SYNC_OFF", why,
			   retry_of("AUTO_SYNC_OFF", RETRY_PERSON));
		goto cleanup;
	}
	err_clear(&e);
	if (tt->status == TT_CANCELLED) {
		why = xasprintf("TikTok order %s is cancelled: Shopify fulfillment "
				"%s is not sent to TikTok", tt->id, fname);
		ful_record(c, nf, SYNC_FAILED, "ORDER_CANCELLED", why,
			   retry_of("ORDER_CANCELLED", RETRY_NONE));
		goto cleanup;
	}
	if (tt->is_buyer_request_cancel) {
		why = xasprintf("the buyer asked TikTok to cancel order %s: "
				"Shopify fulfillment %s is sent once the "
				"request is settled", tt->id, fname);
		ful_record(c, nf, SYNC_FAILED, "CANCEL_REQUEST_PENDING", why,
			   RETRY_AUTO);
		goto cleanup;
	}
	if (empty(number)) {
		why = xasprintf("Shopify fulfillment %s has no tracking number",
				fname);
		ful_record(c, nf, SYNC_FAILED, "TRACKING_MISSING", why,
			   retry_of("TRACKING_MISSING", RETRY_AFTER_FIX));
		goto cleanup;
	}
	if (p->providers == NULL) {
		why = xasprintf("TikTok's shipping providers for delivery option "
				"%s could not be read in this run",
				tt->delivery_option_id ? tt->delivery_option_id
						       : "(none)");
		ful_record(c, nf, SYNC_FAILED, "PROVIDERS_UNAVAILABLE", why,
			   RETRY_AUTO);
		goto cleanup;
	}
	if (carrier_to_tiktok(c->s->cfg, p->providers, company, &prov, &e) != 0 ||
	    tracking_check(c->fmts, c->nfmts, prov->name, number, &e) != 0 ||
	    units_for_fulfillment(f, p->units, p->nunits, c->taken, c->ntaken,
				  &units, &nunits, &e) != 0) {
		ful_record(c, nf, SYNC_FAILED, e.code, e.msg,
			   retry_of(e.code, RETRY_AFTER_FIX));
		goto cleanup;
	}
	set_str(&nf->provider_id, prov->id);
	set_str(&nf->provider_name, prov->name);
	ful_set_ids(nf, units, nunits);
	shipped = tiktok_shipped(tt, units, nunits, number, &pkg, &rts, &why);
	if (shipped == 1) {
		/* A ship call whose answer was lost did land. */
		set_str(&nf->tt_package_id, pkg);
		nf->shipped_at = rts > 0 ? rts : tt->rts_time > 0 ? tt->rts_time
								  : c->s->now;
		taken_add(c, units, nunits);
		ful_record(c, nf, SYNC_SYNCED, NULL, NULL, RETRY_NONE);
		goto cleanup;
	}
	if (shipped < 0) {
		const char *code = shipped == -2 ? "ALREADY_SHIPPED_OTHER_TRACKING"
						 : "ITEMS_FULFILLED_DIFFERENTLY";

		ful_record(c, nf, SYNC_FAILED, code, why, RETRY_PERSON);
		goto cleanup;
	}
	nf->shipped_at = c->s->now;	/* apply.c sets the accepted time */
	ful_set_outcome(nf, SYNC_SYNCED, NULL, NULL, RETRY_NONE, c->s->now);
	taken_add(c, units, nunits);
	a = action_list_add(c->out, ACT_SHIP_PACKAGE, tt->id);
	why = xasprintf("mark %zu TikTok item%s as shipped with %s %s "
			"(Shopify fulfillment %s)", nunits, nunits == 1 ? "" : "s",
			prov->name, number, fname);
	set_outcome(a, SYNC_FAILED, NULL, why, RETRY_AUTO);
	a->ful_key = xstrdup(key);
	a->ful = nf;
	a->tracking_number = xstrdup(number);
	a->provider_id = xdup(prov->id);
	a->provider_name = xdup(prov->name);
	a->tt_line_ids = units;
	a->ntt_line_ids = nunits;
	a->sh_fulfillment_id = xstrdup(f->id);
	units = NULL;
	nunits = 0;
cleanup:
	str_free_array(units, nunits);
	free(why);
}

static int cmp_fulfillment(const struct sh_fulfillment *a,
			   const struct sh_fulfillment *b)
{
	if (a->created_at != b->created_at)
		return a->created_at < b->created_at ? -1 : 1;
	return tt_id_cmp(a->id, b->id);
}

static void plan_push(struct ful_ctx *c)
{
	const struct plan_order *p = c->p;
	const struct sh_order *sh = p->sh;
	const struct sh_fulfillment **fs;
	size_t i, j, n = 0;

	for (i = 0; i < p->nfuls; i++)
		if (p->fuls[i].dir == FUL_PUSH && ful_shipped(&p->fuls[i]))
			taken_add(c, p->fuls[i].tt_line_ids,
				  p->fuls[i].ntt_line_ids);
	fs = xcalloc(sh->nfulfillments ? sh->nfulfillments : 1, sizeof(*fs));
	for (i = 0; i < sh->nfulfillments; i++) {
		const struct sh_fulfillment *f = &sh->fulfillments[i];

		if (!str_eq(f->status, "SUCCESS") || empty(f->id))
			continue;
		for (j = n; j > 0 && cmp_fulfillment(fs[j - 1], f) > 0; j--)
			fs[j] = fs[j - 1];
		fs[j] = f;
		n++;
	}
	for (i = 0; i < n; i++) {
		char *key = xasprintf("push:%s", fs[i]->id);
		const struct ful_rec *rec = find_ful(p, key);

		if (rec != NULL && ful_shipped(rec))
			push_shipped(c, fs[i], rec);
		else
			push_new(c, fs[i], rec, key);
		free(key);
	}
	free(fs);
}

/* ---- TikTok shipping: TikTok -> Shopify -------------------------------- */

struct package {
	const char *id, *tracking, *provider_id, *provider_name;
	char **units;			/* borrowed line ids */
	size_t nunits;
	int64_t rts;
};

static void budget_init(struct sh_order *b, const struct sh_order *o)
{
	size_t i;

	*b = *o;
	b->fos = xcalloc(o->nfos ? o->nfos : 1, sizeof(*b->fos));
	for (i = 0; i < o->nfos; i++) {
		b->fos[i] = o->fos[i];
		b->fos[i].lines = xcalloc(o->fos[i].nlines ? o->fos[i].nlines : 1,
					  sizeof(*b->fos[i].lines));
		memcpy(b->fos[i].lines, o->fos[i].lines,
		       o->fos[i].nlines * sizeof(*b->fos[i].lines));
	}
}

static void budget_free(struct sh_order *b)
{
	size_t i;

	for (i = 0; b->fos != NULL && i < b->nfos; i++)
		free(b->fos[i].lines);
	free(b->fos);
	memset(b, 0, sizeof(*b));
}

static void budget_take(struct sh_order *b, const struct sh_fulfillment_input *in)
{
	size_t g, l, f, k;

	for (g = 0; g < in->ngroups; g++)
		for (f = 0; f < b->nfos; f++) {
			if (!str_eq(b->fos[f].id, in->groups[g].fulfillment_order_id))
				continue;
			for (l = 0; l < in->groups[g].nlines; l++)
				for (k = 0; k < b->fos[f].nlines; k++)
					if (str_eq(b->fos[f].lines[k].id,
						   in->groups[g].lines[l].fo_line_id))
						b->fos[f].lines[k].remaining_quantity -=
							in->groups[g].lines[l].quantity;
		}
}

static int claimed_elsewhere(const struct plan_order *p, const char *key,
			     const char *sh_ful_id)
{
	size_t i;

	for (i = 0; i < p->nfuls; i++)
		if (!str_eq(p->fuls[i].key, key) &&
		    str_eq(p->fuls[i].sh_fulfillment_id, sh_ful_id))
			return 1;
	return 0;
}

/* A Shopify fulfillment that already carries the package's tracking. */
static const struct sh_fulfillment *sh_with_tracking(const struct plan_order *p,
						     const char *key,
						     const char *number)
{
	const struct sh_order *sh = p->sh;
	size_t i, t;

	for (i = 0; i < sh->nfulfillments; i++) {
		const struct sh_fulfillment *f = &sh->fulfillments[i];

		if (!str_eq(f->status, "SUCCESS") ||
		    claimed_elsewhere(p, key, f->id))
			continue;
		for (t = 0; t < f->ntracking; t++)
			if (str_eq(f->tracking[t].number, number))
				return f;
	}
	return NULL;
}

static void pull_one(struct ful_ctx *c, const struct package *pk)
{
	const struct plan_order *p = c->p;
	const struct tt_order *tt = p->tt;
	const struct sh_fulfillment *existing;
	struct sh_fulfillment_input *in = NULL;
	struct ful_rec *nf;
	const struct ful_rec *rec;
	struct action *a;
	struct err e;
	char *key, *why = NULL, *company = NULL, *url = NULL;

	key = xasprintf("pull:%s", pk->id);
	rec = find_ful(p, key);
	if (rec != NULL && rec->status == SYNC_SYNCED &&
	    !empty(rec->sh_fulfillment_id)) {
		plan_events(c, rec, sh_fulfillment_by_id(p->sh,
							 rec->sh_fulfillment_id));
		goto cleanup;
	}
	if (person_blocked(c, rec))
		goto cleanup;
	nf = rec ? ful_dup(rec) : ful_fresh(key, FUL_PULL, tt->id);
	nf->dir = FUL_PULL;
	set_str(&nf->tt_order_id, tt->id);
	set_str(&nf->tt_package_id, pk->id);
	set_str(&nf->tracking_number, pk->tracking);
	set_str(&nf->provider_id, pk->provider_id);
	set_str(&nf->provider_name, pk->provider_name);
	ful_set_ids(nf, pk->units, pk->nunits);
	nf->shipped_at = pk->rts > 0 ? pk->rts : tt->rts_time;
	carrier_to_shopify(c->s->cfg, pk->provider_name, pk->tracking, &company,
			   &url);
	set_str(&nf->carrier, company);
	if (!c->want) {
		if (rec != NULL && rec->status == SYNC_FAILED) {
			ful_rec_free(nf);
			free(nf);
			goto cleanup;
		}
		why = xasprintf("fulfillment automatic sync is off: TikTok "
				"package %s (tracking %s) waits for a manual "
				"sync", pk->id, pk->tracking);
		ful_record(c, nf, SYNC_NOT_SYNCED, "AUTO_SYNC_OFF", why,
			   retry_of("AUTO_SYNC_OFF", RETRY_PERSON));
		goto cleanup;
	}
	if (tt->status == TT_CANCELLED) {
		why = xasprintf("TikTok order %s is cancelled: package %s is not "
				"copied to Shopify", tt->id, pk->id);
		ful_record(c, nf, SYNC_FAILED, "ORDER_CANCELLED", why,
			   retry_of("ORDER_CANCELLED", RETRY_NONE));
		goto cleanup;
	}
	existing = sh_with_tracking(p, key, pk->tracking);
	if (existing != NULL) {
		/* A fulfillmentCreate whose answer was lost did land (or the
		 * merchant entered it): link, do not create a second one. */
		set_str(&nf->sh_fulfillment_id, existing->id);
		ful_record(c, nf, SYNC_SYNCED, NULL, NULL, RETRY_NONE);
		goto cleanup;
	}
	err_clear(&e);
	in = xcalloc(1, sizeof(*in));
	if (fo_lines_for_units(&c->budget, p->units, p->nunits, pk->units,
			       pk->nunits, in, &e) != 0) {
		free(in);
		in = NULL;
		ful_record(c, nf, SYNC_FAILED, e.code, e.msg,
			   retry_of(e.code, RETRY_PERSON));
		goto cleanup;
	}
	in->number = xstrdup(pk->tracking);
	in->company = xdup(company);
	in->url = xdup(url);
	in->notify_customer = c->s->cfg->notify_customer != 0;
	budget_take(&c->budget, in);
	ful_set_outcome(nf, SYNC_SYNCED, NULL, NULL, RETRY_NONE, c->s->now);
	a = action_list_add(c->out, ACT_FULFILLMENT_CREATE, tt->id);
	why = xasprintf("create the Shopify fulfillment of TikTok package %s "
			"(%s %s, %zu item%s)", pk->id,
			company ? company : "no carrier", pk->tracking,
			pk->nunits, pk->nunits == 1 ? "" : "s");
	set_outcome(a, SYNC_FAILED, NULL, why, RETRY_AUTO);
	a->ful_key = xstrdup(key);
	a->ful = nf;
	a->fulfillment = in;
	a->package_id = xstrdup(pk->id);
	a->tracking_number = xstrdup(pk->tracking);
	a->provider_id = xdup(pk->provider_id);
	a->provider_name = xdup(pk->provider_name);
	a->tt_line_ids = dup_ids(pk->units, pk->nunits);
	a->ntt_line_ids = pk->nunits;
	in = NULL;
cleanup:
	free(key);
	free(why);
	free(company);
	free(url);
}

static int id_ptr_cmp(const void *a, const void *b)
{
	return tt_id_cmp(*(char *const *)a, *(char *const *)b);
}

static int package_cmp(const void *a, const void *b)
{
	return tt_id_cmp(((const struct package *)a)->id,
			 ((const struct package *)b)->id);
}

static void plan_pull(struct ful_ctx *c)
{
	const struct tt_order *tt = c->p->tt;
	struct package *pk = NULL;
	size_t npk = 0, i, j;

	pk = xcalloc(tt->nlines ? tt->nlines : 1, sizeof(*pk));
	for (i = 0; i < tt->nlines; i++) {
		const struct tt_line *l = &tt->lines[i];

		if (empty(l->package_id) || empty(l->tracking_number) ||
		    empty(l->id) || tt_line_is_cancelled(tt, l))
			continue;
		for (j = 0; j < npk; j++)
			if (strcmp(pk[j].id, l->package_id) == 0)
				break;
		if (j == npk) {
			pk[npk].id = l->package_id;
			pk[npk].tracking = l->tracking_number;
			pk[npk].provider_id = l->shipping_provider_id;
			pk[npk].provider_name = l->shipping_provider_name;
			pk[npk].units = xcalloc(tt->nlines, sizeof(char *));
			npk++;
		}
		pk[j].units[pk[j].nunits++] = l->id;
		if (l->rts_time > pk[j].rts)
			pk[j].rts = l->rts_time;
	}
	qsort(pk, npk, sizeof(*pk), package_cmp);
	budget_init(&c->budget, c->p->sh);
	for (i = 0; i < npk; i++) {
		qsort(pk[i].units, pk[i].nunits, sizeof(char *), id_ptr_cmp);
		pull_one(c, &pk[i]);
	}
	budget_free(&c->budget);
	for (i = 0; i < npk; i++)
		free(pk[i].units);
	free(pk);
}

/* A TikTok-shipping order fulfilled by hand in Shopify: a successful
 * Shopify fulfillment that is not one of TikTok's packages (no pull record
 * names it, none of its tracking numbers is on a TikTok line) cannot be
 * pushed - TikTok buys the label. Reported once per fulfillment
 * (WRONG_SHIPPING_TYPE, needs a person); never sent. */
static void plan_pull_foreign(struct ful_ctx *c)
{
	const struct plan_order *p = c->p;
	const struct tt_order *tt = p->tt;
	const struct sh_order *sh = p->sh;
	size_t i, j, t;

	if (!c->want)
		return;
	for (i = 0; i < sh->nfulfillments; i++) {
		const struct sh_fulfillment *f = &sh->fulfillments[i];
		const char *company, *number = ful_tracking(f, &company);
		const struct ful_rec *rec;
		struct ful_rec *nf;
		char *key, *why;
		int tiktoks = 0;

		if (!str_eq(f->status, "SUCCESS") || empty(f->id))
			continue;
		for (j = 0; j < p->nfuls && !tiktoks; j++)
			tiktoks = p->fuls[j].dir == FUL_PULL &&
				  str_eq(p->fuls[j].sh_fulfillment_id, f->id);
		for (t = 0; t < f->ntracking && !tiktoks; t++)
			for (j = 0; j < tt->nlines && !tiktoks; j++)
				tiktoks = !empty(f->tracking[t].number) &&
					  str_eq(tt->lines[j].tracking_number,
						 f->tracking[t].number);
		if (tiktoks)
			continue;
		key = xasprintf("push:%s", f->id);
		rec = find_ful(p, key);
		if (rec != NULL && str_eq(rec->reason_code, "WRONG_SHIPPING_TYPE") &&
		    !p->selected) {
			free(key);
			continue;
		}
		nf = rec ? ful_dup(rec) : ful_fresh(key, FUL_PUSH, tt->id);
		set_str(&nf->sh_fulfillment_id, f->id);
		set_str(&nf->tracking_number, number);
		set_str(&nf->carrier, company);
		why = xasprintf("TikTok order %s ships with a TikTok label: Shopify "
				"fulfillment %s (%s%s%s) is not sent to TikTok",
				tt->id, f->name ? f->name : f->id,
				company ? company : "no carrier", number ? " " : "",
				number ? number : "");
		ful_record(c, nf, SYNC_FAILED, "WRONG_SHIPPING_TYPE", why,
			   retry_of("WRONG_SHIPPING_TYPE", RETRY_PERSON));
		free(why);
		free(key);
	}
}

/* ---- plan_fulfillments ------------------------------------------------- */

/* Stable sort of out->v[first..] by fulfillment key. */
static void sort_by_key(struct action_list *out, size_t first)
{
	size_t i, j;

	for (i = first + 1; i < out->n; i++) {
		struct action t = out->v[i];

		for (j = i; j > first &&
			    strcmp(out->v[j - 1].ful_key ? out->v[j - 1].ful_key : "",
				   t.ful_key ? t.ful_key : "") > 0; j--)
			out->v[j] = out->v[j - 1];
		out->v[j] = t;
	}
}

int plan_fulfillments(const struct plan_order *v, size_t n,
		      const struct plan_settings *s, struct action_list *out,
		      struct err *e)
{
	const struct plan_order *const *sorted;
	const struct tracking_format *fmts;
	size_t i, nfmts = 0;

	if (!s->fulfillments_enabled || n == 0)
		return 0;
	if (s->cfg != NULL && s->cfg->ntracking_formats > 0) {
		fmts = s->cfg->tracking_formats;
		nfmts = s->cfg->ntracking_formats;
	} else {
		fmts = tracking_formats_builtin(&nfmts);
	}
	sorted = sorted_orders(v, n);
	for (i = 0; i < n; i++) {
		const struct plan_order *p = sorted[i];
		const struct tt_order *tt = p->tt;
		struct ful_ctx c;
		size_t first = out->n;

		if (empty(p->rec->sh_gid) || p->sh == NULL)
			continue;
		if (tt->status == TT_UNPAID || tt->status == TT_ON_HOLD)
			continue;
		if (tt->fulfillment_type != NULL &&
		    strcmp(tt->fulfillment_type, "FULFILLMENT_BY_SELLER") != 0)
			continue;
		memset(&c, 0, sizeof(c));
		c.p = p;
		c.s = s;
		c.out = out;
		c.want = s->fulfillments_auto || p->selected;
		c.fmts = fmts;
		c.nfmts = nfmts;
		if (str_eq(tt->shipping_type, "SELLER"))
			plan_push(&c);
		else if (str_eq(tt->shipping_type, "TIKTOK")) {
			plan_pull(&c);
			plan_pull_foreign(&c);
		}
		str_free_array(c.taken, c.ntaken);
		sort_by_key(out, first);
	}
	free((void *)sorted);
	return 0;
}

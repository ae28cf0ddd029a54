/*
 * apply.c - stages 5 and 6 of a run: turn the plan's actions into remote
 * calls, exactly once.
 *
 * Every non-idempotent call follows the same three steps (isync's
 * journal): record the intent in SQLite and commit; make the call; record
 * the outcome together with its effect (link, unit map, package id ...) in
 * one transaction. An answer that was lost (timeout, dropped connection,
 * 5xx, truncated body) leaves the intent UNKNOWN and the order marked for
 * a re-read; the planner, given the fresh picture of both platforms,
 * recognises what landed ("already in Shopify", "already shipped with our
 * tracking", "Shopify already has that fulfillment") and only then may the
 * call be made again. orderCreate is always preceded by a lookup of the
 * TikTok order id in Shopify, so an order imported by ttsync before a
 * crash, or by another connector, is linked and never created twice.
 *
 * Calls run concurrently through the HTTP engine within both platforms'
 * rate limits; completion callbacks run in this thread and write the
 * state. A dry run makes no write call and writes no state.
 * Owns: the action lists of each round and the per-call job records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "crashpoint.h"
#include "run.h"

#define MAX_ROUNDS 3		/* plan/apply rounds per stage (unknown outcomes, follow-ups) */
#define LOOKUP_BATCH 10		/* TikTok ids per Shopify lookup query */
/* Shopify's order search (the lookup by source identifier) may not show
 * an order created moments ago (research: search-index lag, Q5). After a
 * lost answer or a crash, "not found" is trusted only this long after the
 * attempt; sooner, the order waits for a later run instead of risking a
 * second copy. */
#define SEARCH_LAG_ALLOWANCE 600
#define LOOKUP_AHEAD 4		/* lookups in the queue at once (see lookup_next) */

/* ---- reporting --------------------------------------------------------- */

static void add_item_remedy(struct run_ctx *rc, struct work_item *w,
			    const char *object, const char *direction,
			    const char *action, enum sync_status status,
			    const char *code, const char *reason,
			    const char *remedy, const char *detail,
			    enum retry_class retry, int alert);

static void add_item(struct run_ctx *rc, struct work_item *w,
		     const char *object, const char *direction,
		     const char *action, enum sync_status status,
		     const char *code, const char *reason, const char *detail,
		     enum retry_class retry, int alert)
{
	add_item_remedy(rc, w, object, direction, action, status, code, reason,
			NULL, detail, retry, alert);
}

static void add_item_remedy(struct run_ctx *rc, struct work_item *w,
			    const char *object, const char *direction,
			    const char *action, enum sync_status status,
			    const char *code, const char *reason,
			    const char *remedy, const char *detail,
			    enum retry_class retry, int alert)
{
	struct report_item it;
	const struct reason *rs = code ? reason_lookup(code) : NULL;
	char *turl = tiktok_order_url(rc->cfg, w ? w->tt_id : "");
	char *surl = NULL;

	if (w && w->rec.sh_legacy_id)
		surl = shopify_order_admin_url(rc->cfg, w->rec.sh_legacy_id);
	memset(&it, 0, sizeof(it));
	it.object = (char *)object;
	it.direction = (char *)direction;
	it.tt_order_id = w ? w->tt_id : "";
	it.shopify_order = w ? w->rec.sh_name : NULL;
	it.action = (char *)action;
	it.status = status;
	it.reason_code = (char *)code;
	it.reason = (char *)reason;
	it.remedy = status == SYNC_SYNCED ? NULL
		    : remedy ? (char *)remedy : (rs ? (char *)rs->remedy : NULL);
	it.detail = (char *)detail;
	it.needs_person = retry == RETRY_PERSON;
	it.alert = alert;
	it.tiktok_url = turl;
	it.shopify_url = surl;
	it.time = rc->now;
	if (w && w->have_tt) {
		it.buyer = w->tt.addr.name;
		it.buyer_message = w->tt.buyer_message;
	}
	report_add(&rc->rep, &it);
	if (status == SYNC_FAILED)
		rc->item_failures++;
	free(turl);
	free(surl);
}

/* An item-level problem with our own state is not an item failure: the
 * run cannot go on safely. */
static void state_trouble(struct run_ctx *rc, const struct err *e)
{
	if (!rc->aborted) {
		rc->aborted = 1;
		rc->abort_err = *e;
		logmsg(LOG_ERROR, "state: %s", e->msg);
	}
}

static void platform_refused_us(struct run_ctx *rc, const struct err *e)
{
	if (e->cls == ERR_AUTH && !rc->aborted) {
		rc->aborted = 1;
		rc->abort_err = *e;
	}
}

static int reload_rec(struct run_ctx *rc, struct work_item *w)
{
	struct err e;
	int found = 0;

	err_clear(&e);
	if (rc->dry_run)
		return 0;
	order_rec_free(&w->rec);
	memset(&w->rec, 0, sizeof(w->rec));
	if (state_order_get(rc->st, w->tt_id, &w->rec, &found, &e) != 0) {
		state_trouble(rc, &e);
		return -1;
	}
	free(w->rec.snapshot);		/* in the state file; not needed here */
	w->rec.snapshot = NULL;
	return 0;
}

static int record_order_remedy(struct run_ctx *rc, struct work_item *w,
			       enum sync_status st, const char *code,
			       const char *reason, const char *remedy,
			       enum retry_class retry)
{
	const struct reason *rs = code ? reason_lookup(code) : NULL;
	struct err e;

	err_clear(&e);
	if (rc->dry_run)
		return 0;
	if (state_order_set_status(rc->st, w->tt_id, st, code, reason,
				   remedy ? remedy : (rs ? rs->remedy : NULL),
				   retry, rc->now, &e) != 0) {
		state_trouble(rc, &e);
		return -1;
	}
	return reload_rec(rc, w);
}

static int record_order(struct run_ctx *rc, struct work_item *w,
			enum sync_status st, const char *code,
			const char *reason, enum retry_class retry)
{
	return record_order_remedy(rc, w, st, code, reason, NULL, retry);
}

static void count_order(struct run_ctx *rc, enum sync_status st)
{
	switch (st) {
	case SYNC_FAILED:
		rc->rep.stats.orders_failed++;
		break;
	case SYNC_SKIPPED:
		rc->rep.stats.orders_skipped++;
		break;
	case SYNC_NOT_SYNCED:
		rc->rep.stats.orders_not_synced++;
		break;
	default:
		break;
	}
}

/* ---- intents ----------------------------------------------------------- */

static int intent_begin(struct run_ctx *rc, const char *kind, const char *key,
			const char *tt_id, json_t *payload, int64_t *id)
{
	char *txt;
	struct err e;
	int ret;

	err_clear(&e);
	json_object_set_new(payload, "tt_order_id", json_string(tt_id));
	txt = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(payload);
	ret = state_intent_begin(rc->st, kind, key, txt ? txt : "{}", rc->run_id,
				 rc->now, id, &e);
	free(txt);
	if (ret != 0)
		state_trouble(rc, &e);
	return ret;
}

static void intent_end(struct run_ctx *rc, int64_t id, enum intent_state s,
		       const char *result)
{
	struct err e;

	err_clear(&e);
	if (state_intent_finish(rc->st, id, s, result, rc->now, &e) != 0)
		state_trouble(rc, &e);
}

/* Settle every intent of (kind, key) that a crash or a lost answer left
 * open, once this run's fresh picture of the platforms has decided it:
 * DONE when the effect is there, FAILED when a new attempt replaces a
 * call that did not land. */
static int close_intents(struct run_ctx *rc, const char *kind, const char *key,
			 enum intent_state s, const char *why)
{
	struct err e;

	err_clear(&e);
	if (rc->dry_run || key == NULL)
		return 0;
	if (state_intent_close_all(rc->st, kind, key, s, why, rc->now, &e) != 0) {
		state_trouble(rc, &e);
		return -1;
	}
	return 0;
}

/* ---- orders ------------------------------------------------------------ */

struct create_job {
	struct run_ctx *rc;
	struct work_item *w;
	const struct action *act;
	int64_t intent_id;
};

struct lookup_queue;

struct lookup_batch {
	struct run_ctx *rc;
	struct create_job *jobs[LOOKUP_BATCH];
	size_t n;
	struct lookup_queue *q;
};

/* The lookups of one order round, submitted a few at a time: each answer
 * queues its creates, then the next lookup. Submitting every lookup first
 * made all creates wait behind all lookups, whose requested cost (a full
 * page of orders) lets only two run at once while Shopify's bucket
 * overflows unused. */
struct lookup_queue {
	struct lookup_batch **v;
	size_t n, next;
};

static void on_lookup(void *arg, struct sh_result *res,
		      struct sh_order_list *orders);

/* Which Shopify line item each TikTok unit became: input line i was sent
 * with variant v; the created (or found) order has lines with variants. */
static void map_units(const struct sh_order_input *in, const struct sh_order *o,
		      struct unit_map **out, size_t *nout)
{
	size_t i, j, k, n = 0;
	int *used = xcalloc(o->nlines ? o->nlines : 1, sizeof(int));
	struct unit_map *v;

	for (i = 0; i < in->nlines; i++)
		n += in->lines[i].ntt_line_ids;
	v = xcalloc(n ? n : 1, sizeof(*v));
	n = 0;
	for (i = 0; i < in->nlines; i++) {
		const struct sh_line_input *li = &in->lines[i];
		ssize_t hit = -1;

		/* Same position and variant first (orderCreate keeps the
		 * order of lines), then the first unused line of the variant. */
		if (i < o->nlines && !used[i] && o->lines[i].variant_id &&
		    li->variant_id && strcmp(o->lines[i].variant_id, li->variant_id) == 0)
			hit = (ssize_t)i;
		for (j = 0; hit < 0 && j < o->nlines; j++)
			if (!used[j] && o->lines[j].variant_id && li->variant_id &&
			    strcmp(o->lines[j].variant_id, li->variant_id) == 0)
				hit = (ssize_t)j;
		if (hit < 0)
			continue;
		used[hit] = 1;
		for (k = 0; k < li->ntt_line_ids; k++) {
			v[n].tt_line_id = xstrdup(li->tt_line_ids[k]);
			v[n].sh_line_item_id = xstrdup(o->lines[hit].id);
			n++;
		}
	}
	free(used);
	*out = v;
	*nout = n;
}

static void copy_sh_order_into(struct work_item *w, const struct sh_order *o);
static void append_fulfillment(struct sh_order *o, const struct sh_fulfillment *f);

/* The order exists in Shopify (created now, or found): link it. */
static int link_order(struct run_ctx *rc, struct work_item *w,
		      const struct action *act, const struct sh_order *o,
		      int64_t intent_id, int created)
{
	struct unit_map *units = NULL;
	size_t nunits = 0;
	struct err e;
	char detail[512];
	int ours = created || w->create_intent_open;
	const char *code = NULL;
	int ret = -1;

	err_clear(&e);
	map_units(act->order, o, &units, &nunits);
	if (!created && !ours)
		code = "ALREADY_IN_SHOPIFY";
	if (state_begin(rc->st, &e) != 0)
		goto fail;
	if (intent_id > 0 &&
	    state_intent_finish(rc->st, intent_id, INTENT_DONE, o->id, rc->now, &e) != 0)
		goto fail_tx;
	if (!created &&
	    state_intent_close_all(rc->st, "order_create", w->tt_id, INTENT_DONE,
				   o->id, rc->now, &e) != 0)
		goto fail_tx;
	if (state_order_link(rc->st, w->tt_id, o->id, o->name, o->legacy_id,
			     rc->now, &e) != 0 ||
	    state_units_put(rc->st, w->tt_id, units, nunits, &e) != 0 ||
	    state_order_set_status(rc->st, w->tt_id, SYNC_SYNCED, code,
				   code ? "already in Shopify; linked, not created again" : NULL,
				   NULL, RETRY_NONE, rc->now, &e) != 0)
		goto fail_tx;
	if (state_commit(rc->st, &e) != 0)
		goto fail_tx;
	w->create_intent_open = 0;
	unit_map_free(w->units, w->nunits);
	w->units = units;
	w->nunits = nunits;
	units = NULL;
	copy_sh_order_into(w, o);
	reload_rec(rc, w);
	if (created) {
		rc->rep.stats.orders_created++;
		snprintf(detail, sizeof(detail), "created in Shopify as %s",
			 o->name ? o->name : o->id);
		add_item(rc, w, "order", "tiktok_to_shopify", "create_order",
			 SYNC_SYNCED, NULL, NULL, detail, RETRY_NONE, 0);
	} else {
		rc->rep.stats.orders_linked++;
		if (ours)
			snprintf(detail, sizeof(detail),
				 "%s was created by an earlier attempt whose answer was lost; "
				 "linked, not created again", o->name ? o->name : o->id);
		else
			snprintf(detail, sizeof(detail),
				 "already in Shopify as %s (source %s); linked, not created again",
				 o->name ? o->name : o->id,
				 o->source_name ? o->source_name : "unknown");
		add_item(rc, w, "order", "tiktok_to_shopify", "link_order", SYNC_SYNCED,
			 code, code ? detail : NULL, detail, RETRY_NONE, 0);
	}
	ret = 0;
	goto done;
fail_tx:
	state_rollback(rc->st);
fail:
	state_trouble(rc, &e);
done:
	unit_map_free(units, nunits);
	return ret;
}

static void copy_fulfillment(struct sh_fulfillment *f, const struct sh_fulfillment *s)
{
	size_t j;

	f->id = xstrdup(s->id);
	f->name = xstrdup(s->name);
	f->status = xstrdup(s->status);
	f->display_status = xstrdup(s->display_status);
	f->created_at = s->created_at;
	f->updated_at = s->updated_at;
	f->in_transit_at = s->in_transit_at;
	f->delivered_at = s->delivered_at;
	f->ntracking = s->ntracking;
	f->tracking = xcalloc(s->ntracking ? s->ntracking : 1, sizeof(*f->tracking));
	for (j = 0; j < s->ntracking; j++) {
		f->tracking[j].company = xstrdup(s->tracking[j].company);
		f->tracking[j].number = xstrdup(s->tracking[j].number);
		f->tracking[j].url = xstrdup(s->tracking[j].url);
	}
	f->nlines = s->nlines;
	f->lines = xcalloc(s->nlines ? s->nlines : 1, sizeof(*f->lines));
	for (j = 0; j < s->nlines; j++) {
		f->lines[j].line_item_id = xstrdup(s->lines[j].line_item_id);
		f->lines[j].quantity = s->lines[j].quantity;
	}
}

/* A fulfillment ttsync just created joins the order's picture, so delivery
 * events can follow in the same run. */
static void append_fulfillment(struct sh_order *o, const struct sh_fulfillment *f)
{
	o->fulfillments = xrealloc(o->fulfillments,
				   (o->nfulfillments + 1) * sizeof(*o->fulfillments));
	memset(&o->fulfillments[o->nfulfillments], 0, sizeof(*o->fulfillments));
	copy_fulfillment(&o->fulfillments[o->nfulfillments++], f);
}

static void copy_sh_order_into(struct work_item *w, const struct sh_order *o)
{
	/* Deep copy through the model's own free/alloc discipline: the
	 * callback's order is freed by the client after we return. */
	struct sh_order *d = &w->sh;
	size_t i, j;

	sh_order_free(d);
	d->id = xstrdup(o->id);
	d->legacy_id = xstrdup(o->legacy_id);
	d->name = xstrdup(o->name);
	d->source_identifier = xstrdup(o->source_identifier);
	d->source_name = xstrdup(o->source_name);
	d->tiktok_order_id = xstrdup(o->tiktok_order_id);
	d->ntags = o->ntags;
	d->tags = xcalloc(o->ntags ? o->ntags : 1, sizeof(char *));
	for (i = 0; i < o->ntags; i++)
		d->tags[i] = xstrdup(o->tags[i]);
	d->created_at = o->created_at;
	d->updated_at = o->updated_at;
	d->processed_at = o->processed_at;
	d->cancelled_at = o->cancelled_at;
	d->display_fulfillment_status = xstrdup(o->display_fulfillment_status);
	d->display_financial_status = xstrdup(o->display_financial_status);
	d->total_price = o->total_price;
	memcpy(d->currency, o->currency, sizeof(d->currency));
	d->nlines = o->nlines;
	d->lines = xcalloc(o->nlines ? o->nlines : 1, sizeof(*d->lines));
	for (i = 0; i < o->nlines; i++) {
		d->lines[i].id = xstrdup(o->lines[i].id);
		d->lines[i].sku = xstrdup(o->lines[i].sku);
		d->lines[i].variant_id = xstrdup(o->lines[i].variant_id);
		d->lines[i].title = xstrdup(o->lines[i].title);
		d->lines[i].quantity = o->lines[i].quantity;
	}
	d->nfulfillments = o->nfulfillments;
	d->fulfillments = xcalloc(o->nfulfillments ? o->nfulfillments : 1,
				  sizeof(*d->fulfillments));
	for (i = 0; i < o->nfulfillments; i++)
		copy_fulfillment(&d->fulfillments[i], &o->fulfillments[i]);
	d->partial = o->partial;
	d->nfos = o->nfos;
	d->fos = xcalloc(o->nfos ? o->nfos : 1, sizeof(*d->fos));
	for (i = 0; i < o->nfos; i++) {
		d->fos[i].id = xstrdup(o->fos[i].id);
		d->fos[i].status = xstrdup(o->fos[i].status);
		d->fos[i].nlines = o->fos[i].nlines;
		d->fos[i].lines = xcalloc(o->fos[i].nlines ? o->fos[i].nlines : 1,
					  sizeof(*d->fos[i].lines));
		for (j = 0; j < o->fos[i].nlines; j++) {
			d->fos[i].lines[j].id = xstrdup(o->fos[i].lines[j].id);
			d->fos[i].lines[j].line_item_id =
				xstrdup(o->fos[i].lines[j].line_item_id);
			d->fos[i].lines[j].total_quantity = o->fos[i].lines[j].total_quantity;
			d->fos[i].lines[j].remaining_quantity =
				o->fos[i].lines[j].remaining_quantity;
		}
	}
	w->have_sh = 1;
}

static char *user_errors_text(const struct sh_result *res)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < res->nuser_errors; i++) {
		if (i)
			sb_add(&sb, "; ");
		if (res->user_errors[i].field && *res->user_errors[i].field)
			sb_addf(&sb, "%s: ", res->user_errors[i].field);
		sb_add(&sb, res->user_errors[i].message ? res->user_errors[i].message : "?");
	}
	if (sb.len == 0)
		sb_add(&sb, res->err.msg[0] ? res->err.msg : "Shopify refused the request");
	return sb_detach(&sb);
}

static void on_created(void *arg, struct sh_result *res,
		       struct sh_order_list *orders)
{
	struct create_job *j = arg;
	struct run_ctx *rc = j->rc;
	struct work_item *w = j->w;
	char *msg;

	if (res->oc == HTTP_OUTCOME_OK && res->nuser_errors == 0 &&
	    res->err.cls == ERR_NONE && orders && orders->n == 1) {
		crash_point("order_create", "response");
		link_order(rc, w, j->act, &orders->v[0], j->intent_id, 1);
		crash_point("order_create", "outcome");
		return;
	}
	if (res->oc == HTTP_OUTCOME_UNKNOWN) {
		/* The order may exist now: look before anything is resent. */
		crash_point("order_create", "unknown");
		intent_end(rc, j->intent_id, INTENT_UNKNOWN, res->err.msg);
		w->needs_refresh = 1;
		w->create_intent_open = 1;
		record_order(rc, w, SYNC_FAILED, "OUTCOME_UNKNOWN", res->err.msg,
			     RETRY_AUTO);
		return;
	}
	platform_refused_us(rc, &res->err);
	msg = user_errors_text(res);
	intent_end(rc, j->intent_id, INTENT_FAILED, msg);
	{
		const char *code = res->nuser_errors ? "SHOPIFY_USER_ERROR"
			: (res->err.code[0] && reason_lookup(res->err.code) ? res->err.code
			   : (res->oc == HTTP_OUTCOME_OK ? "PLATFORM_ERROR" : "NETWORK_ERROR"));
		enum retry_class rcl = res->nuser_errors ? RETRY_AFTER_FIX : RETRY_AUTO;
		char *reason = xasprintf("Shopify did not create the order: %s", msg);

		if (strstr(msg, "5 orders per minute") || strstr(msg, "too many orders"))
			code = "SHOPIFY_ORDER_LIMIT";
		record_order(rc, w, SYNC_FAILED, code, reason, rcl);
		count_order(rc, SYNC_FAILED);
		add_item(rc, w, "order", "tiktok_to_shopify", "create_order",
			 SYNC_FAILED, code, reason, NULL, rcl, 0);
		free(reason);
	}
	free(msg);
}

static void start_create(struct create_job *j)
{
	struct run_ctx *rc = j->rc;
	struct work_item *w = j->w;
	json_t *payload;
	struct err e;
	char *vars;

	err_clear(&e);
	if (rc->aborted)
		return;
	if (rc->dry_run) {
		add_item(rc, w, "order", "tiktok_to_shopify", "create_order",
			 SYNC_NOT_SYNCED, NULL, NULL,
			 "dry run: would create this order in Shopify", RETRY_NONE, 0);
		return;
	}
	vars = shopify_order_create_variables(j->act->order);
	payload = json_pack("{s:s}", "variables_sha", "");
	json_object_set_new(payload, "order_create",
			    vars ? json_loads(vars, 0, NULL) : json_null());
	free(vars);
	/* 1. intent, committed */
	if (intent_begin(rc, "order_create", w->tt_id, w->tt_id, payload,
			 &j->intent_id) != 0)
		return;
	crash_point("order_create", "intent");
	w->create_intent_open = 1;
	/* 2. the call; 3. the outcome in on_created */
	if (rc->sho->order_create(rc->sh, j->act->order, on_created, j, &e) != 0) {
		intent_end(rc, j->intent_id, INTENT_FAILED, e.msg);
		record_order(rc, w, SYNC_FAILED, "PLATFORM_ERROR", e.msg, RETRY_AUTO);
		add_item(rc, w, "order", "tiktok_to_shopify", "create_order",
			 SYNC_FAILED, "PLATFORM_ERROR", e.msg, NULL, RETRY_AUTO, 0);
	}
	rc->rep.stats.sh_writes++;
}

static const struct sh_order *find_by_tiktok_id(const struct sh_order_list *l,
						const char *tt_id)
{
	size_t i;

	for (i = 0; l && i < l->n; i++) {
		const struct sh_order *o = &l->v[i];

		if ((o->source_identifier && strcmp(o->source_identifier, tt_id) == 0) ||
		    (o->tiktok_order_id && strcmp(o->tiktok_order_id, tt_id) == 0))
			if (o->cancelled_at == 0 || i + 1 == l->n)
				return o;
	}
	return NULL;
}

/* Submit the next waiting lookup. Returns -1 with e set when the client
 * refused it (the batch is then still the caller's: q->v[q->next - 1]). */
static int lookup_submit_next(struct lookup_queue *q, struct err *e)
{
	struct lookup_batch *b;
	char *ids[LOOKUP_BATCH];
	size_t k;

	if (q->next >= q->n)
		return 0;
	b = q->v[q->next++];
	if (b->rc->aborted) {
		q->next--;
		return 0;
	}
	for (k = 0; k < b->n; k++)
		ids[k] = b->jobs[k]->w->tt_id;
	if (b->rc->sho->find_orders_by_tiktok_id(b->rc->sh, ids, b->n, on_lookup, b,
						 e) != 0)
		return -1;
	q->v[q->next - 1] = NULL;	/* on_lookup frees it */
	return 0;
}

/* From a lookup's answer: keep the queue going. A lookup the client
 * refuses fails its orders alone. */
static void lookup_next(struct lookup_queue *q)
{
	struct err e;
	size_t i;

	while (q->next < q->n) {
		struct lookup_batch *b;

		err_clear(&e);
		if (lookup_submit_next(q, &e) == 0)
			return;
		b = q->v[q->next - 1];
		q->v[q->next - 1] = NULL;
		for (i = 0; i < b->n; i++) {
			struct create_job *j = b->jobs[i];
			char *reason = xasprintf("could not check Shopify for an existing "
						 "order before creating it: %s", e.msg);

			record_order(b->rc, j->w, SYNC_FAILED, "PLATFORM_ERROR", reason,
				     RETRY_AUTO);
			count_order(b->rc, SYNC_FAILED);
			add_item(b->rc, j->w, "order", "tiktok_to_shopify", "create_order",
				 SYNC_FAILED, "PLATFORM_ERROR", reason, NULL, RETRY_AUTO, 0);
			free(reason);
		}
		free(b);
	}
}

/* Seconds since the latest open create of an order was attempted. */
static int open_create_age(struct run_ctx *rc, const char *tt_id, int64_t *age)
{
	struct intent in;
	struct err e;
	int found = 0;

	err_clear(&e);
	memset(&in, 0, sizeof(in));
	if (state_intent_open(rc->st, "order_create", tt_id, &in, &found, &e) != 0) {
		state_trouble(rc, &e);
		return -1;
	}
	*age = found ? rc->now - in.created_at : SEARCH_LAG_ALLOWANCE;
	intent_free(&in);
	return 0;
}

/* Not found by a search that may lag behind the attempt: not created
 * now, looked up again by a later run. */
static void create_deferred(struct run_ctx *rc, struct work_item *w, int64_t age)
{
	char *reason = xasprintf("Shopify did not answer the creation of this order %lld s "
				 "ago and its order search does not show it yet, which may "
				 "only be the search lagging behind; it is looked up again by "
				 "a run at least %d minutes after the attempt, and created then "
				 "if it is still not there", (long long)age,
				 SEARCH_LAG_ALLOWANCE / 60);

	record_order(rc, w, SYNC_FAILED, "OUTCOME_UNKNOWN", reason, RETRY_AUTO);
	count_order(rc, SYNC_FAILED);
	add_item(rc, w, "order", "tiktok_to_shopify", "create_order", SYNC_FAILED,
		 "OUTCOME_UNKNOWN", reason, NULL, RETRY_AUTO, 0);
	free(reason);
}

static void on_lookup(void *arg, struct sh_result *res,
		      struct sh_order_list *orders)
{
	struct lookup_batch *b = arg;
	struct run_ctx *rc = b->rc;
	size_t i;

	for (i = 0; i < b->n; i++) {
		struct create_job *j = b->jobs[i];
		const struct sh_order *found;

		if (res->oc != HTTP_OUTCOME_OK || res->err.cls != ERR_NONE) {
			char *reason = xasprintf("could not check Shopify for an existing "
						 "order before creating it: %s", res->err.msg);

			platform_refused_us(rc, &res->err);
			record_order(rc, j->w, SYNC_FAILED, "NETWORK_ERROR", reason, RETRY_AUTO);
			count_order(rc, SYNC_FAILED);
			add_item(rc, j->w, "order", "tiktok_to_shopify", "create_order",
				 SYNC_FAILED, "NETWORK_ERROR", reason, NULL, RETRY_AUTO, 0);
			free(reason);
			continue;
		}
		found = find_by_tiktok_id(orders, j->w->tt_id);
		if (found) {
			if (rc->dry_run) {
				char *d = xasprintf("dry run: already in Shopify as %s; would link it",
						    found->name ? found->name : found->id);

				add_item(rc, j->w, "order", "tiktok_to_shopify", "link_order",
					 SYNC_NOT_SYNCED, NULL, NULL, d, RETRY_NONE, 0);
				free(d);
				continue;
			}
			link_order(rc, j->w, j->act, found, 0, 0);
			continue;
		}
		/* An earlier attempt left its intent open (crash, lost answer)
		 * and Shopify's search has no such order. Soon after the
		 * attempt that may be the search lagging: the order waits for
		 * a later run. Later, the call did not land: close its intent
		 * before the new attempt writes its own, so the journal never
		 * holds a stale open create. */
		if (j->w->create_intent_open && !rc->dry_run) {
			int64_t age = 0;

			if (open_create_age(rc, j->w->tt_id, &age) != 0)
				continue;
			if (age < SEARCH_LAG_ALLOWANCE) {
				create_deferred(rc, j->w, age);
				continue;
			}
			if (close_intents(rc, "order_create", j->w->tt_id, INTENT_FAILED,
					  "not in Shopify when looked up again: the "
					  "earlier call did not land") != 0)
				continue;
			j->w->create_intent_open = 0;
		}
		start_create(j);
	}
	if (b->q)
		lookup_next(b->q);
	free(b);
}

static void on_cancelled(void *arg, struct sh_result *res)
{
	struct create_job *j = arg;
	struct run_ctx *rc = j->rc;
	struct work_item *w = j->w;
	struct err e;
	char *msg = NULL;
	int already = 0;

	err_clear(&e);
	if (res->oc == HTTP_OUTCOME_UNKNOWN) {
		crash_point("order_cancel", "unknown");
		intent_end(rc, j->intent_id, INTENT_UNKNOWN, res->err.msg);
		w->needs_refresh = 1;
		return;
	}
	crash_point("order_cancel", "response");
	if (res->nuser_errors) {
		msg = user_errors_text(res);
		already = strstr(msg, "already") != NULL && strstr(msg, "cancel") != NULL;
	}
	if (res->oc == HTTP_OUTCOME_OK && res->err.cls == ERR_NONE &&
	    (res->nuser_errors == 0 || already)) {
		/* The outcome and its effect in one transaction. */
		if (state_begin(rc->st, &e) != 0) {
			state_trouble(rc, &e);
		} else if (state_intent_finish(rc->st, j->intent_id, INTENT_DONE,
					       "cancelled", rc->now, &e) != 0 ||
			   state_order_set_cancel_state(rc->st, w->tt_id, 1, &e) != 0 ||
			   state_commit(rc->st, &e) != 0) {
			state_rollback(rc->st);
			state_trouble(rc, &e);
		}
		crash_point("order_cancel", "outcome");
		reload_rec(rc, w);
		rc->rep.stats.orders_cancelled++;
		add_item(rc, w, "order", "tiktok_to_shopify", "cancel_order", SYNC_SYNCED,
			 NULL, NULL,
			 "TikTok cancelled this order: cancelled in Shopify (restocked, no refund)",
			 RETRY_NONE, 0);
	} else {
		char *reason;

		platform_refused_us(rc, &res->err);
		if (msg == NULL)
			msg = xstrdup(res->err.msg);
		intent_end(rc, j->intent_id, INTENT_FAILED, msg);
		reason = xasprintf("TikTok cancelled this order but Shopify refused to "
				   "cancel %s: %s", w->rec.sh_name ? w->rec.sh_name : "it", msg);
		add_item(rc, w, "order", "tiktok_to_shopify", "cancel_order", SYNC_FAILED,
			 "SHOPIFY_CANCEL_FAILED", reason, NULL, RETRY_AUTO, 1);
		free(reason);
	}
	free(msg);
}

static void start_cancel(struct create_job *j)
{
	struct run_ctx *rc = j->rc;
	struct work_item *w = j->w;
	struct err e;

	err_clear(&e);
	if (rc->dry_run) {
		add_item(rc, w, "order", "tiktok_to_shopify", "cancel_order",
			 SYNC_NOT_SYNCED, NULL, NULL,
			 "dry run: TikTok cancelled this order; would cancel it in Shopify",
			 RETRY_NONE, 1);
		return;
	}
	/* Planned from this run's picture of the Shopify order: it is not
	 * cancelled, so an earlier attempt left open did not land. */
	if (close_intents(rc, "order_cancel", w->tt_id, INTENT_FAILED,
			  "the Shopify order was not cancelled when looked at again: "
			  "the earlier call did not land") != 0)
		return;
	if (intent_begin(rc, "order_cancel", w->tt_id, w->tt_id,
			 json_pack("{s:s}", "order", j->act->sh_order_id), &j->intent_id) != 0)
		return;
	crash_point("order_cancel", "intent");
	if (rc->sho->order_cancel(rc->sh, j->act->sh_order_id,
				  "TikTok Shop cancelled this order (ttsync)",
				  on_cancelled, j, &e) != 0) {
		intent_end(rc, j->intent_id, INTENT_FAILED, e.msg);
		add_item(rc, w, "order", "tiktok_to_shopify", "cancel_order", SYNC_FAILED,
			 "SHOPIFY_CANCEL_FAILED", e.msg, NULL, RETRY_AUTO, 1);
	}
	rc->rep.stats.sh_writes++;
}

static void apply_order_record(struct run_ctx *rc, struct work_item *w,
			       const struct action *a)
{
	/* Re-stating an unchanged status is not news for the report, except
	 * failures (the morning list) and skips seen in this window. */
	int unchanged = w->rec.status == a->status &&
			((w->rec.reason_code == NULL && a->reason_code == NULL) ||
			 (w->rec.reason_code && a->reason_code &&
			  strcmp(w->rec.reason_code, a->reason_code) == 0));

	record_order_remedy(rc, w, a->status, a->reason_code, a->reason,
			    a->remedy, a->retry);
	/* TikTok cancelled a linked order: remember we dealt with it (1: the
	 * Shopify order is cancelled, 2: reported only). */
	if (a->reason_code && w->rec.sh_gid && !rc->dry_run &&
	    (strcmp(a->reason_code, "CANCELLED_AFTER_FULFILLMENT") == 0 ||
	     strcmp(a->reason_code, "ORDER_CANCELLED") == 0)) {
		struct err e;
		int cs = strcmp(a->reason_code, "ORDER_CANCELLED") == 0 && !a->alert ? 1 : 2;

		err_clear(&e);
		if (state_order_set_cancel_state(rc->st, w->tt_id, cs, &e) != 0)
			state_trouble(rc, &e);
		/* A cancel whose answer was lost (or a crash) did land. */
		if (w->have_sh && w->sh.cancelled_at != 0)
			close_intents(rc, "order_cancel", w->tt_id, INTENT_DONE,
				      "found cancelled in Shopify");
	}
	if (unchanged && a->status != SYNC_FAILED && !w->from_tt_window && !a->alert)
		return;
	count_order(rc, a->status);
	add_item_remedy(rc, w, "order", "tiktok_to_shopify", "none", a->status,
			a->reason_code, a->reason, a->remedy, NULL, a->retry,
			a->alert);
}

static int order_round(struct run_ctx *rc, int round, struct err *e)
{
	struct plan_order *pos = NULL;
	struct plan_settings ps;
	struct action_list al;
	struct create_job *jobs = NULL;
	struct lookup_batch *batch = NULL;
	struct lookup_queue lq;
	size_t i, n = 0, nj = 0;
	int ret = -1;

	memset(&lq, 0, sizeof(lq));
	action_list_init(&al);
	pos = xcalloc(rc->nitems ? rc->nitems : 1, sizeof(*pos));
	for (i = 0; i < rc->nitems; i++) {
		struct work_item *w = rc->items[i];

		if (!w->have_tt || (round == 0 && w->orders_done) ||
		    (round > 0 && !w->needs_refresh))
			continue;
		work_to_plan(rc, w, &pos[n++]);
	}
	for (i = 0; i < rc->nitems; i++)
		rc->items[i]->needs_refresh = rc->items[i]->needs_replan = 0;
	memset(&ps, 0, sizeof(ps));
	ps.cfg = rc->cfg;
	ps.now = rc->now;
	ps.orders_enabled = rc->mode != RUN_SYNC_FULFILLMENTS;
	ps.orders_auto = rc->mode == RUN_SCHEDULED && rc->cfg->order_auto_sync;
	ps.fulfillments_enabled = rc->mode != RUN_SYNC_ORDERS;
	ps.fulfillments_auto = rc->mode == RUN_SCHEDULED && rc->cfg->fulfillment_auto_sync;
	if (plan_orders(pos, n, &ps, &al, e) != 0)
		goto cleanup;
	jobs = xcalloc(al.n ? al.n : 1, sizeof(*jobs));
	lq.v = xcalloc(al.n / LOOKUP_BATCH + 1, sizeof(*lq.v));
	for (i = 0; i < al.n && !rc->aborted; i++) {
		const struct action *a = &al.v[i];
		struct work_item *w = work_find(rc, a->tt_order_id);

		if (w == NULL)
			continue;
		switch (a->kind) {
		case ACT_ORDER_RECORD:
			apply_order_record(rc, w, a);
			break;
		case ACT_ORDER_CREATE:
			jobs[nj].rc = rc;
			jobs[nj].w = w;
			jobs[nj].act = a;
			if (batch == NULL) {
				batch = xcalloc(1, sizeof(*batch));
				batch->rc = rc;
				batch->q = &lq;
			}
			batch->jobs[batch->n++] = &jobs[nj++];
			if (batch->n == LOOKUP_BATCH) {
				lq.v[lq.n++] = batch;
				batch = NULL;
			}
			break;
		case ACT_ORDER_CANCEL:
			jobs[nj].rc = rc;
			jobs[nj].w = w;
			jobs[nj].act = a;
			start_cancel(&jobs[nj++]);
			break;
		default:
			break;
		}
	}
	if (batch && batch->n) {
		lq.v[lq.n++] = batch;
		batch = NULL;
	}
	/* The first few lookups; each answer submits the next one. */
	for (i = 0; i < LOOKUP_AHEAD && lq.next < lq.n; i++)
		if (lookup_submit_next(&lq, e) != 0)
			goto cleanup;
	if (http_run(rc->http, e) != 0)
		goto cleanup;
	ret = 0;
cleanup:
	/* Lookups never submitted (the run aborted) are dropped; the
	 * engine's queue is empty once http_run returned. */
	for (i = 0; i < lq.n; i++)
		free(lq.v[i]);
	free(lq.v);
	free(batch);
	free(jobs);
	action_list_free(&al);
	free(pos);
	return ret;
}

static int any_refresh(struct run_ctx *rc)
{
	size_t i;

	for (i = 0; i < rc->nitems; i++)
		if (rc->items[i]->needs_refresh || rc->items[i]->needs_replan)
			return 1;
	return 0;
}

int apply_orders(struct run_ctx *rc, struct err *e)
{
	int round;

	for (round = 0; round < MAX_ROUNDS; round++) {
		if (order_round(rc, round, e) != 0)
			return -1;
		if (rc->aborted) {
			*e = rc->abort_err;
			return -1;
		}
		if (!any_refresh(rc))
			break;
		/* Unknown outcomes: read both platforms again, then re-plan. */
		if (round + 1 < MAX_ROUNDS && refetch_items(rc, e) != 0)
			return -1;
	}
	return 0;
}

/* ---- fulfillments ------------------------------------------------------ */

struct ful_job {
	struct run_ctx *rc;
	struct work_item *w;
	const struct action *act;
	int64_t intent_id;
	int *progress;
};

static const char *ful_direction(const struct action *a)
{
	if (a->kind == ACT_SHIP_PACKAGE || a->kind == ACT_UPDATE_SHIPPING ||
	    (a->ful && a->ful->dir == FUL_PUSH))
		return "shopify_to_tiktok";
	return "tiktok_to_shopify";
}

static char *ful_detail(const struct action *a, const char *extra)
{
	struct strbuf sb = STRBUF_INIT;
	const struct ful_rec *f = a->ful;

	sb_add(&sb, a->ful_key ? a->ful_key : "");
	if (a->tracking_number || (f && f->tracking_number))
		sb_addf(&sb, "; tracking %s",
			a->tracking_number ? a->tracking_number : f->tracking_number);
	if (a->provider_name || (f && f->provider_name))
		sb_addf(&sb, "; TikTok provider %s",
			a->provider_name ? a->provider_name : f->provider_name);
	if (f && f->carrier)
		sb_addf(&sb, "; carrier %s", f->carrier);
	if (a->event_status)
		sb_addf(&sb, "; event %s", a->event_status);
	if (extra && *extra)
		sb_addf(&sb, "; %s", extra);
	return sb_detach(&sb);
}

/* Store a fulfillment record (copy of the plan's, with changes). */
static int put_ful(struct run_ctx *rc, struct ful_rec *f, int64_t intent_id,
		   enum intent_state ist, const char *result)
{
	struct err e;

	err_clear(&e);
	if (rc->dry_run)
		return 0;
	f->updated_at = rc->now;
	if (state_begin(rc->st, &e) != 0)
		goto fail;
	if (intent_id > 0 &&
	    state_intent_finish(rc->st, intent_id, ist, result, rc->now, &e) != 0)
		goto fail_tx;
	if (state_ful_put(rc->st, f, &e) != 0 || state_commit(rc->st, &e) != 0)
		goto fail_tx;
	return 0;
fail_tx:
	state_rollback(rc->st);
fail:
	state_trouble(rc, &e);
	return -1;
}

/* The intent kinds of fulfillment records: a record settled from what
 * the platforms show settles every one of them for its key. */
static const char *const ful_intent_kinds[] = {
	"ship_package", "update_shipping", "fulfillment_create", "fulfillment_event",
};

/* Store a record made from the platforms' picture (no call) and, when it
 * is synced, settle in the same transaction every intent of its key that
 * a crash or a lost answer left open. */
static int put_ful_settle(struct run_ctx *rc, struct ful_rec *f, int settle)
{
	struct err e;
	size_t k;

	err_clear(&e);
	if (rc->dry_run)
		return 0;
	f->updated_at = rc->now;
	if (state_begin(rc->st, &e) != 0)
		goto fail;
	if (state_ful_put(rc->st, f, &e) != 0)
		goto fail_tx;
	for (k = 0; settle && k < ARRAY_SIZE(ful_intent_kinds); k++)
		if (state_intent_close_all(rc->st, ful_intent_kinds[k], f->key, INTENT_DONE,
					   "found on the platform", rc->now, &e) != 0)
			goto fail_tx;
	if (state_commit(rc->st, &e) != 0)
		goto fail_tx;
	return 0;
fail_tx:
	state_rollback(rc->st);
fail:
	state_trouble(rc, &e);
	return -1;
}

/* Keep a failed or lost attempt in the state: the intent's end and the
 * record carrying the failure. */
static void ful_store_failure(struct ful_job *j, const char *code, const char *reason,
			      enum retry_class retry, enum intent_state ist)
{
	struct run_ctx *rc = j->rc;
	struct ful_rec f;
	const struct reason *rs = reason_lookup(code);

	memset(&f, 0, sizeof(f));
	if (j->act->ful) {
		size_t i;

		f = *j->act->ful;
		/* A refused or lost tracking update leaves the record as it was
		 * (old tracking, old count), now carrying the failure. */
		if (j->act->kind == ACT_UPDATE_SHIPPING)
			for (i = 0; i < j->w->nfuls; i++)
				if (strcmp(j->w->fuls[i].key, j->act->ful_key) == 0)
					f = j->w->fuls[i];
		f.reason_code = (char *)code;
		f.reason = (char *)reason;
		f.remedy = rs ? (char *)rs->remedy : NULL;
		f.retry = retry;
		/* A failed tracking update or event keeps the shipment synced. */
		if (j->act->kind == ACT_SHIP_PACKAGE || j->act->kind == ACT_FULFILLMENT_CREATE)
			f.status = SYNC_FAILED;
		put_ful(rc, &f, j->intent_id, ist, reason);
	} else if (j->intent_id > 0) {
		intent_end(rc, j->intent_id, ist, reason);
	}
}

static void ful_failed(struct ful_job *j, const char *code, const char *reason,
		       enum retry_class retry, const char *action_name,
		       enum intent_state ist)
{
	struct run_ctx *rc = j->rc;
	char *detail = ful_detail(j->act, NULL);

	ful_store_failure(j, code, reason, retry, ist);
	rc->rep.stats.ful_failed++;
	add_item(rc, j->w, "fulfillment", ful_direction(j->act), action_name,
		 SYNC_FAILED, code, reason, detail, retry, 0);
	free(detail);
}

static void on_shipped(void *arg, struct tt_result *res, struct tt_ship_result *ship)
{
	struct ful_job *j = arg;
	struct run_ctx *rc = j->rc;
	const struct action *a = j->act;
	struct ful_rec f;
	char *detail;

	if (res->oc == HTTP_OUTCOME_OK && res->code == 0 && ship) {
		memset(&f, 0, sizeof(f));
		f = *a->ful;
		f.status = SYNC_SYNCED;
		f.reason_code = f.reason = f.remedy = NULL;
		f.retry = RETRY_NONE;
		f.tt_package_id = ship->package_id;
		f.shipped_at = rc->now;
		f.warning = ship->warning;
		if ((crash_point("ship_package", "response"), 1) &&
		    put_ful(rc, &f, j->intent_id, INTENT_DONE, ship->package_id) == 0) {
			rc->rep.stats.ful_pushed++;
			(*j->progress)++;
			crash_point("ship_package", "outcome");
			detail = ful_detail(a, ship->warning ? ship->warning : NULL);
			add_item(rc, j->w, "fulfillment", "shopify_to_tiktok", "ship_package",
				 SYNC_SYNCED, NULL, NULL, detail, RETRY_NONE, 0);
			free(detail);
		}
		return;
	}
	if (res->oc == HTTP_OUTCOME_UNKNOWN) {
		crash_point("ship_package", "unknown");
		/* Re-read the order: shipped with our tracking = synced. */
		j->w->needs_refresh = 1;
		ful_store_failure(j, "OUTCOME_UNKNOWN", res->err.msg, RETRY_AUTO,
				  INTENT_UNKNOWN);
		return;
	}
	platform_refused_us(rc, &res->err);
	if (res->code > 0) {
		const char *code = reason_from_tiktok_code(res->code, res->message);
		const struct reason *rs = reason_lookup(code);
		char *reason = xasprintf("TikTok refused the shipment (%ld: %s)", res->code,
					 res->message ? res->message : "");

		/* "Already shipped": maybe by our own lost call; look again. */
		if (strcmp(code, "ALREADY_SHIPPED_OTHER_TRACKING") == 0 ||
		    strcmp(code, "ITEMS_FULFILLED_DIFFERENTLY") == 0)
			j->w->needs_refresh = 1;
		ful_failed(j, code, reason, rs ? rs->retry : RETRY_AUTO, "ship_package",
			   INTENT_FAILED);
		free(reason);
		return;
	}
	ful_failed(j, "NETWORK_ERROR", res->err.msg, RETRY_AUTO, "ship_package",
		   INTENT_FAILED);
}

static void on_updated(void *arg, struct tt_result *res)
{
	struct ful_job *j = arg;
	struct run_ctx *rc = j->rc;
	const struct action *a = j->act;
	struct ful_rec f;
	char *detail;

	if (res->oc == HTTP_OUTCOME_OK && res->code == 0) {
		f = *a->ful;
		f.status = SYNC_SYNCED;
		f.reason_code = f.reason = f.remedy = NULL;
		f.retry = RETRY_NONE;
		if ((crash_point("update_shipping", "response"), 1) &&
		    put_ful(rc, &f, j->intent_id, INTENT_DONE, a->tracking_number) == 0) {
			rc->rep.stats.ful_updated++;
			(*j->progress)++;
			crash_point("update_shipping", "outcome");
			detail = ful_detail(a, "tracking number updated on TikTok (the one "
					       "change TikTok allows)");
			add_item(rc, j->w, "fulfillment", "shopify_to_tiktok",
				 "update_tracking", SYNC_SYNCED, NULL, NULL, detail,
				 RETRY_NONE, 0);
			free(detail);
		}
		return;
	}
	if (res->oc == HTTP_OUTCOME_UNKNOWN) {
		crash_point("update_shipping", "unknown");
		j->w->needs_refresh = 1;
		ful_store_failure(j, "OUTCOME_UNKNOWN", res->err.msg, RETRY_AUTO,
				  INTENT_UNKNOWN);
		return;
	}
	platform_refused_us(rc, &res->err);
	if (res->code > 0) {
		const char *code = reason_from_tiktok_code(res->code, res->message);
		const struct reason *rs = reason_lookup(code);
		char *reason = xasprintf("TikTok refused the tracking update to %s (%ld: %s)",
					 a->tracking_number ? a->tracking_number : "?",
					 res->code, res->message ? res->message : "");

		ful_failed(j, code, reason, rs ? rs->retry : RETRY_PERSON,
			   "update_tracking", INTENT_FAILED);
		free(reason);
		return;
	}
	ful_failed(j, "NETWORK_ERROR", res->err.msg, RETRY_AUTO, "update_tracking",
		   INTENT_FAILED);
}

static void on_fulfilled(void *arg, struct sh_result *res, struct sh_fulfillment *sf)
{
	struct ful_job *j = arg;
	struct run_ctx *rc = j->rc;
	const struct action *a = j->act;
	struct ful_rec f;
	char *detail, *msg;

	if (res->oc == HTTP_OUTCOME_OK && res->err.cls == ERR_NONE &&
	    res->nuser_errors == 0 && sf && sf->id) {
		f = *a->ful;
		f.status = SYNC_SYNCED;
		f.reason_code = f.reason = f.remedy = NULL;
		f.retry = RETRY_NONE;
		f.sh_fulfillment_id = sf->id;
		if ((crash_point("fulfillment_create", "response"), 1) &&
		    put_ful(rc, &f, j->intent_id, INTENT_DONE, sf->id) == 0) {
			rc->rep.stats.ful_pulled++;
			(*j->progress)++;
			crash_point("fulfillment_create", "outcome");
			j->w->needs_replan = 1;	/* events may follow in this run */
			append_fulfillment(&j->w->sh, sf);
			detail = ful_detail(a, sf->name);
			add_item(rc, j->w, "fulfillment", "tiktok_to_shopify",
				 "create_fulfillment", SYNC_SYNCED, NULL, NULL, detail,
				 RETRY_NONE, 0);
			free(detail);
		}
		return;
	}
	if (res->oc == HTTP_OUTCOME_UNKNOWN) {
		crash_point("fulfillment_create", "unknown");
		j->w->needs_refresh = 1;
		ful_store_failure(j, "OUTCOME_UNKNOWN", res->err.msg, RETRY_AUTO,
				  INTENT_UNKNOWN);
		return;
	}
	platform_refused_us(rc, &res->err);
	msg = user_errors_text(res);
	{
		char *reason = xasprintf("Shopify did not create the fulfillment: %s", msg);
		const char *code = strstr(msg, "unfulfillable status") ||
				   strstr(msg, "closed") ? "FULFILLMENT_ORDER_CLOSED"
				   : (res->nuser_errors ? "SHOPIFY_USER_ERROR" : "NETWORK_ERROR");

		ful_failed(j, code, reason,
			   res->nuser_errors ? RETRY_AFTER_FIX : RETRY_AUTO,
			   "create_fulfillment", INTENT_FAILED);
		free(reason);
	}
	free(msg);
}

static void on_event(void *arg, struct sh_result *res)
{
	struct ful_job *j = arg;
	struct run_ctx *rc = j->rc;
	const struct action *a = j->act;
	struct ful_rec f;
	char *detail, *msg;

	if (res->oc == HTTP_OUTCOME_OK && res->err.cls == ERR_NONE &&
	    res->nuser_errors == 0) {
		f = *a->ful;
		f.events_sent |= a->event_bit;
		if ((crash_point("fulfillment_event", "response"), 1) &&
		    put_ful(rc, &f, j->intent_id, INTENT_DONE, a->event_status) == 0) {
			rc->rep.stats.ful_events++;
			(*j->progress)++;
			crash_point("fulfillment_event", "outcome");
			detail = ful_detail(a, NULL);
			add_item(rc, j->w, "fulfillment", "tiktok_to_shopify",
				 "fulfillment_event", SYNC_SYNCED, NULL, NULL, detail,
				 RETRY_NONE, 0);
			free(detail);
		}
		return;
	}
	if (res->oc == HTTP_OUTCOME_UNKNOWN) {
		crash_point("fulfillment_event", "unknown");
		intent_end(rc, j->intent_id, INTENT_UNKNOWN, res->err.msg);
		j->w->needs_refresh = 1;
		return;
	}
	platform_refused_us(rc, &res->err);
	msg = user_errors_text(res);
	intent_end(rc, j->intent_id, INTENT_FAILED, msg);
	detail = ful_detail(a, NULL);
	{
		char *reason = xasprintf("Shopify did not record the %s event: %s",
					 a->event_status ? a->event_status : "", msg);

		rc->rep.stats.ful_failed++;
		add_item(rc, j->w, "fulfillment", "tiktok_to_shopify", "fulfillment_event",
			 SYNC_FAILED, res->nuser_errors ? "SHOPIFY_USER_ERROR" : "NETWORK_ERROR",
			 reason, detail, RETRY_AUTO, 0);
		free(reason);
	}
	free(detail);
	free(msg);
}

static json_t *ful_payload(const struct action *a)
{
	json_t *p = json_object();
	json_t *ids = json_array();
	size_t i;

	json_object_set_new(p, "key", json_string(a->ful_key ? a->ful_key : ""));
	if (a->tracking_number)
		json_object_set_new(p, "tracking_number", json_string(a->tracking_number));
	if (a->provider_id)
		json_object_set_new(p, "provider_id", json_string(a->provider_id));
	if (a->package_id)
		json_object_set_new(p, "package_id", json_string(a->package_id));
	if (a->event_status)
		json_object_set_new(p, "event", json_string(a->event_status));
	for (i = 0; i < a->ntt_line_ids; i++)
		json_array_append_new(ids, json_string(a->tt_line_ids[i]));
	json_object_set_new(p, "line_item_ids", ids);
	return p;
}

static void start_ful_action(struct ful_job *j)
{
	struct run_ctx *rc = j->rc;
	const struct action *a = j->act;
	const char *kind = NULL, *name = action_kind_name(a->kind);
	struct err e;
	int rcode = 0;

	err_clear(&e);
	if (rc->aborted)
		return;
	if (rc->dry_run) {
		char *detail = ful_detail(a, "dry run: would do this");

		add_item(rc, j->w, "fulfillment", ful_direction(a), name, SYNC_NOT_SYNCED,
			 NULL, NULL, detail, RETRY_NONE, 0);
		free(detail);
		return;
	}
	switch (a->kind) {
	case ACT_SHIP_PACKAGE:
		kind = "ship_package";
		break;
	case ACT_UPDATE_SHIPPING:
		kind = "update_shipping";
		break;
	case ACT_FULFILLMENT_CREATE:
		kind = "fulfillment_create";
		break;
	case ACT_FULFILLMENT_EVENT:
		kind = "fulfillment_event";
		break;
	default:
		return;
	}
	/* Planned from this run's picture of both platforms, which does not
	 * show the effect: an attempt a crash or a lost answer left open
	 * did not land, and this one replaces it. */
	if (close_intents(rc, kind, a->ful_key, INTENT_FAILED,
			  "superseded: its effect was not on the platform when "
			  "looked at again") != 0)
		return;
	if (intent_begin(rc, kind, a->ful_key, j->w->tt_id, ful_payload(a),
			 &j->intent_id) != 0)
		return;
	crash_point(kind, "intent");
	switch (a->kind) {
	case ACT_SHIP_PACKAGE:
		rcode = rc->tto->ship_package(rc->tt, j->w->tt_id, a->tt_line_ids,
					      a->ntt_line_ids, a->tracking_number,
					      a->provider_id, on_shipped, j, &e);
		rc->rep.stats.tt_writes++;
		break;
	case ACT_UPDATE_SHIPPING:
		rcode = rc->tto->update_package_shipping(rc->tt, a->package_id,
							 a->tracking_number, a->provider_id,
							 on_updated, j, &e);
		rc->rep.stats.tt_writes++;
		break;
	case ACT_FULFILLMENT_CREATE:
		rcode = rc->sho->fulfillment_create(rc->sh, a->fulfillment, on_fulfilled,
						    j, &e);
		rc->rep.stats.sh_writes++;
		break;
	case ACT_FULFILLMENT_EVENT:
		rcode = rc->sho->fulfillment_event_create(rc->sh, a->sh_fulfillment_id,
							  a->event_status, a->happened_at,
							  on_event, j, &e);
		rc->rep.stats.sh_writes++;
		break;
	default:
		break;
	}
	if (rcode != 0)
		ful_failed(j, "PLATFORM_ERROR", e.msg, RETRY_AUTO, name, INTENT_FAILED);
}

/* Has this run's report an item for the fulfillment record `key` with
 * this status and reason already (a later round planning the order again)? */
static int ful_reported(const struct run_ctx *rc, const struct work_item *w,
			const char *key, enum sync_status st, const char *code)
{
	return report_has_key(&rc->rep, "fulfillment", w->tt_id, key, st, code);
}

static void apply_ful_record(struct run_ctx *rc, struct work_item *w,
			     const struct action *a, int round)
{
	const struct ful_rec *old = NULL;
	struct ful_rec f;
	size_t i;
	char *detail;

	for (i = 0; i < w->nfuls; i++)
		if (a->ful_key && strcmp(w->fuls[i].key, a->ful_key) == 0)
			old = &w->fuls[i];
	if (a->ful) {
		f = *a->ful;
		f.status = a->status;
		f.reason_code = a->reason_code;
		f.reason = a->reason;
		f.retry = a->retry;
		{
			const struct reason *rs = a->reason_code ? reason_lookup(a->reason_code) : NULL;

			f.remedy = rs ? (char *)rs->remedy : NULL;
		}
		/* A synced record made from what the platforms show settles
		 * any intent of its key a crash or a lost answer left open. */
		put_ful_settle(rc, &f, a->status == SYNC_SYNCED);
	}
	/* Found synced on the platform (no call): delivery events may
	 * follow in this run's next round, as after a call. */
	if (!rc->dry_run && a->status == SYNC_SYNCED && a->ful != NULL &&
	    (old == NULL || old->status != SYNC_SYNCED))
		w->needs_replan = 1;
	if (old && old->status == a->status && a->status != SYNC_FAILED &&
	    ((old->reason_code == NULL && a->reason_code == NULL) ||
	     (old->reason_code && a->reason_code &&
	      strcmp(old->reason_code, a->reason_code) == 0)))
		return;
	/* A later round re-plans the whole order: what it already reported
	 * in this run is not news. */
	if (round > 0 && ful_reported(rc, w, a->ful_key, a->status, a->reason_code))
		return;
	if (a->status == SYNC_FAILED)
		rc->rep.stats.ful_failed++;
	detail = ful_detail(a, NULL);
	add_item(rc, w, "fulfillment", ful_direction(a), "none", a->status,
		 a->reason_code, a->reason, detail, a->retry, a->alert);
	free(detail);
}

static int reload_fuls(struct run_ctx *rc, struct work_item *w)
{
	struct err e;

	err_clear(&e);
	if (rc->dry_run)
		return 0;
	ful_rec_free_array(w->fuls, w->nfuls);
	w->fuls = NULL;
	w->nfuls = 0;
	if (state_ful_list_for_order(rc->st, w->tt_id, &w->fuls, &w->nfuls, &e) != 0) {
		state_trouble(rc, &e);
		return -1;
	}
	return 0;
}

#define TT_REFRESH_BATCH 50	/* Get Order Detail takes at most 50 ids */

/* One round of fulfillment work: the plans made, and the calls started
 * from them (kept until the round's http_run is over). */
struct ful_stage {
	struct run_ctx *rc;
	int round;
	int *progress;
	struct plan_settings ps;
	struct action_list **lists;
	size_t nlists;
	struct ful_job **jobs;
	size_t njobs;
	char *refresh[TT_REFRESH_BATCH];	/* seller orders to read again first */
	size_t nrefresh;
	int failed;
	struct err err;
};

/* Plan some orders and start what the plan says: records are written at
 * once, calls are queued on the engine. */
static void stage_plan(struct ful_stage *fs, const struct plan_order *pos, size_t n)
{
	struct run_ctx *rc = fs->rc;
	struct action_list *al;
	size_t i;

	if (n == 0 || fs->failed)
		return;
	al = xcalloc(1, sizeof(*al));
	action_list_init(al);
	fs->lists = xrealloc(fs->lists, (fs->nlists + 1) * sizeof(*fs->lists));
	fs->lists[fs->nlists++] = al;
	if (plan_fulfillments(pos, n, &fs->ps, al, &fs->err) != 0) {
		fs->failed = 1;
		return;
	}
	for (i = 0; i < al->n && !rc->aborted; i++) {
		const struct action *a = &al->v[i];
		struct work_item *w = work_find(rc, a->tt_order_id);
		struct ful_job *j;

		if (w == NULL)
			continue;
		if (a->kind == ACT_FUL_RECORD || a->kind == ACT_ORDER_RECORD) {
			apply_ful_record(rc, w, a, fs->round);
			continue;
		}
		j = xcalloc(1, sizeof(*j));
		j->rc = rc;
		j->w = w;
		j->act = a;
		j->progress = fs->progress;
		fs->jobs = xrealloc(fs->jobs, (fs->njobs + 1) * sizeof(*fs->jobs));
		fs->jobs[fs->njobs++] = j;
		start_ful_action(j);
	}
}

/* A full Shopify picture arrived (fetch_details_async): plan the order. */
static void stage_plan_one(struct run_ctx *rc, struct work_item *w, void *arg)
{
	struct plan_order po;

	work_to_plan(rc, w, &po);
	stage_plan(arg, &po, 1);
}

static void ful_stage_init(struct ful_stage *fs, struct run_ctx *rc, int round,
			   int *progress)
{
	memset(fs, 0, sizeof(*fs));
	fs->rc = rc;
	fs->round = round;
	fs->progress = progress;
	fs->ps.cfg = rc->cfg;
	fs->ps.now = rc->now;
	fs->ps.orders_enabled = rc->mode != RUN_SYNC_FULFILLMENTS;
	fs->ps.orders_auto = rc->mode == RUN_SCHEDULED && rc->cfg->order_auto_sync;
	fs->ps.fulfillments_enabled = rc->mode != RUN_SYNC_ORDERS;
	fs->ps.fulfillments_auto = rc->mode == RUN_SCHEDULED && rc->cfg->fulfillment_auto_sync;
}

static void ful_stage_free(struct ful_stage *fs)
{
	size_t i;

	for (i = 0; i < fs->njobs; i++)
		free(fs->jobs[i]);
	free(fs->jobs);
	for (i = 0; i < fs->nrefresh; i++)
		free(fs->refresh[i]);
	for (i = 0; i < fs->nlists; i++) {
		action_list_free(fs->lists[i]);
		free(fs->lists[i]);
	}
	free(fs->lists);
	memset(fs, 0, sizeof(*fs));
}

/* Is an order from a window page ready to be planned now? Its Shopify
 * picture must do (a pull needs the fulfillment orders), its TikTok one
 * must be fresh if something waits to be pushed, and its carrier list
 * known. */
static int ready_early(struct run_ctx *rc, const struct work_item *w)
{
	int seller = w->tt.shipping_type && strcmp(w->tt.shipping_type, "SELLER") == 0;
	size_t i;

	if (!w->have_tt || w->rec.sh_gid == NULL || !w->have_sh || w->selected)
		return 0;
	if (seller) {
		if (work_providers(rc, w->tt.delivery_option_id) == NULL)
			return 0;
		if (!w->tt_fresh)
			return 0;	/* read again first (fetch_refresh_before_push) */
		return 1;
	}
	if (!w->sh.partial)
		return 1;
	for (i = 0; i < w->tt.nlines; i++)
		if (w->tt.lines[i].package_id && *w->tt.lines[i].package_id)
			return 0;	/* maybe a package to pull: needs the full picture */
	return 1;
}

/* A seller-shipping order read again from TikTok (or whose read failed:
 * its snapshot): plan it now, unless round 0 already did. */
static void refreshed(struct run_ctx *rc, struct work_item *w, void *arg)
{
	if (w->ful_started)
		return;
	w->ful_started = 1;
	stage_plan_one(rc, w, arg);
}

/* A full Shopify picture read before the window arrived: start what it
 * makes ready (round 0 plans the rest). */
static void early_detail(struct run_ctx *rc, struct work_item *w, void *arg)
{
	if (w->ful_started || !ready_early(rc, w))
		return;
	w->ful_started = 1;
	stage_plan_one(rc, w, arg);
}

/* Send the batch of orders to read again (fetch_refresh_async). */
static void refresh_flush(struct ful_stage *fs)
{
	struct err e;
	size_t i;

	err_clear(&e);
	if (fs->nrefresh > 0 &&
	    fetch_refresh_async(fs->rc, fs->refresh, fs->nrefresh, refreshed, fs, &e) != 0)
		logmsg(LOG_WARN, "could not read %zu TikTok orders again before shipping: %s",
		       fs->nrefresh, e.msg);
	for (i = 0; i < fs->nrefresh; i++)
		free(fs->refresh[i]);
	fs->nrefresh = 0;
}

/* A page of the Shopify window arrived: start what is ready, so the
 * calls run while the next pages are read. A seller-shipping order known
 * only from its snapshot with something to push is read again from TikTok
 * first (TikTok's advice; a pending cancel request does not move its
 * update_time), 50 a call, and starts when that answer arrives. */
static void window_hook(struct run_ctx *rc, struct work_item *w, void *arg)
{
	struct ful_stage *fs = arg;

	if (w->ful_started || w->tt_refreshing || w->detail_inflight)
		return;
	if (ready_early(rc, w)) {
		w->ful_started = 1;
		stage_plan_one(rc, w, arg);
		return;
	}
	if (w->selected || !work_wants_tt_refresh(w) ||
	    work_providers(rc, w->tt.delivery_option_id) == NULL)
		return;
	w->tt_refreshing = 1;	/* not planned by round 0 meanwhile */
	fs->refresh[fs->nrefresh++] = xstrdup(w->tt_id);
	if (fs->nrefresh == TT_REFRESH_BATCH)
		refresh_flush(fs);
}

/* Round 0 of the fulfillment stage starts in `fs` (maybe already holding
 * what the window hook started); later rounds re-plan what the answers
 * asked for. */
static int ful_round(struct run_ctx *rc, struct ful_stage *fs, struct err *e)
{
	struct plan_order *pos;
	size_t i, n = 0;
	int details = 0;
	int ret = -1;

	if (fs->round == 0)
		details = fetch_mark_details(rc, 0);
	pos = xcalloc(rc->nitems ? rc->nitems : 1, sizeof(*pos));
	for (i = 0; i < rc->nitems; i++) {
		struct work_item *w = rc->items[i];

		if (!w->have_tt || w->rec.sh_gid == NULL || !w->have_sh || w->want_detail ||
		    w->tt_refreshing || w->detail_inflight)
			continue;	/* (a read again from TikTok plans it) */
		if (fs->round == 0 && w->ful_started)
			continue;
		if (fs->round > 0 && !w->needs_refresh && !w->needs_replan)
			continue;
		work_to_plan(rc, w, &pos[n++]);
	}
	for (i = 0; i < rc->nitems; i++)
		if (fs->round > 0 || !rc->items[i]->ful_started)
			rc->items[i]->needs_refresh = rc->items[i]->needs_replan = 0;
	stage_plan(fs, pos, n);
	if (fs->failed) {
		*e = fs->err;
		goto cleanup;
	}
	if (details && fetch_details_async(rc, stage_plan_one, fs, e) != 0)
		goto cleanup;
	if (http_run(rc->http, e) != 0)
		goto cleanup;
	if (fs->failed) {
		*e = fs->err;
		goto cleanup;
	}
	if (rc->detail_failed) {
		*e = rc->detail_err;
		goto cleanup;
	}
	for (i = 0; i < rc->nitems; i++)
		reload_fuls(rc, rc->items[i]);
	ret = 0;
cleanup:
	free(pos);
	return ret;
}

/* Calls whose answer was lost and that the re-read rounds could not
 * settle: reported now (retried by the next run, which looks first). */
static void report_unresolved(struct run_ctx *rc)
{
	size_t i, k;

	for (i = 0; i < rc->nitems; i++) {
		struct work_item *w = rc->items[i];

		for (k = 0; k < w->nfuls; k++) {
			const struct ful_rec *f = &w->fuls[k];
			char *detail;

			if (f->reason_code == NULL ||
			    strcmp(f->reason_code, "OUTCOME_UNKNOWN") != 0 ||
			    f->updated_at != rc->now)
				continue;
			detail = xasprintf("%s; tracking %s", f->key,
					   f->tracking_number ? f->tracking_number : "-");
			rc->rep.stats.ful_failed++;
			add_item(rc, w, "fulfillment",
				 f->dir == FUL_PUSH ? "shopify_to_tiktok" : "tiktok_to_shopify",
				 "none", SYNC_FAILED, "OUTCOME_UNKNOWN", f->reason, detail,
				 f->retry, 0);
			free(detail);
		}
	}
}

/* The fulfillment stage: carrier lists, then the Shopify window whose
 * pages start their orders' pushes and pulls as they arrive, then the rest
 * (orders read by id, retries), then follow-up rounds. */
int apply_fulfillments(struct run_ctx *rc, struct err *e)
{
	struct ful_stage fs;
	size_t i;
	int round, progress = 0, rc0;

	for (i = 0; i < rc->nitems; i++)
		rc->items[i]->ful_started = 0;
	ful_stage_init(&fs, rc, 0, &progress);
	if (fetch_providers(rc, 1, e) != 0)
		goto fail;
	/* TikTok's new packages need the full Shopify orders: their reads
	 * (and then the pulls) start now, alongside the window. */
	if (rc->mode == RUN_SCHEDULED && fetch_mark_details(rc, 1) > 0 &&
	    fetch_details_async(rc, early_detail, &fs, e) != 0)
		goto fail;
	if (rc->mode == RUN_SCHEDULED &&
	    fetch_shopify_window(rc, window_hook, &fs, e) != 0)
		goto fail;
	refresh_flush(&fs);
	if (fs.failed) {
		*e = fs.err;
		goto fail;
	}
	fetch_refresh_before_push(rc);
	if (fetch_providers(rc, 0, e) != 0)	/* options seen only in the window */
		goto fail;
	rc0 = ful_round(rc, &fs, e);
	ful_stage_free(&fs);
	if (rc0 != 0)
		return -1;
	for (round = 1; round <= MAX_ROUNDS; round++) {
		if (rc->aborted) {
			*e = rc->abort_err;
			return -1;
		}
		if (!any_refresh(rc) || round == MAX_ROUNDS)
			break;
		if (refetch_items(rc, e) != 0)
			return -1;
		ful_stage_init(&fs, rc, round, &progress);
		rc0 = ful_round(rc, &fs, e);
		ful_stage_free(&fs);
		if (rc0 != 0)
			return -1;
	}
	if (rc->aborted) {
		*e = rc->abort_err;
		return -1;
	}
	report_unresolved(rc);
	return 0;
fail:
	/* Calls already started finish before the stage gives up. */
	http_run(rc->http, NULL);
	ful_stage_free(&fs);
	return -1;
}


/*
 * fetch.c - stage 3 and 4 of a run: build the in-memory working set.
 *
 *  - the TikTok window: the first run of a store reads the past
 *    backfill_days by create time; later runs read from the last committed
 *    cursor minus the overlap, by update time, to the end of the pages.
 *    Each order's snapshot is recorded before the cursor moves; a bad order
 *    fails alone. Manual syncs read the chosen orders by id instead. Every
 *    settings.chunk_orders new orders the orders stage runs over them
 *    (orders_chunk), then only those the fulfillment stage needs stay
 *    (work_release): memory is bounded by the chunk, not the window.
 *  - from the state: orders whose earlier attempt is unresolved (open
 *    intents), failures that retry by themselves, and (automatic order
 *    sync) every eligible order still not synced;
 *  - the Shopify window (orders tagged by ttsync, by update time) and, for
 *    linked orders not in it, the orders by id;
 *  - what planning needs: SKU -> variant resolutions, the shipping
 *    providers of each delivery option, unit maps, fulfillment records.
 * Owns the work items (freed by work_free_all).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "run.h"

#define TT_DETAIL_BATCH 50	/* Get Order Detail takes at most 50 ids */
#define SH_NODES_BATCH 25	/* nodes(ids:) per request, keeps cost low */
#define CURSOR_TT_EPOCH "tt_epoch"	/* create-time start of the first backfill */
#define CURSOR_TT_UPDATE "tt_update"	/* TikTok update_time high-water mark */
#define CURSOR_SH_UPDATE "sh_update"	/* Shopify updated_at high-water mark */

/* ---- working set ------------------------------------------------------- */

/* A hash index over an array of strings (the working set's order ids, an
 * id list): position + 1 per slot, 0 = empty; open addressing, rebuilt
 * at half load. Keeps lookups O(1) for windows of 100k orders. */
struct strindex {
	size_t *slot;
	size_t cap;
};
typedef const char *(*strindex_key_fn)(const void *base, size_t i);

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Position of key, or (size_t)-1. */
static size_t strindex_find(const struct strindex *ix, const void *base,
			    strindex_key_fn key, const char *k)
{
	size_t i;

	if (ix == NULL || ix->cap == 0)
		return (size_t)-1;
	for (i = hash_str(k) & (ix->cap - 1); ix->slot[i]; i = (i + 1) & (ix->cap - 1))
		if (strcmp(key(base, ix->slot[i] - 1), k) == 0)
			return ix->slot[i] - 1;
	return (size_t)-1;
}

/* Record that position pos (of n entries now) holds its key. */
static void strindex_add(struct strindex *ix, const void *base,
			 strindex_key_fn key, size_t pos, size_t n)
{
	size_t i, j;

	if (2 * n > ix->cap) {
		free(ix->slot);
		ix->cap = ix->cap ? ix->cap * 2 : 64;
		while (2 * n > ix->cap)
			ix->cap *= 2;
		ix->slot = xcalloc(ix->cap, sizeof(*ix->slot));
		for (j = 0; j < n; j++) {
			for (i = hash_str(key(base, j)) & (ix->cap - 1); ix->slot[i];
			     i = (i + 1) & (ix->cap - 1))
				;
			ix->slot[i] = j + 1;
		}
		return;
	}
	for (i = hash_str(key(base, pos)) & (ix->cap - 1); ix->slot[i];
	     i = (i + 1) & (ix->cap - 1))
		;
	ix->slot[i] = pos + 1;
}

static void strindex_free(struct strindex *ix)
{
	if (ix == NULL)
		return;
	free(ix->slot);
	ix->slot = NULL;
	ix->cap = 0;
}

static void idlist_free(struct idlist *l);
static void sku_cache_free(struct sku_cache *c);

static const char *item_key(const void *base, size_t i)
{
	return ((struct work_item *const *)base)[i]->tt_id;
}

struct work_item *work_find(struct run_ctx *rc, const char *tt_id)
{
	size_t pos = strindex_find(rc->item_index, rc->items, item_key, tt_id);

	return pos == (size_t)-1 ? NULL : rc->items[pos];
}

struct work_item *work_add(struct run_ctx *rc, const char *tt_id)
{
	struct work_item *w = work_find(rc, tt_id);

	if (w)
		return w;
	if (rc->nitems == rc->capitems) {
		rc->capitems = rc->capitems ? rc->capitems * 2 : 64;
		rc->items = xrealloc(rc->items, rc->capitems * sizeof(*rc->items));
	}
	/* Each item has its own allocation: calls in flight keep pointers
	 * to items while the window adds more. */
	w = xcalloc(1, sizeof(*w));
	rc->items[rc->nitems++] = w;
	w->tt_id = xstrdup(tt_id);
	if (rc->item_index == NULL)
		rc->item_index = xcalloc(1, sizeof(*rc->item_index));
	strindex_add(rc->item_index, rc->items, item_key, rc->nitems - 1, rc->nitems);
	return w;
}

static void work_item_free(struct work_item *w)
{
	size_t i;

	free(w->tt_id);
	free(w->tt_url);
	tt_order_free(&w->tt);
	free(w->raw);
	order_rec_free(&w->rec);
	sh_order_free(&w->sh);
	unit_map_free(w->units, w->nunits);
	ful_rec_free_array(w->fuls, w->nfuls);
	for (i = 0; i < w->nskus; i++)
		sku_resolution_free(&w->skus[i]);
	free(w->skus);
	memset(w, 0, sizeof(*w));
}

void work_free_all(struct run_ctx *rc)
{
	size_t i;

	for (i = 0; i < rc->nitems; i++) {
		work_item_free(rc->items[i]);
		free(rc->items[i]);
	}
	free(rc->items);
	rc->items = NULL;
	rc->nitems = rc->capitems = 0;
	strindex_free(rc->item_index);
	free(rc->item_index);
	rc->item_index = NULL;
	if (rc->seen)
		idlist_free(rc->seen);
	if (rc->keep)
		idlist_free(rc->keep);
	if (rc->options)
		idlist_free(rc->options);
	free(rc->seen);
	free(rc->keep);
	free(rc->options);
	rc->seen = rc->keep = rc->options = NULL;
	sku_cache_free(rc->sku_cache);
	rc->sku_cache = NULL;
}

const struct tt_provider_list *work_providers(struct run_ctx *rc,
					       const char *delivery_option_id)
{
	size_t i;

	if (delivery_option_id == NULL)
		return NULL;
	for (i = 0; i < rc->nproviders; i++)
		if (strcmp(rc->providers[i].delivery_option_id,
			   delivery_option_id) == 0)
			return &rc->providers[i];
	return NULL;
}

void work_to_plan(struct run_ctx *rc, struct work_item *w, struct plan_order *po)
{
	memset(po, 0, sizeof(*po));
	po->tt = &w->tt;
	po->rec = &w->rec;
	po->sh = w->have_sh ? &w->sh : NULL;
	po->units = w->units;
	po->nunits = w->nunits;
	po->fuls = w->fuls;
	po->nfuls = w->nfuls;
	po->providers = work_providers(rc, w->tt.delivery_option_id);
	po->skus = w->skus;
	po->nskus = w->nskus;
	po->selected = w->selected;
	po->create_intent_open = w->create_intent_open;
	if (w->tt_url == NULL)
		w->tt_url = tiktok_order_url(rc->cfg, w->tt_id);
	po->tiktok_order_url = w->tt_url;
}

/* (Re)load the state's view of an item: record, units, fulfillments. */
static int load_item_state(struct run_ctx *rc, struct work_item *w,
			   struct err *e)
{
	int found = 0;

	order_rec_free(&w->rec);
	memset(&w->rec, 0, sizeof(w->rec));
	if (state_order_get(rc->st, w->tt_id, &w->rec, &found, e) != 0)
		return -1;
	/* The snapshot is w->tt's JSON, kept in the state file: not twice
	 * in memory. */
	free(w->rec.snapshot);
	w->rec.snapshot = NULL;
	if (!found) {
		/* A dry run records nothing: picture the order as new. */
		w->rec.tt_id = xstrdup(w->tt_id);
		w->rec.status = SYNC_NOT_SYNCED;
		w->rec.tt_status = w->tt.status;
		w->rec.first_seen = w->rec.last_seen = rc->now;
	}
	unit_map_free(w->units, w->nunits);
	w->units = NULL;
	w->nunits = 0;
	if (state_units_get(rc->st, w->tt_id, &w->units, &w->nunits, e) != 0)
		return -1;
	ful_rec_free_array(w->fuls, w->nfuls);
	w->fuls = NULL;
	w->nfuls = 0;
	if (state_ful_list_for_order(rc->st, w->tt_id, &w->fuls, &w->nfuls, e) != 0)
		return -1;
	return 0;
}

/* Record one order as fetched from TikTok. Takes ownership of o and raw. */
static int ingest(struct run_ctx *rc, struct tt_order *o, char *raw,
		  int from_window, struct err *e)
{
	struct work_item *w = work_add(rc, o->id);

	tt_order_free(&w->tt);
	free(w->raw);
	w->tt = *o;
	memset(o, 0, sizeof(*o));
	w->raw = raw;
	w->have_tt = 1;
	w->tt_fresh = 1;
	w->orders_done = 0;	/* newer data: the orders stage looks again */
	w->from_tt_window |= from_window;
	rc->rep.stats.tt_orders_fetched++;
	if (!rc->dry_run &&
	    state_order_put_snapshot(rc->st, &w->tt, w->raw, rc->now, e) != 0)
		return -1;
	/* Recorded: the parsed w->tt is what the run works with. */
	free(w->raw);
	w->raw = NULL;
	return load_item_state(rc, w, e);
}

/* A TikTok order we could not read fails alone: recorded and reported. */
static int ingest_bad(struct run_ctx *rc, const char *id, const char *raw,
		      const struct err *why, struct err *e)
{
	struct report_item it;
	struct tt_order stub;
	const struct reason *rs = reason_lookup("ORDER_DATA_INVALID");
	char *turl = tiktok_order_url(rc->cfg, id);
	int ret = 0;

	memset(&stub, 0, sizeof(stub));
	stub.id = (char *)id;
	stub.status = TT_STATUS_UNKNOWN;
	if (!rc->dry_run &&
	    (state_order_put_snapshot(rc->st, &stub, raw ? raw : "{}", rc->now, e) != 0 ||
	     state_order_set_status(rc->st, id, SYNC_FAILED, "ORDER_DATA_INVALID",
				    why->msg, rs ? rs->remedy : NULL, RETRY_AUTO,
				    rc->now, e) != 0))
		ret = -1;
	memset(&it, 0, sizeof(it));
	it.object = "order";
	it.direction = "tiktok_to_shopify";
	it.tt_order_id = (char *)id;
	it.action = "none";
	it.status = SYNC_FAILED;
	it.reason_code = "ORDER_DATA_INVALID";
	it.reason = (char *)why->msg;
	it.remedy = rs ? (char *)rs->remedy : NULL;
	it.tiktok_url = turl;
	it.time = rc->now;
	report_add(&rc->rep, &it);
	rc->rep.stats.orders_failed++;
	rc->item_failures++;
	free(turl);
	return ret;
}

static int ingest_page(struct run_ctx *rc, struct tt_order_page *p,
		       int from_window, int64_t epoch, struct err *e)
{
	size_t i;
	int tx = 0, ret = -1;

	/* One transaction per page: a commit (an fsync, synchronous=FULL)
	 * per order made reading the window disk-bound. Callers move the
	 * cursor only after the page is committed, as before. */
	if (!rc->dry_run && p->n + p->nbad > 1) {
		if (state_begin(rc->st, e) != 0)
			return -1;
		tx = 1;
	}
	for (i = 0; i < p->n; i++) {
		char *raw;

		if (p->orders[i].id == NULL)
			continue;
		/* Older than the store's backfill horizon: not ours to sync. */
		if (epoch > 0 && p->orders[i].create_time < epoch) {
			logmsg(LOG_DEBUG, "order %s created before the backfill window; ignored",
			       p->orders[i].id);
			continue;
		}
		raw = p->raw[i];
		p->raw[i] = NULL;	/* ingest owns it now, even when it fails */
		if (ingest(rc, &p->orders[i], raw, from_window, e) != 0)
			goto cleanup;
	}
	for (i = 0; i < p->nbad; i++)
		if (ingest_bad(rc, p->bad[i].id ? p->bad[i].id : "(no id)",
			       p->bad[i].raw, &p->bad[i].err, e) != 0)
			goto cleanup;
	if (tx && state_commit(rc->st, e) != 0)
		goto cleanup;
	tx = 0;
	ret = 0;
cleanup:
	if (tx)
		state_rollback(rc->st);
	return ret;
}

/* The run reached its deadline before reading a whole window: the report
 * says so (exit 1, not "all done"); the cursor stays, and the next run
 * reads on from where this one stopped. */
static void report_deadline(struct run_ctx *rc, const char *platform,
			    const char *direction)
{
	struct report_item it;
	const struct reason *rs = reason_lookup("RUN_DEADLINE");
	char *why = xasprintf("the run reached its time limit (settings.deadline_seconds "
			      "= %d) before it had read every %s order of its window; "
			      "the rest is read by the next run", rc->cfg->deadline_seconds,
			      platform);

	logmsg(LOG_WARN, "run deadline reached: stopping the %s fetch; the cursor "
	       "stays where it was", platform);
	memset(&it, 0, sizeof(it));
	it.object = "run";
	it.direction = (char *)direction;
	it.tt_order_id = "";
	it.action = "none";
	it.status = SYNC_FAILED;
	it.reason_code = "RUN_DEADLINE";
	it.reason = why;
	it.remedy = rs ? (char *)rs->remedy : NULL;
	it.time = rc->now;
	report_add(&rc->rep, &it);
	rc->item_failures++;
	free(why);
}

/* ---- TikTok ------------------------------------------------------------ */

static int orders_chunk(struct run_ctx *rc, int force, struct err *e);

static int fetch_window(struct run_ctx *rc, struct err *e)
{
	struct tt_search q;
	struct tt_order_page page;
	int64_t epoch = 0, cursor = 0, lt = rc->now;
	int found_epoch = 0, found_cursor = 0, complete = 0, ret = -1;
	char *token = NULL;

	memset(&page, 0, sizeof(page));
	if (state_cursor_get(rc->st, CURSOR_TT_EPOCH, &epoch, &found_epoch, e) != 0 ||
	    state_cursor_get(rc->st, CURSOR_TT_UPDATE, &cursor, &found_cursor, e) != 0)
		return -1;
	memset(&q, 0, sizeof(q));
	q.page_size = rc->cfg->tt_page_size;
	q.lt = lt;
	if (!found_epoch || !found_cursor) {
		/* First run of this store: backfill by create time. */
		epoch = rc->now - (int64_t)rc->cfg->backfill_days * 86400;
		q.by_update = 0;
		q.ge = epoch;
		logmsg(LOG_INFO, "first run: backfilling %d days of TikTok orders",
		       rc->cfg->backfill_days);
	} else {
		q.by_update = 1;
		q.ge = cursor - rc->cfg->overlap_seconds;
		if (q.ge < epoch)
			q.ge = epoch;
	}
	for (;;) {
		if (clock_now_ms() > rc->deadline_ms) {
			report_deadline(rc, "TikTok", "tiktok_to_shopify");
			break;
		}
		q.page_token = token;
		if (rc->tto->search_orders(rc->tt, &q, &page, e) != 0)
			goto cleanup;
		rc->rep.stats.tt_pages++;
		if (ingest_page(rc, &page, 1, found_epoch ? epoch : 0, e) != 0 ||
		    orders_chunk(rc, 0, e) != 0)
			goto cleanup;
		free(token);
		token = page.next_page_token && *page.next_page_token
				? xstrdup(page.next_page_token) : NULL;
		tt_order_page_free(&page);
		memset(&page, 0, sizeof(page));
		if (token == NULL) {
			complete = 1;
			break;
		}
	}
	/* Every order below lt is recorded: the cursor may move. */
	if (complete && !rc->dry_run) {
		if (state_begin(rc->st, e) != 0)
			goto cleanup;
		if ((!found_epoch &&
		     state_cursor_set(rc->st, CURSOR_TT_EPOCH, epoch, e) != 0) ||
		    state_cursor_set(rc->st, CURSOR_TT_UPDATE, lt, e) != 0 ||
		    state_commit(rc->st, e) != 0) {
			state_rollback(rc->st);
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	free(token);
	tt_order_page_free(&page);
	return ret;
}

struct detail_ctx {
	struct run_ctx *rc;
	int failed;
	struct err err;
	int pending, done;	/* requests not answered yet; all answered */
};

static void on_details_body(struct detail_ctx *dc, struct tt_result *res,
			    struct tt_order_page *orders);

static void on_details(void *arg, struct tt_result *res,
		       struct tt_order_page *orders)
{
	struct detail_ctx *dc = arg;

	on_details_body(dc, res, orders);
	if (--dc->pending == 0)
		dc->done = 1;
}

static void on_details_body(struct detail_ctx *dc, struct tt_result *res,
			    struct tt_order_page *orders)
{
	if (dc->failed)
		return;
	/* TikTok answers 21008111 ("does not belong to the current seller")
	 * when none of the ids is this shop's order: nothing to ingest, each
	 * id is then reported ORDER_NOT_FOUND by its caller. */
	if (res->code == 21008111 && res->http_status == 200)
		return;
	if (res->oc != HTTP_OUTCOME_OK || res->code != 0) {
		dc->failed = 1;
		dc->err = res->err;
		return;
	}
	if (ingest_page(dc->rc, orders, 0, 0, &dc->err) != 0)
		dc->failed = 1;
}

struct refresh_job {
	struct run_ctx *rc;
	char **ids;
	size_t n;
	detail_then_fn then;
	void *arg;
};

static void on_refresh(void *arg, struct tt_result *res, struct tt_order_page *orders)
{
	struct refresh_job *j = arg;
	struct run_ctx *rc = j->rc;
	struct err e;
	size_t i;

	err_clear(&e);
	if (res->oc != HTTP_OUTCOME_OK || res->code != 0)
		logmsg(LOG_WARN, "could not read %zu TikTok order%s again before shipping: %s",
		       j->n, j->n == 1 ? "" : "s", res->err.msg);
	else if (ingest_page(rc, orders, 0, 0, &e) != 0)
		logmsg(LOG_WARN, "could not record %zu TikTok order%s read again: %s",
		       j->n, j->n == 1 ? "" : "s", e.msg);
	/* Each order goes on, on today's picture or (read failed) its
	 * snapshot: TikTok still refuses what it must. */
	for (i = 0; i < j->n; i++) {
		struct work_item *w = work_find(rc, j->ids[i]);

		if (w == NULL || !w->tt_refreshing)
			continue;
		w->tt_refreshing = 0;
		j->then(rc, w, j->arg);
	}
	str_free_array(j->ids, j->n);
	free(j);
}

int fetch_refresh_async(struct run_ctx *rc, char **ids, size_t n,
			detail_then_fn then, void *arg, struct err *e)
{
	struct refresh_job *j;
	size_t i;

	if (n == 0)
		return 0;
	j = xcalloc(1, sizeof(*j));
	j->rc = rc;
	j->then = then;
	j->arg = arg;
	j->ids = xcalloc(n, sizeof(*j->ids));
	for (i = 0; i < n; i++) {
		struct work_item *w = work_find(rc, ids[i]);

		j->ids[j->n++] = xstrdup(ids[i]);
		if (w)
			w->tt_refreshing = 1;
	}
	if (rc->tto->get_orders(rc->tt, j->ids, j->n, on_refresh, j, e) != 0) {
		for (i = 0; i < j->n; i++) {
			struct work_item *w = work_find(rc, j->ids[i]);

			if (w)
				w->tt_refreshing = 0;
		}
		str_free_array(j->ids, j->n);
		free(j);
		return -1;
	}
	return 0;
}

/* Read chosen orders by id (Get Order Detail, 50 at a time, concurrently). */
static int fetch_details(struct run_ctx *rc, char **ids, size_t n, struct err *e)
{
	struct detail_ctx dc;
	size_t i;

	memset(&dc, 0, sizeof(dc));
	dc.rc = rc;
	for (i = 0; i < n; i += TT_DETAIL_BATCH) {
		size_t k = n - i < TT_DETAIL_BATCH ? n - i : TT_DETAIL_BATCH;

		dc.pending++;
		if (rc->tto->get_orders(rc->tt, ids + i, k, on_details, &dc, e) != 0) {
			/* Already queued ones still answer into dc: wait for them. */
			if (--dc.pending > 0)
				http_run_until(rc->http, &dc.done, NULL);
			return -1;
		}
	}
	/* Only these: calls already in flight (a fulfillment stage) go on. */
	if (dc.pending > 0 && http_run_until(rc->http, &dc.done, e) != 0)
		return -1;
	if (dc.failed) {
		*e = dc.err;
		return -1;
	}
	return 0;
}

struct idlist {
	char **v;
	size_t n, cap;
	struct strindex ix;
};

static const char *id_key(const void *base, size_t i)
{
	return ((char *const *)base)[i];
}

static void idlist_add(struct idlist *l, const char *id)
{
	if (strindex_find(&l->ix, l->v, id_key, id) != (size_t)-1)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = xstrdup(id);
	strindex_add(&l->ix, l->v, id_key, l->n - 1, l->n);
}

static void idlist_free(struct idlist *l)
{
	strindex_free(&l->ix);
	str_free_array(l->v, l->n);
	memset(l, 0, sizeof(*l));
}

static int idlist_has(const struct idlist *l, const char *id)
{
	return l != NULL && id != NULL &&
	       strindex_find(&l->ix, l->v, id_key, id) != (size_t)-1;
}

/* A run-level list (rc->seen, rc->keep, rc->options), made on first use. */
static struct idlist *idlist_of(struct idlist **l)
{
	if (*l == NULL)
		*l = xcalloc(1, sizeof(**l));
	return *l;
}

/* SKU -> variant resolutions already made in this run: a window read a
 * chunk at a time asks Shopify about each SKU once, not once a chunk.
 * Keyed by "tiktok sku id US seller sku"; failed lookups are not kept. */
struct sku_cache {
	struct idlist keys;
	struct sku_resolution *v;	/* parallel to keys.v */
	size_t cap;
};

static char *sku_key(const char *sku_id, const char *seller_sku)
{
	return xasprintf("%s\037%s", sku_id ? sku_id : "", seller_sku ? seller_sku : "");
}

static void sku_copy(struct sku_resolution *d, const struct sku_resolution *s)
{
	size_t j;

	memset(d, 0, sizeof(*d));
	d->tt_sku_id = xstrdup(s->tt_sku_id);
	d->seller_sku = xstrdup(s->seller_sku);
	d->kind = s->kind;
	d->variant_id = xstrdup(s->variant_id);
	if (s->ncandidates) {
		d->candidates = xcalloc(s->ncandidates, sizeof(char *));
		for (j = 0; j < s->ncandidates; j++)
			d->candidates[j] = xstrdup(s->candidates[j]);
		d->ncandidates = s->ncandidates;
	}
}

static const struct sku_resolution *sku_cache_find(const struct sku_cache *c,
						   const char *sku_id,
						   const char *seller_sku)
{
	char *k;
	size_t pos;

	if (c == NULL)
		return NULL;
	k = sku_key(sku_id, seller_sku);
	pos = strindex_find(&c->keys.ix, c->keys.v, id_key, k);
	free(k);
	return pos == (size_t)-1 ? NULL : &c->v[pos];
}

static void sku_cache_put(struct run_ctx *rc, const struct sku_resolution *r)
{
	struct sku_cache *c;
	char *k;

	if (r->kind == SKU_RES_LOOKUP_FAILED)
		return;
	if (rc->sku_cache == NULL)
		rc->sku_cache = xcalloc(1, sizeof(*rc->sku_cache));
	c = rc->sku_cache;
	k = sku_key(r->tt_sku_id, r->seller_sku);
	if (!idlist_has(&c->keys, k)) {
		idlist_add(&c->keys, k);
		if (c->keys.n > c->cap) {
			c->cap = c->keys.cap;
			c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
		}
		sku_copy(&c->v[c->keys.n - 1], r);
	}
	free(k);
}

static void sku_cache_free(struct sku_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->keys.n; i++)
		sku_resolution_free(&c->v[i]);
	free(c->v);
	idlist_free(&c->keys);
	free(c);
}

struct collect_ctx {
	struct run_ctx *rc;
	struct idlist *ids;
	int mode;		/* 0 retry-worthy orders, 1 manual all-not-synced orders,
				 * 2 manual all-not-synced fulfillments */
};

static int collect_order(const struct order_rec *o, void *arg)
{
	struct collect_ctx *cc = arg;
	const struct config *c = cc->rc->cfg;

	switch (cc->mode) {
	case 0:
		/* Retry by themselves: transient and after-fix failures, and
		 * (automatic order sync) every not-synced order. */
		if (o->status == SYNC_FAILED &&
		    (o->retry == RETRY_AUTO || o->retry == RETRY_AFTER_FIX ||
		     o->retry == RETRY_WAIT))
			idlist_add(cc->ids, o->tt_id);
		else if (o->status == SYNC_NOT_SYNCED && c->order_auto_sync)
			idlist_add(cc->ids, o->tt_id);
		else if (o->status == SYNC_SKIPPED && o->retry == RETRY_WAIT)
			idlist_add(cc->ids, o->tt_id);
		/* Linked to another connector's order: it lacks our tag, so
		 * the Shopify window does not see it; read it while open. */
		else if (o->sh_gid && o->reason_code &&
			 strcmp(o->reason_code, "ALREADY_IN_SHOPIFY") == 0 &&
			 o->tt_status != TT_COMPLETED && o->tt_status != TT_CANCELLED)
			idlist_add(cc->ids, o->tt_id);
		break;
	case 1:
		if ((o->status == SYNC_NOT_SYNCED || o->status == SYNC_FAILED) &&
		    o->sh_gid == NULL)
			idlist_add(cc->ids, o->tt_id);
		break;
	case 2:
		if (o->sh_gid != NULL && o->tt_status != TT_COMPLETED &&
		    o->tt_status != TT_CANCELLED)
			idlist_add(cc->ids, o->tt_id);
		break;
	}
	return 0;
}

static int collect_intent(const struct intent *in, void *arg)
{
	struct collect_ctx *cc = arg;
	const char *key = in->object_key;
	char *tt_id = NULL;

	/* Fulfillment intents are keyed by their record key; find the order. */
	if (strcmp(in->kind, "order_create") == 0 || strcmp(in->kind, "order_cancel") == 0) {
		idlist_add(cc->ids, key);
		return 0;
	}
	if (in->payload) {
		/* payload carries {"tt_order_id": ...} for fulfillment intents */
		const char *p = strstr(in->payload, "\"tt_order_id\":\"");

		if (p) {
			const char *q;

			p += strlen("\"tt_order_id\":\"");
			q = strchr(p, '"');
			if (q)
				tt_id = xstrndup(p, (size_t)(q - p));
		}
	}
	if (tt_id) {
		idlist_add(cc->ids, tt_id);
		free(tt_id);
	}
	return 0;
}

static int collect_ful(const struct ful_rec *f, void *arg)
{
	struct collect_ctx *cc = arg;

	if (cc->mode == 2 || f->retry == RETRY_AUTO || f->retry == RETRY_AFTER_FIX ||
	    f->retry == RETRY_WAIT)
		idlist_add(cc->ids, f->tt_order_id);
	return 0;
}

/* Add one order known to the state (not in this run's window) from its
 * snapshot. */
static int add_one_from_state(struct run_ctx *rc, const char *id, int selected,
			      struct err *e)
{
	struct work_item *w = work_find(rc, id);
	struct order_rec r;
	int found = 0;

	if (w && w->have_tt) {
		w->selected |= selected;
		return 0;
	}
	memset(&r, 0, sizeof(r));
	if (state_order_get(rc->st, id, &r, &found, e) != 0)
		return -1;
	if (!found || r.snapshot == NULL) {
		order_rec_free(&r);
		return 0;
	}
	w = work_add(rc, id);
	w->selected |= selected;
	if (tiktok_order_from_json(r.snapshot, &w->tt, e) != 0) {
		/* Stays failed as it was; nothing new to plan with. */
		logmsg(LOG_INFO, "order %s: stored snapshot unreadable: %s", id, e->msg);
		err_clear(e);
		order_rec_free(&r);
		w->have_tt = 0;
		return 0;
	}
	w->have_tt = 1;
	order_rec_free(&r);
	return load_item_state(rc, w, e);
}

static int add_from_state(struct run_ctx *rc, const struct idlist *ids,
			  int selected, struct err *e)
{
	size_t i;

	for (i = 0; i < ids->n; i++)
		if (add_one_from_state(rc, ids->v[i], selected, e) != 0)
			return -1;
	return 0;
}

/* ---- the orders stage, a chunk at a time -------------------------------- */

/* Once the orders stage is done with an order, does the fulfillment stage
 * need it in memory? Only orders in Shopify have fulfillment work. Of
 * those, one TikTok has not shipped (no package, awaiting shipment) and
 * with no fulfillment record has none unless it was fulfilled in Shopify,
 * and then the Shopify window brings it back from the state - except an
 * order another connector created (no ttsync tag), which is kept. */
static int ful_may_need(const struct run_ctx *rc, const struct work_item *w)
{
	size_t i;

	if (rc->mode == RUN_SYNC_ORDERS)
		return 0;
	if (w->selected || idlist_has(rc->keep, w->tt_id))
		return 1;
	if (!w->have_tt || w->rec.sh_gid == NULL)
		return 0;
	if (w->nfuls > 0 || w->needs_refresh || w->needs_replan)
		return 1;
	if (w->rec.reason_code && strcmp(w->rec.reason_code, "ALREADY_IN_SHOPIFY") == 0)
		return 1;
	if (w->tt.status != TT_UNPAID && w->tt.status != TT_ON_HOLD &&
	    w->tt.status != TT_AWAITING_SHIPMENT)
		return 1;
	for (i = 0; i < w->tt.nlines; i++)
		if (w->tt.lines[i].package_id && *w->tt.lines[i].package_id)
			return 1;
	return 0;
}

/* Would the fulfillment stage need this order, known only to the state?
 * Its snapshot and records are read, judged, and let go. */
static int probe_from_state(struct run_ctx *rc, const char *id, int *need,
			    struct err *e)
{
	struct work_item w;
	int found = 0, ret = -1;

	memset(&w, 0, sizeof(w));
	*need = 0;
	w.tt_id = xstrdup(id);
	if (state_order_get(rc->st, id, &w.rec, &found, e) != 0)
		goto cleanup;
	if (!found || w.rec.snapshot == NULL) {
		ret = 0;
		goto cleanup;
	}
	if (tiktok_order_from_json(w.rec.snapshot, &w.tt, e) != 0) {
		err_clear(e);
		*need = 1;	/* let the usual path report it */
		ret = 0;
		goto cleanup;
	}
	w.have_tt = 1;
	if (state_ful_list_for_order(rc->st, id, &w.fuls, &w.nfuls, e) != 0)
		goto cleanup;
	*need = ful_may_need(rc, &w);
	ret = 0;
cleanup:
	work_item_free(&w);
	return ret;
}

/* The orders stage is done with the new items: keep what the fulfillment
 * stage needs, let the rest go (their seller delivery options are
 * remembered for the carrier check). */
static void work_release(struct run_ctx *rc)
{
	size_t i, n = 0;

	for (i = 0; i < rc->nitems; i++) {
		struct work_item *w = rc->items[i];

		if (!w->orders_done) {
			w->orders_done = 1;
			idlist_add(idlist_of(&rc->seen), w->tt_id);
			if (!ful_may_need(rc, w)) {
				if (w->have_tt && w->tt.delivery_option_id &&
				    w->tt.shipping_type &&
				    strcmp(w->tt.shipping_type, "SELLER") == 0)
					idlist_add(idlist_of(&rc->options),
						   w->tt.delivery_option_id);
				work_item_free(w);
				free(w);
				continue;
			}
		}
		rc->items[n++] = w;
	}
	if (n == rc->nitems)
		return;
	rc->nitems = n;
	strindex_free(rc->item_index);
	for (i = 0; i < n; i++)
		strindex_add(rc->item_index, rc->items, item_key, i, i + 1);
}

/* Which new orders carry an unresolved create. */
static int mark_create_intents(struct run_ctx *rc, struct err *e)
{
	size_t i;

	for (i = 0; i < rc->nitems; i++) {
		struct work_item *w = rc->items[i];
		struct intent in;
		int found = 0;

		if (w->orders_done)
			continue;
		memset(&in, 0, sizeof(in));
		if (state_intent_open(rc->st, "order_create", w->tt_id, &in, &found, e) != 0)
			return -1;
		w->create_intent_open = found;
		intent_free(&in);
	}
	return 0;
}

/* Run the orders stage over the new items once there are
 * settings.chunk_orders of them (or whatever there is, with force), then
 * let go. */
static int orders_chunk(struct run_ctx *rc, int force, struct err *e)
{
	size_t i, fresh = 0;

	for (i = 0; i < rc->nitems; i++)
		fresh += !rc->items[i]->orders_done;
	if (fresh == 0 || (!force && fresh < (size_t)rc->cfg->chunk_orders))
		return 0;
	if (mark_create_intents(rc, e) != 0)
		return -1;
	if (rc->orders_stage && rc->orders_stage(rc, e) != 0)
		return -1;
	work_release(rc);
	return 0;
}

/* Orders with an intent a crash or a lost answer left open are read
 * fresh from TikTok (not from their stored snapshot): whether the call
 * landed - a package shipped, a tracking number changed - is decided on
 * today's picture, which the window does not bring when the call left
 * the order's update_time alone. */
static int fetch_unsettled(struct run_ctx *rc, struct err *e)
{
	struct idlist open = { NULL, 0, 0, { NULL, 0 } }, want = { NULL, 0, 0, { NULL, 0 } };
	struct collect_ctx cc;
	size_t i;
	int ret = -1;

	cc.rc = rc;
	cc.ids = &open;
	cc.mode = 0;
	if (state_intents_open_foreach(rc->st, collect_intent, &cc, e) != 0)
		goto cleanup;
	for (i = 0; i < open.n; i++) {
		struct work_item *w = work_find(rc, open.v[i]);

		if (w == NULL || !w->have_tt)
			idlist_add(&want, open.v[i]);
	}
	if (want.n && fetch_details(rc, want.v, want.n, e) != 0)
		goto cleanup;
	ret = 0;
cleanup:
	idlist_free(&open);
	idlist_free(&want);
	return ret;
}

int fetch_tiktok(struct run_ctx *rc, orders_stage_fn stage, struct err *e)
{
	struct idlist ids = { NULL, 0, 0, { NULL, 0 } }, extra = { NULL, 0, 0, { NULL, 0 } };
	struct collect_ctx cc;
	struct order_filter f;
	size_t i;
	int ret = -1;

	rc->orders_stage = stage;
	cc.rc = rc;
	memset(&f, 0, sizeof(f));
	f.only_status = -1;
	/* Orders the fulfillment stage needs whatever the window says:
	 * unresolved calls and fulfillments that retry by themselves. */
	cc.ids = idlist_of(&rc->keep);
	cc.mode = 0;
	if (state_intents_open_foreach(rc->st, collect_intent, &cc, e) != 0 ||
	    (rc->mode != RUN_SYNC_ORDERS &&
	     state_fuls_foreach(rc->st, SYNC_FAILED, collect_ful, &cc, e) != 0))
		goto cleanup;
	if (rc->mode == RUN_SCHEDULED) {
		if (fetch_window(rc, e) != 0 || fetch_unsettled(rc, e) != 0)
			goto cleanup;
		/* Earlier work that retries by itself, and unresolved intents
		 * TikTok did not answer for (from their snapshots); orders an
		 * earlier chunk of this run handled are not handled twice. */
		cc.ids = &extra;
		cc.mode = 0;
		if (state_orders_foreach(rc->st, &f, collect_order, &cc, e) != 0 ||
		    state_fuls_foreach(rc->st, SYNC_FAILED, collect_ful, &cc, e) != 0 ||
		    state_intents_open_foreach(rc->st, collect_intent, &cc, e) != 0)
			goto cleanup;
		for (i = 0; i < extra.n; i++) {
			if (idlist_has(rc->seen, extra.v[i]))
				continue;
			if (add_one_from_state(rc, extra.v[i], 0, e) != 0 ||
			    orders_chunk(rc, 0, e) != 0)
				goto cleanup;
		}
	} else {
		if (rc->all_not_synced) {
			cc.ids = &ids;
			cc.mode = rc->mode == RUN_SYNC_ORDERS ? 1 : 2;
			if (state_orders_foreach(rc->st, &f, collect_order, &cc, e) != 0)
				goto cleanup;
			if (rc->mode == RUN_SYNC_FULFILLMENTS &&
			    state_fuls_foreach(rc->st, SYNC_FAILED, collect_ful, &cc, e) != 0)
				goto cleanup;
		} else {
			for (i = 0; i < rc->nids; i++)
				idlist_add(&ids, rc->ids[i]);
		}
		/* Fresh from TikTok: the merchant acts on today's picture. */
		if (ids.n && fetch_details(rc, ids.v, ids.n, e) != 0)
			goto cleanup;
		for (i = 0; i < ids.n; i++) {
			struct work_item *w = work_find(rc, ids.v[i]);

			if (w == NULL) {
				struct report_item it;

				memset(&it, 0, sizeof(it));
				it.object = "order";
				it.direction = "tiktok_to_shopify";
				it.tt_order_id = ids.v[i];
				it.action = "none";
				it.status = SYNC_FAILED;
				it.reason_code = "ORDER_NOT_FOUND";
				it.reason = "TikTok Shop does not know this order id for this shop";
				it.remedy = "Check the id (ttsync status lists the known orders).";
				it.time = rc->now;
				report_add(&rc->rep, &it);
				rc->item_failures++;
				continue;
			}
			w->selected = 1;
		}
		if (fetch_unsettled(rc, e) != 0)
			goto cleanup;
		cc.ids = &extra;
		cc.mode = 0;
		if (state_intents_open_foreach(rc->st, collect_intent, &cc, e) != 0)
			goto cleanup;
		if (add_from_state(rc, &extra, 0, e) != 0)
			goto cleanup;
	}
	/* The last chunk. */
	if (orders_chunk(rc, 1, e) != 0)
		goto cleanup;
	ret = 0;
cleanup:
	idlist_free(&ids);
	idlist_free(&extra);
	return ret;
}

/* ---- Shopify ----------------------------------------------------------- */

/* Attach a Shopify order to its work item (if it is one of ours). Takes
 * ownership of *o on success. */
static int attach_shopify(struct run_ctx *rc, struct sh_order *o, int from_window,
			  struct work_item **out, struct err *e)
{
	struct work_item *w = NULL;
	char *tt_id = NULL;
	int found = 0;

	if (o->id == NULL)
		return 0;
	if (state_order_by_shopify_gid(rc->st, o->id, &tt_id, &found, e) != 0)
		return -1;
	if (!found) {
		size_t i;

		/* Linked in this run (dry run: never) or not ours. */
		for (i = 0; i < rc->nitems; i++)
			if (rc->items[i]->rec.sh_gid &&
			    strcmp(rc->items[i]->rec.sh_gid, o->id) == 0) {
				w = rc->items[i];
				break;
			}
		if (w == NULL)
			return 0;
	} else {
		w = work_find(rc, tt_id);
		if (w == NULL && from_window && o->nfulfillments == 0 &&
		    o->cancelled_at == 0) {
			/* Not in memory and nothing in Shopify to push: read
			 * from the state whether TikTok's side has work (a
			 * package a crashed run did not pull, a delivery). */
			int need = 0;

			if (probe_from_state(rc, tt_id, &need, e) != 0) {
				free(tt_id);
				return -1;
			}
			if (!need) {
				free(tt_id);
				return 0;
			}
		}
		if (w == NULL) {
			struct idlist one = { NULL, 0, 0, { NULL, 0 } };

			idlist_add(&one, tt_id);
			if (add_from_state(rc, &one, 0, e) != 0) {
				idlist_free(&one);
				free(tt_id);
				return -1;
			}
			idlist_free(&one);
			w = work_find(rc, tt_id);
		}
		free(tt_id);
		if (w == NULL)
			return 0;
	}
	/* A full picture (orderCreate's answer, a read by id) is kept over a
	 * light one of the same moment; an order whose calls are under way
	 * keeps the picture they were planned on, and one whose full read is
	 * on its way waits for it. */
	if (w->ful_started || w->detail_inflight ||
	    (w->have_sh && !w->sh.partial && o->partial &&
	     o->updated_at <= w->sh.updated_at)) {
		w->from_sh_window |= from_window;
		if (out)
			*out = w;
		return 0;
	}
	sh_order_free(&w->sh);
	w->sh = *o;
	memset(o, 0, sizeof(*o));
	w->have_sh = 1;
	w->from_sh_window |= from_window;
	if (out)
		*out = w;
	return 0;
}

int fetch_shopify_window(struct run_ctx *rc, detail_then_fn hook, void *hook_arg,
			 struct err *e)
{
	struct sh_order_list page;
	int64_t since = 0, epoch = 0;
	int found = 0, found_epoch = 0, complete = 0, ret = -1;
	char *after = NULL;
	size_t i;

	memset(&page, 0, sizeof(page));
	if (state_cursor_get(rc->st, CURSOR_SH_UPDATE, &since, &found, e) != 0 ||
	    state_cursor_get(rc->st, CURSOR_TT_EPOCH, &epoch, &found_epoch, e) != 0)
		return -1;
	if (found)
		since -= rc->cfg->overlap_seconds;
	else
		since = found_epoch ? epoch
			: rc->now - (int64_t)rc->cfg->backfill_days * 86400;
	for (;;) {
		if (clock_now_ms() > rc->deadline_ms) {
			report_deadline(rc, "Shopify", "shopify_to_tiktok");
			break;
		}
		if (rc->sho->orders_updated_since(rc->sh, since, rc->now, after,
						  rc->cfg->sh_page_size, &page, e) != 0)
			goto cleanup;
		for (i = 0; i < page.n; i++)
		{
			struct work_item *w = NULL;

			if (attach_shopify(rc, &page.v[i], 1, &w, e) != 0)
				goto cleanup;
			if (w && hook)
				hook(rc, w, hook_arg);
		}
		free(after);
		after = page.has_next && page.end_cursor ? xstrdup(page.end_cursor) : NULL;
		sh_order_list_free(&page);
		memset(&page, 0, sizeof(page));
		if (after == NULL) {
			complete = 1;
			break;
		}
	}
	if (complete && !rc->dry_run &&
	    state_cursor_set(rc->st, CURSOR_SH_UPDATE, rc->now, e) != 0)
		goto cleanup;
	ret = 0;
cleanup:
	free(after);
	sh_order_list_free(&page);
	return ret;
}

struct nodes_ctx {
	struct run_ctx *rc;
	int failed;
	struct err err;
};

static void on_nodes(void *arg, struct sh_result *res, struct sh_order_list *l)
{
	struct nodes_ctx *nc = arg;
	size_t i;

	if (nc->failed)
		return;
	if (res->oc != HTTP_OUTCOME_OK || res->err.cls != ERR_NONE) {
		nc->failed = 1;
		nc->err = res->err;
		return;
	}
	for (i = 0; l && i < l->n; i++)
		if (attach_shopify(nc->rc, &l->v[i], 0, NULL, &nc->err) != 0) {
			nc->failed = 1;
			return;
		}
}

/* Read linked orders of the working set that the window did not bring
 * (mode 0), that an unknown outcome left to re-read (1), whose light
 * window picture is not enough (2, want_detail), or that TikTok cancelled
 * and the orders stage must look at (3). */
static int fetch_linked(struct run_ctx *rc, int only_refresh, struct err *e)
{
	struct idlist gids = { NULL, 0, 0, { NULL, 0 } };
	struct nodes_ctx nc;
	size_t i;
	int ret = -1;

	memset(&nc, 0, sizeof(nc));
	nc.rc = rc;
	for (i = 0; i < rc->nitems; i++) {
		struct work_item *w = rc->items[i];

		if (w->rec.sh_gid == NULL)
			continue;
		if (only_refresh == 3) {
			if (w->orders_done || w->have_sh || !w->have_tt ||
			    w->tt.status != TT_CANCELLED ||
			    w->rec.cancel_state != 0)
				continue;
		} else if (only_refresh == 2 ? !w->want_detail
			   : only_refresh ? !w->needs_refresh : w->have_sh) {
			continue;
		}
		idlist_add(&gids, w->rec.sh_gid);
	}
	for (i = 0; i < gids.n; i += SH_NODES_BATCH) {
		size_t k = gids.n - i < SH_NODES_BATCH ? gids.n - i : SH_NODES_BATCH;

		if (rc->sho->get_orders(rc->sh, gids.v + i, k, on_nodes, &nc, e) != 0)
			goto cleanup;
	}
	if (gids.n && http_run(rc->http, e) != 0)
		goto cleanup;
	if (nc.failed) {
		*e = nc.err;
		goto cleanup;
	}
	ret = 0;
cleanup:
	idlist_free(&gids);
	return ret;
}

/* What the orders stage needs from Shopify: the orders TikTok cancelled
 * (cancel them in Shopify, or raise the alert). The window itself is read
 * by the fulfillment stage (fetch_shopify_window). */
int fetch_shopify_for_orders(struct run_ctx *rc, struct err *e)
{
	return fetch_linked(rc, 3, e);
}

/* After unknown outcomes: read the affected orders again from both sides. */
int refetch_items(struct run_ctx *rc, struct err *e)
{
	struct idlist ids = { NULL, 0, 0, { NULL, 0 } };
	size_t i;
	int ret = -1;

	for (i = 0; i < rc->nitems; i++)
		if (rc->items[i]->needs_refresh)
			idlist_add(&ids, rc->items[i]->tt_id);
	if (ids.n == 0)
		return 0;
	if (fetch_details(rc, ids.v, ids.n, e) != 0)
		goto cleanup;
	if (fetch_linked(rc, 1, e) != 0)
		goto cleanup;
	for (i = 0; i < rc->nitems; i++) {
		struct work_item *w = rc->items[i];
		struct intent in;
		int found = 0;

		if (!w->needs_refresh)
			continue;
		memset(&in, 0, sizeof(in));
		if (state_intent_open(rc->st, "order_create", w->tt_id, &in, &found, e) != 0)
			goto cleanup;
		w->create_intent_open = found || w->create_intent_open;
		intent_free(&in);
	}
	ret = 0;
cleanup:
	idlist_free(&ids);
	return ret;
}

/* ---- inputs for planning ----------------------------------------------- */

struct sku_job {
	struct run_ctx *rc;
	char *sku_id, *seller_sku;
	struct sku_resolution res;
	int done;
};

static void on_variants(void *arg, struct sh_result *res,
			struct sh_variant_list *l)
{
	struct sku_job *j = arg;
	size_t i;

	j->done = 1;
	if (res->oc != HTTP_OUTCOME_OK || res->err.cls != ERR_NONE || l == NULL) {
		j->res.kind = SKU_RES_LOOKUP_FAILED;
		return;
	}
	if (l->n == 0) {
		j->res.kind = SKU_RES_NONE;
	} else if (l->n == 1) {
		j->res.kind = SKU_RES_MATCHED;
		j->res.variant_id = xstrdup(l->v[0].id);
	} else {
		j->res.kind = SKU_RES_AMBIGUOUS;
		j->res.candidates = xcalloc(l->n, sizeof(char *));
		for (i = 0; i < l->n; i++)
			j->res.candidates[i] = xasprintf("%s (%s / %s)", l->v[i].id,
				l->v[i].product_title ? l->v[i].product_title : "?",
				l->v[i].title ? l->v[i].title : "?");
		j->res.ncandidates = l->n;
	}
}

static int needs_create(struct run_ctx *rc, struct work_item *w)
{
	const struct config *c = rc->cfg;

	if (!w->have_tt || w->rec.sh_gid != NULL || w->orders_done)
		return 0;
	if (plan_skip_reason(&w->tt) != NULL)
		return 0;
	if (w->create_intent_open)
		return 1;
	if (rc->mode == RUN_SYNC_FULFILLMENTS)
		return 0;
	if (!(c->order_auto_sync || w->selected))
		return 0;
	if (w->rec.status == SYNC_FAILED && w->rec.retry == RETRY_PERSON && !w->selected)
		return 0;
	return 1;
}

static int resolve_skus(struct run_ctx *rc, struct err *e)
{
	struct sku_job *jobs = NULL;
	size_t njobs = 0, cap = 0, i, j, k;
	int ret = -1;

	/* Distinct SKUs of the orders about to be created. */
	for (i = 0; i < rc->nitems; i++) {
		struct work_item *w = rc->items[i];

		if (!needs_create(rc, w))
			continue;
		for (j = 0; j < w->tt.nlines; j++) {
			const struct tt_line *l = &w->tt.lines[j];

			for (k = 0; k < njobs; k++)
				if (strcmp(jobs[k].sku_id ? jobs[k].sku_id : "",
					   l->sku_id ? l->sku_id : "") == 0 &&
				    strcmp(jobs[k].seller_sku ? jobs[k].seller_sku : "",
					   l->seller_sku ? l->seller_sku : "") == 0)
					break;
			if (k < njobs)
				continue;
			if (njobs == cap) {
				cap = cap ? cap * 2 : 32;
				jobs = xrealloc(jobs, cap * sizeof(*jobs));
			}
			memset(&jobs[njobs], 0, sizeof(jobs[njobs]));
			jobs[njobs].rc = rc;
			jobs[njobs].sku_id = xstrdup(l->sku_id);
			jobs[njobs].seller_sku = xstrdup(l->seller_sku);
			njobs++;
		}
	}
	/* The product-link table first, else ask Shopify (concurrently). */
	for (k = 0; k < njobs; k++) {
		struct link_rec lr;
		int found = 0;

		const struct sku_resolution *known =
			sku_cache_find(rc->sku_cache, jobs[k].sku_id, jobs[k].seller_sku);

		if (known != NULL) {	/* an earlier chunk asked */
			sku_copy(&jobs[k].res, known);
			jobs[k].done = 1;
			continue;
		}
		memset(&lr, 0, sizeof(lr));
		jobs[k].res.tt_sku_id = xstrdup(jobs[k].sku_id);
		jobs[k].res.seller_sku = xstrdup(jobs[k].seller_sku);
		if (state_link_find(rc->st, jobs[k].sku_id, jobs[k].seller_sku, &lr,
				    &found, e) != 0)
			goto cleanup;
		if (found) {
			jobs[k].res.kind = SKU_RES_LINKED;
			jobs[k].res.variant_id = xstrdup(lr.variant_id);
			jobs[k].done = 1;
			link_rec_free(&lr);
			continue;
		}
		if (jobs[k].seller_sku == NULL || *jobs[k].seller_sku == '\0') {
			jobs[k].res.kind = SKU_RES_NO_SKU;
			jobs[k].done = 1;
			continue;
		}
		if (rc->sho->find_variants_by_sku(rc->sh, jobs[k].seller_sku,
						  on_variants, &jobs[k], e) != 0)
			goto cleanup;
	}
	if (njobs && http_run(rc->http, e) != 0)
		goto cleanup;
	for (k = 0; k < njobs; k++)
		sku_cache_put(rc, &jobs[k].res);
	/* Hand each order the resolutions of its SKUs. */
	for (i = 0; i < rc->nitems; i++) {
		struct work_item *w = rc->items[i];

		if (!needs_create(rc, w))
			continue;
		for (j = 0; j < w->nskus; j++)
			sku_resolution_free(&w->skus[j]);
		free(w->skus);
		/* Each line matches one distinct SKU at most: nlines is enough
		 * (njobs per order made the run O(orders x SKUs) in memory). */
		w->skus = xcalloc(w->tt.nlines ? w->tt.nlines : 1, sizeof(*w->skus));
		w->nskus = 0;
		for (k = 0; k < njobs; k++) {
			int used = 0;

			for (j = 0; j < w->tt.nlines && !used; j++)
				used = strcmp(jobs[k].sku_id ? jobs[k].sku_id : "",
					      w->tt.lines[j].sku_id ? w->tt.lines[j].sku_id : "") == 0 &&
				       strcmp(jobs[k].seller_sku ? jobs[k].seller_sku : "",
					      w->tt.lines[j].seller_sku ? w->tt.lines[j].seller_sku : "") == 0;
			if (!used)
				continue;
			sku_copy(&w->skus[w->nskus++], &jobs[k].res);
		}
	}
	ret = 0;
cleanup:
	for (k = 0; k < njobs; k++) {
		free(jobs[k].sku_id);
		free(jobs[k].seller_sku);
		sku_resolution_free(&jobs[k].res);
	}
	free(jobs);
	return ret;
}

struct prov_job {
	struct run_ctx *rc;
	int failed;
	int pending, done;
};

static void on_providers_body(struct prov_job *pj, struct tt_result *res,
			      struct tt_provider_list *l);

static void on_providers(void *arg, struct tt_result *res,
			 struct tt_provider_list *l)
{
	struct prov_job *pj = arg;

	on_providers_body(pj, res, l);
	if (--pj->pending == 0)
		pj->done = 1;
}

static void on_providers_body(struct prov_job *pj, struct tt_result *res,
			      struct tt_provider_list *l)
{
	struct run_ctx *rc = pj->rc;
	struct tt_provider_list *d;
	size_t i;
	struct err e;

	if (res->oc != HTTP_OUTCOME_OK || res->code != 0 || l == NULL) {
		logmsg(LOG_WARN, "shipping providers unavailable: %s", res->err.msg);
		pj->failed++;
		return;
	}
	rc->providers = xrealloc(rc->providers,
				 (rc->nproviders + 1) * sizeof(*rc->providers));
	d = &rc->providers[rc->nproviders++];
	memset(d, 0, sizeof(*d));
	d->delivery_option_id = xstrdup(l->delivery_option_id);
	d->v = xcalloc(l->n ? l->n : 1, sizeof(*d->v));
	for (i = 0; i < l->n; i++) {
		d->v[i].id = xstrdup(l->v[i].id);
		d->v[i].name = xstrdup(l->v[i].name);
	}
	d->n = l->n;
	err_clear(&e);
	if (!rc->dry_run && state_providers_put(rc->st, d, rc->now, &e) != 0)
		logmsg(LOG_WARN, "could not cache shipping providers: %s", e.msg);
}

/* A carrier rule naming a provider TikTok does not offer is reported once
 * per run with the valid names. */
static void add_name(char ***v, size_t *n, const char *name)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcasecmp((*v)[i], name) == 0)
			return;
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(name);
}

/* A carrier rule naming a provider TikTok does not offer is reported once
 * per run with the valid names: every provider of every seller-shipping
 * delivery option read this run or cached by earlier runs. */
static void check_carrier_rules(struct run_ctx *rc)
{
	const struct config *c = rc->cfg;
	char **known = NULL, **cached = NULL;
	size_t nknown = 0, ncached = 0, r, i, j;
	struct err e;

	err_clear(&e);
	for (i = 0; i < rc->nproviders; i++)
		for (j = 0; j < rc->providers[i].n; j++)
			add_name(&known, &nknown, rc->providers[i].v[j].name);
	if (state_provider_names(rc->st, &cached, &ncached, &e) == 0)
		for (i = 0; i < ncached; i++)
			add_name(&known, &nknown, cached[i]);
	str_free_array(cached, ncached);
	if (nknown == 0)
		return;		/* nothing to hold the rules against yet */
	for (r = 0; r < c->ncarrier_rules; r++) {
		const char *want = c->carrier_rules[r].tiktok_name;
		struct strbuf names = STRBUF_INIT;
		struct report_item it;
		char *reason;
		const struct reason *rs;
		int ok = 0;

		for (i = 0; i < nknown && !ok; i++)
			ok = strcasecmp(known[i], want) == 0;
		if (ok)
			continue;
		for (i = 0; i < nknown; i++)
			sb_addf(&names, "%s%s", i ? ", " : "", known[i]);
		reason = xasprintf("%s:%d: carrier rule '%s' -> '%s': TikTok offers no "
				   "shipping provider named '%s' (valid: %s)",
				   c->path, c->carrier_rules[r].line,
				   c->carrier_rules[r].shopify_name, want, want,
				   names.buf ? names.buf : "none");
		rs = reason_lookup("CARRIER_RULE_UNKNOWN_PROVIDER");
		memset(&it, 0, sizeof(it));
		it.object = "config";
		it.direction = "shopify_to_tiktok";
		it.tt_order_id = "";
		it.action = "none";
		it.status = SYNC_FAILED;
		it.reason_code = "CARRIER_RULE_UNKNOWN_PROVIDER";
		it.reason = reason;
		it.remedy = rs ? (char *)rs->remedy : NULL;
		it.needs_person = 1;
		it.time = rc->now;
		report_add(&rc->rep, &it);
		logmsg(LOG_WARN, "%s", reason);
		rc->item_failures++;
		free(reason);
		sb_free(&names);
	}
	str_free_array(known, nknown);
}

/* Would the planner ship (or re-track) something of this seller-shipping
 * order on TikTok: a successful Shopify fulfillment TikTok has not
 * accepted yet, or one whose tracking number differs from what was sent? */
static int push_pending(const struct work_item *w)
{
	size_t i, j;

	for (i = 0; i < w->sh.nfulfillments; i++) {
		const struct sh_fulfillment *f = &w->sh.fulfillments[i];
		const struct ful_rec *r = NULL;
		const char *num = f->ntracking > 0 ? f->tracking[0].number : NULL;

		if (f->status == NULL || strcmp(f->status, "SUCCESS") != 0 || f->id == NULL)
			continue;
		for (j = 0; j < w->nfuls && r == NULL; j++)
			if (w->fuls[j].dir == FUL_PUSH && w->fuls[j].sh_fulfillment_id &&
			    strcmp(w->fuls[j].sh_fulfillment_id, f->id) == 0)
				r = &w->fuls[j];
		if (r == NULL || (r->status != SYNC_SYNCED && r->tt_package_id == NULL))
			return 1;
		if (num != NULL && *num != '\0' &&
		    (r->tracking_number == NULL || strcmp(r->tracking_number, num) != 0))
			return 1;
	}
	return 0;
}

int work_wants_tt_refresh(const struct work_item *w)
{
	return w->have_tt && !w->tt_fresh && !w->tt_refreshing && w->rec.sh_gid != NULL &&
	       w->have_sh && w->tt.shipping_type != NULL &&
	       strcmp(w->tt.shipping_type, "SELLER") == 0 && push_pending(w);
}

/* TikTok advises reading an order again right before shipping it. An
 * order known here only from its stored snapshot (the Shopify window or a
 * retry brought it, not TikTok's window) may carry a pending cancel
 * request, which does not move update_time: such orders with something to
 * push are read again (Get Order Detail, 50 ids a call). A failed read
 * keeps the snapshot; TikTok still refuses what it must. */
static void refresh_before_push(struct run_ctx *rc)
{
	struct idlist ids = { NULL, 0, 0, { NULL, 0 } };
	struct err e;
	size_t i;

	for (i = 0; i < rc->nitems; i++) {
		struct work_item *w = rc->items[i];

		if (work_wants_tt_refresh(w))
			idlist_add(&ids, w->tt_id);
	}
	err_clear(&e);
	if (ids.n && fetch_details(rc, ids.v, ids.n, &e) != 0)
		logmsg(LOG_WARN, "could not read %zu TikTok order%s again before shipping: %s",
		       ids.n, ids.n == 1 ? "" : "s", e.msg);
	idlist_free(&ids);
}

/* Does a TikTok package of this order wait to become a Shopify
 * fulfillment (no synced pull record yet)? */
static int pull_pending(const struct work_item *w)
{
	size_t i, j;

	for (i = 0; i < w->tt.nlines; i++) {
		const struct tt_line *l = &w->tt.lines[i];
		int synced = 0;

		if (l->package_id == NULL || *l->package_id == '\0' ||
		    l->tracking_number == NULL || *l->tracking_number == '\0')
			continue;
		for (j = 0; j < w->nfuls && !synced; j++)
			synced = w->fuls[j].dir == FUL_PULL && w->fuls[j].tt_package_id &&
				 strcmp(w->fuls[j].tt_package_id, l->package_id) == 0 &&
				 w->fuls[j].status == SYNC_SYNCED;
		if (!synced)
			return 1;
	}
	return 0;
}

/* The Shopify window reads orders light (fulfillments with their lines,
 * no line items, no fulfillment orders). Orders with a package to pull,
 * or named by a manual sync, need the full picture: mark them
 * (want_detail) and return how many. */
int fetch_mark_details(struct run_ctx *rc, int only_pulls)
{
	size_t i;
	int n = 0, seller;

	for (i = 0; i < rc->nitems; i++) {
		struct work_item *w = rc->items[i];

		w->want_detail = 0;
		if (!w->have_tt || w->rec.sh_gid == NULL || w->ful_started ||
		    w->detail_inflight)
			continue;
		seller = w->tt.shipping_type && strcmp(w->tt.shipping_type, "SELLER") == 0;
		if (only_pulls) {
			if (!seller && !w->selected && (!w->have_sh || w->sh.partial) &&
			    pull_pending(w)) {
				w->want_detail = 1;
				n++;
			}
			continue;
		}
		if (!w->have_sh) {
			/* Not in the Shopify window: read it by id. */
			w->want_detail = 1;
			n++;
			continue;
		}
		if (!w->sh.partial)
			continue;
		/* Pushes need the fulfillments' lines, which the window
		 * carries; pulls need the fulfillment orders, which it does
		 * not. */
		if (w->selected || (!seller && pull_pending(w))) {
			w->want_detail = 1;
			n++;
			logmsg(LOG_DEBUG, "order %s: reading %s in full (%s)", w->tt_id,
			       w->rec.sh_gid, w->selected ? "named by a manual sync"
			       : "a package to pull");
		}
	}
	return n;
}

struct detail_job {
	struct run_ctx *rc;
	detail_then_fn then;
	void *arg;
};

static void on_detail_nodes(void *arg, struct sh_result *res, struct sh_order_list *l)
{
	struct detail_job *dj = arg;
	struct run_ctx *rc = dj->rc;
	size_t i;

	if (res->oc != HTTP_OUTCOME_OK || res->err.cls != ERR_NONE) {
		if (!rc->detail_failed) {
			rc->detail_failed = 1;
			rc->detail_err = res->err;
		}
		free(dj);
		return;
	}
	for (i = 0; l && i < l->n; i++) {
		struct work_item *w = NULL;
		char *tt_id = NULL;
		struct err e;
		int found = 0;
		size_t k;

		/* Which order: by the state's link (one lookup), else (a dry
		 * run, linked in this run) by a scan. */
		err_clear(&e);
		if (l->v[i].id &&
		    state_order_by_shopify_gid(rc->st, l->v[i].id, &tt_id, &found, &e) == 0 &&
		    found)
			w = work_find(rc, tt_id);
		free(tt_id);
		if (w != NULL && (!w->detail_inflight || w->rec.sh_gid == NULL ||
				  strcmp(w->rec.sh_gid, l->v[i].id) != 0))
			w = NULL;
		for (k = 0; !found && k < rc->nitems && w == NULL; k++)
			if (rc->items[k]->detail_inflight && rc->items[k]->rec.sh_gid &&
			    l->v[i].id && strcmp(rc->items[k]->rec.sh_gid, l->v[i].id) == 0)
				w = rc->items[k];
		if (w == NULL)
			continue;
		w->detail_inflight = 0;
		if (w->ful_started) {	/* its calls use the picture they were planned on */
			w->want_detail = 0;
			continue;
		}
		sh_order_free(&w->sh);
		w->sh = l->v[i];
		memset(&l->v[i], 0, sizeof(l->v[i]));
		w->have_sh = 1;
		w->want_detail = 0;
		dj->then(rc, w, dj->arg);
	}
	free(dj);
}

/* Submit the full reads of the marked orders (nodes(ids:)); as each batch
 * arrives, `then` runs for each of its orders (in this thread, from
 * http_run), so their work starts while other reads are in flight. */
int fetch_details_async(struct run_ctx *rc, detail_then_fn then, void *arg,
			struct err *e)
{
	struct idlist gids = { NULL, 0, 0, { NULL, 0 } };
	size_t i;
	int ret = -1;

	for (i = 0; i < rc->nitems; i++)
		if (rc->items[i]->want_detail && !rc->items[i]->detail_inflight) {
			rc->items[i]->detail_inflight = 1;
			idlist_add(&gids, rc->items[i]->rec.sh_gid);
		}
	for (i = 0; i < gids.n; i += SH_NODES_BATCH) {
		size_t k = gids.n - i < SH_NODES_BATCH ? gids.n - i : SH_NODES_BATCH;
		struct detail_job *dj = xcalloc(1, sizeof(*dj));

		dj->rc = rc;
		dj->then = then;
		dj->arg = arg;
		if (rc->sho->get_orders(rc->sh, gids.v + i, k, on_detail_nodes, dj, e) != 0) {
			free(dj);
			goto cleanup;
		}
	}
	ret = 0;
cleanup:
	idlist_free(&gids);
	return ret;
}

/* The shipping providers of every seller-shipping delivery option in the
 * working set: from this run's reads, else the state's cache (lists
 * rarely change), else TikTok. With check_rules, the carrier rules are
 * then held against every provider known. Waits for its own reads only. */
int fetch_providers(struct run_ctx *rc, int check_rules, struct err *e)
{
	struct idlist opts = { NULL, 0, 0, { NULL, 0 } };
	struct prov_job pj;
	size_t i;
	int ret = -1;

	memset(&pj, 0, sizeof(pj));
	pj.rc = rc;
	for (i = 0; i < rc->nitems; i++) {
		struct work_item *w = rc->items[i];

		if (!w->have_tt || w->tt.delivery_option_id == NULL ||
		    w->tt.shipping_type == NULL ||
		    strcmp(w->tt.shipping_type, "SELLER") != 0 ||
		    w->tt.fulfillment_type == NULL ||
		    strcmp(w->tt.fulfillment_type, "FULFILLMENT_BY_SELLER") != 0)
			continue;
		if (work_providers(rc, w->tt.delivery_option_id) == NULL)
			idlist_add(&opts, w->tt.delivery_option_id);
	}
	for (i = 0; rc->options && i < rc->options->n; i++)
		if (work_providers(rc, rc->options->v[i]) == NULL)
			idlist_add(&opts, rc->options->v[i]);
	/* Scheduled runs: every option the state knows too, so orders the
	 * Shopify window brings can ship as soon as their page arrives. */
	if (check_rules && rc->mode == RUN_SCHEDULED) {
		char **known = NULL;
		size_t nknown = 0;

		if (state_provider_options(rc->st, &known, &nknown, e) != 0)
			goto cleanup;
		for (i = 0; i < nknown; i++)
			if (work_providers(rc, known[i]) == NULL)
				idlist_add(&opts, known[i]);
		str_free_array(known, nknown);
	}
	for (i = 0; i < opts.n; i++) {
		pj.pending++;
		if (rc->tto->get_providers(rc->tt, opts.v[i], on_providers, &pj, e) != 0) {
			if (--pj.pending > 0)
				http_run_until(rc->http, &pj.done, NULL);
			goto cleanup;
		}
	}
	if (pj.pending > 0 && http_run_until(rc->http, &pj.done, e) != 0)
		goto cleanup;
	if (check_rules)
		check_carrier_rules(rc);
	ret = 0;
cleanup:
	idlist_free(&opts);
	return ret;
}

void fetch_refresh_before_push(struct run_ctx *rc)
{
	refresh_before_push(rc);
}

int resolve_inputs(struct run_ctx *rc, int for_orders, struct err *e)
{
	return for_orders ? resolve_skus(rc, e) : fetch_providers(rc, 1, e);
}

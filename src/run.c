/*
 * run.c - opening and closing one run (lock, state, HTTP engine, both
 * clients, the TikTok token and the shop checks), mapping errors to exit
 * codes, and the end of the run: carried failures, the report files and
 * the run record. Owns everything in struct run_ctx.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "run.h"

int exit_code_for(const struct err *e)
{
	switch (e->cls) {
	case ERR_USAGE:
	case ERR_CONFIG:
		return EXIT_USAGE;
	case ERR_LOCKED:
		return EXIT_LOCKED;
	default:
		return EXIT_ABORTED;
	}
}

static const char *mode_name(enum run_mode m)
{
	switch (m) {
	case RUN_SYNC_ORDERS:
		return "sync orders";
	case RUN_SYNC_FULFILLMENTS:
		return "sync fulfillments";
	default:
		return "run";
	}
}

static int tokens_equal(const struct tt_token *a, const struct config *c)
{
	return a->refresh_token && c->tt_refresh_token &&
	       strcmp(a->refresh_token, c->tt_refresh_token) == 0 &&
	       a->access_token && c->tt_access_token &&
	       strcmp(a->access_token, c->tt_access_token) == 0;
}

/* Install the newest token pair and make sure it is usable. The state's
 * pair (written by earlier refreshes) wins; if TikTok refuses it and the
 * configuration carries a different pair (the merchant re-authorised),
 * that one is tried. */
static int open_token(struct run_ctx *rc, struct err *e)
{
	const struct config *c = rc->cfg;
	struct tt_token st_tok, cfg_tok;
	int found = 0, ret = -1;

	memset(&st_tok, 0, sizeof(st_tok));
	memset(&cfg_tok, 0, sizeof(cfg_tok));
	cfg_tok.access_token = c->tt_access_token;
	cfg_tok.refresh_token = c->tt_refresh_token;
	cfg_tok.access_expire = c->tt_access_expire;
	if (state_token_get(rc->st, &st_tok, &found, e) != 0)
		goto cleanup;
	if (found) {
		tiktok_set_token(rc->tt, &st_tok);
		if (rc->tto->ensure_token(rc->tt, rc->st, e) == 0) {
			ret = 0;
			goto cleanup;
		}
		if (e->cls != ERR_AUTH || tokens_equal(&st_tok, c) ||
		    c->tt_refresh_token == NULL)
			goto cleanup;
		logmsg(LOG_WARN, "the stored TikTok token pair was refused (%s); "
		       "trying the pair from the configuration", e->msg);
	}
	if (c->tt_refresh_token == NULL && c->tt_access_token == NULL) {
		err_set(e, ERR_CONFIG, "NO_TOKEN",
			"%s: no TikTok token pair: set tiktok.access_token_env/_file "
			"and tiktok.refresh_token_env/_file", c->path);
		goto cleanup;
	}
	tiktok_set_token(rc->tt, &cfg_tok);
	ret = rc->tto->ensure_token(rc->tt, rc->st, e);
cleanup:
	tt_token_free(&st_tok);
	return ret;
}

int run_open(struct run_ctx *rc, const struct config *cfg, enum run_mode mode,
	     int dry_run, struct err *e)
{
	struct http_opts ho;
	struct tt_shop shop;
	char stamp[32], *sh_name = NULL, *sh_currency = NULL;
	time_t t;
	struct tm tm;
	int ret = -1;

	memset(&shop, 0, sizeof(shop));
	rc->cfg = cfg;
	rc->mode = mode;
	rc->dry_run = dry_run;
	rc->now = clock_now();
	rc->deadline_ms = clock_now_ms() + (int64_t)cfg->deadline_seconds * 1000;
	rc->tto = &tiktok_ops;
	rc->sho = &shopify_ops;
	t = (time_t)rc->now;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(rc->run_id, sizeof(rc->run_id), "%s-%ld", stamp, (long)getpid());
	report_init(&rc->rep, rc->run_id, cfg->store_name, mode_name(mode), dry_run);
	rc->rep.stats.started_at = rc->now;

	if (lock_acquire(cfg->lock_file, &rc->lock, e) != 0)
		goto cleanup;
	rc->locked = 1;
	if (state_open(cfg->state_file, &rc->st, e) != 0)
		goto cleanup;
	if (!dry_run && state_run_start(rc->st, rc->run_id, rc->now,
					mode_name(mode), dry_run, e) != 0)
		goto cleanup;

	memset(&ho, 0, sizeof(ho));
	ho.concurrency = cfg->concurrency;
	ho.timeout_seconds = cfg->timeout_seconds;
	ho.max_attempts = cfg->max_attempts;
	ho.allow_insecure_loopback = cfg->allow_insecure_loopback;
	ho.ca_file = cfg->ca_file;
	ho.user_agent = "ttsync/" TTSYNC_VERSION;
	ho.base_backoff_ms = 500;
	ho.max_backoff_ms = 30000;
	ho.deadline_ms = 0;	/* writes in flight always finish; fetching checks the deadline */
	if (http_new(&ho, &rc->http, e) != 0)
		goto cleanup;
	if (tiktok_new(cfg, rc->http, &rc->tt, e) != 0 ||
	    shopify_new(cfg, rc->http, &rc->sh, e) != 0)
		goto cleanup;

	/* The platforms must accept us before anything else happens. */
	if (open_token(rc, e) != 0)
		goto cleanup;
	if (rc->tto->get_shop(rc->tt, &shop, e) != 0)
		goto cleanup;
	if (shop.region == NULL || strcmp(shop.region, "US") != 0) {
		err_set(e, ERR_CONFIG, "SKIP_NOT_US",
			"TikTok shop '%s' is in region %s: order and fulfillment sync "
			"exist for US TikTok Shops only",
			shop.name ? shop.name : "?", shop.region ? shop.region : "?");
		goto cleanup;
	}
	if (rc->sho->get_shop(rc->sh, &sh_name, &sh_currency, e) != 0)
		goto cleanup;
	logmsg(LOG_INFO, "run %s: TikTok shop '%s', Shopify shop '%s' (%s)",
	       rc->run_id, shop.name ? shop.name : "", sh_name ? sh_name : "",
	       sh_currency ? sh_currency : "");
	ret = 0;
cleanup:
	tt_shop_free(&shop);
	free(sh_name);
	free(sh_currency);
	return ret;
}

void run_close(struct run_ctx *rc)
{
	size_t i;

	work_free_all(rc);
	for (i = 0; i < rc->nproviders; i++)
		tt_provider_list_free(&rc->providers[i]);
	free(rc->providers);
	rc->providers = NULL;
	rc->nproviders = 0;
	if (rc->tt)
		tiktok_free(rc->tt);
	if (rc->sh)
		shopify_free(rc->sh);
	if (rc->http)
		http_free(rc->http);
	if (rc->st)
		state_close(rc->st);
	if (rc->locked)
		lock_release(&rc->lock);
	report_free(&rc->rep);
	memset(rc, 0, sizeof(*rc));
}

/* ---- the end of the run ------------------------------------------------ */

static int carry_order(const struct order_rec *o, void *arg)
{
	struct run_ctx *rc = arg;
	struct report_item it;
	const struct reason *rs = reason_lookup(o->reason_code ? o->reason_code : "");
	char *turl, *surl = NULL;

	if (report_has(&rc->rep, "order", o->tt_id, NULL))
		return 0;
	turl = tiktok_order_url(rc->cfg, o->tt_id);
	if (o->sh_legacy_id)
		surl = shopify_order_admin_url(rc->cfg, o->sh_legacy_id);
	memset(&it, 0, sizeof(it));
	it.object = "order";
	it.direction = "tiktok_to_shopify";
	it.tt_order_id = o->tt_id;
	it.shopify_order = o->sh_name;
	it.action = "none";
	it.status = o->status;
	it.reason_code = o->reason_code;
	it.reason = o->reason;
	it.remedy = o->remedy ? o->remedy : (rs ? (char *)rs->remedy : NULL);
	it.detail = "open since an earlier run";
	it.needs_person = o->retry == RETRY_PERSON;
	it.tiktok_url = turl;
	it.shopify_url = surl;
	it.time = o->last_seen;
	it.carried = 1;
	report_add(&rc->rep, &it);
	free(turl);
	free(surl);
	return 0;
}

static int carry_ful(const struct ful_rec *f, void *arg)
{
	struct run_ctx *rc = arg;
	struct report_item it;
	const struct reason *rs = reason_lookup(f->reason_code ? f->reason_code : "");
	char *turl;
	char detail[512];

	if (report_has(&rc->rep, "fulfillment", f->tt_order_id, f->key))
		return 0;
	turl = tiktok_order_url(rc->cfg, f->tt_order_id);
	snprintf(detail, sizeof(detail), "%s; tracking %s; open since an earlier run",
		 f->key, f->tracking_number ? f->tracking_number : "-");
	memset(&it, 0, sizeof(it));
	it.object = "fulfillment";
	it.direction = f->dir == FUL_PUSH ? "shopify_to_tiktok" : "tiktok_to_shopify";
	it.tt_order_id = f->tt_order_id;
	it.action = "none";
	it.status = f->status;
	it.reason_code = f->reason_code;
	it.reason = f->reason;
	it.remedy = f->remedy ? f->remedy : (rs ? (char *)rs->remedy : NULL);
	it.detail = detail;
	it.needs_person = f->retry == RETRY_PERSON;
	it.tiktok_url = turl;
	it.time = f->updated_at;
	it.carried = 1;
	report_add(&rc->rep, &it);
	free(turl);
	return 0;
}

static char *stats_json(const struct run_stats *s)
{
	json_t *j = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f}",
			      "tt_orders_fetched", (json_int_t)s->tt_orders_fetched,
			      "tt_pages", (json_int_t)s->tt_pages,
			      "orders_created", (json_int_t)s->orders_created,
			      "orders_linked", (json_int_t)s->orders_linked,
			      "orders_failed", (json_int_t)s->orders_failed,
			      "orders_skipped", (json_int_t)s->orders_skipped,
			      "orders_not_synced", (json_int_t)s->orders_not_synced,
			      "orders_cancelled", (json_int_t)s->orders_cancelled,
			      "ful_pushed", (json_int_t)s->ful_pushed,
			      "ful_pulled", (json_int_t)s->ful_pulled,
			      "ful_updated", (json_int_t)s->ful_updated,
			      "ful_events", (json_int_t)s->ful_events,
			      "ful_failed", (json_int_t)s->ful_failed,
			      "tt_requests", (json_int_t)s->tt_requests,
			      "sh_requests", (json_int_t)s->sh_requests,
			      "tt_writes", (json_int_t)s->tt_writes,
			      "sh_writes", (json_int_t)s->sh_writes,
			      "sh_cost", s->sh_cost);
	char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return txt ? txt : xstrdup("{}");
}

int run_report(struct run_ctx *rc, int exit_code, char **dir_out,
	       struct err *e)
{
	struct order_filter f;
	struct http_limiter_stats ls;
	struct err ce;
	char *sj = NULL;
	int ret = 0;

	err_clear(&ce);
	rc->rep.exit_code = exit_code;
	rc->rep.stats.finished_at = clock_now();
	if (rc->tt) {
		tiktok_limiter_stats(rc->tt, &ls);
		rc->rep.stats.tt_requests = (long)ls.requests;
	}
	if (rc->sh) {
		http_limiter_stats(shopify_limiter(rc->sh), &ls);
		rc->rep.stats.sh_requests = (long)ls.requests;
		rc->rep.stats.sh_cost = (double)ls.tokens;
	}
	if (rc->aborted) {
		rc->rep.aborted = 1;
		free(rc->rep.abort_reason);
		rc->rep.abort_reason = xstrdup(rc->abort_err.msg);
	}
	/* Failures still open from earlier runs stay in the morning report. */
	if (rc->st) {
		memset(&f, 0, sizeof(f));
		f.only_status = SYNC_FAILED;
		if (state_orders_foreach(rc->st, &f, carry_order, rc, &ce) != 0 ||
		    state_fuls_foreach(rc->st, SYNC_FAILED, carry_ful, rc, &ce) != 0)
			logmsg(LOG_WARN, "could not list earlier failures: %s", ce.msg);
	}
	if (report_write(rc->cfg->reports_dir, &rc->rep, dir_out, e) != 0)
		ret = -1;
	if (rc->st && !rc->dry_run) {
		sj = stats_json(&rc->rep.stats);
		if (state_run_finish(rc->st, rc->run_id, clock_now(), exit_code,
				     sj, &ce) != 0) {
			logmsg(LOG_ERROR, "could not record the run: %s", ce.msg);
			if (ret == 0) {
				*e = ce;
				ret = -1;
			}
		}
	}
	fprintf(stderr,
		"ttsync: %s: %ld TikTok orders read; orders: %ld created, %ld linked, "
		"%ld failed, %ld skipped, %ld not synced, %ld cancelled; fulfillments: "
		"%ld pushed, %ld pulled, %ld tracking updates, %ld events, %ld failed\n",
		rc->run_id, rc->rep.stats.tt_orders_fetched,
		rc->rep.stats.orders_created, rc->rep.stats.orders_linked,
		rc->rep.stats.orders_failed, rc->rep.stats.orders_skipped,
		rc->rep.stats.orders_not_synced, rc->rep.stats.orders_cancelled,
		rc->rep.stats.ful_pushed, rc->rep.stats.ful_pulled,
		rc->rep.stats.ful_updated, rc->rep.stats.ful_events,
		rc->rep.stats.ful_failed);
	free(sj);
	return ret;
}

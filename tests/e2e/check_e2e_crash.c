/*
 * check_e2e_crash.c - isync's "interrupt the sync at step 1, 2, ... N,
 * resume, compare" for every non-idempotent call ttsync makes (issue 3
 * and 4 acceptance: the SIGKILL crash test).
 *
 * For each kind of intent (order_create, fulfillment_create,
 * fulfillment_event, ship_package, update_shipping, order_cancel) a small
 * store (a subset of the demo fixture) is brought to the run that makes
 * those calls; that run is made with build/ttsync-crashtest, which raises
 * SIGKILL at a named step (include/crashpoint.h), for the first, a middle
 * and the last call of the run:
 *   intent    the intent is committed, the call not sent (or in flight);
 *   unknown   the platform committed the call and dropped the connection
 *             (emulator fault drop_after), nothing recorded yet;
 *   response  the answer arrived, the outcome is not recorded;
 *   outcome   the outcome is committed;
 *   drop      no kill: the platform commits and drops the connection
 *             (drop_after), and the run itself must sort it out.
 * Then the normal build/ttsync runs again, and the test asserts what both
 * platforms hold (emulator state and request logs) and what the state
 * file holds: every call landed exactly once (one Shopify order per TikTok
 * order, one package per shipment, one fulfillment per TikTok package,
 * one event per status, one cancel, one tracking update), nothing was
 * lost, no intent is left open, every record is synced; and one more
 * unchanged run makes no write call at all.
 *
 * Owns the emulators of the running case (stopped at exit, also when an
 * assertion fails) and the JSON it reads (freed likewise).
 */
#include <check.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define TT(nn) "5769120043718200" nn
#define UNIT(nn, kk) "5770884123000" nn "0" kk

#define CASE_TIMEOUT 300	/* seconds per case; the suite also runs under ASan */
#define RUN_TIMEOUT 120		/* one ttsync run */
/* Both clocks move this much before each run: a cron interval, longer
 * than the time ttsync gives Shopify's order search to show an order
 * whose creation it could not confirm (apply.c SEARCH_LAG_ALLOWANCE). */
#define STEP_SECONDS 900
#define KILLED (128 + 9)	/* harness_run's status for SIGKILL */

/* ---- the running case: released at exit, even after a failed assertion */

struct cstore {
	struct store s;
	long long now;		/* TTSYNC_NOW of the last run */
	char *fixdir;
	int started;
};

static struct cstore *live;
static json_t *bin;

static json_t *keep(json_t *j)
{
	if (j == NULL)
		return NULL;
	if (bin == NULL)
		bin = json_array();
	json_array_append_new(bin, j);
	return j;
}

/* Takes ownership of a malloc'ed string; the copy lives in the bin. */
static const char *keep_str(char *s)
{
	json_t *j;

	if (s == NULL)
		return NULL;
	j = keep(json_stringn_nocheck(s, strlen(s)));
	free(s);
	return j ? json_string_value(j) : "";
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A passed case leaves nothing behind (a failed one keeps its files). */
static void rm_rf(const char *dir)
{
	if (dir != NULL && *dir)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void release(void)
{
	if (live != NULL && live->started) {
		harness_store_stop(&live->s);
		live->started = 0;
		rm_rf(live->s.dir);
		rm_rf(live->s.tt.dir);
		rm_rf(live->s.sh.dir);
	}
	if (live != NULL) {
		rm_rf(live->fixdir);
		free(live->fixdir);
		live->fixdir = NULL;
	}
	live = NULL;
	json_decref(bin);
	bin = NULL;
}

static const char *str(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

/* Start a store holding the demo orders listed (two-digit numbers). */
static void cs_start(struct cstore *c, const char *tag, const char *const *nns,
		     const char *extra_yaml)
{
	static int registered;
	struct store_opts o;
	char src[700], idbuf[32][24];
	const char *ids[32];
	char *tt_path;
	size_t n;

	memset(c, 0, sizeof(*c));
	if (!registered) {
		atexit(release);
		registered = 1;
	}
	c->fixdir = harness_mkdtemp("crashfix");
	ck_assert_ptr_nonnull(c->fixdir);
	for (n = 0; nns[n] && n < 31; n++) {
		snprintf(idbuf[n], sizeof(idbuf[n]), TT("%s"), nns[n]);
		ids[n] = idbuf[n];
	}
	ids[n] = NULL;
	snprintf(src, sizeof(src), "%s/fixtures/demo/tiktok.json", harness_top());
	tt_path = harness_fixture_subset(src, c->fixdir, "tiktok.json", ids);
	ck_assert_msg(tt_path != NULL, "could not write the fixture subset");
	memset(&o, 0, sizeof(o));
	o.tt_data = tt_path;
	o.order_auto_sync = 1;
	o.extra_yaml = extra_yaml;
	live = c;
	ck_assert_msg(harness_store_start(tag, &o, &c->s) == 0,
		      "the emulators did not start (%s)", tag);
	c->started = 1;
	harness_reaper_add(&c->s);
	free(tt_path);
	/* A large, fast-refilling cost bucket (a Plus store's): after a lost
	 * answer ttsync keeps the call's estimated cost charged, and the
	 * default bucket would only make the cases wait. */
	ck_assert_ptr_nonnull(keep(harness_emu_post(&c->s.sh, "/_emu/config",
						    "{\"bucket_size\": 20000, "
						    "\"restore_rate\": 1000}")));
}

struct run {
	int status;
	int sh_writes, tt_writes;
	const char *err;	/* stderr, kept in the bin */
};

/* `ttsync run` (prog "ttsync" or "ttsync-crashtest") after moving both
 * clocks forward; counts the write calls it sent. */
static struct run cs_run(struct cstore *c, const char *prog, const char *crash_at)
{
	const char *args[] = { "run", "--config", c->s.config, NULL };
	const char *env[3];
	char pin[64], at[128];
	long msh = harness_log_mark(&c->s.sh), mtt = harness_log_mark(&c->s.tt);
	struct run_result r;
	struct run out;
	json_t *since;

	ck_assert(msh >= 0 && mtt >= 0);
	c->now = harness_store_advance(&c->s, STEP_SECONDS);
	ck_assert_msg(c->now > 0, "emulator clock unreadable");
	snprintf(pin, sizeof(pin), "TTSYNC_NOW=%lld", c->now);
	env[0] = pin;
	env[1] = NULL;
	if (crash_at != NULL) {
		snprintf(at, sizeof(at), "TTSYNC_CRASH_AT=%s", crash_at);
		env[1] = at;
		env[2] = NULL;
	}
	harness_ttsync(prog, args, env, RUN_TIMEOUT, &r);
	memset(&out, 0, sizeof(out));
	out.status = r.status;
	out.err = keep_str(r.err);
	free(r.out);
	since = keep(harness_log_since(&c->s.sh, msh));
	ck_assert_ptr_nonnull(since);
	out.sh_writes = harness_log_writes(since, "shopify", NULL);
	since = keep(harness_log_since(&c->s.tt, mtt));
	ck_assert_ptr_nonnull(since);
	out.tt_writes = harness_log_writes(since, "tiktok", NULL);
	return out;
}

/* A normal run that must end with exit status 0. */
static struct run cs_run_ok(struct cstore *c, const char *what)
{
	struct run r = cs_run(c, "ttsync", NULL);

	ck_assert_msg(r.status == 0, "%s: ttsync exited %d:\n%s", what, r.status, r.err);
	return r;
}

static void tt_event(struct cstore *c, json_t *ev)
{
	char *txt = json_dumps(ev, JSON_COMPACT);
	json_t *ans = harness_emu_event(&c->s.tt, ev);

	ck_assert_msg(ans != NULL, "TikTok refused event %s", txt ? txt : "?");
	free(txt);
	json_decref(ans);
}

/* A Shopify event; the emulator's answer (kept). */
static json_t *sh_event(struct cstore *c, json_t *ev)
{
	char *txt = json_dumps(ev, JSON_COMPACT);
	json_t *ans = harness_emu_event(&c->s.sh, ev);

	ck_assert_msg(ans != NULL, "Shopify refused event %s", txt ? txt : "?");
	free(txt);
	return keep(ans);
}

/* Between runs, after the previous run's "now": events happen later. */
static void cs_between(struct cstore *c)
{
	ck_assert(harness_store_advance(&c->s, STEP_SECONDS / 2) > 0);
}

static long long state_int(struct cstore *c, const char *sql)
{
	long long v = harness_state_int(c->s.state, sql);

	ck_assert_msg(v >= 0, "state query failed: %s", sql);
	return v;
}

static const char *state_text(struct cstore *c, const char *sql)
{
	const char *t = keep_str(harness_state_text(c->s.state, sql));

	ck_assert_msg(t != NULL, "state query failed: %s", sql);
	return t;
}

/* ---- what the platforms hold -------------------------------------------- */

static json_t *sh_orders_of(struct cstore *c, const char *tt_id)
{
	json_t *all = keep(harness_shopify_orders(&c->s)), *o, *out = keep(json_array());
	size_t i;

	ck_assert_ptr_nonnull(all);
	json_array_foreach(all, i, o)
		if (strcmp(str(o, "sourceIdentifier"), tt_id) == 0)
			json_array_append(out, o);
	return out;
}

static json_t *sh_order(struct cstore *c, const char *tt_id)
{
	json_t *l = sh_orders_of(c, tt_id);

	ck_assert_msg(json_array_size(l) == 1,
		      "TikTok order %s: %zu Shopify orders (want exactly one)",
		      tt_id, json_array_size(l));
	return json_array_get(l, 0);
}

static json_t *tt_packages(struct cstore *c, const char *tt_id)
{
	json_t *st = keep(harness_emu_get(&c->s.tt, "/_emu/state")), *p, *out = keep(json_array());
	size_t i;

	ck_assert_ptr_nonnull(st);
	json_array_foreach(json_object_get(st, "packages"), i, p)
		if (strcmp(str(p, "order_id"), tt_id) == 0)
			json_array_append(out, p);
	return out;
}

/* Requests of one kind that the platform accepted (TikTok: code 0;
 * Shopify: no userErrors, no top-level errors) whose path starts with
 * `path` (TikTok) or whose body names `needle` (Shopify). */
static int accepted_calls(const struct emu_proc *p, const char *path,
			  const char *needle, const char *needle2)
{
	json_t *l = keep(harness_log_select(p, "POST", path, needle)), *e;
	size_t i;
	int n = 0;

	ck_assert_ptr_nonnull(l);
	json_array_foreach(l, i, e) {
		json_t *resp;

		if (needle2 && !strstr(str(e, "body"), needle2))
			continue;
		/* dropped after execution: the platform did act on it */
		if (strcmp(str(e, "fault"), "drop_after") == 0) {
			n++;
			continue;
		}
		if (json_integer_value(json_object_get(e, "status")) != 200)
			continue;
		resp = json_loads(str(e, "response"), 0, NULL);
		if (resp == NULL)
			continue;
		if (strcmp(p->kind, "tiktok") == 0) {
			if (json_integer_value(json_object_get(resp, "code")) == 0 &&
			    json_object_get(resp, "code"))
				n++;
		} else if (!json_object_get(resp, "errors") &&
			   !strstr(str(e, "response"), "\"message\"")) {
			n++;
		}
		json_decref(resp);
	}
	return n;
}

/* ---- the scenarios ------------------------------------------------------- */

struct scenario {
	const char *kind;		/* crash_point kind */
	const char *const *orders;	/* demo order numbers of the store */
	const char *extra_yaml;
	int calls;			/* calls of `kind` the crash run makes */
	void (*setup)(struct cstore *);	/* brings the store to the crash run */
	void (*verify)(struct cstore *);	/* after the rerun */
	const char *emu;		/* where drop_after applies: "tiktok" / "shopify" */
	const char *fault_match;	/* its JSON "match" */
};

/* Orders: 01, 02, 03, 07, 39 (seller shipping) and 11 (TikTok shipping,
 * pulled right after it is created). */
static const char *const orders_create[] = { "01", "02", "03", "07", "39", "11", NULL };

static void setup_nothing(struct cstore *c)
{
	(void)c;
}

static void verify_orders(struct cstore *c, const char *const *nns)
{
	size_t i;
	char sql[256], id[32];

	for (i = 0; nns[i]; i++) {
		json_t *o;
		const char *row;
		char want[256];

		snprintf(id, sizeof(id), TT("%s"), nns[i]);
		o = sh_order(c, id);
		snprintf(sql, sizeof(sql),
			 "SELECT status, sh_gid FROM orders WHERE tt_id = '%s'", id);
		row = state_text(c, sql);
		snprintf(want, sizeof(want), "synced|%s\n", str(o, "id"));
		ck_assert_msg(strcmp(row, want) == 0,
			      "order %s in the state: '%s', want '%s'", id, row, want);
		/* one unit map per TikTok unit, to the created order's lines */
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM units WHERE tt_id = '%s'", id);
		ck_assert_msg(state_int(c, sql) > 0, "order %s has no unit map", id);
	}
}

/* TikTok -> Shopify pulls: one Shopify fulfillment per TikTok package
 * with tracking, holding that tracking and as many units. */
static void verify_pulls(struct cstore *c, const char *const *nns)
{
	size_t i, k, j, t;
	char id[32], sql[512];

	for (i = 0; nns[i]; i++) {
		json_t *o, *pkgs, *p, *f;
		size_t npk = 0;

		snprintf(id, sizeof(id), TT("%s"), nns[i]);
		o = sh_order(c, id);
		pkgs = tt_packages(c, id);
		json_array_foreach(pkgs, k, p) {
			const char *num = str(p, "tracking_number");
			int hits = 0;
			const char *gid = NULL;

			if (!*num)
				continue;
			npk++;
			json_array_foreach(json_object_get(o, "fulfillments"), j, f) {
				json_t *ti, *ln;
				int q = 0, has = 0;

				json_array_foreach(json_object_get(f, "trackingInfo"), t, ti)
					has |= strcmp(str(ti, "number"), num) == 0;
				if (!has)
					continue;
				hits++;
				gid = str(f, "id");
				json_array_foreach(json_object_get(f, "lines"), t, ln)
					q += (int)json_integer_value(json_object_get(ln, "quantity"));
				ck_assert_msg((size_t)q == json_array_size(json_object_get(p,
						"order_line_item_ids")),
					      "order %s: fulfillment %s of package %s holds %d "
					      "units, TikTok's package %zu", id, gid, str(p, "id"),
					      q, json_array_size(json_object_get(p,
						"order_line_item_ids")));
			}
			ck_assert_msg(hits == 1, "order %s: TikTok package %s (tracking %s): "
				      "%d Shopify fulfillments (want exactly one)",
				      id, str(p, "id"), num, hits);
			snprintf(sql, sizeof(sql),
				 "SELECT count(*) FROM fulfillments WHERE key = 'pull:%s' AND "
				 "status = 'synced' AND sh_fulfillment_id = '%s' AND "
				 "tracking_number = '%s'", str(p, "id"), gid, num);
			ck_assert_msg(state_int(c, sql) == 1,
				      "order %s: package %s is not recorded as synced to %s",
				      id, str(p, "id"), gid);
		}
		ck_assert_msg(json_array_size(json_object_get(o, "fulfillments")) == npk,
			      "order %s: %zu Shopify fulfillments for %zu TikTok packages",
			      id, json_array_size(json_object_get(o, "fulfillments")), npk);
	}
}

/* Delivery events: at most one per status per fulfillment, and exactly
 * the one TikTok's package status calls for. */
static void verify_events(struct cstore *c, const char *const *nns)
{
	size_t i, j, k;
	char id[32];

	for (i = 0; nns[i]; i++) {
		json_t *o, *f, *ev, *tto;
		const char *st;
		int want_it = 0, want_dl = 0;

		snprintf(id, sizeof(id), TT("%s"), nns[i]);
		o = sh_order(c, id);
		tto = keep(harness_tiktok_order(&c->s, id));
		ck_assert_ptr_nonnull(tto);
		st = str(tto, "status");
		if (strcmp(st, "IN_TRANSIT") == 0)
			want_it = 1;
		else if (strcmp(st, "DELIVERED") == 0 || strcmp(st, "COMPLETED") == 0)
			want_dl = 1;
		json_array_foreach(json_object_get(o, "fulfillments"), j, f) {
			int it = 0, dl = 0;

			json_array_foreach(json_object_get(f, "events"), k, ev) {
				it += strcmp(str(ev, "status"), "IN_TRANSIT") == 0;
				dl += strcmp(str(ev, "status"), "DELIVERED") == 0;
			}
			ck_assert_msg(it == want_it && dl == want_dl,
				      "order %s (TikTok %s): fulfillment %s has %d IN_TRANSIT "
				      "and %d DELIVERED events (want %d and %d)", id, st,
				      str(f, "id"), it, dl, want_it, want_dl);
		}
	}
}

static void verify_create(struct cstore *c)
{
	json_t *all = keep(harness_shopify_orders(&c->s)), *o;
	size_t i;
	int ours = 0;

	verify_orders(c, orders_create);
	verify_pulls(c, orders_create);
	/* nothing else was created (the fixture's other-connector orders
	 * aside) */
	json_array_foreach(all, i, o)
		ours += strcmp(str(o, "sourceName"), "other-connector") != 0;
	ck_assert_msg(ours == 6, "%d Shopify orders created for 6 TikTok orders", ours);
}

/* TikTok shipping: 11 (one package), 12 (in transit), 13 (delivered),
 * 14 (completed), 15 (two packages): 6 pulls, then 3 events (12 IN_TRANSIT,
 * 13 DELIVERED, 14 DELIVERED), all in the first run. */
static const char *const orders_pull[] = { "11", "12", "13", "14", "15", NULL };

static void verify_pull(struct cstore *c)
{
	verify_orders(c, orders_pull);
	verify_pulls(c, orders_pull);
	verify_events(c, orders_pull);
}

/* Seller shipping: 01 (one unit), 02 (2 of 3 units), 42 (two Shopify
 * fulfillments -> two packages): 4 pushes in the second run. */
static const char *const orders_push[] = { "01", "02", "42", NULL };

struct push_want {
	const char *order, *tracking, *provider;
	const char *units[4];
};

static const struct push_want pushes[] = {
	{ TT("01"), "9400111899223197428497", "7117858858072016686", { UNIT("01", "01") } },
	{ TT("02"), "9405511899561234567819", "7117858858072016686",
	  { UNIT("02", "01"), UNIT("02", "02") } },
	{ TT("42"), "9400111899223142420002", "7117858858072016686",
	  { UNIT("42", "01"), UNIT("42", "02") } },
	{ TT("42"), "1Z4V8E690342424242", "7117859084333745966", { UNIT("42", "03") } },
};

static void fulfill_pushes(struct cstore *c)
{
	sh_event(c, json_pack("{s:s,s:s,s:s,s:s}", "type", "fulfill", "order", TT("01"),
			      "company", "USPS", "number", "9400111899223197428497"));
	sh_event(c, json_pack("{s:s,s:s,s:[{s:s,s:i}],s:s,s:s}", "type", "fulfill",
			      "order", TT("02"), "lines", "sku", "MUG-SAND-12", "quantity", 2,
			      "company", "USPS", "number", "9405511899561234567819"));
	sh_event(c, json_pack("{s:s,s:s,s:[{s:s,s:i},{s:s,s:i}],s:s,s:s}", "type", "fulfill",
			      "order", TT("42"), "lines", "sku", "TEE-BLK-M", "quantity", 1,
			      "sku", "HOOD-GRY-M", "quantity", 1,
			      "company", "USPS", "number", "9400111899223142420002"));
	sh_event(c, json_pack("{s:s,s:s,s:[{s:s,s:i}],s:s,s:s}", "type", "fulfill",
			      "order", TT("42"), "lines", "sku", "CANDLE-CEDAR", "quantity", 1,
			      "company", "UPS", "number", "1Z4V8E690342424242"));
}

static void setup_push(struct cstore *c)
{
	cs_run_ok(c, "run 1 (orders created)");
	cs_between(c);
	fulfill_pushes(c);
}

/* Each unit in at most one package; each Shopify fulfillment became
 * exactly one package with its tracking and exactly its units; TikTok
 * accepted exactly one ship call per package. */
static void verify_push(struct cstore *c)
{
	size_t i, k, j, u;
	char path[128], sql[512];

	verify_orders(c, orders_push);
	for (i = 0; orders_push[i]; i++) {
		char id[32];
		json_t *pkgs, *p, *q;
		size_t want = 0;

		snprintf(id, sizeof(id), TT("%s"), orders_push[i]);
		pkgs = tt_packages(c, id);
		/* no unit in two packages */
		json_array_foreach(pkgs, k, p)
			json_array_foreach(pkgs, j, q) {
				json_t *a, *b;
				size_t x, y;

				if (j <= k)
					continue;
				json_array_foreach(json_object_get(p, "order_line_item_ids"), x, a)
					json_array_foreach(json_object_get(q, "order_line_item_ids"), y, b)
						ck_assert_msg(!json_equal(a, b),
							      "order %s: unit %s is in packages %s "
							      "and %s", id, json_string_value(a),
							      str(p, "id"), str(q, "id"));
			}
		for (k = 0; k < sizeof(pushes) / sizeof(pushes[0]); k++) {
			const struct push_want *w = &pushes[k];
			int hits = 0;
			const char *pkg_id = NULL;

			if (strcmp(w->order, id) != 0)
				continue;
			want++;
			json_array_foreach(pkgs, j, p) {
				json_t *ids = json_object_get(p, "order_line_item_ids");
				size_t nu = 0;

				if (strcmp(str(p, "tracking_number"), w->tracking) != 0)
					continue;
				hits++;
				pkg_id = str(p, "id");
				ck_assert_str_eq(str(p, "shipping_provider_id"), w->provider);
				while (nu < 4 && w->units[nu])
					nu++;
				ck_assert_msg(json_array_size(ids) == nu,
					      "order %s: package %s holds %zu units, want %zu",
					      id, pkg_id, json_array_size(ids), nu);
				for (u = 0; u < nu; u++)
					ck_assert_str_eq(json_string_value(json_array_get(ids, u)),
							 w->units[u]);
			}
			ck_assert_msg(hits == 1, "order %s: %d TikTok packages with tracking "
				      "%s (want exactly one)", id, hits, w->tracking);
			snprintf(sql, sizeof(sql),
				 "SELECT count(*) FROM fulfillments WHERE dir = 1 AND "
				 "tt_order_id = '%s' AND tt_package_id = '%s' AND "
				 "tracking_number = '%s' AND status = 'synced'",
				 id, pkg_id, w->tracking);
			ck_assert_msg(state_int(c, sql) == 1, "order %s: package %s is not "
				      "recorded as synced", id, pkg_id);
		}
		ck_assert_msg(json_array_size(pkgs) == want,
			      "order %s: %zu TikTok packages, want %zu", id,
			      json_array_size(pkgs), want);
		snprintf(path, sizeof(path), "/fulfillment/202309/orders/%s/packages", id);
		ck_assert_msg(accepted_calls(&c->s.tt, path, NULL, NULL) == (int)want,
			      "order %s: TikTok accepted %d ship calls for %zu packages",
			      id, accepted_calls(&c->s.tt, path, NULL, NULL), want);
	}
	/* order 02's third mug was not shipped */
	{
		json_t *o = keep(harness_tiktok_order(&c->s, TT("02"))), *l;

		ck_assert_ptr_nonnull(o);
		json_array_foreach(json_object_get(o, "line_items"), i, l)
			if (strcmp(str(l, "id"), UNIT("02", "03")) == 0)
				ck_assert_msg(!*str(l, "package_id"),
					      "unit 002003 was shipped in package %s",
					      str(l, "package_id"));
	}
}

/* Tracking updates: 35 (linked to #991, pushed in run 1), 01 and 42
 * (pushed in run 2); then the merchant edits three numbers in Shopify:
 * 3 update-shipping-info calls in run 3. */
static const char *const orders_update[] = { "35", "01", "42", NULL };

struct update_want {
	const char *order, *old_number, *new_number;
};

static const struct update_want updates[] = {
	{ TT("35"), "9400111899223188880006", "9400111899223188880013" },
	{ TT("01"), "9400111899223197428497", "9400111899223197428503" },
	{ TT("42"), "9400111899223142420002", "9400111899223142420019" },
};

static void setup_update(struct cstore *c)
{
	size_t i, j, k;

	cs_run_ok(c, "run 1 (orders created, 35 pushed)");
	cs_between(c);
	sh_event(c, json_pack("{s:s,s:s,s:s,s:s}", "type", "fulfill", "order", TT("01"),
			      "company", "USPS", "number", "9400111899223197428497"));
	sh_event(c, json_pack("{s:s,s:s,s:[{s:s,s:i},{s:s,s:i}],s:s,s:s}", "type", "fulfill",
			      "order", TT("42"), "lines", "sku", "TEE-BLK-M", "quantity", 1,
			      "sku", "HOOD-GRY-M", "quantity", 1,
			      "company", "USPS", "number", "9400111899223142420002"));
	sh_event(c, json_pack("{s:s,s:s,s:[{s:s,s:i}],s:s,s:s}", "type", "fulfill",
			      "order", TT("42"), "lines", "sku", "CANDLE-CEDAR", "quantity", 1,
			      "company", "UPS", "number", "1Z4V8E690342424242"));
	cs_run_ok(c, "run 2 (01 and 42 pushed)");
	cs_between(c);
	for (i = 0; i < sizeof(updates) / sizeof(updates[0]); i++) {
		json_t *o = sh_order(c, updates[i].order), *f, *ti;
		const char *fid = NULL;

		json_array_foreach(json_object_get(o, "fulfillments"), j, f)
			json_array_foreach(json_object_get(f, "trackingInfo"), k, ti)
				if (strcmp(str(ti, "number"), updates[i].old_number) == 0)
					fid = str(f, "id");
		ck_assert_msg(fid != NULL, "order %s: no fulfillment with %s",
			      updates[i].order, updates[i].old_number);
		sh_event(c, json_pack("{s:s,s:s,s:s}", "type", "edit_tracking",
				      "fulfillment_id", fid, "number", updates[i].new_number));
	}
}

static void verify_update(struct cstore *c)
{
	size_t i, k;
	char sql[512];

	for (i = 0; i < sizeof(updates) / sizeof(updates[0]); i++) {
		const struct update_want *w = &updates[i];
		json_t *pkgs = tt_packages(c, w->order), *p;
		const char *pkg_id = NULL;
		char path[128];
		int n_new = 0, n_old = 0;

		json_array_foreach(pkgs, k, p) {
			if (strcmp(str(p, "tracking_number"), w->new_number) == 0) {
				n_new++;
				pkg_id = str(p, "id");
			}
			n_old += strcmp(str(p, "tracking_number"), w->old_number) == 0;
		}
		ck_assert_msg(n_new == 1 && n_old == 0,
			      "order %s: %d TikTok packages carry the new number %s, %d "
			      "the old one", w->order, n_new, w->new_number, n_old);
		snprintf(path, sizeof(path), "/fulfillment/202309/packages/%s/", pkg_id);
		ck_assert_msg(accepted_calls(&c->s.tt, path, NULL, NULL) == 1,
			      "order %s: TikTok accepted %d tracking updates of package %s "
			      "(it allows one)", w->order,
			      accepted_calls(&c->s.tt, path, NULL, NULL), pkg_id);
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM fulfillments WHERE dir = 1 AND "
			 "tt_package_id = '%s' AND tracking_number = '%s' AND "
			 "tracking_updates = 1 AND status = 'synced'", pkg_id, w->new_number);
		ck_assert_msg(state_int(c, sql) == 1,
			      "order %s: the state does not record the update of package "
			      "%s to %s:\n%s", w->order, pkg_id, w->new_number,
			      state_text(c, "SELECT key, status, reason_code, tracking_number, "
					 "tt_package_id, tracking_updates FROM fulfillments"));
	}
}

/* Cancellations: 26, 07, 39 created in run 1, cancelled by the buyer on
 * TikTok, nothing fulfilled: 3 orderCancel calls in run 2. */
static const char *const orders_cancel[] = { "26", "07", "39", NULL };

static void setup_cancel(struct cstore *c)
{
	size_t i;
	char id[32];

	cs_run_ok(c, "run 1 (orders created)");
	cs_between(c);
	for (i = 0; orders_cancel[i]; i++) {
		snprintf(id, sizeof(id), TT("%s"), orders_cancel[i]);
		tt_event(c, json_pack("{s:s,s:s}", "type", "buyer_cancels", "order_id", id));
	}
}

static void verify_cancel(struct cstore *c)
{
	size_t i;
	char id[32], sql[256];

	for (i = 0; orders_cancel[i]; i++) {
		json_t *o;

		snprintf(id, sizeof(id), TT("%s"), orders_cancel[i]);
		o = sh_order(c, id);
		ck_assert_msg(json_is_string(json_object_get(o, "cancelledAt")),
			      "order %s: Shopify order %s is not cancelled", id, str(o, "id"));
		ck_assert_msg(accepted_calls(&c->s.sh, NULL, "OrderCancel", str(o, "id")) == 1,
			      "order %s: Shopify accepted %d orderCancel calls for %s (want one)",
			      id, accepted_calls(&c->s.sh, NULL, "OrderCancel", str(o, "id")),
			      str(o, "id"));
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM orders WHERE tt_id = '%s' AND cancel_state = 1", id);
		ck_assert_msg(state_int(c, sql) == 1,
			      "order %s: the state does not record the cancellation", id);
	}
}

#define SHOPIFY_OP(op) "{\"operation\": \"" op "\"}"
#define TIKTOK_POST(path) "{\"method\": \"POST\", \"path\": \"" path "\"}"

static const struct scenario scenarios[] = {
	{ "order_create", orders_create, NULL, 6, setup_nothing, verify_create,
	  "shopify", SHOPIFY_OP("OrderCreate") },
	{ "fulfillment_create", orders_pull, NULL, 6, setup_nothing, verify_pull,
	  "shopify", SHOPIFY_OP("FulfillmentCreate") },
	{ "fulfillment_event", orders_pull, NULL, 3, setup_nothing, verify_pull,
	  "shopify", SHOPIFY_OP("FulfillmentEventCreate") },
	{ "ship_package", orders_push, NULL, 4, setup_push, verify_push,
	  "tiktok", TIKTOK_POST("/fulfillment/202309/orders/*") },
	{ "update_shipping", orders_update, NULL, 3, setup_update, verify_update,
	  "tiktok", TIKTOK_POST("/fulfillment/202309/packages/*") },
	{ "order_cancel", orders_cancel, NULL, 3, setup_cancel, verify_cancel,
	  "shopify", SHOPIFY_OP("OrderCancel") },
};
#define NSCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

/* The steps: a crash point, or "drop" (drop_after and no kill). */
static const char *const points[] = { "intent", "unknown", "response", "outcome", "drop" };
#define NPOINTS (sizeof(points) / sizeof(points[0]))
#define NWHICH 3		/* first, middle, last call of the run */

static int which_n(const struct scenario *sc, int which)
{
	switch (which) {
	case 0:
		return 1;
	case 1:
		return (sc->calls + 1) / 2;
	default:
		return sc->calls;
	}
}

/* Every state invariant after convergence. */
static void verify_state(struct cstore *c, const char *name)
{
	long long open = state_int(c, "SELECT count(*) FROM intents WHERE state IN (0, 3)");

	ck_assert_msg(open == 0, "%s: %lld intents left open:\n%s", name, open,
		      state_text(c, "SELECT id, kind, object_key, state, result FROM intents "
				 "WHERE state IN (0, 3)"));
	ck_assert_msg(state_int(c, "SELECT count(*) FROM orders WHERE status != 'synced'") == 0,
		      "%s: orders not synced:\n%s", name,
		      state_text(c, "SELECT tt_id, status, reason_code, reason FROM orders "
				 "WHERE status != 'synced'"));
	ck_assert_msg(state_int(c, "SELECT count(*) FROM fulfillments WHERE status != 'synced' "
				"OR reason_code IS NOT NULL") == 0,
		      "%s: fulfillment records not synced:\n%s", name,
		      state_text(c, "SELECT key, status, reason_code, reason FROM fulfillments "
				 "WHERE status != 'synced' OR reason_code IS NOT NULL"));
}

static void run_case(int idx)
{
	int sc_i = idx / (int)(NPOINTS * NWHICH);
	int pt_i = (idx / NWHICH) % (int)NPOINTS;
	int which = idx % NWHICH;
	const struct scenario *sc = &scenarios[sc_i];
	const char *point = points[pt_i];
	int n = which_n(sc, which);
	struct cstore c;
	struct run r;
	char name[128], tag[128], crash_at[128], fault[512];
	const char *crash = NULL;

	if (which > 0 && n == which_n(sc, which - 1))
		return;		/* a store with fewer calls: same case as before */
	snprintf(name, sizeof(name), "%s:%s:%d", sc->kind, point, n);
	snprintf(tag, sizeof(tag), "crash-%s-%s-%d", sc->kind, point, n);
	cs_start(&c, tag, sc->orders, sc->extra_yaml);
	sc->setup(&c);
	if (strcmp(point, "unknown") == 0 || strcmp(point, "drop") == 0) {
		/* The first n calls are committed by the platform, their
		 * connections dropped before the answer. */
		snprintf(fault, sizeof(fault), "{\"match\": %s, \"count\": %d, "
			 "\"kind\": \"drop_after\"}", sc->fault_match, n);
		ck_assert_ptr_nonnull(keep(harness_emu_post(strcmp(sc->emu, "tiktok") == 0
							    ? &c.s.tt : &c.s.sh,
							    "/_emu/faults", fault)));
	}
	if (strcmp(point, "drop") != 0) {
		snprintf(crash_at, sizeof(crash_at), "%s:%s:%d", sc->kind, point, n);
		crash = crash_at;
	}
	r = cs_run(&c, "ttsync-crashtest", crash);
	if (crash != NULL)
		ck_assert_msg(r.status == KILLED && strstr(r.err, "SIGKILL at"),
			      "%s: the crash point was not reached (exit %d):\n%s",
			      name, r.status, r.err);
	else
		ck_assert_msg(r.status == 0, "%s: the run with dropped answers exited %d:\n%s",
			      name, r.status, r.err);
	json_decref(harness_emu_delete(&c.s.tt, "/_emu/faults"));
	json_decref(harness_emu_delete(&c.s.sh, "/_emu/faults"));

	/* Resume: the rerun converges ... */
	r = cs_run(&c, "ttsync", NULL);
	ck_assert_msg(r.status == 0, "%s: the rerun exited %d:\n%s", name, r.status, r.err);
	verify_state(&c, name);
	sc->verify(&c);
	/* ... and one more unchanged run makes no write call. */
	r = cs_run(&c, "ttsync", NULL);
	ck_assert_msg(r.status == 0, "%s: the unchanged run exited %d:\n%s", name,
		      r.status, r.err);
	ck_assert_msg(r.sh_writes == 0 && r.tt_writes == 0,
		      "%s: the unchanged run after the rerun made %d Shopify and %d "
		      "TikTok write calls", name, r.sh_writes, r.tt_writes);
	verify_state(&c, name);
	sc->verify(&c);
	release();
}

START_TEST(test_crash)
{
	run_case(_i);
}
END_TEST

/* The baseline each scenario's verification is written for: without
 * any fault, the same runs reach the same end state. */
START_TEST(test_baseline)
{
	const struct scenario *sc = &scenarios[_i];
	struct cstore c;
	struct run r;
	char tag[128];

	snprintf(tag, sizeof(tag), "crash-baseline-%s", sc->kind);
	cs_start(&c, tag, sc->orders, sc->extra_yaml);
	sc->setup(&c);
	r = cs_run(&c, "ttsync", NULL);
	ck_assert_msg(r.status == 0, "%s baseline exited %d:\n%s", sc->kind, r.status, r.err);
	verify_state(&c, sc->kind);
	sc->verify(&c);
	r = cs_run(&c, "ttsync", NULL);
	ck_assert_msg(r.sh_writes == 0 && r.tt_writes == 0,
		      "%s baseline: the unchanged run made %d Shopify and %d TikTok "
		      "write calls", sc->kind, r.sh_writes, r.tt_writes);
	release();
}
END_TEST

static Suite *crash_suite(void)
{
	Suite *s = suite_create("e2e_crash");
	TCase *tc = tcase_create("baseline");

	tcase_set_timeout(tc, CASE_TIMEOUT);
	tcase_add_loop_test(tc, test_baseline, 0, (int)NSCENARIOS);
	suite_add_tcase(s, tc);
	tc = tcase_create("kill_at_every_step");
	tcase_set_timeout(tc, CASE_TIMEOUT);
	tcase_add_loop_test(tc, test_crash, 0, (int)(NSCENARIOS * NPOINTS * NWHICH));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(crash_suite());
	int failed;

	harness_reaper_init();
	srunner_run_all(sr, CK_NORMAL);
	harness_reaper_kill();
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

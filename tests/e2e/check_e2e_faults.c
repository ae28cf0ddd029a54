/*
 * check_e2e_faults.c - what a real network and real platforms do to a
 * run (issue 3 acceptance: "429 streaks, 5xx, hangs, dropped connections
 * after commit, truncated and invalid JSON, expired token - each ends
 * with consistent state and a clear report line"), with the emulators'
 * scripted faults (tests/emulator/README.md) and limits:
 *   - TikTok 429 streaks with and without Retry-After, and TikTok's QPS
 *     limit respected; Shopify THROTTLED answered with HTTP 200 and 429,
 *     and the smallest cost bucket Shopify has;
 *   - on reads and on writes of both platforms: 5xx, hangs (the request
 *     times out), connections dropped before and after the platform
 *     committed, truncated bodies, bodies that are not JSON. Reads are
 *     retried; a write whose answer was lost is looked up before anything
 *     is resent and is never duplicated: found, it is linked; not found
 *     by Shopify's order search (which may lag behind a creation moments
 *     ago), it waits for the next run, which looks again before creating;
 *   - an expired TikTok access token: refreshed once, the new pair kept
 *     in the state and used by the next run; a refused refresh aborts the
 *     run (exit 3) with a clear message;
 *   - a platform that cannot be reached: exit 3 after the retries, the
 *     reports written, the state unchanged;
 *   - an order TikTok sends malformed fails alone;
 *   - the run deadline: fetching stops, the reports are written and say
 *     so, the cursor stays, and the next run reads the rest.
 * Each case asserts what the platforms received and hold (request logs,
 * emulator state), the state file (sqlite), the report rows and the exit
 * status, and ends with one more unchanged run that writes nothing.
 *
 * Owns the emulators of the running case (stopped at exit, also when an
 * assertion fails, through the harness's reaper) and the JSON it reads.
 */
#include <check.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define TT(nn) "5769120043718200" nn

#define CASE_TIMEOUT 300	/* seconds per case; the suite also runs under ASan */
#define RUN_TIMEOUT 150		/* one ttsync run (the deadline case takes 61 s) */
#define STEP_SECONDS 60		/* both clocks move this much before each run */

/* The store of most cases: three seller-shipping orders and one TikTok
 * shipping order (created, then its package pulled, in the first run). */
static const char *const orders_basic[] = { "01", "02", "07", "11", NULL };

/* ---- the running case ---------------------------------------------------- */

struct fstore {
	struct store s;
	long long now;		/* TTSYNC_NOW of the last run */
	char *fixdir;
	int started;
	const char *const *orders;
};

static struct fstore *live;
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

/* The request logs go to the platforms' references (tests/run-tests.sh),
 * which hold the requests ttsync sent and also the emulator's answers. A
 * body the emulator broke on purpose (fault truncate / invalid_json) is
 * not the platform's answer: it is blanked (null, as for a dropped
 * connection) once the emulator has stopped; the request stays. */
static void blank_broken_answers(const char *log_path)
{
	char *text = harness_read_file(log_path), *line, *save = NULL, tmp[700];
	FILE *out;
	int changed = 0;

	if (text == NULL || !strstr(text, "\"fault\""))
		goto done;
	snprintf(tmp, sizeof(tmp), "%s.tmp", log_path);
	out = fopen(tmp, "w");
	if (out == NULL)
		goto done;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_t *e = json_loads(line, 0, NULL);
		const char *k = json_string_value(json_object_get(e, "fault"));
		char *dump;

		if (e != NULL && k != NULL &&
		    (strcmp(k, "truncate") == 0 || strcmp(k, "invalid_json") == 0)) {
			json_object_set_new(e, "response", json_null());
			changed = 1;
		}
		dump = e ? json_dumps(e, JSON_COMPACT) : NULL;
		fprintf(out, "%s\n", dump ? dump : line);
		free(dump);
		json_decref(e);
	}
	if (fclose(out) != 0 || !changed || rename(tmp, log_path) != 0)
		remove(tmp);
done:
	free(text);
}

static void release(void)
{
	if (live != NULL && live->started) {
		harness_store_stop(&live->s);
		live->started = 0;
		blank_broken_answers(live->s.tt.log_path);
		blank_broken_answers(live->s.sh.log_path);
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

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A TikTok fixture with the demo orders listed; `tweak` may change the
 * rest of the file (tokens ...). Returns its path (kept). */
static const char *write_fixture(struct fstore *f, const char *const *nns,
				 void (*tweak)(json_t *root))
{
	char src[700], idbuf[32][24], *path;
	const char *ids[32];
	size_t n;
	json_t *root;

	f->fixdir = harness_mkdtemp("faultfix");
	ck_assert_ptr_nonnull(f->fixdir);
	for (n = 0; nns[n] && n < 31; n++) {
		snprintf(idbuf[n], sizeof(idbuf[n]), TT("%s"), nns[n]);
		ids[n] = idbuf[n];
	}
	ids[n] = NULL;
	snprintf(src, sizeof(src), "%s/fixtures/demo/tiktok.json", harness_top());
	path = harness_fixture_subset(src, f->fixdir, "tiktok.json", ids);
	ck_assert_msg(path != NULL, "could not write the fixture subset");
	if (tweak != NULL) {
		root = json_load_file(path, 0, NULL);
		ck_assert_ptr_nonnull(root);
		tweak(root);
		ck_assert_int_eq(json_dump_file(root, path, JSON_INDENT(1)), 0);
		json_decref(root);
	}
	return keep_str(path);
}

/* Start a store with the demo orders listed; opts may set network and
 * settings (order_auto_sync is always on here). */
static void fs_start(struct fstore *f, const char *tag, const char *const *nns,
		     struct store_opts *opts, void (*tweak)(json_t *root))
{
	static int registered;
	struct store_opts o;

	memset(f, 0, sizeof(*f));
	if (!registered) {
		atexit(release);
		registered = 1;
	}
	live = f;
	if (opts != NULL)
		o = *opts;
	else
		memset(&o, 0, sizeof(o));
	o.tt_data = write_fixture(f, nns, tweak);
	o.order_auto_sync = 1;
	f->orders = nns;
	ck_assert_msg(harness_store_start(tag, &o, &f->s) == 0,
		      "the emulators did not start (%s)", tag);
	f->started = 1;
	harness_reaper_add(&f->s);
}

static void fs_config(struct fstore *f, struct store_opts *opts)
{
	struct store_opts o = *opts;

	o.order_auto_sync = 1;
	ck_assert_int_eq(harness_store_config(&f->s, &o), 0);
}

static void emu_post(const struct emu_proc *p, const char *path, const char *body)
{
	json_t *ans = harness_emu_post(p, path, body);

	ck_assert_msg(ans != NULL && !json_object_get(ans, "error"),
		      "%s %s %s refused: %s", p->kind, path, body,
		      ans ? str(ans, "error") : "no answer");
	json_decref(ans);
}

static void fault(const struct emu_proc *p, const char *json)
{
	emu_post(p, "/_emu/faults", json);
}

struct run {
	int status;
	int sh_writes, tt_writes;
	double seconds;
	const char *err;	/* stderr (kept) */
	json_t *sh_log, *tt_log;	/* what this run sent (kept) */
};

/* `ttsync run` after moving both clocks forward by `step` seconds. */
static struct run fs_run_step(struct fstore *f, long long step)
{
	const char *args[] = { "run", "--config", f->s.config, NULL };
	const char *env[2];
	char pin[64];
	long msh = harness_log_mark(&f->s.sh), mtt = harness_log_mark(&f->s.tt);
	struct run_result r;
	struct run out;
	double t0;

	ck_assert(msh >= 0 && mtt >= 0);
	f->now = harness_store_advance(&f->s, step);
	ck_assert_msg(f->now > 0, "emulator clock unreadable");
	snprintf(pin, sizeof(pin), "TTSYNC_NOW=%lld", f->now);
	env[0] = pin;
	env[1] = NULL;
	t0 = now_s();
	harness_ttsync("ttsync", args, env, RUN_TIMEOUT, &r);
	memset(&out, 0, sizeof(out));
	out.seconds = now_s() - t0;
	out.status = r.status;
	out.err = keep_str(r.err);
	free(r.out);
	if (f->s.sh.pid > 0) {
		out.sh_log = keep(harness_log_since(&f->s.sh, msh));
		ck_assert_ptr_nonnull(out.sh_log);
		out.sh_writes = harness_log_writes(out.sh_log, "shopify", NULL);
	}
	if (f->s.tt.pid > 0) {
		out.tt_log = keep(harness_log_since(&f->s.tt, mtt));
		ck_assert_ptr_nonnull(out.tt_log);
		out.tt_writes = harness_log_writes(out.tt_log, "tiktok", NULL);
	}
	return out;
}

static struct run fs_run(struct fstore *f)
{
	return fs_run_step(f, STEP_SECONDS);
}

static long long state_int(struct fstore *f, const char *sql)
{
	long long v = harness_state_int(f->s.state, sql);

	ck_assert_msg(v >= 0, "state query failed: %s", sql);
	return v;
}

static const char *state_text(struct fstore *f, const char *sql)
{
	const char *t = keep_str(harness_state_text(f->s.state, sql));

	ck_assert_msg(t != NULL, "state query failed: %s", sql);
	return t;
}

/* Log entries of a run matching path prefix / body substring (either may
 * be NULL) and, when given, the fault kind ("" = no fault). */
static int count_entries(const json_t *log, const char *path, const char *body,
			 const char *fault_kind)
{
	const json_t *e;
	size_t i;
	int n = 0;

	json_array_foreach(log, i, e) {
		if (path && strncmp(str(e, "path"), path, strlen(path)) != 0)
			continue;
		if (body && !strstr(str(e, "body"), body))
			continue;
		if (fault_kind && strcmp(str(e, "fault"), fault_kind) != 0)
			continue;
		n++;
	}
	return n;
}

/* Shopify lookups (by source identifier) naming a TikTok order. */
static int lookups_of(const json_t *log, const char *tt_id)
{
	const json_t *e;
	size_t i;
	int n = 0;

	json_array_foreach(log, i, e)
		n += strstr(str(e, "body"), "OrdersBySourceIdentifier") != NULL &&
		     strstr(str(e, "body"), tt_id) != NULL;
	return n;
}

/* orderCreate calls for a TikTok order that met no fault. */
static int creates_of(const json_t *log, const char *tt_id)
{
	const json_t *e;
	size_t i;
	int n = 0;

	json_array_foreach(log, i, e)
		n += strstr(str(e, "body"), "OrderCreate") != NULL &&
		     strstr(str(e, "body"), tt_id) != NULL && !*str(e, "fault");
	return n;
}

/* The TikTok order of the store whose id the first faulted request of a
 * log names (the sourceIdentifier of an orderCreate), or NULL. */
static const char *hit_order(const struct fstore *f, const json_t *log)
{
	static char id[32];
	const json_t *e;
	size_t i, k;

	json_array_foreach(log, i, e) {
		if (!*str(e, "fault"))
			continue;
		for (k = 0; f->orders[k]; k++) {
			snprintf(id, sizeof(id), TT("%s"), f->orders[k]);
			if (strstr(str(e, "body"), id))
				return id;
		}
		return NULL;
	}
	return NULL;
}

/* The newest run's rows of a CSV for one order / object (kept). */
static json_t *rows(struct fstore *f, const char *csv, const char *tt_id,
		    const char *object)
{
	json_t *r = keep(harness_report_rows(&f->s, csv, tt_id, object));

	ck_assert_msg(r != NULL, "no %s in %s", csv, f->s.reports);
	return r;
}

/* The one row of items.csv for an order's order item. */
static json_t *order_row(struct fstore *f, const char *tt_id)
{
	json_t *r = rows(f, "items.csv", tt_id, "order");

	ck_assert_msg(json_array_size(r) == 1, "order %s: %zu order rows in items.csv",
		      tt_id, json_array_size(r));
	return json_array_get(r, 0);
}

/* ---- the end state every case must reach --------------------------------- */

/* Every order of the store: exactly one Shopify order, linked and synced
 * in the state; no open intent; every fulfillment record synced. */
static void assert_consistent(struct fstore *f, const char *what)
{
	json_t *all = keep(harness_shopify_orders(&f->s)), *o;
	size_t i, k;
	char id[32], sql[256], want[256];

	ck_assert_ptr_nonnull(all);
	for (i = 0; f->orders[i]; i++) {
		const char *row, *gid = NULL;
		int n = 0;

		snprintf(id, sizeof(id), TT("%s"), f->orders[i]);
		json_array_foreach(all, k, o)
			if (strcmp(str(o, "sourceIdentifier"), id) == 0) {
				n++;
				gid = str(o, "id");
			}
		ck_assert_msg(n == 1, "%s: TikTok order %s has %d Shopify orders (want one)",
			      what, id, n);
		snprintf(sql, sizeof(sql),
			 "SELECT status, sh_gid FROM orders WHERE tt_id = '%s'", id);
		row = state_text(f, sql);
		snprintf(want, sizeof(want), "synced|%s\n", gid);
		ck_assert_msg(strcmp(row, want) == 0, "%s: order %s in the state: '%s', "
			      "want '%s'", what, id, row, want);
	}
	ck_assert_msg(state_int(f, "SELECT count(*) FROM intents WHERE state IN (0, 3)") == 0,
		      "%s: intents left open:\n%s", what,
		      state_text(f, "SELECT id, kind, object_key, state, result FROM intents "
				 "WHERE state IN (0, 3)"));
	ck_assert_msg(state_int(f, "SELECT count(*) FROM fulfillments WHERE status != 'synced' "
				"OR reason_code IS NOT NULL") == 0,
		      "%s: fulfillment records not synced:\n%s", what,
		      state_text(f, "SELECT key, status, reason_code, reason FROM fulfillments "
				 "WHERE status != 'synced' OR reason_code IS NOT NULL"));
}

/* One more run with nothing new: no write call on either platform (exit
 * want_status; -1: 0 or 1). */
static void assert_quiet_rerun(struct fstore *f, const char *what, int want_status)
{
	struct run r = fs_run(f);

	ck_assert_msg(want_status < 0 ? (r.status == 0 || r.status == 1)
				      : r.status == want_status,
		      "%s: the unchanged run exited %d:\n%s", what, r.status, r.err);
	ck_assert_msg(r.sh_writes == 0 && r.tt_writes == 0,
		      "%s: the unchanged run made %d Shopify and %d TikTok write calls",
		      what, r.sh_writes, r.tt_writes);
}

/* The first run of the basic store ended as it would without faults. */
static void assert_basic_done(struct fstore *f, const struct run *r, const char *what)
{
	size_t i;
	char id[32];

	ck_assert_msg(r->status == 0, "%s: exit %d:\n%s", what, r->status, r->err);
	assert_consistent(f, what);
	for (i = 0; f->orders[i]; i++) {
		json_t *row;

		snprintf(id, sizeof(id), TT("%s"), f->orders[i]);
		row = order_row(f, id);
		ck_assert_msg(strcmp(str(row, "status"), "synced") == 0,
			      "%s: order %s reported %s", what, id, str(row, "status"));
	}
	/* order 11's TikTok package reached Shopify */
	ck_assert_msg(state_int(f, "SELECT count(*) FROM fulfillments WHERE key = "
				"'pull:1153132168121100001' AND status = 'synced'") == 1,
		      "%s: the package of order 11 was not pulled", what);
}

/* ---- rate limits --------------------------------------------------------- */

/* A streak of 429 on TikTok's order search (3 answers, one attempt left
 * of the 4 allowed), without and with Retry-After: the run waits and
 * succeeds; with Retry-After: 1 it waits at least a second each time. */
START_TEST(test_tiktok_429_streak)
{
	struct fstore f;
	struct run r;
	const char *ra = _i ? ", \"retry_after\": \"1\"" : "";
	char fj[256];

	fs_start(&f, _i ? "faults-tt429-retry-after" : "faults-tt429", orders_basic,
		 NULL, NULL);
	snprintf(fj, sizeof(fj), "{\"match\": {\"path\": \"/order/202309/orders/search\"}, "
		 "\"count\": 3, \"kind\": \"status\", \"status\": 429%s}", ra);
	fault(&f.s.tt, fj);
	r = fs_run(&f);
	ck_assert_int_eq(count_entries(r.tt_log, "/order/202309/orders/search", NULL, "status"), 3);
	ck_assert_int_eq(count_entries(r.tt_log, "/order/202309/orders/search", NULL, ""), 1);
	if (_i)
		ck_assert_msg(r.seconds >= 3.0, "Retry-After: 1 three times, but the run "
			      "took %.2f s", r.seconds);
	assert_basic_done(&f, &r, "TikTok 429 streak");
	assert_quiet_rerun(&f, "TikTok 429 streak", 0);
	release();
}
END_TEST

/* A shop TikTok holds to 5 requests a second, and ttsync configured for
 * 4 (network.tiktok_qps): a run of one-order pages draws no rate-limit
 * answer at all - from its first second on (no burst beyond the rate). */
START_TEST(test_tiktok_qps_respected)
{
	static const char *const nns[] = { "01", "02", "03", "06", "07", "08", "39", "40",
					   "11", NULL };
	struct fstore f;
	struct store_opts o;
	struct run r;

	memset(&o, 0, sizeof(o));
	o.extra_settings = "  tiktok_page_size: 1\n";
	fs_start(&f, "faults-tt-qps", nns, &o, NULL);
	/* network: is written by the harness; append tiktok_qps there */
	{
		char *cfg = harness_read_file(f.s.config), *p;
		char *out;

		ck_assert_ptr_nonnull(cfg);
		p = strstr(cfg, "network:\n");
		ck_assert_ptr_nonnull(p);
		p += strlen("network:\n");
		out = malloc(strlen(cfg) + 64);
		ck_assert_ptr_nonnull(out);
		memcpy(out, cfg, (size_t)(p - cfg));
		strcpy(out + (p - cfg), "  tiktok_qps: 4\n");
		strcat(out, p);
		ck_assert_int_eq(harness_write_file(f.s.config, out), 0);
		free(out);
		free(cfg);
	}
	emu_post(&f.s.tt, "/_emu/config", "{\"rate_limit_qps\": 5}");
	r = fs_run(&f);
	ck_assert_msg(count_entries(r.tt_log, NULL, NULL, "") == (int)json_array_size(r.tt_log),
		      "unexpected faults");
	{
		const json_t *e;
		size_t i;
		int limited = 0, n = 0;

		json_array_foreach(r.tt_log, i, e) {
			n++;
			limited += json_integer_value(json_object_get(e, "status")) == 429 ||
				   strstr(str(e, "response"), "36009002") != NULL;
		}
		ck_assert_msg(n >= 8, "only %d TikTok requests: the case does not load "
			      "the limit", n);
		ck_assert_msg(limited == 0, "%d of %d TikTok requests were refused for "
			      "exceeding 5 QPS (ttsync set to 4)", limited, n);
	}
	assert_basic_done(&f, &r, "TikTok QPS");
	assert_quiet_rerun(&f, "TikTok QPS", 0);
	release();
}
END_TEST

#define THROTTLED_BODY \
	"{\\\"errors\\\": [{\\\"message\\\": \\\"Throttled\\\", \\\"extensions\\\": " \
	"{\\\"code\\\": \\\"THROTTLED\\\", \\\"documentation\\\": " \
	"\\\"https://shopify.dev/api/usage/rate-limits\\\"}}], \\\"extensions\\\": " \
	"{\\\"cost\\\": {\\\"requestedQueryCost\\\": 640, \\\"actualQueryCost\\\": null, " \
	"\\\"throttleStatus\\\": {\\\"maximumAvailable\\\": 2000.0, " \
	"\\\"currentlyAvailable\\\": 600, \\\"restoreRate\\\": 100.0}}}}"

/* Shopify THROTTLED, with HTTP 200 (loop 0) and 429 with Retry-After
 * (loop 1): a streak on a read (VariantsBySku) and on orderCreate (never
 * executed: resent after the wait, not looked up, not duplicated). */
START_TEST(test_shopify_throttled)
{
	static const char *const ops[] = { "VariantsBySku", "OrderCreate" };
	struct fstore f;
	struct run r;
	int status = _i ? 429 : 200;
	char fj[1024];
	size_t k;
	json_t *st;

	fs_start(&f, _i ? "faults-sh-throttled-429" : "faults-sh-throttled-200",
		 orders_basic, NULL, NULL);
	for (k = 0; k < 2; k++) {
		snprintf(fj, sizeof(fj), "{\"match\": {\"operation\": \"%s\"}, \"count\": 2, "
			 "\"kind\": \"status\", \"status\": %d, \"body\": \"%s\"%s}", ops[k],
			 status, THROTTLED_BODY, _i ? ", \"retry_after\": \"1\"" : "");
		fault(&f.s.sh, fj);
	}
	r = fs_run(&f);
	st = keep(harness_emu_get(&f.s.sh, "/_emu/state"));
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(st, "counters"),
							    "max_cost_exceeded")), 0);
	ck_assert_int_eq(count_entries(r.sh_log, NULL, "VariantsBySku", "status"), 2);
	ck_assert_int_eq(count_entries(r.sh_log, NULL, "OrderCreate", "status"), 2);
	ck_assert_msg(r.seconds >= 2.0, "THROTTLED twice in a row, yet the run took "
		      "%.2f s: the waits were not honoured", r.seconds);
	ck_assert_int_eq(harness_log_writes(r.sh_log, "shopify", "orderCreate"), 2 + 4);
	/* a refused call is not an unknown outcome: no lookup round */
	ck_assert_msg(!strstr(r.err, "answer was lost"), "%s", r.err);
	assert_basic_done(&f, &r, "Shopify THROTTLED");
	assert_quiet_rerun(&f, "Shopify THROTTLED", 0);
	release();
}
END_TEST

/* The smallest cost bucket Shopify has (1,000 points, here restoring 500
 * a second), empty at the start, shared with the whole run: ttsync paces
 * itself from throttleStatus; the run completes and no request exceeds
 * the single-query maximum. */
START_TEST(test_shopify_small_bucket)
{
	struct fstore f;
	struct run r;
	json_t *st;

	fs_start(&f, "faults-sh-small-bucket", orders_basic, NULL, NULL);
	emu_post(&f.s.sh, "/_emu/config", "{\"bucket_size\": 1000, \"restore_rate\": 500, "
		 "\"currently_available\": 0}");
	r = fs_run_step(&f, 0);
	st = keep(harness_emu_get(&f.s.sh, "/_emu/state"));
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(st, "counters"),
							    "max_cost_exceeded")), 0);
	assert_basic_done(&f, &r, "small Shopify bucket");
	assert_quiet_rerun(&f, "small Shopify bucket", 0);
	release();
}
END_TEST

/* ---- transport and body faults on reads and writes ----------------------- */

struct target {
	const char *name;
	int tiktok;		/* on the TikTok emulator (else Shopify) */
	const char *match;	/* the fault's "match" */
	int write;
	const char *log_path, *log_body;	/* to find its requests in the log */
};

static const struct target targets[] = {
	{ "tt-search", 1, "{\"path\": \"/order/202309/orders/search\"}", 0,
	  "/order/202309/orders/search", NULL },
	{ "sh-variants", 0, "{\"operation\": \"VariantsBySku\"}", 0, NULL, "VariantsBySku" },
	{ "sh-orderCreate", 0, "{\"operation\": \"OrderCreate\"}", 1, NULL, "OrderCreate" },
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

struct fkind {
	const char *kind;
	const char *extra;	/* more fault fields */
	int executed;		/* the platform acted on the request */
};

static const struct fkind fkinds[] = {
	{ "status", ", \"status\": 503", 0 },
	{ "status", ", \"status\": 500", 0 },
	{ "hang", "", 0 },
	{ "drop_before", "", 0 },
	{ "drop_after", "", 1 },
	{ "truncate", "", 1 },
	{ "invalid_json", "", 1 },
};
#define NFKINDS (sizeof(fkinds) / sizeof(fkinds[0]))

/* One fault on the first matching request of one endpoint. A read is
 * retried; a write whose answer was lost is looked up before anything is
 * resent: when it had landed it is linked (reported as such), else it is
 * created once; never twice. A hang is cut by network.timeout_seconds. */
START_TEST(test_transport_fault)
{
	const struct target *t = &targets[_i / NFKINDS];
	const struct fkind *k = &fkinds[_i % NFKINDS];
	struct fstore f;
	struct store_opts o;
	struct run r;
	char tag[128], fj[512], what[128];
	const json_t *log;
	const json_t *e;
	size_t i;
	int faulted = -1;
	const char *hit_id = NULL;

	snprintf(what, sizeof(what), "%s %s%s", t->name, k->kind,
		 strstr(k->extra, "500") ? " 500" : strstr(k->extra, "503") ? " 503" : "");
	snprintf(tag, sizeof(tag), "faults-%s-%s%s", t->name, k->kind,
		 strstr(k->extra, "500") ? "-500" : strstr(k->extra, "503") ? "-503" : "");
	memset(&o, 0, sizeof(o));
	o.timeout_seconds = 2;	/* a hung request gives up after 2 s */
	fs_start(&f, tag, orders_basic, &o, NULL);
	snprintf(fj, sizeof(fj), "{\"match\": %s, \"count\": 1, \"kind\": \"%s\"%s}",
		 t->match, k->kind, k->extra);
	fault(t->tiktok ? &f.s.tt : &f.s.sh, fj);
	r = fs_run(&f);
	log = t->tiktok ? r.tt_log : r.sh_log;
	json_array_foreach(log, i, e)
		if (strcmp(str(e, "fault"), k->kind) == 0) {
			faulted = (int)i;
			break;
		}
	ck_assert_msg(faulted >= 0, "%s: the fault did not apply", what);
	if (t->write) {
		/* The order the fault hit: its id is the sourceIdentifier. */
		hit_id = hit_order(&f, log);
		ck_assert_msg(hit_id != NULL, "%s: which order was hit?", what);
		/* Looked up again after the lost answer, and not resent in this
		 * run: the emulator logs a hung request only when the client
		 * gives up, so count the lookups naming the order - the one
		 * before the first attempt, and one after the loss. */
		ck_assert_msg(lookups_of(log, hit_id) >= 2,
			      "%s: order %s was not looked up after the lost answer", what,
			      hit_id);
		ck_assert_msg(creates_of(log, hit_id) == 0,
			      "%s: order %s was sent again in the same run", what, hit_id);
		if (k->executed) {
			/* it had landed: found and linked, reported as such */
			json_t *row = order_row(&f, hit_id);

			ck_assert_str_eq(str(row, "status"), "synced");
			ck_assert_str_eq(str(row, "action"), "link_order");
			ck_assert_msg(strstr(str(row, "detail"), "answer was lost"),
				      "%s: report detail: %s", what, str(row, "detail"));
		} else {
			/* it had not: Shopify's search may lag behind a creation
			 * moments ago, so the order waits for the next run */
			json_t *row = order_row(&f, hit_id);

			ck_assert_msg(r.status == 1, "%s: exit %d:\n%s", what, r.status, r.err);
			ck_assert_str_eq(str(row, "status"), "failed");
			ck_assert_str_eq(str(row, "reason_code"), "OUTCOME_UNKNOWN");
			ck_assert_msg(strstr(str(row, "reason"), "looked up again"),
				      "%s: reason: %s", what, str(row, "reason"));
			ck_assert_msg(keep(harness_shopify_order_by_source(&f.s, hit_id)) == NULL,
				      "%s: order %s is in Shopify, yet was reported lost", what,
				      hit_id);
			/* the next run, a cron interval later: looked up, created once */
			r = fs_run_step(&f, 900);
			ck_assert_msg(r.status == 0, "%s: the next run exited %d:\n%s", what,
				      r.status, r.err);
			ck_assert_msg(lookups_of(r.sh_log, hit_id) >= 1 &&
				      creates_of(r.sh_log, hit_id) == 1,
				      "%s: next run: %d lookups, %d creates of order %s", what,
				      lookups_of(r.sh_log, hit_id), creates_of(r.sh_log, hit_id),
				      hit_id);
			row = order_row(&f, hit_id);
			ck_assert_str_eq(str(row, "status"), "synced");
			ck_assert_str_eq(str(row, "action"), "create_order");
			assert_consistent(&f, what);
			assert_quiet_rerun(&f, what, 0);
			release();
			return;
		}
	} else {
		/* a read: resent, and the resend succeeded */
		ck_assert_msg(count_entries(log, t->log_path, t->log_body, "") >= 1,
			      "%s: the read was not resent", what);
	}
	assert_basic_done(&f, &r, what);
	assert_quiet_rerun(&f, what, 0);
	release();
}
END_TEST

/* Shopify's order search lags two minutes behind (search_index_lag) and
 * the answer to one orderCreate is lost - after Shopify committed it
 * (loop 0, drop_after) or before (loop 1, 503). The lookup cannot tell
 * "not there" from "not indexed yet", so the order is neither resent
 * nor given up: it waits, reported OUTCOME_UNKNOWN (exit 1), and the next
 * run, a cron interval later, links it (loop 0) or creates it (loop 1).
 * Never two Shopify orders for one TikTok order. */
START_TEST(test_search_lag)
{
	struct fstore f;
	struct run r;
	json_t *o, *row;
	const char *hit;
	char fj[256];
	int n;
	size_t i;

	fs_start(&f, _i ? "faults-search-lag-503" : "faults-search-lag-drop-after",
		 orders_basic, NULL, NULL);
	emu_post(&f.s.sh, "/_emu/config", "{\"search_index_lag\": 120}");
	snprintf(fj, sizeof(fj), "{\"match\": {\"operation\": \"OrderCreate\"}, "
		 "\"count\": 1, %s}",
		 _i ? "\"kind\": \"status\", \"status\": 503" : "\"kind\": \"drop_after\"");
	fault(&f.s.sh, fj);
	r = fs_run(&f);
	ck_assert_msg(r.status == 1, "exit %d:\n%s", r.status, r.err);
	hit = hit_order(&f, r.sh_log);
	ck_assert_msg(hit != NULL, "which order did the fault hit?");
	o = keep(harness_shopify_orders(&f.s));
	n = 0;
	json_array_foreach(o, i, row)
		n += strcmp(str(row, "sourceIdentifier"), hit) == 0;
	ck_assert_msg(n == (_i ? 0 : 1), "order %s: %d Shopify orders after run 1", hit, n);
	row = order_row(&f, hit);
	ck_assert_str_eq(str(row, "status"), "failed");
	ck_assert_str_eq(str(row, "reason_code"), "OUTCOME_UNKNOWN");
	ck_assert_int_eq(creates_of(r.sh_log, hit), 0);
	/* the next run */
	r = fs_run_step(&f, 900);
	ck_assert_msg(r.status == 0, "the next run exited %d:\n%s", r.status, r.err);
	ck_assert_int_eq(creates_of(r.sh_log, hit), _i ? 1 : 0);
	row = order_row(&f, hit);
	ck_assert_str_eq(str(row, "status"), "synced");
	ck_assert_str_eq(str(row, "action"), _i ? "create_order" : "link_order");
	assert_consistent(&f, "search lag");
	assert_quiet_rerun(&f, "search lag", 0);
	release();
}
END_TEST

/* The same faults on TikTok's Mark Package As Shipped (seller shipping:
 * orders 01 and 02 fulfilled in Shopify after their creation): after a
 * lost answer the order is read again and "shipped with our tracking" is
 * synced; nothing is shipped twice. */
static const char *const orders_push[] = { "01", "02", NULL };

START_TEST(test_ship_fault)
{
	const struct fkind *k = &fkinds[_i];
	struct fstore f;
	struct store_opts o;
	struct run r;
	char tag[128], fj[512];
	json_t *ans, *st, *p;
	size_t i;
	int accepted = 0, packages = 0;
	const json_t *e;

	snprintf(tag, sizeof(tag), "faults-tt-ship-%s%s", k->kind,
		 strstr(k->extra, "500") ? "-500" : strstr(k->extra, "503") ? "-503" : "");
	memset(&o, 0, sizeof(o));
	o.timeout_seconds = 2;
	fs_start(&f, tag, orders_push, &o, NULL);
	r = fs_run(&f);
	ck_assert_msg(r.status == 0, "run 1: exit %d:\n%s", r.status, r.err);
	ck_assert(harness_store_advance(&f.s, STEP_SECONDS / 2) > 0);
	ans = harness_emu_event(&f.s.sh, json_pack("{s:s,s:s,s:s,s:s}", "type", "fulfill",
						   "order", TT("01"), "company", "USPS",
						   "number", "9400111899223197428497"));
	ck_assert_ptr_nonnull(keep(ans));
	ans = harness_emu_event(&f.s.sh, json_pack("{s:s,s:s,s:[{s:s,s:i}],s:s,s:s}",
						   "type", "fulfill", "order", TT("02"),
						   "lines", "sku", "MUG-SAND-12", "quantity", 2,
						   "company", "USPS",
						   "number", "9405511899561234567819"));
	ck_assert_ptr_nonnull(keep(ans));
	snprintf(fj, sizeof(fj), "{\"match\": {\"method\": \"POST\", \"path\": "
		 "\"/fulfillment/202309/orders/*\"}, \"count\": 1, \"kind\": \"%s\"%s}",
		 k->kind, k->extra);
	fault(&f.s.tt, fj);
	r = fs_run(&f);
	ck_assert_msg(count_entries(r.tt_log, "/fulfillment/202309/orders/", NULL, k->kind) == 1,
		      "ship %s: the fault did not apply", k->kind);
	ck_assert_msg(r.status == 0, "ship %s: exit %d:\n%s", k->kind, r.status, r.err);
	/* one package per Shopify fulfillment, each unit once */
	st = keep(harness_emu_get(&f.s.tt, "/_emu/state"));
	ck_assert_ptr_nonnull(st);
	json_array_foreach(json_object_get(st, "packages"), i, p)
		if (strcmp(str(p, "order_id"), TT("01")) == 0 ||
		    strcmp(str(p, "order_id"), TT("02")) == 0)
			packages++;
	ck_assert_msg(packages == 2, "ship %s: %d TikTok packages for 2 shipments",
		      k->kind, packages);
	json_array_foreach(r.tt_log, i, e) {
		json_t *resp;

		if (strncmp(str(e, "path"), "/fulfillment/202309/orders/", 27) != 0)
			continue;
		if (strcmp(str(e, "fault"), "drop_after") == 0) {
			accepted++;
			continue;
		}
		resp = json_loads(str(e, "response"), 0, NULL);
		if (resp && json_is_integer(json_object_get(resp, "code")) &&
		    json_integer_value(json_object_get(resp, "code")) == 0)
			accepted++;
		json_decref(resp);
	}
	if (k->executed)	/* truncated / not JSON: it shipped, the answer broke */
		ck_assert_msg(accepted >= 1, "ship %s: no ship call was executed", k->kind);
	ck_assert_msg(state_int(&f, "SELECT count(*) FROM fulfillments WHERE dir = 1 AND "
				"status = 'synced' AND reason_code IS NULL AND "
				"tt_package_id IS NOT NULL") == 2,
		      "ship %s: fulfillment records:\n%s", k->kind,
		      state_text(&f, "SELECT key, status, reason_code, tt_package_id "
				 "FROM fulfillments"));
	assert_consistent(&f, "ship fault");
	assert_quiet_rerun(&f, "ship fault", 0);
	release();
}
END_TEST

/* ---- the TikTok token ---------------------------------------------------- */

/* The access token expires a minute after the emulators start. */
static void short_token(json_t *root)
{
	json_t *tok = json_array_get(json_object_get(root, "tokens"), 0);

	json_object_set_new(tok, "access_token_expire_in", json_integer(30));
}

/* An expired access token (105002): refreshed once, the new pair stored
 * in the state, and the next run uses it (the old refresh token is spent
 * on TikTok's side). Loop 1: the refreshed token lives two minutes, so the
 * next run, five minutes later, refreshes again - with the stored
 * refresh token. */
START_TEST(test_token_expired)
{
	struct fstore f;
	struct run r;
	const char *first_access, *first_refresh;
	json_t *refreshes;

	fs_start(&f, _i ? "faults-token-expired-again" : "faults-token-expired",
		 orders_basic, NULL, short_token);
	if (_i)
		emu_post(&f.s.tt, "/_emu/config", "{\"token_lifetime\": 120}");
	r = fs_run(&f);
	assert_basic_done(&f, &r, "expired token");
	ck_assert_int_eq(count_entries(r.tt_log, "/api/v2/token/refresh", NULL, NULL), 1);
	first_access = state_text(&f, "SELECT access_token FROM token");
	first_refresh = state_text(&f, "SELECT refresh_token FROM token");
	ck_assert_msg(*first_access && strcmp(first_access, "TTP_demo_access\n") != 0,
		      "the refreshed pair is not in the state: '%s'", first_access);
	ck_assert_msg(strcmp(first_refresh, "TTP_demo_refresh\n") != 0,
		      "the state still holds the spent refresh token");
	ck_assert_msg(!strstr(r.err, "TTP_"), "a token appears in the output:\n%s", r.err);
	/* the next run */
	r = fs_run_step(&f, _i ? 300 : STEP_SECONDS);
	ck_assert_msg(r.status == 0, "the next run exited %d:\n%s", r.status, r.err);
	refreshes = keep(harness_log_select(&f.s.tt, NULL, "/api/v2/token/refresh", NULL));
	ck_assert_ptr_nonnull(refreshes);
	if (_i) {
		char want[256];
		const char *q = str(json_array_get(refreshes, 1), "query");

		ck_assert_int_eq(json_array_size(refreshes), 2);
		snprintf(want, sizeof(want), "refresh_token=%.*s",
			 (int)strcspn(first_refresh, "\n"), first_refresh);
		ck_assert_msg(strstr(q, want) != NULL, "the second refresh did not use the "
			      "stored refresh token: %s", q);
		ck_assert_msg(strcmp(state_text(&f, "SELECT access_token FROM token"),
				     first_access) != 0, "the second pair was not stored");
	} else {
		ck_assert_int_eq(json_array_size(refreshes), 1);
	}
	assert_consistent(&f, "expired token");
	assert_quiet_rerun(&f, "expired token", 0);
	release();
}
END_TEST

/* The access token expired and TikTok refuses the refresh token: the run
 * aborts (exit 3) with a message naming the cause and the remedy, its
 * report is written, nothing is synced. */
START_TEST(test_token_refresh_refused)
{
	struct fstore f;
	struct store_opts o;
	struct run r;
	char *html;

	memset(&o, 0, sizeof(o));
	o.refresh_token = "TTP_revoked_refresh";
	fs_start(&f, "faults-token-refused", orders_basic, &o, short_token);
	r = fs_run(&f);
	ck_assert_msg(r.status == 3, "exit %d:\n%s", r.status, r.err);
	ck_assert_int_eq(count_entries(r.tt_log, "/api/v2/token/refresh", NULL, NULL), 1);
	ck_assert_msg(strstr(r.err, "refresh") && (strstr(r.err, "re-authoriz") ||
						   strstr(r.err, "authoriz")),
		      "the message does not say what to do:\n%s", r.err);
	ck_assert_msg(!strstr(r.err, "TTP_revoked_refresh") && !strstr(r.err, "TTP_demo_access"),
		      "a token appears in the output:\n%s", r.err);
	html = harness_read_file(harness_report_path(&f.s, "report.html"));
	ck_assert_msg(html != NULL, "no report for the aborted run");
	ck_assert_msg(strstr(html, "refresh") != NULL, "the report does not name the cause");
	free(html);
	ck_assert_int_eq(harness_log_writes(r.sh_log, "shopify", NULL), 0);
	ck_assert_int_eq(state_int(&f, "SELECT count(*) FROM orders WHERE status = 'synced'"), 0);
	release();
}
END_TEST

/* ---- a platform that cannot be reached ----------------------------------- */

/* After a good run, one emulator is stopped (loop 0 TikTok, 1 Shopify):
 * exit 3 after the retries, a report for the run, the state as it was;
 * once the platform is back, the run converges. */
START_TEST(test_unreachable)
{
	static const char *const tables =
		"SELECT 'o', tt_id, status, reason_code, sh_gid, cancel_state FROM orders "
		"UNION ALL SELECT 'c', name, value, '', '', '' FROM cursors "
		"UNION ALL SELECT 'i', id, kind, object_key, state, '' FROM intents "
		"UNION ALL SELECT 'f', key, status, reason_code, tracking_number, tt_package_id "
		"FROM fulfillments UNION ALL SELECT 'u', tt_id, tt_line_id, sh_line_item_id, '', '' "
		"FROM units UNION ALL SELECT 't', access_token, refresh_token, '', '', '' FROM token "
		"ORDER BY 1, 2, 3";
	struct fstore f;
	struct store_opts o;
	struct run r;
	const char *before, *after, *latest0;
	char latest1[800], *html;
	struct emu_proc *gone;

	memset(&o, 0, sizeof(o));
	o.max_attempts = 3;
	fs_start(&f, _i ? "faults-unreachable-shopify" : "faults-unreachable-tiktok",
		 orders_basic, &o, NULL);
	r = fs_run(&f);
	assert_basic_done(&f, &r, "before the outage");
	before = state_text(&f, tables);
	latest0 = keep_str(realpath(harness_report_path(&f.s, "report.html"), NULL));
	ck_assert_ptr_nonnull(latest0);
	gone = _i ? &f.s.sh : &f.s.tt;
	harness_stop_emu(gone);
	{
		/* ttsync's clock moves on; the stopped emulator's cannot */
		struct emu_proc *up = _i ? &f.s.tt : &f.s.sh;
		json_t *c;

		json_decref(harness_emu_post(up, "/_emu/clock", "{\"advance\": 60}"));
		c = keep(harness_emu_get(up, "/_emu/clock"));
		ck_assert_ptr_nonnull(c);
		f.now = (long long)json_integer_value(json_object_get(c, "now"));
	}
	{
		const char *args[] = { "run", "--config", f.s.config, NULL };
		char pin[64];
		const char *env[] = { pin, NULL };
		struct run_result rr;

		snprintf(pin, sizeof(pin), "TTSYNC_NOW=%lld", f.now);
		harness_ttsync("ttsync", args, env, RUN_TIMEOUT, &rr);
		r.status = rr.status;
		r.err = keep_str(rr.err);
		free(rr.out);
	}
	ck_assert_msg(r.status == 3, "exit %d:\n%s", r.status, r.err);
	ck_assert_msg(strstr(r.err, _i ? "Shopify" : "TikTok") &&
		      (strstr(r.err, "unreachable") || strstr(r.err, "connect")),
		      "the message does not name the platform:\n%s", r.err);
	ck_assert_msg(strstr(r.err, "3 attempts") != NULL,
		      "not retried network.max_attempts times:\n%s", r.err);
	after = state_text(&f, tables);
	ck_assert_msg(strcmp(before, after) == 0, "the state changed:\nbefore:\n%s\nafter:\n%s",
		      before, after);
	ck_assert_msg(realpath(harness_report_path(&f.s, "report.html"), latest1) != NULL,
		      "no report");
	ck_assert_msg(strcmp(latest0, latest1) != 0, "the aborted run wrote no report");
	html = harness_read_file(latest1);
	ck_assert_ptr_nonnull(html);
	ck_assert_msg(strstr(html, _i ? "Shopify" : "TikTok") != NULL,
		      "the report does not name the platform");
	free(html);
	release();
}
END_TEST

/* ---- a bad order --------------------------------------------------------- */

/* Order 37's payment.sub_total is "12.3.4": it fails alone with
 * ORDER_DATA_INVALID naming the field and the value, the others sync,
 * exit 1; the next run makes no write and still reports it (carried from
 * the earlier run). */
START_TEST(test_bad_order)
{
	static const char *const nns[] = { "01", "37", "02", NULL };
	static const char *const good[] = { "01", "02", NULL };
	struct fstore f;
	struct run r;
	json_t *failed, *row;

	fs_start(&f, "faults-bad-order", nns, NULL, NULL);
	r = fs_run(&f);
	ck_assert_msg(r.status == 1, "exit %d:\n%s", r.status, r.err);
	failed = rows(&f, "failed.csv", NULL, NULL);
	ck_assert_msg(json_array_size(failed) == 1, "%zu rows in failed.csv",
		      json_array_size(failed));
	row = json_array_get(failed, 0);
	ck_assert_str_eq(str(row, "tiktok_order_id"), TT("37"));
	ck_assert_str_eq(str(row, "reason_code"), "ORDER_DATA_INVALID");
	ck_assert_msg(strstr(str(row, "reason"), "sub_total") &&
		      strstr(str(row, "reason"), "12.3.4"),
		      "the reason does not name the field and value: %s", str(row, "reason"));
	ck_assert_msg(*str(row, "remedy"), "no remedy");
	ck_assert_int_eq(state_int(&f, "SELECT count(*) FROM orders WHERE tt_id = '"
				   TT("37") "' AND status = 'failed' AND reason_code = "
				   "'ORDER_DATA_INVALID'"), 1);
	ck_assert_int_eq(harness_log_count(&f.s.sh, "POST", NULL, TT("37")), 0);
	f.orders = good;
	assert_consistent(&f, "bad order");
	ck_assert_msg(state_int(&f, "SELECT count(*) FROM intents WHERE state IN (0, 3)") == 0,
		      "open intents");
	assert_quiet_rerun(&f, "bad order", -1);
	failed = rows(&f, "failed.csv", TT("37"), "order");
	ck_assert_int_eq(json_array_size(failed), 1);
	release();
}
END_TEST

/* ---- the run deadline ---------------------------------------------------- */

/* settings.deadline_seconds at its minimum (60) and TikTok's first page
 * of orders answered after 61 s (two orders a page): the run stops
 * fetching, creates what it read, writes its reports with a RUN_DEADLINE
 * line (exit 1: not all done), and leaves the cursor alone; the next run
 * reads the whole window and syncs the rest. */
START_TEST(test_deadline)
{
	struct fstore f;
	struct store_opts o;
	struct run r;
	json_t *row;

	memset(&o, 0, sizeof(o));
	o.timeout_seconds = 120;
	o.extra_settings = "  deadline_seconds: 60\n  tiktok_page_size: 2\n";
	fs_start(&f, "faults-deadline", orders_basic, &o, NULL);
	fault(&f.s.tt, "{\"match\": {\"path\": \"/order/202309/orders/search\"}, "
	      "\"count\": 1, \"kind\": \"delay\", \"ms\": 61000}");
	r = fs_run(&f);
	ck_assert_msg(r.status == 1, "exit %d:\n%s", r.status, r.err);
	ck_assert_msg(r.seconds >= 60.0, "the delay did not apply (%.1f s)", r.seconds);
	ck_assert_int_eq(count_entries(r.tt_log, "/order/202309/orders/search", NULL, NULL), 1);
	ck_assert_int_eq(state_int(&f, "SELECT count(*) FROM cursors WHERE name LIKE 'tt_%'"), 0);
	row = rows(&f, "failed.csv", NULL, "run");
	ck_assert_msg(json_array_size(row) >= 1, "no report line for the deadline");
	ck_assert_str_eq(str(json_array_get(row, 0), "reason_code"), "RUN_DEADLINE");
	ck_assert_int_eq(state_int(&f, "SELECT count(*) FROM intents WHERE state IN (0, 3)"), 0);
	/* what it read, it synced (one page: two orders) */
	ck_assert_int_eq(json_array_size(rows(&f, "synced.csv", NULL, "order")), 2);
	ck_assert_int_eq(state_int(&f, "SELECT count(*) FROM orders WHERE status = 'synced'"), 2);
	/* the next run catches up */
	o.extra_settings = "  tiktok_page_size: 2\n";
	o.timeout_seconds = 10;
	fs_config(&f, &o);
	r = fs_run(&f);
	ck_assert_msg(r.status == 0, "the run after the deadline exited %d:\n%s", r.status,
		      r.err);
	assert_consistent(&f, "after the deadline");
	ck_assert_int_eq(json_array_size(rows(&f, "synced.csv", NULL, "order")), 2);
	ck_assert_int_eq(state_int(&f, "SELECT count(*) FROM fulfillments WHERE key = "
				   "'pull:1153132168121100001' AND status = 'synced'"), 1);
	ck_assert_int_eq(state_int(&f, "SELECT count(*) FROM cursors WHERE name = 'tt_update'"), 1);
	assert_quiet_rerun(&f, "after the deadline", 0);
	release();
}
END_TEST

static Suite *faults_suite(void)
{
	Suite *s = suite_create("e2e_faults");
	TCase *tc;

	tc = tcase_create("rate_limits");
	tcase_set_timeout(tc, CASE_TIMEOUT);
	tcase_add_loop_test(tc, test_tiktok_429_streak, 0, 2);
	tcase_add_test(tc, test_tiktok_qps_respected);
	tcase_add_loop_test(tc, test_shopify_throttled, 0, 2);
	tcase_add_test(tc, test_shopify_small_bucket);
	suite_add_tcase(s, tc);

	tc = tcase_create("transport");
	tcase_set_timeout(tc, CASE_TIMEOUT);
	tcase_add_loop_test(tc, test_transport_fault, 0, (int)(NTARGETS * NFKINDS));
	tcase_add_loop_test(tc, test_ship_fault, 0, (int)NFKINDS);
	tcase_add_loop_test(tc, test_search_lag, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("token");
	tcase_set_timeout(tc, CASE_TIMEOUT);
	tcase_add_loop_test(tc, test_token_expired, 0, 2);
	tcase_add_test(tc, test_token_refresh_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("outages");
	tcase_set_timeout(tc, CASE_TIMEOUT);
	tcase_add_loop_test(tc, test_unreachable, 0, 2);
	tcase_add_test(tc, test_bad_order);
	tcase_add_test(tc, test_deadline);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(faults_suite());
	int failed;

	harness_reaper_init();
	srunner_run_all(sr, CK_NORMAL);
	harness_reaper_kill();
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

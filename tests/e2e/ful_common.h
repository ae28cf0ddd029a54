/*
 * ful_common.h - the small toolkit shared by the fulfillment end-to-end
 * suites (tests/e2e/check_e2e_ful_*.c, issue 4): a store made of a subset
 * of the demo fixture's orders, ttsync runs at a pinned clock that is
 * always ahead of every event played before it, platform events, and
 * readers of what each platform received (emulator state, request logs),
 * of the reports and of ttsync's own state file.
 *
 * Test code only: the helpers are `static inline` so that each suite uses
 * the ones it needs. JSON read here is kept in a per-test bin (fs_keep)
 * freed when the test ends (a failed assertion leaves the test's child
 * process with _exit(), which LeakSanitizer does not check).
 */
#ifndef TTSYNC_FUL_COMMON_H
#define TTSYNC_FUL_COMMON_H

#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "harness.h"
#include "state.h"

/* Demo ids (fixtures/demo/CASES.md): order NN, unit KK of order NN. */
#define TT(nn) "5769120043718200" nn
#define UNIT(nn, kk) "5770884123000" nn "0" kk

/* Providers of the demo shop. */
#define P_USPS "7117858858072016686"
#define P_UPS "7117859084333745966"
#define P_FEDEX "7117858858072049454"
#define P_DHLE "7212651637382874926"
#define P_ONTRAC "7248600717110167338"
#define P_CAINIAO "7255838906283394862"
#define P_AMAZON "7310405391620130606"

#define RULE_OTHER_CAINIAO \
	"carrier_rules:\n  - shopify: Other\n    tiktok: Cainiao US\n"

/* Generous: the suites also run under ASan + UBSan. */
#define FS_TIMEOUT 300
#define FS_RUN_SECONDS 60	/* the clocks move this much before each run */

struct fstore {
	struct store s;
	long long now;		/* TTSYNC_NOW of the last run */
	char *dir;		/* fixture subset directory */
	int last_status;	/* exit status of the last ttsync */
	char *last_out, *last_err;
};

static json_t *fs_bin;
static struct fstore *fs_live;
/* Check runs each test in a child that leaves with _exit() when an
 * assertion fails, so no exit handler can stop its emulators: every test
 * writes their pids and request-log paths here and the suite's unchecked
 * teardown (in the parent) stops those still running - a pid counts only
 * while its command line still names that log (pids are reused). */
static char fs_pidfile[600];

static inline void fs_suite_setup(void)
{
	char *dir = harness_mkdtemp("ful-pids");

	if (dir != NULL)
		snprintf(fs_pidfile, sizeof(fs_pidfile), "%s/pids", dir);
	free(dir);
}

static inline void fs_suite_teardown(void)
{
	char *txt = harness_read_file(fs_pidfile), *line, *save = NULL, *slash;

	for (line = txt ? strtok_r(txt, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *log = strchr(line, ' '), proc[64], *cmd;
		long pid = strtol(line, NULL, 10);
		FILE *fp;
		size_t n;

		if (pid <= 1 || log == NULL)
			continue;
		snprintf(proc, sizeof(proc), "/proc/%ld/cmdline", pid);
		fp = fopen(proc, "rb");
		if (fp == NULL)
			continue;
		cmd = calloc(1, 8192);
		n = cmd ? fread(cmd, 1, 8191, fp) : 0;
		fclose(fp);
		while (cmd && n-- > 0)
			if (cmd[n] == '\0')
				cmd[n] = ' ';
		if (cmd && strstr(cmd, log + 1) != NULL)
			kill((pid_t)pid, SIGTERM);
		free(cmd);
	}
	free(txt);
	unlink(fs_pidfile);
	slash = strrchr(fs_pidfile, '/');
	if (slash != NULL) {
		*slash = '\0';
		rmdir(fs_pidfile);
	}
}

static inline void fs_note_pids(const struct store *s)
{
	FILE *fp = fs_pidfile[0] ? fopen(fs_pidfile, "a") : NULL;

	if (fp == NULL)
		return;
	fprintf(fp, "%ld %s\n%ld %s\n", (long)s->tt.pid, s->tt.log_path, (long)s->sh.pid,
		s->sh.log_path);
	fclose(fp);
}

static inline json_t *fs_keep(json_t *j)
{
	if (j == NULL)
		return NULL;
	if (fs_bin == NULL)
		fs_bin = json_array();
	json_array_append_new(fs_bin, j);
	return j;
}

static inline void fs_release(void)
{
	if (fs_live != NULL) {
		harness_store_stop(&fs_live->s);
		harness_rmtree(fs_live->s.tt.dir);
		harness_rmtree(fs_live->s.sh.dir);
		harness_rmtree(fs_live->s.dir);
		if (fs_live->dir != NULL)
			harness_rmtree(fs_live->dir);
		free(fs_live->dir);
		free(fs_live->last_out);
		free(fs_live->last_err);
		fs_live->dir = fs_live->last_out = fs_live->last_err = NULL;
		fs_live = NULL;
	}
	json_decref(fs_bin);
	fs_bin = NULL;
}

/* Defaults of the suites: automatic order sync on (orders are created in
 * run 1, as in the demo), fulfillment sync automatic, the demo's rule
 * Other -> Cainiao US. */
static inline void fs_opts(struct store_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->order_auto_sync = 1;
	o->extra_yaml = RULE_OTHER_CAINIAO;
}

/* Start a store holding the demo orders NN listed (NULL-terminated
 * two-digit strings; NULL = every order of the demo). */
static inline void fs_start(struct fstore *f, const char *tag,
			    const char *const *nns, const struct store_opts *opts)
{
	struct store_opts o;
	char src[700], *path = NULL;
	const char *ids[64];
	char idbuf[64][24];
	size_t n = 0;

	memset(f, 0, sizeof(*f));
	if (opts != NULL)
		o = *opts;
	else
		fs_opts(&o);
	if (nns != NULL) {
		f->dir = harness_mkdtemp("fixture");
		ck_assert_ptr_nonnull(f->dir);
		for (n = 0; nns[n] && n < 63; n++) {
			snprintf(idbuf[n], sizeof(idbuf[n]), "5769120043718200%s", nns[n]);
			ids[n] = idbuf[n];
		}
		ids[n] = NULL;
		snprintf(src, sizeof(src), "%s/fixtures/demo/tiktok.json", harness_top());
		path = harness_fixture_subset(src, f->dir, "tiktok.json", ids);
		ck_assert_msg(path != NULL, "could not write the fixture subset");
		if (o.tt_data == NULL)
			o.tt_data = path;
	}
	ck_assert_msg(harness_store_start(tag, &o, &f->s) == 0,
		      "the emulators did not start (%s)", tag);
	fs_note_pids(&f->s);
	free(path);
	f->last_status = -1;
	fs_live = f;
}

static inline void fs_stop(struct fstore *f)
{
	(void)f;
	fs_release();
}

/* Rewrite the config of a running store. */
static inline void fs_config(struct fstore *f, const struct store_opts *opts)
{
	ck_assert_int_eq(harness_store_config(&f->s, opts), 0);
}

/* Run ttsync (args after the program name, NULL-terminated; "--config"
 * FILE is appended) after moving both emulator clocks forward. Returns
 * the exit status; output kept in f->last_out / last_err. */
static inline int fs_ttsync(struct fstore *f, const char *const *args)
{
	const char *argv[32];
	struct run_result r;
	size_t n = 0, i;

	for (i = 0; args && args[i] && n < 28; i++)
		argv[n++] = args[i];
	argv[n++] = "--config";
	argv[n++] = f->s.config;
	argv[n] = NULL;
	f->now = harness_store_advance(&f->s, FS_RUN_SECONDS);
	ck_assert_msg(f->now > 0, "emulator clock unreadable");
	harness_ttsync_at(f->now, argv, NULL, FS_TIMEOUT, &r);
	free(f->last_out);
	free(f->last_err);
	f->last_out = r.out;
	f->last_err = r.err;
	f->last_status = r.status;
	if (r.status != 0 && r.status != 1)
		fprintf(stderr, "ttsync %s exited %d:\n%s\n", args ? args[0] : "",
			r.status, r.err ? r.err : "");
	/* under ASan + UBSan: a report from ttsync fails the test */
	ck_assert_msg(r.err == NULL || (strstr(r.err, "Sanitizer") == NULL &&
					strstr(r.err, "runtime error:") == NULL),
		      "ttsync %s: sanitizer report:\n%s", args ? args[0] : "", r.err);
	return r.status;
}

/* `ttsync run`. */
static inline int fs_run(struct fstore *f)
{
	const char *args[] = { "run", NULL };

	return fs_ttsync(f, args);
}

/* ---- events ---- */

static inline void fs_tt_event(struct fstore *f, json_t *ev)
{
	char *txt = json_dumps(ev, JSON_COMPACT);
	json_t *ans = harness_emu_event(&f->s.tt, ev);

	ck_assert_msg(ans != NULL, "TikTok refused event %s", txt ? txt : "?");
	free(txt);
	json_decref(ans);
}

/* A Shopify event; returns the emulator's answer (kept in the bin). */
static inline json_t *fs_sh_event(struct fstore *f, json_t *ev)
{
	char *txt = json_dumps(ev, JSON_COMPACT);
	json_t *ans = harness_emu_event(&f->s.sh, ev);

	ck_assert_msg(ans != NULL, "Shopify refused event %s", txt ? txt : "?");
	free(txt);
	return fs_keep(ans);
}

/* The merchant fulfils an order in Shopify admin (all of it, company and
 * number; number NULL = no tracking number). Returns the fulfillment id. */
static inline const char *fs_fulfill_all(struct fstore *f, const char *tt_id,
					 const char *company, const char *number)
{
	json_t *ans = fs_sh_event(f, json_pack("{s:s,s:s,s:s,s:s}", "type", "fulfill",
					       "order", tt_id, "company", company,
					       "number", number ? number : ""));

	return json_string_value(json_object_get(ans, "id"));
}

/* ... or some of its lines: one SKU with a quantity. */
static inline const char *fs_fulfill_sku(struct fstore *f, const char *tt_id,
					 const char *sku, int qty,
					 const char *company, const char *number)
{
	json_t *ans = fs_sh_event(f, json_pack("{s:s,s:s,s:[{s:s,s:i}],s:s,s:s}",
					       "type", "fulfill", "order", tt_id,
					       "lines", "sku", sku, "quantity", qty,
					       "company", company, "number", number));

	return json_string_value(json_object_get(ans, "id"));
}

static inline void fs_edit_tracking(struct fstore *f, const char *ful_id,
				    const char *number)
{
	fs_sh_event(f, json_pack("{s:s,s:s,s:s}", "type", "edit_tracking",
				 "fulfillment_id", ful_id, "number", number));
}

/* ---- what the platforms hold ---- */

static inline json_t *fs_tt_order(struct fstore *f, const char *tt_id)
{
	json_t *o = fs_keep(harness_tiktok_order(&f->s, tt_id));

	ck_assert_msg(o != NULL, "TikTok order %s not in the emulator state", tt_id);
	return o;
}

static inline json_t *fs_tt_line(json_t *order, const char *line_id)
{
	json_t *l;
	size_t i;

	json_array_foreach(json_object_get(order, "line_items"), i, l)
		if (strcmp(json_string_value(json_object_get(l, "id")), line_id) == 0)
			return l;
	ck_abort_msg("line item %s not in the order", line_id);
	return NULL;
}

/* TikTok's packages of an order (emulator state "packages"), in id order. */
static inline json_t *fs_tt_packages(struct fstore *f, const char *tt_id)
{
	json_t *st = harness_emu_get(&f->s.tt, "/_emu/state"), *p, *out = json_array();
	size_t i;

	ck_assert_ptr_nonnull(st);
	json_array_foreach(json_object_get(st, "packages"), i, p) {
		const char *oid = json_string_value(json_object_get(p, "order_id"));

		if (oid && strcmp(oid, tt_id) == 0)
			json_array_append(out, p);
	}
	json_decref(st);
	return fs_keep(out);
}

static inline json_t *fs_sh_order(struct fstore *f, const char *tt_id)
{
	json_t *o = fs_keep(harness_shopify_order_by_source(&f->s, tt_id));

	ck_assert_msg(o != NULL, "no Shopify order with sourceIdentifier %s", tt_id);
	return o;
}

/* A string member, "" when missing (for messages and comparisons). */
static inline const char *fs_str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

/* Does the JSON array of strings equal the NULL-terminated list? */
static inline int fs_ids_eq(json_t *arr, const char *const *want)
{
	size_t n = 0, i;

	while (want[n])
		n++;
	if (!json_is_array(arr) || json_array_size(arr) != n)
		return 0;
	for (i = 0; i < n; i++) {
		const char *v = json_string_value(json_array_get(arr, i));

		if (v == NULL || strcmp(v, want[i]) != 0)
			return 0;
	}
	return 1;
}

/* ---- request logs ---- */

/* Mark Package As Shipped calls for an order. */
static inline json_t *fs_ship_calls(struct fstore *f, const char *tt_id)
{
	char path[128];

	snprintf(path, sizeof(path), "/fulfillment/202309/orders/%s/packages", tt_id);
	return fs_keep(harness_log_select(&f->s.tt, "POST", path, NULL));
}

/* Update shipping info calls (package or order level). */
static inline int fs_update_calls(struct fstore *f)
{
	json_t *all = harness_log_select(&f->s.tt, "POST", "/fulfillment/202309/", NULL), *e;
	size_t i;
	int n = 0;

	json_array_foreach(all, i, e)
		if (strstr(fs_str(e, "path"), "shipping_info/update"))
			n++;
	json_decref(all);
	return n;
}

/* Every TikTok write ttsync sent (fulfillment endpoints are the only ones
 * it writes to). */
static inline int fs_tt_writes(struct fstore *f)
{
	return harness_log_count(&f->s.tt, "POST", "/fulfillment/", NULL);
}

/* Shopify GraphQL requests of one operation ("FulfillmentCreate", ...). */
static inline json_t *fs_sh_ops(struct fstore *f, const char *operation)
{
	char needle[128];

	snprintf(needle, sizeof(needle), "\"operationName\":\"%s\"", operation);
	return fs_keep(harness_log_select(&f->s.sh, "POST", NULL, needle));
}

static inline int fs_sh_mutations(struct fstore *f)
{
	return harness_log_count(&f->s.sh, "POST", NULL, "\"query\":\"mutation ");
}

/* The request body of a log entry, parsed (kept in the bin). */
static inline json_t *fs_body(json_t *entry)
{
	json_t *b = json_loads(fs_str(entry, "body"), 0, NULL);

	ck_assert_msg(b != NULL, "request body is not JSON: %s", fs_str(entry, "body"));
	return fs_keep(b);
}

static inline json_t *fs_response(json_t *entry)
{
	json_t *b = json_loads(fs_str(entry, "response"), 0, NULL);

	ck_assert_msg(b != NULL, "response is not JSON");
	return fs_keep(b);
}

/* ---- reports ---- */

/* Every row of the newest run's items.csv for an order and object. */
static inline json_t *fs_rows(struct fstore *f, const char *tt_id, const char *object)
{
	json_t *rows = fs_keep(harness_report_rows(&f->s, "items.csv", tt_id, object));

	ck_assert_msg(rows != NULL, "no items.csv in %s", f->s.reports);
	return rows;
}

/* The one row of items.csv for (order, object, action); fails when there
 * is none or more than one. action NULL: any. */
static inline json_t *fs_row(struct fstore *f, const char *tt_id, const char *object,
			     const char *action)
{
	json_t *rows = fs_rows(f, tt_id, object), *r, *hit = NULL;
	size_t i, n = 0;
	char *dump;

	json_array_foreach(rows, i, r)
		if (action == NULL || strcmp(fs_str(r, "action"), action) == 0) {
			hit = r;
			n++;
		}
	if (n != 1) {
		dump = json_dumps(rows, JSON_INDENT(1));
		ck_abort_msg("%zu %s rows (action %s) for %s in the last report; rows:\n%s",
			     n, object, action ? action : "any", tt_id ? tt_id : "-",
			     dump ? dump : "");
		free(dump);
	}
	return hit;
}

#define fs_assert_row(row, st, code)                                            \
	do {                                                                   \
		ck_assert_msg(strcmp(fs_str((row), "status"), (st)) == 0 &&          \
			      strcmp(fs_str((row), "reason_code"), (code)) == 0,        \
			      "row %s/%s: status %s reason %s (want %s %s): %s",     \
			      fs_str((row), "tiktok_order_id"), fs_str((row), "action"), \
			      fs_str((row), "status"), fs_str((row), "reason_code"),  \
			      (st), (code), fs_str((row), "reason"));               \
	} while (0)

/* ---- ttsync's state file ---- */

/* The fulfillment records of an order; caller frees with
 * ful_rec_free_array(). */
static inline void fs_recs(struct fstore *f, const char *tt_id, struct ful_rec **v,
			   size_t *n)
{
	struct state *st = NULL;
	struct err e;

	err_clear(&e);
	*v = NULL;
	*n = 0;
	ck_assert_msg(state_open(f->s.state, &st, &e) == 0, "state: %s", e.msg);
	if (state_ful_list_for_order(st, tt_id, v, n, &e) != 0) {
		state_close(st);
		ck_abort_msg("state: %s", e.msg);
	}
	state_close(st);
}

/* The one record of an order with this key prefix ("push:", "pull:") and
 * Shopify fulfillment / TikTok package (NULL: the only one); a copy of
 * the interesting fields goes into a JSON object (kept in the bin). */
static inline json_t *fs_rec(struct fstore *f, const char *tt_id, const char *key)
{
	struct ful_rec *v = NULL;
	size_t n = 0, i, k;
	json_t *o = NULL, *ids;

	fs_recs(f, tt_id, &v, &n);
	for (i = 0; i < n; i++) {
		if (key && strcmp(v[i].key, key) != 0)
			continue;
		ids = json_array();
		for (k = 0; k < v[i].ntt_line_ids; k++)
			json_array_append_new(ids, json_string(v[i].tt_line_ids[k]));
		o = json_pack("{s:s,s:s?,s:s?,s:s?,s:s?,s:s?,s:i,s:s?,s:s?,s:I,s:i,s:i,s:o,s:i}",
			      "key", v[i].key, "package", v[i].tt_package_id,
			      "fulfillment", v[i].sh_fulfillment_id,
			      "tracking", v[i].tracking_number, "provider_id", v[i].provider_id,
			      "carrier", v[i].carrier, "status", (int)v[i].status,
			      "reason_code", v[i].reason_code, "warning", v[i].warning,
			      "shipped_at", (json_int_t)v[i].shipped_at,
			      "updates", v[i].tracking_updates, "events", v[i].events_sent,
			      "units", ids, "retry", (int)v[i].retry);
		break;
	}
	ful_rec_free_array(v, n);
	ck_assert_msg(o != NULL, "no fulfillment record %s for %s", key ? key : "(any)", tt_id);
	return fs_keep(o);
}

#endif

/*
 * check_e2e_cli.c - end-to-end acceptance of ttsync's command line and
 * exit codes (issue 3), against the real binary and both emulators:
 * --help on every command and --version; 0 when everything synced;
 * 2 for usage and configuration errors (unknown key with the nearest
 * name, file:line:col, missing secret variable, inline secret, insecure
 * secret file, bad YAML, a non-US region in the config or a non-US
 * TikTok shop); 3 when TikTok refuses the credentials (106001), Shopify
 * answers 401 or a platform cannot be reached; 4 when another run holds
 * the store's lock (taken by this process, or by a background ttsync
 * stuck on a hanging emulator), exiting at once and touching nothing.
 * Configuration errors must be found before any request is sent. No
 * secret appears in any message. Owns the stores it starts.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define ID01 "576912004371820001"

static const char *const secrets[] = {
	"demo_app_secret", "TTP_demo_access", "TTP_demo_refresh", "shpat_demo_token",
};

static void assert_no_secret(const struct run_result *r, const char *extra)
{
	size_t i;

	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		ck_assert_msg(strstr(r->out, secrets[i]) == NULL, "stdout shows a secret");
		ck_assert_msg(strstr(r->err, secrets[i]) == NULL, "stderr shows a secret");
	}
	if (extra) {
		ck_assert_msg(strstr(r->out, extra) == NULL, "stdout shows %s", extra);
		ck_assert_msg(strstr(r->err, extra) == NULL, "stderr shows %s", extra);
	}
}

/* Stores and background runs a (forked) test started: a failed assertion
 * exits the test process, and atexit() then stops them, so no emulator
 * outlives its test. */
static struct store *live[4];
static pid_t live_bg;
static int live_hooked;

static void stop_live(void)
{
	int i;

	if (live_bg > 0) {
		kill(live_bg, SIGKILL);
		waitpid(live_bg, NULL, 0);
		live_bg = 0;
	}
	for (i = 0; i < 4; i++)
		if (live[i]) {
			harness_store_stop(live[i]);
			harness_rmtree(live[i]->dir);
			live[i] = NULL;
		}
}

static int store_start(const char *tag, const struct store_opts *o, struct store *s)
{
	int i;

	if (!live_hooked) {
		atexit(stop_live);
		live_hooked = 1;
	}
	if (harness_store_start(tag, o, s) != 0)
		return -1;
	for (i = 0; i < 4; i++)
		if (live[i] == NULL) {
			live[i] = s;
			break;
		}
	return 0;
}

static void store_stop(struct store *s)
{
	int i;

	for (i = 0; i < 4; i++)
		if (live[i] == s)
			live[i] = NULL;
	harness_store_stop(s);
	harness_rmtree(s->dir);
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run_tt(const char *const *args, struct run_result *r)
{
	return harness_ttsync("ttsync", args, NULL, 120, r);
}

/* ---- help, version, usage ------------------------------------------------ */

START_TEST(test_version)
{
	const char *a[] = { "--version", NULL };
	struct run_result r;

	ck_assert_int_eq(run_tt(a, &r), 0);
	ck_assert_str_eq(r.out, "ttsync " TTSYNC_VERSION "\n");
	run_result_free(&r);
}
END_TEST

START_TEST(test_help_on_every_command)
{
	static const struct {
		const char *argv[4];
		const char *usage;
	} cmds[] = {
		{ { "run", "--help", NULL }, "usage: ttsync run" },
		{ { "sync", "--help", NULL }, "usage: ttsync sync orders" },
		{ { "sync", "orders", "--help", NULL }, "usage: ttsync sync orders" },
		{ { "sync", "fulfillments", "--help", NULL }, "usage: ttsync sync" },
		{ { "status", "--help", NULL }, "usage: ttsync status" },
		{ { "link", "--help", NULL }, "usage: ttsync link" },
		{ { "check-config", "--help", NULL }, "usage: ttsync check-config" },
		{ { "help", "run", NULL }, "usage: ttsync run" },
	};
	struct run_result r;
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		ck_assert_msg(run_tt(cmds[i].argv, &r) == 0, "%s %s: exit %d", cmds[i].argv[0],
			      cmds[i].argv[1], r.status);
		ck_assert_msg(strstr(r.out, cmds[i].usage) != NULL, "%s %s: %s", cmds[i].argv[0],
			      cmds[i].argv[1], r.out);
		ck_assert_msg(strstr(r.out, "--config") != NULL, "%s: no --config in help",
			      cmds[i].argv[0]);
		ck_assert_str_eq(r.err, "");
		run_result_free(&r);
	}
	/* The run's help documents the exit codes. */
	{
		const char *a[] = { "run", "--help", NULL };

		run_tt(a, &r);
		ck_assert_msg(strstr(r.out, "3 run aborted") && strstr(r.out, "4 another run"),
			      "%s", r.out);
		ck_assert_msg(strstr(r.out, "--dry-run") != NULL, "%s", r.out);
		run_result_free(&r);
	}
	/* ttsync --help lists every command and the exit codes. */
	{
		const char *a[] = { "--help", NULL };
		const char *names[] = { "run", "sync", "status", "link", "check-config" };

		ck_assert_int_eq(run_tt(a, &r), 0);
		for (i = 0; i < 5; i++)
			ck_assert_msg(strstr(r.out, names[i]) != NULL, "--help misses %s", names[i]);
		ck_assert_msg(strstr(r.out, "exit status") != NULL, "%s", r.out);
		run_result_free(&r);
	}
}
END_TEST

START_TEST(test_usage_errors_exit_2)
{
	static const char *const cases[][8] = {
		{ NULL },
		{ "frobnicate", NULL },
		{ "run", NULL },
		{ "run", "--config", "/nonexistent/x.yaml", "--bogus", NULL },
		{ "run", "--config", "/nonexistent/x.yaml", "extra", NULL },
		{ "sync", NULL },
		{ "sync", "frobnicate", "--config", "/nonexistent/x.yaml", NULL },
		{ "sync", "orders", "--config", "/nonexistent/x.yaml", NULL },
		{ "sync", "orders", "--config", "/nonexistent/x.yaml", "--all-not-synced", ID01, NULL },
		{ "status", NULL },
		{ "link", "--config", "/nonexistent/x.yaml", NULL },
		{ "link", "--config", "/nonexistent/x.yaml", "--list", "--remove", NULL },
		{ "run", "--config", "/nonexistent/x.yaml", NULL },
	};
	struct run_result r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_tt(cases[i], &r);
		ck_assert_msg(r.status == 2, "case %zu (%s %s): exit %d\n%s", i,
			      cases[i][0] ? cases[i][0] : "", cases[i][0] && cases[i][1] ? cases[i][1] : "",
			      r.status, r.err);
		ck_assert_msg(r.err[0] != '\0', "case %zu: nothing said on stderr", i);
		run_result_free(&r);
	}
}
END_TEST

/* ---- a store for configuration and exit-code cases ------------------------ */

static struct store S;
static int S_ok;
static char *good_cfg;

static void s_up(void)
{
	S_ok = harness_store_start("cli", NULL, &S) == 0;
	good_cfg = S_ok ? harness_read_file(S.config) : NULL;
	S_ok = S_ok && good_cfg != NULL;
}

static void s_down(void)
{
	harness_store_stop(&S);
	harness_rmtree(S.dir);
	free(good_cfg);
	good_cfg = NULL;
}

/* The good config with the first `from` replaced by `to`, written to
 * S.dir/name; *line gets the 1-based line of the replacement. */
static char *bad_config(const char *name, const char *from, const char *to, int *line)
{
	char path[800], *text, *at, *p;
	size_t len;

	at = strstr(good_cfg, from);
	ck_assert_msg(at != NULL, "'%s' not in the config", from);
	len = strlen(good_cfg) - strlen(from) + strlen(to);
	text = malloc(len + 1);
	memcpy(text, good_cfg, (size_t)(at - good_cfg));
	strcpy(text + (at - good_cfg), to);
	strcat(text, at + strlen(from));
	if (line) {
		*line = 1;
		for (p = good_cfg; p < at; p++)
			*line += *p == '\n';
	}
	snprintf(path, sizeof(path), "%s/%s", S.dir, name);
	ck_assert_int_eq(harness_write_file(path, text), 0);
	free(text);
	return strdup(path);
}

/* Run `ttsync run` (and `check-config`) on a config that must be refused
 * with exit 2 before any request; returns stderr of the run (caller frees). */
static char *refused(const char *path)
{
	const char *a[] = { "run", "--config", path, NULL };
	const char *c[] = { "check-config", "--config", path, NULL };
	struct run_result r;
	long tm = harness_log_mark(&S.tt), sm = harness_log_mark(&S.sh);
	char *err;

	run_tt(a, &r);
	ck_assert_msg(r.status == 2, "%s: exit %d\n%s", path, r.status, r.err);
	assert_no_secret(&r, NULL);
	err = strdup(r.err);
	run_result_free(&r);
	run_tt(c, &r);
	ck_assert_msg(r.status == 2, "check-config %s: exit %d\n%s", path, r.status, r.err);
	run_result_free(&r);
	ck_assert_int_eq(harness_log_mark(&S.tt), tm);
	ck_assert_int_eq(harness_log_mark(&S.sh), sm);
	return err;
}

START_TEST(test_config_unknown_key)
{
	char *path, *err, where[900];
	int line;

	ck_assert(S_ok);
	path = bad_config("unknown.yaml", "  order_auto_sync:", "  order_autosync:", &line);
	err = refused(path);
	snprintf(where, sizeof(where), "%s:%d:3", path, line);
	ck_assert_msg(strstr(err, where) != NULL, "no '%s' in: %s", where, err);
	ck_assert_msg(strstr(err, "order_autosync") && strstr(err, "did you mean order_auto_sync"),
		      "%s", err);
	free(err);
	free(path);
}
END_TEST

START_TEST(test_config_missing_secret_variable)
{
	char *path, *err, where[900];
	int line;

	ck_assert(S_ok);
	unsetenv("TTSYNC_E2E_NO_SUCH_SECRET");
	path = bad_config("noenv.yaml", "app_secret_file: app_secret",
			  "app_secret_env: TTSYNC_E2E_NO_SUCH_SECRET", &line);
	err = refused(path);
	snprintf(where, sizeof(where), "%s:%d:", path, line);
	ck_assert_msg(strstr(err, where) && strstr(err, "TTSYNC_E2E_NO_SUCH_SECRET"), "%s", err);
	free(err);
	free(path);
}
END_TEST

START_TEST(test_config_inline_secret)
{
	char *path, *err, where[900];
	int line;

	ck_assert(S_ok);
	path = bad_config("inline.yaml", "app_secret_file: app_secret",
			  "app_secret: demo_app_secret", &line);
	err = refused(path);	/* and the secret is not echoed */
	snprintf(where, sizeof(where), "%s:%d:", path, line);
	ck_assert_msg(strstr(err, where) && strstr(err, "app_secret_env") &&
		      strstr(err, "app_secret_file"), "%s", err);
	free(err);
	free(path);
}
END_TEST

START_TEST(test_config_secret_file_readable_by_others)
{
	char path[800], *cfg, *err;

	ck_assert(S_ok);
	snprintf(path, sizeof(path), "%s/open_secret", S.dir);
	ck_assert_int_eq(harness_write_file(path, "demo_app_secret"), 0);
	ck_assert_int_eq(chmod(path, 0644), 0);
	cfg = bad_config("open.yaml", "app_secret_file: app_secret",
			 "app_secret_file: open_secret", NULL);
	err = refused(cfg);
	ck_assert_msg(strstr(err, "open_secret") != NULL, "%s", err);
	free(err);
	free(cfg);
}
END_TEST

START_TEST(test_config_bad_yaml)
{
	char *path, *err;

	ck_assert(S_ok);
	path = bad_config("broken.yaml", "settings:\n", "settings: [\n", NULL);
	err = refused(path);
	ck_assert_msg(strstr(err, path) != NULL && strstr(err, ":") != NULL, "%s", err);
	free(err);
	free(path);
}
END_TEST

START_TEST(test_config_region_not_us)
{
	char *path, *err;
	const char *a[3][6];
	struct run_result r;
	int i;

	ck_assert(S_ok);
	path = bad_config("gb.yaml", "region: US", "region: GB", NULL);
	err = refused(path);
	ck_assert_msg(strstr(err, "GB") && strstr(err, "US"), "%s", err);
	free(err);
	/* Manual sync is refused alike. */
	a[0][0] = "sync"; a[0][1] = "orders"; a[0][2] = "--config"; a[0][3] = path;
	a[0][4] = ID01; a[0][5] = NULL;
	a[1][0] = "sync"; a[1][1] = "fulfillments"; a[1][2] = "--config"; a[1][3] = path;
	a[1][4] = "--all-not-synced"; a[1][5] = NULL;
	a[2][0] = "run"; a[2][1] = "--config"; a[2][2] = path; a[2][3] = "--dry-run";
	a[2][4] = NULL;
	for (i = 0; i < 3; i++) {
		run_tt(a[i], &r);
		ck_assert_msg(r.status == 2 && strstr(r.err, "GB"), "case %d: exit %d %s", i,
			      r.status, r.err);
		run_result_free(&r);
	}
	free(path);
}
END_TEST

/* ---- exit 0 ---------------------------------------------------------------- */

START_TEST(test_all_synced_exit_0)
{
	char *dir = harness_mkdtemp("gen"), tt[700], sh[700];
	const char *gen[] = { "fixturegen", "--orders", "6", "--seed", "11", "--out", dir, NULL };
	const char *run[4];
	struct store_opts o;
	struct store s;
	struct run_result r;
	long long now;

	ck_assert_ptr_nonnull(dir);
	ck_assert_int_eq(harness_run(gen, NULL, 60, &r), 0);
	run_result_free(&r);
	snprintf(tt, sizeof(tt), "%s/tiktok.json", dir);
	snprintf(sh, sizeof(sh), "%s/shopify.json", dir);
	memset(&o, 0, sizeof(o));
	o.tt_data = tt;
	o.sh_data = sh;
	o.order_auto_sync = 1;
	ck_assert_int_eq(store_start("cli-ok", &o, &s), 0);
	run[0] = "run"; run[1] = "--config"; run[2] = s.config; run[3] = NULL;
	now = harness_store_advance(&s, 0);
	harness_ttsync_at(now, run, NULL, 120, &r);
	ck_assert_msg(r.status == 0, "exit %d\n%s", r.status, r.err);
	ck_assert_int_eq(harness_log_count(&s.sh, "POST", NULL, "orderCreate"), 6);
	run_result_free(&r);
	now = harness_store_advance(&s, 3600);
	harness_ttsync_at(now, run, NULL, 120, &r);
	ck_assert_msg(r.status == 0, "second run: exit %d\n%s", r.status, r.err);
	run_result_free(&r);
	store_stop(&s);
	harness_rmtree(dir);
	free(dir);
}
END_TEST

/* ---- exit 3 ----------------------------------------------------------------- */

/* A run on a store with these options: exit 3, no order search, no write. */
static void aborted(const char *tag, struct store_opts *o, void (*before)(struct store *),
		    const char *must_say, const char *secret)
{
	const char *run[4];
	struct store s;
	struct run_result r;
	long long now;
	json_t *html_rows;

	ck_assert_int_eq(store_start(tag, o, &s), 0);
	run[0] = "run"; run[1] = "--config"; run[2] = s.config; run[3] = NULL;
	now = harness_store_advance(&s, 0);
	if (before)
		before(&s);
	harness_ttsync_at(now, run, NULL, 120, &r);
	ck_assert_msg(r.status == 3, "%s: exit %d\n%s", tag, r.status, r.err);
	ck_assert_msg(strstr(r.err, must_say) != NULL, "%s: stderr does not say '%s':\n%s",
		      tag, must_say, r.err);
	assert_no_secret(&r, secret);
	if (s.tt.pid > 0)
		ck_assert_int_eq(harness_log_count(&s.tt, NULL, "/order/", NULL), 0);
	if (s.sh.pid > 0)
		ck_assert_int_eq(harness_log_count(&s.sh, "POST", NULL, "mutation"), 0);
	/* The aborted run is reported, with its reason. */
	html_rows = harness_report_csv(&s, "items.csv");
	if (html_rows != NULL) {
		char *html = harness_read_file(harness_report_path(&s, "report.html"));

		ck_assert_ptr_nonnull(html);
		ck_assert_msg(strcasestr(html, "aborted") != NULL, "%s: report.html does not "
			      "say the run was aborted", tag);
		if (secret)
			ck_assert_msg(strstr(html, secret) == NULL, "report shows %s", secret);
		free(html);
	}
	json_decref(html_rows);
	run_result_free(&r);
	store_stop(&s);
}

START_TEST(test_wrong_app_secret_exit_3)
{
	struct store_opts o;

	memset(&o, 0, sizeof(o));
	o.app_secret = "not_the_app_secret_42";
	aborted("cli-secret", &o, NULL, "106001", "not_the_app_secret_42");
}
END_TEST

START_TEST(test_shopify_401_exit_3)
{
	struct store_opts o;

	memset(&o, 0, sizeof(o));
	o.shopify_token = "shpat_not_the_token_42";
	aborted("cli-401", &o, NULL, "401", "shpat_not_the_token_42");
}
END_TEST

static void stop_shopify(struct store *s)
{
	harness_stop_emu(&s->sh);
}

static void stop_tiktok(struct store *s)
{
	harness_stop_emu(&s->tt);
}

START_TEST(test_unreachable_exit_3)
{
	struct store_opts o;

	memset(&o, 0, sizeof(o));
	o.max_attempts = 2;
	o.timeout_seconds = 5;
	aborted("cli-down-sh", &o, stop_shopify, "Shopify", NULL);
	aborted("cli-down-tt", &o, stop_tiktok, "TikTok", NULL);
}
END_TEST

/* ---- exit 4 ------------------------------------------------------------------ */

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* A run and a manual sync that meet the lock: exit 4 at once, no request,
 * no report, the state unchanged. */
static void locked_out(struct store *s, long long now, const char *holder_pid)
{
	const char *run[] = { "run", "--config", s->config, NULL };
	const char *sync[] = { "sync", "orders", "--config", s->config, ID01, NULL };
	const char *const *cmds[] = { run, sync };
	char *before = harness_state_dump(s->state), *after;
	int reports = count_entries(s->reports), i;
	long tm = harness_log_mark(&s->tt), sm = harness_log_mark(&s->sh);
	struct run_result r;
	double t;

	ck_assert_ptr_nonnull(before);
	for (i = 0; i < 2; i++) {
		t = mono();
		harness_ttsync_at(now, cmds[i], NULL, 60, &r);
		t = mono() - t;
		ck_assert_msg(r.status == 4, "%s: exit %d\n%s", cmds[i][0], r.status, r.err);
		ck_assert_msg(t < 5.0, "%s: took %.1f s to give up", cmds[i][0], t);
		ck_assert_msg(strstr(r.err, "lock") != NULL, "%s", r.err);
		if (holder_pid)
			ck_assert_msg(strstr(r.err, holder_pid) != NULL, "the holder's pid %s is "
				      "not named: %s", holder_pid, r.err);
		run_result_free(&r);
	}
	ck_assert_int_eq(harness_log_mark(&s->tt), tm);
	ck_assert_int_eq(harness_log_mark(&s->sh), sm);
	ck_assert_int_eq(count_entries(s->reports), reports);
	after = harness_state_dump(s->state);
	ck_assert_ptr_nonnull(after);
	ck_assert_msg(strcmp(before, after) == 0, "the locked-out run changed the state");
	free(before);
	free(after);
}

START_TEST(test_lock_held_by_this_process_exit_4)
{
	const char *run[4];
	struct store s;
	struct run_result r;
	char lock[700];
	long long now;
	int fd;

	ck_assert_int_eq(store_start("cli-lock", NULL, &s), 0);
	run[0] = "run"; run[1] = "--config"; run[2] = s.config; run[3] = NULL;
	now = harness_store_advance(&s, 0);
	harness_ttsync_at(now, run, NULL, 120, &r);
	ck_assert_msg(r.status == 1, "first run: exit %d\n%s", r.status, r.err);
	run_result_free(&r);
	snprintf(lock, sizeof(lock), "%s.lock", s.state);
	fd = open(lock, O_RDWR | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	locked_out(&s, harness_store_advance(&s, 60), NULL);
	close(fd);
	/* Released: the next run goes ahead. */
	harness_ttsync_at(harness_store_advance(&s, 60), run, NULL, 120, &r);
	ck_assert_msg(r.status == 0 || r.status == 1, "after the lock: exit %d\n%s",
		      r.status, r.err);
	run_result_free(&r);
	store_stop(&s);
}
END_TEST

/* Is the lock file locked by someone else? */
static int lock_taken(const char *path)
{
	int fd = open(path, O_RDWR), busy = 0;

	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0)
		busy = errno == EWOULDBLOCK;
	else
		flock(fd, LOCK_UN);
	close(fd);
	return busy;
}

START_TEST(test_lock_held_by_a_hanging_run_exit_4)
{
	struct store_opts o;
	struct store s;
	char lock[700], pin[64], pidtxt[32], out[800], err[800];
	const char *argv[5], *env[2];
	json_t *f;
	long long now;
	pid_t bg;
	int waited, status;
	struct timespec ts = { 0, 10 * 1000000L };

	memset(&o, 0, sizeof(o));
	o.timeout_seconds = 60;
	ck_assert_int_eq(store_start("cli-lock-hang", &o, &s), 0);
	f = harness_emu_post(&s.tt, "/_emu/faults",
			     "{\"match\": {\"path\": \"/order/202309/orders/search\"}, "
			     "\"count\": 1, \"kind\": \"hang\"}");
	ck_assert_ptr_nonnull(f);
	json_decref(f);
	now = harness_store_advance(&s, 0);
	snprintf(pin, sizeof(pin), "TTSYNC_NOW=%lld", now);
	snprintf(out, sizeof(out), "%s/bg.out", s.dir);
	snprintf(err, sizeof(err), "%s/bg.err", s.dir);
	argv[0] = "ttsync"; argv[1] = "run"; argv[2] = "--config"; argv[3] = s.config;
	argv[4] = NULL;
	env[0] = pin;
	env[1] = NULL;
	bg = harness_spawn(argv, env, out, err);
	ck_assert_int_gt(bg, 0);
	live_bg = bg;
	/* Wait (bounded) until the background run holds the lock and has
	 * reached TikTok's order search, where the emulator holds it. */
	snprintf(lock, sizeof(lock), "%s.lock", s.state);
	for (waited = 0; waited < 20000; waited += 10) {
		if (lock_taken(lock) && harness_log_count(&s.sh, "POST", NULL, "Shop") >= 1)
			break;
		nanosleep(&ts, NULL);
	}
	ck_assert_msg(waited < 20000, "the background run never took the lock");
	ck_assert_msg(waitpid(bg, &status, WNOHANG) == 0, "the background run ended");
	snprintf(pidtxt, sizeof(pidtxt), "%ld", (long)bg);
	locked_out(&s, now, pidtxt);
	kill(bg, SIGKILL);
	waitpid(bg, &status, 0);
	live_bg = 0;
	store_stop(&s);
}
END_TEST

/* ---- a non-US TikTok shop -------------------------------------------------- */

START_TEST(test_non_us_shop_refused)
{
	char src[700], dst[700];
	json_error_t jerr;
	json_t *root, *shop;
	struct store_opts o;
	struct store s;
	struct run_result r;
	const char *run[4], *sync[6];
	char *dir = harness_mkdtemp("gb");
	long long now;

	ck_assert_ptr_nonnull(dir);
	snprintf(src, sizeof(src), "%s/fixtures/demo/tiktok.json", harness_top());
	snprintf(dst, sizeof(dst), "%s/tiktok-gb.json", dir);
	root = json_load_file(src, 0, &jerr);
	ck_assert_msg(root != NULL, "%s", jerr.text);
	shop = json_array_get(json_object_get(root, "shops"), 0);
	ck_assert_ptr_nonnull(shop);
	json_object_set_new(shop, "region", json_string("GB"));
	ck_assert_int_eq(json_dump_file(root, dst, JSON_INDENT(1)), 0);
	json_decref(root);
	memset(&o, 0, sizeof(o));
	o.tt_data = dst;
	o.order_auto_sync = 1;
	ck_assert_int_eq(store_start("cli-gb", &o, &s), 0);
	run[0] = "run"; run[1] = "--config"; run[2] = s.config; run[3] = NULL;
	sync[0] = "sync"; sync[1] = "orders"; sync[2] = "--config"; sync[3] = s.config;
	sync[4] = ID01; sync[5] = NULL;
	now = harness_store_advance(&s, 0);
	harness_ttsync_at(now, run, NULL, 120, &r);
	ck_assert_msg(r.status == 2, "exit %d\n%s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "GB") && strstr(r.err, "US"), "%s", r.err);
	run_result_free(&r);
	harness_ttsync_at(now, sync, NULL, 120, &r);
	ck_assert_msg(r.status == 2 && strstr(r.err, "GB"), "sync orders: exit %d\n%s",
		      r.status, r.err);
	run_result_free(&r);
	/* Nothing read, nothing written. */
	ck_assert_int_eq(harness_log_count(&s.tt, NULL, "/order/", NULL), 0);
	ck_assert_int_eq(harness_log_count(&s.tt, "POST", "/fulfillment/", NULL), 0);
	ck_assert_int_eq(harness_log_count(&s.sh, "POST", NULL, "mutation"), 0);
	store_stop(&s);
	harness_rmtree(dir);
	free(dir);
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("e2e_cli");
	TCase *tc;

	tc = tcase_create("usage");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_help_on_every_command);
	tcase_add_test(tc, test_usage_errors_exit_2);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_unchecked_fixture(tc, s_up, s_down);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_config_unknown_key);
	tcase_add_test(tc, test_config_missing_secret_variable);
	tcase_add_test(tc, test_config_inline_secret);
	tcase_add_test(tc, test_config_secret_file_readable_by_others);
	tcase_add_test(tc, test_config_bad_yaml);
	tcase_add_test(tc, test_config_region_not_us);
	suite_add_tcase(s, tc);

	tc = tcase_create("exit_codes");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_all_synced_exit_0);
	tcase_add_test(tc, test_wrong_app_secret_exit_3);
	tcase_add_test(tc, test_shopify_401_exit_3);
	tcase_add_test(tc, test_unreachable_exit_3);
	tcase_add_test(tc, test_lock_held_by_this_process_exit_4);
	tcase_add_test(tc, test_lock_held_by_a_hanging_run_exit_4);
	tcase_add_test(tc, test_non_us_shop_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cli_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

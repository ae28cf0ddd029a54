/*
 * harness.h - test harness shared by the emulator conformance suites, the
 * end-to-end suites and the benchmarks: start an emulator on a free
 * loopback port (--port 0 --port-file), talk to it (platform or /_emu/
 * control requests), run the real ttsync binary, stop everything.
 *
 * Paths come from the environment set by tests/run-tests.sh:
 *   TTSYNC_BUILD_DIR  where ttsync, tiktok-emu, shopify-emu live
 *   TTSYNC_TOP        the repository root (fixtures/, config/)
 *   TTSYNC_SHARED     ../shared (tools, platform specs)
 *   TTSYNC_TEST_LOGDIR where request logs go (the oracles read them there)
 * Without them, defaults relative to the current directory are used
 * (run from the repository root).
 */
#ifndef TTSYNC_HARNESS_H
#define TTSYNC_HARNESS_H

#include <jansson.h>
#include <sys/types.h>

struct emu_proc {
	const char *kind;	/* "tiktok" / "shopify" */
	pid_t pid;
	int port;
	char base_url[64];	/* "http://127.0.0.1:PORT" */
	char log_path[512];	/* request log (JSON lines) */
	char dir[512];		/* private temp dir (port file, pid file) */
};

const char *harness_build_dir(void);
const char *harness_top(void);
const char *harness_shared(void);
/* A fresh private directory under TMPDIR; caller frees the string. */
char *harness_mkdtemp(const char *tag);

/* Start tiktok-emu or shopify-emu with --data data_file plus extra args
 * (NULL-terminated, may be NULL). `tag` names the log file
 * ($TTSYNC_TEST_LOGDIR/<kind>-<tag>.log). Returns 0 once the port file is
 * there, -1 (with a message on stderr) if it did not start in 10 s. */
int harness_start_emu(const char *kind, const char *data_file,
		      const char *tag, const char *const *extra_args,
		      struct emu_proc *out);
/* SIGTERM then wait (SIGKILL after 5 s). Safe on a stopped proc. */
void harness_stop_emu(struct emu_proc *p);

/* One HTTP exchange with libcurl. headers: NULL-terminated "Name: value"
 * list or NULL. Returns 0 if an HTTP response arrived (*status, *body
 * malloc'ed, NUL-terminated), -1 otherwise. */
int harness_http(const char *method, const char *url,
		 const char *const *headers, const char *body, long *status,
		 char **resp_body);
/* Control requests to an emulator; return the parsed JSON (caller
 * json_decref) or NULL on any failure. */
json_t *harness_emu_get(const struct emu_proc *p, const char *path);
json_t *harness_emu_post(const struct emu_proc *p, const char *path,
			 const char *json_body);
json_t *harness_emu_delete(const struct emu_proc *p, const char *path);
/* The request log parsed (array of objects). */
json_t *harness_emu_log(const struct emu_proc *p);

/* Run a program (argv[0] relative to the build dir if it has no '/'),
 * with extra environment entries "NAME=value" (NULL-terminated, may be
 * NULL). Captures stdout/stderr. Returns the exit status (0..255), or
 * 128+signal, or -1 if it could not run. timeout_s kills it (SIGKILL). */
struct run_result {
	int status;
	char *out, *err;
};
int harness_run(const char *const *argv, const char *const *env,
		int timeout_s, struct run_result *r);
void run_result_free(struct run_result *r);

/* Start a program in the background (same argv rules); returns its pid. */
pid_t harness_spawn(const char *const *argv, const char *const *env,
		    const char *out_path, const char *err_path);

/* ---- ttsync against the emulators ---- */

/* A store under test: both emulators, a private directory with secrets
 * (mode 0600 files), a config, the state file and the reports folder. */
struct store {
	struct emu_proc tt, sh;
	char dir[512];		/* private temp dir */
	char config[600];	/* dir/ttsync.yaml */
	char state[600];	/* dir/state.sqlite */
	char reports[600];	/* dir/reports */
};

/* Options for the config harness_store_config() writes. NULL/0 = the
 * defaults below. */
struct store_opts {
	const char *tt_data, *sh_data;	/* fixtures (default fixtures/demo/...) */
	int order_auto_sync;		/* default 0 (the product's default) */
	int fulfillment_auto_sync_off;	/* default: on */
	const char *extra_settings;	/* YAML lines appended under settings: (indented 2) */
	const char *extra_yaml;		/* YAML appended at top level (e.g. carrier_rules:) */
	int timeout_seconds;		/* network.timeout_seconds, default 10 */
	int max_attempts;		/* network.max_attempts, default 4 */
	const char *app_secret, *access_token, *refresh_token, *shopify_token;
					/* defaults: the demo fixture's */
	const char *const *tt_args, *const *sh_args; /* extra emulator args */
};

/* Start both emulators (logs tagged "<tag>"), write the config. */
int harness_store_start(const char *tag, const struct store_opts *o,
			struct store *s);
/* Rewrite the config (e.g. other settings) for running emulators. */
int harness_store_config(struct store *s, const struct store_opts *o);
void harness_store_stop(struct store *s);

/* Run the real ttsync ("ttsync" or "ttsync-crashtest") with argv after
 * the program name, e.g. {"run", "--config", s->config, NULL}. env entries
 * "NAME=value" are added (NULL-terminated, may be NULL). */
int harness_ttsync(const char *prog, const char *const *args,
		   const char *const *env, int timeout_s, struct run_result *r);

/* The newest run's CSV (name "synced.csv", "failed.csv", "items.csv") as
 * a JSON array of objects keyed by the header row; NULL if missing. */
json_t *harness_report_csv(const struct store *s, const char *name);
/* Path of reports/latest/<name> (static buffer). */
const char *harness_report_path(const struct store *s, const char *name);

/* Emulator state helpers. */
json_t *harness_shopify_orders(const struct store *s);	/* state "orders" array */
json_t *harness_tiktok_order(const struct store *s, const char *id);
/* Count requests in an emulator's log matching method + path prefix (and,
 * for Shopify, a GraphQL operation/root field substring in the body). */
int harness_log_count(const struct emu_proc *p, const char *method,
		      const char *path_prefix, const char *body_substr);

/* Read a whole file (NULL if missing); write one (0 / -1). */
char *harness_read_file(const char *path);
int harness_write_file(const char *path, const char *text);

/* ---- time, events, fixtures (added for the fulfillment suites) ---- */

/* Advance both emulator clocks of a store by `seconds` (may be 0) and
 * return the TikTok emulator's clock afterwards (epoch seconds), or -1.
 * Run ttsync with TTSYNC_NOW=<that value> so the three clocks agree and
 * every event played before the call lies before the run's "now". */
long long harness_store_advance(struct store *s, long long seconds);
/* Run the real ttsync with TTSYNC_NOW=now (pinned) plus env. */
int harness_ttsync_at(long long now, const char *const *args,
		      const char *const *env, int timeout_s,
		      struct run_result *r);
/* POST /_emu/event. Takes ownership of ev. Returns the emulator's answer
 * (caller json_decref), or NULL when the emulator refused the event (its
 * "error" is printed on stderr) or did not answer. */
json_t *harness_emu_event(const struct emu_proc *p, json_t *ev);
/* The Shopify order of the emulator state whose sourceIdentifier is
 * source_id (new reference), or NULL. */
json_t *harness_shopify_order_by_source(const struct store *s,
					const char *source_id);
/* The logged requests matching the filters of harness_log_count(), as a
 * new JSON array (caller json_decref); NULL if the log is unreadable. */
json_t *harness_log_select(const struct emu_proc *p, const char *method,
			   const char *path_prefix, const char *body_substr);
/* Copy the fixture `src` to dir/name keeping only the orders whose "id"
 * is listed (NULL-terminated); returns the new file's path (caller frees)
 * or NULL. Everything else in the file is kept as is. */
char *harness_fixture_subset(const char *src, const char *dir,
			     const char *name, const char *const *order_ids);
/* Rows of the newest run's CSV `name` for one TikTok order (NULL: any)
 * and object ("order", "fulfillment", "config"; NULL: any), as a new
 * array (caller json_decref); NULL when the CSV is missing. */
json_t *harness_report_rows(const struct store *s, const char *name,
			    const char *tt_order_id, const char *object);

/* ---- request-log slices and state dumps (added for the order suites) ---- */

/* How many requests an emulator has logged so far (-1 if unreadable): a
 * mark before a run, so that harness_log_since() gives what the run sent. */
long harness_log_mark(const struct emu_proc *p);
/* The logged requests from index `mark` on, as a new JSON array (caller
 * json_decref); NULL if the log is unreadable. */
json_t *harness_log_since(const struct emu_proc *p, long mark);
/* Write calls among logged requests (an array as returned above):
 * kind "shopify" counts GraphQL mutations (the document's first keyword
 * is `mutation`); kind "tiktok" counts POSTs other than searches (paths
 * ending in /search) and token calls. If `root` is given, only Shopify
 * mutations whose body mentions it (e.g. "orderCreate"). */
int harness_log_writes(const json_t *entries, const char *kind,
		       const char *root);
/* Every row of every table of a SQLite state file, tables by name, rows
 * in rowid/primary-key order, as one text (caller frees); "" for a file
 * without tables, NULL if it cannot be read. Equal texts = same state. */
char *harness_state_dump(const char *path);

/* ---- state queries (added for the crash and fault suites) ---- */

/* One integer from a read-only SQL query on a SQLite state file (the
 * first column of the first row; e.g. "SELECT count(*) FROM intents WHERE
 * state IN (0, 3)"). Returns -1 when the file or the query fails. */
long long harness_state_int(const char *path, const char *sql);
/* Every row of a read-only SQL query, columns joined by '|' (NULL as ""),
 * rows ended by '\n', as one text (caller frees); "" for no rows, NULL
 * when the file or the query fails. */
char *harness_state_text(const char *path, const char *sql);

/* ---- clean-up (added for the order suites) ---- */

/* Remove a directory tree (a store's private directory once its test is
 * over; symlinks are removed, not followed). 0, or -1 if something stayed. */
int harness_rmtree(const char *path);

/* Emulators outlive a test that fails: in Check's fork mode a failed
 * assertion ends the test process with _exit(), so neither atexit()
 * handlers nor checked teardowns run. harness_reaper_init() (call once in
 * main, before srunner_run_all) starts a registry; harness_reaper_add()
 * (in the test, after harness_store_start) records a store's emulators;
 * harness_reaper_kill() (in main, after the run) stops every recorded
 * emulator still running. */
int harness_reaper_init(void);
void harness_reaper_add(const struct store *s);
void harness_reaper_kill(void);

#endif

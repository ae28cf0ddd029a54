/*
 * state.c - the only SQLite user. Owns the state file of one store: its
 * schema and migrations (PRAGMA user_version), order snapshots with their
 * sync status, the TikTok unit -> Shopify line map, fulfillment records,
 * product links, intents (the write-ahead journal of non-idempotent remote
 * calls), cursors, the TikTok token pair, runs and the shipping provider
 * cache.
 *
 * The file is created with mode 0600 before SQLite opens it (it holds the
 * token pair; SQLite gives its -wal and -shm files the same mode). WAL and
 * synchronous=FULL: once a function has returned, what it wrote survives
 * SIGKILL and power loss. A missing file is a first run; a file that is not
 * a ttsync database, or has a newer schema, is refused with ERR_STATE.
 *
 * Statements are prepared once per connection and reused. Each function is
 * its own transaction unless the caller opened one with state_begin().
 * Iterators first collect the keys, then read and hand over one record at
 * a time, so callbacks may write to the state and memory stays small.
 */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 5000	/* a concurrent `ttsync status` reader may hold a snapshot */
#define MAX_FILTER_IDS 30000	/* below SQLite's bound-parameter limit */

/* ------------------------------------------------------------------ */
/* Schema. migrations[i] takes user_version i to i+1. Never edit a
 * released step: add one.                                              */

static const char *const migrations[] = {
	/* 1: initial schema */
	"CREATE TABLE orders ("
	"  tt_id TEXT PRIMARY KEY NOT NULL,"	/* never twice: one row per TikTok order */
	"  tt_status TEXT NOT NULL,"
	"  fulfillment_type TEXT, shipping_type TEXT,"
	"  create_time INTEGER NOT NULL, update_time INTEGER NOT NULL,"
	"  snapshot TEXT,"
	"  status TEXT NOT NULL DEFAULT 'not_synced',"
	"  reason_code TEXT, reason TEXT, remedy TEXT,"
	"  retry INTEGER NOT NULL DEFAULT 0,"
	"  sh_gid TEXT UNIQUE, sh_name TEXT, sh_legacy_id TEXT,"
	"  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
	"  synced_at INTEGER NOT NULL DEFAULT 0,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  cancel_state INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX orders_by_create ON orders(create_time, tt_id);"
	"CREATE INDEX orders_by_status ON orders(status);"
	"CREATE TABLE units ("
	"  tt_id TEXT NOT NULL, seq INTEGER NOT NULL,"
	"  tt_line_id TEXT NOT NULL, sh_line_item_id TEXT NOT NULL,"
	"  PRIMARY KEY (tt_id, tt_line_id));"
	"CREATE TABLE fulfillments ("
	"  key TEXT PRIMARY KEY NOT NULL, dir INTEGER NOT NULL,"
	"  tt_order_id TEXT NOT NULL, sh_fulfillment_id TEXT, tt_package_id TEXT,"
	"  tracking_number TEXT, carrier TEXT, provider_id TEXT, provider_name TEXT,"
	"  shipped_at INTEGER NOT NULL DEFAULT 0,"
	"  tracking_updates INTEGER NOT NULL DEFAULT 0,"
	"  events_sent INTEGER NOT NULL DEFAULT 0,"
	"  status TEXT NOT NULL, reason_code TEXT, reason TEXT, remedy TEXT,"
	"  retry INTEGER NOT NULL DEFAULT 0, warning TEXT,"
	"  updated_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX fulfillments_by_order ON fulfillments(tt_order_id);"
	"CREATE INDEX fulfillments_by_status ON fulfillments(status);"
	"CREATE TABLE ful_lines ("
	"  key TEXT NOT NULL, seq INTEGER NOT NULL, tt_line_id TEXT NOT NULL,"
	"  PRIMARY KEY (key, seq));"
	"CREATE TABLE links ("
	"  id INTEGER PRIMARY KEY, tt_sku_id TEXT, seller_sku TEXT,"
	"  variant_id TEXT NOT NULL, source TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  CHECK (tt_sku_id IS NOT NULL OR seller_sku IS NOT NULL));"
	"CREATE UNIQUE INDEX links_by_tt_sku ON links(tt_sku_id)"
	"  WHERE tt_sku_id IS NOT NULL;"
	"CREATE UNIQUE INDEX links_by_seller_sku ON links(seller_sku)"
	"  WHERE tt_sku_id IS NULL;"
	"CREATE TABLE intents ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  kind TEXT NOT NULL, object_key TEXT NOT NULL, payload TEXT,"
	"  state INTEGER NOT NULL, result TEXT, run_id TEXT,"
	"  created_at INTEGER NOT NULL, finished_at INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX intents_by_object ON intents(kind, object_key, state);"
	"CREATE INDEX intents_by_state ON intents(state);"
	"CREATE TABLE cursors (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL);"
	"CREATE TABLE token ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  access_token TEXT NOT NULL, access_expire INTEGER NOT NULL,"
	"  refresh_token TEXT NOT NULL, refresh_expire INTEGER NOT NULL);"
	"CREATE TABLE runs ("
	"  run_id TEXT PRIMARY KEY NOT NULL, command TEXT, dry_run INTEGER NOT NULL,"
	"  started_at INTEGER NOT NULL, finished_at INTEGER NOT NULL DEFAULT 0,"
	"  exit_code INTEGER, stats TEXT);"
	"CREATE TABLE provider_lists ("
	"  delivery_option_id TEXT PRIMARY KEY NOT NULL, fetched_at INTEGER NOT NULL);"
	"CREATE TABLE providers ("
	"  delivery_option_id TEXT NOT NULL, seq INTEGER NOT NULL,"
	"  provider_id TEXT NOT NULL, name TEXT NOT NULL,"
	"  PRIMARY KEY (delivery_option_id, seq));",
};
#define SCHEMA_VERSION ((int)ARRAY_SIZE(migrations))

/* ------------------------------------------------------------------ */
/* Statements, prepared on first use and kept for the connection.       */

#define ORDER_COLS \
	"tt_id, tt_status, fulfillment_type, shipping_type, create_time," \
	" update_time, snapshot, status, reason_code, reason, remedy, retry," \
	" sh_gid, sh_name, sh_legacy_id, first_seen, last_seen, synced_at," \
	" attempts, cancel_state"
#define FUL_COLS \
	"key, dir, tt_order_id, sh_fulfillment_id, tt_package_id," \
	" tracking_number, carrier, provider_id, provider_name, shipped_at," \
	" tracking_updates, events_sent, status, reason_code, reason, remedy," \
	" retry, warning, updated_at"
#define INTENT_COLS \
	"id, kind, object_key, payload, state, result, run_id, created_at," \
	" finished_at"

enum q {
	Q_RUN_START, Q_RUN_FINISH,
	Q_CURSOR_GET, Q_CURSOR_SET,
	Q_TOKEN_GET, Q_TOKEN_PUT,
	Q_ORDER_PUT, Q_ORDER_GET, Q_ORDER_STATUS, Q_ORDER_LINK, Q_ORDER_CANCEL,
	Q_ORDER_BY_GID, Q_ORDER_COUNT, Q_ORDER_COUNT_ALL,
	Q_UNITS_DEL, Q_UNITS_ADD, Q_UNITS_GET,
	Q_FUL_PUT, Q_FUL_GET, Q_FUL_LINES_DEL, Q_FUL_LINES_ADD, Q_FUL_LINES_GET,
	Q_FUL_KEYS_ORDER, Q_FUL_KEYS_ALL, Q_FUL_KEYS_STATUS,
	Q_LINK_PUT_SKU, Q_LINK_PUT_SELLER, Q_LINK_BY_SKU, Q_LINK_BY_SELLER,
	Q_LINK_DEL_SKU, Q_LINK_DEL_SELLER, Q_LINK_ALL,
	Q_INTENT_ADD, Q_INTENT_FINISH, Q_INTENT_OPEN, Q_INTENT_CLOSE_ALL,
	Q_INTENT_GET, Q_INTENT_OPEN_IDS,
	Q_PROV_DEL, Q_PROV_ADD, Q_PROV_LIST_PUT, Q_PROV_LIST_GET, Q_PROV_GET,
	Q_PROV_NAMES,
	Q_PROV_OPTIONS,
	Q_COUNT
};

static const char *const sql[Q_COUNT] = {
	[Q_RUN_START] = "INSERT INTO runs (run_id, command, dry_run, started_at)"
		" VALUES (?1, ?2, ?3, ?4)",
	[Q_RUN_FINISH] = "UPDATE runs SET finished_at = ?2, exit_code = ?3,"
		" stats = ?4 WHERE run_id = ?1",
	[Q_CURSOR_GET] = "SELECT value FROM cursors WHERE name = ?1",
	[Q_CURSOR_SET] = "INSERT INTO cursors (name, value) VALUES (?1, ?2)"
		" ON CONFLICT(name) DO UPDATE SET value = excluded.value",
	[Q_TOKEN_GET] = "SELECT access_token, access_expire, refresh_token,"
		" refresh_expire FROM token WHERE id = 1",
	[Q_TOKEN_PUT] = "INSERT OR REPLACE INTO token (id, access_token,"
		" access_expire, refresh_token, refresh_expire)"
		" VALUES (1, ?1, ?2, ?3, ?4)",
	[Q_ORDER_PUT] = "INSERT INTO orders (tt_id, tt_status, fulfillment_type,"
		" shipping_type, create_time, update_time, snapshot, first_seen,"
		" last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)"
		" ON CONFLICT(tt_id) DO UPDATE SET tt_status = excluded.tt_status,"
		" fulfillment_type = excluded.fulfillment_type,"
		" shipping_type = excluded.shipping_type,"
		" create_time = excluded.create_time,"
		" update_time = excluded.update_time,"
		" snapshot = excluded.snapshot, last_seen = excluded.last_seen",
	[Q_ORDER_GET] = "SELECT " ORDER_COLS " FROM orders WHERE tt_id = ?1",
	[Q_ORDER_STATUS] = "UPDATE orders SET status = ?2, reason_code = ?3,"
		" reason = ?4, remedy = ?5, retry = ?6,"
		" synced_at = CASE WHEN ?2 = 'synced' AND synced_at = 0 THEN ?7"
		"   ELSE synced_at END,"
		" attempts = attempts + (?2 = 'failed')"
		" WHERE tt_id = ?1",
	[Q_ORDER_LINK] = "UPDATE orders SET sh_gid = ?2, sh_name = ?3,"
		" sh_legacy_id = ?4, last_seen = MAX(last_seen, ?5) WHERE tt_id = ?1",
	[Q_ORDER_CANCEL] = "UPDATE orders SET cancel_state = ?2 WHERE tt_id = ?1",
	[Q_ORDER_BY_GID] = "SELECT tt_id FROM orders WHERE sh_gid = ?1",
	[Q_ORDER_COUNT] = "SELECT COUNT(*) FROM orders WHERE status = ?1",
	[Q_ORDER_COUNT_ALL] = "SELECT COUNT(*) FROM orders",
	[Q_UNITS_DEL] = "DELETE FROM units WHERE tt_id = ?1",
	[Q_UNITS_ADD] = "INSERT INTO units (tt_id, seq, tt_line_id, sh_line_item_id)"
		" VALUES (?1, ?2, ?3, ?4)",
	[Q_UNITS_GET] = "SELECT tt_line_id, sh_line_item_id FROM units"
		" WHERE tt_id = ?1 ORDER BY seq",
	[Q_FUL_PUT] = "INSERT OR REPLACE INTO fulfillments (" FUL_COLS ")"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
		" ?14, ?15, ?16, ?17, ?18, ?19)",
	[Q_FUL_GET] = "SELECT " FUL_COLS " FROM fulfillments WHERE key = ?1",
	[Q_FUL_LINES_DEL] = "DELETE FROM ful_lines WHERE key = ?1",
	[Q_FUL_LINES_ADD] = "INSERT INTO ful_lines (key, seq, tt_line_id)"
		" VALUES (?1, ?2, ?3)",
	[Q_FUL_LINES_GET] = "SELECT tt_line_id FROM ful_lines WHERE key = ?1"
		" ORDER BY seq",
	[Q_FUL_KEYS_ORDER] = "SELECT key FROM fulfillments WHERE tt_order_id = ?1"
		" ORDER BY rowid",
	[Q_FUL_KEYS_ALL] = "SELECT key FROM fulfillments ORDER BY tt_order_id, rowid",
	[Q_FUL_KEYS_STATUS] = "SELECT key FROM fulfillments WHERE status = ?1"
		" ORDER BY tt_order_id, rowid",
	[Q_LINK_PUT_SKU] = "INSERT INTO links (tt_sku_id, seller_sku, variant_id,"
		" source, created_at) VALUES (?1, ?2, ?3, ?4, ?5)"
		" ON CONFLICT(tt_sku_id) WHERE tt_sku_id IS NOT NULL DO UPDATE SET"
		" seller_sku = excluded.seller_sku, variant_id = excluded.variant_id,"
		" source = excluded.source, created_at = excluded.created_at",
	[Q_LINK_PUT_SELLER] = "INSERT INTO links (tt_sku_id, seller_sku,"
		" variant_id, source, created_at) VALUES (NULL, ?1, ?2, ?3, ?4)"
		" ON CONFLICT(seller_sku) WHERE tt_sku_id IS NULL DO UPDATE SET"
		" variant_id = excluded.variant_id, source = excluded.source,"
		" created_at = excluded.created_at",
	[Q_LINK_BY_SKU] = "SELECT tt_sku_id, seller_sku, variant_id, source,"
		" created_at FROM links WHERE tt_sku_id = ?1",
	[Q_LINK_BY_SELLER] = "SELECT tt_sku_id, seller_sku, variant_id, source,"
		" created_at FROM links WHERE seller_sku = ?1 AND tt_sku_id IS NULL",
	[Q_LINK_DEL_SKU] = "DELETE FROM links WHERE tt_sku_id = ?1",
	[Q_LINK_DEL_SELLER] = "DELETE FROM links WHERE seller_sku = ?1"
		" AND tt_sku_id IS NULL",
	[Q_LINK_ALL] = "SELECT tt_sku_id, seller_sku, variant_id, source,"
		" created_at FROM links ORDER BY id",
	[Q_INTENT_ADD] = "INSERT INTO intents (kind, object_key, payload, state,"
		" run_id, created_at) VALUES (?1, ?2, ?3, 0, ?4, ?5)",
	[Q_INTENT_FINISH] = "UPDATE intents SET state = ?2, result = ?3,"
		" finished_at = ?4 WHERE id = ?1",
	[Q_INTENT_OPEN] = "SELECT " INTENT_COLS " FROM intents WHERE kind = ?1"
		" AND object_key = ?2 AND state IN (0, 3) ORDER BY id DESC LIMIT 1",
	[Q_INTENT_CLOSE_ALL] = "UPDATE intents SET state = ?3, result = ?4,"
		" finished_at = ?5 WHERE kind = ?1 AND object_key = ?2"
		" AND state IN (0, 3)",
	[Q_INTENT_GET] = "SELECT " INTENT_COLS " FROM intents WHERE id = ?1",
	[Q_INTENT_OPEN_IDS] = "SELECT id FROM intents WHERE state IN (0, 3)"
		" ORDER BY id",
	[Q_PROV_DEL] = "DELETE FROM providers WHERE delivery_option_id = ?1",
	[Q_PROV_ADD] = "INSERT INTO providers (delivery_option_id, seq,"
		" provider_id, name) VALUES (?1, ?2, ?3, ?4)",
	[Q_PROV_LIST_PUT] = "INSERT OR REPLACE INTO provider_lists"
		" (delivery_option_id, fetched_at) VALUES (?1, ?2)",
	[Q_PROV_LIST_GET] = "SELECT fetched_at FROM provider_lists"
		" WHERE delivery_option_id = ?1",
	[Q_PROV_GET] = "SELECT provider_id, name FROM providers"
		" WHERE delivery_option_id = ?1 ORDER BY seq",
	[Q_PROV_NAMES] = "SELECT DISTINCT name FROM providers ORDER BY name",
	[Q_PROV_OPTIONS] = "SELECT DISTINCT delivery_option_id FROM providers ORDER BY 1",
};

struct state {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmts[Q_COUNT];
};

/* ------------------------------------------------------------------ */
/* Helpers.                                                             */

static int dberr(struct state *st, const char *what, struct err *e)
{
	return err_set(e, ERR_STATE, "STATE", "state file %s: %s: %s", st->path,
		       what, sqlite3_errmsg(st->db));
}

static int exec(struct state *st, const char *s, const char *what,
		struct err *e)
{
	if (sqlite3_exec(st->db, s, NULL, NULL, NULL) != SQLITE_OK)
		return dberr(st, what, e);
	return 0;
}

/* The statement for q, reset and unbound, ready to bind. */
static sqlite3_stmt *prep(struct state *st, enum q q, struct err *e)
{
	sqlite3_stmt *s = st->stmts[q];

	if (s == NULL) {
		if (sqlite3_prepare_v3(st->db, sql[q], -1, SQLITE_PREPARE_PERSISTENT,
				       &s, NULL) != SQLITE_OK) {
			dberr(st, "preparing a statement", e);
			return NULL;
		}
		st->stmts[q] = s;
		return s;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return s;
}

static void bind_str(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

static void bind_i64(sqlite3_stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(s, i, (sqlite3_int64)v);
}

static char *col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? xstrdup((const char *)t) : NULL;
}

static int64_t col_i64(sqlite3_stmt *s, int i)
{
	return (int64_t)sqlite3_column_int64(s, i);
}

/* Run a statement that returns no rows. */
static int step_done(struct state *st, sqlite3_stmt *s, const char *what,
		     struct err *e)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE) {
		dberr(st, what, e);
		sqlite3_reset(s);
		return -1;
	}
	sqlite3_reset(s);
	return 0;
}

/* One row: 1 found (row ready), 0 none, -1 error. */
static int step_row(struct state *st, sqlite3_stmt *s, const char *what,
		    struct err *e)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 1;
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 0;
	return dberr(st, what, e);
}

/* A transaction of our own unless the caller holds one. */
static int tx_begin(struct state *st, int *own, struct err *e)
{
	*own = 0;
	if (!sqlite3_get_autocommit(st->db))
		return 0;
	if (exec(st, "BEGIN IMMEDIATE", "starting a transaction", e) != 0)
		return -1;
	*own = 1;
	return 0;
}

static int tx_end(struct state *st, int own, int ok, struct err *e)
{
	if (!own)
		return ok ? 0 : -1;
	if (ok) {
		if (exec(st, "COMMIT", "committing", e) == 0)
			return 0;
	}
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* A list of strings collected before iterating. */
struct keylist {
	char **v;
	size_t n, cap;
};

static void keylist_add(struct keylist *k, const char *s)
{
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 64;
		k->v = xrealloc(k->v, k->cap * sizeof(*k->v));
	}
	k->v[k->n++] = xstrdup(s);
}

static void keylist_free(struct keylist *k)
{
	str_free_array(k->v, k->n);
	k->v = NULL;
	k->n = k->cap = 0;
}

/* Every first-column string of a prepared, bound statement. */
static int collect_keys(struct state *st, sqlite3_stmt *s, struct keylist *k,
			struct err *e)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(s, 0);

		if (t != NULL)
			keylist_add(k, (const char *)t);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return dberr(st, "listing", e);
	return 0;
}

/* Create the directory holding `path` (and its parents), mode 0700. */
static int make_parent_dirs(const char *path, struct err *e)
{
	char *dir = xstrdup(path), *p;
	int ret = 0;

	p = strrchr(dir, '/');
	if (p == NULL || p == dir)
		goto cleanup;
	*p = '\0';
	for (p = dir + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
				ret = err_set(e, ERR_STATE, "STATE",
					      "state file %s: cannot create directory %s: %s",
					      path, dir, strerror(errno));
				goto cleanup;
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
cleanup:
	free(dir);
	return ret;
}

/* Create the file 0600 if missing; tighten a wider mode. Returns 1 when
 * the file was created (a first run), 0 when it existed. */
static int prepare_file(const char *path, struct err *e)
{
	struct stat sb;
	int fd, created = 0;

	fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY,
			  0600);
		created = 1;
	}
	if (fd < 0)
		return err_set(e, ERR_STATE, "STATE", "state file %s: cannot open: %s",
			       path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return err_set(e, ERR_STATE, "STATE",
			       "state file %s: not a regular file", path);
	}
	if ((sb.st_mode & 077) != 0 && fchmod(fd, sb.st_mode & 0700) != 0) {
		int saved = errno;

		close(fd);
		return err_set(e, ERR_STATE, "STATE",
			       "state file %s: cannot make it private (chmod 600): %s",
			       path, strerror(saved));
	}
	close(fd);
	return created;
}

static int user_version(struct state *st, int *v, struct err *e)
{
	sqlite3_stmt *s = NULL;
	int rc, ret = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) !=
	    SQLITE_OK)
		return dberr(st, "reading the schema version", e);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int(s, 0);
		ret = 0;
	} else {
		dberr(st, "reading the schema version", e);
	}
	sqlite3_finalize(s);
	return ret;
}

static int table_count(struct state *st, int *n, struct err *e)
{
	sqlite3_stmt *s = NULL;
	int ret = -1;

	if (sqlite3_prepare_v2(st->db, "SELECT COUNT(*) FROM sqlite_master",
			       -1, &s, NULL) != SQLITE_OK)
		return dberr(st, "reading the schema", e);
	if (sqlite3_step(s) == SQLITE_ROW) {
		*n = sqlite3_column_int(s, 0);
		ret = 0;
	} else {
		dberr(st, "reading the schema", e);
	}
	sqlite3_finalize(s);
	return ret;
}

static int migrate(struct state *st, struct err *e)
{
	char pragma[64];
	int v = 0, n = 0;

	if (user_version(st, &v, e) != 0)
		return -1;
	if (v > SCHEMA_VERSION)
		return err_set(e, ERR_STATE, "STATE",
			       "state file %s has schema version %d, newer than this "
			       "ttsync understands (%d): run a newer ttsync, or restore "
			       "the file this one wrote", st->path, v, SCHEMA_VERSION);
	if (v == 0) {
		if (table_count(st, &n, e) != 0)
			return -1;
		if (n != 0)
			return err_set(e, ERR_STATE, "STATE",
				       "state file %s is an SQLite database but not "
				       "ttsync's (it has tables and no ttsync schema "
				       "version); point files.state_file elsewhere",
				       st->path);
	}
	for (; v < SCHEMA_VERSION; v++) {
		if (exec(st, "BEGIN IMMEDIATE", "starting a migration", e) != 0)
			return -1;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if (exec(st, migrations[v], "creating the schema", e) != 0 ||
		    exec(st, pragma, "setting the schema version", e) != 0 ||
		    exec(st, "COMMIT", "committing the schema", e) != 0) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Open / close / transactions.                                         */

int state_open(const char *path, struct state **out, struct err *e)
{
	struct state *st;
	sqlite3_stmt *s = NULL;
	const char *mode;
	int rc;

	*out = NULL;
	if (make_parent_dirs(path, e) != 0)
		return -1;
	if (prepare_file(path, e) < 0)
		return -1;
	st = xcalloc(1, sizeof(*st));
	st->path = xstrdup(path);
	rc = sqlite3_open_v2(path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		if (st->db != NULL)
			dberr(st, "cannot open", e);
		else
			err_set(e, ERR_STATE, "STATE", "state file %s: cannot open",
				path);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	/* The first read tells a database from anything else. */
	rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
	if (rc != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
		rc = sqlite3_errcode(st->db) & 0xff;
		if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
			err_set(e, ERR_STATE, "STATE",
				"state file %s is not a usable ttsync state "
				"database (%s); restore it from a backup, or move it "
				"away to start afresh (the next run backfills and "
				"links the orders already in Shopify)", path,
				sqlite3_errmsg(st->db));
		else
			dberr(st, "setting WAL mode", e);
		sqlite3_finalize(s);
		goto fail;
	}
	mode = (const char *)sqlite3_column_text(s, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		err_set(e, ERR_STATE, "STATE",
			"state file %s: cannot use WAL journal mode (got %s)", path,
			mode ? mode : "nothing");
		sqlite3_finalize(s);
		goto fail;
	}
	sqlite3_finalize(s);
	if (exec(st, "PRAGMA synchronous = FULL", "setting synchronous=FULL", e) != 0 ||
	    exec(st, "PRAGMA foreign_keys = ON", "enabling foreign keys", e) != 0)
		goto fail;
	if (migrate(st, e) != 0) {
		/* A corrupt page shows up here rather than at the pragma. */
		goto fail;
	}
	*out = st;
	return 0;
fail:
	state_close(st);
	return -1;
}

void state_close(struct state *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(st->stmts[i]);
	if (st->db != NULL) {
		if (!sqlite3_get_autocommit(st->db))
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		if (sqlite3_close(st->db) != SQLITE_OK)
			logmsg(LOG_WARN, "state file %s: close: %s", st->path,
			       sqlite3_errmsg(st->db));
	}
	free(st->path);
	free(st);
}

int state_begin(struct state *st, struct err *e)
{
	if (!sqlite3_get_autocommit(st->db))
		return err_set(e, ERR_STATE, "STATE",
			       "state file %s: a transaction is already open",
			       st->path);
	return exec(st, "BEGIN IMMEDIATE", "starting a transaction", e);
}

int state_commit(struct state *st, struct err *e)
{
	return exec(st, "COMMIT", "committing", e);
}

void state_rollback(struct state *st)
{
	if (st != NULL && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* Runs, cursors, token.                                                */

int state_run_start(struct state *st, const char *run_id, int64_t now,
		    const char *command, int dry_run, struct err *e)
{
	sqlite3_stmt *s = prep(st, Q_RUN_START, e);

	if (s == NULL)
		return -1;
	bind_str(s, 1, run_id);
	bind_str(s, 2, command);
	sqlite3_bind_int(s, 3, dry_run ? 1 : 0);
	bind_i64(s, 4, now);
	return step_done(st, s, "recording the run", e);
}

int state_run_finish(struct state *st, const char *run_id, int64_t now,
		     int exit_code, const char *stats_json, struct err *e)
{
	sqlite3_stmt *s = prep(st, Q_RUN_FINISH, e);

	if (s == NULL)
		return -1;
	bind_str(s, 1, run_id);
	bind_i64(s, 2, now);
	sqlite3_bind_int(s, 3, exit_code);
	bind_str(s, 4, stats_json);
	return step_done(st, s, "recording the end of the run", e);
}

int state_cursor_get(struct state *st, const char *name, int64_t *val,
		     int *found, struct err *e)
{
	sqlite3_stmt *s = prep(st, Q_CURSOR_GET, e);
	int r;

	*found = 0;
	if (s == NULL)
		return -1;
	bind_str(s, 1, name);
	r = step_row(st, s, "reading a cursor", e);
	if (r < 0)
		return -1;
	if (r == 1) {
		*val = col_i64(s, 0);
		*found = 1;
		sqlite3_reset(s);
	}
	return 0;
}

int state_cursor_set(struct state *st, const char *name, int64_t val,
		     struct err *e)
{
	sqlite3_stmt *s = prep(st, Q_CURSOR_SET, e);

	if (s == NULL)
		return -1;
	bind_str(s, 1, name);
	bind_i64(s, 2, val);
	return step_done(st, s, "writing a cursor", e);
}

int state_token_get(struct state *st, struct tt_token *out, int *found,
		    struct err *e)
{
	sqlite3_stmt *s = prep(st, Q_TOKEN_GET, e);
	int r;

	*found = 0;
	if (s == NULL)
		return -1;
	r = step_row(st, s, "reading the token", e);
	if (r < 0)
		return -1;
	if (r == 1) {
		out->access_token = col_str(s, 0);
		out->access_expire = col_i64(s, 1);
		out->refresh_token = col_str(s, 2);
		out->refresh_expire = col_i64(s, 3);
		*found = 1;
		sqlite3_reset(s);
	}
	return 0;
}

/* One statement: the pair is replaced as a whole or not at all. */
int state_token_put(struct state *st, const struct tt_token *t,
		    struct err *e)
{
	sqlite3_stmt *s;

	if (t->access_token == NULL || t->refresh_token == NULL)
		return err_set(e, ERR_STATE, "STATE",
			       "state file %s: refusing to store an incomplete "
			       "token pair", st->path);
	s = prep(st, Q_TOKEN_PUT, e);
	if (s == NULL)
		return -1;
	bind_str(s, 1, t->access_token);
	bind_i64(s, 2, t->access_expire);
	bind_str(s, 3, t->refresh_token);
	bind_i64(s, 4, t->refresh_expire);
	return step_done(st, s, "storing the token pair", e);
}

/* ------------------------------------------------------------------ */
/* Orders.                                                              */

void order_rec_free(struct order_rec *r)
{
	if (r == NULL)
		return;
	free(r->tt_id);
	free(r->fulfillment_type);
	free(r->shipping_type);
	free(r->snapshot);
	free(r->reason_code);
	free(r->reason);
	free(r->remedy);
	free(r->sh_gid);
	free(r->sh_name);
	free(r->sh_legacy_id);
	memset(r, 0, sizeof(*r));
}

static void read_order(sqlite3_stmt *s, struct order_rec *r)
{
	const unsigned char *t;

	memset(r, 0, sizeof(*r));
	r->tt_id = col_str(s, 0);
	t = sqlite3_column_text(s, 1);
	r->tt_status = tt_status_parse(t ? (const char *)t : "");
	r->fulfillment_type = col_str(s, 2);
	r->shipping_type = col_str(s, 3);
	r->create_time = col_i64(s, 4);
	r->update_time = col_i64(s, 5);
	r->snapshot = col_str(s, 6);
	t = sqlite3_column_text(s, 7);
	if (t == NULL || sync_status_parse((const char *)t, &r->status) != 0)
		r->status = SYNC_NOT_SYNCED;
	r->reason_code = col_str(s, 8);
	r->reason = col_str(s, 9);
	r->remedy = col_str(s, 10);
	r->retry = (enum retry_class)sqlite3_column_int(s, 11);
	r->sh_gid = col_str(s, 12);
	r->sh_name = col_str(s, 13);
	r->sh_legacy_id = col_str(s, 14);
	r->first_seen = col_i64(s, 15);
	r->last_seen = col_i64(s, 16);
	r->synced_at = col_i64(s, 17);
	r->attempts = sqlite3_column_int(s, 18);
	r->cancel_state = sqlite3_column_int(s, 19);
}

int state_order_put_snapshot(struct state *st, const struct tt_order *o,
			     const char *raw_json, int64_t now, struct err *e)
{
	sqlite3_stmt *s;

	if (o->id == NULL || *o->id == '\0')
		return err_set(e, ERR_STATE, "STATE",
			       "state file %s: an order without an id cannot be "
			       "recorded", st->path);
	s = prep(st, Q_ORDER_PUT, e);
	if (s == NULL)
		return -1;
	bind_str(s, 1, o->id);
	bind_str(s, 2, tt_status_name(o->status));
	bind_str(s, 3, o->fulfillment_type);
	bind_str(s, 4, o->shipping_type);
	bind_i64(s, 5, o->create_time);
	bind_i64(s, 6, o->update_time);
	bind_str(s, 7, raw_json);
	bind_i64(s, 8, now);
	return step_done(st, s, "recording an order", e);
}

int state_order_get(struct state *st, const char *tt_id,
		    struct order_rec *out, int *found, struct err *e)
{
	sqlite3_stmt *s = prep(st, Q_ORDER_GET, e);
	int r;

	*found = 0;
	if (s == NULL)
		return -1;
	bind_str(s, 1, tt_id);
	r = step_row(st, s, "reading an order", e);
	if (r < 0)
		return -1;
	if (r == 1) {
		read_order(s, out);
		*found = 1;
		sqlite3_reset(s);
	}
	return 0;
}

/* An UPDATE that must hit the order: none is a caller error worth naming. */
static int must_change(struct state *st, const char *tt_id, struct err *e)
{
	if (sqlite3_changes(st->db) == 0)
		return err_set(e, ERR_STATE, "STATE",
			       "state file %s: no TikTok order %s recorded",
			       st->path, tt_id);
	return 0;
}

int state_order_set_status(struct state *st, const char *tt_id,
			   enum sync_status status, const char *reason_code,
			   const char *reason, const char *remedy,
			   enum retry_class retry, int64_t now, struct err *e)
{
	sqlite3_stmt *s = prep(st, Q_ORDER_STATUS, e);

	if (s == NULL)
		return -1;
	bind_str(s, 1, tt_id);
	bind_str(s, 2, sync_status_name(status));
	bind_str(s, 3, reason_code);
	bind_str(s, 4, reason);
	bind_str(s, 5, remedy);
	sqlite3_bind_int(s, 6, (int)retry);
	bind_i64(s, 7, now);
	if (step_done(st, s, "recording an order's status", e) != 0)
		return -1;
	return must_change(st, tt_id, e);
}

int state_order_link(struct state *st, const char *tt_id, const char *sh_gid,
		     const char *sh_name, const char *sh_legacy_id, int64_t now,
		     struct err *e)
{
	sqlite3_stmt *s = prep(st, Q_ORDER_LINK, e);
	int rc;

	if (s == NULL)
		return -1;
	bind_str(s, 1, tt_id);
	bind_str(s, 2, sh_gid);
	bind_str(s, 3, sh_name);
	bind_str(s, 4, sh_legacy_id);
	bind_i64(s, 5, now);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		char *other = NULL;
		int found = 0;

		if (state_order_by_shopify_gid(st, sh_gid, &other, &found, e) != 0)
			return -1;
		err_set(e, ERR_STATE, "STATE",
			"state file %s: Shopify order %s is already linked to "
			"TikTok order %s; not linking it to %s too", st->path,
			sh_gid, found ? other : "(unknown)", tt_id);
		free(other);
		return -1;
	}
	if (rc != SQLITE_DONE)
		return dberr(st, "linking an order", e);
	return must_change(st, tt_id, e);
}

int state_order_set_cancel_state(struct state *st, const char *tt_id,
				 int cancel_state, struct err *e)
{
	sqlite3_stmt *s = prep(st, Q_ORDER_CANCEL, e);

	if (s == NULL)
		return -1;
	bind_str(s, 1, tt_id);
	sqlite3_bind_int(s, 2, cancel_state);
	if (step_done(st, s, "recording a cancellation", e) != 0)
		return -1;
	return must_change(st, tt_id, e);
}

int state_order_by_shopify_gid(struct state *st, const char *sh_gid,
			       char **tt_id, int *found, struct err *e)
{
	sqlite3_stmt *s = prep(st, Q_ORDER_BY_GID, e);
	int r;

	*found = 0;
	*tt_id = NULL;
	if (s == NULL)
		return -1;
	bind_str(s, 1, sh_gid);
	r = step_row(st, s, "looking up a Shopify order", e);
	if (r < 0)
		return -1;
	if (r == 1) {
		*tt_id = col_str(s, 0);
		*found = 1;
		sqlite3_reset(s);
	}
	return 0;
}

/*
 * "Linked and open": in Shopify, and TikTok may still change something we
 * mirror: not COMPLETED, and not a cancellation ttsync has already handled
 * (cancel_state != 0).
 */
int state_orders_foreach(struct state *st, const struct order_filter *f,
			 order_iter_fn fn, void *arg, struct err *e)
{
	struct strbuf q = STRBUF_INIT;
	struct keylist keys = { NULL, 0, 0 };
	sqlite3_stmt *s = NULL;
	size_t i;
	int ret = -1, bind = 1;

	if (f->ids != NULL && f->nids > MAX_FILTER_IDS) {
		err_set(e, ERR_USAGE, "STATE", "too many order ids (%zu; at most %d)",
			f->nids, MAX_FILTER_IDS);
		goto cleanup;
	}
	sb_add(&q, "SELECT tt_id FROM orders WHERE 1");
	if (f->only_status >= 0)
		sb_add(&q, " AND status = ?");
	if (f->only_failed_or_not_synced)
		sb_add(&q, " AND status IN ('failed', 'not_synced')");
	if (f->only_linked_open)
		sb_add(&q, " AND sh_gid IS NOT NULL AND tt_status <> 'COMPLETED'"
		       " AND NOT (tt_status = 'CANCELLED' AND cancel_state <> 0)");
	if (f->ids != NULL) {
		sb_add(&q, " AND tt_id IN (");
		for (i = 0; i < f->nids; i++)
			sb_add(&q, i ? ",?" : "?");
		sb_add(&q, ")");
	}
	sb_add(&q, " ORDER BY create_time, tt_id");
	if (f->ids != NULL && f->nids == 0) {
		ret = 0;	/* an empty list selects nothing */
		goto cleanup;
	}
	if (sqlite3_prepare_v2(st->db, q.buf, -1, &s, NULL) != SQLITE_OK) {
		dberr(st, "listing orders", e);
		goto cleanup;
	}
	if (f->only_status >= 0)
		bind_str(s, bind++, sync_status_name((enum sync_status)f->only_status));
	for (i = 0; f->ids != NULL && i < f->nids; i++)
		bind_str(s, bind++, f->ids[i]);
	if (collect_keys(st, s, &keys, e) != 0)
		goto cleanup;
	ret = 0;
	for (i = 0; i < keys.n; i++) {
		struct order_rec r;
		int found = 0, stop;

		if (state_order_get(st, keys.v[i], &r, &found, e) != 0) {
			ret = -1;
			goto cleanup;
		}
		if (!found)
			continue;	/* changed under us by a callback */
		stop = fn(&r, arg);
		order_rec_free(&r);
		if (stop != 0) {
			ret = stop;
			break;
		}
	}
cleanup:
	sqlite3_finalize(s);
	sb_free(&q);
	keylist_free(&keys);
	return ret;
}

int state_orders_count(struct state *st, int status, long *n, struct err *e)
{
	sqlite3_stmt *s = prep(st, status >= 0 ? Q_ORDER_COUNT : Q_ORDER_COUNT_ALL,
			       e);
	int r;

	*n = 0;
	if (s == NULL)
		return -1;
	if (status >= 0)
		bind_str(s, 1, sync_status_name((enum sync_status)status));
	r = step_row(st, s, "counting orders", e);
	if (r < 0)
		return -1;
	if (r == 1) {
		*n = (long)col_i64(s, 0);
		sqlite3_reset(s);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Units.                                                               */

int state_units_put(struct state *st, const char *tt_id,
		    const struct unit_map *v, size_t n, struct err *e)
{
	sqlite3_stmt *s;
	size_t i;
	int own, ok = 0;

	if (tx_begin(st, &own, e) != 0)
		return -1;
	s = prep(st, Q_UNITS_DEL, e);
	if (s == NULL)
		goto done;
	bind_str(s, 1, tt_id);
	if (step_done(st, s, "replacing the unit map", e) != 0)
		goto done;
	for (i = 0; i < n; i++) {
		s = prep(st, Q_UNITS_ADD, e);
		if (s == NULL)
			goto done;
		bind_str(s, 1, tt_id);
		bind_i64(s, 2, (int64_t)i);
		bind_str(s, 3, v[i].tt_line_id);
		bind_str(s, 4, v[i].sh_line_item_id);
		if (step_done(st, s, "recording the unit map", e) != 0)
			goto done;
	}
	ok = 1;
done:
	return tx_end(st, own, ok, e);
}

int state_units_get(struct state *st, const char *tt_id,
		    struct unit_map **v, size_t *n, struct err *e)
{
	sqlite3_stmt *s = prep(st, Q_UNITS_GET, e);
	struct unit_map *out = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	*v = NULL;
	*n = 0;
	if (s == NULL)
		return -1;
	bind_str(s, 1, tt_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			out = xrealloc(out, cap * sizeof(*out));
		}
		out[cnt].tt_line_id = col_str(s, 0);
		out[cnt].sh_line_item_id = col_str(s, 1);
		cnt++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		unit_map_free(out, cnt);
		return dberr(st, "reading the unit map", e);
	}
	*v = out;
	*n = cnt;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Fulfillments.                                                        */

void ful_rec_free(struct ful_rec *r)
{
	if (r == NULL)
		return;
	free(r->key);
	free(r->tt_order_id);
	free(r->sh_fulfillment_id);
	free(r->tt_package_id);
	free(r->tracking_number);
	free(r->carrier);
	free(r->provider_id);
	free(r->provider_name);
	str_free_array(r->tt_line_ids, r->ntt_line_ids);
	free(r->reason_code);
	free(r->reason);
	free(r->remedy);
	free(r->warning);
	memset(r, 0, sizeof(*r));
}

void ful_rec_free_array(struct ful_rec *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		ful_rec_free(&v[i]);
	free(v);
}

int state_ful_put(struct state *st, const struct ful_rec *r, struct err *e)
{
	sqlite3_stmt *s;
	size_t i;
	int own, ok = 0;

	if (r->key == NULL || r->tt_order_id == NULL)
		return err_set(e, ERR_STATE, "STATE",
			       "state file %s: a fulfillment record needs a key and "
			       "a TikTok order id", st->path);
	if (tx_begin(st, &own, e) != 0)
		return -1;
	s = prep(st, Q_FUL_PUT, e);
	if (s == NULL)
		goto done;
	bind_str(s, 1, r->key);
	sqlite3_bind_int(s, 2, (int)r->dir);
	bind_str(s, 3, r->tt_order_id);
	bind_str(s, 4, r->sh_fulfillment_id);
	bind_str(s, 5, r->tt_package_id);
	bind_str(s, 6, r->tracking_number);
	bind_str(s, 7, r->carrier);
	bind_str(s, 8, r->provider_id);
	bind_str(s, 9, r->provider_name);
	bind_i64(s, 10, r->shipped_at);
	sqlite3_bind_int(s, 11, r->tracking_updates);
	sqlite3_bind_int(s, 12, r->events_sent);
	bind_str(s, 13, sync_status_name(r->status));
	bind_str(s, 14, r->reason_code);
	bind_str(s, 15, r->reason);
	bind_str(s, 16, r->remedy);
	sqlite3_bind_int(s, 17, (int)r->retry);
	bind_str(s, 18, r->warning);
	bind_i64(s, 19, r->updated_at);
	if (step_done(st, s, "recording a fulfillment", e) != 0)
		goto done;
	s = prep(st, Q_FUL_LINES_DEL, e);
	if (s == NULL)
		goto done;
	bind_str(s, 1, r->key);
	if (step_done(st, s, "recording a fulfillment's items", e) != 0)
		goto done;
	for (i = 0; i < r->ntt_line_ids; i++) {
		s = prep(st, Q_FUL_LINES_ADD, e);
		if (s == NULL)
			goto done;
		bind_str(s, 1, r->key);
		bind_i64(s, 2, (int64_t)i);
		bind_str(s, 3, r->tt_line_ids[i]);
		if (step_done(st, s, "recording a fulfillment's items", e) != 0)
			goto done;
	}
	ok = 1;
done:
	return tx_end(st, own, ok, e);
}

int state_ful_get(struct state *st, const char *key, struct ful_rec *out,
		  int *found, struct err *e)
{
	sqlite3_stmt *s = prep(st, Q_FUL_GET, e);
	struct ful_rec r;
	size_t cap = 0;
	int rc;

	*found = 0;
	if (s == NULL)
		return -1;
	bind_str(s, 1, key);
	rc = step_row(st, s, "reading a fulfillment", e);
	if (rc <= 0)
		return rc;
	memset(&r, 0, sizeof(r));
	r.key = col_str(s, 0);
	r.dir = (enum ful_direction)sqlite3_column_int(s, 1);
	r.tt_order_id = col_str(s, 2);
	r.sh_fulfillment_id = col_str(s, 3);
	r.tt_package_id = col_str(s, 4);
	r.tracking_number = col_str(s, 5);
	r.carrier = col_str(s, 6);
	r.provider_id = col_str(s, 7);
	r.provider_name = col_str(s, 8);
	r.shipped_at = col_i64(s, 9);
	r.tracking_updates = sqlite3_column_int(s, 10);
	r.events_sent = sqlite3_column_int(s, 11);
	{
		const unsigned char *t = sqlite3_column_text(s, 12);

		if (t == NULL || sync_status_parse((const char *)t, &r.status) != 0)
			r.status = SYNC_NOT_SYNCED;
	}
	r.reason_code = col_str(s, 13);
	r.reason = col_str(s, 14);
	r.remedy = col_str(s, 15);
	r.retry = (enum retry_class)sqlite3_column_int(s, 16);
	r.warning = col_str(s, 17);
	r.updated_at = col_i64(s, 18);
	sqlite3_reset(s);

	s = prep(st, Q_FUL_LINES_GET, e);
	if (s == NULL)
		goto fail;
	bind_str(s, 1, key);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (r.ntt_line_ids == cap) {
			cap = cap ? cap * 2 : 8;
			r.tt_line_ids = xrealloc(r.tt_line_ids, cap * sizeof(char *));
		}
		r.tt_line_ids[r.ntt_line_ids++] = col_str(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		dberr(st, "reading a fulfillment's items", e);
		goto fail;
	}
	*out = r;
	*found = 1;
	return 0;
fail:
	ful_rec_free(&r);
	return -1;
}

/* Records for a list of keys, in order. */
static int ful_read_keys(struct state *st, const struct keylist *keys,
			 struct ful_rec **v, size_t *n, struct err *e)
{
	struct ful_rec *out;
	size_t i, cnt = 0;

	out = xcalloc(keys->n + 1, sizeof(*out));
	for (i = 0; i < keys->n; i++) {
		int found = 0;

		if (state_ful_get(st, keys->v[i], &out[cnt], &found, e) != 0) {
			ful_rec_free_array(out, cnt);
			return -1;
		}
		if (found)
			cnt++;
	}
	*v = out;
	*n = cnt;
	return 0;
}

int state_ful_list_for_order(struct state *st, const char *tt_id,
			     struct ful_rec **v, size_t *n, struct err *e)
{
	struct keylist keys = { NULL, 0, 0 };
	sqlite3_stmt *s = prep(st, Q_FUL_KEYS_ORDER, e);
	int ret = -1;

	*v = NULL;
	*n = 0;
	if (s == NULL)
		return -1;
	bind_str(s, 1, tt_id);
	if (collect_keys(st, s, &keys, e) == 0)
		ret = ful_read_keys(st, &keys, v, n, e);
	keylist_free(&keys);
	return ret;
}

int state_fuls_foreach(struct state *st, int status, ful_iter_fn fn,
		       void *arg, struct err *e)
{
	struct keylist keys = { NULL, 0, 0 };
	sqlite3_stmt *s = prep(st, status >= 0 ? Q_FUL_KEYS_STATUS : Q_FUL_KEYS_ALL,
			       e);
	size_t i;
	int ret = -1;

	if (s == NULL)
		return -1;
	if (status >= 0)
		bind_str(s, 1, sync_status_name((enum sync_status)status));
	if (collect_keys(st, s, &keys, e) != 0)
		goto cleanup;
	ret = 0;
	for (i = 0; i < keys.n; i++) {
		struct ful_rec r;
		int found = 0, stop;

		if (state_ful_get(st, keys.v[i], &r, &found, e) != 0) {
			ret = -1;
			break;
		}
		if (!found)
			continue;
		stop = fn(&r, arg);
		ful_rec_free(&r);
		if (stop != 0) {
			ret = stop;
			break;
		}
	}
cleanup:
	keylist_free(&keys);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Product links.                                                       */

void link_rec_free(struct link_rec *r)
{
	if (r == NULL)
		return;
	free(r->tt_sku_id);
	free(r->seller_sku);
	free(r->variant_id);
	free(r->source);
	memset(r, 0, sizeof(*r));
}

static void read_link(sqlite3_stmt *s, struct link_rec *l)
{
	memset(l, 0, sizeof(*l));
	l->tt_sku_id = col_str(s, 0);
	l->seller_sku = col_str(s, 1);
	l->variant_id = col_str(s, 2);
	l->source = col_str(s, 3);
	l->created_at = col_i64(s, 4);
}

static int empty(const char *s)
{
	return s == NULL || *s == '\0';
}

/*
 * A link by TikTok sku_id belongs to that SKU (the seller SKU is kept for
 * display); a link by seller SKU alone (tt_sku_id NULL) applies to every
 * TikTok SKU carrying that seller SKU. Putting a link replaces the one
 * with the same key.
 */
int state_link_put(struct state *st, const struct link_rec *l, struct err *e)
{
	sqlite3_stmt *s;

	if (empty(l->variant_id))
		return err_set(e, ERR_USAGE, "STATE",
			       "a product link needs a Shopify variant");
	if (!empty(l->tt_sku_id)) {
		s = prep(st, Q_LINK_PUT_SKU, e);
		if (s == NULL)
			return -1;
		bind_str(s, 1, l->tt_sku_id);
		bind_str(s, 2, empty(l->seller_sku) ? NULL : l->seller_sku);
		bind_str(s, 3, l->variant_id);
		bind_str(s, 4, l->source ? l->source : "manual");
		bind_i64(s, 5, l->created_at);
	} else if (!empty(l->seller_sku)) {
		s = prep(st, Q_LINK_PUT_SELLER, e);
		if (s == NULL)
			return -1;
		bind_str(s, 1, l->seller_sku);
		bind_str(s, 2, l->variant_id);
		bind_str(s, 3, l->source ? l->source : "manual");
		bind_i64(s, 4, l->created_at);
	} else {
		return err_set(e, ERR_USAGE, "STATE",
			       "a product link needs a TikTok SKU id or a seller SKU");
	}
	return step_done(st, s, "recording a product link", e);
}

int state_link_find(struct state *st, const char *tt_sku_id,
		    const char *seller_sku, struct link_rec *out, int *found,
		    struct err *e)
{
	sqlite3_stmt *s;
	int r;

	*found = 0;
	if (!empty(tt_sku_id)) {
		s = prep(st, Q_LINK_BY_SKU, e);
		if (s == NULL)
			return -1;
		bind_str(s, 1, tt_sku_id);
		r = step_row(st, s, "looking up a product link", e);
		if (r < 0)
			return -1;
		if (r == 1) {
			read_link(s, out);
			*found = 1;
			sqlite3_reset(s);
			return 0;
		}
	}
	if (!empty(seller_sku)) {
		s = prep(st, Q_LINK_BY_SELLER, e);
		if (s == NULL)
			return -1;
		bind_str(s, 1, seller_sku);
		r = step_row(st, s, "looking up a product link", e);
		if (r < 0)
			return -1;
		if (r == 1) {
			read_link(s, out);
			*found = 1;
			sqlite3_reset(s);
		}
	}
	return 0;
}

int state_link_delete(struct state *st, const char *tt_sku_id,
		      const char *seller_sku, int *deleted, struct err *e)
{
	sqlite3_stmt *s;

	*deleted = 0;
	if (!empty(tt_sku_id)) {
		s = prep(st, Q_LINK_DEL_SKU, e);
		if (s == NULL)
			return -1;
		bind_str(s, 1, tt_sku_id);
	} else if (!empty(seller_sku)) {
		s = prep(st, Q_LINK_DEL_SELLER, e);
		if (s == NULL)
			return -1;
		bind_str(s, 1, seller_sku);
	} else {
		return 0;
	}
	if (step_done(st, s, "removing a product link", e) != 0)
		return -1;
	*deleted = sqlite3_changes(st->db) > 0;
	return 0;
}

int state_links_foreach(struct state *st, link_iter_fn fn, void *arg,
			struct err *e)
{
	sqlite3_stmt *s = prep(st, Q_LINK_ALL, e);
	struct link_rec *v = NULL;
	size_t n = 0, cap = 0, i;
	int rc, ret = 0;

	if (s == NULL)
		return -1;
	/* Links are few (one per SKU): read them all, then call back. */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		read_link(s, &v[n++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		ret = dberr(st, "listing product links", e);
	for (i = 0; ret == 0 && i < n; i++) {
		int stop = fn(&v[i], arg);

		if (stop != 0)
			ret = stop;
	}
	for (i = 0; i < n; i++)
		link_rec_free(&v[i]);
	free(v);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Intents.                                                             */

void intent_free(struct intent *i)
{
	if (i == NULL)
		return;
	free(i->kind);
	free(i->object_key);
	free(i->payload);
	free(i->result);
	free(i->run_id);
	memset(i, 0, sizeof(*i));
}

static void read_intent(sqlite3_stmt *s, struct intent *i)
{
	memset(i, 0, sizeof(*i));
	i->id = col_i64(s, 0);
	i->kind = col_str(s, 1);
	i->object_key = col_str(s, 2);
	i->payload = col_str(s, 3);
	i->state = (enum intent_state)sqlite3_column_int(s, 4);
	i->result = col_str(s, 5);
	i->run_id = col_str(s, 6);
	i->created_at = col_i64(s, 7);
	i->finished_at = col_i64(s, 8);
}

/*
 * The write-ahead record of a call that must not happen twice. It is
 * committed (and, with synchronous=FULL, on disk) before this returns, so
 * it cannot share a transaction the caller still holds open.
 */
int state_intent_begin(struct state *st, const char *kind,
		       const char *object_key, const char *payload,
		       const char *run_id, int64_t now, int64_t *id,
		       struct err *e)
{
	sqlite3_stmt *s;

	if (!sqlite3_get_autocommit(st->db))
		return err_set(e, ERR_STATE, "STATE",
			       "state file %s: an intent must be committed on its "
			       "own, not inside an open transaction", st->path);
	s = prep(st, Q_INTENT_ADD, e);
	if (s == NULL)
		return -1;
	bind_str(s, 1, kind);
	bind_str(s, 2, object_key);
	bind_str(s, 3, payload);
	bind_str(s, 4, run_id);
	bind_i64(s, 5, now);
	if (step_done(st, s, "recording an intent", e) != 0)
		return -1;
	*id = (int64_t)sqlite3_last_insert_rowid(st->db);
	return 0;
}

int state_intent_finish(struct state *st, int64_t id, enum intent_state s_,
			const char *result, int64_t now, struct err *e)
{
	sqlite3_stmt *s = prep(st, Q_INTENT_FINISH, e);

	if (s == NULL)
		return -1;
	bind_i64(s, 1, id);
	sqlite3_bind_int(s, 2, (int)s_);
	bind_str(s, 3, result);
	bind_i64(s, 4, now);
	if (step_done(st, s, "recording an intent's outcome", e) != 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return err_set(e, ERR_STATE, "STATE",
			       "state file %s: no intent %lld recorded", st->path,
			       (long long)id);
	return 0;
}

int state_intent_open(struct state *st, const char *kind,
		      const char *object_key, struct intent *out, int *found,
		      struct err *e)
{
	sqlite3_stmt *s = prep(st, Q_INTENT_OPEN, e);
	int r;

	*found = 0;
	if (s == NULL)
		return -1;
	bind_str(s, 1, kind);
	bind_str(s, 2, object_key);
	r = step_row(st, s, "looking up an intent", e);
	if (r < 0)
		return -1;
	if (r == 1) {
		read_intent(s, out);
		*found = 1;
		sqlite3_reset(s);
	}
	return 0;
}

int state_intent_close_all(struct state *st, const char *kind,
			   const char *object_key, enum intent_state s_,
			   const char *result, int64_t now, struct err *e)
{
	sqlite3_stmt *s = prep(st, Q_INTENT_CLOSE_ALL, e);

	if (s == NULL)
		return -1;
	bind_str(s, 1, kind);
	bind_str(s, 2, object_key);
	sqlite3_bind_int(s, 3, (int)s_);
	bind_str(s, 4, result);
	bind_i64(s, 5, now);
	return step_done(st, s, "resolving intents", e);
}

int state_intents_open_foreach(struct state *st, intent_iter_fn fn, void *arg,
			       struct err *e)
{
	sqlite3_stmt *s = prep(st, Q_INTENT_OPEN_IDS, e);
	int64_t *ids = NULL;
	size_t n = 0, cap = 0, i;
	int rc, ret = 0;

	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			ids = xrealloc(ids, cap * sizeof(*ids));
		}
		ids[n++] = col_i64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		ret = dberr(st, "listing open intents", e);
	for (i = 0; ret == 0 && i < n; i++) {
		struct intent in;
		int r, stop;

		s = prep(st, Q_INTENT_GET, e);
		if (s == NULL) {
			ret = -1;
			break;
		}
		bind_i64(s, 1, ids[i]);
		r = step_row(st, s, "reading an intent", e);
		if (r < 0) {
			ret = -1;
			break;
		}
		if (r == 0)
			continue;
		read_intent(s, &in);
		sqlite3_reset(s);
		if (in.state == INTENT_PENDING || in.state == INTENT_UNKNOWN) {
			stop = fn(&in, arg);
			if (stop != 0)
				ret = stop;
		}
		intent_free(&in);
	}
	free(ids);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Shipping providers cache.                                            */

int state_providers_put(struct state *st, const struct tt_provider_list *l,
			int64_t now, struct err *e)
{
	sqlite3_stmt *s;
	size_t i;
	int own, ok = 0;

	if (empty(l->delivery_option_id))
		return err_set(e, ERR_STATE, "STATE",
			       "state file %s: a provider list needs its delivery "
			       "option id", st->path);
	if (tx_begin(st, &own, e) != 0)
		return -1;
	s = prep(st, Q_PROV_DEL, e);
	if (s == NULL)
		goto done;
	bind_str(s, 1, l->delivery_option_id);
	if (step_done(st, s, "replacing shipping providers", e) != 0)
		goto done;
	for (i = 0; i < l->n; i++) {
		s = prep(st, Q_PROV_ADD, e);
		if (s == NULL)
			goto done;
		bind_str(s, 1, l->delivery_option_id);
		bind_i64(s, 2, (int64_t)i);
		bind_str(s, 3, l->v[i].id ? l->v[i].id : "");
		bind_str(s, 4, l->v[i].name ? l->v[i].name : "");
		if (step_done(st, s, "recording shipping providers", e) != 0)
			goto done;
	}
	s = prep(st, Q_PROV_LIST_PUT, e);
	if (s == NULL)
		goto done;
	bind_str(s, 1, l->delivery_option_id);
	bind_i64(s, 2, now);
	if (step_done(st, s, "recording shipping providers", e) != 0)
		goto done;
	ok = 1;
done:
	return tx_end(st, own, ok, e);
}

int state_providers_get(struct state *st, const char *delivery_option_id,
			struct tt_provider_list *out, int64_t *fetched_at,
			int *found, struct err *e)
{
	sqlite3_stmt *s = prep(st, Q_PROV_LIST_GET, e);
	struct tt_provider_list l;
	size_t cap = 0;
	int r, rc;

	*found = 0;
	if (s == NULL)
		return -1;
	bind_str(s, 1, delivery_option_id);
	r = step_row(st, s, "reading shipping providers", e);
	if (r <= 0)
		return r;
	memset(&l, 0, sizeof(l));
	if (fetched_at)
		*fetched_at = col_i64(s, 0);
	sqlite3_reset(s);
	l.delivery_option_id = xstrdup(delivery_option_id);
	s = prep(st, Q_PROV_GET, e);
	if (s == NULL)
		goto fail;
	bind_str(s, 1, delivery_option_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (l.n == cap) {
			cap = cap ? cap * 2 : 8;
			l.v = xrealloc(l.v, cap * sizeof(*l.v));
		}
		l.v[l.n].id = col_str(s, 0);
		l.v[l.n].name = col_str(s, 1);
		l.n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		dberr(st, "reading shipping providers", e);
		goto fail;
	}
	*out = l;
	*found = 1;
	return 0;
fail:
	tt_provider_list_free(&l);
	return -1;
}

/* The first column of a one-column query, as strings. */
static int column_list(struct state *st, enum q q, const char *what, char ***names,
		       size_t *n, struct err *e)
{
	sqlite3_stmt *s = prep(st, q, e);
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	*names = NULL;
	*n = 0;
	if (s == NULL)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[cnt++] = col_str(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		str_free_array(v, cnt);
		return dberr(st, what, e);
	}
	*names = v;
	*n = cnt;
	return 0;
}

int state_provider_names(struct state *st, char ***names, size_t *n,
			 struct err *e)
{
	return column_list(st, Q_PROV_NAMES, "reading shipping provider names",
			   names, n, e);
}

int state_provider_options(struct state *st, char ***ids, size_t *n, struct err *e)
{
	return column_list(st, Q_PROV_OPTIONS, "reading cached delivery options",
			   ids, n, e);
}

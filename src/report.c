/*
 * report.c - the report of one run: the list of items and statistics the
 * run collects (report_init/add/free), and report_write(), which lays out
 * reports_dir/<run id>/ through a small table of writers (one per file,
 * the formats themselves live in report_csv.c and report_html.c) and then
 * re-points reports_dir/latest at the run folder.
 *
 * Every file appears atomically: it is written to a temporary file beside
 * the target (same folder, so rename(2) cannot cross a file system), every
 * write, fflush, fsync and fclose is checked, then it is renamed over the
 * target; the folders are fsync'ed after the renames. A writer that fails
 * leaves its temporary file removed and the previous target (if any)
 * untouched, does not stop the other writers, and makes report_write()
 * return -1 with the first error.
 *
 * report_add() copies an item into the spool, a private temporary SQLite
 * database (memory does not grow with the number of items); the writers
 * read it back through report_iter_*(). A carried failure (one still open
 * from an earlier run) gets REPORT_CARRIED_NOTE at the start of its detail
 * unless the caller already wrote it, so every format marks it the same
 * way. An item the spool cannot take (disk full) is logged, and
 * report_write() then still writes what it has but returns -1.
 *
 * Owns: the strings of struct report and the spool (database and
 * statements; an iterator owns its own statement).
 */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* Files: 0644 inside a 0755 run folder (read by the merchant's browser,
 * spreadsheet and scripts, written only by the ttsync user), both less
 * what the process umask takes away, as for any file a program creates. */
#define REPORT_DIR_MODE 0755
#define REPORT_FILE_MODE 0644
#define LATEST_NAME "latest"
#define LATEST_TMP_NAME "latest.tmp"
#define REPORT_CARRIED_NOTE "open since an earlier run"

/* ---- the spool ----------------------------------------------------------- */

/* The items live in a private temporary SQLite database (sqlite3_open(""):
 * on disk, deleted on close, never shared), written without fsync; SQLite
 * keeps at most cache_size of it in memory. The rollback journal is in
 * memory and holds one INSERT's pages: an INSERT that fails (disk full)
 * is undone cleanly, where journal_mode=OFF would leave the database
 * corrupt. seq is the order of report_add(); the index serves
 * report_has(). */
static const char spool_schema[] =
	"PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF; "
	"PRAGMA cache_size=-2000; "
	"CREATE TABLE items(seq INTEGER PRIMARY KEY, object, direction, "
	"tt_order_id, shopify_order, action, status INTEGER, reason_code, "
	"reason, remedy, detail, needs_person INTEGER, alert INTEGER, "
	"tiktok_url, shopify_url, time INTEGER, carried INTEGER, buyer, "
	"buyer_message); "
	"CREATE INDEX items_order ON items(object, tt_order_id);";

static const char spool_insert[] =
	"INSERT INTO items(object, direction, tt_order_id, shopify_order, "
	"action, status, reason_code, reason, remedy, detail, needs_person, "
	"alert, tiktok_url, shopify_url, time, carried, buyer, buyer_message) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
	"?15, ?16, ?17, ?18)";

/* The columns of an item, in the order report_iter_next() reads them. */
static const char spool_select[] =
	"SELECT object, direction, tt_order_id, shopify_order, action, status, "
	"reason_code, reason, remedy, detail, needs_person, alert, tiktok_url, "
	"shopify_url, time, carried, buyer, buyer_message FROM items "
	"WHERE (?1 < 0 OR status = ?1) AND (?2 < 0 OR (alert <> 0) = ?2) "
	"AND (?3 IS NULL OR reason_code = ?3) ORDER BY seq";

static const char spool_lookup[] =
	"SELECT status, reason_code, detail FROM items "
	"WHERE object = ?1 AND tt_order_id = ?2";

static const char spool_groups[] =
	"SELECT reason_code, COUNT(*) AS n, MIN(seq) AS first FROM items "
	"WHERE status = ?1 AND alert = 0 GROUP BY reason_code "
	"ORDER BY n DESC, first";

static int spool_open(struct report *r)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL, *look = NULL;
	int ret = -1;

	if (sqlite3_open("", &db) != SQLITE_OK) {
		logmsg(LOG_ERROR, "report: cannot open the item spool: %s",
		       db ? sqlite3_errmsg(db) : "out of memory");
		goto cleanup;
	}
	if (sqlite3_exec(db, spool_schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(db, spool_insert, -1, SQLITE_PREPARE_PERSISTENT,
			       &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(db, spool_lookup, -1, SQLITE_PREPARE_PERSISTENT,
			       &look, NULL) != SQLITE_OK) {
		logmsg(LOG_ERROR, "report: cannot set up the item spool: %s",
		       sqlite3_errmsg(db));
		goto cleanup;
	}
	r->db = db;
	r->insert = ins;
	r->lookup = look;
	db = NULL;
	ins = look = NULL;
	ret = 0;
cleanup:
	sqlite3_finalize(ins);
	sqlite3_finalize(look);
	sqlite3_close(db);
	return ret;
}

void report_init(struct report *r, const char *run_id, const char *store,
		 const char *command, int dry_run)
{
	memset(r, 0, sizeof(*r));
	r->run_id = xstrdup(run_id ? run_id : "");
	r->store_name = xstrdup(store ? store : "");
	r->command = xstrdup(command ? command : "");
	r->dry_run = dry_run;
	if (spool_open(r) == -1)
		r->spool_failed = 1;
}

void report_free(struct report *r)
{
	if (r == NULL)
		return;
	sqlite3_finalize(r->insert);
	sqlite3_finalize(r->lookup);
	sqlite3_close(r->db);
	free(r->run_id);
	free(r->store_name);
	free(r->command);
	free(r->abort_reason);
	memset(r, 0, sizeof(*r));
}

/* A failure carried over from an earlier run says so in its detail, once
 * (callers may already have written it). */
static char *carried_detail(const struct report_item *it)
{
	const char *d = it->detail ? it->detail : "";

	if (!it->carried || strstr(d, REPORT_CARRIED_NOTE) != NULL)
		return xstrdup(d);
	return xasprintf("%s%s%s", REPORT_CARRIED_NOTE, d[0] ? "; " : "", d);
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_STATIC);
}

void report_add(struct report *r, const struct report_item *it)
{
	sqlite3_stmt *s = r->insert;
	char *detail = carried_detail(it);
	int rc;

	if (s == NULL) {
		logmsg(LOG_ERROR, "report: no item spool: %s %s (%s) not recorded",
		       it->object ? it->object : "item",
		       it->tt_order_id ? it->tt_order_id : "",
		       sync_status_name(it->status));
		r->spool_failed = 1;
		goto cleanup;
	}
	bind_text(s, 1, it->object);
	bind_text(s, 2, it->direction);
	bind_text(s, 3, it->tt_order_id);
	bind_text(s, 4, it->shopify_order);
	bind_text(s, 5, it->action);
	sqlite3_bind_int(s, 6, (int)it->status);
	bind_text(s, 7, it->reason_code);
	bind_text(s, 8, it->reason);
	bind_text(s, 9, it->remedy);
	bind_text(s, 10, detail);
	sqlite3_bind_int(s, 11, it->needs_person);
	sqlite3_bind_int(s, 12, it->alert);
	bind_text(s, 13, it->tiktok_url);
	bind_text(s, 14, it->shopify_url);
	sqlite3_bind_int64(s, 15, it->time);
	sqlite3_bind_int(s, 16, it->carried);
	bind_text(s, 17, it->buyer);
	bind_text(s, 18, it->buyer_message);
	rc = sqlite3_step(s);
	if (rc != SQLITE_DONE) {
		logmsg(LOG_ERROR, "report: cannot record %s %s (%s) in the item "
		       "spool: %s", it->object ? it->object : "item",
		       it->tt_order_id ? it->tt_order_id : "",
		       sync_status_name(it->status), sqlite3_errmsg(r->db));
		r->spool_failed = 1;
	} else {
		r->nitems++;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
cleanup:
	free(detail);
}

/* ---- reading the spool --------------------------------------------------- */

static const char *col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? (const char *)t : "";
}

int report_iter_open(const struct report *r, struct report_iter *ri,
		     int status, int alert, const char *reason_code)
{
	sqlite3_stmt *s = NULL;

	memset(ri, 0, sizeof(*ri));
	if (r->db == NULL)
		return 0;	/* nothing spooled (report_add said so) */
	if (sqlite3_prepare_v2(r->db, spool_select, -1, &s, NULL) != SQLITE_OK) {
		logmsg(LOG_ERROR, "report: cannot read the item spool: %s",
		       sqlite3_errmsg(r->db));
		ri->failed = 1;
		return -1;
	}
	sqlite3_bind_int(s, 1, status < 0 ? -1 : status);
	sqlite3_bind_int(s, 2, alert < 0 ? -1 : alert != 0);
	if (reason_code != NULL)
		sqlite3_bind_text(s, 3, reason_code, -1, SQLITE_TRANSIENT);
	ri->stmt = s;
	return 0;
}

const struct report_item *report_iter_next(struct report_iter *ri)
{
	sqlite3_stmt *s = ri->stmt;
	struct report_item *it = &ri->it;
	int rc;

	if (s == NULL)
		return NULL;
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		if (rc != SQLITE_DONE) {
			logmsg(LOG_ERROR, "report: cannot read the item spool: %s",
			       sqlite3_errmsg(sqlite3_db_handle(s)));
			ri->failed = 1;
		}
		sqlite3_finalize(s);
		ri->stmt = NULL;
		return NULL;
	}
	/* The text stays valid until the next step: the item borrows it. */
	it->object = (char *)col_text(s, 0);
	it->direction = (char *)col_text(s, 1);
	it->tt_order_id = (char *)col_text(s, 2);
	it->shopify_order = (char *)col_text(s, 3);
	it->action = (char *)col_text(s, 4);
	it->status = (enum sync_status)sqlite3_column_int(s, 5);
	it->reason_code = (char *)col_text(s, 6);
	it->reason = (char *)col_text(s, 7);
	it->remedy = (char *)col_text(s, 8);
	it->detail = (char *)col_text(s, 9);
	it->needs_person = sqlite3_column_int(s, 10);
	it->alert = sqlite3_column_int(s, 11);
	it->tiktok_url = (char *)col_text(s, 12);
	it->shopify_url = (char *)col_text(s, 13);
	it->time = sqlite3_column_int64(s, 14);
	it->carried = sqlite3_column_int(s, 15);
	it->buyer = (char *)col_text(s, 16);
	it->buyer_message = (char *)col_text(s, 17);
	return it;
}

void report_iter_close(struct report_iter *ri)
{
	sqlite3_finalize(ri->stmt);
	ri->stmt = NULL;
}

/* Does a spooled item of object/tt_id match? match() sees its status,
 * reason code and detail. */
static int spool_find(const struct report *r, const char *object,
		      const char *tt_id,
		      int (*match)(int status, const char *code,
				   const char *detail, const void *arg),
		      const void *arg)
{
	sqlite3_stmt *s = r->lookup;
	int rc = SQLITE_DONE, found = 0;

	if (s == NULL)
		return 0;
	sqlite3_bind_text(s, 1, object ? object : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, tt_id ? tt_id : "", -1, SQLITE_STATIC);
	while (!found && (rc = sqlite3_step(s)) == SQLITE_ROW)
		found = match(sqlite3_column_int(s, 0), col_text(s, 1),
			      col_text(s, 2), arg);
	if (!found && rc != SQLITE_DONE)
		logmsg(LOG_ERROR, "report: cannot read the item spool: %s",
		       sqlite3_errmsg(r->db));
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return found;
}

static int detail_contains(int status, const char *code, const char *detail,
			   const void *arg)
{
	return arg == NULL || strstr(detail, arg) != NULL;
}

int report_has(const struct report *r, const char *object, const char *tt_id,
	       const char *detail_substr)
{
	return spool_find(r, object, tt_id, detail_contains, detail_substr);
}

struct key_match {
	const char *key, *code;
	size_t keylen;
	int status;
};

static int detail_keyed(int status, const char *code, const char *detail,
			const void *arg)
{
	const struct key_match *k = arg;

	return status == k->status && strcmp(code, k->code) == 0 &&
	       strncmp(detail, k->key, k->keylen) == 0 &&
	       (detail[k->keylen] == '\0' || detail[k->keylen] == ';');
}

int report_has_key(const struct report *r, const char *object,
		   const char *tt_id, const char *key, enum sync_status status,
		   const char *reason_code)
{
	struct key_match k;

	if (key == NULL)
		return 0;
	k.key = key;
	k.keylen = strlen(key);
	k.code = reason_code ? reason_code : "";
	k.status = (int)status;
	return spool_find(r, object, tt_id, detail_keyed, &k);
}

int report_failure_groups(const struct report *r, char ***codes,
			  size_t **counts, size_t *n)
{
	sqlite3_stmt *s = NULL;
	char **c = NULL;
	size_t *k = NULL, len = 0, cap = 0, i;
	int rc, ret = -1;

	*codes = NULL;
	*counts = NULL;
	*n = 0;
	if (r->db == NULL)
		return 0;
	if (sqlite3_prepare_v2(r->db, spool_groups, -1, &s, NULL) != SQLITE_OK)
		goto cleanup;
	sqlite3_bind_int(s, 1, SYNC_FAILED);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? 2 * cap : 16;
			c = xrealloc(c, cap * sizeof(*c));
			k = xrealloc(k, cap * sizeof(*k));
		}
		c[len] = xstrdup(col_text(s, 0));
		k[len] = (size_t)sqlite3_column_int64(s, 1);
		len++;
	}
	if (rc != SQLITE_DONE)
		goto cleanup;
	*codes = c;
	*counts = k;
	*n = len;
	c = NULL;
	k = NULL;
	ret = 0;
cleanup:
	if (ret == -1)
		logmsg(LOG_ERROR, "report: cannot read the item spool: %s",
		       sqlite3_errmsg(r->db));
	for (i = 0; c != NULL && i < len; i++)
		free(c[i]);
	free(c);
	free(k);
	sqlite3_finalize(s);
	return ret;
}

/* ---- the writers -------------------------------------------------------- */

static int write_synced_csv(FILE *f, const struct report *r, struct err *e)
{
	return report_write_csv_status(f, r, SYNC_SYNCED, e);
}

static int write_failed_csv(FILE *f, const struct report *r, struct err *e)
{
	return report_write_csv(f, r, 1, e);
}

static int write_items_csv(FILE *f, const struct report *r, struct err *e)
{
	return report_write_csv(f, r, 0, e);
}

static const struct report_writer {
	const char *name;
	const char *file;
	int (*write)(FILE *f, const struct report *r, struct err *e);
} writers[] = {
	{ "synced items (CSV)", "synced.csv", write_synced_csv },
	{ "failed items (CSV)", "failed.csv", write_failed_csv },
	{ "every item (CSV)", "items.csv", write_items_csv },
	{ "report page (HTML)", "report.html", report_write_html },
};

/* ---- files and folders -------------------------------------------------- */

/* A run id becomes one folder name: no separators, nothing hidden, not
 * the name of the `latest` link. */
static int check_run_id(const char *id, struct err *e)
{
	const char *p;

	if (id == NULL || *id == '\0')
		return err_set(e, ERR_IO, "REPORT_RUN_ID",
			       "report: the run id is empty");
	if (id[0] == '.' || strcmp(id, LATEST_NAME) == 0 ||
	    strcmp(id, LATEST_TMP_NAME) == 0)
		return err_set(e, ERR_IO, "REPORT_RUN_ID",
			       "report: run id '%s' cannot name a report folder",
			       id);
	for (p = id; *p; p++) {
		if (*p == '/' || (unsigned char)*p < 0x20)
			return err_set(e, ERR_IO, "REPORT_RUN_ID",
				       "report: run id '%s' cannot name a report folder",
				       id);
	}
	return 0;
}

/* mkdir -p: create `path` and its missing parents. Fails, naming the
 * path, when something on the way is not a directory. */
static int make_dirs(const char *path, struct err *e)
{
	char *buf = xstrdup(path);
	struct stat st;
	char *p;
	int ret = -1;

	for (p = buf + 1; ; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(buf, REPORT_DIR_MODE) == -1 && errno != EEXIST) {
			err_set(e, ERR_IO, "REPORT_DIR",
				"reports folder %s: cannot create %s: %s",
				path, buf, strerror(errno));
			goto cleanup;
		}
		if (stat(buf, &st) == -1) {
			err_set(e, ERR_IO, "REPORT_DIR",
				"reports folder %s: %s: %s", path, buf,
				strerror(errno));
			goto cleanup;
		}
		if (!S_ISDIR(st.st_mode)) {
			err_set(e, ERR_IO, "REPORT_DIR",
				"reports folder %s: %s is not a directory",
				path, buf);
			goto cleanup;
		}
		*p = c;
		if (c == '\0')
			break;
		while (p[1] == '/')
			p++;
		if (p[1] == '\0')
			break;
	}
	ret = 0;
cleanup:
	free(buf);
	return ret;
}

/* fsync a folder so that the renames inside it survive a power loss. */
static int sync_dir(const char *path, struct err *e)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = -1;

	if (fd == -1)
		return err_set(e, ERR_IO, "REPORT_WRITE", "%s: %s", path,
			       strerror(errno));
	if (fsync(fd) == -1 && errno != EINVAL) {
		err_set(e, ERR_IO, "REPORT_WRITE", "%s: fsync: %s", path,
			strerror(errno));
		goto cleanup;
	}
	ret = 0;
cleanup:
	close(fd);
	return ret;
}

/* Write one file of the run folder: temp file beside the target, checked
 * writes, fflush, fsync, fclose, rename. */
static int write_one(const char *dir, const struct report_writer *w,
		     const struct report *r, struct err *e)
{
	char *target = xasprintf("%s/%s", dir, w->file);
	char *tmp = xasprintf("%s/.%s.tmp.XXXXXX", dir, w->file);
	FILE *f = NULL;
	mode_t mask;
	int fd = -1, ret = -1, tmp_exists = 0;

	fd = mkstemp(tmp);
	if (fd == -1) {
		err_set(e, ERR_IO, "REPORT_WRITE", "%s: cannot create %s: %s",
			w->name, tmp, strerror(errno));
		goto cleanup;
	}
	tmp_exists = 1;
	/* mkstemp creates 0600: give the file the mode open(2) would. */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, REPORT_FILE_MODE & ~mask) == -1) {
		err_set(e, ERR_IO, "REPORT_WRITE", "%s: %s: chmod: %s",
			w->name, tmp, strerror(errno));
		goto cleanup;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		err_set(e, ERR_IO, "REPORT_WRITE", "%s: %s: %s", w->name, tmp,
			strerror(errno));
		goto cleanup;
	}
	fd = -1;		/* owned by f now */
	if (w->write(f, r, e) == -1) {
		err_prefix(e, "%s: %s", w->name, target);
		goto cleanup;
	}
	if (fflush(f) == EOF || ferror(f)) {
		err_set(e, ERR_IO, "REPORT_WRITE", "%s: writing %s: %s",
			w->name, tmp, strerror(errno));
		goto cleanup;
	}
	if (fsync(fileno(f)) == -1) {
		err_set(e, ERR_IO, "REPORT_WRITE", "%s: fsync %s: %s",
			w->name, tmp, strerror(errno));
		goto cleanup;
	}
	if (fclose(f) == EOF) {
		f = NULL;
		err_set(e, ERR_IO, "REPORT_WRITE", "%s: closing %s: %s",
			w->name, tmp, strerror(errno));
		goto cleanup;
	}
	f = NULL;
	if (rename(tmp, target) == -1) {
		err_set(e, ERR_IO, "REPORT_WRITE", "%s: cannot rename %s to %s: %s",
			w->name, tmp, target, strerror(errno));
		goto cleanup;
	}
	tmp_exists = 0;
	ret = 0;
cleanup:
	if (f != NULL)
		fclose(f);	/* already failing: its result adds nothing */
	if (fd != -1)
		close(fd);
	if (tmp_exists)
		unlink(tmp);
	free(target);
	free(tmp);
	return ret;
}

/* reports_dir/latest -> <run id>, replaced atomically: a new symlink
 * latest.tmp renamed over latest. */
static int point_latest(const char *reports_dir, const char *run_id,
			struct err *e)
{
	char *tmp = xasprintf("%s/%s", reports_dir, LATEST_TMP_NAME);
	char *latest = xasprintf("%s/%s", reports_dir, LATEST_NAME);
	int ret = -1, tmp_exists = 0;

	/* A latest.tmp left by a run that died here is stale: replace it. */
	if (unlink(tmp) == -1 && errno != ENOENT) {
		err_set(e, ERR_IO, "REPORT_LATEST", "cannot remove stale %s: %s",
			tmp, strerror(errno));
		goto cleanup;
	}
	if (symlink(run_id, tmp) == -1) {
		err_set(e, ERR_IO, "REPORT_LATEST", "cannot create %s: %s", tmp,
			strerror(errno));
		goto cleanup;
	}
	tmp_exists = 1;
	if (rename(tmp, latest) == -1) {
		err_set(e, ERR_IO, "REPORT_LATEST",
			"cannot point %s at %s: %s", latest, run_id,
			strerror(errno));
		goto cleanup;
	}
	tmp_exists = 0;
	if (sync_dir(reports_dir, e) == -1)
		goto cleanup;
	ret = 0;
cleanup:
	if (tmp_exists)
		unlink(tmp);
	free(tmp);
	free(latest);
	return ret;
}

/* Every failure is logged; the caller gets the first. */
static void keep_first(const struct err *werr, struct err *e, int *failed)
{
	logmsg(LOG_ERROR, "report: %s", werr->msg);
	if (!*failed && e)
		*e = *werr;
	*failed = 1;
}

int report_write(const char *reports_dir, const struct report *r,
		 char **dir_out, struct err *e)
{
	struct err werr = { 0 };
	struct stat st;
	char *dir = NULL;
	size_t i;
	int ret = -1, failed = 0;

	if (dir_out)
		*dir_out = NULL;
	if (reports_dir == NULL || *reports_dir == '\0')
		return err_set(e, ERR_IO, "REPORT_DIR",
			       "no reports folder configured");
	if (check_run_id(r->run_id, e) == -1)
		return -1;
	if (make_dirs(reports_dir, e) == -1)
		return -1;

	dir = xasprintf("%s/%s", reports_dir, r->run_id);
	if (mkdir(dir, REPORT_DIR_MODE) == -1 && errno != EEXIST) {
		err_set(e, ERR_IO, "REPORT_DIR", "cannot create report folder %s: %s",
			dir, strerror(errno));
		goto cleanup;
	}
	if (lstat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		err_set(e, ERR_IO, "REPORT_DIR", "report folder %s is not a directory",
			dir);
		goto cleanup;
	}

	if (r->spool_failed) {
		err_set(&werr, ERR_IO, "REPORT_SPOOL",
			"some items of this run could not be recorded (see the "
			"errors above): the report in %s lacks them", dir);
		keep_first(&werr, e, &failed);
	}
	for (i = 0; i < ARRAY_SIZE(writers); i++)
		if (write_one(dir, &writers[i], r, &werr) == -1)
			keep_first(&werr, e, &failed);
	if (sync_dir(dir, &werr) == -1)
		keep_first(&werr, e, &failed);
	/* Even after a failed writer the folder is this run's: point at it. */
	if (point_latest(reports_dir, r->run_id, &werr) == -1)
		keep_first(&werr, e, &failed);
	if (dir_out) {
		*dir_out = dir;
		dir = NULL;
	}
	ret = failed ? -1 : 0;
cleanup:
	free(dir);
	return ret;
}

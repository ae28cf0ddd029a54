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
 * report_add() copies an item; a carried failure (one still open from an
 * earlier run) gets REPORT_CARRIED_NOTE at the start of its detail unless
 * the caller already wrote it, so every format marks it the same way.
 *
 * Owns: the strings of struct report and of its items (all copies).
 */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
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

/* ---- the item list ------------------------------------------------------ */

void report_init(struct report *r, const char *run_id, const char *store,
		 const char *command, int dry_run)
{
	memset(r, 0, sizeof(*r));
	r->run_id = xstrdup(run_id ? run_id : "");
	r->store_name = xstrdup(store ? store : "");
	r->command = xstrdup(command ? command : "");
	r->dry_run = dry_run;
}

static void item_free(struct report_item *it)
{
	free(it->object);
	free(it->direction);
	free(it->tt_order_id);
	free(it->shopify_order);
	free(it->action);
	free(it->reason_code);
	free(it->reason);
	free(it->remedy);
	free(it->detail);
	free(it->tiktok_url);
	free(it->buyer);
	free(it->buyer_message);
	free(it->shopify_url);
}

void report_free(struct report *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nitems; i++)
		item_free(&r->items[i]);
	free(r->items);
	free(r->run_id);
	free(r->store_name);
	free(r->command);
	free(r->abort_reason);
	memset(r, 0, sizeof(*r));
}

static char *dup_or_empty(const char *s)
{
	return xstrdup(s ? s : "");
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

void report_add(struct report *r, const struct report_item *it)
{
	struct report_item *n;

	if (r->nitems == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->items = xrealloc(r->items, r->cap * sizeof(*r->items));
	}
	n = &r->items[r->nitems++];
	*n = *it;
	n->object = dup_or_empty(it->object);
	n->direction = dup_or_empty(it->direction);
	n->tt_order_id = dup_or_empty(it->tt_order_id);
	n->shopify_order = dup_or_empty(it->shopify_order);
	n->action = dup_or_empty(it->action);
	n->reason_code = dup_or_empty(it->reason_code);
	n->reason = dup_or_empty(it->reason);
	n->remedy = dup_or_empty(it->remedy);
	n->detail = carried_detail(it);
	n->tiktok_url = dup_or_empty(it->tiktok_url);
	n->shopify_url = dup_or_empty(it->shopify_url);
	n->buyer = dup_or_empty(it->buyer);
	n->buyer_message = dup_or_empty(it->buyer_message);
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

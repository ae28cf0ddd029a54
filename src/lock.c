/*
 * lock.c - one run per store: an exclusive, non-blocking flock(2) on a lock
 * file beside the state file, with the holder's pid written into it so that
 * "another run holds the lock" can name the process. The kernel drops the
 * lock when the holder exits, however it exits (SIGKILL included), so a
 * stale lock file never blocks the next run. Owns the lock file descriptor
 * and its path (struct store_lock), released by lock_release().
 */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

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
				ret = err_set(e, ERR_IO, "LOCK",
					      "cannot create directory %s: %s", dir,
					      strerror(errno));
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

/* The pid the holder wrote, or 0 when unreadable. */
static long read_holder_pid(int fd)
{
	char buf[32];
	ssize_t n;
	char *end;
	long pid;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	if (end == buf || pid <= 0 || (*end != '\n' && *end != '\0'))
		return 0;
	return pid;
}

int lock_acquire(const char *path, struct store_lock *l, struct err *e)
{
	char pidbuf[32];
	int fd = -1, n;

	l->fd = -1;
	l->path = NULL;
	if (make_parent_dirs(path, e) != 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return err_set(e, ERR_IO, "LOCK", "cannot open lock file %s: %s",
			       path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int saved = errno;
		long pid;

		if (saved != EWOULDBLOCK) {
			close(fd);
			return err_set(e, ERR_IO, "LOCK", "cannot lock %s: %s", path,
				       strerror(saved));
		}
		pid = read_holder_pid(fd);
		close(fd);
		if (pid > 0)
			return err_set(e, ERR_LOCKED, "LOCKED",
				       "another ttsync run (pid %ld) holds the lock "
				       "%s for this store; not started", pid, path);
		return err_set(e, ERR_LOCKED, "LOCKED",
			       "another ttsync run holds the lock %s for this "
			       "store; not started", path);
	}
	/* Ours: record who holds it. A failure here is not fatal to the lock
	 * itself, but a run that cannot write beside its state should stop. */
	n = snprintf(pidbuf, sizeof(pidbuf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 ||
	    pwrite(fd, pidbuf, (size_t)n, 0) != (ssize_t)n) {
		int saved = errno;

		close(fd);
		return err_set(e, ERR_IO, "LOCK", "cannot write lock file %s: %s",
			       path, strerror(saved));
	}
	l->fd = fd;
	l->path = xstrdup(path);
	return 0;
}

void lock_release(struct store_lock *l)
{
	if (l == NULL)
		return;
	if (l->fd >= 0) {
		/* Clear the pid while still holding the lock; the file stays
		 * (unlinking it would race with a run opening it). */
		if (ftruncate(l->fd, 0) != 0)
			logmsg(LOG_DEBUG, "cannot clear lock file %s", l->path);
		close(l->fd);	/* drops the flock */
	}
	l->fd = -1;
	free(l->path);
	l->path = NULL;
}

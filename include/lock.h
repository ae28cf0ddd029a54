/*
 * lock.h - one exclusive, non-blocking lock per store (flock on a lock
 * file beside the state file). "Another run holds the lock" is an outcome
 * (ERR_LOCKED, exit 4), never a wait.
 */
#ifndef TTSYNC_LOCK_H
#define TTSYNC_LOCK_H

#include "common.h"

struct store_lock {
	int fd;
	char *path;
};

/* Take the lock or fail at once with ERR_LOCKED naming the file (and the
 * pid written in it by the holder, when readable). */
int lock_acquire(const char *path, struct store_lock *l, struct err *e);
void lock_release(struct store_lock *l);

#endif

/*
 * check_lock.c - lock.c: a second run (another process) is refused at once
 * with ERR_LOCKED naming the holder's pid; a released lock, or the lock of
 * a process that died, can be taken again; the lock file is private.
 */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lock.h"

static char tmpdir[PATH_MAX];
static char lockpath[PATH_MAX + 64];

static void setup(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/ttsync-lock-XXXXXX", t ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	/* A directory that does not exist yet: the first run creates it. */
	snprintf(lockpath, sizeof(lockpath), "%s/state/acme.sqlite.lock", tmpdir);
}

static void teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

/* In a child process: try the lock. Exit codes: 0 got it, 4 ERR_LOCKED
 * with the expected pid in the message, 1 anything else. */
static int try_in_child(long expect_pid)
{
	pid_t pid = fork();
	int status = 0;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct store_lock l;
		struct err e = { 0 };
		char want[64];

		if (lock_acquire(lockpath, &l, &e) == 0) {
			lock_release(&l);
			_exit(0);
		}
		snprintf(want, sizeof(want), "(pid %ld)", expect_pid);
		if (e.cls == ERR_LOCKED && strstr(e.msg, want) != NULL &&
		    strstr(e.msg, lockpath) != NULL)
			_exit(4);
		fprintf(stderr, "child: %s\n", e.msg);
		_exit(1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(test_second_run_refused)
{
	struct store_lock l;
	struct err e = { 0 };
	struct stat st;
	char buf[32] = { 0 };
	FILE *f;

	ck_assert_msg(lock_acquire(lockpath, &l, &e) == 0, "%s", e.msg);
	ck_assert_int_ge(l.fd, 0);
	ck_assert_str_eq(l.path, lockpath);
	/* The holder's pid is in the file; the file is private. */
	f = fopen(lockpath, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	ck_assert_int_eq(atol(buf), (long)getpid());
	ck_assert_int_eq(stat(lockpath, &st), 0);
	ck_assert_int_eq(st.st_mode & 077, 0);

	ck_assert_int_eq(try_in_child((long)getpid()), 4);
	lock_release(&l);
	ck_assert_int_eq(l.fd, -1);
	ck_assert_ptr_null(l.path);
	/* Released: another process takes it. */
	ck_assert_int_eq(try_in_child(0), 0);
	/* And this one again. */
	ck_assert_int_eq(lock_acquire(lockpath, &l, &e), 0);
	lock_release(&l);
}
END_TEST

START_TEST(test_dead_holder_releases)
{
	struct store_lock l;
	struct err e = { 0 };
	int fds[2], status;
	pid_t pid;
	char c;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct store_lock cl;
		struct err ce = { 0 };

		close(fds[0]);
		if (lock_acquire(lockpath, &cl, &ce) != 0)
			_exit(1);
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		pause();	/* killed below, lock still held */
		_exit(0);
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	close(fds[0]);
	/* Held by the child: refused, naming the child. */
	ck_assert_int_eq(lock_acquire(lockpath, &l, &e), -1);
	ck_assert_int_eq(e.cls, ERR_LOCKED);
	{
		char want[64];

		snprintf(want, sizeof(want), "(pid %ld)", (long)pid);
		ck_assert_msg(strstr(e.msg, want) != NULL, "%s", e.msg);
	}
	/* SIGKILL: no cleanup ran, yet the lock is free. */
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(lock_acquire(lockpath, &l, &e) == 0, "%s", e.msg);
	lock_release(&l);
}
END_TEST

START_TEST(test_unusable_path)
{
	struct store_lock l;
	struct err e = { 0 };
	char path[PATH_MAX + 64];
	FILE *f;

	/* A directory component that is a file. */
	snprintf(path, sizeof(path), "%s/file", tmpdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/file/x.lock", tmpdir);
	ck_assert_int_eq(lock_acquire(path, &l, &e), -1);
	ck_assert_int_eq(e.cls, ERR_IO);
	ck_assert_ptr_nonnull(strstr(e.msg, tmpdir));
	ck_assert_int_eq(l.fd, -1);
}
END_TEST

static Suite *lock_suite(void)
{
	Suite *s = suite_create("lock");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_second_run_refused);
	tcase_add_test(tc, test_dead_holder_releases);
	tcase_add_test(tc, test_unusable_path);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(lock_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

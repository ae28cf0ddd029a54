/*
 * common.c - the error record, allocation, string buffers, the injectable
 * clock, ISO 8601 times and logging. Owns no resources beyond what callers
 * free.
 */
#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- errors ------------------------------------------------------------ */

int err_set(struct err *e, enum err_class cls, const char *code,
	    const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->cls = cls;
	snprintf(e->code, sizeof(e->code), "%s", code ? code : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
	char pre[512], old[ERR_MSG_MAX];
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	/* Truncation of a long message is acceptable here. */
	if (snprintf(e->msg, sizeof(e->msg), "%.500s: %.500s", pre, old) < 0)
		e->msg[0] = '\0';
	return -1;
}

void err_clear(struct err *e)
{
	if (e == NULL)
		return;
	e->cls = ERR_NONE;
	e->code[0] = '\0';
	e->msg[0] = '\0';
}

/* ---- allocation -------------------------------------------------------- */

static void oom(size_t n)
{
	fprintf(stderr, "ttsync: out of memory (%zu bytes)\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	p = strdup(s);
	if (p == NULL)
		oom(strlen(s) + 1);
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p;

	if (s == NULL)
		return NULL;
	p = strndup(s, n);
	if (p == NULL)
		oom(n + 1);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(strlen(fmt));
	return p;
}

int xsnprintf(char *dst, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(dst, n, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= n)
		return -1;
	return 0;
}

/* ---- strbuf ------------------------------------------------------------ */

static void sb_grow(struct strbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;

	if (need <= sb->cap)
		return;
	if (sb->cap == 0)
		sb->cap = 64;
	while (sb->cap < need)
		sb->cap *= 2;
	sb->buf = xrealloc(sb->buf, sb->cap);
}

void sb_addn(struct strbuf *sb, const char *s, size_t n)
{
	sb_grow(sb, n);
	if (n)
		memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_add(struct strbuf *sb, const char *s)
{
	sb_addn(sb, s, strlen(s));
}

void sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap, ap2;
	int n;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		va_end(ap2);
		return;
	}
	sb_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	sb->len += (size_t)n;
}

void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

char *sb_detach(struct strbuf *sb)
{
	char *p = sb->buf ? sb->buf : xstrdup("");

	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return p;
}

void sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

/* ---- clock ------------------------------------------------------------- */

static int clock_pinned;	/* TTSYNC_NOW=<epoch>: time stands still */
static int64_t clock_value;	/* pinned value, or offset to real time */
static void (*sleeper)(int64_t ms, void *arg);
static void *sleeper_arg;

int clock_init_from_env(struct err *e)
{
	const char *v = getenv("TTSYNC_NOW");
	char *end;
	long long n;

	clock_pinned = 0;
	clock_value = 0;
	if (v == NULL || *v == '\0')
		return 0;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0')
		return err_set(e, ERR_USAGE, "BAD_TTSYNC_NOW",
			       "TTSYNC_NOW: '%s' is neither epoch seconds nor +N/-N seconds",
			       v);
	if (v[0] == '+' || v[0] == '-') {
		clock_value = n;
	} else {
		clock_pinned = 1;
		clock_value = n;
	}
	return 0;
}

int64_t clock_now(void)
{
	if (clock_pinned)
		return clock_value;
	return (int64_t)time(NULL) + clock_value;
}

int64_t clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void clock_set_sleeper(void (*fn)(int64_t ms, void *arg), void *arg)
{
	sleeper = fn;
	sleeper_arg = arg;
}

void clock_sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	if (sleeper) {
		sleeper(ms, sleeper_arg);
		return;
	}
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int time_to_iso8601(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL) {
		out[0] = '\0';
		return -1;
	}
	if (strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	return 0;
}

int iso8601_to_time(const char *s, int64_t *out)
{
	struct tm tm;
	const char *p;
	int off_sign = 0, oh = 0, om = 0;

	if (s == NULL)
		return -1;
	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL)
		return -1;
	if (*p == '.') {	/* fractional seconds: ignored */
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		off_sign = *p == '+' ? 1 : -1;
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
			return -1;
		p += 6;
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	*out = (int64_t)timegm(&tm) - off_sign * (oh * 3600 + om * 60);
	return 0;
}

/* ---- logging ----------------------------------------------------------- */

static int log_level = LOG_WARN;

void log_set_level(int level)
{
	log_level = level;
}

void log_init_from_env(void)
{
	const char *v = getenv("TTSYNC_LOG");

	if (v && v[0] >= '0' && v[0] <= '3' && v[1] == '\0')
		log_level = v[0] - '0';
}

int log_get_level(void)
{
	return log_level;
}

void logmsg(enum log_level lvl, const char *fmt, ...)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	va_list ap;

	if ((int)lvl > log_level)
		return;
	fprintf(stderr, "ttsync: %s: ", names[lvl]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

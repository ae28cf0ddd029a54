/*
 * common.h - the small vocabulary every ttsync module shares: the error
 * record, allocation helpers that never return NULL silently, a growable
 * string buffer, and the injectable clock.
 *
 * Conventions (see ../shared/STYLE.md):
 *  - Only main() and cmd_*() end the process. Everything below returns
 *    0 on success or -1 on error after filling a struct err.
 *  - Times are UTC epoch seconds (int64_t). Money is int64_t minor units.
 *  - Platform IDs (TikTok, Shopify GIDs) are strings.
 */
#ifndef TTSYNC_COMMON_H
#define TTSYNC_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Error classes: what the caller (and the exit code) should make of it. */
enum err_class {
	ERR_NONE = 0,
	ERR_USAGE,	/* bad command line                     -> exit 2 */
	ERR_CONFIG,	/* bad configuration file               -> exit 2 */
	ERR_LOCKED,	/* another run holds the store lock     -> exit 4 */
	ERR_IO,		/* local file / disk problem            -> exit 3 */
	ERR_STATE,	/* SQLite state unusable                -> exit 3 */
	ERR_AUTH,	/* platform refused our credentials     -> exit 3 */
	ERR_NETWORK,	/* unreachable / timed out after retries -> exit 3 */
	ERR_PLATFORM,	/* platform answered with an error (item level) */
	ERR_DATA,	/* malformed remote data (item level) */
	ERR_UNKNOWN_OUTCOME, /* a write was sent, the answer was lost */
	ERR_OOM,
};

#define ERR_MSG_MAX 1024

struct err {
	enum err_class cls;
	char code[64];		/* stable reason code, e.g. "TT_36009004", "SKU_NOT_LINKED" */
	char msg[ERR_MSG_MAX];	/* sentence naming the file/field/value at fault */
};

/* Fill e (when non-NULL) and return -1, so callers can `return err_set(...)`. */
int err_set(struct err *e, enum err_class cls, const char *code,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Prefix an existing message: "context: old message". Returns -1. */
int err_prefix(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void err_clear(struct err *e);

/* Allocation: abort with a message on out-of-memory (the only sane
 * reaction in a batch job; SQLite keeps state consistent). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);		/* xstrdup(NULL) == NULL */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Growable NUL-terminated buffer. */
struct strbuf {
	char *buf;
	size_t len, cap;
};
#define STRBUF_INIT { NULL, 0, 0 }
void sb_add(struct strbuf *sb, const char *s);
void sb_addn(struct strbuf *sb, const char *s, size_t n);
void sb_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sb_reset(struct strbuf *sb);
char *sb_detach(struct strbuf *sb);	/* caller frees; never NULL */
void sb_free(struct strbuf *sb);

/* Bounded formatting that reports truncation: returns 0, or -1 when the
 * output did not fit (dst is still NUL-terminated). */
int xsnprintf(char *dst, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The clock. Production reads time(2); tests and the demo may pin it with
 * the environment variable TTSYNC_NOW (epoch seconds, or "+N"/"-N" seconds
 * relative to the real clock) so that ttsync and the emulators agree on
 * "now" when a test moves the emulator's clock. Sleeping goes through
 * clock_sleep_ms so tests can count instead of wait.
 */
int64_t clock_now(void);
int64_t clock_now_ms(void);		/* real monotonic-ish ms, for backoff */
int clock_init_from_env(struct err *e);
void clock_sleep_ms(int64_t ms);
/* Test hook: replace the sleeper (NULL restores nanosleep). */
void clock_set_sleeper(void (*fn)(int64_t ms, void *arg), void *arg);

/* "2026-11-21T23:53:01Z" <-> epoch seconds. */
int time_to_iso8601(int64_t t, char out[32]);
int iso8601_to_time(const char *s, int64_t *out);

/* Logging to stderr with a level; never logs secrets (callers' duty: use
 * redact() on anything that might hold one). Level from TTSYNC_LOG or
 * --verbose: 0 error, 1 warn, 2 info, 3 debug. */
enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };
void log_set_level(int level);
/* Level from TTSYNC_LOG (0-3) when set. */
void log_init_from_env(void);
int log_get_level(void);
void logmsg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif

/*
 * http.h - the only libcurl user. A batch engine: callers queue requests,
 * http_run() drives them concurrently (curl multi) within per-platform
 * rate limits and calls each request's completion callback in the calling
 * thread as it finishes. Retries with exponential backoff and jitter are
 * done here for requests marked retry-safe; `Retry-After` is honoured.
 *
 * The engine knows nothing of TikTok or Shopify: each request carries a
 * `classify` callback (supplied by the platform client) that reads a
 * response and says OK / RETRY (after N ms) / FAIL, and a limiter to wait
 * on. Write requests are never resent when their outcome is unknown
 * (connection dropped or timed out after the request was sent, 5xx): the
 * completion callback gets HTTP_OUTCOME_UNKNOWN and the caller looks the
 * write up on the platform before deciding.
 *
 * TLS peer and host verification are always on. Plain http:// is refused
 * unless the engine was created with allow_insecure_loopback and the host
 * is 127.0.0.1, ::1 or localhost.
 */
#ifndef TTSYNC_HTTP_H
#define TTSYNC_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include "common.h"

struct http;

struct http_opts {
	int concurrency;		/* max in-flight requests overall */
	int timeout_seconds;		/* per attempt */
	int max_attempts;		/* per request (retry-safe ones) */
	int allow_insecure_loopback;
	const char *ca_file;		/* NULL = system default */
	const char *user_agent;		/* "ttsync/<version>" */
	int64_t base_backoff_ms;	/* first retry delay (default 500) */
	int64_t max_backoff_ms;		/* cap (default 30000) */
	int64_t deadline_ms;		/* absolute clock_now_ms() after which nothing new starts; 0 = none */
};

/* A rate limiter shared by the requests of one platform (or one API).
 * Token bucket: `capacity` tokens, refilled at `rate` per second; a request
 * takes `cost` tokens. Clients may re-seed it from the platform's own
 * figures (Shopify's throttleStatus) with http_limiter_observe(). */
struct http_limiter;
struct http_limiter *http_limiter_new(const char *name, double capacity,
				      double rate_per_s);
void http_limiter_free(struct http_limiter *l);
void http_limiter_observe(struct http_limiter *l, double available,
			  double capacity, double rate_per_s);
/* Counters for `make bench` and the run statistics. */
struct http_limiter_stats {
	uint64_t requests, tokens;
	int64_t first_ms, last_ms;	/* first start, last finish */
	int64_t waited_ms;		/* time spent waiting for tokens */
};
void http_limiter_stats(const struct http_limiter *l,
			struct http_limiter_stats *out);

enum http_verdict {
	HTTP_VERDICT_OK = 0,		/* hand the response to the callback */
	HTTP_VERDICT_RETRY,		/* throttled / transient, safe to resend */
	HTTP_VERDICT_FAIL,		/* hand it to the callback as a failure */
	HTTP_VERDICT_REFUSED,		/* throttled before execution (TikTok 36009002,
					 * Shopify THROTTLED): resent even when not
					 * retry-safe; HTTP 429 + RETRY counts as this */
};

struct http_resp {
	long status;			/* 0 when no HTTP response */
	char *body;			/* NUL-terminated, may be NULL */
	size_t len;
	int64_t retry_after_ms;		/* from Retry-After, -1 if absent */
	int curl_code;			/* CURLcode of the last attempt */
	char curl_error[256];
	int attempts;
	int sent;			/* the request may have reached the server */
};

enum http_outcome {
	HTTP_OUTCOME_OK = 0,		/* classify said OK */
	HTTP_OUTCOME_FAILED,		/* definite failure (classify FAIL, or retries exhausted before anything was sent) */
	HTTP_OUTCOME_UNKNOWN,		/* a non-retry-safe request may have been applied */
	HTTP_OUTCOME_GAVE_UP,		/* retry-safe request, retries exhausted */
	HTTP_OUTCOME_DEADLINE,		/* not started: run deadline passed */
};

struct http_req;
typedef enum http_verdict (*http_classify_fn)(const struct http_resp *r,
					      void *ctx, int64_t *retry_ms);
typedef void (*http_done_fn)(struct http_req *req, enum http_outcome oc,
			     const struct http_resp *r, void *arg);
/* Called before each attempt (including the first) so the client can
 * re-sign with a fresh timestamp. Returns 0, or -1 to abandon. */
typedef int (*http_prepare_fn)(struct http_req *req, void *ctx);

struct http_req {
	/* Filled by the caller (the platform client): */
	char *method;			/* "GET" / "POST" */
	char *url;			/* absolute */
	char **headers;			/* "Name: value" strings */
	size_t nheaders;
	char *body;			/* exact bytes to send (signed as is) */
	size_t body_len;
	int retry_safe;			/* reads, and writes refused before execution */
	int urgent;			/* queued ahead of the others (reads that feed
					 * a pipeline: queued bulk writes must not
					 * starve them); FIFO among themselves */
	double cost;			/* limiter tokens (1 for TikTok, query cost for Shopify) */
	struct http_limiter *limiter;	/* may be NULL */
	http_classify_fn classify;
	void *classify_ctx;
	http_prepare_fn prepare;	/* may be NULL */
	void *prepare_ctx;
	http_done_fn done;
	void *done_arg;
	const char *log_label;		/* for debug logs; never contains secrets */
	/* Owned by the engine: */
	void *priv;
};

/* Helpers for building a request; all strings are copied. */
struct http_req *http_req_new(const char *method, const char *url);
void http_req_add_header(struct http_req *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void http_req_set_body(struct http_req *r, const char *body, size_t len);
void http_req_set_url(struct http_req *r, const char *url);
void http_req_clear_headers(struct http_req *r);
void http_req_free(struct http_req *r);

int http_new(const struct http_opts *o, struct http **out, struct err *e);
void http_free(struct http *h);

/* Queue a request; the engine takes ownership and frees it after `done`
 * returns. Returns -1 (and frees it) when the URL is refused (insecure). */
int http_submit(struct http *h, struct http_req *r, struct err *e);
/* Drive every queued request (and those queued by callbacks) to
 * completion. Returns 0 when the queue is empty. */
int http_run(struct http *h, struct err *e);
/* Drive the engine until *flag becomes non-zero (set by a callback) or
 * nothing is left to do. Other requests progress and their callbacks run
 * too. Safe to call from inside a completion callback. */
int http_run_until(struct http *h, const int *flag, struct err *e);

/* Synchronous convenience: submit one request and run it. The response is
 * copied into *out (caller frees with http_resp_free). Returns 0 once the
 * request has an outcome (*oc), -1 when it was refused at submission or
 * the engine failed. Drives the engine like http_run_until. */
int http_do(struct http *h, struct http_req *r, enum http_outcome *oc,
	    struct http_resp *out, struct err *e);
void http_resp_free(struct http_resp *r);

/* Test seam: replace the transport for one engine (unit tests of retry and
 * rate-limit logic without sockets). NULL restores libcurl. The function
 * fills *out (zeroed, retry_after_ms -1) and returns 0 when an HTTP
 * response arrived (status, body malloc'ed: the engine frees it), or -1
 * for a transport failure (curl_code, curl_error, and sent = whether the
 * request may have reached the server). Requests started in one
 * scheduling pass count as in flight together until they are decided. */
typedef int (*http_transport_fn)(const struct http_req *req,
				 struct http_resp *out, void *arg);
void http_set_transport(struct http *h, http_transport_fn fn, void *arg);
/* Test seam: the engine's millisecond clock (NULL restores clock_now_ms).
 * Waiting still goes through clock_sleep_ms (see clock_set_sleeper). */
void http_set_clock(struct http *h, int64_t (*now_ms)(void *arg), void *arg);
/* Retry-After value -> milliseconds from now: delta seconds (fractions
 * allowed) or an HTTP date (against clock_now()); -1 if unparsable. */
int64_t http_parse_retry_after(const char *value);

/* Percent-encode for a query value (RFC 3986 unreserved kept). */
char *http_urlencode(const char *s);
/* True for http://127.0.0.1..., http://[::1]..., http://localhost... */
int http_url_is_loopback(const char *url);

#endif

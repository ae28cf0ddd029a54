/*
 * check_http.c - the batch engine's retry, "never twice", deadline,
 * concurrency and rate-limit rules, driven through the transport seam with
 * a virtual clock (nothing sleeps on the wall clock, no sockets), plus the
 * URL helpers.
 */
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

#define MAXCALLS 16

/* ---- a virtual world: clock, sleeper, scripted transport ---------------- */

struct world {
	int64_t now;		/* virtual ms */
	int64_t slept;
	int calls;
	int inflight, max_inflight;
	int completions;
	int64_t starts[256];	/* start time of every call, in order */
};

struct step {
	int rc;			/* 0 = HTTP response, -1 = transport failure */
	long status;
	int curl_code;
	int sent;
	int has_ra;
	int64_t retry_after_ms;
	const char *body;
};

struct treq {
	struct world *w;
	const struct step *steps;
	size_t nsteps;
	int calls;
	int64_t at[MAXCALLS];
	char seen_hdr[MAXCALLS][64];
	int done;
	enum http_outcome oc;
	long status;
	int attempts;
	char body[128];
	/* follow-up chain for the "callbacks submit more" test */
	struct http *h;
	int chain_left;
	int *chain_log;
	int *chain_n;
};

static int64_t vnow(void *arg)
{
	return ((struct world *)arg)->now;
}

static void vsleep(int64_t ms, void *arg)
{
	struct world *w = arg;

	w->now += ms;
	w->slept += ms;
}

static int transport(const struct http_req *req, struct http_resp *out,
		     void *arg)
{
	struct world *w = arg;
	/* http_do keeps done_arg for itself: a test may name its record in
	 * classify_ctx instead. */
	struct treq *t = req->classify_ctx ? req->classify_ctx : req->done_arg;
	const struct step *s;

	s = &t->steps[(size_t)t->calls < t->nsteps ? (size_t)t->calls
						   : t->nsteps - 1];
	if (t->calls < MAXCALLS) {
		t->at[t->calls] = w->now;
		if (req->nheaders > 0)
			snprintf(t->seen_hdr[t->calls], 64, "%s",
				 req->headers[req->nheaders - 1]);
	}
	if (w->calls < 256)
		w->starts[w->calls] = w->now;
	t->calls++;
	w->calls++;
	w->inflight++;
	if (w->inflight > w->max_inflight)
		w->max_inflight = w->inflight;
	out->retry_after_ms = s->has_ra ? s->retry_after_ms : -1;
	if (s->rc == 0) {
		out->status = s->status;
		if (s->body) {
			out->body = strdup(s->body);
			out->len = strlen(s->body);
		}
		return 0;
	}
	out->curl_code = s->curl_code;
	out->sent = s->sent;
	snprintf(out->curl_error, sizeof(out->curl_error), "%s",
		 curl_easy_strerror((CURLcode)s->curl_code));
	return -1;
}

static void on_done(struct http_req *req, enum http_outcome oc,
		    const struct http_resp *r, void *arg)
{
	struct treq *t = arg;

	(void)req;
	t->done++;
	t->oc = oc;
	t->status = r->status;
	t->attempts = r->attempts;
	if (r->body)
		snprintf(t->body, sizeof(t->body), "%s", r->body);
	t->w->inflight--;
	t->w->completions++;
}

static struct http *new_engine(struct world *w, struct http_opts *o)
{
	struct http *h = NULL;
	struct err e;

	ck_assert_int_eq(http_new(o, &h, &e), 0);
	http_set_transport(h, transport, w);
	http_set_clock(h, vnow, w);
	clock_set_sleeper(vsleep, w);
	return h;
}

static void submit(struct http *h, struct treq *t, struct world *w,
		   const char *method, int retry_safe,
		   const struct step *steps, size_t n,
		   struct http_limiter *lim)
{
	struct http_req *r = http_req_new(method, "https://api.test/x");
	struct err e;

	t->w = w;
	t->steps = steps;
	t->nsteps = n;
	r->retry_safe = retry_safe;
	r->limiter = lim;
	r->done = on_done;
	r->done_arg = t;
	ck_assert_int_eq(http_submit(h, r, &e), 0);
}

static void run(struct http *h)
{
	struct err e;

	ck_assert_int_eq(http_run(h, &e), 0);
}

static void teardown(void)
{
	clock_set_sleeper(NULL, NULL);
}

/* ---- retries and backoff ------------------------------------------------ */

START_TEST(test_backoff_grows_within_jitter_bounds)
{
	static const struct step s503[] = { { 0, 503, 0, 1, 0, 0, NULL } };
	struct http_opts o = { .concurrency = 1000, .max_attempts = 5,
			       .base_backoff_ms = 100, .max_backoff_ms = 1000 };
	struct world w = { .now = 5000 };
	static struct treq t[200];
	struct http *h = new_engine(&w, &o);
	int64_t maxd[5] = { 0 };
	int i, k;

	memset(t, 0, sizeof(t));
	for (i = 0; i < 200; i++)
		submit(h, &t[i], &w, "GET", 1, s503, 1, NULL);
	run(h);
	for (i = 0; i < 200; i++) {
		ck_assert_int_eq(t[i].done, 1);
		ck_assert_int_eq(t[i].oc, HTTP_OUTCOME_GAVE_UP);
		ck_assert_int_eq(t[i].calls, 5);
		ck_assert_int_eq(t[i].attempts, 5);
		for (k = 1; k < 5; k++) {
			int64_t d = t[i].at[k] - t[i].at[k - 1];
			int64_t cap = 100LL << (k - 1);

			if (cap > 1000)
				cap = 1000;
			ck_assert_int_ge(d, 0);
			ck_assert_int_le(d, cap);
			if (d > maxd[k])
				maxd[k] = d;
		}
	}
	/* Full jitter over 200 requests: the 4th delay (cap 800) must reach
	 * well past the first one's cap, i.e. it really grew. */
	ck_assert_int_gt(maxd[4], 400);
	ck_assert_int_gt(maxd[3], 200);
	http_free(h);
}
END_TEST

START_TEST(test_retry_after_honoured)
{
	static const struct step s[] = {
		{ 0, 429, 0, 1, 1, 2500, NULL },
		{ 0, 503, 0, 1, 1, 1200, NULL },
		{ 0, 200, 0, 1, 0, 0, "ok" },
	};
	struct http_opts o = { .max_attempts = 5, .base_backoff_ms = 10,
			       .max_backoff_ms = 20 };
	struct world w = { .now = 0 };
	struct treq t;
	struct http *h = new_engine(&w, &o);

	memset(&t, 0, sizeof(t));
	submit(h, &t, &w, "GET", 1, s, 3, NULL);
	run(h);
	ck_assert_int_eq(t.oc, HTTP_OUTCOME_OK);
	ck_assert_int_eq(t.calls, 3);
	/* Waited what the server asked, though backoff alone is <= 20 ms. */
	ck_assert_int_eq(t.at[1] - t.at[0], 2500);
	ck_assert_int_eq(t.at[2] - t.at[1], 1200);
	ck_assert_str_eq(t.body, "ok");
	http_free(h);
}
END_TEST

START_TEST(test_parse_retry_after)
{
	char date[64];
	time_t when = (time_t)(clock_now() + 30);
	struct tm tm;
	int64_t v;

	ck_assert_int_eq(http_parse_retry_after("3"), 3000);
	ck_assert_int_eq(http_parse_retry_after(" 1.5"), 1500);
	ck_assert_int_eq(http_parse_retry_after("0.25\r\n"), 250);
	ck_assert_int_eq(http_parse_retry_after("0"), 0);
	ck_assert_int_eq(http_parse_retry_after("soon"), -1);
	ck_assert_int_eq(http_parse_retry_after("5 minutes"), -1);
	gmtime_r(&when, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	v = http_parse_retry_after(date);
	ck_assert_int_ge(v, 28000);
	ck_assert_int_le(v, 30000);
	ck_assert_int_eq(http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"), 0);
}
END_TEST

/* A classify hint (e.g. Shopify's restore time) is honoured like Retry-After. */
static enum http_verdict classify_hint(const struct http_resp *r, void *ctx,
				       int64_t *retry_ms)
{
	(void)ctx;
	if (r->status == 200 && r->body && strcmp(r->body, "throttled") == 0) {
		*retry_ms = 700;
		return HTTP_VERDICT_REFUSED;
	}
	if (r->status == 200 && r->body && strcmp(r->body, "busy") == 0)
		return HTTP_VERDICT_RETRY;
	return r->status == 200 ? HTTP_VERDICT_OK : HTTP_VERDICT_FAIL;
}

START_TEST(test_refused_write_is_resent_after_hint)
{
	static const struct step s[] = {
		{ 0, 200, 0, 1, 0, 0, "throttled" },
		{ 0, 200, 0, 1, 0, 0, "done" },
	};
	struct http_opts o = { .max_attempts = 3 };
	struct world w = { 0 };
	struct treq t;
	struct http *h = new_engine(&w, &o);
	struct http_req *r = http_req_new("POST", "https://api.test/write");
	struct err e;

	memset(&t, 0, sizeof(t));
	t.w = &w;
	t.steps = s;
	t.nsteps = 2;
	r->retry_safe = 0;
	r->classify = classify_hint;
	r->done = on_done;
	r->done_arg = &t;
	ck_assert_int_eq(http_submit(h, r, &e), 0);
	run(h);
	ck_assert_int_eq(t.oc, HTTP_OUTCOME_OK);
	ck_assert_int_eq(t.calls, 2);
	ck_assert_int_eq(t.at[1] - t.at[0], 700);
	http_free(h);
}
END_TEST

/* ---- never twice --------------------------------------------------------- */

static void check_write_unknown(const struct step *first)
{
	struct step s[2];
	struct http_opts o = { .max_attempts = 5 };
	struct world w = { 0 };
	struct treq t;
	struct http *h = new_engine(&w, &o);

	s[0] = *first;
	s[1] = (struct step){ 0, 200, 0, 1, 0, 0, "second" };
	memset(&t, 0, sizeof(t));
	submit(h, &t, &w, "POST", 0, s, 2, NULL);
	run(h);
	ck_assert_int_eq(t.done, 1);
	ck_assert_int_eq(t.oc, HTTP_OUTCOME_UNKNOWN);
	ck_assert_int_eq(t.calls, 1);	/* never resent */
	http_free(h);
}

START_TEST(test_write_not_resent_after_5xx)
{
	static const struct step s = { 0, 500, 0, 1, 0, 0, "oops" };

	check_write_unknown(&s);
}
END_TEST

START_TEST(test_write_not_resent_after_503_with_retry_after)
{
	static const struct step s = { 0, 503, 0, 1, 1, 10, NULL };

	check_write_unknown(&s);
}
END_TEST

START_TEST(test_write_not_resent_after_drop)
{
	static const struct step s = { -1, 0, CURLE_GOT_NOTHING, 1, 0, 0, NULL };

	check_write_unknown(&s);
}
END_TEST

START_TEST(test_write_not_resent_after_timeout)
{
	static const struct step s = { -1, 0, CURLE_OPERATION_TIMEDOUT, 1, 0, 0, NULL };

	check_write_unknown(&s);
}
END_TEST

START_TEST(test_write_not_resent_after_partial_body)
{
	static const struct step s = { -1, 0, CURLE_PARTIAL_FILE, 1, 0, 0, NULL };

	check_write_unknown(&s);
}
END_TEST

START_TEST(test_write_not_resent_when_classify_says_retry)
{
	static const struct step s[] = {
		{ 0, 200, 0, 1, 0, 0, "busy" },
		{ 0, 200, 0, 1, 0, 0, "done" },
	};
	struct http_opts o = { .max_attempts = 3 };
	struct world w = { 0 };
	struct treq t;
	struct http *h = new_engine(&w, &o);
	struct http_req *r = http_req_new("POST", "https://api.test/write");
	struct err e;

	memset(&t, 0, sizeof(t));
	t.w = &w;
	t.steps = s;
	t.nsteps = 2;
	r->classify = classify_hint;
	r->done = on_done;
	r->done_arg = &t;
	ck_assert_int_eq(http_submit(h, r, &e), 0);
	run(h);
	ck_assert_int_eq(t.oc, HTTP_OUTCOME_UNKNOWN);
	ck_assert_int_eq(t.calls, 1);
	http_free(h);
}
END_TEST

START_TEST(test_write_resent_after_connection_refused)
{
	static const struct step s[] = {
		{ -1, 0, CURLE_COULDNT_CONNECT, 0, 0, 0, NULL },
		{ -1, 0, CURLE_COULDNT_RESOLVE_HOST, 0, 0, 0, NULL },
		{ 0, 201, 0, 1, 0, 0, "created" },
	};
	struct http_opts o = { .max_attempts = 5, .base_backoff_ms = 50 };
	struct world w = { 0 };
	struct treq t;
	struct http *h = new_engine(&w, &o);

	memset(&t, 0, sizeof(t));
	submit(h, &t, &w, "POST", 0, s, 3, NULL);
	run(h);
	ck_assert_int_eq(t.oc, HTTP_OUTCOME_OK);
	ck_assert_int_eq(t.calls, 3);
	ck_assert_int_eq(t.status, 201);
	http_free(h);
}
END_TEST

START_TEST(test_write_refused_to_exhaustion_is_failed)
{
	static const struct step s[] = {
		{ -1, 0, CURLE_COULDNT_CONNECT, 0, 0, 0, NULL },
	};
	struct http_opts o = { .max_attempts = 4, .base_backoff_ms = 50 };
	struct world w = { 0 };
	struct treq t;
	struct http *h = new_engine(&w, &o);

	memset(&t, 0, sizeof(t));
	submit(h, &t, &w, "POST", 0, s, 1, NULL);
	run(h);
	/* Nothing was ever sent: a definite failure, not an unknown one. */
	ck_assert_int_eq(t.oc, HTTP_OUTCOME_FAILED);
	ck_assert_int_eq(t.calls, 4);
	http_free(h);
}
END_TEST

START_TEST(test_write_resent_after_429)
{
	static const struct step s[] = {
		{ 0, 429, 0, 1, 1, 1000, NULL },
		{ 0, 200, 0, 1, 0, 0, "ok" },
	};
	struct http_opts o = { .max_attempts = 3 };
	struct world w = { 0 };
	struct treq t;
	struct http *h = new_engine(&w, &o);

	memset(&t, 0, sizeof(t));
	submit(h, &t, &w, "POST", 0, s, 2, NULL);
	run(h);
	ck_assert_int_eq(t.oc, HTTP_OUTCOME_OK);
	ck_assert_int_eq(t.calls, 2);
	ck_assert_int_eq(t.at[1] - t.at[0], 1000);
	http_free(h);
}
END_TEST

START_TEST(test_read_resent_after_drop_and_5xx)
{
	static const struct step s[] = {
		{ -1, 0, CURLE_GOT_NOTHING, 1, 0, 0, NULL },
		{ 0, 502, 0, 1, 0, 0, NULL },
		{ 0, 200, 0, 1, 0, 0, "page" },
	};
	struct http_opts o = { .max_attempts = 5 };
	struct world w = { 0 };
	struct treq t;
	struct http *h = new_engine(&w, &o);

	memset(&t, 0, sizeof(t));
	submit(h, &t, &w, "GET", 1, s, 3, NULL);
	run(h);
	ck_assert_int_eq(t.oc, HTTP_OUTCOME_OK);
	ck_assert_int_eq(t.calls, 3);
	ck_assert_str_eq(t.body, "page");
	http_free(h);
}
END_TEST

START_TEST(test_tls_failure_not_retried)
{
	static const struct step s[] = {
		{ -1, 0, CURLE_PEER_FAILED_VERIFICATION, 0, 0, 0, NULL },
	};
	struct http_opts o = { .max_attempts = 5 };
	struct world w = { 0 };
	struct treq t;
	struct http *h = new_engine(&w, &o);

	memset(&t, 0, sizeof(t));
	submit(h, &t, &w, "GET", 1, s, 1, NULL);
	run(h);
	ck_assert_int_eq(t.oc, HTTP_OUTCOME_FAILED);
	ck_assert_int_eq(t.calls, 1);
	http_free(h);
}
END_TEST

START_TEST(test_client_error_not_retried)
{
	static const struct step s[] = { { 0, 404, 0, 1, 0, 0, "nope" } };
	struct http_opts o = { .max_attempts = 5 };
	struct world w = { 0 };
	struct treq t;
	struct http *h = new_engine(&w, &o);

	memset(&t, 0, sizeof(t));
	submit(h, &t, &w, "GET", 1, s, 1, NULL);
	run(h);
	ck_assert_int_eq(t.oc, HTTP_OUTCOME_FAILED);
	ck_assert_int_eq(t.calls, 1);
	ck_assert_int_eq(t.status, 404);
	http_free(h);
}
END_TEST

/* prepare() runs before every attempt (TikTok re-signs each time). */
static int prep_count;
static int prepare_stamp(struct http_req *req, void *ctx)
{
	(void)ctx;
	prep_count++;
	http_req_clear_headers(req);
	http_req_add_header(req, "X-Attempt: %d", prep_count);
	return 0;
}

START_TEST(test_prepare_before_each_attempt)
{
	static const struct step s[] = {
		{ 0, 503, 0, 1, 0, 0, NULL },
		{ 0, 503, 0, 1, 0, 0, NULL },
		{ 0, 200, 0, 1, 0, 0, "ok" },
	};
	struct http_opts o = { .max_attempts = 5 };
	struct world w = { 0 };
	struct treq t;
	struct http *h = new_engine(&w, &o);
	struct http_req *r = http_req_new("GET", "https://api.test/p");
	struct err e;

	prep_count = 0;
	memset(&t, 0, sizeof(t));
	t.w = &w;
	t.steps = s;
	t.nsteps = 3;
	r->retry_safe = 1;
	r->prepare = prepare_stamp;
	r->done = on_done;
	r->done_arg = &t;
	ck_assert_int_eq(http_submit(h, r, &e), 0);
	run(h);
	ck_assert_int_eq(t.oc, HTTP_OUTCOME_OK);
	ck_assert_int_eq(prep_count, 3);
	ck_assert_str_eq(t.seen_hdr[0], "X-Attempt: 1");
	ck_assert_str_eq(t.seen_hdr[2], "X-Attempt: 3");
	http_free(h);
}
END_TEST

/* ---- deadline ------------------------------------------------------------ */

START_TEST(test_deadline_stops_new_attempts)
{
	static const struct step s503[] = { { 0, 503, 0, 1, 1, 2000, NULL } };
	static const struct step ok[] = { { 0, 200, 0, 1, 0, 0, "ok" } };
	struct http_opts o = { .max_attempts = 5, .deadline_ms = 1000 };
	struct world w = { .now = 0 };
	struct treq a, b;
	struct http *h = new_engine(&w, &o);

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	submit(h, &a, &w, "GET", 1, s503, 1, NULL);
	run(h);
	/* The retry would start after the deadline: given up at once,
	 * without sleeping until then. */
	ck_assert_int_eq(a.oc, HTTP_OUTCOME_DEADLINE);
	ck_assert_int_eq(a.calls, 1);
	ck_assert_int_lt(w.now, 1000);
	/* After the deadline nothing new starts. */
	w.now = 1000;
	submit(h, &b, &w, "GET", 1, ok, 1, NULL);
	run(h);
	ck_assert_int_eq(b.oc, HTTP_OUTCOME_DEADLINE);
	ck_assert_int_eq(b.calls, 0);
	http_free(h);
}
END_TEST

START_TEST(test_deadline_while_waiting_for_tokens)
{
	static const struct step ok[] = { { 0, 200, 0, 1, 0, 0, "ok" } };
	struct http_opts o = { .concurrency = 10, .deadline_ms = 450 };
	struct world w = { 0 };
	struct http_limiter *lim = http_limiter_new("t", 1, 10);	/* one per 100 ms */
	struct treq t[10];
	struct http *h = new_engine(&w, &o);
	int i, ok_n = 0, dl = 0;

	memset(t, 0, sizeof(t));
	for (i = 0; i < 10; i++)
		submit(h, &t[i], &w, "GET", 1, ok, 1, lim);
	run(h);
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(t[i].done, 1);
		if (t[i].oc == HTTP_OUTCOME_OK)
			ok_n++;
		else if (t[i].oc == HTTP_OUTCOME_DEADLINE)
			dl++;
	}
	/* starts at 0, 100, 200, 300, 400; the rest hit the deadline */
	ck_assert_int_eq(ok_n, 5);
	ck_assert_int_eq(dl, 5);
	ck_assert_int_le(w.now, 450);
	http_free(h);
	http_limiter_free(lim);
}
END_TEST

/* ---- concurrency and limiters ------------------------------------------- */

START_TEST(test_concurrency_cap)
{
	static const struct step ok[] = { { 0, 200, 0, 1, 0, 0, "ok" } };
	struct http_opts o = { .concurrency = 3 };
	struct world w = { 0 };
	struct treq t[10];
	struct http *h = new_engine(&w, &o);
	int i;

	memset(t, 0, sizeof(t));
	for (i = 0; i < 10; i++)
		submit(h, &t[i], &w, "GET", 1, ok, 1, NULL);
	run(h);
	ck_assert_int_eq(w.completions, 10);
	ck_assert_int_eq(w.max_inflight, 3);
	http_free(h);
}
END_TEST

START_TEST(test_limiter_spacing_and_stats)
{
	static const struct step ok[] = { { 0, 200, 0, 1, 0, 0, "ok" } };
	struct http_opts o = { .concurrency = 50 };
	struct world w = { .now = 10000 };
	struct http_limiter *lim = http_limiter_new("tiktok", 1, 10);
	struct http_limiter_stats st;
	struct treq t[20];
	struct http *h = new_engine(&w, &o);
	int i;

	memset(t, 0, sizeof(t));
	for (i = 0; i < 20; i++)
		submit(h, &t[i], &w, "GET", 1, ok, 1, lim);
	run(h);
	ck_assert_int_eq(w.calls, 20);
	for (i = 1; i < 20; i++)
		ck_assert_int_ge(w.starts[i] - w.starts[i - 1], 100);
	ck_assert_int_eq(w.starts[19] - w.starts[0], 1900);
	/* FIFO: the requests started in submission order */
	for (i = 1; i < 20; i++)
		ck_assert_int_gt(t[i].at[0], t[i - 1].at[0]);
	http_limiter_stats(lim, &st);
	ck_assert_uint_eq(st.requests, 20);
	ck_assert_uint_eq(st.tokens, 20);
	ck_assert_int_eq(st.first_ms, 10000);
	ck_assert_int_eq(st.last_ms, 11900);
	ck_assert_int_eq(st.waited_ms, 1900);
	http_free(h);
	http_limiter_free(lim);
}
END_TEST

/* A window page submitted behind a queue of bulk writes on the same
 * limiter starts next, not after them; urgent ones keep their order. */
START_TEST(test_urgent_jumps_the_queue)
{
	static const struct step ok[] = { { 0, 200, 0, 1, 0, 0, "ok" } };
	struct http_opts o = { .concurrency = 50 };
	struct world w = { .now = 10000 };
	struct http_limiter *lim = http_limiter_new("shopify", 1, 10);
	struct treq t[12];
	struct http *h = new_engine(&w, &o);
	struct err e;
	int i;

	memset(t, 0, sizeof(t));
	for (i = 0; i < 12; i++) {
		struct http_req *r = http_req_new(i < 10 ? "POST" : "GET", "https://api.test/x");

		t[i].w = &w;
		t[i].steps = ok;
		t[i].nsteps = 1;
		r->retry_safe = i >= 10;
		r->urgent = i >= 10;
		r->limiter = lim;
		r->done = on_done;
		r->done_arg = &t[i];
		ck_assert_int_eq(http_submit(h, r, &e), 0);
	}
	run(h);
	ck_assert_int_eq(w.completions, 12);
	/* the two urgent reads first, in their order; then the writes */
	ck_assert_int_eq(t[10].at[0], 10000);
	ck_assert_int_eq(t[11].at[0], 10100);
	ck_assert_int_eq(t[0].at[0], 10200);
	for (i = 1; i < 10; i++)
		ck_assert_int_gt(t[i].at[0], t[i - 1].at[0]);
	http_free(h);
	http_limiter_free(lim);
}
END_TEST

START_TEST(test_limiter_burst_then_rate)
{
	static const struct step ok[] = { { 0, 200, 0, 1, 0, 0, "ok" } };
	struct http_opts o = { .concurrency = 50 };
	struct world w = { 0 };
	struct http_limiter *lim = http_limiter_new("b", 5, 5);
	struct treq t[10];
	struct http *h = new_engine(&w, &o);
	int i;

	memset(t, 0, sizeof(t));
	for (i = 0; i < 10; i++)
		submit(h, &t[i], &w, "GET", 1, ok, 1, lim);
	run(h);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(w.starts[i], 0);
	for (i = 5; i < 10; i++)
		ck_assert_int_eq(w.starts[i], (i - 4) * 200);
	http_free(h);
	http_limiter_free(lim);
}
END_TEST

/* The platform says the bucket is empty: the next request waits for it. */
static struct http_limiter *obs_lim;
static void done_observe(struct http_req *req, enum http_outcome oc,
			 const struct http_resp *r, void *arg)
{
	on_done(req, oc, r, arg);
	http_limiter_observe(obs_lim, 0, 100, 50);
}

START_TEST(test_limiter_observe_reseeds)
{
	static const struct step ok[] = { { 0, 200, 0, 1, 0, 0, "ok" } };
	struct http_opts o = { .concurrency = 1 };
	struct world w = { 0 };
	struct treq a, b;
	struct http *h = new_engine(&w, &o);
	struct http_req *r = http_req_new("POST", "https://api.test/gql");
	struct err e;

	obs_lim = http_limiter_new("shopify", 1000, 1000);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.w = &w;
	a.steps = ok;
	a.nsteps = 1;
	r->limiter = obs_lim;
	r->cost = 10;
	r->done = done_observe;
	r->done_arg = &a;
	ck_assert_int_eq(http_submit(h, r, &e), 0);
	r = http_req_new("POST", "https://api.test/gql");
	b.w = &w;
	b.steps = ok;
	b.nsteps = 1;
	r->limiter = obs_lim;
	r->cost = 10;
	r->done = on_done;
	r->done_arg = &b;
	ck_assert_int_eq(http_submit(h, r, &e), 0);
	run(h);
	ck_assert_int_eq(a.at[0], 0);
	/* 10 tokens at the observed 50/s: 200 ms */
	ck_assert_int_eq(b.at[0], 200);
	http_free(h);
	http_limiter_free(obs_lim);
}
END_TEST

/* ---- callbacks that submit more work ------------------------------------ */

static void done_chain(struct http_req *req, enum http_outcome oc,
		       const struct http_resp *r, void *arg)
{
	struct treq *t = arg;
	static const struct step ok[] = { { 0, 200, 0, 1, 0, 0, "ok" } };
	struct http_req *next;
	struct err e;

	on_done(req, oc, r, arg);
	t->chain_log[(*t->chain_n)++] = t->chain_left;
	if (t->chain_left == 0)
		return;
	t->chain_left--;
	t->calls = 0;
	t->steps = ok;
	next = http_req_new("GET", "https://api.test/next");
	next->retry_safe = 1;
	next->done = done_chain;
	next->done_arg = t;
	ck_assert_int_eq(http_submit(t->h, next, &e), 0);
}

START_TEST(test_callbacks_submit_more)
{
	static const struct step ok[] = { { 0, 200, 0, 1, 0, 0, "ok" } };
	struct http_opts o = { 0 };
	struct world w = { 0 };
	struct treq t;
	struct http *h = new_engine(&w, &o);
	struct http_req *r = http_req_new("GET", "https://api.test/first");
	int log[8], n = 0;
	struct err e;

	memset(&t, 0, sizeof(t));
	t.w = &w;
	t.steps = ok;
	t.nsteps = 1;
	t.h = h;
	t.chain_left = 4;
	t.chain_log = log;
	t.chain_n = &n;
	r->done = done_chain;
	r->done_arg = &t;
	ck_assert_int_eq(http_submit(h, r, &e), 0);
	run(h);
	ck_assert_int_eq(n, 5);
	ck_assert_int_eq(log[0], 4);
	ck_assert_int_eq(log[4], 0);
	ck_assert_int_eq(w.calls, 5);
	http_free(h);
}
END_TEST

/* A callback may itself wait for a request (http_do inside a callback). */
static void done_nested(struct http_req *req, enum http_outcome oc,
			const struct http_resp *r, void *arg)
{
	struct treq *t = arg;
	static const struct step ok[] = { { 0, 200, 0, 1, 0, 0, "inner" } };
	static struct treq inner;
	struct http_req *q = http_req_new("GET", "https://api.test/inner");
	struct http_resp resp;
	enum http_outcome ioc;
	struct err e;

	on_done(req, oc, r, arg);
	memset(&inner, 0, sizeof(inner));
	inner.w = t->w;
	inner.steps = ok;
	inner.nsteps = 1;
	q->classify_ctx = &inner;	/* read by the transport; http_do owns done_arg */
	ck_assert_int_eq(http_do(t->h, q, &ioc, &resp, &e), 0);
	t->w->inflight--;	/* http_do's own capture is not on_done */
	ck_assert_int_eq(ioc, HTTP_OUTCOME_OK);
	ck_assert_str_eq(resp.body, "inner");
	snprintf(t->body, sizeof(t->body), "%s", resp.body);
	http_resp_free(&resp);
}

START_TEST(test_http_do_inside_callback)
{
	static const struct step ok[] = { { 0, 200, 0, 1, 0, 0, "outer" } };
	struct http_opts o = { 0 };
	struct world w = { 0 };
	struct treq t;
	struct http *h = new_engine(&w, &o);
	struct http_req *r = http_req_new("GET", "https://api.test/outer");
	struct err e;

	memset(&t, 0, sizeof(t));
	t.w = &w;
	t.steps = ok;
	t.nsteps = 1;
	t.h = h;
	r->done = done_nested;
	r->done_arg = &t;
	ck_assert_int_eq(http_submit(h, r, &e), 0);
	run(h);
	ck_assert_int_eq(t.done, 1);
	ck_assert_str_eq(t.body, "inner");
	ck_assert_int_eq(w.calls, 2);
	http_free(h);
}
END_TEST

/* ---- URLs ---------------------------------------------------------------- */

START_TEST(test_insecure_urls_refused)
{
	struct http_opts strict = { 0 }, loop = { .allow_insecure_loopback = 1 };
	struct world w = { 0 };
	struct http *h = new_engine(&w, &strict);
	struct http *hl = new_engine(&w, &loop);
	struct err e;

	err_clear(&e);
	ck_assert_int_eq(http_submit(h, http_req_new("GET", "http://127.0.0.1:8080/x"), &e), -1);
	ck_assert_int_eq(e.cls, ERR_CONFIG);
	ck_assert_int_eq(http_submit(hl, http_req_new("GET", "http://example.com/x"), &e), -1);
	ck_assert_int_eq(http_submit(hl, http_req_new("GET", "http://localhost@evil.example/x"), &e), -1);
	ck_assert_int_eq(http_submit(hl, http_req_new("GET", "ftp://127.0.0.1/x"), &e), -1);
	ck_assert_ptr_null(strstr(e.msg, "secret"));
	ck_assert_int_eq(http_submit(hl, http_req_new("GET", "http://127.0.0.1:8080/x"), &e), 0);
	ck_assert_int_eq(http_submit(h, http_req_new("GET", "https://example.com/x"), &e), 0);
	http_free(h);	/* never run: freed without callbacks */
	http_free(hl);
}
END_TEST

START_TEST(test_refused_url_message_has_no_query)
{
	struct http_opts o = { 0 };
	struct world w = { 0 };
	struct http *h = new_engine(&w, &o);
	struct err e;

	ck_assert_int_eq(http_submit(h, http_req_new("GET",
		"http://auth.example/api/v2/token/refresh?app_secret=s3cr3t"), &e), -1);
	ck_assert_ptr_null(strstr(e.msg, "s3cr3t"));
	ck_assert_ptr_nonnull(strstr(e.msg, "/api/v2/token/refresh"));
	http_free(h);
}
END_TEST

START_TEST(test_url_is_loopback)
{
	ck_assert(http_url_is_loopback("http://127.0.0.1:8080/x"));
	ck_assert(http_url_is_loopback("http://127.0.0.1"));
	ck_assert(http_url_is_loopback("http://[::1]:99/"));
	ck_assert(http_url_is_loopback("HTTP://LOCALHOST/path?q=1"));
	ck_assert(http_url_is_loopback("http://localhost:5/"));
	ck_assert(!http_url_is_loopback("http://127.0.0.1.evil.com/"));
	ck_assert(!http_url_is_loopback("http://localhost@evil.com/"));
	ck_assert(!http_url_is_loopback("http://127.0.0.1:80@evil.com/"));
	ck_assert(!http_url_is_loopback("http://localhost.evil.com/"));
	ck_assert(!http_url_is_loopback("http://10.0.0.1/"));
	ck_assert(!http_url_is_loopback("http://127.0.0.1:/"));
	ck_assert(!http_url_is_loopback("ftp://127.0.0.1/"));
	ck_assert(!http_url_is_loopback(NULL));
}
END_TEST

START_TEST(test_urlencode)
{
	char *s;

	s = http_urlencode("aB+c/D==");
	ck_assert_str_eq(s, "aB%2Bc%2FD%3D%3D");
	free(s);
	s = http_urlencode("576461413038785752,576461413038785753");
	ck_assert_str_eq(s, "576461413038785752%2C576461413038785753");
	free(s);
	s = http_urlencode("A-z_0.9~ &?");
	ck_assert_str_eq(s, "A-z_0.9~%20%26%3F");
	free(s);
	s = http_urlencode("");
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("engine");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_backoff_grows_within_jitter_bounds);
	tcase_add_test(tc, test_retry_after_honoured);
	tcase_add_test(tc, test_parse_retry_after);
	tcase_add_test(tc, test_refused_write_is_resent_after_hint);
	tcase_add_test(tc, test_write_not_resent_after_5xx);
	tcase_add_test(tc, test_write_not_resent_after_503_with_retry_after);
	tcase_add_test(tc, test_write_not_resent_after_drop);
	tcase_add_test(tc, test_write_not_resent_after_timeout);
	tcase_add_test(tc, test_write_not_resent_after_partial_body);
	tcase_add_test(tc, test_write_not_resent_when_classify_says_retry);
	tcase_add_test(tc, test_write_resent_after_connection_refused);
	tcase_add_test(tc, test_write_refused_to_exhaustion_is_failed);
	tcase_add_test(tc, test_write_resent_after_429);
	tcase_add_test(tc, test_read_resent_after_drop_and_5xx);
	tcase_add_test(tc, test_tls_failure_not_retried);
	tcase_add_test(tc, test_client_error_not_retried);
	tcase_add_test(tc, test_prepare_before_each_attempt);
	tcase_add_test(tc, test_deadline_stops_new_attempts);
	tcase_add_test(tc, test_deadline_while_waiting_for_tokens);
	tcase_add_test(tc, test_concurrency_cap);
	tcase_add_test(tc, test_limiter_spacing_and_stats);
	tcase_add_test(tc, test_urgent_jumps_the_queue);
	tcase_add_test(tc, test_limiter_burst_then_rate);
	tcase_add_test(tc, test_limiter_observe_reseeds);
	tcase_add_test(tc, test_callbacks_submit_more);
	tcase_add_test(tc, test_http_do_inside_callback);
	suite_add_tcase(s, tc);
	tc = tcase_create("urls");
	tcase_add_test(tc, test_insecure_urls_refused);
	tcase_add_test(tc, test_refused_url_message_has_no_query);
	tcase_add_test(tc, test_url_is_loopback);
	tcase_add_test(tc, test_urlencode);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(http_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

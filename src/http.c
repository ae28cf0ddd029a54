/*
 * http.c - the only libcurl user: a batch engine over curl multi. It owns
 * the queue of requests, their retry schedule, the token-bucket limiters'
 * arithmetic, and the multi handle whose connection cache gives keep-alive
 * reuse across requests.
 *
 * One request's life: queued -> (waits for its backoff time, a concurrency
 * slot and its limiter's tokens) -> prepare() -> one attempt on the wire ->
 * decided: resent later, or completed -> its done() callback runs in the
 * caller's thread -> freed. Callbacks may submit more requests, and may
 * drive the engine themselves (http_run_until / http_do are re-entrant).
 *
 * What is resent (the "never twice" rule):
 *   - nothing was sent (DNS failure, connection refused, TLS handshake):
 *     any request;
 *   - HTTP 429 or classify() == REFUSED (throttled before execution): any
 *     request;
 *   - anything else that failed transiently (timeout or dropped after
 *     sending, 5xx, classify() == RETRY): only retry_safe requests; the
 *     others complete with HTTP_OUTCOME_UNKNOWN and the caller looks the
 *     write up on the platform.
 * Delays: the larger of classify()'s hint and Retry-After when either is
 * given, else exponential backoff with full jitter (uniform in [0, min(max,
 * base * 2^(attempt-1))]). No attempt starts after opts.deadline_ms.
 *
 * Limiters: a token bucket per platform. A request waits until the bucket
 * holds min(cost, capacity) tokens, then takes `cost` (the bucket may go
 * into debt for a request costlier than the bucket). Requests of one
 * limiter start in submission order. http_limiter_observe() re-seeds the
 * bucket from the platform's own figures minus the cost of our requests
 * still in flight (which the platform may not have charged yet).
 *
 * Time goes through the engine clock (clock_now_ms unless a test installs
 * one) and sleeping through clock_sleep_ms, so tests count virtual time.
 */
#include "http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define HTTP_DEFAULT_CONCURRENCY 8	 /* same as the config default */
#define HTTP_DEFAULT_TIMEOUT_S 30	 /* per attempt */
#define HTTP_DEFAULT_ATTEMPTS 5		 /* per request */
#define HTTP_DEFAULT_BASE_BACKOFF_MS 500 /* first retry delay */
#define HTTP_DEFAULT_MAX_BACKOFF_MS 30000 /* backoff cap */
#define HTTP_CONNECT_TIMEOUT_S 10	 /* a connect slower than this is an outage */
#define HTTP_MAX_BODY (64L * 1024 * 1024) /* a 100-order page is ~1 MB; refuse absurd bodies */
#define HTTP_POLL_MAX_MS 1000		 /* re-check timers at least this often */
#define HTTP_RETRY_AFTER_MAX_MS 300000	 /* honour Retry-After up to 5 min; the deadline cuts the rest */
#define HTTP_MAX_LIMITERS 16		 /* distinct limiters one engine sees (2 in practice) */

/* ---- limiters ------------------------------------------------------------ */

struct http_limiter {
	char *name;
	double capacity, rate, tokens;
	int64_t refilled_ms;		/* engine time of the last refill, -1 never */
	double inflight_cost;		/* tokens of our requests on the wire */
	int64_t blocked_since;		/* -1 when no request waits for tokens */
	unsigned blocked_pass;		/* scheduling pass that found it short */
	struct http_limiter_stats st;
	int has_first;
};

struct http_limiter *http_limiter_new(const char *name, double capacity,
				      double rate_per_s)
{
	struct http_limiter *l = xcalloc(1, sizeof(*l));

	l->name = xstrdup(name ? name : "limiter");
	l->capacity = capacity > 0 ? capacity : 1;
	l->rate = rate_per_s > 0 ? rate_per_s : 0;
	l->tokens = l->capacity;
	l->refilled_ms = -1;
	l->blocked_since = -1;
	return l;
}

void http_limiter_free(struct http_limiter *l)
{
	if (l == NULL)
		return;
	free(l->name);
	free(l);
}

static void limiter_refill(struct http_limiter *l, int64_t now)
{
	if (l->refilled_ms < 0 || now < l->refilled_ms) {
		l->refilled_ms = now;
		return;
	}
	l->tokens += (double)(now - l->refilled_ms) * l->rate / 1000.0;
	if (l->tokens > l->capacity)
		l->tokens = l->capacity;
	l->refilled_ms = now;
}

void http_limiter_observe(struct http_limiter *l, double available,
			  double capacity, double rate_per_s)
{
	if (l == NULL)
		return;
	if (capacity > 0)
		l->capacity = capacity;
	if (rate_per_s > 0)
		l->rate = rate_per_s;
	l->tokens = available - l->inflight_cost;
	if (l->tokens > l->capacity)
		l->tokens = l->capacity;
}

void http_limiter_stats(const struct http_limiter *l,
			struct http_limiter_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (l != NULL)
		*out = l->st;
}

/* ---- requests ------------------------------------------------------------ */

/* The engine's per-request state (req->priv). */
struct rq {
	struct http_req *req;
	struct http *h;
	struct rq *next;
	int attempts;
	int64_t not_before;		/* backoff: no attempt before this */
	CURL *easy;
	struct curl_slist *hdrs;
	struct strbuf body;		/* response body of the current attempt */
	int too_big;
	int64_t retry_after_ms;		/* from the current attempt's headers */
	struct http_resp resp;		/* the last attempt, as callbacks see it */
	double charged;			/* limiter tokens of the attempt in flight */
	enum http_outcome oc;
};

struct http_req *http_req_new(const char *method, const char *url)
{
	struct http_req *r = xcalloc(1, sizeof(*r));

	r->method = xstrdup(method ? method : "GET");
	r->url = xstrdup(url ? url : "");
	r->cost = 1;
	return r;
}

void http_req_add_header(struct http_req *r, const char *fmt, ...)
{
	va_list ap;
	char *line = NULL;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	if (line == NULL)
		line = xstrdup("");	/* unreachable in practice (OOM) */
	r->headers = xrealloc(r->headers, (r->nheaders + 1) * sizeof(char *));
	r->headers[r->nheaders++] = line;
}

void http_req_set_body(struct http_req *r, const char *body, size_t len)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
	if (body == NULL)
		return;
	r->body = xmalloc(len + 1);
	memcpy(r->body, body, len);
	r->body[len] = '\0';
	r->body_len = len;
}

void http_req_set_url(struct http_req *r, const char *url)
{
	char *u = xstrdup(url ? url : "");

	free(r->url);
	r->url = u;
}

static void free_headers(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void http_req_clear_headers(struct http_req *r)
{
	free_headers(r->headers, r->nheaders);
	r->headers = NULL;
	r->nheaders = 0;
}

static void rq_free(struct rq *q)
{
	if (q == NULL)
		return;
	if (q->easy)
		curl_easy_cleanup(q->easy);
	curl_slist_free_all(q->hdrs);
	sb_free(&q->body);
	free(q->resp.body);
	free(q);
}

void http_req_free(struct http_req *r)
{
	if (r == NULL)
		return;
	rq_free(r->priv);
	free(r->method);
	free(r->url);
	free_headers(r->headers, r->nheaders);
	free(r->body);
	free(r);
}

void http_resp_free(struct http_resp *r)
{
	if (r == NULL)
		return;
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

/* ---- engine -------------------------------------------------------------- */

struct rq_list {
	struct rq *head, *tail;
};

struct http {
	struct http_opts o;
	char *ca_file, *user_agent;
	CURLM *multi;
	struct rq_list queue;		/* waiting to start (FIFO) */
	struct rq_list flight;		/* on the wire (libcurl) */
	struct rq_list finished;	/* attempt over, not yet decided */
	struct rq_list done;		/* decided, callback pending */
	int inflight;			/* attempts started, not yet decided */
	unsigned pass;
	struct http_limiter *lims[HTTP_MAX_LIMITERS];
	size_t nlims;
	http_transport_fn transport;
	void *transport_arg;
	int64_t (*now_fn)(void *arg);
	void *now_arg;
	uint64_t rng;
};

static void list_push(struct rq_list *l, struct rq *q)
{
	q->next = NULL;
	if (l->tail)
		l->tail->next = q;
	else
		l->head = q;
	l->tail = q;
}

/* Queue q: urgent requests go after the urgent ones at the head. */
static void queue_add(struct rq_list *l, struct rq *q)
{
	struct rq *p, *prev = NULL;

	if (!q->req->urgent) {
		list_push(l, q);
		return;
	}
	for (p = l->head; p && p->req->urgent; prev = p, p = p->next)
		;
	q->next = p;
	if (prev)
		prev->next = q;
	else
		l->head = q;
	if (p == NULL)
		l->tail = q;
}

static struct rq *list_pop(struct rq_list *l)
{
	struct rq *q = l->head;

	if (q == NULL)
		return NULL;
	l->head = q->next;
	if (l->head == NULL)
		l->tail = NULL;
	q->next = NULL;
	return q;
}

static void list_remove(struct rq_list *l, struct rq *q)
{
	struct rq *p, *prev = NULL;

	for (p = l->head; p; prev = p, p = p->next) {
		if (p != q)
			continue;
		if (prev)
			prev->next = q->next;
		else
			l->head = q->next;
		if (l->tail == q)
			l->tail = prev;
		q->next = NULL;
		return;
	}
}

static int64_t now_ms(struct http *h)
{
	return h->now_fn ? h->now_fn(h->now_arg) : clock_now_ms();
}

/* splitmix64: jitter needs spread, not cryptographic strength. */
static uint64_t rng_next(struct http *h)
{
	uint64_t z = (h->rng += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static int curl_ready;

int http_new(const struct http_opts *o, struct http **out, struct err *e)
{
	struct http *h;

	*out = NULL;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return err_set(e, ERR_NETWORK, "HTTP_INIT",
				       "libcurl could not be initialised");
		curl_ready = 1;
	}
	h = xcalloc(1, sizeof(*h));
	if (o)
		h->o = *o;
	if (h->o.concurrency <= 0)
		h->o.concurrency = HTTP_DEFAULT_CONCURRENCY;
	if (h->o.timeout_seconds <= 0)
		h->o.timeout_seconds = HTTP_DEFAULT_TIMEOUT_S;
	if (h->o.max_attempts <= 0)
		h->o.max_attempts = HTTP_DEFAULT_ATTEMPTS;
	if (h->o.base_backoff_ms <= 0)
		h->o.base_backoff_ms = HTTP_DEFAULT_BASE_BACKOFF_MS;
	if (h->o.max_backoff_ms <= 0)
		h->o.max_backoff_ms = HTTP_DEFAULT_MAX_BACKOFF_MS;
	if (h->o.max_backoff_ms < h->o.base_backoff_ms)
		h->o.max_backoff_ms = h->o.base_backoff_ms;
	h->ca_file = xstrdup(h->o.ca_file);
	h->user_agent = xstrdup(h->o.user_agent ? h->o.user_agent : "ttsync");
	h->o.ca_file = h->ca_file;
	h->o.user_agent = h->user_agent;
	h->multi = curl_multi_init();
	if (h->multi == NULL) {
		http_free(h);
		return err_set(e, ERR_NETWORK, "HTTP_INIT",
			       "libcurl could not create a transfer engine");
	}
	/* Keep enough idle connections for every slot to be reused. */
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS,
			  (long)h->o.concurrency * 2);
	h->rng = (uint64_t)clock_now_ms() ^ ((uint64_t)getpid() << 32) ^
		 (uint64_t)(uintptr_t)h;
	*out = h;
	return 0;
}

static void free_list(struct rq_list *l)
{
	struct rq *q;

	while ((q = list_pop(l)) != NULL)
		http_req_free(q->req);
}

/* Requests never completed are freed without their callback. */
void http_free(struct http *h)
{
	struct rq *q;

	if (h == NULL)
		return;
	while ((q = list_pop(&h->flight)) != NULL) {
		if (q->easy) {
			curl_multi_remove_handle(h->multi, q->easy);
			curl_easy_cleanup(q->easy);
			q->easy = NULL;
		}
		http_req_free(q->req);
	}
	free_list(&h->queue);
	free_list(&h->finished);
	free_list(&h->done);
	if (h->multi)
		curl_multi_cleanup(h->multi);
	free(h->ca_file);
	free(h->user_agent);
	free(h);
}

void http_set_transport(struct http *h, http_transport_fn fn, void *arg)
{
	h->transport = fn;
	h->transport_arg = arg;
}

void http_set_clock(struct http *h, int64_t (*fn)(void *arg), void *arg)
{
	h->now_fn = fn;
	h->now_arg = arg;
}

/* ---- URLs ---------------------------------------------------------------- */

char *http_urlencode(const char *s)
{
	char *enc, *out;

	if (s == NULL)
		return xstrdup("");
	enc = curl_easy_escape(NULL, s, (int)strlen(s));
	if (enc == NULL)
		return NULL;
	out = xstrdup(enc);
	curl_free(enc);
	return out;
}

int http_url_is_loopback(const char *url)
{
	static const char *const hosts[] = { "127.0.0.1", "[::1]", "localhost" };
	const char *p;
	size_t i, n;

	if (url == NULL)
		return 0;
	if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		return 0;
	for (i = 0; i < ARRAY_SIZE(hosts); i++) {
		n = strlen(hosts[i]);
		if (strncasecmp(p, hosts[i], n) != 0)
			continue;
		p += n;
		if (*p == ':') {	/* a port: digits only */
			p++;
			if (*p < '0' || *p > '9')
				return 0;
			while (*p >= '0' && *p <= '9')
				p++;
		}
		/* Anything else ("@evil", ".evil.com") means another host. */
		return *p == '\0' || *p == '/' || *p == '?' || *p == '#';
	}
	return 0;
}

static int url_allowed(const struct http *h, const char *url)
{
	if (url && strncasecmp(url, "https://", 8) == 0)
		return 1;
	if (url && strncasecmp(url, "http://", 7) == 0)
		return h->o.allow_insecure_loopback && http_url_is_loopback(url);
	return 0;
}

/* What a log line may name: the label, else method and path (never the
 * query, which may hold a secret). */
static void req_label(const struct http_req *r, char *buf, size_t n)
{
	const char *q;
	int plen;

	if (r->log_label) {
		if (xsnprintf(buf, n, "%s", r->log_label) < 0)
			buf[n - 1] = '\0';	/* a truncated label is still fine */
		return;
	}
	q = strchr(r->url, '?');
	plen = q ? (int)(q - r->url) : (int)strlen(r->url);
	if (xsnprintf(buf, n, "%s %.*s", r->method, plen, r->url) < 0)
		buf[n - 1] = '\0';
}

int64_t http_parse_retry_after(const char *v)
{
	int64_t secs = 0, ms = 0, scale = 100;
	time_t t;
	const char *p;

	if (v == NULL)
		return -1;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v >= '0' && *v <= '9') {
		for (p = v; *p >= '0' && *p <= '9'; p++) {
			if (secs > INT64_MAX / 10000)
				return HTTP_RETRY_AFTER_MAX_MS;
			secs = secs * 10 + (*p - '0');
		}
		if (*p == '.') {
			for (p++; *p >= '0' && *p <= '9'; p++) {
				ms += (*p - '0') * scale;
				scale /= 10;
			}
		}
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '\0')
			return -1;
		return secs * 1000 + ms;
	}
	t = curl_getdate(v, NULL);
	if (t == (time_t)-1)
		return -1;
	if ((int64_t)t <= clock_now())
		return 0;
	return ((int64_t)t - clock_now()) * 1000;
}

/* ---- one attempt over libcurl ------------------------------------------- */

/* Describe a failed attempt in r->curl_error; a cut-off description is
 * still a description, so truncation is accepted. */
static void resp_error(struct http_resp *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void resp_error(struct http_resp *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->curl_error, sizeof(r->curl_error), fmt, ap);
	va_end(ap);
	if (n < 0)
		r->curl_error[0] = '\0';
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct rq *q = arg;
	size_t n = size * nmemb;

	if (q->body.len + n > (size_t)HTTP_MAX_BODY) {
		q->too_big = 1;
		return 0;	/* aborts the transfer (CURLE_WRITE_ERROR) */
	}
	sb_addn(&q->body, data, n);
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct rq *q = arg;
	size_t n = size * nmemb;
	char line[256];

	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		q->retry_after_ms = -1;	/* a new response (after 100-continue ...) */
		return n;
	}
	if (n > 12 && n < sizeof(line) && strncasecmp(data, "Retry-After:", 12) == 0) {
		memcpy(line, data + 12, n - 12);
		line[n - 12] = '\0';
		q->retry_after_ms = http_parse_retry_after(line);
	}
	return n;
}

static int start_curl(struct http *h, struct rq *q)
{
	struct http_req *r = q->req;
	CURL *c;
	size_t i;
	long timeout = h->o.timeout_seconds;

	c = curl_easy_init();
	if (c == NULL)
		return -1;
	q->easy = c;
	for (i = 0; i < r->nheaders; i++)
		q->hdrs = curl_slist_append(q->hdrs, r->headers[i]);
	/* No "Expect: 100-continue" round trip before bodies. */
	q->hdrs = curl_slist_append(q->hdrs, "Expect:");
	if (q->hdrs == NULL)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, r->url);
	curl_easy_setopt(c, CURLOPT_PRIVATE, q);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
			 timeout < HTTP_CONNECT_TIMEOUT_S ? timeout
							  : (long)HTTP_CONNECT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR,
			 h->o.allow_insecure_loopback ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, h->user_agent);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, q->hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, q);
	/* libcurl silently resends a request whose reused keep-alive
	 * connection closed before any byte of the answer came back
	 * ("Connection died, retrying a fresh connect"), POSTs included: a
	 * write the server executed before dropping the connection would be
	 * executed twice. A fresh connection is never retried that way, so a
	 * non-retry-safe request gets one and a lost answer stays UNKNOWN. */
	if (!r->retry_safe)
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
	if (strcmp(r->method, "GET") == 0 && r->body == NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else {
		if (strcmp(r->method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
		if (strcmp(r->method, "POST") == 0 || r->body != NULL) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)r->body_len);
			curl_easy_setopt(c, CURLOPT_POSTFIELDS,
					 r->body ? r->body : "");
		}
	}
	if (curl_multi_add_handle(h->multi, c) != CURLM_OK)
		return -1;
	list_push(&h->flight, q);
	return 0;
}

/* Failures no retry can cure: our TLS trust or the URL itself. */
static int curl_fatal(int code)
{
	switch (code) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_CRL_BADFILE:
		return 1;
	default:
		return 0;
	}
}

/* Turn a finished curl transfer into q->resp. */
static void collect_curl(struct rq *q, CURLcode res)
{
	struct http_resp *r = &q->resp;
	long status = 0;
	curl_off_t pretransfer = 0;
	long reqsize = 0;

	curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &status);
	r->curl_code = (int)res;
	r->retry_after_ms = q->retry_after_ms;
	if (res == CURLE_OK) {
		r->status = status;
		r->sent = 1;
		r->len = q->body.len;
		r->body = q->body.len ? sb_detach(&q->body) : NULL;
		return;
	}
	r->status = 0;
	if (q->too_big)
		resp_error(r, "response body larger than %ld bytes",
			   HTTP_MAX_BODY);
	else
		resp_error(r, "%s", curl_easy_strerror(res));
	switch (res) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
		r->sent = 0;
		break;
	default:
		if (curl_fatal(res)) {
			r->sent = 0;
			break;
		}
		/* Connected and about to transfer, or bytes of the request
		 * went out: the server may have acted on it. */
		curl_easy_getinfo(q->easy, CURLINFO_PRETRANSFER_TIME_T,
				  &pretransfer);
		curl_easy_getinfo(q->easy, CURLINFO_REQUEST_SIZE, &reqsize);
		r->sent = pretransfer > 0 || reqsize > 0 || status > 0;
		break;
	}
}

/* ---- scheduling ---------------------------------------------------------- */

static void finish(struct http *h, struct rq *q, enum http_outcome oc)
{
	q->oc = oc;
	list_push(&h->done, q);
}

static void note_limiter(struct http *h, struct http_limiter *l)
{
	size_t i;

	for (i = 0; i < h->nlims; i++)
		if (h->lims[i] == l)
			return;
	if (h->nlims < HTTP_MAX_LIMITERS)
		h->lims[h->nlims++] = l;
}

int http_submit(struct http *h, struct http_req *r, struct err *e)
{
	struct rq *q;
	char label[160];

	if (!url_allowed(h, r->url)) {
		req_label(r, label, sizeof(label));
		err_set(e, ERR_CONFIG, "INSECURE_URL",
			"%s: refused: only https:// is allowed (plain http only to 127.0.0.1, ::1 or localhost with allow_insecure_loopback)",
			label);
		http_req_free(r);
		return -1;
	}
	q = xcalloc(1, sizeof(*q));
	q->req = r;
	q->h = h;
	q->retry_after_ms = -1;
	q->resp.retry_after_ms = -1;
	r->priv = q;
	if (r->cost < 0)
		r->cost = 0;
	if (r->limiter)
		note_limiter(h, r->limiter);
	queue_add(&h->queue, q);
	return 0;
}

/* Start one attempt of q (its limiter has the tokens). */
static void start_attempt(struct http *h, struct rq *q, int64_t now)
{
	struct http_req *r = q->req;
	struct http_limiter *l = r->limiter;
	char label[160];
	int rc;

	/* The previous attempt's answer is forgotten now. */
	free(q->resp.body);
	memset(&q->resp, 0, sizeof(q->resp));
	q->resp.retry_after_ms = -1;
	q->resp.attempts = q->attempts;
	if (r->prepare && r->prepare(r, r->prepare_ctx) != 0) {
		resp_error(&q->resp, "the request could not be prepared");
		finish(h, q, HTTP_OUTCOME_FAILED);
		return;
	}
	if (!url_allowed(h, r->url)) {
		resp_error(&q->resp, "insecure URL refused");
		finish(h, q, HTTP_OUTCOME_FAILED);
		return;
	}
	q->attempts++;
	q->resp.attempts = q->attempts;
	h->inflight++;
	if (l) {
		l->tokens -= r->cost;
		l->inflight_cost += r->cost;
		q->charged = r->cost;
		l->st.requests++;
		l->st.tokens += (uint64_t)(r->cost + 0.5);
		if (!l->has_first) {
			l->st.first_ms = now;
			l->has_first = 1;
		}
	}
	req_label(r, label, sizeof(label));
	logmsg(LOG_DEBUG, "http: %s: attempt %d", label, q->attempts);
	if (h->transport) {
		rc = h->transport(r, &q->resp, h->transport_arg);
		q->resp.attempts = q->attempts;
		if (rc == 0 && q->resp.status > 0) {
			q->resp.sent = 1;
		} else {
			q->resp.status = 0;
			free(q->resp.body);
			q->resp.body = NULL;
			q->resp.len = 0;
		}
		list_push(&h->finished, q);
		return;
	}
	sb_reset(&q->body);
	q->too_big = 0;
	q->retry_after_ms = -1;
	if (start_curl(h, q) != 0) {
		if (q->easy) {
			curl_easy_cleanup(q->easy);
			q->easy = NULL;
		}
		curl_slist_free_all(q->hdrs);
		q->hdrs = NULL;
		q->resp.curl_code = CURLE_FAILED_INIT;
		resp_error(&q->resp, "libcurl could not start the transfer");
		list_push(&h->finished, q);
	}
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* One pass over the queue: start what may start. Returns the earliest
 * time something waiting could start (INT64_MAX when nothing waits on
 * time). */
static int64_t start_ready(struct http *h, int64_t now)
{
	struct rq *q, *prev = NULL, *next;
	struct http_limiter *l;
	int64_t wake = INT64_MAX, w;
	double need;
	size_t i;

	h->pass++;
	for (q = h->queue.head; q; q = next) {
		next = q->next;
		if (h->o.deadline_ms > 0 && now >= h->o.deadline_ms) {
			/* unlink, then complete: the run is out of time */
			if (prev)
				prev->next = next;
			else
				h->queue.head = next;
			if (h->queue.tail == q)
				h->queue.tail = prev;
			finish(h, q, HTTP_OUTCOME_DEADLINE);
			continue;
		}
		if (h->inflight >= h->o.concurrency)
			break;
		if (q->not_before > now) {
			wake = min64(wake, q->not_before);
			prev = q;
			continue;
		}
		l = q->req->limiter;
		if (l) {
			if (l->blocked_pass == h->pass) {	/* keep FIFO per limiter */
				prev = q;
				continue;
			}
			limiter_refill(l, now);
			need = q->req->cost < l->capacity ? q->req->cost : l->capacity;
			if (l->tokens + 1e-9 < need) {
				double ms = l->rate > 0 ? (need - l->tokens) * 1000.0 / l->rate
							: HTTP_POLL_MAX_MS;
				w = (int64_t)ms;
				if ((double)w < ms)
					w++;
				if (w < 1)
					w = 1;
				l->blocked_pass = h->pass;
				if (l->blocked_since < 0)
					l->blocked_since = now;
				wake = min64(wake, now + w);
				prev = q;
				continue;
			}
		}
		if (prev)
			prev->next = next;
		else
			h->queue.head = next;
		if (h->queue.tail == q)
			h->queue.tail = prev;
		q->next = NULL;
		start_attempt(h, q, now);
	}
	for (i = 0; i < h->nlims; i++) {
		l = h->lims[i];
		if (l->blocked_pass != h->pass && l->blocked_since >= 0) {
			l->st.waited_ms += now - l->blocked_since;
			l->blocked_since = -1;
		}
	}
	if (h->queue.head && h->o.deadline_ms > 0)
		wake = min64(wake, h->o.deadline_ms);
	return wake;
}

static enum http_verdict default_classify(const struct http_resp *r)
{
	if (r->status >= 200 && r->status < 300)
		return HTTP_VERDICT_OK;
	if (r->status == 429 || r->status >= 500)
		return HTTP_VERDICT_RETRY;
	return HTTP_VERDICT_FAIL;
}

static int64_t backoff_ms(struct http *h, int attempts)
{
	int64_t cap = h->o.base_backoff_ms;
	int i;

	for (i = 1; i < attempts && cap < h->o.max_backoff_ms; i++)
		cap *= 2;
	if (cap > h->o.max_backoff_ms)
		cap = h->o.max_backoff_ms;
	return (int64_t)(rng_next(h) % (uint64_t)(cap + 1));
}

/* An attempt is over: resend later, or complete. */
static void decide(struct http *h, struct rq *q, int64_t now)
{
	struct http_req *r = q->req;
	struct http_resp *resp = &q->resp;
	struct http_limiter *l = r->limiter;
	enum http_verdict v;
	int64_t hint = -1, delay;
	char label[160], why[300];

	h->inflight--;
	if (l) {
		l->inflight_cost -= q->charged;
		if (l->inflight_cost < 1e-9)
			l->inflight_cost = 0;
		q->charged = 0;
		limiter_refill(l, now);
		l->st.last_ms = now;
	}
	if (resp->status == 0) {
		if (curl_fatal(resp->curl_code)) {
			finish(h, q, HTTP_OUTCOME_FAILED);
			return;
		}
		/* Nothing sent: any request may go again. */
		if (resp->sent && !r->retry_safe) {
			finish(h, q, HTTP_OUTCOME_UNKNOWN);
			return;
		}
	} else {
		v = r->classify ? r->classify(resp, r->classify_ctx, &hint)
				: default_classify(resp);
		switch (v) {
		case HTTP_VERDICT_OK:
			finish(h, q, HTTP_OUTCOME_OK);
			return;
		case HTTP_VERDICT_FAIL:
			finish(h, q, HTTP_OUTCOME_FAILED);
			return;
		case HTTP_VERDICT_REFUSED:	/* not executed: any request */
			break;
		case HTTP_VERDICT_RETRY:
		default:
			if (resp->status != 429 && !r->retry_safe) {
				finish(h, q, HTTP_OUTCOME_UNKNOWN);
				return;
			}
			break;
		}
	}
	if (q->attempts >= h->o.max_attempts) {
		finish(h, q, r->retry_safe ? HTTP_OUTCOME_GAVE_UP
					   : HTTP_OUTCOME_FAILED);
		return;
	}
	if (hint >= 0 || resp->retry_after_ms >= 0) {
		delay = hint > resp->retry_after_ms ? hint : resp->retry_after_ms;
		if (delay > HTTP_RETRY_AFTER_MAX_MS)
			delay = HTTP_RETRY_AFTER_MAX_MS;
	} else {
		delay = backoff_ms(h, q->attempts);
	}
	if (h->o.deadline_ms > 0 && now + delay >= h->o.deadline_ms) {
		finish(h, q, HTTP_OUTCOME_DEADLINE);
		return;
	}
	req_label(r, label, sizeof(label));
	if (resp->status)
		(void)xsnprintf(why, sizeof(why), "HTTP %ld", resp->status);
	else if (xsnprintf(why, sizeof(why), "%s", resp->curl_error) < 0)
		why[sizeof(why) - 1] = '\0';	/* cut-off reason is fine in a log */
	logmsg(LOG_INFO, "http: %s: attempt %d: %s; retrying in %lld ms",
	       label, q->attempts, why, (long long)delay);
	q->not_before = now + delay;
	queue_add(&h->queue, q);
}

/* Move the transfers curl has finished onto h->finished. */
static void harvest(struct http *h)
{
	CURLMsg *m;
	int left;
	struct rq *q;
	char *priv;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		q = (struct rq *)(void *)priv;
		curl_multi_remove_handle(h->multi, m->easy_handle);
		if (q == NULL) {
			curl_easy_cleanup(m->easy_handle);
			continue;
		}
		list_remove(&h->flight, q);
		collect_curl(q, m->data.result);
		curl_easy_cleanup(q->easy);
		q->easy = NULL;
		curl_slist_free_all(q->hdrs);
		q->hdrs = NULL;
		list_push(&h->finished, q);
	}
}

static void run_callback(struct http *h, struct rq *q)
{
	struct http_req *r = q->req;

	(void)h;
	if (q->resp.body == NULL)
		q->resp.len = 0;
	if (r->done)
		r->done(r, q->oc, &q->resp, r->done_arg);
	http_req_free(r);
}

int http_run_until(struct http *h, const int *flag, struct err *e)
{
	struct rq *q;
	int64_t now, wake;
	int running = 0;
	CURLMcode mc;

	for (;;) {
		if (flag && *flag)
			return 0;
		if ((q = list_pop(&h->done)) != NULL) {
			run_callback(h, q);
			continue;
		}
		now = now_ms(h);
		if ((q = list_pop(&h->finished)) != NULL) {
			decide(h, q, now);
			continue;
		}
		wake = start_ready(h, now);
		if (h->done.head || h->finished.head)
			continue;
		if (h->inflight == 0 && h->queue.head == NULL)
			return 0;
		if (h->inflight > 0 && h->transport == NULL) {
			mc = curl_multi_perform(h->multi, &running);
			if (mc == CURLM_OK) {
				harvest(h);
				if (h->finished.head)
					continue;
				mc = curl_multi_poll(h->multi, NULL, 0,
						     (int)(wake == INT64_MAX ? HTTP_POLL_MAX_MS
						      : min64(HTTP_POLL_MAX_MS, wake > now ? wake - now : 0)),
						     NULL);
			}
			if (mc == CURLM_OK)
				mc = curl_multi_perform(h->multi, &running);
			if (mc != CURLM_OK)
				return err_set(e, ERR_NETWORK, "HTTP_ENGINE",
					       "libcurl transfer engine failed: %s",
					       curl_multi_strerror(mc));
			harvest(h);
			continue;
		}
		if (wake == INT64_MAX) {
			/* Nothing in flight and nothing that time will release:
			 * cannot happen with a sane queue; avoid spinning. */
			clock_sleep_ms(HTTP_POLL_MAX_MS);
			continue;
		}
		if (wake > now)
			clock_sleep_ms(wake - now);
	}
}

int http_run(struct http *h, struct err *e)
{
	return http_run_until(h, NULL, e);
}

/* ---- synchronous convenience -------------------------------------------- */

struct do_capture {
	int finished;
	enum http_outcome oc;
	struct http_resp *out;
};

static void do_done(struct http_req *req, enum http_outcome oc,
		    const struct http_resp *r, void *arg)
{
	struct do_capture *c = arg;

	(void)req;
	c->oc = oc;
	*c->out = *r;
	c->out->body = r->body ? xstrndup(r->body, r->len) : NULL;
	c->finished = 1;
}

/* Returns 0 once the request has an outcome (*oc says which), -1 when it
 * could not be submitted or the engine failed. */
int http_do(struct http *h, struct http_req *r, enum http_outcome *oc,
	    struct http_resp *out, struct err *e)
{
	struct do_capture c;

	memset(out, 0, sizeof(*out));
	out->retry_after_ms = -1;
	memset(&c, 0, sizeof(c));
	c.out = out;
	c.oc = HTTP_OUTCOME_FAILED;
	r->done = do_done;
	r->done_arg = &c;
	if (http_submit(h, r, e) != 0)
		return -1;
	if (http_run_until(h, &c.finished, e) != 0)
		return -1;
	if (!c.finished)
		return err_set(e, ERR_NETWORK, "HTTP_ENGINE",
			       "request did not complete");
	*oc = c.oc;
	return 0;
}

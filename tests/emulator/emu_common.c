/*
 * emu_common.c - the server half both platform twins share (see
 * emu_common.h): a libmicrohttpd daemon on 127.0.0.1 with one thread per
 * connection, request bodies with a size cap, the request log (in memory
 * and appended to --log, one JSON object per line), scripted faults, the
 * emulator clock, per-request latency, and the generic control endpoints
 * under /_emu/. It owns the daemon, the listening socket, the log, the
 * fault list and the clock; platform state belongs to the platform, which
 * is called with the state lock held.
 */
#include "emu_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define EMU_CONTROL_PREFIX "/_emu/"
#define EMU_LOG_KEEP 200000	/* in-memory log entries kept (oldest half dropped beyond) */
#define EMU_CONN_LIMIT 1000	/* concurrent connections (>= 64 required) */
#define EMU_CONN_TIMEOUT 300	/* s an idle keep-alive connection is kept */
#define EMU_CONN_MEMORY (256 * 1024)	/* per-connection header/URI buffer */
#define EMU_LISTEN_BACKLOG 512
#define EMU_POLL_MS 50		/* how often a hang/delay checks for stop or hang-up */

enum fault_kind {
	FAULT_DELAY, FAULT_HANG, FAULT_STATUS, FAULT_DROP_BEFORE,
	FAULT_DROP_AFTER, FAULT_TRUNCATE, FAULT_INVALID_JSON,
};

static const char *const fault_names[] = {
	[FAULT_DELAY] = "delay", [FAULT_HANG] = "hang", [FAULT_STATUS] = "status",
	[FAULT_DROP_BEFORE] = "drop_before", [FAULT_DROP_AFTER] = "drop_after",
	[FAULT_TRUNCATE] = "truncate", [FAULT_INVALID_JSON] = "invalid_json",
};

struct fault {
	struct fault *next;
	long long id;
	char *m_method, *m_path, *m_operation;	/* NULL = any */
	long long count;
	enum fault_kind kind;
	int status;
	char *retry_after;
	char *body;
	long long ms;
};

struct emu {
	const struct emu_platform *p;
	pthread_mutex_t state_lock;	/* platform handlers, clock changes */
	pthread_mutex_t log_lock;	/* log array and log file */
	pthread_mutex_t fault_lock;	/* fault list */
	pthread_mutex_t stop_lock;	/* with stop_cond: interruptible sleeps */
	pthread_cond_t stop_cond;
	atomic_int stopping;
	atomic_llong clock_offset;	/* emulator clock = time(NULL) + offset */
	atomic_int frozen;		/* clock stopped at frozen_at */
	atomic_llong frozen_at;
	atomic_int latency_ms;
	FILE *log_fp;
	char **log;
	size_t log_n, log_cap;
	struct fault *faults;
	long long next_fault_id;
};

/* Per request, from the first sight of the URI to completion. */
struct req {
	char *uri;		/* raw request target */
	char *body;
	size_t body_len, body_cap;
	int too_large;
	int seen;		/* the access handler saw the headers once */
	int executed;
};

static _Thread_local struct req *current_req;

#define ARRAY_LEN_HEADERS(rs) (sizeof((rs)->headers) / sizeof((rs)->headers[0]))

/* ---- small helpers --------------------------------------------------------- */

static void *emalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		fprintf(stderr, "emulator: out of memory (%zu bytes)\n", n);
		abort();
	}
	return p;
}

static void *erealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL) {
		fprintf(stderr, "emulator: out of memory (%zu bytes)\n", n);
		abort();
	}
	return p;
}

static char *estrdup(const char *s)
{
	size_t n;
	char *d;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	d = emalloc(n + 1);
	memcpy(d, s, n + 1);
	return d;
}

static char *estrndup(const char *s, size_t n)
{
	char *d = emalloc(n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static char *evasprintf(const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *s;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		n = 0;
	s = emalloc((size_t)n + 1);
	if (vsnprintf(s, (size_t)n + 1, fmt, ap) < 0)
		s[0] = '\0';
	return s;
}

static char *easprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *easprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = evasprintf(fmt, ap);
	va_end(ap);
	return s;
}

/* A JSON string from arbitrary bytes: invalid UTF-8 becomes U+FFFD so the
 * log line stays valid JSON whatever a client sent. */
static json_t *json_bytes(const char *s, size_t n)
{
	json_t *j = json_stringn(s, n);
	char *clean;
	size_t i = 0, o = 0;

	if (j != NULL)
		return j;
	clean = emalloc(n * 3 + 1);
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 :
			     (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
		json_t *probe;

		if (len > 0 && i + len <= n) {
			probe = json_stringn(s + i, len);
			if (probe != NULL) {
				json_decref(probe);
				memcpy(clean + o, s + i, len);
				o += len;
				i += len;
				continue;
			}
		}
		memcpy(clean + o, "\xEF\xBF\xBD", 3);
		o += 3;
		i++;
	}
	j = json_stringn(clean, o);
	free(clean);
	return j ? j : json_string("");
}

static char *json_compact(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	return s ? s : estrdup("null");
}

void emu_respond_json(struct emu_response *rs, int status, json_t *body)
{
	free(rs->body);
	rs->status = status;
	rs->body = body ? json_compact(body) : estrdup("{}");
	rs->len = strlen(rs->body);
	rs->content_type = "application/json";
	json_decref(body);
}

void emu_add_header(struct emu_response *rs, const char *fmt, ...)
{
	size_t i;
	va_list ap;

	for (i = 0; i + 1 < ARRAY_LEN_HEADERS(rs); i++)
		if (rs->headers[i] == NULL)
			break;
	if (i + 1 >= ARRAY_LEN_HEADERS(rs))
		return;		/* full: the last slot stays the terminator */
	va_start(ap, fmt);
	rs->headers[i] = evasprintf(fmt, ap);
	va_end(ap);
	rs->headers[i + 1] = NULL;
}

static void response_free(struct emu_response *rs)
{
	size_t i;

	free(rs->body);
	rs->body = NULL;
	for (i = 0; i < ARRAY_LEN_HEADERS(rs); i++) {
		free(rs->headers[i]);
		rs->headers[i] = NULL;
	}
}

/* ---- requests ---------------------------------------------------------------- */

const char *emu_header(const struct emu_request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

const char *emu_query_arg(const struct emu_request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct foreach_ctx {
	int (*fn)(void *arg, const char *name, const char *value);
	void *arg;
	int stopped;
};

static enum MHD_Result foreach_cb(void *cls, enum MHD_ValueKind kind,
				  const char *key, const char *value)
{
	struct foreach_ctx *fc = cls;

	(void)kind;
	if (fc->fn(fc->arg, key, value ? value : "") != 0) {
		fc->stopped = 1;
		return MHD_NO;
	}
	return MHD_YES;
}

int emu_query_foreach(const struct emu_request *rq,
		      int (*fn)(void *arg, const char *name, const char *value),
		      void *arg)
{
	struct foreach_ctx fc = { fn, arg, 0 };

	MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, foreach_cb, &fc);
	return fc.stopped ? -1 : 0;
}

/* ---- clock, latency, sleeping -------------------------------------------------- */

int64_t emu_now(struct emu *emu)
{
	if (atomic_load(&emu->frozen))
		return (int64_t)atomic_load(&emu->frozen_at);
	return (int64_t)time(NULL) + (int64_t)atomic_load(&emu->clock_offset);
}

/* The emulator clock in milliseconds (the request log's "time_ms"; its
 * "time" is this divided by 1000). */
static int64_t emu_now_ms(struct emu *emu)
{
	struct timespec ts;

	if (atomic_load(&emu->frozen))
		return (int64_t)atomic_load(&emu->frozen_at) * 1000;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec + (int64_t)atomic_load(&emu->clock_offset)) * 1000 +
	       ts.tv_nsec / 1000000;
}

/* POST /_emu/clock: {"set": epoch} | {"advance": s}, optionally with
 * {"freeze": true|false} (a frozen clock moves only when told). Called
 * with the state lock held. */
static int clock_change(struct emu *emu, json_t *in)
{
	json_t *set = json_object_get(in, "set"), *adv = json_object_get(in, "advance");
	json_t *frz = json_object_get(in, "freeze");
	long long now;

	if (!json_is_object(in) || (set && adv) || (!set && !adv && !frz) ||
	    (set && !json_is_integer(set)) || (adv && !json_is_integer(adv)) ||
	    (frz && !json_is_boolean(frz)))
		return -1;
	now = (long long)emu_now(emu);
	if (set)
		now = (long long)json_integer_value(set);
	else if (adv)
		now += (long long)json_integer_value(adv);
	if (frz)
		atomic_store(&emu->frozen, json_is_true(frz));
	if (atomic_load(&emu->frozen))
		atomic_store(&emu->frozen_at, now);
	else
		atomic_store(&emu->clock_offset, now - (long long)time(NULL));
	return 0;
}

void emu_set_latency(struct emu *emu, int ms)
{
	atomic_store(&emu->latency_ms, ms < 0 ? 0 : ms);
}

void emu_mark_executed(struct emu *emu)
{
	(void)emu;
	if (current_req != NULL)
		current_req->executed = 1;
}

/* Sleep ms, returning early (1) when the emulator stops. */
static int sleep_ms(struct emu *emu, long long ms)
{
	struct timespec until;

	if (ms <= 0)
		return atomic_load(&emu->stopping);
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)(ms / 1000);
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&emu->stop_lock);
	while (!atomic_load(&emu->stopping)) {
		if (pthread_cond_timedwait(&emu->stop_cond, &emu->stop_lock, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&emu->stop_lock);
	return atomic_load(&emu->stopping);
}

/* Has the peer closed the connection (or the socket failed)? */
static int peer_gone(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct pollfd pfd;
	char byte;
	ssize_t n;

	if (ci == NULL)
		return 1;
	pfd.fd = ci->connect_fd;
	pfd.events = POLLIN | POLLRDHUP;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) <= 0)
		return 0;
	if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL | POLLRDHUP))
		return 1;
	n = recv(ci->connect_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* ---- the request log ----------------------------------------------------------- */

static void log_append(struct emu *emu, const struct emu_request *rq, int status,
		       const char *resp, size_t resp_len, int has_resp,
		       const char *fault, int64_t when_ms)
{
	json_t *o = json_object();
	char *line;

	json_object_set_new(o, "method", json_string(rq->method));
	json_object_set_new(o, "path", json_bytes(rq->path, strlen(rq->path)));
	json_object_set_new(o, "query", json_bytes(rq->query, strlen(rq->query)));
	json_object_set_new(o, "body", rq->body_len > 0 ?
			    json_bytes(rq->body, rq->body_len) : json_null());
	json_object_set_new(o, "status", json_integer(status));
	json_object_set_new(o, "response", has_resp ?
			    json_bytes(resp ? resp : "", resp ? resp_len : 0) : json_null());
	json_object_set_new(o, "time", json_integer(when_ms / 1000));
	json_object_set_new(o, "time_ms", json_integer(when_ms));
	if (fault != NULL)
		json_object_set_new(o, "fault", json_string(fault));
	if (rq->body_too_large)
		json_object_set_new(o, "body_too_large", json_true());
	line = json_compact(o);
	json_decref(o);

	pthread_mutex_lock(&emu->log_lock);
	if (emu->log_fp != NULL) {
		if (fprintf(emu->log_fp, "%s\n", line) < 0 || fflush(emu->log_fp) != 0)
			fprintf(stderr, "emulator: writing the request log: %s\n",
				strerror(errno));
	}
	if (emu->log_n >= EMU_LOG_KEEP) {
		size_t half = emu->log_n / 2, i;

		for (i = 0; i < half; i++)
			free(emu->log[i]);
		memmove(emu->log, emu->log + half, (emu->log_n - half) * sizeof(*emu->log));
		emu->log_n -= half;
	}
	if (emu->log_n == emu->log_cap) {
		emu->log_cap = emu->log_cap ? emu->log_cap * 2 : 256;
		emu->log = erealloc(emu->log, emu->log_cap * sizeof(*emu->log));
	}
	emu->log[emu->log_n++] = line;
	pthread_mutex_unlock(&emu->log_lock);
}

/* ---- faults ---------------------------------------------------------------------- */

static void fault_free(struct fault *f)
{
	if (f == NULL)
		return;
	free(f->m_method);
	free(f->m_path);
	free(f->m_operation);
	free(f->retry_after);
	free(f->body);
	free(f);
}

static json_t *fault_json(const struct fault *f)
{
	json_t *o = json_object(), *m = json_object();

	if (f->m_method)
		json_object_set_new(m, "method", json_string(f->m_method));
	if (f->m_path)
		json_object_set_new(m, "path", json_string(f->m_path));
	if (f->m_operation)
		json_object_set_new(m, "operation", json_string(f->m_operation));
	json_object_set_new(o, "id", json_integer(f->id));
	json_object_set_new(o, "match", m);
	json_object_set_new(o, "count", json_integer(f->count));
	json_object_set_new(o, "kind", json_string(fault_names[f->kind]));
	if (f->kind == FAULT_STATUS)
		json_object_set_new(o, "status", json_integer(f->status));
	if (f->retry_after)
		json_object_set_new(o, "retry_after", json_string(f->retry_after));
	if (f->body)
		json_object_set_new(o, "body", json_string(f->body));
	if (f->ms)
		json_object_set_new(o, "ms", json_integer(f->ms));
	return o;
}

static const char *opt_string(json_t *o, const char *key, char **error)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*error = easprintf("fault field '%s' must be a string", key);
		return NULL;
	}
	return json_string_value(v);
}

/* Parse a fault from its JSON description; NULL with *error on a bad one. */
static struct fault *fault_parse(json_t *j, char **error)
{
	struct fault *f = NULL;
	json_t *m, *v;
	const char *s;
	size_t k;

	*error = NULL;
	if (!json_is_object(j)) {
		*error = estrdup("a fault is a JSON object");
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		abort();
	f->count = 1;
	m = json_object_get(j, "match");
	if (m != NULL && !json_is_null(m)) {
		if (!json_is_object(m)) {
			*error = estrdup("fault 'match' must be an object");
			goto bad;
		}
		if ((s = opt_string(m, "method", error)) != NULL)
			f->m_method = estrdup(s);
		if (*error == NULL && (s = opt_string(m, "path", error)) != NULL)
			f->m_path = estrdup(s);
		if (*error == NULL && (s = opt_string(m, "operation", error)) != NULL)
			f->m_operation = estrdup(s);
		if (*error != NULL)
			goto bad;
	}
	s = opt_string(j, "kind", error);
	if (*error != NULL)
		goto bad;
	if (s == NULL) {
		*error = estrdup("fault 'kind' is required");
		goto bad;
	}
	for (k = 0; k < sizeof(fault_names) / sizeof(fault_names[0]); k++)
		if (strcmp(s, fault_names[k]) == 0)
			break;
	if (k == sizeof(fault_names) / sizeof(fault_names[0])) {
		*error = easprintf("unknown fault kind '%s' (delay, hang, status, "
				   "drop_before, drop_after, truncate, invalid_json)", s);
		goto bad;
	}
	f->kind = (enum fault_kind)k;
	if ((v = json_object_get(j, "count")) != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 1) {
			*error = estrdup("fault 'count' must be an integer >= 1");
			goto bad;
		}
		f->count = json_integer_value(v);
	}
	f->status = 500;
	if ((v = json_object_get(j, "status")) != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 100 ||
		    json_integer_value(v) > 599) {
			*error = estrdup("fault 'status' must be an HTTP status (100-599)");
			goto bad;
		}
		f->status = (int)json_integer_value(v);
	}
	if ((v = json_object_get(j, "retry_after")) != NULL && !json_is_null(v)) {
		if (json_is_string(v))
			f->retry_after = estrdup(json_string_value(v));
		else if (json_is_integer(v))
			f->retry_after = easprintf("%lld", (long long)json_integer_value(v));
		else {
			*error = estrdup("fault 'retry_after' must be a string or integer");
			goto bad;
		}
		if (strpbrk(f->retry_after, "\r\n") != NULL) {
			*error = estrdup("fault 'retry_after' must not contain a line break");
			goto bad;
		}
	}
	if ((s = opt_string(j, "body", error)) != NULL)
		f->body = estrdup(s);
	if (*error != NULL)
		goto bad;
	if ((v = json_object_get(j, "ms")) != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			*error = estrdup("fault 'ms' must be an integer >= 0");
			goto bad;
		}
		f->ms = json_integer_value(v);
	}
	if (f->kind == FAULT_DELAY && f->ms == 0 &&
	    json_object_get(j, "ms") == NULL) {
		*error = estrdup("a delay fault needs 'ms'");
		goto bad;
	}
	return f;
bad:
	fault_free(f);
	return NULL;
}

static int path_matches(const char *pattern, const char *path)
{
	size_t n = strlen(pattern);

	if (n > 0 && pattern[n - 1] == '*')
		return strncmp(pattern, path, n - 1) == 0;
	return strcmp(pattern, path) == 0;
}

/* Take one use of the first fault matching rq; returns a private copy
 * (caller frees) or NULL. */
static struct fault *fault_take(struct emu *emu, const struct emu_request *rq)
{
	struct fault **pp, *f, *copy = NULL;
	char *op = NULL;
	int op_done = 0;

	pthread_mutex_lock(&emu->fault_lock);
	for (pp = &emu->faults; (f = *pp) != NULL; pp = &f->next) {
		if (f->m_method && strcasecmp(f->m_method, rq->method) != 0)
			continue;
		if (f->m_path && !path_matches(f->m_path, rq->path))
			continue;
		if (f->m_operation) {
			if (!op_done) {
				op_done = 1;
				if (emu->p->operation != NULL) {
					pthread_mutex_lock(&emu->state_lock);
					op = emu->p->operation(emu->p->ctx, rq);
					pthread_mutex_unlock(&emu->state_lock);
				}
			}
			if (op == NULL || strcmp(op, f->m_operation) != 0)
				continue;
		}
		copy = calloc(1, sizeof(*copy));
		if (copy == NULL)
			abort();
		copy->kind = f->kind;
		copy->status = f->status;
		copy->ms = f->ms;
		copy->retry_after = estrdup(f->retry_after);
		copy->body = estrdup(f->body);
		if (--f->count <= 0) {
			*pp = f->next;
			fault_free(f);
		}
		break;
	}
	pthread_mutex_unlock(&emu->fault_lock);
	free(op);
	return copy;
}

/* ---- sending answers ---------------------------------------------------------------- */

static enum MHD_Result queue(struct MHD_Connection *c, int status,
			     struct MHD_Response *r)
{
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	ret = MHD_queue_response(c, (unsigned int)status, r);
	MHD_destroy_response(r);
	return ret;
}

static void add_headers(struct MHD_Response *r, const struct emu_response *rs)
{
	size_t i;

	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				rs->content_type ? rs->content_type : "application/json");
	for (i = 0; i < ARRAY_LEN_HEADERS(rs) && rs->headers[i] != NULL; i++) {
		char *name = estrdup(rs->headers[i]);
		char *colon = strchr(name, ':');

		if (colon != NULL) {
			const char *value = colon + 1;

			*colon = '\0';
			while (*value == ' ')
				value++;
			MHD_add_response_header(r, name, value);
		}
		free(name);
	}
}

/* Queue rs (its body is handed to MHD). */
static enum MHD_Result send_response(struct MHD_Connection *c, struct emu_response *rs)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(rs->len, rs->body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL)
		return MHD_NO;
	rs->body = NULL;
	add_headers(r, rs);
	return queue(c, rs->status, r);
}

struct truncated {
	char *body;
	size_t half;
};

static ssize_t truncated_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct truncated *t = cls;
	size_t n;

	if (pos >= t->half)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = t->half - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(buf, t->body + pos, n);
	return (ssize_t)n;
}

static void truncated_free(void *cls)
{
	struct truncated *t = cls;

	free(t->body);
	free(t);
}

/* Declare the full length, send the first half, then close. */
static enum MHD_Result send_truncated(struct MHD_Connection *c, struct emu_response *rs)
{
	struct truncated *t = emalloc(sizeof(*t));
	struct MHD_Response *r;

	t->body = rs->body;
	t->half = rs->len / 2;
	rs->body = NULL;
	r = MHD_create_response_from_callback(rs->len, 4096, truncated_reader, t,
					      truncated_free);
	if (r == NULL) {
		truncated_free(t);
		return MHD_NO;
	}
	add_headers(r, rs);
	return queue(c, rs->status, r);
}

static enum MHD_Result send_json(struct MHD_Connection *c, int status, json_t *j)
{
	struct emu_response rs;

	memset(&rs, 0, sizeof(rs));
	emu_respond_json(&rs, status, j);
	return send_response(c, &rs);
}

static enum MHD_Result send_error(struct MHD_Connection *c, int status, const char *msg)
{
	return send_json(c, status, json_pack("{s:s}", "error", msg));
}

/* ---- control endpoints (/_emu/) --------------------------------------------------------- */

static enum MHD_Result control_log(struct emu *emu, struct MHD_Connection *c)
{
	struct emu_response rs;
	size_t i, total = 0, off = 0;

	memset(&rs, 0, sizeof(rs));
	pthread_mutex_lock(&emu->log_lock);
	for (i = 0; i < emu->log_n; i++)
		total += strlen(emu->log[i]) + 1;
	rs.body = emalloc(total + 1);
	for (i = 0; i < emu->log_n; i++) {
		size_t n = strlen(emu->log[i]);

		memcpy(rs.body + off, emu->log[i], n);
		off += n;
		rs.body[off++] = '\n';
	}
	rs.body[off] = '\0';
	pthread_mutex_unlock(&emu->log_lock);
	rs.len = off;
	rs.status = 200;
	rs.content_type = "application/x-ndjson";
	return send_response(c, &rs);
}

static enum MHD_Result control(struct emu *emu, struct MHD_Connection *c,
			       const char *method, const char *path,
			       const struct req *rq)
{
	const char *what = path + strlen(EMU_CONTROL_PREFIX);
	int is_get = strcmp(method, "GET") == 0, is_post = strcmp(method, "POST") == 0;
	json_t *in = NULL, *out;
	json_error_t jerr;
	char *error = NULL;
	enum MHD_Result ret;

	if (is_post && rq->body_len > 0) {
		in = json_loadb(rq->body, rq->body_len, 0, &jerr);
		if (in == NULL) {
			char *msg = easprintf("request body is not JSON: %s", jerr.text);

			ret = send_error(c, 400, msg);
			free(msg);
			return ret;
		}
	}
	if (rq->too_large) {
		ret = send_error(c, 413, "request body too large");
	} else if (strcmp(what, "log") == 0 && is_get) {
		ret = control_log(emu, c);
	} else if (strcmp(what, "log/clear") == 0 && is_post) {
		size_t i, n;

		pthread_mutex_lock(&emu->log_lock);
		n = emu->log_n;
		for (i = 0; i < emu->log_n; i++)
			free(emu->log[i]);
		emu->log_n = 0;
		pthread_mutex_unlock(&emu->log_lock);
		ret = send_json(c, 200, json_pack("{s:I}", "cleared", (json_int_t)n));
	} else if (strcmp(what, "clock") == 0 && is_get) {
		ret = send_json(c, 200, json_pack("{s:I,s:b}", "now", (json_int_t)emu_now(emu),
						  "frozen", atomic_load(&emu->frozen)));
	} else if (strcmp(what, "clock") == 0 && is_post) {
		int rc;

		pthread_mutex_lock(&emu->state_lock);
		rc = clock_change(emu, in);
		pthread_mutex_unlock(&emu->state_lock);
		if (rc != 0)
			ret = send_error(c, 400, "body must be {\"set\": <epoch>} or "
					 "{\"advance\": <seconds>}, optionally with "
					 "\"freeze\": true|false");
		else
			ret = send_json(c, 200, json_pack("{s:I,s:b}", "now",
							  (json_int_t)emu_now(emu), "frozen",
							  atomic_load(&emu->frozen)));
	} else if (strcmp(what, "faults") == 0 && is_post) {
		struct fault *f = fault_parse(in, &error), **pp;

		if (f == NULL) {
			ret = send_error(c, 400, error);
		} else {
			pthread_mutex_lock(&emu->fault_lock);
			f->id = ++emu->next_fault_id;
			for (pp = &emu->faults; *pp != NULL; pp = &(*pp)->next)
				;
			*pp = f;
			pthread_mutex_unlock(&emu->fault_lock);
			ret = send_json(c, 200, json_pack("{s:I}", "id", (json_int_t)f->id));
		}
	} else if (strcmp(what, "faults") == 0 && is_get) {
		json_t *arr = json_array();
		struct fault *f;

		pthread_mutex_lock(&emu->fault_lock);
		for (f = emu->faults; f != NULL; f = f->next)
			json_array_append_new(arr, fault_json(f));
		pthread_mutex_unlock(&emu->fault_lock);
		ret = send_json(c, 200, json_pack("{s:o}", "faults", arr));
	} else if (strcmp(what, "faults") == 0 && strcmp(method, "DELETE") == 0) {
		struct fault *f;
		long long n = 0;

		pthread_mutex_lock(&emu->fault_lock);
		while ((f = emu->faults) != NULL) {
			emu->faults = f->next;
			fault_free(f);
			n++;
		}
		pthread_mutex_unlock(&emu->fault_lock);
		ret = send_json(c, 200, json_pack("{s:I}", "cleared", (json_int_t)n));
	} else if (strcmp(what, "state") == 0 && is_get) {
		out = NULL;
		pthread_mutex_lock(&emu->state_lock);
		if (emu->p->dump_state)
			out = emu->p->dump_state(emu->p->ctx, emu);
		pthread_mutex_unlock(&emu->state_lock);
		ret = send_json(c, 200, out ? out : json_object());
	} else if (strcmp(what, "config") == 0 && is_post) {
		json_t *lat = json_object_get(in, "latency_ms");
		int rc = 0;

		if (!json_is_object(in)) {
			ret = send_error(c, 400, "body must be a JSON object");
		} else if (lat != NULL && (!json_is_integer(lat) || json_integer_value(lat) < 0 ||
					   json_integer_value(lat) > INT_MAX)) {
			ret = send_error(c, 400, "latency_ms must be an integer >= 0");
		} else {
			pthread_mutex_lock(&emu->state_lock);
			if (emu->p->config)
				rc = emu->p->config(emu->p->ctx, emu, in, &error);
			if (rc == 0 && lat != NULL)
				emu_set_latency(emu, (int)json_integer_value(lat));
			pthread_mutex_unlock(&emu->state_lock);
			if (rc != 0)
				ret = send_error(c, 400, error ? error : "bad configuration");
			else
				ret = send_json(c, 200, json_pack("{s:b}", "ok", 1));
		}
	} else if (strcmp(what, "event") == 0 && is_post) {
		if (!json_is_object(in)) {
			ret = send_error(c, 400, "body must be a JSON object");
		} else if (emu->p->event == NULL) {
			ret = send_error(c, 400, "this emulator has no events");
		} else {
			pthread_mutex_lock(&emu->state_lock);
			out = emu->p->event(emu->p->ctx, emu, in, &error);
			pthread_mutex_unlock(&emu->state_lock);
			if (out == NULL)
				ret = send_error(c, 400, error ? error : "event refused");
			else
				ret = send_json(c, 200, out);
		}
	} else {
		char *msg = easprintf("no control endpoint %s %s", method, path);

		ret = send_error(c, 404, msg);
		free(msg);
	}
	free(error);
	json_decref(in);
	return ret;
}

/* ---- platform requests ------------------------------------------------------------------ */

static char *default_fault_body(struct emu *emu, int status)
{
	char *b = NULL;

	if (emu->p->fault_body != NULL) {
		pthread_mutex_lock(&emu->state_lock);
		b = emu->p->fault_body(emu->p->ctx, status);
		pthread_mutex_unlock(&emu->state_lock);
	}
	if (b == NULL) {
		json_t *j = json_pack("{s:i,s:s}", "status", status, "error",
				      status == 429 ? "Too Many Requests" :
				      status >= 500 ? "Internal Server Error" : "Error");

		b = json_compact(j);
		json_decref(j);
	}
	return b;
}

static enum MHD_Result platform(struct emu *emu, struct MHD_Connection *c,
				struct emu_request *rq, struct req *r)
{
	struct emu_response rs;
	struct fault *f;
	const char *fname = NULL;
	int64_t when = emu_now_ms(emu);	/* arrival, for the log */
	enum MHD_Result ret;

	memset(&rs, 0, sizeof(rs));
	f = fault_take(emu, rq);
	if (f != NULL)
		fname = fault_names[f->kind];
	ret = MHD_NO;	/* stopping while we wait: close */
	if (sleep_ms(emu, atomic_load(&emu->latency_ms)))
		goto done;
	if (f != NULL && f->kind == FAULT_DELAY && sleep_ms(emu, f->ms))
		goto done;
	if (f != NULL && f->kind == FAULT_HANG) {
		while (!atomic_load(&emu->stopping) && !peer_gone(c))
			sleep_ms(emu, EMU_POLL_MS);
		log_append(emu, rq, 0, NULL, 0, 0, fname, when);
		ret = MHD_NO;
		goto done;
	}
	if (f != NULL && f->kind == FAULT_DROP_BEFORE) {
		log_append(emu, rq, 0, NULL, 0, 0, fname, when);
		ret = MHD_NO;
		goto done;
	}
	if (f != NULL && f->kind == FAULT_STATUS) {
		rs.status = f->status;
		rs.body = f->body ? estrdup(f->body) : default_fault_body(emu, f->status);
		rs.len = strlen(rs.body);
		rs.content_type = "application/json";
		if (f->retry_after)
			emu_add_header(&rs, "Retry-After: %s", f->retry_after);
	} else {
		pthread_mutex_lock(&emu->state_lock);
		current_req = r;
		if (rq->body_too_large && emu->p->too_large != NULL)
			emu->p->too_large(emu->p->ctx, &rs);
		else if (rq->body_too_large)
			emu_respond_json(&rs, 413, json_pack("{s:s}", "error",
							     "request body too large"));
		else
			emu->p->handle(emu->p->ctx, emu, rq, &rs);
		current_req = NULL;
		pthread_mutex_unlock(&emu->state_lock);
		if (rs.body == NULL)
			rs.body = estrdup("");
		if (rs.status == 0)
			rs.status = 500;
		rs.len = rs.len ? rs.len : strlen(rs.body);
	}

	if (f != NULL && f->kind == FAULT_DROP_AFTER) {
		log_append(emu, rq, rs.status, NULL, 0, 0, fname, when);
		ret = MHD_NO;
	} else if (f != NULL && f->kind == FAULT_TRUNCATE) {
		log_append(emu, rq, rs.status, rs.body, rs.len / 2, 1, fname, when);
		ret = send_truncated(c, &rs);
	} else if (f != NULL && f->kind == FAULT_INVALID_JSON) {
		static const char junk[] =
			"<html><head><title>502 Bad Gateway</title></head>"
			"<body>upstream sent an invalid response</body></html>";

		free(rs.body);
		rs.body = estrdup(junk);
		rs.len = strlen(junk);
		rs.status = 200;
		rs.content_type = "text/html";
		log_append(emu, rq, rs.status, rs.body, rs.len, 1, fname, when);
		ret = send_response(c, &rs);
	} else {
		log_append(emu, rq, rs.status, rs.body, rs.len, 1, fname, when);
		ret = send_response(c, &rs);
	}
done:
	response_free(&rs);
	if (f != NULL)
		fault_free(f);
	return ret;
}

/* ---- libmicrohttpd callbacks ------------------------------------------------------------- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct req *r = calloc(1, sizeof(*r));

	(void)cls;
	(void)c;
	if (r == NULL)
		abort();
	r->uri = estrdup(uri ? uri : "/");
	return r;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (r == NULL)
		return;
	free(r->uri);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct emu *emu = cls;
	struct req *r = *con_cls;
	struct emu_request rq;
	const char *q;
	char *path;
	enum MHD_Result ret;

	(void)version;
	if (r == NULL) {	/* no URI callback ran (should not happen) */
		r = on_uri(NULL, url, c);
		*con_cls = r;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		if (!r->too_large && r->body_len + n > EMU_MAX_BODY) {
			r->too_large = 1;
			free(r->body);
			r->body = NULL;
			r->body_len = r->body_cap = 0;
		}
		if (!r->too_large) {
			if (r->body_len + n + 1 > r->body_cap) {
				r->body_cap = (r->body_len + n + 1) * 2;
				if (r->body_cap > EMU_MAX_BODY + 1)
					r->body_cap = EMU_MAX_BODY + 1;
				r->body = erealloc(r->body, r->body_cap);
			}
			memcpy(r->body + r->body_len, upload_data, n);
			r->body_len += n;
			r->body[r->body_len] = '\0';
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	/* First call (headers only): wait for the upload, if any. */
	if (!r->seen) {
		r->seen = 1;
		return MHD_YES;
	}
	if (atomic_load(&emu->stopping))
		return MHD_NO;

	q = strchr(r->uri, '?');
	path = q ? estrndup(r->uri, (size_t)(q - r->uri)) : estrdup(r->uri);
	memset(&rq, 0, sizeof(rq));
	rq.method = method;
	rq.path = path;
	rq.query = q ? q + 1 : "";
	rq.body = r->body ? r->body : "";
	rq.body_len = r->body_len;
	rq.body_too_large = r->too_large;
	rq.conn = c;
	if (strncmp(path, EMU_CONTROL_PREFIX, strlen(EMU_CONTROL_PREFIX)) == 0)
		ret = control(emu, c, method, path, r);
	else
		ret = platform(emu, c, &rq, r);
	free(path);
	return ret;
}

/* ---- command line ----------------------------------------------------------------------- */

static int parse_int(const char *s, long lo, long hi, int *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* Returns 1 when argv[*i] was a common flag (its value consumed), 0 when
 * it is not one of ours, -1 on a missing or bad value. Both "--flag V" and
 * "--flag=V" are accepted. */
int emu_parse_common_arg(struct emu_opts *o, int argc, char **argv, int *i)
{
	static const char *const flags[] = {
		"--port", "--port-file", "--pid-file", "--log", "--latency-ms",
	};
	const char *arg = argv[*i], *val = NULL;
	size_t k, n;

	for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
		n = strlen(flags[k]);
		if (strncmp(arg, flags[k], n) == 0 && (arg[n] == '\0' || arg[n] == '='))
			break;
	}
	if (k == sizeof(flags) / sizeof(flags[0]))
		return 0;
	if (arg[n] == '=') {
		val = arg + n + 1;
	} else {
		if (*i + 1 >= argc) {
			fprintf(stderr, "%s needs a value\n", flags[k]);
			return -1;
		}
		val = argv[++*i];
	}
	switch (k) {
	case 0:
		if (parse_int(val, 0, 65535, &o->port) != 0)
			goto bad;
		break;
	case 1:
		o->port_file = val;
		break;
	case 2:
		o->pid_file = val;
		break;
	case 3:
		o->log_file = val;
		break;
	default:
		if (parse_int(val, 0, 600000, &o->latency_ms) != 0)
			goto bad;
		break;
	}
	return 1;
bad:
	fprintf(stderr, "%s: bad value '%s'\n", flags[k], val);
	return -1;
}

const char *emu_common_usage(void)
{
	return
		"  --port N          listen on 127.0.0.1:N (0 = any free port; default 0)\n"
		"  --port-file FILE  write the port number and a newline to FILE, atomically,\n"
		"                    once the server accepts connections\n"
		"  --pid-file FILE   write the process id to FILE\n"
		"  --log FILE        append the request log (JSON lines) to FILE, flushed per request\n"
		"  --latency-ms N    delay every platform response by N ms (default 0)\n"
		"  --help            this text\n"
		"Control endpoints live under /_emu/ (see tests/emulator/README.md).\n"
		"Stops on SIGTERM or SIGINT.\n";
}

/* Write text to path atomically (temp file beside it, then rename). */
static int write_atomic(const char *path, const char *text)
{
	char *tmp = easprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *fp = fopen(tmp, "w");
	int ret = -1;

	if (fp == NULL) {
		fprintf(stderr, "emulator: %s: %s\n", tmp, strerror(errno));
		goto cleanup;
	}
	if (fputs(text, fp) == EOF || fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
		fprintf(stderr, "emulator: writing %s: %s\n", tmp, strerror(errno));
		fclose(fp);
		unlink(tmp);
		goto cleanup;
	}
	if (fclose(fp) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "emulator: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		goto cleanup;
	}
	ret = 0;
cleanup:
	free(tmp);
	return ret;
}

static int listen_loopback(int port, int *out_port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "emulator: socket: %s\n", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, EMU_LISTEN_BACKLOG) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		fprintf(stderr, "emulator: listening on 127.0.0.1:%d: %s\n", port,
			strerror(errno));
		close(fd);
		return -1;
	}
	*out_port = ntohs(sa.sin_port);
	return fd;
}

int emu_serve(const struct emu_opts *o, const struct emu_platform *p,
	      int64_t initial_clock)
{
	struct emu emu;
	struct MHD_Daemon *d = NULL;
	pthread_condattr_t ca;
	sigset_t set, old;
	struct fault *f;
	char buf[64];
	int fd = -1, port = 0, sig = 0, ret = -1;
	size_t i;

	memset(&emu, 0, sizeof(emu));
	emu.p = p;
	pthread_mutex_init(&emu.state_lock, NULL);
	pthread_mutex_init(&emu.log_lock, NULL);
	pthread_mutex_init(&emu.fault_lock, NULL);
	pthread_mutex_init(&emu.stop_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&emu.stop_cond, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&emu.stopping, 0);
	atomic_init(&emu.clock_offset, initial_clock ?
		    (long long)(initial_clock - (int64_t)time(NULL)) : 0);
	atomic_init(&emu.frozen, 0);
	atomic_init(&emu.frozen_at, 0);
	atomic_init(&emu.latency_ms, o->latency_ms > 0 ? o->latency_ms : 0);

	/* Every thread (MHD's included) inherits this mask; main waits. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);

	if (o->log_file != NULL) {
		emu.log_fp = fopen(o->log_file, "a");
		if (emu.log_fp == NULL) {
			fprintf(stderr, "emulator: %s: %s\n", o->log_file, strerror(errno));
			goto cleanup;
		}
	}
	fd = listen_loopback(o->port, &port);
	if (fd < 0)
		goto cleanup;
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			     MHD_USE_POLL,
			     0, NULL, NULL, on_request, &emu,
			     MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
			     MHD_OPTION_URI_LOG_CALLBACK, on_uri, (void *)NULL,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, (void *)NULL,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)EMU_CONN_LIMIT,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)EMU_CONN_TIMEOUT,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)EMU_CONN_MEMORY,
			     MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "emulator: cannot start the HTTP server\n");
		close(fd);
		goto cleanup;
	}
	fd = -1;	/* the daemon owns it now */
	if (o->pid_file != NULL) {
		snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
		if (write_atomic(o->pid_file, buf) != 0)
			goto cleanup;
	}
	if (o->port_file != NULL) {
		snprintf(buf, sizeof(buf), "%d\n", port);
		if (write_atomic(o->port_file, buf) != 0)
			goto cleanup;
	}
	fprintf(stderr, "%s emulator listening on http://127.0.0.1:%d\n",
		p->name ? p->name : "platform", port);

	while (sigwait(&set, &sig) != 0 || (sig != SIGINT && sig != SIGTERM))
		;
	ret = 0;
cleanup:
	pthread_mutex_lock(&emu.stop_lock);
	atomic_store(&emu.stopping, 1);
	pthread_cond_broadcast(&emu.stop_cond);
	pthread_mutex_unlock(&emu.stop_lock);
	if (d != NULL)
		MHD_stop_daemon(d);
	if (emu.log_fp != NULL && fclose(emu.log_fp) != 0) {
		fprintf(stderr, "emulator: closing %s: %s\n", o->log_file, strerror(errno));
		ret = -1;
	}
	for (i = 0; i < emu.log_n; i++)
		free(emu.log[i]);
	free(emu.log);
	while ((f = emu.faults) != NULL) {
		emu.faults = f->next;
		fault_free(f);
	}
	pthread_cond_destroy(&emu.stop_cond);
	pthread_mutex_destroy(&emu.stop_lock);
	pthread_mutex_destroy(&emu.fault_lock);
	pthread_mutex_destroy(&emu.log_lock);
	pthread_mutex_destroy(&emu.state_lock);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

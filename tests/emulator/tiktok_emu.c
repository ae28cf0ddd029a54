/*
 * tiktok_emu.c - the TikTok Shop Open API (202309 paths) twin: start-up,
 * the fixture file, the gateway (routing, app_key, timestamp window,
 * HMAC-SHA256 signature, content type, x-tts-access-token, shop_cipher,
 * rate limit) in TikTok's order with TikTok's codes and HTTP statuses,
 * the token endpoint (/api/v2/token/refresh), and the control hooks
 * (config, faults' error bodies, state). Business endpoints live in
 * tiktok_emu_orders.c and tiktok_emu_ship.c. Facts:
 * ../shared/research/tiktok-shop-api.md; field truth:
 * ../shared/platform-specs/tiktok/ (the spec JSON). Owns the whole emulator
 * state (struct tte).
 */
#include "tiktok_emu.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- small helpers ---------------------------------------------------------- */

void *tte_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		fprintf(stderr, "tiktok-emu: out of memory\n");
		abort();
	}
	return p;
}

void *tte_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL) {
		fprintf(stderr, "tiktok-emu: out of memory\n");
		abort();
	}
	return p;
}

char *tte_xstrdup(const char *s)
{
	size_t n;
	char *d;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	d = tte_xmalloc(n);
	memcpy(d, s, n);
	return d;
}

static char *tte_vasprintf(const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *s;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		n = 0;
	s = tte_xmalloc((size_t)n + 1);
	if (vsnprintf(s, (size_t)n + 1, fmt, ap) < 0)
		s[0] = '\0';
	return s;
}

char *tte_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = tte_vasprintf(fmt, ap);
	va_end(ap);
	return s;
}

const char *tte_jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

int tte_same_id(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

int64_t tte_now(struct tte *t)
{
	return t->emu ? emu_now(t->emu) : (int64_t)time(NULL);
}

/* ---- the envelope -------------------------------------------------------------- */

/* TikTok request ids look like "20251121093012" + hex. */
static json_t *request_id(struct tte *t)
{
	time_t now = (time_t)tte_now(t);
	struct tm tm;
	char stamp[32], id[64];

	gmtime_r(&now, &tm);
	if (strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm) == 0)
		stamp[0] = '\0';
	snprintf(id, sizeof(id), "%s%018llX", stamp, ++t->seq);
	return json_string(id);
}

void tte_ok(struct tte *t, struct emu_response *rs, json_t *data)
{
	json_t *env = json_object();

	json_object_set_new(env, "code", json_integer(0));
	json_object_set_new(env, "message", json_string("Success"));
	json_object_set_new(env, "request_id", request_id(t));
	json_object_set_new(env, "data", data ? data : json_object());
	emu_respond_json(rs, 200, env);
}

void tte_err(struct tte *t, struct emu_response *rs, int http, long code,
	     const char *fmt, ...)
{
	json_t *env = json_object();
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = tte_vasprintf(fmt, ap);
	va_end(ap);
	json_object_set_new(env, "code", json_integer(code));
	json_object_set_new(env, "message", json_string(msg));
	json_object_set_new(env, "request_id", request_id(t));
	json_object_set_new(env, "data", json_null());
	emu_respond_json(rs, http, env);
	free(msg);
	t->n_errors++;
}

/* ---- lookups --------------------------------------------------------------------- */

struct tte_order *tte_order_get(struct tte *t, const char *id)
{
	json_t *ix = id ? json_object_get(t->order_index, id) : NULL;

	return ix ? t->orders[json_integer_value(ix)] : NULL;
}

struct tte_package *tte_package_get(struct tte *t, const char *id)
{
	json_t *ix = id ? json_object_get(t->package_index, id) : NULL;

	return ix ? t->packages[json_integer_value(ix)] : NULL;
}

struct tte_provider *tte_provider_get(struct tte *t, const char *id)
{
	size_t i;

	for (i = 0; id && i < t->nproviders; i++)
		if (strcmp(t->providers[i].id, id) == 0)
			return &t->providers[i];
	return NULL;
}

struct tte_option *tte_option_get(struct tte *t, const char *id)
{
	size_t i;

	for (i = 0; id && i < t->noptions; i++)
		if (strcmp(t->options[i].id, id) == 0)
			return &t->options[i];
	return NULL;
}

struct tte_shop *tte_shop_by_cipher(struct tte *t, const char *cipher)
{
	size_t i;

	for (i = 0; cipher && i < t->nshops; i++)
		if (strcmp(t->shops[i].cipher, cipher) == 0)
			return &t->shops[i];
	return NULL;
}

static struct tte_token *token_by_access(struct tte *t, const char *access)
{
	size_t i;

	for (i = 0; access && i < t->ntokens; i++)
		if (strcmp(t->tokens[i].access, access) == 0)
			return &t->tokens[i];
	return NULL;
}

static int token_has_shop(const struct tte_token *tok, const char *cipher)
{
	size_t i;
	json_t *v;

	json_array_foreach(tok->ciphers, i, v)
		if (tte_same_id(json_string_value(v), cipher))
			return 1;
	return 0;
}

/* ---- fixture loading ----------------------------------------------------------------- */

static int is_time_key(const char *k)
{
	size_t n = strlen(k);

	return (n > 5 && strcmp(k + n - 5, "_time") == 0) || strcmp(k, "release_date") == 0;
}

/* relative_times: every integer *_time in an order becomes start + offset. */
void tte_shift_times(json_t *v, int64_t base)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, x) {
			if (json_is_integer(x) && is_time_key(k))
				json_integer_set(x, json_integer_value(x) + base);
			else
				tte_shift_times(x, base);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			tte_shift_times(x, base);
	}
}

static int need_str(json_t *o, const char *key, const char *where, char **out,
		    char **error)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || json_string_length(v) == 0) {
		*error = tte_asprintf("%s: '%s' must be a non-empty string", where, key);
		return -1;
	}
	*out = tte_xstrdup(json_string_value(v));
	return 0;
}

static int64_t opt_int(json_t *o, const char *key, int64_t dflt)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

static int load_tokens(struct tte *t, json_t *arr, int64_t base, char **error)
{
	size_t i;
	json_t *v;

	if (arr != NULL && !json_is_array(arr)) {
		*error = tte_xstrdup("'tokens' must be an array");
		return -1;
	}
	json_array_foreach(arr, i, v) {
		struct tte_token tok;
		char where[64];
		json_t *ciphers = json_object_get(v, "shop_ciphers");

		memset(&tok, 0, sizeof(tok));
		snprintf(where, sizeof(where), "tokens[%zu]", i);
		if (!json_is_object(v) ||
		    need_str(v, "access_token", where, &tok.access, error) != 0 ||
		    need_str(v, "refresh_token", where, &tok.refresh, error) != 0) {
			if (*error == NULL)
				*error = tte_asprintf("%s must be an object", where);
			free(tok.access);
			return -1;
		}
		if (ciphers == NULL) {
			size_t k;

			ciphers = json_array();
			for (k = 0; k < t->nshops; k++)
				json_array_append_new(ciphers, json_string(t->shops[k].cipher));
		} else if (!json_is_array(ciphers)) {
			*error = tte_asprintf("%s: 'shop_ciphers' must be an array", where);
			free(tok.access);
			free(tok.refresh);
			return -1;
		} else {
			json_incref(ciphers);
		}
		tok.ciphers = ciphers;
		tok.access_exp = opt_int(v, "access_token_expire_in",
					 t->start_clock + t->token_lifetime - base) + base;
		tok.refresh_exp = opt_int(v, "refresh_token_expire_in",
					  t->start_clock + t->refresh_lifetime - base) + base;
		if (t->ntokens == t->cap_tokens) {
			t->cap_tokens = t->cap_tokens ? t->cap_tokens * 2 : 8;
			t->tokens = tte_xrealloc(t->tokens, t->cap_tokens * sizeof(*t->tokens));
		}
		t->tokens[t->ntokens++] = tok;
	}
	return 0;
}

static int load_catalogue(struct tte *t, json_t *root, char **error)
{
	json_t *arr, *v;
	size_t i;
	char where[64];

	arr = json_object_get(root, "shops");
	if (!json_is_array(arr) || json_array_size(arr) == 0) {
		*error = tte_xstrdup("'shops' must be a non-empty array");
		return -1;
	}
	t->shops = calloc(json_array_size(arr), sizeof(*t->shops));
	if (t->shops == NULL)
		abort();
	json_array_foreach(arr, i, v) {
		struct tte_shop *s = &t->shops[t->nshops];

		snprintf(where, sizeof(where), "shops[%zu]", i);
		if (need_str(v, "id", where, &s->id, error) != 0 ||
		    need_str(v, "cipher", where, &s->cipher, error) != 0)
			return -1;
		t->nshops++;
		s->name = tte_xstrdup(tte_jstr(v, "name"));
		s->region = tte_xstrdup(json_is_string(json_object_get(v, "region")) ?
					tte_jstr(v, "region") : "US");
		s->seller_type = tte_xstrdup(json_is_string(json_object_get(v, "seller_type")) ?
					     tte_jstr(v, "seller_type") : "LOCAL");
		s->code = tte_xstrdup(tte_jstr(v, "code"));
	}

	arr = json_object_get(root, "providers");
	if (arr != NULL && !json_is_array(arr)) {
		*error = tte_xstrdup("'providers' must be an array");
		return -1;
	}
	t->providers = calloc(json_array_size(arr) + 1, sizeof(*t->providers));
	if (t->providers == NULL)
		abort();
	json_array_foreach(arr, i, v) {
		struct tte_provider *p = &t->providers[t->nproviders];
		json_t *re = json_object_get(v, "tracking_regex");

		snprintf(where, sizeof(where), "providers[%zu]", i);
		if (need_str(v, "id", where, &p->id, error) != 0) {
			return -1;
		}
		t->nproviders++;
		p->name = tte_xstrdup(tte_jstr(v, "name"));
		p->example = tte_xstrdup(tte_jstr(v, "tracking_example"));
		if (json_is_string(re) && json_string_length(re) > 0) {
			p->regex_src = tte_xstrdup(json_string_value(re));
			if (regcomp(&p->re, p->regex_src, REG_EXTENDED | REG_NOSUB) != 0) {
				*error = tte_asprintf("%s: bad tracking_regex '%s'", where,
						      p->regex_src);
				return -1;
			}
			p->has_re = 1;
		}
	}

	arr = json_object_get(root, "delivery_options");
	if (arr != NULL && !json_is_array(arr)) {
		*error = tte_xstrdup("'delivery_options' must be an array");
		return -1;
	}
	t->options = calloc(json_array_size(arr) + 1, sizeof(*t->options));
	if (t->options == NULL)
		abort();
	json_array_foreach(arr, i, v) {
		struct tte_option *o = &t->options[t->noptions];
		json_t *ids = json_object_get(v, "provider_ids"), *x;
		size_t k;

		snprintf(where, sizeof(where), "delivery_options[%zu]", i);
		if (need_str(v, "id", where, &o->id, error) != 0)
			return -1;
		t->noptions++;
		o->name = tte_xstrdup(tte_jstr(v, "name"));
		o->tiktok_fulfilled = json_is_true(json_object_get(v, "tiktok_fulfilled"));
		o->provider_ids = json_array();
		if (ids != NULL && !json_is_array(ids)) {
			*error = tte_asprintf("%s: 'provider_ids' must be an array", where);
			return -1;
		}
		json_array_foreach(ids, k, x) {
			if (!json_is_string(x) || tte_provider_get(t, json_string_value(x)) == NULL) {
				*error = tte_asprintf("%s: provider_ids[%zu] is not a known provider id",
						      where, k);
				return -1;
			}
			json_array_append(o->provider_ids, x);
		}
	}
	return 0;
}

static int load_fixture(struct tte *t, const char *path, int64_t *initial_clock,
			char **error)
{
	json_error_t jerr;
	json_t *root, *arr, *v;
	int64_t real_now = (int64_t)time(NULL), base = 0;
	int relative, ret = -1;
	size_t i;

	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		*error = tte_asprintf("%s:%d: %s", path, jerr.line, jerr.text);
		return -1;
	}
	if (!json_is_object(root)) {
		*error = tte_asprintf("%s: the fixture must be a JSON object", path);
		goto cleanup;
	}
	relative = json_is_true(json_object_get(root, "relative_times"));
	v = json_object_get(root, "clock");
	if (v != NULL && !json_is_integer(v)) {
		*error = tte_xstrdup("'clock' must be an integer");
		goto cleanup;
	}
	if (relative) {
		base = real_now;
		t->start_clock = real_now + opt_int(root, "clock", 0);
	} else {
		t->start_clock = v ? (int64_t)json_integer_value(v) : real_now;
	}
	*initial_clock = t->start_clock;

	v = json_object_get(root, "app");
	if (!json_is_object(v) ||
	    need_str(v, "app_key", "app", &t->app_key, error) != 0 ||
	    need_str(v, "app_secret", "app", &t->app_secret, error) != 0) {
		if (*error == NULL)
			*error = tte_xstrdup("'app' must be an object with app_key and app_secret");
		goto cleanup;
	}
	t->token_lifetime = opt_int(root, "token_lifetime", TTE_TOKEN_LIFETIME_DEFAULT);
	t->refresh_lifetime = opt_int(root, "refresh_token_lifetime", TTE_REFRESH_LIFETIME_DEFAULT);
	t->rate_qps = (int)opt_int(root, "rate_limit_qps", TTE_RATE_QPS_DEFAULT);
	if (t->token_lifetime < 1 || t->refresh_lifetime < 1 || t->rate_qps < 1) {
		*error = tte_xstrdup("token_lifetime, refresh_token_lifetime and "
				     "rate_limit_qps must be >= 1");
		goto cleanup;
	}
	if (load_catalogue(t, root, error) != 0 ||
	    load_tokens(t, json_object_get(root, "tokens"), base, error) != 0)
		goto cleanup;

	arr = json_object_get(root, "orders");
	if (arr != NULL && !json_is_array(arr)) {
		*error = tte_xstrdup("'orders' must be an array");
		goto cleanup;
	}
	json_array_foreach(arr, i, v) {
		json_t *o = json_deep_copy(v);
		const char *shop;
		struct tte_order *ord;
		char *why = NULL;

		if (!json_is_object(o)) {
			json_decref(o);
			*error = tte_asprintf("orders[%zu] must be an object", i);
			goto cleanup;
		}
		if (relative)
			tte_shift_times(o, base);
		shop = json_string_value(json_object_get(o, "_shop"));
		if (shop != NULL && tte_shop_by_cipher(t, shop) == NULL) {
			*error = tte_asprintf("orders[%zu]: _shop '%s' is not a shop cipher", i, shop);
			json_decref(o);
			goto cleanup;
		}
		ord = tte_order_add(t, o, shop ? shop : t->shops[0].cipher, &why);
		if (ord == NULL) {
			*error = tte_asprintf("orders[%zu]: %s", i, why);
			free(why);
			goto cleanup;
		}
		tte_packages_from_fixture(t, ord);
	}
	ret = 0;
cleanup:
	json_decref(root);
	return ret;
}

/* ---- the rate limit (token bucket per API per (app, shop)) -------------------------- */

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 0 = allowed, -1 = over the limit. */
static int rate_take(struct tte *t, const char *api, const char *shop)
{
	char *key = tte_asprintf("%s|%s|%s", t->app_key, api, shop);
	json_t *ix = json_object_get(t->buckets, key);
	struct tte_bucket *b;
	double now = mono_now();
	int ret = 0;

	if (ix == NULL) {
		if (t->nbuckets == t->cap_buckets) {
			t->cap_buckets = t->cap_buckets ? t->cap_buckets * 2 : 16;
			t->bucket_arr = tte_xrealloc(t->bucket_arr,
						     t->cap_buckets * sizeof(*t->bucket_arr));
		}
		t->bucket_arr[t->nbuckets].tokens = t->rate_qps;
		t->bucket_arr[t->nbuckets].last = now;
		json_object_set_new(t->buckets, key, json_integer((json_int_t)t->nbuckets));
		b = &t->bucket_arr[t->nbuckets++];
	} else {
		b = &t->bucket_arr[json_integer_value(ix)];
	}
	b->tokens += (now - b->last) * t->rate_qps;
	if (b->tokens > t->rate_qps)
		b->tokens = t->rate_qps;
	b->last = now;
	if (b->tokens >= 1.0)
		b->tokens -= 1.0;
	else
		ret = -1;
	free(key);
	return ret;
}

/* ---- the signature (§2) ------------------------------------------------------------------ */

struct qparam {
	const char *key, *value;
};

struct qcollect {
	struct qparam *v;
	size_t n, cap;
};

static int collect_param(void *arg, const char *name, const char *value)
{
	struct qcollect *qc = arg;

	if (strcmp(name, "sign") == 0 || strcmp(name, "access_token") == 0)
		return 0;
	if (qc->n == qc->cap) {
		qc->cap = qc->cap ? qc->cap * 2 : 16;
		qc->v = tte_xrealloc(qc->v, qc->cap * sizeof(*qc->v));
	}
	qc->v[qc->n].key = name;
	qc->v[qc->n].value = value;
	qc->n++;
	return 0;
}

static int cmp_param(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : strcmp(x->value, y->value);
}

/* The expected sign (64 lower-case hex digits) of this request. */
static void expected_sign(const struct tte *t, const struct emu_request *rq, char out[65])
{
	struct qcollect qc = { NULL, 0, 0 };
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, k;
	size_t i, len, slen = strlen(t->app_secret), off = 0;
	char *msg;
	const char *ct = emu_header(rq, "Content-Type");
	int multipart = ct && strncasecmp(ct, "multipart/form-data", 19) == 0;

	emu_query_foreach(rq, collect_param, &qc);
	qsort(qc.v, qc.n, sizeof(*qc.v), cmp_param);
	len = 2 * slen + strlen(rq->path) + (multipart ? 0 : rq->body_len);
	for (i = 0; i < qc.n; i++)
		len += strlen(qc.v[i].key) + strlen(qc.v[i].value);
	msg = tte_xmalloc(len + 1);
#define PUT(p, n) do { memcpy(msg + off, (p), (n)); off += (n); } while (0)
	PUT(t->app_secret, slen);
	PUT(rq->path, strlen(rq->path));
	for (i = 0; i < qc.n; i++) {
		PUT(qc.v[i].key, strlen(qc.v[i].key));
		PUT(qc.v[i].value, strlen(qc.v[i].value));
	}
	if (!multipart)
		PUT(rq->body, rq->body_len);
	PUT(t->app_secret, slen);
#undef PUT
	HMAC(EVP_sha256(), t->app_secret, (int)slen, (const unsigned char *)msg, off,
	     mac, &maclen);
	for (k = 0; k < maclen && k < 32; k++)
		snprintf(out + 2 * k, 3, "%02x", mac[k]);
	out[64] = '\0';
	free(msg);
	free(qc.v);
}

/* ---- tokens ---------------------------------------------------------------------------------- */

static char *new_token_string(struct tte *t, const char *prefix)
{
	unsigned char r[12];
	char hex[25];
	size_t i;

	if (RAND_bytes(r, sizeof(r)) != 1)
		memset(r, 0, sizeof(r));
	for (i = 0; i < sizeof(r); i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	return tte_asprintf("%s%llu_%s", prefix, ++t->token_seq, hex);
}

/* GET /api/v2/token/refresh?app_key&app_secret&refresh_token&grant_type=refresh_token
 * (unsigned). A new pair each time; the used refresh token stops working
 * at once; the previous access token stays valid until its own expiry. */
static void token_refresh(struct tte *t, const struct emu_request *rq,
			  struct emu_response *rs)
{
	const char *key = emu_query_arg(rq, "app_key");
	const char *secret = emu_query_arg(rq, "app_secret");
	const char *rt = emu_query_arg(rq, "refresh_token");
	const char *grant = emu_query_arg(rq, "grant_type");
	int64_t now = tte_now(t);
	struct tte_token *old = NULL, nt;
	json_t *data;
	size_t i;

	if (key == NULL || strcmp(key, t->app_key) != 0) {
		tte_err(t, rs, 400, 36009004, "Invalid app_key. Please check the app_key parameter.");
		return;
	}
	if (secret == NULL || strcmp(secret, t->app_secret) != 0) {
		tte_err(t, rs, 400, 36009004, "Invalid app_secret. Please check the app_secret parameter.");
		return;
	}
	if (grant == NULL || strcmp(grant, "refresh_token") != 0) {
		tte_err(t, rs, 400, 36009004, "Invalid grant_type. It must be refresh_token.");
		return;
	}
	for (i = 0; rt && i < t->ntokens; i++)
		if (strcmp(t->tokens[i].refresh, rt) == 0)
			old = &t->tokens[i];
	if (old == NULL || old->refresh_used) {
		tte_err(t, rs, 401, 36004005, "can not find related auth record");
		return;
	}
	if (now >= old->refresh_exp) {
		tte_err(t, rs, 401, 36004001, "rt has expired");
		return;
	}
	old->refresh_used = 1;
	memset(&nt, 0, sizeof(nt));
	nt.access = new_token_string(t, "TTP_emu_access_");
	nt.refresh = new_token_string(t, "TTP_emu_refresh_");
	nt.access_exp = now + t->token_lifetime;
	nt.refresh_exp = now + t->refresh_lifetime;
	nt.ciphers = json_incref(old->ciphers);
	if (t->ntokens == t->cap_tokens) {
		t->cap_tokens = t->cap_tokens ? t->cap_tokens * 2 : 8;
		t->tokens = tte_xrealloc(t->tokens, t->cap_tokens * sizeof(*t->tokens));
	}
	t->tokens[t->ntokens++] = nt;
	if (t->emu)
		emu_mark_executed(t->emu);
	data = json_pack("{s:s,s:I,s:s,s:I,s:s,s:s,s:s,s:i,s:[s,s]}",
			 "access_token", nt.access,
			 "access_token_expire_in", (json_int_t)nt.access_exp,
			 "refresh_token", nt.refresh,
			 "refresh_token_expire_in", (json_int_t)nt.refresh_exp,
			 "open_id", "7010736057180325637",
			 "seller_name", t->shops[0].name,
			 "seller_base_region", t->shops[0].region,
			 "user_type", 0,
			 "granted_scopes", "seller.order.info", "seller.fulfillment.basic");
	{
		json_t *env = json_object();

		json_object_set_new(env, "code", json_integer(0));
		json_object_set_new(env, "message", json_string("success"));
		json_object_set_new(env, "request_id", request_id(t));
		json_object_set_new(env, "data", data);
		emu_respond_json(rs, 200, env);
	}
}

/* ---- routing and the gateway ------------------------------------------------------------------ */

enum cipher_rule { CIPHER_REFUSED, CIPHER_REQUIRED, CIPHER_OPTIONAL };

struct route {
	const char *method;
	const char *pattern;	/* "{}" = one path segment (an id) */
	enum cipher_rule cipher;
	long param_code;	/* code for malformed parameters */
	void (*fn)(struct tte *, const struct tte_call *, struct emu_response *);
};

static const struct route routes[] = {
	{ "GET", "/authorization/202309/shops", CIPHER_REFUSED, 36009004, tte_get_shops },
	{ "POST", "/order/202309/orders/search", CIPHER_REQUIRED, 36009004, tte_search_orders },
	{ "GET", "/order/202309/orders", CIPHER_REQUIRED, 36009004, tte_get_orders },
	{ "GET", "/logistics/202309/delivery_options/{}/shipping_providers", CIPHER_REQUIRED,
	  36009004, tte_get_providers },
	{ "POST", "/fulfillment/202309/orders/{}/packages", CIPHER_REQUIRED, 21001001, tte_ship },
	{ "POST", "/fulfillment/202309/orders/{}/shipping_info/update", CIPHER_REQUIRED,
	  21001001, tte_update_order_shipping },
	{ "POST", "/fulfillment/202309/packages/{}/shipping_info/update", CIPHER_REQUIRED,
	  21001001, tte_update_package_shipping },
	{ "GET", "/fulfillment/202309/packages/{}", CIPHER_OPTIONAL, 21001001, tte_get_package },
	{ "GET", "/fulfillment/202309/orders/{}/tracking", CIPHER_REQUIRED, 21001001,
	  tte_get_tracking },
};

/* Does path fit pattern? The {} segment is copied to id (if non-NULL). */
static int path_fits(const char *pattern, const char *path, char *id, size_t idsz)
{
	const char *p = pattern, *s = path;

	while (*p && *s) {
		if (p[0] == '{' && p[1] == '}') {
			size_t n = strcspn(s, "/");

			if (n == 0 || n >= idsz)
				return 0;
			if (id) {
				memcpy(id, s, n);
				id[n] = '\0';
			}
			s += n;
			p += 2;
		} else if (*p == *s) {
			p++;
			s++;
		} else {
			return 0;
		}
	}
	return *p == '\0' && *s == '\0';
}

static int digits_only(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static int media_type_is_json(const char *ct)
{
	size_t n;

	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	n = strcspn(ct, "; ");
	return n == 16 && strncasecmp(ct, "application/json", 16) == 0;
}

static void handle(void *ctx, struct emu *emu, const struct emu_request *rq,
		   struct emu_response *rs)
{
	struct tte *t = ctx;
	const struct route *r = NULL;
	struct tte_call call;
	char id[128], sign[65];
	const char *key, *ts, *sg, *tok, *cipher;
	int path_known = 0;
	int64_t now, tsv;
	size_t i;
	char *end;

	t->emu = emu;
	t->n_requests++;
	memset(&call, 0, sizeof(call));
	call.rq = rq;
	now = tte_now(t);

	if (strcmp(rq->path, "/api/v2/token/refresh") == 0) {
		if (strcmp(rq->method, "GET") != 0)
			tte_err(t, rs, 405, 36009010, "Invalid method. Please use GET.");
		else
			token_refresh(t, rq, rs);
		return;
	}
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!path_fits(routes[i].pattern, rq->path, id, sizeof(id)))
			continue;
		path_known = 1;
		if (strcmp(routes[i].method, rq->method) == 0) {
			r = &routes[i];
			break;
		}
	}
	if (r == NULL && !path_known) {
		tte_err(t, rs, 404, 36009009, "Invalid path. Please check the request path %s.",
			rq->path);
		return;
	}
	if (r == NULL) {
		tte_err(t, rs, 405, 36009010, "Invalid method %s for path %s.", rq->method,
			rq->path);
		return;
	}
	call.id = strstr(r->pattern, "{}") ? id : NULL;

	/* app_key, then sign and timestamp present, timestamp window, sign. */
	key = emu_query_arg(rq, "app_key");
	if (key == NULL || strcmp(key, t->app_key) != 0) {
		tte_err(t, rs, 400, 36009004,
			"Invalid app_key. Please check the app_key parameter.");
		return;
	}
	sg = emu_query_arg(rq, "sign");
	if (sg == NULL || *sg == '\0') {
		tte_err(t, rs, 400, 36009004, "Missing sign. The sign parameter is required.");
		return;
	}
	ts = emu_query_arg(rq, "timestamp");
	if (ts == NULL || !digits_only(ts)) {
		tte_err(t, rs, 400, 36009004,
			"Invalid timestamp. The timestamp parameter must be a Unix timestamp in seconds.");
		return;
	}
	errno = 0;
	tsv = (int64_t)strtoll(ts, &end, 10);
	if (errno != 0 || tsv < now - TTE_TS_PAST || tsv > now + TTE_TS_FUTURE) {
		tte_err(t, rs, 400, 36009004,
			"Invalid timestamp. The timestamp %s is more than 5 minutes old or "
			"more than 30 seconds ahead of the server time %lld.", ts, (long long)now);
		return;
	}
	expected_sign(t, rq, sign);
	if (strcmp(sg, sign) != 0) {
		tte_err(t, rs, 401, 106001,
			"Invalid signature. Please check the sign generation algorithm.");
		return;
	}
	if (!media_type_is_json(emu_header(rq, "Content-Type"))) {
		tte_err(t, rs, 400, 36009022,
			"Invalid content-type. The content-type must be application/json.");
		return;
	}
	tok = emu_header(rq, "x-tts-access-token");
	if (tok == NULL || *tok == '\0') {
		tte_err(t, rs, 400, 36009004,
			"Invalid credentials. The x-tts-access-token header is missing.");
		return;
	}
	call.token = token_by_access(t, tok);
	if (call.token == NULL) {
		tte_err(t, rs, 400, 36009004,
			"Invalid credentials. The x-tts-access-token header is invalid.");
		return;
	}
	if (now >= call.token->access_exp) {
		tte_err(t, rs, 401, 105002,
			"Expired credentials. The `x-tts-access-token` header has expired.");
		return;
	}
	cipher = emu_query_arg(rq, "shop_cipher");
	if (r->cipher == CIPHER_REFUSED && cipher != NULL) {
		tte_err(t, rs, 400, 36009004,
			"Unexpected identifier shop_cipher. This API does not accept shop_cipher.");
		return;
	}
	if (r->cipher == CIPHER_REQUIRED && (cipher == NULL || *cipher == '\0')) {
		tte_err(t, rs, 400, 106013, "The shop_cipher is missing.");
		return;
	}
	if (cipher != NULL && r->cipher != CIPHER_REFUSED) {
		if (tte_shop_by_cipher(t, cipher) == NULL) {
			tte_err(t, rs, 400, 36009004,
				"Invalid shop_cipher. The shop_cipher %s is unexpected.", cipher);
			return;
		}
		if (!token_has_shop(call.token, cipher)) {
			tte_err(t, rs, 400, 101000,
				"The x-tts-access-token is not authorized for this shop_cipher.");
			return;
		}
		call.shop = cipher;
	} else if (r->cipher == CIPHER_OPTIONAL) {
		/* no cipher: the token's first shop */
		call.shop = json_string_value(json_array_get(call.token->ciphers, 0));
	}
	if (call.shop == NULL)
		call.shop = "";
	if (rate_take(t, r->pattern, call.shop[0] ? call.shop : call.token->access) != 0) {
		tte_err(t, rs, 429, 36009002,
			"Too many requests. The rate limit of %d requests per second for this "
			"API has been exceeded.", t->rate_qps);
		return;
	}
	if (strcmp(rq->method, "POST") == 0 && rq->body_len > 0) {
		json_error_t jerr;

		call.body = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &jerr);
		if (call.body == NULL || !json_is_object(call.body)) {
			tte_err(t, rs, 400, r->param_code,
				"Invalid parameters. The request body is not a JSON object: %s",
				call.body ? "wrong JSON type" : jerr.text);
			json_decref(call.body);
			return;
		}
	}
	r->fn(t, &call, rs);
	json_decref(call.body);
}

/* ---- control hooks -------------------------------------------------------------------------------- */

static char *fault_body(void *ctx, int status)
{
	struct tte *t = ctx;
	json_t *env = json_object();
	char *s;

	json_object_set_new(env, "code", json_integer(status == 429 ? 36009002 : 36009003));
	json_object_set_new(env, "message", json_string(status == 429 ?
		"Too many requests. Please retry later." :
		"Internal error. Please try again. If the issue persists after multiple "
		"attempts, please contact platform support."));
	json_object_set_new(env, "request_id", request_id(t));
	json_object_set_new(env, "data", json_null());
	s = json_dumps(env, JSON_COMPACT);
	json_decref(env);
	return s;
}

static void too_large(void *ctx, struct emu_response *rs)
{
	tte_err(ctx, rs, 413, 36009021,
		"The request body is too large (limit %d bytes).", EMU_MAX_BODY);
}

static int config(void *ctx, struct emu *emu, json_t *cfg, char **error)
{
	struct tte *t = ctx;
	const char *k;
	json_t *v;

	t->emu = emu;
	json_object_foreach(cfg, k, v) {
		if (strcmp(k, "rate_limit_qps") == 0 || strcmp(k, "token_lifetime") == 0 ||
		    strcmp(k, "refresh_token_lifetime") == 0 || strcmp(k, "latency_ms") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < (k[0] == 'l' ? 0 : 1) ||
			    (k[0] == 'r' && k[1] == 'a' && json_integer_value(v) > 10000000)) {
				*error = tte_asprintf("%s must be a positive integer", k);
				return -1;
			}
		} else {
			*error = tte_asprintf("unknown setting '%s' (rate_limit_qps, token_lifetime, "
					      "refresh_token_lifetime, latency_ms)", k);
			return -1;
		}
	}
	if ((v = json_object_get(cfg, "rate_limit_qps")) != NULL) {
		t->rate_qps = (int)json_integer_value(v);
		t->nbuckets = 0;	/* fresh buckets at the new rate */
		json_object_clear(t->buckets);
	}
	if ((v = json_object_get(cfg, "token_lifetime")) != NULL)
		t->token_lifetime = json_integer_value(v);
	if ((v = json_object_get(cfg, "refresh_token_lifetime")) != NULL)
		t->refresh_lifetime = json_integer_value(v);
	return 0;
}

static json_t *dump_state(void *ctx, struct emu *emu)
{
	struct tte *t = ctx;

	t->emu = emu;
	return tte_dump(t);
}

static json_t *event(void *ctx, struct emu *emu, json_t *ev, char **error)
{
	struct tte *t = ctx;

	t->emu = emu;
	return tte_event(t, ev, error);
}

/* ---- teardown ----------------------------------------------------------------------------------------- */

static void tte_free(struct tte *t)
{
	size_t i;

	for (i = 0; i < t->nshops; i++) {
		free(t->shops[i].id);
		free(t->shops[i].name);
		free(t->shops[i].region);
		free(t->shops[i].seller_type);
		free(t->shops[i].cipher);
		free(t->shops[i].code);
	}
	free(t->shops);
	for (i = 0; i < t->ntokens; i++) {
		free(t->tokens[i].access);
		free(t->tokens[i].refresh);
		json_decref(t->tokens[i].ciphers);
	}
	free(t->tokens);
	for (i = 0; i < t->nproviders; i++) {
		free(t->providers[i].id);
		free(t->providers[i].name);
		free(t->providers[i].regex_src);
		free(t->providers[i].example);
		if (t->providers[i].has_re)
			regfree(&t->providers[i].re);
	}
	free(t->providers);
	for (i = 0; i < t->noptions; i++) {
		free(t->options[i].id);
		free(t->options[i].name);
		json_decref(t->options[i].provider_ids);
	}
	free(t->options);
	for (i = 0; i < t->norders; i++) {
		json_decref(t->orders[i]->o);
		json_decref(t->orders[i]->history);
		free(t->orders[i]->id);
		free(t->orders[i]->shop);
		free(t->orders[i]);
	}
	free(t->orders);
	for (i = 0; i < t->npackages; i++) {
		struct tte_package *p = t->packages[i];

		free(p->id);
		free(p->order_id);
		free(p->shop);
		json_decref(p->line_ids);
		free(p->tracking);
		free(p->provider_id);
		free(p->provider_name);
		free(p);
	}
	free(t->packages);
	json_decref(t->order_index);
	json_decref(t->package_index);
	json_decref(t->buckets);
	free(t->bucket_arr);
	free(t->app_key);
	free(t->app_secret);
}

/* ---- main ----------------------------------------------------------------------------------------------- */

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: tiktok-emu --data FILE [options]\n"
		"A local twin of the TikTok Shop Open API (202309 paths) for tests and demos.\n"
		"  --data FILE       the fixture (shops, app, tokens, providers, delivery options,\n"
		"                    orders); format in tests/emulator/README.md\n"
		"%s"
		"Platform paths: GET /authorization/202309/shops, POST /order/202309/orders/search,\n"
		"GET /order/202309/orders?ids=, GET /logistics/202309/delivery_options/{id}/shipping_providers,\n"
		"POST /fulfillment/202309/orders/{id}/packages, POST .../orders/{id}/shipping_info/update,\n"
		"POST /fulfillment/202309/packages/{id}/shipping_info/update, GET /fulfillment/202309/packages/{id},\n"
		"GET /fulfillment/202309/orders/{id}/tracking, GET /api/v2/token/refresh.\n",
		emu_common_usage());
}

int main(int argc, char **argv)
{
	struct emu_opts o;
	struct emu_platform p;
	struct tte t;
	const char *data = NULL;
	char *error = NULL;
	int64_t initial_clock = 0;
	int i, rc, ret = 2;

	memset(&o, 0, sizeof(o));
	memset(&t, 0, sizeof(t));
	t.order_index = json_object();
	t.package_index = json_object();
	t.buckets = json_object();
	for (i = 1; i < argc; i++) {
		rc = emu_parse_common_arg(&o, argc, argv, &i);
		if (rc < 0)
			goto cleanup;
		if (rc > 0)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			ret = 0;
			goto cleanup;
		} else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
			data = argv[++i];
		} else if (strncmp(argv[i], "--data=", 7) == 0) {
			data = argv[i] + 7;
		} else {
			fprintf(stderr, "tiktok-emu: unknown argument '%s'\n", argv[i]);
			usage(stderr);
			goto cleanup;
		}
	}
	if (data == NULL) {
		fprintf(stderr, "tiktok-emu: --data FILE is required\n");
		usage(stderr);
		goto cleanup;
	}
	if (load_fixture(&t, data, &initial_clock, &error) != 0) {
		fprintf(stderr, "tiktok-emu: %s\n", error);
		ret = 1;
		goto cleanup;
	}
	memset(&p, 0, sizeof(p));
	p.name = "tiktok";
	p.ctx = &t;
	p.handle = handle;
	p.dump_state = dump_state;
	p.event = event;
	p.config = config;
	p.fault_body = fault_body;
	p.too_large = too_large;
	ret = emu_serve(&o, &p, initial_clock) == 0 ? 0 : 1;
cleanup:
	free(error);
	tte_free(&t);
	return ret;
}

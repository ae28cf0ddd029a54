/*
 * check_tiktok.c - the TikTok client: the signature vectors of
 * ../shared/research/tiktok-shop-api.md §2, the requests it builds (exact
 * URLs, headers, bodies and signatures, through http.c's transport seam),
 * order parsing (the research example and TikTok's official sample),
 * exact money, bad orders failing alone, the classification of TikTok's
 * answers, the token refresh, secrets kept out of errors and logs, and the
 * official reference's verdict (tiktok-spec-check) on every request kind.
 */
#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "http.h"
#include "state.h"
#include "tiktok.h"

#define NOW 1700000000

/* ---- signature vectors (§2) --------------------------------------------- */

static void sign_ok(const char *secret, const char *path,
		    const struct tt_param *p, size_t n, const char *body,
		    const char *want)
{
	char out[65];

	ck_assert_int_eq(tiktok_sign(secret, path, p, n, body,
				     body ? strlen(body) : 0, out), 0);
	ck_assert_str_eq(out, want);
}

START_TEST(test_sign_official_example)
{
	const struct tt_param p[] = { { "timestamp", "1623812664" },
				      { "app_key", "29a39d" } };

	sign_ok("e59af819cc", "/authorization/202309/shops", p, 2, NULL,
		"b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8");
}
END_TEST

START_TEST(test_sign_skit_get_put)
{
	const struct tt_param p[] = {
		{ "shop_cipher", "ROW_xkMbgAAAeVAQra0eZWebFQq5aIK" },
		{ "app_key", "68xu9ks5p4i8" },
		{ "timestamp", "1696909648" },
	};
	char swapped[65];
	const char *other = "{\"address\":\"https://partner.tiktokshop.com\",\"event_type\":\"PACKAGE_UPDATE\"}";

	sign_ok("e59af819cc", "/event/202309/webhooks", p, 3, NULL,
		"ed58e1b5e59865c22a7b828c1cab65007441f43cc91a6cb2f2cdc638e0995a37");
	sign_ok("e59af819cc", "/event/202309/webhooks", p, 3,
		"{\"event_type\":\"PACKAGE_UPDATE\",\"address\":\"https://partner.tiktokshop.com\"}",
		"701dd6deb2389fe4c469b89bd37fc56f96a6da6afeb4d01c9077a65169752fa7");
	/* The same body with its keys in the other order: other bytes. */
	ck_assert_int_eq(tiktok_sign("e59af819cc", "/event/202309/webhooks", p, 3,
				     other, strlen(other), swapped), 0);
	ck_assert_str_ne(swapped,
			 "701dd6deb2389fe4c469b89bd37fc56f96a6da6afeb4d01c9077a65169752fa7");
}
END_TEST

static const char *V1_BODY =
	"{\"order_line_item_ids\":[\"577086512123755123\",\"577086512123755124\"],"
	"\"tracking_number\":\"1Z999AA10123456784\","
	"\"shipping_provider_id\":\"7117858858072016686\"}";
#define V1_SIGN "2916c402e8eac1df48655ad7fb63b41ade972004415d9192a8bceada1be4fda3"
#define V2_SIGN "f6d880d8570b93213fa3328a73e68fe16b7a49aa88b879f80d470c1997559345"
#define V3_SIGN "d0c42ce02494a6e5d96c525672522dd8e3b774c85b8f130a31bd219ce480ee8a"

START_TEST(test_sign_our_vectors)
{
	/* Unsorted, with sign and access_token that must be left out. */
	const struct tt_param v1[] = {
		{ "timestamp", "1700000000" }, { "sign", "ignored" },
		{ "shop_cipher", "ROW_TestCipher123" },
		{ "access_token", "TTP_never_signed" },
		{ "app_key", "test_app_key_123" },
	};
	const struct tt_param v2[] = {
		{ "ids", "576461413038785752,576461413038785753" },
		{ "app_key", "test_app_key_123" },
		{ "shop_cipher", "ROW_TestCipher123" },
		{ "timestamp", "1700000000" },
	};
	const struct tt_param v3[] = {
		{ "sort_order", "ASC" }, { "page_token", "aB+c/D==" },
		{ "app_key", "test_app_key_123" }, { "page_size", "50" },
		{ "shop_cipher", "ROW_TestCipher123" },
		{ "sort_field", "update_time" }, { "timestamp", "1700000000" },
	};

	ck_assert_uint_eq(strlen(V1_BODY), 151);
	sign_ok("test_secret_abc", "/fulfillment/202309/orders/576461413038785752/packages",
		v1, 5, V1_BODY, V1_SIGN);
	sign_ok("test_secret_abc", "/order/202309/orders", v2, 4, NULL, V2_SIGN);
	sign_ok("test_secret_abc", "/order/202309/orders/search", v3, 7,
		"{\"update_time_ge\":1699990000,\"update_time_lt\":1700000000}", V3_SIGN);
}
END_TEST

START_TEST(test_sign_negative_controls)
{
	const struct tt_param v1[] = {
		{ "app_key", "test_app_key_123" },
		{ "shop_cipher", "ROW_TestCipher123" },
		{ "timestamp", "1700000000" },
	};
	char out[65];

	ck_assert_int_eq(tiktok_sign("test_secret_abc",
				     "/fulfillment/202309/orders/576461413038785752/packages",
				     v1, 3, V1_BODY, strlen(V1_BODY), out), 0);
	ck_assert_str_eq(out, V1_SIGN);
	ck_assert_str_ne(out, "2916C402E8EAC1DF48655AD7FB63B41ADE972004415D9192A8BCEADA1BE4FDA3");
	ck_assert_str_ne(out, "1153d87afcddfd04c35c389ef6252dcef2b7892126e2c73eea709e8fb606134d");
	ck_assert_str_ne(out, "bbc212c4ac91bb32d74dde059a11c3c1d9a4a436394fd7174b46a14f524079d6");
	/* Without the body (pre-202309 SDKs) it is another signature. */
	ck_assert_int_eq(tiktok_sign("test_secret_abc",
				     "/fulfillment/202309/orders/576461413038785752/packages",
				     v1, 3, NULL, 0, out), 0);
	ck_assert_str_ne(out, V1_SIGN);
}
END_TEST

/* ---- a fake TikTok behind the transport seam ----------------------------- */

#define MAXREQ 64

struct seen {
	char method[8];
	char *url, *body;
	char *headers;		/* joined with '\n' */
};

struct canned {
	const char *path;	/* request path (no query) it answers; NULL = any */
	int rc;			/* 0 = HTTP answer; -1 = transport failure */
	long status;
	const char *body;
	int curl_code, sent;
	int used;
	int times;		/* how many requests it answers; 0 = 1 */
};

static struct {
	struct seen req[MAXREQ];
	int n;
	struct canned *script;
	size_t nscript;
	int64_t vnow;
} fake;

static void fake_reset(struct canned *script, size_t n)
{
	int i;

	for (i = 0; i < fake.n; i++) {
		free(fake.req[i].url);
		free(fake.req[i].body);
		free(fake.req[i].headers);
	}
	memset(&fake.req, 0, sizeof(fake.req));
	fake.n = 0;
	fake.script = script;
	fake.nscript = n;
}

static char *url_path(const char *url)
{
	const char *p = strstr(url, "://");
	const char *q;

	p = p ? strchr(p + 3, '/') : NULL;
	if (p == NULL)
		return strdup("/");
	q = strchr(p, '?');
	return q ? strndup(p, (size_t)(q - p)) : strdup(p);
}

static int fake_transport(const struct http_req *req, struct http_resp *out,
			  void *arg)
{
	struct seen *s;
	struct canned *c = NULL;
	char *path = url_path(req->url);
	size_t i, hl = 0;

	(void)arg;
	ck_assert_int_lt(fake.n, MAXREQ);
	s = &fake.req[fake.n++];
	snprintf(s->method, sizeof(s->method), "%s", req->method);
	s->url = strdup(req->url);
	s->body = req->body ? strndup(req->body, req->body_len) : NULL;
	for (i = 0; i < req->nheaders; i++)
		hl += strlen(req->headers[i]) + 1;
	s->headers = calloc(1, hl + 1);
	for (i = 0; i < req->nheaders; i++) {
		strcat(s->headers, req->headers[i]);
		strcat(s->headers, "\n");
	}
	for (i = 0; i < fake.nscript; i++) {
		struct canned *k = &fake.script[i];

		if (k->used >= (k->times ? k->times : 1))
			continue;
		if (k->path && strcmp(k->path, path) != 0)
			continue;
		c = k;
		break;
	}
	free(path);
	if (c == NULL) {
		out->status = 599;
		out->body = strdup("{\"code\":1,\"message\":\"no canned answer\",\"request_id\":\"x\"}");
		out->len = strlen(out->body);
		return 0;
	}
	c->used++;
	if (c->rc != 0) {
		out->curl_code = c->curl_code;
		out->sent = c->sent;
		snprintf(out->curl_error, sizeof(out->curl_error), "%s",
			 curl_easy_strerror((CURLcode)c->curl_code));
		return -1;
	}
	out->status = c->status;
	if (c->body) {
		out->body = strdup(c->body);
		out->len = strlen(c->body);
	}
	return 0;
}

static int64_t vnow(void *arg)
{
	(void)arg;
	return fake.vnow;
}

static void vsleep(int64_t ms, void *arg)
{
	(void)arg;
	fake.vnow += ms;
}

/* Query value of `key` in a URL, percent-decoded (NULL if absent). */
static char *query_get(const char *url, const char *key, int raw)
{
	const char *q = strchr(url, '?');
	size_t kl = strlen(key);
	char *out = NULL;

	while (q && *q) {
		q++;
		if (strncmp(q, key, kl) == 0 && q[kl] == '=') {
			const char *v = q + kl + 1;
			size_t n = strcspn(v, "&");
			int dl = 0;
			char *d;

			if (raw)
				return strndup(v, n);
			d = curl_easy_unescape(NULL, v, (int)n, &dl);
			out = strndup(d, (size_t)dl);
			curl_free(d);
			return out;
		}
		q = strchr(q, '&');
	}
	return NULL;
}

static struct config cfg;
static struct http *H;
static struct tiktok *T;

static void setup(void)
{
	struct http_opts o;
	struct err e;

	ck_assert_int_eq(setenv("TTSYNC_NOW", "1700000000", 1), 0);
	ck_assert_int_eq(clock_init_from_env(&e), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = "test.yaml";
	cfg.tt_app_key = "test_app_key_123";
	cfg.tt_app_secret = "test_secret_abc";
	cfg.tt_shop_cipher = "ROW_TestCipher123";
	cfg.tt_api_base = "https://open-api.test/";
	cfg.tt_auth_base = "https://auth.test";
	cfg.tt_access_token = "TTP_access_old_0001";
	cfg.tt_refresh_token = "TTP_refresh_old_0001";
	cfg.tt_access_expire = NOW + 7 * 86400;
	cfg.tt_qps = 45;
	cfg.token_refresh_margin = 3600;
	memset(&o, 0, sizeof(o));
	o.max_attempts = 4;
	o.base_backoff_ms = 100;
	o.max_backoff_ms = 1000;
	ck_assert_int_eq(http_new(&o, &H, &e), 0);
	http_set_transport(H, fake_transport, NULL);
	fake.vnow = 0;
	http_set_clock(H, vnow, NULL);
	clock_set_sleeper(vsleep, NULL);
	ck_assert_int_eq(tiktok_new(&cfg, H, &T, &e), 0);
	fake_reset(NULL, 0);
}

static void teardown(void)
{
	tiktok_free(T);
	http_free(H);
	fake_reset(NULL, 0);
	clock_set_sleeper(NULL, NULL);
	T = NULL;
	H = NULL;
}

/* Async results captured by the callbacks below. */
struct got {
	int calls;
	enum http_outcome oc;
	long code;
	struct err err;
	char *message;
	size_t norders, nbad;
	char *first_id, *bad_id;
	struct err bad_err;
	char *package_id, *warning;
	size_t nproviders;
	char *provider_name;
};

static void got_free(struct got *g)
{
	free(g->message);
	free(g->first_id);
	free(g->bad_id);
	free(g->package_id);
	free(g->warning);
	free(g->provider_name);
	memset(g, 0, sizeof(*g));
}

static void got_result(struct got *g, const struct tt_result *r)
{
	g->calls++;
	g->oc = r->oc;
	g->code = r->code;
	g->err = r->err;
	free(g->message);
	g->message = r->message ? strdup(r->message) : NULL;
}

static void on_orders(void *arg, struct tt_result *r, struct tt_order_page *p)
{
	struct got *g = arg;

	got_result(g, r);
	if (p == NULL)
		return;
	g->norders = p->n;
	g->nbad = p->nbad;
	if (p->n)
		g->first_id = strdup(p->orders[0].id);
	if (p->nbad) {
		g->bad_id = p->bad[0].id ? strdup(p->bad[0].id) : NULL;
		g->bad_err = p->bad[0].err;
	}
}

static void on_ship(void *arg, struct tt_result *r, struct tt_ship_result *s)
{
	struct got *g = arg;

	got_result(g, r);
	if (s) {
		g->package_id = strdup(s->package_id);
		g->warning = s->warning ? strdup(s->warning) : NULL;
	}
}

static void on_simple(void *arg, struct tt_result *r)
{
	got_result(arg, r);
}

static void on_providers(void *arg, struct tt_result *r, struct tt_provider_list *l)
{
	struct got *g = arg;

	got_result(g, r);
	if (l) {
		g->nproviders = l->n;
		if (l->n)
			g->provider_name = strdup(l->v[0].name);
	}
}

static void run_all(void)
{
	struct err e;

	ck_assert_int_eq(http_run(H, &e), 0);
}

/* ---- requests as built ---------------------------------------------------- */

START_TEST(test_search_request_page_token)
{
	struct canned script[] = {
		{ "/order/202309/orders/search", 0, 200,
		  "{\"code\":0,\"message\":\"Success\",\"request_id\":\"r\",\"data\":"
		  "{\"total_count\":0,\"next_page_token\":\"\",\"orders\":[]}}", 0, 0, 0, 0 },
	};
	struct tt_search q = { .by_update = 1, .ge = 1699990000, .lt = 1700000000,
			       .page_token = "aB+c/D==", .page_size = 50 };
	struct tt_order_page page;
	struct err e;
	char *v;

	fake_reset(script, 1);
	ck_assert_int_eq(tiktok_ops.search_orders(T, &q, &page, &e), 0);
	ck_assert_int_eq(fake.n, 1);
	ck_assert_str_eq(fake.req[0].method, "POST");
	ck_assert_ptr_nonnull(strstr(fake.req[0].url,
				     "https://open-api.test/order/202309/orders/search?"));
	/* sent percent-encoded ... */
	v = query_get(fake.req[0].url, "page_token", 1);
	ck_assert_str_eq(v, "aB%2Bc%2FD%3D%3D");
	free(v);
	/* ... signed decoded: the research's V3 signature */
	v = query_get(fake.req[0].url, "sign", 0);
	ck_assert_str_eq(v, V3_SIGN);
	free(v);
	v = query_get(fake.req[0].url, "shop_cipher", 0);
	ck_assert_str_eq(v, "ROW_TestCipher123");
	free(v);
	ck_assert_ptr_null(query_get(fake.req[0].url, "access_token", 0));
	ck_assert_str_eq(fake.req[0].body,
			 "{\"update_time_ge\":1699990000,\"update_time_lt\":1700000000}");
	ck_assert_ptr_nonnull(strstr(fake.req[0].headers, "content-type: application/json\n"));
	ck_assert_ptr_nonnull(strstr(fake.req[0].headers,
				     "x-tts-access-token: TTP_access_old_0001\n"));
	ck_assert_uint_eq(page.n, 0);
	tt_order_page_free(&page);
}
END_TEST

START_TEST(test_get_orders_request)
{
	struct canned script[] = {
		{ "/order/202309/orders", 0, 200,
		  "{\"code\":0,\"message\":\"Success\",\"request_id\":\"r\",\"data\":{\"orders\":[]}}",
		  0, 0, 0, 0 },
	};
	char *ids[] = { "576461413038785752", "576461413038785753" };
	struct got g = { 0 };
	struct err e;
	char *v;

	fake_reset(script, 1);
	ck_assert_int_eq(tiktok_ops.get_orders(T, ids, 2, on_orders, &g, &e), 0);
	run_all();
	ck_assert_int_eq(g.calls, 1);
	ck_assert_int_eq(g.oc, HTTP_OUTCOME_OK);
	ck_assert_str_eq(fake.req[0].method, "GET");
	ck_assert_ptr_null(fake.req[0].body);
	v = query_get(fake.req[0].url, "ids", 1);
	ck_assert_str_eq(v, "576461413038785752%2C576461413038785753");
	free(v);
	v = query_get(fake.req[0].url, "sign", 0);
	ck_assert_str_eq(v, V2_SIGN);
	free(v);
	/* GET carries content-type too (§1) */
	ck_assert_ptr_nonnull(strstr(fake.req[0].headers, "content-type: application/json\n"));
	got_free(&g);
}
END_TEST

START_TEST(test_ship_request_body_and_sign)
{
	struct canned script[] = {
		{ NULL, 0, 200,
		  "{\"code\":0,\"message\":\"Success\",\"request_id\":\"r\",\"data\":"
		  "{\"order_id\":\"576461413038785752\",\"order_line_item_ids\":"
		  "[\"577086512123755123\",\"577086512123755124\"],\"package_id\":\"1153\","
		  "\"warning\":{\"message\":\"match more than one provider\"}}}", 0, 0, 0, 0 },
	};
	char *lines[] = { "577086512123755123", "577086512123755124" };
	struct got g = { 0 };
	struct err e;
	char *v;

	fake_reset(script, 1);
	ck_assert_int_eq(tiktok_ops.ship_package(T, "576461413038785752", lines, 2,
						 "1Z999AA10123456784", "7117858858072016686",
						 on_ship, &g, &e), 0);
	run_all();
	ck_assert_str_eq(fake.req[0].body, V1_BODY);
	ck_assert_ptr_nonnull(strstr(fake.req[0].url,
		"/fulfillment/202309/orders/576461413038785752/packages?"));
	v = query_get(fake.req[0].url, "sign", 0);
	ck_assert_str_eq(v, V1_SIGN);
	free(v);
	ck_assert_int_eq(g.oc, HTTP_OUTCOME_OK);
	ck_assert_int_eq(g.err.cls, ERR_NONE);
	ck_assert_str_eq(g.package_id, "1153");
	ck_assert_str_eq(g.warning, "match more than one provider");
	got_free(&g);
}
END_TEST

START_TEST(test_shops_request_has_no_cipher)
{
	struct canned script[] = {
		{ "/authorization/202309/shops", 0, 200,
		  "{\"code\":0,\"message\":\"Success\",\"request_id\":\"r\",\"data\":{\"shops\":["
		  "{\"id\":\"1\",\"name\":\"Other\",\"region\":\"GB\",\"cipher\":\"GCP_other\",\"code\":\"A\"},"
		  "{\"id\":\"7494049642642441621\",\"name\":\"Demo Shop\",\"region\":\"US\","
		  "\"seller_type\":\"LOCAL\",\"cipher\":\"ROW_TestCipher123\",\"code\":\"USDEMO01\"}]}}",
		  0, 0, 0, 0 },
	};
	struct tt_shop shop;
	struct err e;

	fake_reset(script, 1);
	ck_assert_int_eq(tiktok_ops.get_shop(T, &shop, &e), 0);
	ck_assert_ptr_null(query_get(fake.req[0].url, "shop_cipher", 0));
	ck_assert_str_eq(fake.req[0].method, "GET");
	ck_assert_str_eq(shop.id, "7494049642642441621");
	ck_assert_str_eq(shop.region, "US");
	ck_assert_str_eq(shop.cipher, "ROW_TestCipher123");
	ck_assert_str_eq(shop.code, "USDEMO01");
	tt_shop_free(&shop);
}
END_TEST

START_TEST(test_shop_cipher_not_offered)
{
	struct canned script[] = {
		{ NULL, 0, 200,
		  "{\"code\":0,\"message\":\"Success\",\"request_id\":\"r\",\"data\":{\"shops\":["
		  "{\"id\":\"1\",\"name\":\"Other\",\"region\":\"GB\",\"cipher\":\"GCP_other\"}]}}",
		  0, 0, 0, 0 },
	};
	struct tt_shop shop;
	struct err e;

	fake_reset(script, 1);
	ck_assert_int_eq(tiktok_ops.get_shop(T, &shop, &e), -1);
	ck_assert_int_eq(e.cls, ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(e.msg, "ROW_TestCipher123"));
	ck_assert_ptr_nonnull(strstr(e.msg, "GCP_other"));
}
END_TEST

START_TEST(test_providers_and_update_requests)
{
	struct canned script[] = {
		{ "/logistics/202309/delivery_options/7091146663229654785/shipping_providers", 0, 200,
		  "{\"code\":0,\"message\":\"Success\",\"request_id\":\"r\",\"data\":"
		  "{\"shipping_providers\":[{\"id\":\"7117858858072016686\",\"name\":\"USPS\"}]}}",
		  0, 0, 0, 0 },
		{ "/fulfillment/202309/packages/1153132168123859123/shipping_info/update", 0, 200,
		  "{\"code\":0,\"message\":\"Success\",\"request_id\":\"r\",\"data\":{}}", 0, 0, 0, 0 },
	};
	struct got g = { 0 }, u = { 0 };
	struct err e;

	fake_reset(script, 2);
	ck_assert_int_eq(tiktok_ops.get_providers(T, "7091146663229654785", on_providers,
						  &g, &e), 0);
	ck_assert_int_eq(tiktok_ops.update_package_shipping(T, "1153132168123859123",
							    "9400111899223197428490",
							    "7117858858072016686",
							    on_simple, &u, &e), 0);
	run_all();
	ck_assert_int_eq(g.oc, HTTP_OUTCOME_OK);
	ck_assert_uint_eq(g.nproviders, 1);
	ck_assert_str_eq(g.provider_name, "USPS");
	ck_assert_int_eq(u.oc, HTTP_OUTCOME_OK);
	ck_assert_int_eq(u.err.cls, ERR_NONE);
	ck_assert_str_eq(fake.req[1].body,
			 "{\"tracking_number\":\"9400111899223197428490\","
			 "\"shipping_provider_id\":\"7117858858072016686\"}");
	/* An id that could escape the path is refused before any request. */
	ck_assert_int_eq(tiktok_ops.get_providers(T, "../../x", on_providers, &g, &e), -1);
	ck_assert_int_eq(fake.n, 2);
	got_free(&g);
	got_free(&u);
}
END_TEST

/* ---- orders ---------------------------------------------------------------- */

static const char *RESEARCH_ORDER =
"{\"id\": \"579000000000000001\", \"status\": \"AWAITING_SHIPMENT\","
" \"fulfillment_type\": \"FULFILLMENT_BY_SELLER\", \"shipping_type\": \"SELLER\","
" \"delivery_option_id\": \"7091146663229654785\", \"delivery_option_name\": \"Standard Shipping\","
" \"create_time\": 1763600000, \"paid_time\": 1763600060, \"update_time\": 1763603700,"
" \"buyer_message\": \"Leave at door\", \"buyer_email\": \"relay123@relay.example\","
" \"is_sample_order\": false, \"is_on_hold_order\": true, \"user_id\": \"7021436810468230477\","
" \"warehouse_id\": \"7000714532876273410\", \"packages\": [],"
" \"payment\": {\"currency\": \"USD\", \"original_total_product_price\": \"40.00\", \"seller_discount\": \"4.00\","
"   \"platform_discount\": \"2.00\", \"sub_total\": \"34.00\", \"original_shipping_fee\": \"5.99\","
"   \"shipping_fee_seller_discount\": \"0\", \"shipping_fee_platform_discount\": \"5.99\","
"   \"shipping_fee_cofunded_discount\": \"0\", \"shipping_fee\": \"0.00\", \"product_tax\": \"2.81\","
"   \"shipping_fee_tax\": \"0\", \"tax\": \"2.81\", \"retail_delivery_fee\": \"0\", \"total_amount\": \"36.81\"},"
" \"recipient_address\": {\"name\": \"Jane Doe\", \"first_name\": \"Jane\", \"last_name\": \"Doe\","
"   \"phone_number\": \"(+1)5551234567\", \"address_line1\": \"1 Main St\", \"address_line2\": \"Apt 2\","
"   \"address_line3\": \"\", \"address_line4\": \"\", \"postal_code\": \"95110\", \"region_code\": \"US\","
"   \"full_address\": \"1 Main St, Apt 2, San Jose, Santa Clara, California, 95110\","
"   \"district_info\": ["
"     {\"address_level\": \"L0\", \"address_level_name\": \"Country\", \"address_name\": \"United States\"},"
"     {\"address_level\": \"L1\", \"address_level_name\": \"State\", \"address_name\": \"California\"},"
"     {\"address_level\": \"L2\", \"address_level_name\": \"County\", \"address_name\": \"Santa Clara\"},"
"     {\"address_level\": \"L3\", \"address_level_name\": \"City\", \"address_name\": \"San Jose\"}]},"
" \"line_items\": ["
"   {\"id\": \"577000000000000011\", \"sku_id\": \"1729000000000000001\", \"product_id\": \"1729000000000000000\","
"    \"seller_sku\": \"TEE-RED-M\", \"product_name\": \"Tee\", \"sku_name\": \"Red, M\", \"currency\": \"USD\","
"    \"original_price\": \"20.00\", \"sale_price\": \"17.00\", \"seller_discount\": \"2.00\", \"platform_discount\": \"1.00\","
"    \"display_status\": \"AWAITING_SHIPMENT\", \"is_gift\": false, \"package_id\": \"\", \"tracking_number\": \"\"},"
"   {\"id\": \"577000000000000012\", \"sku_id\": \"1729000000000000001\", \"product_id\": \"1729000000000000000\","
"    \"seller_sku\": \"TEE-RED-M\", \"product_name\": \"Tee\", \"sku_name\": \"Red, M\", \"currency\": \"USD\","
"    \"original_price\": \"20.00\", \"sale_price\": \"17.00\", \"seller_discount\": \"2.00\", \"platform_discount\": \"1.00\","
"    \"display_status\": \"AWAITING_SHIPMENT\", \"is_gift\": false, \"package_id\": \"\", \"tracking_number\": \"\"},"
"   {\"id\": \"577000000000000013\", \"sku_id\": \"1729000000000000002\", \"product_id\": \"1729000000000000005\","
"    \"seller_sku\": \"STICKER\", \"product_name\": \"Sticker\", \"sku_name\": \"Default\", \"currency\": \"USD\","
"    \"original_price\": \"0.00\", \"sale_price\": \"0.00\", \"seller_discount\": \"0\", \"platform_discount\": \"0\","
"    \"display_status\": \"AWAITING_SHIPMENT\", \"is_gift\": true, \"gift_retail_price\": \"3.00\"}]"
"}";

START_TEST(test_parse_research_example)
{
	struct tt_order o;
	struct err e;

	ck_assert_int_eq(tiktok_order_from_json(RESEARCH_ORDER, &o, &e), 0);
	ck_assert_str_eq(o.id, "579000000000000001");
	ck_assert_int_eq(o.status, TT_AWAITING_SHIPMENT);
	ck_assert_str_eq(o.status_str, "AWAITING_SHIPMENT");
	ck_assert_str_eq(o.fulfillment_type, "FULFILLMENT_BY_SELLER");
	ck_assert_str_eq(o.shipping_type, "SELLER");
	ck_assert_str_eq(o.delivery_option_id, "7091146663229654785");
	ck_assert_str_eq(o.delivery_option_name, "Standard Shipping");
	ck_assert_str_eq(o.buyer_message, "Leave at door");
	ck_assert_str_eq(o.buyer_email, "relay123@relay.example");
	ck_assert_str_eq(o.user_id, "7021436810468230477");
	ck_assert_int_eq(o.is_on_hold_order, 1);
	ck_assert_int_eq(o.is_sample_order, 0);
	ck_assert_int_eq(o.create_time, 1763600000);
	ck_assert_int_eq(o.paid_time, 1763600060);
	ck_assert_int_eq(o.update_time, 1763603700);
	/* money, exactly, in cents */
	ck_assert_str_eq(o.payment.currency, "USD");
	ck_assert_int_eq(o.payment.exp, 2);
	ck_assert_int_eq(o.payment.original_total_product_price, 4000);
	ck_assert_int_eq(o.payment.seller_discount, 400);
	ck_assert_int_eq(o.payment.platform_discount, 200);
	ck_assert_int_eq(o.payment.sub_total, 3400);
	ck_assert_int_eq(o.payment.original_shipping_fee, 599);
	ck_assert_int_eq(o.payment.shipping_fee_platform_discount, 599);
	ck_assert_int_eq(o.payment.shipping_fee, 0);
	ck_assert_int_eq(o.payment.product_tax, 281);
	ck_assert_int_eq(o.payment.tax, 281);
	ck_assert_int_eq(o.payment.total_amount, 3681);
	ck_assert_int_eq(o.payment.sub_total + o.payment.shipping_fee + o.payment.tax +
			 o.payment.retail_delivery_fee, o.payment.total_amount);
	/* address and district_info */
	ck_assert_str_eq(o.addr.name, "Jane Doe");
	ck_assert_str_eq(o.addr.first_name, "Jane");
	ck_assert_str_eq(o.addr.phone, "(+1)5551234567");
	ck_assert_str_eq(o.addr.line1, "1 Main St");
	ck_assert_str_eq(o.addr.line2, "Apt 2");
	ck_assert_str_eq(o.addr.line3, "");
	ck_assert_str_eq(o.addr.postal_code, "95110");
	ck_assert_str_eq(o.addr.region_code, "US");
	ck_assert_str_eq(o.addr.country, "United States");
	ck_assert_str_eq(o.addr.state, "California");
	ck_assert_str_eq(o.addr.county, "Santa Clara");
	ck_assert_str_eq(o.addr.city, "San Jose");
	/* lines: one per unit */
	ck_assert_uint_eq(o.nlines, 3);
	ck_assert_str_eq(o.lines[0].id, "577000000000000011");
	ck_assert_str_eq(o.lines[1].id, "577000000000000012");
	ck_assert_str_eq(o.lines[0].seller_sku, "TEE-RED-M");
	ck_assert_str_eq(o.lines[0].sku_name, "Red, M");
	ck_assert_int_eq(o.lines[0].original_price, 2000);
	ck_assert_int_eq(o.lines[0].sale_price, 1700);
	ck_assert_int_eq(o.lines[0].seller_discount, 200);
	ck_assert_int_eq(o.lines[0].platform_discount, 100);
	ck_assert_int_eq(o.lines[0].has_tax, 0);
	ck_assert_int_eq(o.lines[0].is_gift, 0);
	ck_assert_str_eq(o.lines[0].package_id, "");
	ck_assert_int_eq(o.lines[2].is_gift, 1);
	ck_assert_int_eq(o.lines[2].gift_retail_price, 300);
	ck_assert_int_eq(o.lines[2].sale_price, 0);
	ck_assert_uint_eq(o.npackages, 0);
	tt_order_free(&o);
}
END_TEST

static char *spec_sample(const char *file, const char *field)
{
	char path[1024];
	const char *shared = getenv("TTSYNC_SHARED");
	json_t *root, *m, *v;
	char *out;

	snprintf(path, sizeof(path), "%s/platform-specs/tiktok/%s",
		 shared ? shared : "../shared", file);
	root = json_load_file(path, 0, NULL);
	ck_assert_msg(root != NULL, "cannot read %s (set TTSYNC_SHARED)", path);
	m = json_object_get(root, "document_api_meta");
	v = json_object_get(m, field);
	ck_assert(json_is_string(v));
	out = strdup(json_string_value(v));
	json_decref(root);
	return out;
}

START_TEST(test_parse_official_sample_page)
{
	char *sample = spec_sample("get-order-list.spec.json", "response_body");
	struct canned script[] = { { NULL, 0, 200, sample, 0, 0, 0, 0 } };
	struct tt_search q = { .by_update = 0, .ge = 1619611000, .lt = 1619612000,
			       .page_size = 100 };
	struct tt_order_page page;
	struct tt_order *o, again;
	struct err e;

	fake_reset(script, 1);
	ck_assert_int_eq(tiktok_ops.search_orders(T, &q, &page, &e), 0);
	ck_assert_uint_eq(page.n, 1);
	ck_assert_uint_eq(page.nbad, 0);
	ck_assert_int_eq(page.total_count, 22113);
	ck_assert_str_eq(page.next_page_token,
			 "6AsPQsUMvH3RkchNUPPh22NROHkE0D8pmq/N5M1kHYcZmtRyv9aVrNv65W7Q6tFA+7D1ud64MPNz5OaT");
	o = &page.orders[0];
	ck_assert_str_eq(o->id, "576461413038785752");
	ck_assert_int_eq(o->status, TT_UNPAID);
	ck_assert_str_eq(o->shipping_type, "TIKTOK");
	ck_assert_str_eq(o->payment.currency, "IDR");
	ck_assert_int_eq(o->payment.sub_total, 500000);
	ck_assert_int_eq(o->payment.product_tax, 2130);		/* "21.3" */
	ck_assert_int_eq(o->payment.retail_delivery_fee, 128);	/* "1.28" */
	ck_assert_int_eq(o->payment.shipping_fee_tax, 1100);
	ck_assert_int_eq(o->payment.item_insurance_tax, 1000);
	ck_assert_int_eq(o->payment.handling_fee, 100000);
	ck_assert_str_eq(o->tracking_number, "JX12345");
	ck_assert_str_eq(o->shipping_provider, "TT Virtual express");
	ck_assert_str_eq(o->shipping_provider_id, "6617675021119438849");
	ck_assert_str_eq(o->cancellation_initiator, "SELLER");
	ck_assert_str_eq(o->seller_note, "seller note");
	ck_assert_int_eq(o->cancel_time, 1678389618);
	ck_assert_int_eq(o->collection_time, 1678389618);
	ck_assert_int_eq(o->delivery_time, 1678389618);
	ck_assert_int_eq(o->rts_time, 1619611563);
	ck_assert_uint_eq(o->npackages, 1);
	ck_assert_str_eq(o->package_ids[0], "1152321127278713123");
	ck_assert_str_eq(o->addr.country, "United Kingdom");
	ck_assert_ptr_null(o->addr.state);
	ck_assert_str_eq(o->addr.line3, " ");
	ck_assert_uint_eq(o->nlines, 1);
	ck_assert_int_eq(o->lines[0].sale_price, 1);		/* "0.01" */
	ck_assert_int_eq(o->lines[0].has_tax, 1);
	ck_assert_int_eq(o->lines[0].tax, 2120);			/* "21.2" */
	ck_assert_str_eq(o->lines[0].tax_rate, "0.35");
	ck_assert_int_eq(o->lines[0].gift_retail_price, 2000);
	ck_assert_str_eq(o->lines[0].cancel_user, "BUYER");
	ck_assert_str_eq(o->lines[0].package_status, "TO_FULFILL");
	ck_assert_int_eq(o->lines[0].rts_time, 1678389618);
	/* The snapshot kept is the order as received and parses the same. */
	ck_assert_int_eq(tiktok_order_from_json(page.raw[0], &again, &e), 0);
	ck_assert_str_eq(again.id, o->id);
	ck_assert_int_eq(again.payment.product_tax, 2130);
	tt_order_free(&again);
	tt_order_page_free(&page);
	free(sample);
}
END_TEST

START_TEST(test_official_detail_sample)
{
	char *sample = spec_sample("get-order-detail.spec.json", "response_body");
	struct canned script[] = { { NULL, 0, 200, sample, 0, 0, 0, 0 } };
	char *ids[] = { "576461413038785752" };
	struct got g = { 0 };
	struct err e;

	fake_reset(script, 1);
	ck_assert_int_eq(tiktok_ops.get_orders(T, ids, 1, on_orders, &g, &e), 0);
	run_all();
	ck_assert_int_eq(g.oc, HTTP_OUTCOME_OK);
	ck_assert_int_eq(g.err.cls, ERR_NONE);
	ck_assert_uint_eq(g.norders, 1);
	ck_assert_uint_eq(g.nbad, 0);
	ck_assert_str_eq(g.first_id, "576461413038785752");
	got_free(&g);
	free(sample);
}
END_TEST

static char *order_with(const char *from, const char *to)
{
	const char *p = strstr(RESEARCH_ORDER, from);
	size_t n = strlen(RESEARCH_ORDER) - strlen(from) + strlen(to) + 1;
	char *out = malloc(n);

	ck_assert_ptr_nonnull(p);
	snprintf(out, n, "%.*s%s%s", (int)(p - RESEARCH_ORDER), RESEARCH_ORDER, to,
		 p + strlen(from));
	return out;
}

static void bad_order(const char *from, const char *to, const char *field,
		      const char *value)
{
	char *json = order_with(from, to);
	struct tt_order o;
	struct err e;

	err_clear(&e);
	ck_assert_int_eq(tiktok_order_from_json(json, &o, &e), -1);
	ck_assert_int_eq(e.cls, ERR_DATA);
	ck_assert_msg(strstr(e.msg, field) != NULL, "'%s' not in '%s'", field, e.msg);
	ck_assert_msg(strstr(e.msg, value) != NULL, "'%s' not in '%s'", value, e.msg);
	ck_assert_msg(strstr(e.msg, "579000000000000001") != NULL, "no order id in '%s'", e.msg);
	ck_assert_ptr_null(o.id);	/* nothing half-parsed is left */
	free(json);
}

START_TEST(test_bad_values_name_field_and_value)
{
	/* the first "sale_price" is line 0's */
	bad_order("\"sale_price\": \"17.00\"", "\"sale_price\": \"1.2.3\"",
		  "line_items[0].sale_price", "1.2.3");
	bad_order("\"total_amount\": \"36.81\"", "\"total_amount\": \"36.815\"",
		  "payment.total_amount", "36.815");
	bad_order("\"tax\": \"2.81\"", "\"tax\": 2.81", "payment.tax", "2.81");
	bad_order("\"gift_retail_price\": \"3.00\"", "\"gift_retail_price\": \"three\"",
		  "line_items[2].gift_retail_price", "three");
	bad_order("\"paid_time\": 1763600060", "\"paid_time\": \"yesterday\"",
		  "paid_time", "yesterday");
	bad_order("\"is_gift\": true", "\"is_gift\": \"yes\"", "line_items[2].is_gift", "yes");
	bad_order("\"currency\": \"USD\", \"original_total", "\"currency\": \"XYZ\", \"original_total",
		  "payment.currency", "XYZ");
	bad_order("\"id\": \"577000000000000013\"", "\"id\": 577000000000000013",
		  "line_items[2].id", "577000000000000013");
}
END_TEST

START_TEST(test_missing_id_and_not_json)
{
	struct tt_order o;
	struct err e;

	ck_assert_int_eq(tiktok_order_from_json("{\"status\":\"UNPAID\"}", &o, &e), -1);
	ck_assert_int_eq(e.cls, ERR_DATA);
	ck_assert_ptr_nonnull(strstr(e.msg, "id: missing"));
	ck_assert_int_eq(tiktok_order_from_json("{\"id\":\"1\",", &o, &e), -1);
	ck_assert_int_eq(e.cls, ERR_DATA);
	ck_assert_int_eq(tiktok_order_from_json("{\"id\":\"1\",\"status\":\"UNPAID\"}", &o, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "create_time"));
}
END_TEST

START_TEST(test_district_by_level)
{
	char *json = order_with(
		"\"district_info\": [",
		"\"district_info\": [{\"address_level\": \"L1\", \"address_name\": \"Texas\"},"
		"{\"address_level\": \"L3\", \"address_name\": \"Austin\"},"
		"{\"address_level\": \"L2\", \"address_name\": \"Travis\"}],\"unused\": [");
	struct tt_order o;
	struct err e;

	ck_assert_int_eq(tiktok_order_from_json(json, &o, &e), 0);
	ck_assert_str_eq(o.addr.state, "Texas");
	ck_assert_str_eq(o.addr.county, "Travis");
	ck_assert_str_eq(o.addr.city, "Austin");
	tt_order_free(&o);
	free(json);
}
END_TEST

START_TEST(test_page_with_one_bad_order)
{
	char *bad = order_with("\"sale_price\": \"0.00\"", "\"sale_price\": \"0.0.0\"");
	char *good2 = order_with("579000000000000001", "579000000000000002");
	char *body = NULL;
	struct canned script[1];
	struct tt_search q = { .by_update = 1, .ge = 1, .lt = 2, .page_size = 100 };
	struct tt_order_page page;
	struct err e;
	char *p;

	/* make the bad one's id distinct */
	p = strstr(bad, "579000000000000001");
	memcpy(p, "579000000000000099", 18);
	ck_assert_int_ge(asprintf(&body, "{\"code\":0,\"message\":\"Success\",\"request_id\":\"r\","
				  "\"data\":{\"total_count\":3,\"orders\":[%s,%s,%s]}}",
				  RESEARCH_ORDER, bad, good2), 0);
	memset(script, 0, sizeof(script));
	script[0] = (struct canned){ NULL, 0, 200, body, 0, 0, 0, 0 };
	fake_reset(script, 1);
	ck_assert_int_eq(tiktok_ops.search_orders(T, &q, &page, &e), 0);
	ck_assert_uint_eq(page.n, 2);
	ck_assert_str_eq(page.orders[0].id, "579000000000000001");
	ck_assert_str_eq(page.orders[1].id, "579000000000000002");
	ck_assert_uint_eq(page.nbad, 1);
	ck_assert_str_eq(page.bad[0].id, "579000000000000099");
	ck_assert_int_eq(page.bad[0].err.cls, ERR_DATA);
	ck_assert_ptr_nonnull(strstr(page.bad[0].err.msg, "line_items[2].sale_price"));
	ck_assert_ptr_nonnull(strstr(page.bad[0].err.msg, "0.0.0"));
	ck_assert_ptr_nonnull(strstr(page.bad[0].raw, "0.0.0"));
	ck_assert_ptr_null(page.next_page_token);	/* absent: the end */
	tt_order_page_free(&page);
	free(body);
	free(bad);
	free(good2);
}
END_TEST

START_TEST(test_order_url)
{
	char *u = tiktok_order_url(&cfg, "576543219876543210");

	ck_assert_str_eq(u, "https://seller-us.tiktok.com/order/detail?order_no=576543219876543210");
	free(u);
}
END_TEST

/* ---- classification of answers (§3) -------------------------------------- */

struct klass {
	const char *name;
	struct canned first;	/* the answer to the first attempt */
	/* expected, for a read (get order detail) and a write (ship) */
	enum http_outcome read_oc;
	int read_calls;
	enum http_outcome write_oc;
	int write_calls;
	enum err_class write_cls;
	const char *write_code;
};

#define ENV(c, m) "{\"code\":" #c ",\"message\":\"" m "\",\"request_id\":\"rq\",\"data\":null}"

static const char *DETAIL_OK =
	"{\"code\":0,\"message\":\"Success\",\"request_id\":\"r\",\"data\":{\"orders\":[]}}";
static const char *SHIP_OK =
	"{\"code\":0,\"message\":\"Success\",\"request_id\":\"r\",\"data\":{\"package_id\":\"99\"}}";

START_TEST(test_classification_table)
{
	static const struct klass table[] = {
		{ "429 36009002 (throttled, not executed)",
		  { NULL, 0, 429, ENV(36009002, "Too many requests"), 0, 0, 0, 0 },
		  HTTP_OUTCOME_OK, 2, HTTP_OUTCOME_OK, 2, ERR_NONE, "" },
		{ "200 36009002",
		  { NULL, 0, 200, ENV(36009002, "Too many requests"), 0, 0, 0, 0 },
		  HTTP_OUTCOME_OK, 2, HTTP_OUTCOME_OK, 2, ERR_NONE, "" },
		{ "200 36009003 (internal error)",
		  { NULL, 0, 200, ENV(36009003, "Internal error"), 0, 0, 0, 0 },
		  HTTP_OUTCOME_OK, 2, HTTP_OUTCOME_UNKNOWN, 1, ERR_UNKNOWN_OUTCOME, "OUTCOME_UNKNOWN" },
		{ "504 36009007 (timeout)",
		  { NULL, 0, 504, ENV(36009007, "Request timeout"), 0, 0, 0, 0 },
		  HTTP_OUTCOME_OK, 2, HTTP_OUTCOME_UNKNOWN, 1, ERR_UNKNOWN_OUTCOME, "OUTCOME_UNKNOWN" },
		{ "500 not JSON",
		  { NULL, 0, 500, "<html>oops</html>", 0, 0, 0, 0 },
		  HTTP_OUTCOME_OK, 2, HTTP_OUTCOME_UNKNOWN, 1, ERR_UNKNOWN_OUTCOME, "OUTCOME_UNKNOWN" },
		{ "200 truncated JSON",
		  { NULL, 0, 200, "{\"code\":0,\"message\":\"Succ", 0, 0, 0, 0 },
		  HTTP_OUTCOME_OK, 2, HTTP_OUTCOME_UNKNOWN, 1, ERR_UNKNOWN_OUTCOME, "OUTCOME_UNKNOWN" },
		{ "dropped after sending",
		  { NULL, -1, 0, NULL, CURLE_GOT_NOTHING, 1, 0, 0 },
		  HTTP_OUTCOME_OK, 2, HTTP_OUTCOME_UNKNOWN, 1, ERR_UNKNOWN_OUTCOME, "OUTCOME_UNKNOWN" },
		{ "connection refused",
		  { NULL, -1, 0, NULL, CURLE_COULDNT_CONNECT, 0, 0, 0 },
		  HTTP_OUTCOME_OK, 2, HTTP_OUTCOME_OK, 2, ERR_NONE, "" },
		{ "401 106001 (bad sign)",
		  { NULL, 0, 401, ENV(106001, "Invalid sign"), 0, 0, 0, 0 },
		  HTTP_OUTCOME_FAILED, 1, HTTP_OUTCOME_FAILED, 1, ERR_AUTH, "TT_106001" },
		{ "400 36009004 (credentials)",
		  { NULL, 0, 400, ENV(36009004, "Invalid credentials"), 0, 0, 0, 0 },
		  HTTP_OUTCOME_FAILED, 1, HTTP_OUTCOME_FAILED, 1, ERR_AUTH, "TT_36009004" },
		{ "200 105005 (scope)",
		  { NULL, 0, 200, ENV(105005, "scope not granted"), 0, 0, 0, 0 },
		  HTTP_OUTCOME_FAILED, 1, HTTP_OUTCOME_FAILED, 1, ERR_AUTH, "TT_105005" },
		{ "200 21011006 (already shipped)",
		  { NULL, 0, 200, ENV(21011006, "These orders are already shipped."), 0, 0, 0, 0 },
		  HTTP_OUTCOME_FAILED, 1, HTTP_OUTCOME_FAILED, 1, ERR_PLATFORM, "TT_21011006" },
		{ "404 not JSON",
		  { NULL, 0, 404, "not found", 0, 0, 0, 0 },
		  HTTP_OUTCOME_FAILED, 1, HTTP_OUTCOME_FAILED, 1, ERR_PLATFORM, "TT_HTTP_404" },
	};
	char *ids[] = { "576461413038785752" };
	char *lines[] = { "577086512123755123" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(table); i++) {
		const struct klass *k = &table[i];
		struct canned script[2];
		struct got r = { 0 }, w = { 0 };
		struct err e;

		/* read */
		script[0] = k->first;
		script[1] = (struct canned){ NULL, 0, 200, DETAIL_OK, 0, 0, 0, 0 };
		fake_reset(script, 2);
		ck_assert_int_eq(tiktok_ops.get_orders(T, ids, 1, on_orders, &r, &e), 0);
		run_all();
		ck_assert_msg(r.oc == k->read_oc, "%s: read outcome %d", k->name, r.oc);
		ck_assert_msg(fake.n == k->read_calls, "%s: read sent %d times", k->name, fake.n);
		/* write */
		script[0] = k->first;
		script[0].used = 0;
		script[1] = (struct canned){ NULL, 0, 200, SHIP_OK, 0, 0, 0, 0 };
		fake_reset(script, 2);
		ck_assert_int_eq(tiktok_ops.ship_package(T, "576461413038785752", lines, 1,
							 "1Z999AA10123456784", "7117858858072016686",
							 on_ship, &w, &e), 0);
		run_all();
		ck_assert_msg(w.oc == k->write_oc, "%s: write outcome %d", k->name, w.oc);
		ck_assert_msg(fake.n == k->write_calls, "%s: write sent %d times", k->name, fake.n);
		ck_assert_msg(w.err.cls == k->write_cls, "%s: class %d (%s)", k->name,
			      w.err.cls, w.err.msg);
		ck_assert_msg(strcmp(w.err.code, k->write_code) == 0, "%s: code %s", k->name,
			      w.err.code);
		if (strncmp(k->write_code, "TT_2", 4) == 0) {
			ck_assert_int_eq(w.code, 21011006);
			ck_assert_str_eq(w.message, "These orders are already shipped.");
			ck_assert_ptr_nonnull(strstr(w.err.msg, "21011006"));
		}
		got_free(&r);
		got_free(&w);
	}
}
END_TEST

START_TEST(test_read_gives_up_as_network_error)
{
	struct canned script[] = {
		{ NULL, 0, 503, ENV(36009003, "Internal error"), 0, 0, 0, 99 },
	};
	struct tt_search q = { .by_update = 1, .ge = 1, .lt = 2, .page_size = 10 };
	struct tt_order_page page;
	struct err e;

	fake_reset(script, 1);
	ck_assert_int_eq(tiktok_ops.search_orders(T, &q, &page, &e), -1);
	ck_assert_int_eq(fake.n, 4);	/* max_attempts */
	ck_assert_int_eq(e.cls, ERR_NETWORK);
	ck_assert_ptr_nonnull(strstr(e.msg, "/order/202309/orders/search"));
}
END_TEST

START_TEST(test_malformed_success_answers)
{
	struct canned script[] = {
		{ NULL, 0, 200, "{\"code\":0,\"message\":\"Success\",\"request_id\":\"r\",\"data\":{}}",
		  0, 0, 0, 0 },
		{ NULL, 0, 200, "{\"code\":0,\"message\":\"Success\",\"request_id\":\"r\",\"data\":"
		  "{\"orders\":{\"not\":\"a list\"}}}", 0, 0, 0, 0 },
	};
	char *lines[] = { "577086512123755123" };
	char *ids[] = { "576461413038785752" };
	struct got w = { 0 }, r = { 0 };
	struct err e;

	fake_reset(script, 2);
	/* a ship accepted without a package id: applied, details unknown */
	ck_assert_int_eq(tiktok_ops.ship_package(T, "576461413038785752", lines, 1, "1Z9",
						 "711", on_ship, &w, &e), 0);
	run_all();
	ck_assert_int_eq(w.oc, HTTP_OUTCOME_UNKNOWN);
	ck_assert_int_eq(w.err.cls, ERR_UNKNOWN_OUTCOME);
	ck_assert_ptr_null(w.package_id);
	/* a read whose orders are not a list: a definite failure */
	ck_assert_int_eq(tiktok_ops.get_orders(T, ids, 1, on_orders, &r, &e), 0);
	run_all();
	ck_assert_int_eq(r.oc, HTTP_OUTCOME_FAILED);
	ck_assert_int_eq(r.err.cls, ERR_DATA);
	ck_assert_uint_eq(r.norders, 0);
	got_free(&w);
	got_free(&r);
}
END_TEST

/* ---- tokens (§4) ------------------------------------------------------------ */

static const char *REFRESH_OK =
	"{\"code\":0,\"message\":\"success\",\"request_id\":\"rt\",\"data\":{"
	"\"access_token\":\"TTP_access_new_0002\",\"access_token_expire_in\":1700604800,"
	"\"refresh_token\":\"TTP_refresh_new_0002\",\"refresh_token_expire_in\":1731536000,"
	"\"open_id\":\"7010736057180325637\",\"seller_name\":\"Test Seller\","
	"\"seller_base_region\":\"US\",\"user_type\":0}}";

START_TEST(test_no_refresh_outside_margin)
{
	struct tt_token tok = { "TTP_access_old_0001", NOW + 3600 + 60,
				"TTP_refresh_old_0001", NOW + 86400 * 300 };
	struct err e;

	fake_reset(NULL, 0);
	tiktok_set_token(T, &tok);
	ck_assert_int_eq(tiktok_ops.ensure_token(T, NULL, &e), 0);
	ck_assert_int_eq(fake.n, 0);
}
END_TEST

START_TEST(test_refresh_within_margin)
{
	struct canned script[] = {
		{ "/api/v2/token/refresh", 0, 200, REFRESH_OK, 0, 0, 0, 0 },
		{ "/order/202309/orders", 0, 200, DETAIL_OK, 0, 0, 0, 0 },
	};
	struct tt_token tok = { "TTP_access_old_0001", NOW + 3600 - 1,
				"TTP_refresh_old_0001", NOW + 86400 * 300 };
	char *ids[] = { "1" };
	struct got g = { 0 };
	struct err e;
	char *v;

	fake_reset(script, 2);
	tiktok_set_token(T, &tok);
	ck_assert_int_eq(tiktok_ops.ensure_token(T, NULL, &e), 0);
	ck_assert_int_eq(fake.n, 1);
	ck_assert_str_eq(fake.req[0].method, "GET");
	ck_assert_ptr_nonnull(strstr(fake.req[0].url, "https://auth.test/api/v2/token/refresh?"));
	v = query_get(fake.req[0].url, "app_key", 0);
	ck_assert_str_eq(v, "test_app_key_123");
	free(v);
	v = query_get(fake.req[0].url, "app_secret", 0);
	ck_assert_str_eq(v, "test_secret_abc");
	free(v);
	v = query_get(fake.req[0].url, "refresh_token", 0);
	ck_assert_str_eq(v, "TTP_refresh_old_0001");
	free(v);
	v = query_get(fake.req[0].url, "grant_type", 0);
	ck_assert_str_eq(v, "refresh_token");
	free(v);
	/* the next call carries the new access token */
	ck_assert_int_eq(tiktok_ops.get_orders(T, ids, 1, on_orders, &g, &e), 0);
	run_all();
	ck_assert_ptr_nonnull(strstr(fake.req[1].headers,
				     "x-tts-access-token: TTP_access_new_0002\n"));
	got_free(&g);
}
END_TEST

START_TEST(test_refresh_refused_is_auth_error_without_secrets)
{
	struct canned script[] = {
		{ NULL, 0, 200, ENV(36004001, "rt has expired TTP_refresh_old_0001"), 0, 0, 0, 0 },
	};
	struct tt_token tok = { "TTP_access_old_0001", NOW + 10,
				"TTP_refresh_old_0001", 0 };
	struct err e;

	fake_reset(script, 1);
	tiktok_set_token(T, &tok);
	ck_assert_int_eq(tiktok_ops.ensure_token(T, NULL, &e), -1);
	ck_assert_int_eq(e.cls, ERR_AUTH);
	ck_assert_str_eq(e.code, "TT_36004001");
	ck_assert_ptr_null(strstr(e.msg, "test_secret_abc"));
	ck_assert_ptr_null(strstr(e.msg, "TTP_refresh_old_0001"));
	ck_assert_ptr_null(strstr(e.msg, "TTP_access_old_0001"));
	ck_assert_ptr_nonnull(strstr(e.msg, "36004001"));
}
END_TEST

START_TEST(test_refresh_token_expired_no_request)
{
	struct tt_token tok = { "TTP_access_old_0001", NOW - 10,
				"TTP_refresh_old_0001", NOW - 1 };
	struct err e;

	fake_reset(NULL, 0);
	tiktok_set_token(T, &tok);
	ck_assert_int_eq(tiktok_ops.ensure_token(T, NULL, &e), -1);
	ck_assert_int_eq(e.cls, ERR_AUTH);
	ck_assert_int_eq(fake.n, 0);
}
END_TEST

/* The refreshed pair lands in the state file, for the next run. */
START_TEST(test_refresh_persists_pair_in_state)
{
	struct canned script[] = {
		{ "/api/v2/token/refresh", 0, 200, REFRESH_OK, 0, 0, 0, 1 },
		{ "/order/202309/orders", 0, 401, ENV(105002, "Expired credentials."), 0, 0, 0, 1 },
		{ "/api/v2/token/refresh", 0, 200,
		  "{\"code\":0,\"message\":\"success\",\"request_id\":\"rt\",\"data\":{"
		  "\"access_token\":\"TTP_access_new_0003\",\"access_token_expire_in\":1700700000,"
		  "\"refresh_token\":\"TTP_refresh_new_0003\",\"refresh_token_expire_in\":1731536000}}",
		  0, 0, 0, 1 },
		{ "/order/202309/orders", 0, 200, DETAIL_OK, 0, 0, 0, 1 },
	};
	struct tt_token tok = { "TTP_access_old_0001", NOW + 60, "TTP_refresh_old_0001", 0 };
	struct tt_token got;
	char dir[] = "/tmp/check_tiktok_state.XXXXXX", path[128];
	char *ids[] = { "576461413038785752" };
	struct state *st = NULL;
	struct got r = { 0 };
	struct err e;
	int found = 0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state.sqlite", dir);
	ck_assert_msg(state_open(path, &st, &e) == 0, "%s", e.msg);
	fake_reset(script, 4);
	tiktok_set_token(T, &tok);
	/* near expiry: refreshed and saved */
	ck_assert_int_eq(tiktok_ops.ensure_token(T, st, &e), 0);
	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(state_token_get(st, &got, &found, &e), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_str_eq(got.access_token, "TTP_access_new_0002");
	ck_assert_str_eq(got.refresh_token, "TTP_refresh_new_0002");
	ck_assert_int_eq(got.access_expire, 1700604800);
	ck_assert_int_eq(got.refresh_expire, 1731536000);
	tt_token_free(&got);
	/* expired later in the run (105002): refreshed, saved, resent */
	ck_assert_int_eq(tiktok_ops.get_orders(T, ids, 1, on_orders, &r, &e), 0);
	run_all();
	ck_assert_int_eq(r.oc, HTTP_OUTCOME_OK);
	ck_assert_int_eq(state_token_get(st, &got, &found, &e), 0);
	ck_assert_str_eq(got.access_token, "TTP_access_new_0003");
	ck_assert_str_eq(got.refresh_token, "TTP_refresh_new_0003");
	ck_assert_int_eq(got.access_expire, 1700700000);
	tt_token_free(&got);
	/* the refresh used the pair saved by the first one */
	ck_assert_ptr_nonnull(strstr(fake.req[2].url, "refresh_token=TTP_refresh_new_0002"));
	got_free(&r);
	state_close(st);
	unlink(path);
	{
		char side[160];

		snprintf(side, sizeof(side), "%s-wal", path);
		unlink(side);
		snprintf(side, sizeof(side), "%s-shm", path);
		unlink(side);
	}
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* 105002 on two calls at once: one refresh, each resent once with the new
 * token (a write too: refused before execution). */
START_TEST(test_expired_token_refresh_once_and_resend)
{
	struct canned script[] = {
		{ "/order/202309/orders", 0, 401,
		  ENV(105002, "Expired credentials. The `x-tts-access-token` header has expired."),
		  0, 0, 0, 1 },
		{ "/fulfillment/202309/orders/576461413038785752/packages", 0, 401,
		  ENV(105002, "Expired credentials."), 0, 0, 0, 1 },
		{ "/api/v2/token/refresh", 0, 200, REFRESH_OK, 0, 0, 0, 1 },
		{ "/order/202309/orders", 0, 200, DETAIL_OK, 0, 0, 0, 1 },
		{ "/fulfillment/202309/orders/576461413038785752/packages", 0, 200, SHIP_OK,
		  0, 0, 0, 1 },
	};
	char *ids[] = { "576461413038785752" };
	char *lines[] = { "577086512123755123" };
	struct got r = { 0 }, w = { 0 };
	struct err e;
	int i, refreshes = 0;

	fake_reset(script, 5);
	ck_assert_int_eq(tiktok_ops.get_orders(T, ids, 1, on_orders, &r, &e), 0);
	ck_assert_int_eq(tiktok_ops.ship_package(T, "576461413038785752", lines, 1,
						 "1Z999AA10123456784", "7117858858072016686",
						 on_ship, &w, &e), 0);
	run_all();
	ck_assert_int_eq(r.oc, HTTP_OUTCOME_OK);
	ck_assert_int_eq(w.oc, HTTP_OUTCOME_OK);
	ck_assert_str_eq(w.package_id, "99");
	for (i = 0; i < fake.n; i++)
		if (strstr(fake.req[i].url, "/api/v2/token/refresh"))
			refreshes++;
	ck_assert_int_eq(refreshes, 1);
	ck_assert_int_eq(fake.n, 5);
	ck_assert_ptr_nonnull(strstr(fake.req[3].headers, "TTP_access_new_0002"));
	ck_assert_ptr_nonnull(strstr(fake.req[4].headers, "TTP_access_new_0002"));
	got_free(&r);
	got_free(&w);
}
END_TEST

START_TEST(test_expired_twice_is_auth_error)
{
	struct canned script[] = {
		{ "/order/202309/orders", 0, 401, ENV(105002, "Expired credentials."), 0, 0, 0, 5 },
		{ "/api/v2/token/refresh", 0, 200, REFRESH_OK, 0, 0, 0, 5 },
	};
	char *ids[] = { "576461413038785752" };
	struct got r = { 0 };
	struct err e;

	fake_reset(script, 2);
	ck_assert_int_eq(tiktok_ops.get_orders(T, ids, 1, on_orders, &r, &e), 0);
	run_all();
	ck_assert_int_eq(r.calls, 1);
	ck_assert_int_eq(r.err.cls, ERR_AUTH);
	ck_assert_int_eq(r.code, 105002);
	ck_assert_int_eq(fake.n, 3);	/* call, refresh, resend: then it stops */
	got_free(&r);
}
END_TEST

/* Nothing secret in the log lines, even at debug level with retries. */
START_TEST(test_logs_hold_no_secrets)
{
	struct canned script[] = {
		{ "/api/v2/token/refresh", 0, 503, "busy", 0, 0, 0, 1 },
		{ "/api/v2/token/refresh", 0, 200, REFRESH_OK, 0, 0, 0, 1 },
		{ "/order/202309/orders", 0, 500, "x", 0, 0, 0, 1 },
		{ "/order/202309/orders", 0, 200, DETAIL_OK, 0, 0, 0, 1 },
	};
	struct tt_token tok = { "TTP_access_old_0001", NOW + 1,
				"TTP_refresh_old_0001", 0 };
	char *ids[] = { "576461413038785752" };
	char path[] = "/tmp/check_tiktok_log.XXXXXX";
	struct got r = { 0 };
	struct err e;
	int fd, saved;
	char *text;
	FILE *f;
	long n;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	log_set_level(LOG_DEBUG);
	fake_reset(script, 4);
	tiktok_set_token(T, &tok);
	ck_assert_int_eq(tiktok_ops.ensure_token(T, NULL, &e), 0);
	ck_assert_int_eq(tiktok_ops.get_orders(T, ids, 1, on_orders, &r, &e), 0);
	run_all();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	log_set_level(LOG_WARN);
	f = fdopen(fd, "r");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	ck_assert_int_eq(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	unlink(path);
	ck_assert_msg(strstr(text, "retrying") != NULL, "no retry logged: %s", text);
	ck_assert_ptr_null(strstr(text, "test_secret_abc"));
	ck_assert_ptr_null(strstr(text, "TTP_refresh_old_0001"));
	ck_assert_ptr_null(strstr(text, "TTP_access_old_0001"));
	ck_assert_ptr_null(strstr(text, "TTP_access_new_0002"));
	ck_assert_ptr_null(strstr(text, "TTP_refresh_new_0002"));
	free(text);
	got_free(&r);
}
END_TEST

/* ---- the official reference's verdict ------------------------------------- */

/* One log line per request kind, with TikTok's own sample answers. */
START_TEST(test_requests_pass_spec_check)
{
	char *s_list = spec_sample("get-order-list.spec.json", "response_body");
	char *s_detail = spec_sample("get-order-detail.spec.json", "response_body");
	char *s_shops = spec_sample("get-authorized-shops.spec.json", "response_body");
	char *s_prov = spec_sample("get-shipping-providers.spec.json", "response_body");
	char *s_ship = spec_sample("mark-package-as-shipped.spec.json", "response_body");
	char *s_upd = spec_sample("update-package-shipping-info.spec.json", "response_body");
	struct canned script[] = {
		{ "/authorization/202309/shops", 0, 200, s_shops, 0, 0, 0, 0 },
		{ "/order/202309/orders/search", 0, 200, s_list, 0, 0, 0, 2 },
		{ "/order/202309/orders", 0, 200, s_detail, 0, 0, 0, 0 },
		{ "/logistics/202309/delivery_options/7091146663229654785/shipping_providers",
		  0, 200, s_prov, 0, 0, 0, 0 },
		{ "/fulfillment/202309/orders/576461413038785752/packages", 0, 200, s_ship,
		  0, 0, 0, 2 },
		{ "/fulfillment/202309/packages/1153132168123859123/shipping_info/update",
		  0, 200, s_upd, 0, 0, 0, 0 },
	};
	struct tt_search q1 = { .by_update = 0, .ge = 1699395200, .lt = 1700000000,
				.page_size = 100 };
	struct tt_search q2 = { .by_update = 1, .ge = 1699990000, .lt = 1700000000,
				.page_token = "6AsPQsUMvH3RkchNUPPh22NROHkE0D8pmq/N5M1kHYcZmtRyv9aVrNv65W7Q6tFA+7D1ud64MPNz5OaT",
				.page_size = 50, .order_status = "AWAITING_SHIPMENT" };
	char *ids[] = { "576461413038785752", "576461413038785753" };
	char *lines[] = { "577086512123755123", "577086512123755124" };
	struct tt_order_page page;
	struct tt_shop shop;
	struct got g[5];
	const char *logdir = getenv("TTSYNC_TEST_LOGDIR");
	char logpath[1024], cmd[2300];
	const char *shared = getenv("TTSYNC_SHARED");
	struct err e;
	FILE *f;
	int i, st;

	memset(g, 0, sizeof(g));
	fake_reset(script, ARRAY_SIZE(script));
	/* the sample's shop is not ours: refused as configuration */
	ck_assert_int_eq(tiktok_ops.get_shop(T, &shop, &e), -1);
	ck_assert_int_eq(e.cls, ERR_CONFIG);
	ck_assert_int_eq(tiktok_ops.search_orders(T, &q1, &page, &e), 0);
	tt_order_page_free(&page);
	ck_assert_int_eq(tiktok_ops.search_orders(T, &q2, &page, &e), 0);
	tt_order_page_free(&page);
	ck_assert_int_eq(tiktok_ops.get_orders(T, ids, 2, on_orders, &g[0], &e), 0);
	ck_assert_int_eq(tiktok_ops.get_providers(T, "7091146663229654785", on_providers,
						  &g[1], &e), 0);
	ck_assert_int_eq(tiktok_ops.ship_package(T, "576461413038785752", lines, 2,
						 "1Z999AA10123456784", "7117858858072016686",
						 on_ship, &g[2], &e), 0);
	ck_assert_int_eq(tiktok_ops.ship_package(T, "576461413038785752", NULL, 0,
						 "1Z999AA10123456784", "7117858858072016686",
						 on_ship, &g[3], &e), 0);
	ck_assert_int_eq(tiktok_ops.update_package_shipping(T, "1153132168123859123",
							    "9400111899223197428490",
							    "7117858858072016686",
							    on_simple, &g[4], &e), 0);
	run_all();
	for (i = 0; i < 5; i++) {
		ck_assert_msg(g[i].oc == HTTP_OUTCOME_OK && g[i].err.cls == ERR_NONE,
			      "call %d: %s", i, g[i].err.msg);
		got_free(&g[i]);
	}
	ck_assert_int_eq(fake.n, 8);

	snprintf(logpath, sizeof(logpath), "%s/tiktok-unit.log", logdir ? logdir : "/tmp");
	f = fopen(logpath, "w");
	ck_assert_ptr_nonnull(f);
	for (i = 0; i < fake.n; i++) {
		struct seen *s = &fake.req[i];
		char *path = url_path(s->url), *line;
		const char *q = strchr(s->url, '?');
		const struct canned *c;
		size_t k;
		json_t *rec;

		for (c = NULL, k = 0; k < ARRAY_SIZE(script); k++)
			if (strcmp(script[k].path, path) == 0)
				c = &script[k];
		ck_assert_ptr_nonnull(c);
		rec = json_pack("{s:s, s:s, s:s, s:s?, s:i, s:s}", "method", s->method,
				"path", path, "query", q ? q + 1 : "", "body", s->body,
				"status", 200, "response", c->body);
		ck_assert_ptr_nonnull(rec);
		line = json_dumps(rec, JSON_COMPACT);
		fprintf(f, "%s\n", line);
		free(line);
		json_decref(rec);
		free(path);
	}
	ck_assert_int_eq(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "python3 '%s/tools/tiktok-spec-check' '%s'",
		 shared ? shared : "../shared", logpath);
	st = system(cmd);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "tiktok-spec-check refused %s", logpath);
	free(s_list);
	free(s_detail);
	free(s_shops);
	free(s_prov);
	free(s_ship);
	free(s_upd);
}
END_TEST

static Suite *tiktok_suite(void)
{
	Suite *s = suite_create("tiktok");
	TCase *tc;

	tc = tcase_create("sign");
	tcase_add_test(tc, test_sign_official_example);
	tcase_add_test(tc, test_sign_skit_get_put);
	tcase_add_test(tc, test_sign_our_vectors);
	tcase_add_test(tc, test_sign_negative_controls);
	suite_add_tcase(s, tc);

	tc = tcase_create("requests");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_search_request_page_token);
	tcase_add_test(tc, test_get_orders_request);
	tcase_add_test(tc, test_ship_request_body_and_sign);
	tcase_add_test(tc, test_shops_request_has_no_cipher);
	tcase_add_test(tc, test_shop_cipher_not_offered);
	tcase_add_test(tc, test_providers_and_update_requests);
	tcase_add_test(tc, test_requests_pass_spec_check);
	suite_add_tcase(s, tc);

	tc = tcase_create("orders");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_parse_research_example);
	tcase_add_test(tc, test_parse_official_sample_page);
	tcase_add_test(tc, test_official_detail_sample);
	tcase_add_test(tc, test_bad_values_name_field_and_value);
	tcase_add_test(tc, test_missing_id_and_not_json);
	tcase_add_test(tc, test_district_by_level);
	tcase_add_test(tc, test_page_with_one_bad_order);
	tcase_add_test(tc, test_order_url);
	suite_add_tcase(s, tc);

	tc = tcase_create("answers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_classification_table);
	tcase_add_test(tc, test_read_gives_up_as_network_error);
	tcase_add_test(tc, test_malformed_success_answers);
	suite_add_tcase(s, tc);

	tc = tcase_create("tokens");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_no_refresh_outside_margin);
	tcase_add_test(tc, test_refresh_within_margin);
	tcase_add_test(tc, test_refresh_refused_is_auth_error_without_secrets);
	tcase_add_test(tc, test_refresh_token_expired_no_request);
	tcase_add_test(tc, test_refresh_persists_pair_in_state);
	tcase_add_test(tc, test_expired_token_refresh_once_and_resend);
	tcase_add_test(tc, test_expired_twice_is_auth_error);
	tcase_add_test(tc, test_logs_hold_no_secrets);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tiktok_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

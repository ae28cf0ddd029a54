/*
 * bench_emu.c - how many simple requests per second each platform twin
 * answers at zero latency: a signed GET /authorization/202309/shops for
 * tiktok-emu, `query { shop { name } }` for shopify-emu, sent over 16
 * keep-alive connections with libcurl multi for a few seconds. Limits
 * that would throttle the load (TikTok's 50 requests/s, Shopify's cost
 * bucket) are raised through /_emu/config first. Prints one line per
 * emulator:
 *   bench emu tiktok: 7420 requests/s (target >= 5000)
 * Owns the emulators it starts and the temporary fixtures it writes.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define BENCH_CONNECTIONS 16	/* keep-alive connections in flight */
#define BENCH_SECONDS 3.0	/* measured run per emulator */
#define BENCH_WARMUP 0.3	/* not counted: connections being opened */
#define BENCH_TARGET 5000	/* requests/s the issue asks for */

#define TT_KEY "bench_app_key"
#define TT_SECRET "bench_app_secret"
#define TT_TOKEN "TTP_bench_token"
#define TT_CIPHER "ROW_bench_cipher"
#define SH_TOKEN "shpat_bench_token"

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct conn {
	CURL *h;
	char buf[4096];
	size_t n;
};

static size_t sink(char *p, size_t size, size_t nmemb, void *ud)
{
	struct conn *c = ud;
	size_t add = size * nmemb, room = sizeof(c->buf) - 1 - c->n;

	memcpy(c->buf + c->n, p, add < room ? add : room);
	c->n += add < room ? add : room;
	c->buf[c->n] = '\0';
	return add;
}

/* Does this answer count as a success? */
typedef int (*ok_fn)(const char *body);

static int tiktok_ok(const char *body)
{
	return strncmp(body, "{\"code\":0,", 10) == 0;
}

static int shopify_ok(const char *body)
{
	return strstr(body, "\"data\"") != NULL && strstr(body, "\"errors\"") == NULL;
}

/* Hammer url for BENCH_SECONDS; returns successes per second, -1 if any
 * answer was not a success (the rate would mean nothing). */
static double hammer(const char *url, struct curl_slist *hl, const char *body, ok_fn ok,
		     long *n_ok, long *n_bad, char *first_bad, size_t bad_sz)
{
	CURLM *m = curl_multi_init();
	struct conn c[BENCH_CONNECTIONS];
	double start = mono(), count_from = start + BENCH_WARMUP;
	double end = count_from + BENCH_SECONDS;
	int running = 0, i, active = BENCH_CONNECTIONS;

	*n_ok = *n_bad = 0;
	first_bad[0] = '\0';
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)BENCH_CONNECTIONS);
	for (i = 0; i < BENCH_CONNECTIONS; i++) {
		c[i].h = curl_easy_init();
		c[i].n = 0;
		curl_easy_setopt(c[i].h, CURLOPT_URL, url);
		curl_easy_setopt(c[i].h, CURLOPT_HTTPHEADER, hl);
		if (body) {
			curl_easy_setopt(c[i].h, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(c[i].h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
		}
		curl_easy_setopt(c[i].h, CURLOPT_WRITEFUNCTION, sink);
		curl_easy_setopt(c[i].h, CURLOPT_WRITEDATA, &c[i]);
		curl_easy_setopt(c[i].h, CURLOPT_PRIVATE, &c[i]);
		curl_easy_setopt(c[i].h, CURLOPT_TIMEOUT, 10L);
		curl_easy_setopt(c[i].h, CURLOPT_TCP_NODELAY, 1L);
		curl_multi_add_handle(m, c[i].h);
	}
	while (active > 0) {
		CURLMsg *msg;
		int left;

		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			struct conn *cc;
			long status = 0;
			double now = mono();

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&cc);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
			if (now >= count_from && now < end) {
				if (msg->data.result == CURLE_OK && status == 200 && ok(cc->buf)) {
					(*n_ok)++;
				} else {
					if ((*n_bad)++ == 0)
						snprintf(first_bad, bad_sz, "curl %d, HTTP %ld: %.200s",
							 (int)msg->data.result, status, cc->buf);
				}
			}
			curl_multi_remove_handle(m, msg->easy_handle);
			if (now < end) {
				cc->n = 0;
				cc->buf[0] = '\0';
				curl_multi_add_handle(m, msg->easy_handle);
			} else {
				active--;
			}
		}
		if (active > 0)
			curl_multi_poll(m, NULL, 0, 50, NULL);
	}
	for (i = 0; i < BENCH_CONNECTIONS; i++)
		curl_easy_cleanup(c[i].h);
	curl_multi_cleanup(m);
	return *n_bad ? -1.0 : (double)*n_ok / BENCH_SECONDS;
}

static void report(const char *kind, double rate, long n_bad, const char *first_bad)
{
	if (rate < 0)
		printf("bench emu %s: FAILED (%ld bad answers, first: %s)\n", kind, n_bad, first_bad);
	else
		printf("bench emu %s: %.0f requests/s (target >= %d)%s\n", kind, rate, BENCH_TARGET,
		       rate < BENCH_TARGET ? " BELOW TARGET" : "");
	fflush(stdout);
}

static int write_json(const char *dir, const char *name, json_t *j, char *path, size_t n)
{
	int rc;

	snprintf(path, n, "%s/%s", dir, name);
	rc = json_dump_file(j, path, JSON_COMPACT);
	json_decref(j);
	return rc;
}

static int bench_tiktok(const char *dir)
{
	struct emu_proc p;
	char path[600], url[1024], ts[32], sign[65], msg[512], bad[300];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, i;
	json_t *fx, *clock;
	struct curl_slist *hl = NULL;
	long n_ok, n_bad;
	double rate;

	fx = json_pack("{s:{s:s,s:s},s:[{s:s,s:s,s:s,s:s,s:s,s:s}],"
		       "s:[{s:s,s:I,s:s,s:I,s:[s]}],s:[],s:[],s:[]}",
		       "app", "app_key", TT_KEY, "app_secret", TT_SECRET,
		       "shops", "id", "7494049642642441621", "name", "Bench Shop", "region", "US",
		       "seller_type", "LOCAL", "cipher", TT_CIPHER, "code", "USBENCH1",
		       "tokens", "access_token", TT_TOKEN,
		       "access_token_expire_in", (json_int_t)time(NULL) + 86400,
		       "refresh_token", "TTP_bench_refresh",
		       "refresh_token_expire_in", (json_int_t)time(NULL) + 86400,
		       "shop_ciphers", TT_CIPHER,
		       "providers", "delivery_options", "orders");
	if (write_json(dir, "tiktok.json", fx, path, sizeof(path)) != 0 ||
	    harness_start_emu("tiktok", path, "bench", NULL, &p) != 0) {
		printf("bench emu tiktok: skipped (the emulator did not start)\n");
		return 1;
	}
	json_decref(harness_emu_post(&p, "/_emu/config", "{\"rate_limit_qps\": 10000000}"));
	clock = harness_emu_get(&p, "/_emu/clock");
	snprintf(ts, sizeof(ts), "%lld", (long long)json_integer_value(json_object_get(clock, "now")));
	json_decref(clock);
	/* §2: secret + path + sorted key/values + body + secret, HMAC-SHA256 */
	snprintf(msg, sizeof(msg), "%s/authorization/202309/shopsapp_key%stimestamp%s%s",
		 TT_SECRET, TT_KEY, ts, TT_SECRET);
	HMAC(EVP_sha256(), TT_SECRET, (int)strlen(TT_SECRET), (unsigned char *)msg, strlen(msg),
	     mac, &maclen);
	for (i = 0; i < maclen; i++)
		snprintf(sign + 2 * i, 3, "%02x", mac[i]);
	snprintf(url, sizeof(url), "%s/authorization/202309/shops?app_key=%s&timestamp=%s&sign=%s",
		 p.base_url, TT_KEY, ts, sign);
	hl = curl_slist_append(hl, "x-tts-access-token: " TT_TOKEN);
	hl = curl_slist_append(hl, "Content-Type: application/json");
	rate = hammer(url, hl, NULL, tiktok_ok, &n_ok, &n_bad, bad, sizeof(bad));
	curl_slist_free_all(hl);
	harness_stop_emu(&p);
	unlink(path);
	report("tiktok", rate, n_bad, bad);
	return rate < 0;
}

/* The Shopify fixture: the demo store's if present (its first access
 * token), else a minimal one written here. */
static int shopify_fixture(const char *dir, char *path, size_t n, char *token, size_t tn)
{
	char demo[600];
	json_t *j, *fx;
	json_error_t jerr;

	snprintf(demo, sizeof(demo), "%s/fixtures/demo/shopify.json", harness_top());
	j = json_load_file(demo, 0, &jerr);
	if (j != NULL && json_is_string(json_array_get(json_object_get(j, "access_tokens"), 0))) {
		snprintf(token, tn, "%s",
			 json_string_value(json_array_get(json_object_get(j, "access_tokens"), 0)));
		snprintf(path, n, "%s", demo);
		json_decref(j);
		return 0;
	}
	json_decref(j);
	snprintf(token, tn, "%s", SH_TOKEN);
	fx = json_pack("{s:{s:s,s:s,s:s},s:[s],s:[{s:s,s:s}],s:i,s:[],s:[]}",
		       "shop", "name", "Bench Store", "myshopifyDomain", "bench.myshopify.com",
		       "currencyCode", "USD", "access_tokens", SH_TOKEN,
		       "locations", "id", "gid://shopify/Location/1", "name", "Main",
		       "next_order_number", 1001, "products", "orders");
	return write_json(dir, "shopify.json", fx, path, n);
}

static int bench_shopify(const char *dir)
{
	struct emu_proc p;
	char path[600], url[1024], token[256], hdr[300], bad[300];
	struct curl_slist *hl = NULL;
	long n_ok, n_bad;
	double rate;
	const char *body = "{\"query\":\"query { shop { name } }\"}";

	if (shopify_fixture(dir, path, sizeof(path), token, sizeof(token)) != 0 ||
	    harness_start_emu("shopify", path, "bench", NULL, &p) != 0) {
		printf("bench emu shopify: skipped (the emulator did not start)\n");
		return 1;
	}
	json_decref(harness_emu_post(&p, "/_emu/config",
				     "{\"bucket_size\": 1000000000, \"restore_rate\": 1000000000}"));
	snprintf(url, sizeof(url), "%s/admin/api/2026-04/graphql.json", p.base_url);
	snprintf(hdr, sizeof(hdr), "X-Shopify-Access-Token: %s", token);
	hl = curl_slist_append(hl, hdr);
	hl = curl_slist_append(hl, "Content-Type: application/json");
	rate = hammer(url, hl, body, shopify_ok, &n_ok, &n_bad, bad, sizeof(bad));
	curl_slist_free_all(hl);
	harness_stop_emu(&p);
	report("shopify", rate, n_bad, bad);
	return rate < 0;
}

int main(void)
{
	char *dir;
	int failed = 0;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	dir = harness_mkdtemp("bench-emu");
	if (dir == NULL)
		return 1;
	failed |= bench_tiktok(dir);
	failed |= bench_shopify(dir);
	{
		char path[600];

		snprintf(path, sizeof(path), "%s/shopify.json", dir);
		unlink(path);	/* written only without the demo fixture */
	}
	rmdir(dir);
	free(dir);
	curl_global_cleanup();
	return failed;
}

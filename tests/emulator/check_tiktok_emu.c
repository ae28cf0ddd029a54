/*
 * check_tiktok_emu.c - conformance suite of the TikTok Shop emulator
 * (build/tiktok-emu): the signing vectors of tiktok-shop-api.md §2 and
 * their negative controls, the gateway (timestamp window, tokens and
 * refresh, shop_cipher), order search paging and filters, the ids limit,
 * shipping providers, Mark Package As Shipped, shipping-info updates,
 * packages and tracking, the rate limit, every scripted fault kind, the
 * clock, every platform event, bad requests, concurrency and shutdown.
 * It ends by holding the emulator's logged traffic against TikTok's
 * official reference (tiktok-spec-check).
 *
 * Each test writes its own small fixture and starts its own emulator.
 * Emulators that receive deliberately malformed requests (or answer with
 * deliberately corrupted bodies) log privately, outside
 * $TTSYNC_TEST_LOGDIR, so that the oracle judges only traffic that claims
 * to conform. Requests are signed by a small HMAC helper of this file.
 */
#include <check.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define C0 1790000000LL		/* the fixtures' clock (2026-09-21) */
#define TOKEN_LIFE (30LL * 86400)	/* fixture access tokens live 30 days */
#define APP_KEY "emu_app_key"
#define APP_SECRET "emu_app_secret"
#define CIPHER_A "ROW_shopA_cipher"
#define CIPHER_B "ROW_shopB_cipher"
#define TOKEN_A "TTP_token_A"
#define REFRESH_A "TTP_refresh_A"
#define TOKEN_B "TTP_token_B"
#define TOKEN_AB "TTP_token_AB"
#define P_USPS "7117858858072016686"
#define P_UPS "7117859084333745966"
#define P_OTHER "7254084300713232174"
#define P_FEDEX "7117858858072016687"	/* known, but in no delivery option */
#define OPT_STD "7091146663229654785"
#define OPT_TT "7091146663229654786"	/* fulfilled by TikTok */
#define TN_USPS "9400111899223197428490"
#define TN_USPS2 "9400111899223197428491"
#define TN_USPS3 "9400111899223197428492"
#define TN_UPS "1Z999AA10123456784"

/* Orders of the base fixture. */
#define O_SHIP "579000000000000001"	/* seller shipping, 3 units */
#define O_FBT "579000000000000002"
#define O_TT "579000000000000003"	/* TikTok shipping, 2 units */
#define O_UNPAID "579000000000000004"	/* goes on hold when paid */
#define O_HOLD "579000000000000005"
#define O_CANCEL "579000000000000006"
#define O_REQ "579000000000000007"	/* pending buyer cancel request */
#define O_SHIPPED "579000000000000008"	/* in transit, package PKG_FIX */
#define O_SHOPB "579000000000000009"
#define O_ONE "579000000000000010"	/* seller shipping, 1 unit */
#define O_TWO "579000000000000011"	/* seller shipping, 2 units */
#define O_OTHER_BUYER "579000000000000012"
#define PKG_FIX "1152000000000000008"

/* ---- small utilities ---------------------------------------------------------- */

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Line item ids: "577" + the order id's last 15 digits + the unit index. */
static void line_id(char *out, size_t n, const char *order_id, int idx)
{
	snprintf(out, n, "577%s%d", order_id + strlen(order_id) - 15, idx);
}

/* ---- fixtures --------------------------------------------------------------------- */

static json_t *mk_order(const char *id, const char *status, const char *ftype,
			const char *stype, int nlines, long long ctime, long long utime)
{
	json_t *lines = json_array(), *o;
	int i;
	const char *ds = strcmp(status, "UNPAID") == 0 ? "UNPAID" :
			 strcmp(status, "CANCELLED") == 0 ? "CANCELLED" : "AWAITING_SHIPMENT";

	for (i = 1; i <= nlines; i++) {
		char lid[32];

		line_id(lid, sizeof(lid), id, i);
		json_array_append_new(lines, json_pack(
			"{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b}",
			"id", lid, "sku_id", "1729000000000000001",
			"product_id", "1729000000000000000", "seller_sku", "TEE-RED-M",
			"product_name", "Tee", "sku_name", "Red, M", "currency", "USD",
			"original_price", "20.00", "sale_price", "17.00",
			"seller_discount", "2.00", "platform_discount", "1.00",
			"display_status", ds, "is_gift", 0));
	}
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:b,s:b,s:b,s:s,s:o,"
		      "s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s},"
		      "s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s,s:s},{s:s,s:s,s:s}]}}",
		      "id", id, "status", status, "fulfillment_type", ftype,
		      "shipping_type", stype, "delivery_option_id", OPT_STD,
		      "delivery_option_name", "Standard Shipping",
		      "create_time", ctime, "update_time", utime,
		      "user_id", "7021436810468230477", "buyer_message", "Leave at door",
		      "is_on_hold_order", 0, "is_buyer_request_cancel", 0,
		      "is_sample_order", 0, "warehouse_id", "7000714532876273410",
		      "packages", json_array(),
		      "payment", "currency", "USD", "sub_total", "34.00", "shipping_fee", "0.00",
		      "seller_discount", "4.00", "platform_discount", "2.00",
		      "total_amount", "36.81", "tax", "2.81",
		      "recipient_address", "name", "Jane Doe", "first_name", "Jane",
		      "last_name", "Doe", "phone_number", "(+1)5551234567",
		      "full_address", "1 Main St, San Jose, California, 95110",
		      "postal_code", "95110", "region_code", "US", "district_info",
		      "address_level", "L0", "address_level_name", "Country",
		      "address_name", "United States",
		      "address_level", "L1", "address_level_name", "State",
		      "address_name", "California");
	if (strcmp(status, "UNPAID") != 0)
		json_object_set_new(o, "paid_time", json_integer(ctime + 60));
	json_object_set_new(o, "line_items", lines);
	return o;
}

/* The catalogue every fixture shares: app, two shops, tokens, providers. */
static json_t *base_catalogue(void)
{
	return json_pack(
		"{s:I,s:{s:s,s:s},"
		"s:[{s:s,s:s,s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s,s:s,s:s}],"
		"s:[{s:s,s:I,s:s,s:I,s:[s]},{s:s,s:I,s:s,s:I,s:[s]},{s:s,s:I,s:s,s:I,s:[s,s]}],"
		"s:i,"
		"s:[{s:s,s:s,s:s},{s:s,s:s,s:s},{s:s,s:s},{s:s,s:s,s:s}],"
		"s:[{s:s,s:s,s:[s,s,s]},{s:s,s:s,s:[],s:b}],"
		"s:[]}",
		"clock", C0,
		"app", "app_key", APP_KEY, "app_secret", APP_SECRET,
		"shops",
		"id", "7494049642642441621", "name", "Shop A", "region", "US",
		"seller_type", "LOCAL", "cipher", CIPHER_A, "code", "USSHOPA1",
		"id", "7494049642642441622", "name", "Shop B", "region", "US",
		"seller_type", "LOCAL", "cipher", CIPHER_B, "code", "USSHOPB1",
		"tokens",
		"access_token", TOKEN_A, "access_token_expire_in", C0 + TOKEN_LIFE,
		"refresh_token", REFRESH_A, "refresh_token_expire_in", C0 + 86400,
		"shop_ciphers", CIPHER_A,
		"access_token", TOKEN_B, "access_token_expire_in", C0 + TOKEN_LIFE,
		"refresh_token", "TTP_refresh_B", "refresh_token_expire_in", C0 + 86400,
		"shop_ciphers", CIPHER_B,
		"access_token", TOKEN_AB, "access_token_expire_in", C0 + TOKEN_LIFE,
		"refresh_token", "TTP_refresh_AB", "refresh_token_expire_in", C0 + 86400,
		"shop_ciphers", CIPHER_A, CIPHER_B,
		"rate_limit_qps", 100000,
		"providers",
		"id", P_USPS, "name", "USPS", "tracking_regex", "^9[0-9]{21}$",
		"id", P_UPS, "name", "UPS", "tracking_regex", "^1Z[0-9A-Z]{16}$",
		"id", P_OTHER, "name", "Other",
		"id", P_FEDEX, "name", "FedEx", "tracking_regex", "^[0-9]{12}$",
		"delivery_options",
		"id", OPT_STD, "name", "Standard Shipping", "provider_ids", P_USPS, P_UPS, P_OTHER,
		"id", OPT_TT, "name", "Standard Shipping", "provider_ids", "tiktok_fulfilled", 1,
		"orders");
}

static json_t *base_fixture(void)
{
	json_t *f = base_catalogue(), *orders = json_object_get(f, "orders"), *o, *l;

	json_array_append_new(orders, mk_order(O_SHIP, "AWAITING_SHIPMENT",
		"FULFILLMENT_BY_SELLER", "SELLER", 3, C0 - 7200, C0 - 3600));
	json_array_append_new(orders, mk_order(O_FBT, "AWAITING_SHIPMENT",
		"FULFILLMENT_BY_TIKTOK", "TIKTOK", 1, C0 - 7000, C0 - 3500));
	o = mk_order(O_TT, "AWAITING_SHIPMENT", "FULFILLMENT_BY_SELLER", "TIKTOK", 2,
		     C0 - 6900, C0 - 3400);
	json_array_append_new(orders, o);
	o = mk_order(O_UNPAID, "UNPAID", "FULFILLMENT_BY_SELLER", "SELLER", 1,
		     C0 - 6800, C0 - 3300);
	json_object_set_new(o, "is_on_hold_order", json_true());
	json_array_append_new(orders, o);
	o = mk_order(O_HOLD, "ON_HOLD", "FULFILLMENT_BY_SELLER", "SELLER", 1,
		     C0 - 6700, C0 - 3200);
	json_object_set_new(o, "is_on_hold_order", json_true());
	json_array_append_new(orders, o);
	json_array_append_new(orders, mk_order(O_CANCEL, "CANCELLED",
		"FULFILLMENT_BY_SELLER", "SELLER", 1, C0 - 6600, C0 - 3100));
	o = mk_order(O_REQ, "AWAITING_SHIPMENT", "FULFILLMENT_BY_SELLER", "SELLER", 1,
		     C0 - 6500, C0 - 3000);
	json_object_set_new(o, "is_buyer_request_cancel", json_true());
	json_array_append_new(orders, o);
	o = mk_order(O_SHIPPED, "IN_TRANSIT", "FULFILLMENT_BY_SELLER", "SELLER", 1,
		     C0 - 90000, C0 - 80000);
	l = json_array_get(json_object_get(o, "line_items"), 0);
	json_object_set_new(l, "display_status", json_string("IN_TRANSIT"));
	json_object_set_new(l, "package_id", json_string(PKG_FIX));
	json_object_set_new(l, "package_status", json_string("FULFILLING"));
	json_object_set_new(l, "tracking_number", json_string("9400111899223197400000"));
	json_object_set_new(l, "shipping_provider_id", json_string(P_USPS));
	json_object_set_new(l, "shipping_provider_name", json_string("USPS"));
	json_object_set_new(l, "rts_time", json_integer(C0 - 85000));
	json_object_set_new(o, "rts_time", json_integer(C0 - 85000));
	json_object_set_new(o, "collection_time", json_integer(C0 - 80000));
	json_array_append_new(orders, o);
	o = mk_order(O_SHOPB, "AWAITING_SHIPMENT", "FULFILLMENT_BY_SELLER", "SELLER", 1,
		     C0 - 6300, C0 - 2900);
	json_object_set_new(o, "_shop", json_string(CIPHER_B));
	json_array_append_new(orders, o);
	json_array_append_new(orders, mk_order(O_ONE, "AWAITING_SHIPMENT",
		"FULFILLMENT_BY_SELLER", "SELLER", 1, C0 - 6200, C0 - 2800));
	json_array_append_new(orders, mk_order(O_TWO, "AWAITING_SHIPMENT",
		"FULFILLMENT_BY_SELLER", "SELLER", 2, C0 - 6100, C0 - 2700));
	o = mk_order(O_OTHER_BUYER, "AWAITING_SHIPMENT", "FULFILLMENT_BY_SELLER", "SELLER", 1,
		     C0 - 6000, C0 - 2600);
	json_object_set_new(json_object_get(o, "recipient_address"), "name",
			    json_string("John Roe"));
	json_array_append_new(orders, o);
	return f;
}

/* 250 orders for paging: create times distinct, update times with ties. */
#define PAGING_N 250
static long long paging_ctime(int i)
{
	return C0 - 200000 + (long long)((i * 7919) % 150000);
}

static long long paging_utime(int i)
{
	return C0 - 50000 + (long long)(i % 40) * 100;
}

static const char *paging_status(int i)
{
	static const char *const st[] = { "AWAITING_SHIPMENT", "IN_TRANSIT", "UNPAID",
					   "CANCELLED", "COMPLETED" };

	return st[i % 5];
}

static const char *paging_stype(int i)
{
	return i % 3 == 0 ? "TIKTOK" : "SELLER";
}

static void paging_id(char *out, size_t n, int i)
{
	snprintf(out, n, "5791%014d", i + 1);
}

static json_t *paging_fixture(void)
{
	json_t *f = base_catalogue(), *orders = json_object_get(f, "orders");
	char id[32];
	int i;

	for (i = 0; i < PAGING_N; i++) {
		paging_id(id, sizeof(id), i);
		json_array_append_new(orders, mk_order(id, paging_status(i),
			"FULFILLMENT_BY_SELLER", paging_stype(i), 1, paging_ctime(i),
			paging_utime(i)));
	}
	return f;
}

/* ---- the emulator under test ----------------------------------------------------------- */

struct tt {
	struct emu_proc p;
	char *dir;
	const char *token, *cipher, *secret, *app_key;
};

/* A failing check ends the test process at once (_exit), leaving its
 * emulator running: each emulator's pid is kept in memory shared with the
 * runner, which stops the leftovers when the suite is done. */
#define MAX_EMUS 256
static pid_t *emu_pids;	/* MAP_SHARED, MAX_EMUS slots, 0 = free */

static void remember_emu(pid_t pid)
{
	int i;

	for (i = 0; emu_pids && i < MAX_EMUS; i++)
		if (__sync_bool_compare_and_swap(&emu_pids[i], 0, pid))
			return;
}

static void forget_emu(pid_t pid)
{
	int i;

	for (i = 0; emu_pids && i < MAX_EMUS; i++)
		if (emu_pids[i] == pid)
			emu_pids[i] = 0;
}

static void stop_leftover_emus(void)
{
	int i;

	for (i = 0; emu_pids && i < MAX_EMUS; i++)
		if (emu_pids[i] > 0) {
			kill(emu_pids[i], SIGKILL);
			emu_pids[i] = 0;
		}
}

/* Start an emulator on fixture f (stolen) with extra command-line args
 * (may be NULL). oracle = 0: its log stays private (deliberately
 * malformed traffic). */
static void tt_start_args(struct tt *t, json_t *f, const char *tag, int oracle,
			  const char *const *args)
{
	char path[600], logtag[128];
	char *saved = NULL;
	int rc;

	memset(t, 0, sizeof(*t));
	t->dir = harness_mkdtemp("ttemu-test");
	ck_assert_ptr_nonnull(t->dir);
	snprintf(path, sizeof(path), "%s/tiktok.json", t->dir);
	ck_assert_int_eq(json_dump_file(f, path, JSON_INDENT(1)), 0);
	json_decref(f);
	snprintf(logtag, sizeof(logtag), "emu-%s", tag);
	if (!oracle) {
		const char *v = getenv("TTSYNC_TEST_LOGDIR");

		saved = v ? strdup(v) : NULL;
		unsetenv("TTSYNC_TEST_LOGDIR");
	}
	rc = harness_start_emu("tiktok", path, logtag, args, &t->p);
	if (saved) {
		setenv("TTSYNC_TEST_LOGDIR", saved, 1);
		free(saved);
	}
	ck_assert_msg(rc == 0, "tiktok-emu did not start");
	remember_emu(t->p.pid);
	t->token = TOKEN_A;
	t->cipher = CIPHER_A;
	t->secret = APP_SECRET;
	t->app_key = APP_KEY;
}

static void tt_start(struct tt *t, json_t *f, const char *tag, int oracle)
{
	tt_start_args(t, f, tag, oracle, NULL);
}

/* Stop the emulator with SIGTERM and insist on a clean exit (status 0):
 * a crash, a sanitizer report or a leak at exit fails the test. */
static void tt_stop(struct tt *t)
{
	char path[700];
	int status = 0, i;
	pid_t pid = t->p.pid;

	if (pid > 0) {
		forget_emu(pid);
		kill(pid, SIGTERM);
		for (i = 0; i < 1000; i++) {
			struct timespec ts = { 0, 10 * 1000000L };

			if (waitpid(pid, &status, WNOHANG) == pid)
				break;
			nanosleep(&ts, NULL);
		}
		if (i == 1000) {
			harness_stop_emu(&t->p);
			ck_abort_msg("tiktok-emu did not stop within 10 s of SIGTERM");
		}
		t->p.pid = 0;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			char *err;

			snprintf(path, sizeof(path), "%s/stderr", t->p.dir);
			err = harness_read_file(path);
			ck_abort_msg("tiktok-emu ended badly (status 0x%x): %.3000s", status,
				     err ? err : "");
		}
	}
	if (t->dir) {
		snprintf(path, sizeof(path), "%s/tiktok.json", t->dir);
		unlink(path);
		rmdir(t->dir);
	}
	free(t->dir);
	t->dir = NULL;
}

static json_t *ctl_post(struct tt *t, const char *path, const char *body)
{
	json_t *j = harness_emu_post(&t->p, path, body);

	ck_assert_msg(j != NULL, "POST %s %s failed", path, body);
	return j;
}

static void ctl_ok(struct tt *t, const char *path, const char *body)
{
	json_t *j = ctl_post(t, path, body);

	ck_assert_msg(json_object_get(j, "error") == NULL, "POST %s %s: %s", path, body,
		      json_string_value(json_object_get(j, "error")));
	json_decref(j);
}

static long long emu_clock(struct tt *t)
{
	json_t *j = harness_emu_get(&t->p, "/_emu/clock");
	long long now;

	ck_assert_ptr_nonnull(j);
	now = json_integer_value(json_object_get(j, "now"));
	json_decref(j);
	return now;
}

static void freeze_at(struct tt *t, long long when)
{
	char body[128];

	snprintf(body, sizeof(body), "{\"set\":%lld,\"freeze\":true}", when);
	ctl_ok(t, "/_emu/clock", body);
}

static void advance(struct tt *t, long long s)
{
	char body[128];

	snprintf(body, sizeof(body), "{\"advance\":%lld}", s);
	ctl_ok(t, "/_emu/clock", body);
}

/* The order as the emulator holds it (from /_emu/state); caller decrefs. */
static json_t *state_order(struct tt *t, const char *id)
{
	json_t *st = harness_emu_get(&t->p, "/_emu/state"), *o, *found = NULL;
	size_t i;

	ck_assert_ptr_nonnull(st);
	json_array_foreach(json_object_get(st, "orders"), i, o)
		if (strcmp(json_string_value(json_object_get(o, "id")), id) == 0)
			found = json_incref(o);
	json_decref(st);
	ck_assert_msg(found != NULL, "order %s not in state", id);
	return found;
}

static char *state_status(struct tt *t, const char *id)
{
	json_t *o = state_order(t, id);
	char *s = strdup(json_string_value(json_object_get(o, "status")));

	json_decref(o);
	return s;
}

static json_t *event(struct tt *t, const char *body)
{
	return ctl_post(t, "/_emu/event", body);
}

/* ---- signing (tiktok-shop-api.md §2) ------------------------------------------------------ */

struct kv {
	const char *k, *v;
};

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}

static void hexify(const unsigned char *d, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* The wrapped string: secret + path + sorted(key value) + body + secret. */
static char *sign_base(const char *secret, const char *path, const char *const *q,
		       const char *body)
{
	struct kv v[64];
	size_t n = 0, i, len;
	char *s;

	for (i = 0; q && q[i]; i += 2)
		if (strcmp(q[i], "sign") != 0 && strcmp(q[i], "access_token") != 0) {
			v[n].k = q[i];
			v[n].v = q[i + 1];
			n++;
		}
	qsort(v, n, sizeof(v[0]), kv_cmp);
	len = 2 * strlen(secret) + strlen(path) + (body ? strlen(body) : 0) + 1;
	for (i = 0; i < n; i++)
		len += strlen(v[i].k) + strlen(v[i].v);
	s = malloc(len);
	ck_assert_ptr_nonnull(s);
	strcpy(s, secret);
	strcat(s, path);
	for (i = 0; i < n; i++) {
		strcat(s, v[i].k);
		strcat(s, v[i].v);
	}
	if (body)
		strcat(s, body);
	strcat(s, secret);
	return s;
}

static void sign_hex(const char *secret, const char *path, const char *const *q,
		     const char *body, char out[65])
{
	char *msg = sign_base(secret, path, q, body);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)msg, strlen(msg),
	     mac, &maclen);
	hexify(mac, maclen, out);
	free(msg);
}

/* ---- HTTP ------------------------------------------------------------------------------------- */

struct rsp {
	int curl_rc;		/* CURLE_OK when a full response arrived */
	long http;
	char *raw, *headers;
	json_t *j;		/* parsed body or NULL */
	long code;		/* TikTok code, -1 when none */
	double secs;
};

static void rsp_free(struct rsp *r)
{
	free(r->raw);
	free(r->headers);
	json_decref(r->j);
	memset(r, 0, sizeof(*r));
}

struct buf {
	char *p;
	size_t n;
};

static size_t buf_add(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;
	size_t add = size * nmemb;
	char *q = realloc(b->p, b->n + add + 1);

	if (q == NULL)
		return 0;
	b->p = q;
	memcpy(b->p + b->n, ptr, add);
	b->n += add;
	b->p[b->n] = '\0';
	return add;
}

static struct rsp raw_http(const char *method, const char *url, struct curl_slist *hl,
			   const char *body, size_t body_len, long timeout_ms)
{
	struct rsp r;
	struct buf b = { NULL, 0 }, h = { NULL, 0 };
	CURL *c = curl_easy_init();
	double t0 = mono();

	memset(&r, 0, sizeof(r));
	ck_assert_ptr_nonnull(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_add);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, buf_add);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 30000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	r.curl_rc = (int)curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.http);
	curl_easy_cleanup(c);
	r.secs = mono() - t0;
	r.raw = b.p ? b.p : strdup("");
	r.headers = h.p ? h.p : strdup("");
	r.code = -1;
	if (r.curl_rc == CURLE_OK) {
		r.j = json_loads(r.raw, 0, NULL);
		if (json_is_integer(json_object_get(r.j, "code")))
			r.code = (long)json_integer_value(json_object_get(r.j, "code"));
	}
	return r;
}

static const char *header_value(const struct rsp *r, const char *name)
{
	static char val[256];
	const char *p = r->headers;
	size_t n = strlen(name);

	while (p && *p) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;
			size_t len;

			while (*v == ' ')
				v++;
			len = strcspn(v, "\r\n");
			snprintf(val, sizeof(val), "%.*s", (int)len, v);
			return val;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/* How a call deviates from a well-formed one (all zero: well-formed). */
struct opts {
	const char *token;	/* NULL: t->token; "" none */
	const char *secret;	/* sign with this secret */
	const char *sign;	/* send this sign instead */
	const char *ct;		/* content type; NULL: application/json; "" none */
	int no_app_key, no_sign, no_timestamp;
	const char *timestamp;	/* send this timestamp */
	int no_cipher;		/* do not add shop_cipher */
	const char *cipher;	/* this cipher instead of t->cipher */
	long timeout_ms;
	const char *raw_query;	/* appended verbatim after the built query */
};

/* Build a signed TikTok request: url (size 8192) and headers (caller
 * frees). q: extra query pairs (NULL-terminated k, v, ...); shop_cipher
 * is added unless the path is /authorization/ or o->no_cipher. */
static struct curl_slist *tt_build(struct tt *t, const char *path, const char *const *q,
				   const char *body, const struct opts *o, char *url)
{
	static const struct opts none;
	const char *all[80];
	char ts[32], sign[65], hdr[512];
	size_t n = 0, i, cap = 8192;
	struct curl_slist *hl = NULL;
	int first = 1;

	if (o == NULL)
		o = &none;
	if (!o->no_app_key) {
		all[n++] = "app_key";
		all[n++] = t->app_key;
	}
	if (!o->no_timestamp) {
		if (o->timestamp)
			snprintf(ts, sizeof(ts), "%s", o->timestamp);
		else
			snprintf(ts, sizeof(ts), "%lld", emu_clock(t));
		all[n++] = "timestamp";
		all[n++] = ts;
	}
	if (!o->no_cipher && strncmp(path, "/authorization/", 15) != 0) {
		all[n++] = "shop_cipher";
		all[n++] = o->cipher ? o->cipher : t->cipher;
	}
	for (i = 0; q && q[i] && n < 76; i += 2) {
		all[n++] = q[i];
		all[n++] = q[i + 1];
	}
	all[n] = NULL;
	sign_hex(o->secret ? o->secret : t->secret, path, all, body, sign);
	snprintf(url, cap, "%s%s?", t->p.base_url, path);
	for (i = 0; i < n; i += 2) {
		char *e = curl_easy_escape(NULL, all[i + 1], 0);

		snprintf(url + strlen(url), cap - strlen(url), "%s%s=%s",
			 first ? "" : "&", all[i], e);
		curl_free(e);
		first = 0;
	}
	if (!o->no_sign)
		snprintf(url + strlen(url), cap - strlen(url), "%ssign=%s",
			 first ? "" : "&", o->sign ? o->sign : sign);
	if (o->raw_query)
		snprintf(url + strlen(url), cap - strlen(url), "&%s", o->raw_query);
	if (!(o->token && *o->token == '\0')) {
		snprintf(hdr, sizeof(hdr), "x-tts-access-token: %s", o->token ? o->token : t->token);
		hl = curl_slist_append(hl, hdr);
	}
	if (!(o->ct && *o->ct == '\0')) {
		snprintf(hdr, sizeof(hdr), "Content-Type: %s", o->ct ? o->ct : "application/json");
		hl = curl_slist_append(hl, hdr);
	}
	hl = curl_slist_append(hl, "Expect:");
	return hl;
}

static struct rsp tt_call_o(struct tt *t, const char *method, const char *path,
			    const char *const *q, const char *body, const struct opts *o)
{
	char url[8192];
	struct curl_slist *hl = tt_build(t, path, q, body, o, url);
	struct rsp r = raw_http(method, url, hl, body, body ? strlen(body) : 0,
				o ? o->timeout_ms : 0);

	curl_slist_free_all(hl);
	return r;
}

static struct rsp tt_call(struct tt *t, const char *method, const char *path,
			  const char *const *q, const char *body)
{
	return tt_call_o(t, method, path, q, body, NULL);
}

#define ASSERT_CODE(r, http_, code_) \
	ck_assert_msg((r).http == (http_) && (r).code == (code_), \
		      "expected HTTP %ld code %ld, got HTTP %ld code %ld (curl %d): %.400s", \
		      (long)(http_), (long)(code_), (r).http, (r).code, (r).curl_rc, (r).raw)

static json_t *data_of(const struct rsp *r)
{
	return json_object_get(r->j, "data");
}

/* Mark Package As Shipped with a JSON body built by json_pack. */
static struct rsp ship(struct tt *t, const char *order_id, json_t *body)
{
	char path[256], *b = json_dumps(body, JSON_COMPACT);
	struct rsp r;

	snprintf(path, sizeof(path), "/fulfillment/202309/orders/%s/packages", order_id);
	r = tt_call(t, "POST", path, NULL, b);
	free(b);
	json_decref(body);
	return r;
}

static json_t *ship_body(const char *tracking, const char *provider, int nlines,
			 const char *order_id, const int *idx)
{
	json_t *b = json_pack("{s:s,s:s}", "tracking_number", tracking,
			      "shipping_provider_id", provider);
	int i;

	if (nlines > 0) {
		json_t *ids = json_array();

		for (i = 0; i < nlines; i++) {
			char lid[32];

			line_id(lid, sizeof(lid), order_id, idx[i]);
			json_array_append_new(ids, json_string(lid));
		}
		json_object_set_new(b, "order_line_item_ids", ids);
	}
	return b;
}

static struct rsp update_pkg(struct tt *t, const char *pkg, const char *tracking,
			     const char *provider)
{
	char path[256], body[512];

	snprintf(path, sizeof(path), "/fulfillment/202309/packages/%s/shipping_info/update", pkg);
	snprintf(body, sizeof(body), "{\"tracking_number\":\"%s\",\"shipping_provider_id\":\"%s\"}",
		 tracking, provider);
	return tt_call(t, "POST", path, NULL, body);
}

static struct rsp update_order(struct tt *t, const char *order_id, const char *tracking,
			       const char *provider)
{
	char path[256], body[512];

	snprintf(path, sizeof(path), "/fulfillment/202309/orders/%s/shipping_info/update",
		 order_id);
	snprintf(body, sizeof(body), "{\"tracking_number\":\"%s\",\"shipping_provider_id\":\"%s\"}",
		 tracking, provider);
	return tt_call(t, "POST", path, NULL, body);
}

/* One order as Get Order Detail serves it (caller decrefs). */
static json_t *detail(struct tt *t, const char *id)
{
	const char *q[] = { "ids", id, NULL };
	struct rsp r = tt_call(t, "GET", "/order/202309/orders", q, NULL);
	json_t *o;

	ASSERT_CODE(r, 200, 0);
	o = json_incref(json_array_get(json_object_get(data_of(&r), "orders"), 0));
	rsp_free(&r);
	ck_assert_ptr_nonnull(o);
	return o;
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static long long jint(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static json_t *line_of(json_t *order, int idx)
{
	return json_array_get(json_object_get(order, "line_items"), (size_t)idx - 1);
}

/* ---- signing vectors (tiktok-shop-api.md §2) --------------------------------------------------- */

static json_t *vector_fixture(const char *key, const char *secret, long long clock,
			      const char *cipher)
{
	json_t *f = base_catalogue(), *tok, *o, *l;

	json_object_set_new(f, "clock", json_integer(clock));
	json_object_set_new(f, "app", json_pack("{s:s,s:s}", "app_key", key, "app_secret", secret));
	json_object_set_new(json_array_get(json_object_get(f, "shops"), 0), "cipher",
			    json_string(cipher));
	tok = json_pack("[{s:s,s:I,s:s,s:I,s:[s]}]", "access_token", TOKEN_A,
			"access_token_expire_in", clock + 3600, "refresh_token", REFRESH_A,
			"refresh_token_expire_in", clock + 86400, "shop_ciphers", cipher);
	json_object_set_new(f, "tokens", tok);
	/* V1's provider id with a format that fits V1's tracking number */
	json_object_set_new(f, "providers", json_pack("[{s:s,s:s,s:s}]", "id",
			    "7117858858072016686", "name", "UPS", "tracking_regex",
			    "^1Z[0-9A-Z]{16}$"));
	json_object_set_new(f, "delivery_options", json_pack("[{s:s,s:s,s:[s]}]", "id", OPT_STD,
			    "name", "Standard Shipping", "provider_ids", "7117858858072016686"));
	o = mk_order("576461413038785752", "AWAITING_SHIPMENT", "FULFILLMENT_BY_SELLER", "SELLER",
		     2, clock - 7200, clock - 3600);
	l = json_object_get(o, "line_items");
	json_object_set_new(json_array_get(l, 0), "id", json_string("577086512123755123"));
	json_object_set_new(json_array_get(l, 1), "id", json_string("577086512123755124"));
	json_object_set_new(o, "_shop", json_string(cipher));
	json_array_append_new(json_object_get(f, "orders"), o);
	o = mk_order("576461413038785753", "AWAITING_SHIPMENT", "FULFILLMENT_BY_SELLER", "SELLER",
		     1, clock - 7000, clock - 3500);
	json_object_set_new(o, "_shop", json_string(cipher));
	json_array_append_new(json_object_get(f, "orders"), o);
	return f;
}

static struct rsp vector_call(struct tt *t, const char *method, const char *path_query,
			      const char *body)
{
	char url[2048];
	struct curl_slist *hl = NULL;
	struct rsp r;

	snprintf(url, sizeof(url), "%s%s", t->p.base_url, path_query);
	hl = curl_slist_append(hl, "x-tts-access-token: " TOKEN_A);
	hl = curl_slist_append(hl, "Content-Type: application/json");
	r = raw_http(method, url, hl, body, body ? strlen(body) : 0, 0);
	curl_slist_free_all(hl);
	return r;
}

START_TEST(test_sign_official_vector)
{
	struct tt t;
	struct rsp r;
	char sign[65];
	const char *q[] = { "app_key", "29a39d", "timestamp", "1623812664", NULL };

	sign_hex("e59af819cc", "/authorization/202309/shops", q, NULL, sign);
	ck_assert_str_eq(sign, "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8");
	tt_start(&t, vector_fixture("29a39d", "e59af819cc", 1623812664LL, "ROW_official"),
		 "sign-official", 1);
	freeze_at(&t, 1623812664LL);
	r = vector_call(&t, "GET", "/authorization/202309/shops?app_key=29a39d&timestamp=1623812664"
			"&sign=b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8", NULL);
	ASSERT_CODE(r, 200, 0);
	ck_assert_str_eq(jstr(json_array_get(json_object_get(data_of(&r), "shops"), 0), "cipher"),
			 "ROW_official");
	rsp_free(&r);
	/* the doc's curl line carries a different sign: refused */
	r = vector_call(&t, "GET", "/authorization/202309/shops?app_key=29a39d&timestamp=1623812664"
			"&sign=bc721f0e0182914e3487b81df204de37a352fc3aa96947efda6dc1e9dd0d5290", NULL);
	ASSERT_CODE(r, 401, 106001);
	rsp_free(&r);
	tt_stop(&t);
}
END_TEST

#define V1_PATH "/fulfillment/202309/orders/576461413038785752/packages"
#define V1_BODY "{\"order_line_item_ids\":[\"577086512123755123\",\"577086512123755124\"]," \
	"\"tracking_number\":\"1Z999AA10123456784\",\"shipping_provider_id\":\"7117858858072016686\"}"
#define V_COMMON "app_key=test_app_key_123&timestamp=1700000000&shop_cipher=ROW_TestCipher123"
#define V1_SIGN "2916c402e8eac1df48655ad7fb63b41ade972004415d9192a8bceada1be4fda3"

START_TEST(test_sign_our_vectors)
{
	struct tt t;
	struct rsp r;
	char sign[65];
	const char *common[] = { "app_key", "test_app_key_123", "timestamp", "1700000000",
				 "shop_cipher", "ROW_TestCipher123", NULL };
	const char *v2[] = { "app_key", "test_app_key_123", "timestamp", "1700000000",
			     "shop_cipher", "ROW_TestCipher123",
			     "ids", "576461413038785752,576461413038785753", NULL };
	const char *v3[] = { "app_key", "test_app_key_123", "timestamp", "1700000000",
			     "shop_cipher", "ROW_TestCipher123", "page_size", "50",
			     "sort_field", "update_time", "sort_order", "ASC",
			     "page_token", "aB+c/D==", NULL };
	const char *v3_body = "{\"update_time_ge\":1699990000,\"update_time_lt\":1700000000}";

	/* our signer reproduces the documented values */
	sign_hex("test_secret_abc", V1_PATH, common, V1_BODY, sign);
	ck_assert_str_eq(sign, V1_SIGN);
	sign_hex("test_secret_abc", "/order/202309/orders", v2, NULL, sign);
	ck_assert_str_eq(sign, "f6d880d8570b93213fa3328a73e68fe16b7a49aa88b879f80d470c1997559345");
	sign_hex("test_secret_abc", "/order/202309/orders/search", v3, v3_body, sign);
	ck_assert_str_eq(sign, "d0c42ce02494a6e5d96c525672522dd8e3b774c85b8f130a31bd219ce480ee8a");

	tt_start(&t, vector_fixture("test_app_key_123", "test_secret_abc", 1700000000LL,
				    "ROW_TestCipher123"), "sign-ours", 1);
	freeze_at(&t, 1700000000LL);
	/* V1: accepted, and the package is created */
	r = vector_call(&t, "POST", V1_PATH "?" V_COMMON "&sign=" V1_SIGN, V1_BODY);
	ASSERT_CODE(r, 200, 0);
	ck_assert_int_eq(json_array_size(json_object_get(data_of(&r), "order_line_item_ids")), 2);
	rsp_free(&r);
	/* V2: the comma list travels percent-encoded, is signed decoded */
	r = vector_call(&t, "GET", "/order/202309/orders?" V_COMMON
			"&ids=576461413038785752%2C576461413038785753"
			"&sign=f6d880d8570b93213fa3328a73e68fe16b7a49aa88b879f80d470c1997559345", NULL);
	ASSERT_CODE(r, 200, 0);
	ck_assert_int_eq(json_array_size(json_object_get(data_of(&r), "orders")), 2);
	rsp_free(&r);
	/* V3: the signature passes; the made-up page token is then refused */
	r = vector_call(&t, "POST", "/order/202309/orders/search?" V_COMMON
			"&page_size=50&sort_field=update_time&sort_order=ASC"
			"&page_token=aB%2Bc%2FD%3D%3D"
			"&sign=d0c42ce02494a6e5d96c525672522dd8e3b774c85b8f130a31bd219ce480ee8a",
			v3_body);
	ck_assert_int_ne(r.code, 106001);
	ASSERT_CODE(r, 400, 36009004);
	ck_assert_ptr_nonnull(strstr(jstr(r.j, "message"), "page_token"));
	rsp_free(&r);
	tt_stop(&t);
}
END_TEST

START_TEST(test_sign_negative_controls)
{
	struct tt t;
	struct rsp r;
	char *wrapped, hex[65];
	unsigned char md[SHA256_DIGEST_LENGTH];
	const char *common[] = { "app_key", "test_app_key_123", "timestamp", "1700000000",
				 "shop_cipher", "ROW_TestCipher123", NULL };
	static const char *const bad[] = {
		"2916C402E8EAC1DF48655AD7FB63B41ADE972004415D9192A8BCEADA1BE4FDA3", /* upper-case */
		"1153d87afcddfd04c35c389ef6252dcef2b7892126e2c73eea709e8fb606134d", /* plain SHA-256 */
		"bbc212c4ac91bb32d74dde059a11c3c1d9a4a436394fd7174b46a14f524079d6", /* HSIB v2 */
	};
	char url[1024];
	size_t i;

	/* the plain-SHA-256 control is what we think it is */
	wrapped = sign_base("test_secret_abc", V1_PATH, common, V1_BODY);
	SHA256((unsigned char *)wrapped, strlen(wrapped), md);
	hexify(md, sizeof(md), hex);
	ck_assert_str_eq(hex, bad[1]);
	free(wrapped);

	tt_start(&t, vector_fixture("test_app_key_123", "test_secret_abc", 1700000000LL,
				    "ROW_TestCipher123"), "sign-negative", 1);
	freeze_at(&t, 1700000000LL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(url, sizeof(url), V1_PATH "?" V_COMMON "&sign=%s", bad[i]);
		r = vector_call(&t, "POST", url, V1_BODY);
		ASSERT_CODE(r, 401, 106001);
		rsp_free(&r);
	}
	/* the right sign over other body bytes (same JSON, keys reordered) */
	r = vector_call(&t, "POST", V1_PATH "?" V_COMMON "&sign=" V1_SIGN,
			"{\"tracking_number\":\"1Z999AA10123456784\",\"order_line_item_ids\":"
			"[\"577086512123755123\",\"577086512123755124\"],"
			"\"shipping_provider_id\":\"7117858858072016686\"}");
	ASSERT_CODE(r, 401, 106001);
	rsp_free(&r);
	/* nothing was shipped by the refused calls */
	{
		char *st = state_status(&t, "576461413038785752");

		ck_assert_str_eq(st, "AWAITING_SHIPMENT");
		free(st);
	}
	/* signed with another secret */
	{
		struct opts o = { .secret = "not_the_secret" };

		t.app_key = "test_app_key_123";
		t.cipher = "ROW_TestCipher123";
		r = tt_call_o(&t, "GET", "/authorization/202309/shops", NULL, NULL, &o);
		ASSERT_CODE(r, 401, 106001);
		rsp_free(&r);
	}
	tt_stop(&t);
}
END_TEST

/* ---- gateway: timestamp, tokens, cipher, content type -------------------------------------------- */

START_TEST(test_timestamp_window)
{
	struct tt t;
	struct rsp r;
	char ts[32];
	struct opts o = { .timestamp = ts };
	static const long long offs[] = { -300, 30, 0 };
	static const long long bad[] = { -301, 31, -86400 };
	size_t i;

	tt_start(&t, base_fixture(), "timestamp", 1);
	freeze_at(&t, C0);
	for (i = 0; i < 3; i++) {
		snprintf(ts, sizeof(ts), "%lld", C0 + offs[i]);
		r = tt_call_o(&t, "GET", "/authorization/202309/shops", NULL, NULL, &o);
		ASSERT_CODE(r, 200, 0);
		rsp_free(&r);
		snprintf(ts, sizeof(ts), "%lld", C0 + bad[i]);
		r = tt_call_o(&t, "GET", "/authorization/202309/shops", NULL, NULL, &o);
		ASSERT_CODE(r, 400, 36009004);
		ck_assert_ptr_nonnull(strcasestr(jstr(r.j, "message"), "timestamp"));
		rsp_free(&r);
	}
	/* the window follows the emulator clock, not the host's */
	advance(&t, 3600);
	snprintf(ts, sizeof(ts), "%lld", C0);
	r = tt_call_o(&t, "GET", "/authorization/202309/shops", NULL, NULL, &o);
	ASSERT_CODE(r, 400, 36009004);
	rsp_free(&r);
	tt_stop(&t);
}
END_TEST

static struct rsp refresh(struct tt *t, const char *rt, const char *secret, const char *grant)
{
	char url[1024];
	struct rsp r;

	snprintf(url, sizeof(url), "%s/api/v2/token/refresh?app_key=%s&app_secret=%s"
		 "&refresh_token=%s&grant_type=%s", t->p.base_url, APP_KEY, secret, rt, grant);
	r = raw_http("GET", url, NULL, NULL, 0, 0);
	return r;
}

START_TEST(test_token_expiry_and_refresh)
{
	struct tt t;
	struct rsp r;
	char at1[128], rt1[128], at2[128], rt2[128];
	struct opts o = { 0 };

	json_t *f = base_fixture();

	json_object_set_new(json_array_get(json_object_get(f, "tokens"), 0),
			    "access_token_expire_in", json_integer(C0 + 3600));
	tt_start(&t, f, "tokens", 1);
	freeze_at(&t, C0);
	r = tt_call(&t, "GET", "/authorization/202309/shops", NULL, NULL);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	/* a refresh before expiry: new pair; the old access token keeps
	 * working until its own expiry, the used refresh token does not */
	ctl_ok(&t, "/_emu/config", "{\"token_lifetime\": 7200}");
	r = refresh(&t, REFRESH_A, APP_SECRET, "refresh_token");
	ASSERT_CODE(r, 200, 0);
	snprintf(at1, sizeof(at1), "%s", jstr(data_of(&r), "access_token"));
	snprintf(rt1, sizeof(rt1), "%s", jstr(data_of(&r), "refresh_token"));
	ck_assert_str_ne(at1, TOKEN_A);
	ck_assert_str_ne(rt1, REFRESH_A);
	ck_assert_int_eq(jint(data_of(&r), "access_token_expire_in"), C0 + 7200);
	ck_assert_int_gt(jint(data_of(&r), "refresh_token_expire_in"), C0);
	rsp_free(&r);
	r = refresh(&t, REFRESH_A, APP_SECRET, "refresh_token");
	ASSERT_CODE(r, 401, 36004005);
	rsp_free(&r);
	r = tt_call(&t, "GET", "/authorization/202309/shops", NULL, NULL);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	o.token = at1;
	r = tt_call_o(&t, "GET", "/authorization/202309/shops", NULL, NULL, &o);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);

	/* expiry by the emulator clock: 105002, HTTP 401 */
	advance(&t, 3600);
	r = tt_call(&t, "GET", "/authorization/202309/shops", NULL, NULL);
	ASSERT_CODE(r, 401, 105002);
	rsp_free(&r);
	r = tt_call_o(&t, "GET", "/authorization/202309/shops", NULL, NULL, &o);
	ASSERT_CODE(r, 200, 0);	/* the refreshed one lives 7200 s */
	rsp_free(&r);
	advance(&t, 3600);
	r = tt_call_o(&t, "GET", "/authorization/202309/shops", NULL, NULL, &o);
	ASSERT_CODE(r, 401, 105002);
	rsp_free(&r);

	/* a new pair each time */
	r = refresh(&t, rt1, APP_SECRET, "refresh_token");
	ASSERT_CODE(r, 200, 0);
	snprintf(at2, sizeof(at2), "%s", jstr(data_of(&r), "access_token"));
	snprintf(rt2, sizeof(rt2), "%s", jstr(data_of(&r), "refresh_token"));
	ck_assert_str_ne(at2, at1);
	ck_assert_str_ne(rt2, rt1);
	rsp_free(&r);
	o.token = at2;
	r = tt_call_o(&t, "GET", "/authorization/202309/shops", NULL, NULL, &o);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	/* the refreshed token still belongs to shop A only */
	o.cipher = CIPHER_B;
	{
		const char *q[] = { "ids", O_SHOPB, NULL };

		r = tt_call_o(&t, "GET", "/order/202309/orders", q, NULL, &o);
		ASSERT_CODE(r, 400, 101000);
		rsp_free(&r);
	}

	/* wrong credentials and grant */
	r = refresh(&t, rt2, "wrong_secret", "refresh_token");
	ASSERT_CODE(r, 400, 36009004);
	rsp_free(&r);
	r = refresh(&t, rt2, APP_SECRET, "authorized_code");
	ASSERT_CODE(r, 400, 36009004);
	rsp_free(&r);
	/* refresh tokens expire too */
	r = refresh(&t, "TTP_refresh_B", APP_SECRET, "refresh_token");
	ASSERT_CODE(r, 200, 0);	/* C0 + 7200 < C0 + 86400 */
	rsp_free(&r);
	advance(&t, 86400);
	r = refresh(&t, "TTP_refresh_AB", APP_SECRET, "refresh_token");
	ASSERT_CODE(r, 401, 36004001);
	rsp_free(&r);
	tt_stop(&t);
}
END_TEST

START_TEST(test_cipher_rules)
{
	struct tt t;
	struct rsp r;
	struct opts o = { 0 };
	const char *q[] = { "ids", O_SHIP, NULL };
	const char *cq[] = { "shop_cipher", CIPHER_A, NULL };

	tt_start(&t, base_fixture(), "cipher", 0);
	/* /authorization/202309/shops refuses shop_cipher */
	r = tt_call(&t, "GET", "/authorization/202309/shops", cq, NULL);
	ASSERT_CODE(r, 400, 36009004);
	rsp_free(&r);
	/* required elsewhere */
	o.no_cipher = 1;
	r = tt_call_o(&t, "GET", "/order/202309/orders", q, NULL, &o);
	ASSERT_CODE(r, 400, 106013);
	rsp_free(&r);
	/* unknown cipher */
	o.no_cipher = 0;
	o.cipher = "ROW_nobody";
	r = tt_call_o(&t, "GET", "/order/202309/orders", q, NULL, &o);
	ASSERT_CODE(r, 400, 36009004);
	rsp_free(&r);
	/* a known cipher the token does not cover */
	o.cipher = CIPHER_B;
	r = tt_call_o(&t, "GET", "/order/202309/orders", q, NULL, &o);
	ASSERT_CODE(r, 400, 101000);
	rsp_free(&r);
	/* a token covering both shops sees each shop's own orders only */
	o.token = TOKEN_AB;
	r = tt_call_o(&t, "GET", "/order/202309/orders", q, NULL, &o);
	ASSERT_CODE(r, 200, 21008111);
	rsp_free(&r);
	o.cipher = CIPHER_A;
	r = tt_call_o(&t, "GET", "/order/202309/orders", q, NULL, &o);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	r = tt_call_o(&t, "GET", "/authorization/202309/shops", NULL, NULL,
		      &(struct opts){ .token = TOKEN_AB });
	ASSERT_CODE(r, 200, 0);
	ck_assert_int_eq(json_array_size(json_object_get(data_of(&r), "shops")), 2);
	rsp_free(&r);
	/* Get Package Detail: cipher optional */
	{
		struct opts p = { .no_cipher = 1 };

		r = tt_call_o(&t, "GET", "/fulfillment/202309/packages/" PKG_FIX, NULL, NULL, &p);
		ASSERT_CODE(r, 200, 0);
		rsp_free(&r);
	}
	tt_stop(&t);
}
END_TEST

/* ---- order search paging ----------------------------------------------------------------------------- */

/* Walk every page of a search; returns the ids in order (caller decrefs)
 * and checks total_count on each page and the tokens' alphabet. */
static json_t *walk_pages(struct tt *t, const char *page_size, const char *sort_field,
			  const char *sort_order, const char *body, long long *total,
			  int *pages, int *saw_special)
{
	json_t *ids = json_array();
	char token[512] = "";
	long long first_total = -1;

	*pages = 0;
	*saw_special = 0;
	for (;;) {
		const char *q[12];
		size_t n = 0;
		struct rsp r;
		json_t *d, *o;
		size_t i;

		q[n++] = "page_size";
		q[n++] = page_size;
		if (sort_field) {
			q[n++] = "sort_field";
			q[n++] = sort_field;
		}
		if (sort_order) {
			q[n++] = "sort_order";
			q[n++] = sort_order;
		}
		if (token[0]) {
			q[n++] = "page_token";
			q[n++] = token;
		}
		q[n] = NULL;
		r = tt_call(t, "POST", "/order/202309/orders/search", q, body);
		ASSERT_CODE(r, 200, 0);
		d = data_of(&r);
		if (first_total < 0)
			first_total = jint(d, "total_count");
		ck_assert_int_eq(jint(d, "total_count"), first_total);
		json_array_foreach(json_object_get(d, "orders"), i, o)
			json_array_append_new(ids, json_string(jstr(o, "id")));
		(*pages)++;
		snprintf(token, sizeof(token), "%s", jstr(d, "next_page_token"));
		rsp_free(&r);
		if (token[0] == '\0')
			break;
		if (strchr(token, '+') && strchr(token, '/') && strchr(token, '='))
			*saw_special = 1;
		ck_assert_int_lt(*pages, 1000);
	}
	*total = first_total;
	return ids;
}

static long long key_of(const char *id, int by_update)
{
	int i = atoi(id + 4) - 1;

	return by_update ? paging_utime(i) : paging_ctime(i);
}

START_TEST(test_paging_sort_and_tokens)
{
	struct tt t;
	json_t *ids, *seen, *v;
	long long total;
	int pages, special;
	size_t i;

	tt_start(&t, paging_fixture(), "paging", 1);
	/* create_time ASC: 100 + 100 + 50, no duplicates, no gaps, in order */
	ids = walk_pages(&t, "100", "create_time", "ASC", "{}", &total, &pages, &special);
	ck_assert_int_eq(total, PAGING_N);
	ck_assert_int_eq(pages, 3);
	ck_assert_int_eq(json_array_size(ids), PAGING_N);
	ck_assert_msg(special, "page tokens should contain '+', '/' and '='");
	seen = json_object();
	json_array_foreach(ids, i, v) {
		ck_assert_ptr_null(json_object_get(seen, json_string_value(v)));
		json_object_set_new(seen, json_string_value(v), json_true());
		if (i > 0)
			ck_assert_int_le(key_of(json_string_value(json_array_get(ids, i - 1)), 0),
					 key_of(json_string_value(v), 0));
	}
	json_decref(seen);
	json_decref(ids);

	/* update_time DESC with many ties, small pages: still exact */
	ids = walk_pages(&t, "7", "update_time", "DESC", NULL, &total, &pages, &special);
	ck_assert_int_eq(total, PAGING_N);
	ck_assert_int_eq(json_array_size(ids), PAGING_N);
	ck_assert_int_eq(pages, (PAGING_N + 6) / 7);
	seen = json_object();
	json_array_foreach(ids, i, v) {
		ck_assert_ptr_null(json_object_get(seen, json_string_value(v)));
		json_object_set_new(seen, json_string_value(v), json_true());
		if (i > 0)
			ck_assert_int_ge(key_of(json_string_value(json_array_get(ids, i - 1)), 1),
					 key_of(json_string_value(v), 1));
	}
	json_decref(seen);
	json_decref(ids);

	/* defaults: create_time DESC */
	ids = walk_pages(&t, "100", NULL, NULL, "{}", &total, &pages, &special);
	ck_assert_int_eq(json_array_size(ids), PAGING_N);
	ck_assert_int_ge(key_of(json_string_value(json_array_get(ids, 0)), 0),
			 key_of(json_string_value(json_array_get(ids, 1)), 0));
	json_decref(ids);
	tt_stop(&t);
}
END_TEST

struct filt {
	const char *body;
	int (*want)(int i);
};

static int f_cwin(int i) { return paging_ctime(i) >= C0 - 150000 && paging_ctime(i) < C0 - 100000; }
static int f_uwin(int i) { return paging_utime(i) >= C0 - 49000 && paging_utime(i) < C0 - 47000; }
static int f_status(int i) { return strcmp(paging_status(i), "AWAITING_SHIPMENT") == 0; }
static int f_stype(int i) { return strcmp(paging_stype(i), "TIKTOK") == 0; }
static int f_combo(int i) { return f_uwin(i) && !f_stype(i) && strcmp(paging_status(i), "IN_TRANSIT") == 0; }
static int f_uge(int i) { return paging_utime(i) >= C0 - 47000; }

START_TEST(test_paging_filters)
{
	struct tt t;
	char bodies[6][256];
	struct filt f[6];
	size_t k, i;

	snprintf(bodies[0], 256, "{\"create_time_ge\":%lld,\"create_time_lt\":%lld}",
		 C0 - 150000, C0 - 100000);
	snprintf(bodies[1], 256, "{\"update_time_ge\":%lld,\"update_time_lt\":%lld}",
		 C0 - 49000, C0 - 47000);
	snprintf(bodies[2], 256, "{\"order_status\":\"AWAITING_SHIPMENT\"}");
	snprintf(bodies[3], 256, "{\"shipping_type\":\"TIKTOK\"}");
	snprintf(bodies[4], 256, "{\"update_time_ge\":%lld,\"update_time_lt\":%lld,"
		 "\"shipping_type\":\"SELLER\",\"order_status\":\"IN_TRANSIT\"}",
		 C0 - 49000, C0 - 47000);
	/* _ge alone: _lt is "now" */
	snprintf(bodies[5], 256, "{\"update_time_ge\":%lld}", C0 - 47000);
	f[0] = (struct filt){ bodies[0], f_cwin };
	f[1] = (struct filt){ bodies[1], f_uwin };
	f[2] = (struct filt){ bodies[2], f_status };
	f[3] = (struct filt){ bodies[3], f_stype };
	f[4] = (struct filt){ bodies[4], f_combo };
	f[5] = (struct filt){ bodies[5], f_uge };

	tt_start(&t, paging_fixture(), "paging-filters", 1);
	for (k = 0; k < 6; k++) {
		json_t *ids, *want = json_object(), *v;
		long long total;
		int pages, special;
		size_t nwant = 0;
		char id[32];

		for (i = 0; i < PAGING_N; i++)
			if (f[k].want((int)i)) {
				paging_id(id, sizeof(id), (int)i);
				json_object_set_new(want, id, json_true());
				nwant++;
			}
		ck_assert_int_gt(nwant, 0);
		ids = walk_pages(&t, "13", "update_time", "ASC", f[k].body, &total, &pages,
				 &special);
		ck_assert_msg(total == (long long)nwant, "filter %s: total_count %lld, want %zu",
			      f[k].body, total, nwant);
		ck_assert_int_eq(json_array_size(ids), nwant);
		json_array_foreach(ids, i, v)
			ck_assert_msg(json_object_get(want, json_string_value(v)) != NULL,
				      "filter %s returned %s", f[k].body, json_string_value(v));
		json_decref(ids);
		json_decref(want);
	}
	tt_stop(&t);
}
END_TEST

START_TEST(test_paging_token_rules)
{
	struct tt t;
	struct rsp r;
	char token[512];
	const char *q1[] = { "page_size", "10", "sort_field", "create_time", "sort_order", "ASC", NULL };
	const char *body = "{\"order_status\":\"AWAITING_SHIPMENT\"}";

	tt_start(&t, paging_fixture(), "paging-tokens", 1);
	r = tt_call(&t, "POST", "/order/202309/orders/search", q1, body);
	ASSERT_CODE(r, 200, 0);
	snprintf(token, sizeof(token), "%s", jstr(data_of(&r), "next_page_token"));
	ck_assert_str_ne(token, "");
	rsp_free(&r);
	{
		const char *q[] = { "page_size", "10", "sort_field", "create_time",
				    "sort_order", "ASC", "page_token", token, NULL };

		/* the same query with the token: fine */
		r = tt_call(&t, "POST", "/order/202309/orders/search", q, body);
		ASSERT_CODE(r, 200, 0);
		rsp_free(&r);
		/* the token belongs to its query: other filters refuse it */
		r = tt_call(&t, "POST", "/order/202309/orders/search", q,
			    "{\"order_status\":\"COMPLETED\"}");
		ASSERT_CODE(r, 400, 36009004);
		rsp_free(&r);
	}
	{
		const char *q[] = { "page_size", "10", "sort_field", "create_time",
				    "sort_order", "DESC", "page_token", token, NULL };

		r = tt_call(&t, "POST", "/order/202309/orders/search", q, body);
		ASSERT_CODE(r, 400, 36009004);
		rsp_free(&r);
	}
	{
		/* a tampered token */
		char bad[512];
		const char *q[] = { "page_size", "10", "sort_field", "create_time",
				    "sort_order", "ASC", "page_token", bad, NULL };

		snprintf(bad, sizeof(bad), "%s", token);
		bad[5] = bad[5] == 'A' ? 'B' : 'A';
		r = tt_call(&t, "POST", "/order/202309/orders/search", q, body);
		ASSERT_CODE(r, 400, 36009004);
		rsp_free(&r);
	}
	{
		/* a token signed decoded but sent without percent-encoding: its
		 * '+' arrives as a space, so the signature no longer fits */
		char ts[32], sign[65], url[2048];
		const char *all[] = { "app_key", APP_KEY, "timestamp", ts, "shop_cipher", CIPHER_A,
				      "page_size", "10", "sort_field", "create_time",
				      "sort_order", "ASC", "page_token", token, NULL };
		struct curl_slist *hl = NULL;

		ck_assert_ptr_nonnull(strchr(token, '+'));
		snprintf(ts, sizeof(ts), "%lld", emu_clock(&t));
		sign_hex(APP_SECRET, "/order/202309/orders/search", all, body, sign);
		snprintf(url, sizeof(url), "%s/order/202309/orders/search?app_key=%s&timestamp=%s"
			 "&shop_cipher=%s&page_size=10&sort_field=create_time&sort_order=ASC"
			 "&page_token=%s&sign=%s", t.p.base_url, APP_KEY, ts, CIPHER_A, token, sign);
		hl = curl_slist_append(hl, "x-tts-access-token: " TOKEN_A);
		hl = curl_slist_append(hl, "Content-Type: application/json");
		r = raw_http("POST", url, hl, body, strlen(body), 0);
		curl_slist_free_all(hl);
		ASSERT_CODE(r, 401, 106001);
		rsp_free(&r);
	}
	tt_stop(&t);
}
END_TEST

/* ---- order detail, providers --------------------------------------------------------------------------- */

START_TEST(test_detail_ids_limit)
{
	struct tt t;
	struct rsp r;
	char ids[2048] = "";
	int i;

	tt_start(&t, paging_fixture(), "ids", 1);
	for (i = 0; i < 50; i++) {
		char id[32];

		paging_id(id, sizeof(id), i);
		snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s%s", i ? "," : "", id);
	}
	{
		const char *q[] = { "ids", ids, NULL };

		r = tt_call(&t, "GET", "/order/202309/orders", q, NULL);
		ASSERT_CODE(r, 200, 0);
		ck_assert_int_eq(json_array_size(json_object_get(data_of(&r), "orders")), 50);
		rsp_free(&r);
		strcat(ids, ",579100000000000051");
		r = tt_call(&t, "GET", "/order/202309/orders", q, NULL);
		ASSERT_CODE(r, 400, 36009004);
		rsp_free(&r);
	}
	{
		const char *q[] = { "ids", "579100000000000001,579999999999999999", NULL };
		const char *q2[] = { "ids", "579999999999999999", NULL };
		json_t *o;

		r = tt_call(&t, "GET", "/order/202309/orders", q, NULL);
		ASSERT_CODE(r, 200, 0);
		ck_assert_int_eq(json_array_size(json_object_get(data_of(&r), "orders")), 1);
		o = json_array_get(json_object_get(data_of(&r), "orders"), 0);
		/* types as documented: ids and money strings, times integers */
		ck_assert(json_is_string(json_object_get(o, "id")));
		ck_assert(json_is_integer(json_object_get(o, "create_time")));
		ck_assert(json_is_string(json_object_get(json_object_get(o, "payment"), "total_amount")));
		ck_assert(json_is_string(json_object_get(line_of(o, 1), "sale_price")));
		rsp_free(&r);
		r = tt_call(&t, "GET", "/order/202309/orders", q2, NULL);
		ASSERT_CODE(r, 200, 21008111);
		rsp_free(&r);
	}
	tt_stop(&t);
}
END_TEST

START_TEST(test_providers)
{
	struct tt t;
	struct rsp r;
	json_t *list;

	tt_start(&t, base_fixture(), "providers", 1);
	r = tt_call(&t, "GET", "/logistics/202309/delivery_options/" OPT_STD "/shipping_providers",
		    NULL, NULL);
	ASSERT_CODE(r, 200, 0);
	list = json_object_get(data_of(&r), "shipping_providers");
	ck_assert_int_eq(json_array_size(list), 3);
	ck_assert_str_eq(jstr(json_array_get(list, 0), "id"), P_USPS);
	ck_assert_str_eq(jstr(json_array_get(list, 0), "name"), "USPS");
	ck_assert_str_eq(jstr(json_array_get(list, 2), "id"), P_OTHER);
	rsp_free(&r);
	r = tt_call(&t, "GET", "/logistics/202309/delivery_options/" OPT_TT "/shipping_providers",
		    NULL, NULL);
	ASSERT_CODE(r, 200, 21008117);
	rsp_free(&r);
	r = tt_call(&t, "GET", "/logistics/202309/delivery_options/123/shipping_providers",
		    NULL, NULL);
	ASSERT_CODE(r, 200, 21008116);
	rsp_free(&r);
	tt_stop(&t);
}
END_TEST

/* ---- Mark Package As Shipped --------------------------------------------------------------------------- */

START_TEST(test_ship_partial_then_rest)
{
	struct tt t;
	struct rsp r;
	json_t *o;
	char pkg1[64], l1[32];
	long long ut;
	static const int one[] = { 1 }, rest[] = { 2, 3 };

	tt_start(&t, base_fixture(), "ship", 1);
	freeze_at(&t, C0);
	line_id(l1, sizeof(l1), O_SHIP, 1);
	/* one unit of three: PARTIALLY_SHIPPING */
	r = ship(&t, O_SHIP, ship_body(TN_USPS, P_USPS, 1, O_SHIP, one));
	ASSERT_CODE(r, 200, 0);
	ck_assert_str_eq(jstr(data_of(&r), "order_id"), O_SHIP);
	ck_assert_str_eq(json_string_value(json_array_get(
		json_object_get(data_of(&r), "order_line_item_ids"), 0)), l1);
	ck_assert_ptr_null(json_object_get(data_of(&r), "warning"));
	snprintf(pkg1, sizeof(pkg1), "%s", jstr(data_of(&r), "package_id"));
	ck_assert_int_ge(strlen(pkg1), 15);
	rsp_free(&r);
	o = detail(&t, O_SHIP);
	ck_assert_str_eq(jstr(o, "status"), "PARTIALLY_SHIPPING");
	ck_assert_int_eq(jint(o, "update_time"), C0);
	ck_assert_int_eq(jint(o, "rts_time"), C0);
	ck_assert_str_eq(jstr(line_of(o, 1), "package_id"), pkg1);
	ck_assert_str_eq(jstr(line_of(o, 1), "tracking_number"), TN_USPS);
	ck_assert_str_eq(jstr(line_of(o, 1), "shipping_provider_id"), P_USPS);
	ck_assert_str_eq(jstr(line_of(o, 1), "display_status"), "AWAITING_COLLECTION");
	ck_assert_str_eq(jstr(line_of(o, 2), "package_id"), "");
	ck_assert_str_eq(jstr(line_of(o, 2), "display_status"), "AWAITING_SHIPMENT");
	ck_assert_str_eq(jstr(json_array_get(json_object_get(o, "packages"), 0), "id"), pkg1);
	json_decref(o);

	/* the same unit again: already shipped in another package */
	advance(&t, 60);
	r = ship(&t, O_SHIP, ship_body(TN_USPS2, P_USPS, 1, O_SHIP, one));
	ASSERT_CODE(r, 200, 21011020);
	rsp_free(&r);
	/* no line list while some units are shipped: ambiguous */
	r = ship(&t, O_SHIP, ship_body(TN_USPS2, P_USPS, 0, NULL, NULL));
	ASSERT_CODE(r, 200, 21011048);
	rsp_free(&r);
	/* the other two: AWAITING_COLLECTION */
	r = ship(&t, O_SHIP, ship_body(TN_USPS2, P_USPS, 2, O_SHIP, rest));
	ASSERT_CODE(r, 200, 0);
	ck_assert_str_ne(jstr(data_of(&r), "package_id"), pkg1);
	ck_assert_int_eq(json_array_size(json_object_get(data_of(&r), "order_line_item_ids")), 2);
	rsp_free(&r);
	o = detail(&t, O_SHIP);
	ck_assert_str_eq(jstr(o, "status"), "AWAITING_COLLECTION");
	ut = jint(o, "update_time");
	ck_assert_int_eq(ut, C0 + 60);
	ck_assert_int_eq(json_array_size(json_object_get(o, "packages")), 2);
	ck_assert_str_eq(jstr(line_of(o, 3), "tracking_number"), TN_USPS2);
	json_decref(o);
	/* a retry of a completed ship: "already shipped" */
	r = ship(&t, O_SHIP, ship_body(TN_USPS2, P_USPS, 2, O_SHIP, rest));
	ASSERT_CODE(r, 200, 21011006);
	rsp_free(&r);
	/* without line ids on a fresh order: every unit in one package */
	r = ship(&t, O_TWO, ship_body(TN_USPS3, P_USPS, 0, NULL, NULL));
	ASSERT_CODE(r, 200, 0);
	ck_assert_int_eq(json_array_size(json_object_get(data_of(&r), "order_line_item_ids")), 2);
	rsp_free(&r);
	{
		char *st = state_status(&t, O_TWO);

		ck_assert_str_eq(st, "AWAITING_COLLECTION");
		free(st);
	}
	tt_stop(&t);
}
END_TEST

START_TEST(test_ship_refusals)
{
	struct tt t;
	struct rsp r;
	size_t i;
	static const int one[] = { 1 };
	static const struct {
		const char *order, *tracking, *provider;
		long http, code;
	} cases[] = {
		{ O_FBT, TN_USPS, P_USPS, 200, 21008025 },
		{ O_TT, TN_USPS, P_USPS, 200, 21011004 },
		{ O_CANCEL, TN_USPS, P_USPS, 200, 21011041 },
		{ O_UNPAID, TN_USPS, P_USPS, 200, 21042057 },
		{ O_HOLD, TN_USPS, P_USPS, 200, 21042057 },
		{ O_REQ, TN_USPS, P_USPS, 200, 21011007 },
		{ O_SHIPPED, TN_USPS, P_USPS, 200, 21011006 },
		{ "579999999999999999", TN_USPS, P_USPS, 200, 21008111 },
		{ O_SHOPB, TN_USPS, P_USPS, 200, 21008111 },	/* another shop's order */
		{ O_ONE, "123456789012", P_FEDEX, 200, 21011022 },	/* not in the option */
		{ O_ONE, TN_USPS, "7000000000000000000", 200, 21011022 },	/* unknown */
		{ O_ONE, "ABC123", P_USPS, 200, 21011022 },	/* fits no format */
		{ O_ONE, TN_UPS, P_USPS, 200, 21004015 },	/* fits UPS, not USPS */
		{ O_ONE, "9400 1118", P_USPS, 200, 21004012 },	/* special characters */
	};

	tt_start(&t, base_fixture(), "ship-refusals", 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = ship(&t, cases[i].order, ship_body(cases[i].tracking, cases[i].provider, 0,
						       NULL, NULL));
		ck_assert_msg(r.http == cases[i].http && r.code == cases[i].code,
			      "case %zu (%s %s): HTTP %ld code %ld: %s", i, cases[i].order,
			      cases[i].tracking, r.http, r.code, r.raw);
		rsp_free(&r);
	}
	/* a line item of another order */
	{
		char other[32];
		json_t *b;

		line_id(other, sizeof(other), O_SHIP, 1);
		b = json_pack("{s:s,s:s,s:[s]}", "tracking_number", TN_USPS,
			      "shipping_provider_id", P_USPS, "order_line_item_ids", other);
		r = ship(&t, O_ONE, b);
		ASSERT_CODE(r, 400, 21001001);
		rsp_free(&r);
	}
	/* nothing was shipped by any refusal */
	{
		char *st = state_status(&t, O_ONE);

		ck_assert_str_eq(st, "AWAITING_SHIPMENT");
		free(st);
	}
	/* one tracking number for two recipients: duplicate */
	r = ship(&t, O_ONE, ship_body(TN_USPS, P_USPS, 1, O_ONE, one));
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	r = ship(&t, O_OTHER_BUYER, ship_body(TN_USPS, P_USPS, 0, NULL, NULL));
	ASSERT_CODE(r, 200, 21011025);
	rsp_free(&r);
	/* ... but the same recipient may share it (consolidation) */
	r = ship(&t, O_TWO, ship_body(TN_USPS, P_USPS, 0, NULL, NULL));
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	tt_stop(&t);
}
END_TEST

START_TEST(test_ship_warning)
{
	struct tt t;
	struct rsp r;
	json_t *w;

	tt_start(&t, base_fixture(), "ship-warning", 1);
	/* "Other" accepts anything; a UPS-looking number earns the US warning */
	r = ship(&t, O_ONE, ship_body(TN_UPS, P_OTHER, 0, NULL, NULL));
	ASSERT_CODE(r, 200, 0);
	w = json_object_get(data_of(&r), "warning");
	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(strstr(jstr(w, "message"), "UPS"));
	rsp_free(&r);
	/* a number that fits only its own provider: no warning */
	r = ship(&t, O_TWO, ship_body(TN_UPS, P_UPS, 0, NULL, NULL));
	ASSERT_CODE(r, 200, 0);
	ck_assert_ptr_null(json_object_get(data_of(&r), "warning"));
	rsp_free(&r);
	tt_stop(&t);
}
END_TEST

/* ---- shipping-info updates ------------------------------------------------------------------------------- */

static char *ship_get_pkg(struct tt *t, const char *order, const char *tn, int idx)
{
	int ids[1];
	struct rsp r;
	char *pkg;

	ids[0] = idx;
	r = ship(t, order, ship_body(tn, P_USPS, idx ? 1 : 0, order, ids));
	ASSERT_CODE(r, 200, 0);
	pkg = strdup(jstr(data_of(&r), "package_id"));
	rsp_free(&r);
	return pkg;
}

START_TEST(test_update_once_and_window)
{
	struct tt t;
	struct rsp r;
	char *p1, *p2, *p3;
	json_t *o;

	tt_start(&t, base_fixture(), "update", 1);
	freeze_at(&t, C0);
	/* before shipment */
	r = update_order(&t, O_ONE, TN_USPS2, P_USPS);
	ASSERT_CODE(r, 200, 21011043);
	rsp_free(&r);
	p1 = ship_get_pkg(&t, O_ONE, TN_USPS, 0);
	/* once: the first correction works, the second is refused */
	advance(&t, 3600);
	r = update_pkg(&t, p1, TN_UPS, P_UPS);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	o = detail(&t, O_ONE);
	ck_assert_str_eq(jstr(line_of(o, 1), "tracking_number"), TN_UPS);
	ck_assert_str_eq(jstr(line_of(o, 1), "shipping_provider_name"), "UPS");
	ck_assert_str_eq(jstr(o, "tracking_number"), TN_UPS);
	json_decref(o);
	r = update_pkg(&t, p1, TN_USPS3, P_USPS);
	ASSERT_CODE(r, 200, 21011051);
	rsp_free(&r);

	/* the 72 h window, by the emulator clock */
	p2 = ship_get_pkg(&t, O_SHIP, TN_USPS2, 1);	/* shipped at C0 + 3600 */
	p3 = ship_get_pkg(&t, O_SHIP, TN_USPS3, 2);
	/* bad provider or tracking (a refused update does not count) */
	r = update_pkg(&t, p3, "123456789012", P_FEDEX);
	ASSERT_CODE(r, 200, 21011022);
	rsp_free(&r);
	r = update_pkg(&t, p3, TN_UPS, P_USPS);
	ASSERT_CODE(r, 200, 21011022);
	rsp_free(&r);
	advance(&t, 72 * 3600);			/* exactly 72 h later: still allowed */
	r = update_pkg(&t, p2, "9400111899223197428499", P_USPS);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	advance(&t, 1);				/* 72 h + 1 s: too late */
	r = update_pkg(&t, p3, "9400111899223197428498", P_USPS);
	ASSERT_CODE(r, 200, 21011049);
	rsp_free(&r);
	/* the order-level variant on an order with two packages */
	r = update_order(&t, O_SHIP, "9400111899223197428497", P_USPS);
	ASSERT_CODE(r, 200, 10007002);
	rsp_free(&r);
	r = update_pkg(&t, "1153999999999999999", TN_USPS, P_USPS);
	ASSERT_CODE(r, 200, 21011028);
	rsp_free(&r);
	free(p1);
	free(p2);
	free(p3);
	tt_stop(&t);
}
END_TEST

START_TEST(test_update_order_level_and_delivered)
{
	struct tt t;
	struct rsp r;
	char *p;
	json_t *ev;

	tt_start(&t, base_fixture(), "update-order", 1);
	freeze_at(&t, C0);
	p = ship_get_pkg(&t, O_TWO, TN_USPS, 0);
	r = update_order(&t, O_TWO, TN_USPS2, P_USPS);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	r = update_order(&t, O_TWO, TN_USPS3, P_USPS);
	ASSERT_CODE(r, 200, 21011051);
	rsp_free(&r);
	/* a delivered package cannot change */
	ev = event(&t, "{\"type\":\"delivered\",\"order_id\":\"" O_SHIPPED "\"}");
	ck_assert_str_eq(jstr(ev, "status"), "DELIVERED");
	json_decref(ev);
	r = update_pkg(&t, PKG_FIX, TN_USPS3, P_USPS);
	ASSERT_CODE(r, 200, 21011030);
	rsp_free(&r);
	/* TikTok-shipping packages are not the seller's to change */
	ev = event(&t, "{\"type\":\"buy_label\",\"order_id\":\"" O_TT "\"}");
	ck_assert_ptr_null(json_object_get(ev, "error"));
	json_decref(ev);
	r = update_order(&t, O_TT, TN_USPS3, P_USPS);
	ASSERT_CODE(r, 200, 21011004);
	rsp_free(&r);
	free(p);
	tt_stop(&t);
}
END_TEST

START_TEST(test_package_and_tracking)
{
	struct tt t;
	struct rsp r;
	char *pkg, path[256];
	json_t *d, *ev, *tr;

	tt_start(&t, base_fixture(), "package", 1);
	freeze_at(&t, C0);
	pkg = ship_get_pkg(&t, O_SHIP, TN_USPS, 1);
	snprintf(path, sizeof(path), "/fulfillment/202309/packages/%s", pkg);
	r = tt_call(&t, "GET", path, NULL, NULL);
	ASSERT_CODE(r, 200, 0);
	d = data_of(&r);
	ck_assert_str_eq(jstr(d, "package_id"), pkg);
	ck_assert_str_eq(jstr(d, "package_status"), "PROCESSING");
	ck_assert_str_eq(jstr(d, "tracking_number"), TN_USPS);
	ck_assert_str_eq(jstr(d, "shipping_provider_id"), P_USPS);
	ck_assert_str_eq(jstr(d, "shipping_type"), "SELLER");
	ck_assert_int_eq(json_array_size(json_object_get(d, "order_line_item_ids")), 1);
	ck_assert_str_eq(jstr(json_array_get(json_object_get(d, "orders"), 0), "id"), O_SHIP);
	ck_assert_int_eq(jint(d, "create_time"), C0);
	rsp_free(&r);
	/* the rest, then the carrier: IN_TRANSIT, then DELIVERED */
	free(ship_get_pkg(&t, O_SHIP, TN_USPS2, 2));
	free(ship_get_pkg(&t, O_SHIP, TN_USPS3, 3));
	advance(&t, 3600);
	ev = event(&t, "{\"type\":\"carrier_pickup\",\"order_id\":\"" O_SHIP "\"}");
	ck_assert_str_eq(jstr(ev, "status"), "IN_TRANSIT");
	ck_assert_int_eq(jint(ev, "collection_time"), C0 + 3600);
	json_decref(ev);
	r = tt_call(&t, "GET", path, NULL, NULL);
	ASSERT_CODE(r, 200, 0);
	ck_assert_str_eq(jstr(data_of(&r), "package_status"), "FULFILLING");
	rsp_free(&r);
	advance(&t, 86400);
	ev = event(&t, "{\"type\":\"delivered\",\"order_id\":\"" O_SHIP "\"}");
	ck_assert_str_eq(jstr(ev, "status"), "DELIVERED");
	json_decref(ev);
	r = tt_call(&t, "GET", path, NULL, NULL);
	ck_assert_str_eq(jstr(data_of(&r), "package_status"), "COMPLETED");
	rsp_free(&r);
	/* tracking: newest first, milliseconds */
	r = tt_call(&t, "GET", "/fulfillment/202309/orders/" O_SHIP "/tracking", NULL, NULL);
	ASSERT_CODE(r, 200, 0);
	tr = json_object_get(data_of(&r), "tracking");
	ck_assert_int_eq(json_array_size(tr), 5);
	ck_assert_int_eq(jint(json_array_get(tr, 0), "update_time_millis"),
			 (C0 + 3600 + 86400) * 1000);
	ck_assert_ptr_nonnull(strstr(jstr(json_array_get(tr, 0), "description"), "delivered"));
	ck_assert_int_eq(jint(json_array_get(tr, 4), "update_time_millis"), C0 * 1000);
	rsp_free(&r);
	/* a fixture order's history and an unknown package */
	r = tt_call(&t, "GET", "/fulfillment/202309/orders/" O_SHIPPED "/tracking", NULL, NULL);
	ASSERT_CODE(r, 200, 0);
	ck_assert_int_eq(json_array_size(json_object_get(data_of(&r), "tracking")), 2);
	rsp_free(&r);
	r = tt_call(&t, "GET", "/fulfillment/202309/packages/1153999999999999999", NULL, NULL);
	ASSERT_CODE(r, 200, 21008111);
	rsp_free(&r);
	free(pkg);
	tt_stop(&t);
}
END_TEST

/* ---- rate limit ------------------------------------------------------------------------------------------ */

START_TEST(test_rate_limit)
{
	struct tt t;
	struct rsp r;
	int i, limited = 0, ok = 0;
	const char *q[] = { "ids", O_SHIP, NULL };
	struct opts ob = { .token = TOKEN_AB, .cipher = CIPHER_B };
	const char *qb[] = { "ids", O_SHOPB, NULL };
	json_t *f = base_fixture();

	json_object_set_new(f, "rate_limit_qps", json_integer(1));
	tt_start(&t, f, "rate", 1);
	/* the fixture's rate: one per second */
	r = tt_call(&t, "GET", "/order/202309/orders", q, NULL);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	for (i = 0; i < 5; i++) {	/* 5 calls in under 1 s: one is limited */
		r = tt_call(&t, "GET", "/order/202309/orders", q, NULL);
		if (r.http == 429) {
			ASSERT_CODE(r, 429, 36009002);
			limited++;
		}
		rsp_free(&r);
	}
	ck_assert_int_ge(limited, 1);
	limited = 0;
	/* per API: another path has its own budget ... */
	r = tt_call(&t, "GET", "/logistics/202309/delivery_options/" OPT_STD "/shipping_providers",
		    NULL, NULL);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	/* ... and per shop: shop B's detail is not limited by shop A's */
	r = tt_call_o(&t, "GET", "/order/202309/orders", qb, NULL, &ob);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);

	/* changed at run time */
	ctl_ok(&t, "/_emu/config", "{\"rate_limit_qps\": 3}");
	for (i = 0; i < 30; i++) {
		r = tt_call(&t, "GET", "/authorization/202309/shops", NULL, NULL);
		if (r.http == 429) {
			ASSERT_CODE(r, 429, 36009002);
			limited++;
		} else {
			ASSERT_CODE(r, 200, 0);
			ok++;
		}
		rsp_free(&r);
	}
	ck_assert_int_ge(ok, 3);
	ck_assert_int_ge(limited, 1);
	/* the 429 is logged with the gateway's body and nothing executed */
	ctl_ok(&t, "/_emu/config", "{\"rate_limit_qps\": 1}");
	r = ship(&t, O_ONE, ship_body(TN_USPS, P_USPS, 0, NULL, NULL));
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	r = ship(&t, O_TWO, ship_body(TN_USPS2, P_USPS, 0, NULL, NULL));
	ASSERT_CODE(r, 429, 36009002);
	rsp_free(&r);
	{
		char *st = state_status(&t, O_TWO);

		ck_assert_str_eq(st, "AWAITING_SHIPMENT");
		free(st);
	}
	tt_stop(&t);
}
END_TEST

/* ---- scripted faults ----------------------------------------------------------------------------------------- */

START_TEST(test_fault_status)
{
	struct tt t;
	struct rsp r;
	json_t *j;

	tt_start(&t, base_fixture(), "fault-status", 1);
	/* 429 with Retry-After, the platform's own body */
	ctl_ok(&t, "/_emu/faults", "{\"match\":{\"path\":\"/authorization/202309/shops\"},"
	       "\"kind\":\"status\",\"status\":429,\"retry_after\":\"2\"}");
	r = tt_call(&t, "GET", "/authorization/202309/shops", NULL, NULL);
	ASSERT_CODE(r, 429, 36009002);
	ck_assert_ptr_nonnull(header_value(&r, "Retry-After"));
	ck_assert_str_eq(header_value(&r, "Retry-After"), "2");
	rsp_free(&r);
	r = tt_call(&t, "GET", "/authorization/202309/shops", NULL, NULL);
	ASSERT_CODE(r, 200, 0);	/* spent */
	rsp_free(&r);
	/* 429 without Retry-After */
	ctl_ok(&t, "/_emu/faults", "{\"kind\":\"status\",\"status\":429}");
	r = tt_call(&t, "GET", "/authorization/202309/shops", NULL, NULL);
	ASSERT_CODE(r, 429, 36009002);
	ck_assert_ptr_null(header_value(&r, "Retry-After"));
	rsp_free(&r);
	/* 500 and 503 */
	ctl_ok(&t, "/_emu/faults", "{\"kind\":\"status\",\"status\":500}");
	r = tt_call(&t, "GET", "/authorization/202309/shops", NULL, NULL);
	ASSERT_CODE(r, 500, 36009003);
	rsp_free(&r);
	ctl_ok(&t, "/_emu/faults", "{\"kind\":\"status\",\"status\":503,\"count\":2}");
	r = tt_call(&t, "GET", "/authorization/202309/shops", NULL, NULL);
	ASSERT_CODE(r, 503, 36009003);
	rsp_free(&r);
	/* a scripted status executes nothing */
	r = ship(&t, O_ONE, ship_body(TN_USPS, P_USPS, 0, NULL, NULL));
	ASSERT_CODE(r, 503, 36009003);
	rsp_free(&r);
	{
		char *st = state_status(&t, O_ONE);

		ck_assert_str_eq(st, "AWAITING_SHIPMENT");
		free(st);
	}
	/* a given body */
	ctl_ok(&t, "/_emu/faults", "{\"kind\":\"status\",\"status\":500,\"body\":"
	       "\"{\\\"code\\\":36009007,\\\"message\\\":\\\"Request timeout\\\","
	       "\\\"request_id\\\":\\\"1\\\",\\\"data\\\":null}\"}");
	r = tt_call(&t, "GET", "/authorization/202309/shops", NULL, NULL);
	ASSERT_CODE(r, 500, 36009007);
	rsp_free(&r);
	/* the log says which fault applied */
	j = harness_emu_log(&t.p);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(jstr(json_array_get(j, 0), "fault"), "status");
	ck_assert_int_eq(jint(json_array_get(j, 0), "status"), 429);
	ck_assert_ptr_null(json_object_get(json_array_get(j, 1), "fault"));
	json_decref(j);
	tt_stop(&t);
}
END_TEST

struct hang_arg {
	struct tt *t;
	struct rsp r;
	long timeout_ms;
};

static void *hang_thread(void *arg)
{
	struct hang_arg *h = arg;
	struct opts o = { .timeout_ms = h->timeout_ms };
	const char *q[] = { "page_size", "10", NULL };

	h->r = tt_call_o(h->t, "POST", "/order/202309/orders/search", q, "{}", &o);
	return NULL;
}

/* Wait (bounded) until the emulator has taken every scripted fault. */
static void wait_faults_taken(struct tt *t)
{
	int i;

	for (i = 0; i < 500; i++) {
		json_t *j = harness_emu_get(&t->p, "/_emu/faults");
		size_t n = json_array_size(json_object_get(j, "faults"));
		struct timespec ts = { 0, 10 * 1000000L };

		json_decref(j);
		if (n == 0)
			return;
		nanosleep(&ts, NULL);
	}
	ck_abort_msg("the scripted fault was never taken");
}

START_TEST(test_fault_delay_and_hang)
{
	struct tt t;
	struct rsp r;
	struct hang_arg h;
	pthread_t th;

	tt_start(&t, base_fixture(), "fault-delay", 1);
	ctl_ok(&t, "/_emu/faults", "{\"kind\":\"delay\",\"ms\":400,"
	       "\"match\":{\"path\":\"/authorization/202309/shops\"}}");
	r = tt_call(&t, "GET", "/authorization/202309/shops", NULL, NULL);
	ASSERT_CODE(r, 200, 0);
	ck_assert_msg(r.secs >= 0.39, "delay fault answered after %.3f s", r.secs);
	rsp_free(&r);
	/* a hang holds only its own connection */
	ctl_ok(&t, "/_emu/faults", "{\"kind\":\"hang\",\"match\":{\"method\":\"POST\","
	       "\"path\":\"/order/202309/orders/search\"}}");
	memset(&h, 0, sizeof(h));
	h.t = &t;
	h.timeout_ms = 1500;
	ck_assert_int_eq(pthread_create(&th, NULL, hang_thread, &h), 0);
	wait_faults_taken(&t);
	r = tt_call(&t, "GET", "/authorization/202309/shops", NULL, NULL);
	ASSERT_CODE(r, 200, 0);
	ck_assert_msg(r.secs < 1.0, "a hung connection slowed another one (%.3f s)", r.secs);
	rsp_free(&r);
	pthread_join(th, NULL);
	ck_assert_int_eq(h.r.curl_rc, CURLE_OPERATION_TIMEDOUT);
	rsp_free(&h.r);
	/* spent: the next search answers */
	h.timeout_ms = 5000;
	hang_thread(&h);
	ASSERT_CODE(h.r, 200, 0);
	rsp_free(&h.r);
	tt_stop(&t);
}
END_TEST

START_TEST(test_latency)
{
	struct tt t;
	struct rsp r;
	const char *args[] = { "--latency-ms", "300", NULL };
	json_t *j;

	tt_start_args(&t, base_fixture(), "latency", 1, args);
	r = tt_call(&t, "GET", "/authorization/202309/shops", NULL, NULL);
	ASSERT_CODE(r, 200, 0);
	ck_assert_msg(r.secs >= 0.29, "--latency-ms 300 answered after %.3f s", r.secs);
	rsp_free(&r);
	/* control endpoints are not delayed; latency changes at run time */
	j = harness_emu_post(&t.p, "/_emu/config", "{\"latency_ms\": 0}");
	ck_assert(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	r = tt_call(&t, "GET", "/authorization/202309/shops", NULL, NULL);
	ASSERT_CODE(r, 200, 0);
	ck_assert_msg(r.secs < 0.29, "latency 0 answered after %.3f s", r.secs);
	rsp_free(&r);
	/* unknown settings are refused */
	j = harness_emu_post(&t.p, "/_emu/config", "{\"speed\": 11}");
	ck_assert_ptr_nonnull(json_object_get(j, "error"));
	json_decref(j);
	tt_stop(&t);
}
END_TEST

START_TEST(test_fault_drops)
{
	struct tt t;
	struct rsp r;
	json_t *log, *e;
	char *st;
	size_t i;
	int saw_before = 0, saw_after = 0;

	tt_start(&t, base_fixture(), "fault-drop", 1);
	/* before: nothing executed, no answer */
	ctl_ok(&t, "/_emu/faults", "{\"kind\":\"drop_before\",\"match\":{\"path\":"
	       "\"/fulfillment/202309/orders/*\"}}");
	r = ship(&t, O_ONE, ship_body(TN_USPS, P_USPS, 0, NULL, NULL));
	ck_assert_int_eq(r.curl_rc, CURLE_GOT_NOTHING);
	rsp_free(&r);
	st = state_status(&t, O_ONE);
	ck_assert_str_eq(st, "AWAITING_SHIPMENT");
	free(st);
	r = ship(&t, O_ONE, ship_body(TN_USPS, P_USPS, 0, NULL, NULL));
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	/* after: committed, no answer; the retry meets "already shipped" */
	ctl_ok(&t, "/_emu/faults", "{\"kind\":\"drop_after\",\"match\":{\"method\":\"POST\"}}");
	r = ship(&t, O_TWO, ship_body(TN_USPS2, P_USPS, 0, NULL, NULL));
	ck_assert_int_eq(r.curl_rc, CURLE_GOT_NOTHING);
	rsp_free(&r);
	st = state_status(&t, O_TWO);
	ck_assert_str_eq(st, "AWAITING_COLLECTION");
	free(st);
	r = ship(&t, O_TWO, ship_body(TN_USPS2, P_USPS, 0, NULL, NULL));
	ASSERT_CODE(r, 200, 21011006);
	rsp_free(&r);
	log = harness_emu_log(&t.p);
	json_array_foreach(log, i, e) {
		if (strcmp(jstr(e, "fault"), "drop_before") == 0) {
			saw_before = 1;
			ck_assert(json_is_null(json_object_get(e, "response")));
		}
		if (strcmp(jstr(e, "fault"), "drop_after") == 0) {
			saw_after = 1;
			ck_assert(json_is_null(json_object_get(e, "response")));
		}
	}
	ck_assert(saw_before && saw_after);
	json_decref(log);
	tt_stop(&t);
}
END_TEST

START_TEST(test_fault_truncate_and_invalid_json)
{
	struct tt t;
	struct rsp r;
	char *st;
	const char *q[] = { "ids", O_SHIP, NULL };

	tt_start(&t, base_fixture(), "fault-corrupt", 0);
	/* truncate: executed, half a body, then the connection closes */
	ctl_ok(&t, "/_emu/faults", "{\"kind\":\"truncate\"}");
	r = ship(&t, O_ONE, ship_body(TN_USPS, P_USPS, 0, NULL, NULL));
	ck_assert_int_eq(r.curl_rc, CURLE_PARTIAL_FILE);
	ck_assert_int_gt(strlen(r.raw), 10);
	ck_assert_ptr_null(r.j);
	rsp_free(&r);
	st = state_status(&t, O_ONE);
	ck_assert_str_eq(st, "AWAITING_COLLECTION");
	free(st);
	/* invalid_json: executed, 200 with a body that is not JSON */
	ctl_ok(&t, "/_emu/faults", "{\"kind\":\"invalid_json\",\"count\":2}");
	r = ship(&t, O_TWO, ship_body(TN_USPS2, P_USPS, 0, NULL, NULL));
	ck_assert_int_eq(r.curl_rc, CURLE_OK);
	ck_assert_int_eq(r.http, 200);
	ck_assert_ptr_null(r.j);
	rsp_free(&r);
	st = state_status(&t, O_TWO);
	ck_assert_str_eq(st, "AWAITING_COLLECTION");
	free(st);
	r = tt_call(&t, "GET", "/order/202309/orders", q, NULL);
	ck_assert_int_eq(r.http, 200);
	ck_assert_ptr_null(r.j);
	rsp_free(&r);
	r = tt_call(&t, "GET", "/order/202309/orders", q, NULL);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	tt_stop(&t);
}
END_TEST

START_TEST(test_fault_matching)
{
	struct tt t;
	struct rsp r;
	json_t *j;
	const char *q[] = { "ids", O_SHIP, NULL };
	const char *sq[] = { "page_size", "5", NULL };

	tt_start(&t, base_fixture(), "fault-match", 1);
	ctl_ok(&t, "/_emu/faults", "{\"match\":{\"path\":\"/order/*\"},\"kind\":\"status\","
	       "\"status\":503,\"count\":2}");
	j = harness_emu_get(&t.p, "/_emu/faults");
	ck_assert_int_eq(json_array_size(json_object_get(j, "faults")), 1);
	ck_assert_int_eq(jint(json_array_get(json_object_get(j, "faults"), 0), "count"), 2);
	json_decref(j);
	r = tt_call(&t, "GET", "/authorization/202309/shops", NULL, NULL);
	ASSERT_CODE(r, 200, 0);	/* not matched */
	rsp_free(&r);
	r = tt_call(&t, "POST", "/order/202309/orders/search", sq, "{}");
	ck_assert_int_eq(r.http, 503);
	rsp_free(&r);
	j = harness_emu_get(&t.p, "/_emu/faults");
	ck_assert_int_eq(jint(json_array_get(json_object_get(j, "faults"), 0), "count"), 1);
	json_decref(j);
	r = tt_call(&t, "GET", "/order/202309/orders", q, NULL);
	ck_assert_int_eq(r.http, 503);
	rsp_free(&r);
	r = tt_call(&t, "GET", "/order/202309/orders", q, NULL);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	j = harness_emu_get(&t.p, "/_emu/faults");
	ck_assert_int_eq(json_array_size(json_object_get(j, "faults")), 0);
	json_decref(j);
	/* method: only POSTs */
	ctl_ok(&t, "/_emu/faults", "{\"match\":{\"method\":\"POST\",\"path\":\"/order/*\"},"
	       "\"kind\":\"status\",\"status\":500}");
	r = tt_call(&t, "GET", "/order/202309/orders", q, NULL);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	/* DELETE clears */
	j = harness_emu_delete(&t.p, "/_emu/faults");
	ck_assert_int_eq(jint(j, "cleared"), 1);
	json_decref(j);
	r = tt_call(&t, "POST", "/order/202309/orders/search", sq, "{}");
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	/* a bad fault is refused */
	j = ctl_post(&t, "/_emu/faults", "{\"kind\":\"explode\"}");
	ck_assert_ptr_nonnull(json_object_get(j, "error"));
	json_decref(j);
	j = ctl_post(&t, "/_emu/faults", "{\"kind\":\"delay\"}");
	ck_assert_ptr_nonnull(json_object_get(j, "error"));
	json_decref(j);
	tt_stop(&t);
}
END_TEST

/* ---- the clock ------------------------------------------------------------------------------------------------- */

START_TEST(test_clock)
{
	struct tt t;
	json_t *j, *f, *o;
	long long now, a, b;
	struct rsp r;

	f = base_fixture();
	json_object_set_new(json_array_get(json_object_get(f, "tokens"), 0),
			    "access_token_expire_in", json_integer(1900000000LL));
	tt_start(&t, f, "clock", 1);
	now = emu_clock(&t);
	ck_assert_int_ge(now, C0);	/* the fixture's clock, ticking */
	ck_assert_int_lt(now, C0 + 120);
	j = ctl_post(&t, "/_emu/clock", "{\"set\": 1800000000}");
	ck_assert_int_ge(jint(j, "now"), 1800000000LL);
	ck_assert_int_lt(jint(j, "now"), 1800000005LL);
	json_decref(j);
	j = ctl_post(&t, "/_emu/clock", "{\"set\": 1800000000, \"freeze\": true}");
	ck_assert_int_eq(jint(j, "now"), 1800000000LL);
	ck_assert(json_is_true(json_object_get(j, "frozen")));
	json_decref(j);
	j = ctl_post(&t, "/_emu/clock", "{\"advance\": 3600}");
	ck_assert_int_eq(jint(j, "now"), 1800003600LL);
	json_decref(j);
	/* frozen: a request that takes a while does not move it */
	ctl_ok(&t, "/_emu/faults", "{\"kind\":\"delay\",\"ms\":1100}");
	r = tt_call(&t, "GET", "/authorization/202309/shops", NULL, NULL);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	ck_assert_int_eq(emu_clock(&t), 1800003600LL);
	/* the gateway follows it: a host-clock timestamp is now refused */
	{
		char ts[32];
		struct opts o2 = { .timestamp = ts };

		snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
		r = tt_call_o(&t, "GET", "/authorization/202309/shops", NULL, NULL, &o2);
		ASSERT_CODE(r, 400, 36009004);
		rsp_free(&r);
	}
	/* unfrozen: ticks on from there */
	j = ctl_post(&t, "/_emu/clock", "{\"freeze\": false}");
	ck_assert(json_is_false(json_object_get(j, "frozen")));
	json_decref(j);
	a = emu_clock(&t);
	ck_assert_int_ge(a, 1800003600LL);
	ck_assert_int_lt(a, 1800003605LL);
	j = ctl_post(&t, "/_emu/clock", "{\"advance\": -7200}");
	b = jint(j, "now");
	ck_assert_int_ge(b, a - 7200);
	ck_assert_int_lt(b, a - 7190);
	json_decref(j);
	/* bad requests */
	j = ctl_post(&t, "/_emu/clock", "{\"set\": \"soon\"}");
	ck_assert_ptr_nonnull(json_object_get(j, "error"));
	json_decref(j);
	j = ctl_post(&t, "/_emu/clock", "{\"set\": 1, \"advance\": 2}");
	ck_assert_ptr_nonnull(json_object_get(j, "error"));
	json_decref(j);
	tt_stop(&t);

	/* relative fixture times are offsets from the start-up clock */
	f = base_fixture();
	json_object_set_new(f, "relative_times", json_true());
	json_object_set_new(f, "clock", json_integer(-86400));
	json_object_set_new(json_array_get(json_object_get(f, "tokens"), 0),
			    "access_token_expire_in", json_integer(3600));
	o = json_array_get(json_object_get(f, "orders"), 0);
	json_object_set_new(o, "create_time", json_integer(-90000));
	json_object_set_new(o, "update_time", json_integer(-86500));
	tt_start(&t, f, "clock-relative", 1);
	now = emu_clock(&t);
	ck_assert_int_ge(now, (long long)time(NULL) - 86400 - 5);
	ck_assert_int_le(now, (long long)time(NULL) - 86400 + 1);
	o = detail(&t, O_SHIP);
	ck_assert_int_ge(jint(o, "create_time"), now - 90000 + 86400 - 5);
	ck_assert_int_le(jint(o, "create_time"), now - 90000 + 86400);
	json_decref(o);
	r = tt_call(&t, "GET", "/authorization/202309/shops", NULL, NULL);
	ASSERT_CODE(r, 200, 0);	/* expires an hour after start-up */
	rsp_free(&r);
	tt_stop(&t);
}
END_TEST

/* ---- platform events --------------------------------------------------------------------------------------- */

static void ev_ok(struct tt *t, const char *body, const char *want_status)
{
	json_t *j = event(t, body);

	ck_assert_msg(json_object_get(j, "error") == NULL, "event %s: %s", body,
		      jstr(j, "error"));
	if (want_status)
		ck_assert_msg(strcmp(jstr(j, "status"), want_status) == 0,
			      "event %s: status %s, want %s", body, jstr(j, "status"), want_status);
	json_decref(j);
}

static void ev_refused(struct tt *t, const char *body)
{
	json_t *j = event(t, body);

	ck_assert_msg(json_object_get(j, "error") != NULL, "event %s was not refused", body);
	json_decref(j);
}

START_TEST(test_events_payment_and_hold)
{
	struct tt t;
	json_t *o, *add;
	char *body;

	tt_start(&t, base_fixture(), "events-pay", 1);
	freeze_at(&t, C0);
	/* UNPAID: no address served */
	o = detail(&t, O_UNPAID);
	ck_assert_str_eq(jstr(o, "status"), "UNPAID");
	ck_assert_ptr_null(json_object_get(o, "recipient_address"));
	json_decref(o);
	ev_refused(&t, "{\"type\":\"hold_ends\",\"order_id\":\"" O_UNPAID "\"}");
	ev_ok(&t, "{\"type\":\"buyer_pays\",\"order_id\":\"" O_UNPAID "\"}", "ON_HOLD");
	o = detail(&t, O_UNPAID);
	ck_assert_int_eq(jint(o, "paid_time"), C0);
	ck_assert_int_eq(jint(o, "update_time"), C0);
	ck_assert_ptr_null(json_object_get(o, "recipient_address"));
	json_decref(o);
	advance(&t, 3600);
	ev_ok(&t, "{\"type\":\"hold_ends\",\"order_id\":\"" O_UNPAID "\"}", "AWAITING_SHIPMENT");
	o = detail(&t, O_UNPAID);
	ck_assert_int_eq(jint(o, "update_time"), C0 + 3600);
	ck_assert_ptr_nonnull(json_object_get(o, "recipient_address"));
	ck_assert_str_eq(jstr(line_of(o, 1), "display_status"), "AWAITING_SHIPMENT");
	json_decref(o);
	ev_refused(&t, "{\"type\":\"buyer_pays\",\"order_id\":\"" O_UNPAID "\"}");
	/* an order without hold goes straight to AWAITING_SHIPMENT */
	add = json_pack("{s:s,s:o}", "type", "add_order", "order",
			mk_order("579000000000000099", "UNPAID", "FULFILLMENT_BY_SELLER", "SELLER",
				 2, C0, C0));
	body = json_dumps(add, JSON_COMPACT);
	ev_ok(&t, body, "UNPAID");
	free(body);
	json_decref(add);
	ev_ok(&t, "{\"type\":\"buyer_pays\",\"order_id\":\"579000000000000099\"}",
	      "AWAITING_SHIPMENT");
	ev_refused(&t, "{\"type\":\"buyer_pays\",\"order_id\":\"579999999999999999\"}");
	ev_refused(&t, "{\"type\":\"no_such_event\",\"order_id\":\"" O_SHIP "\"}");
	tt_stop(&t);
}
END_TEST

START_TEST(test_events_tiktok_shipping)
{
	struct tt t;
	json_t *o, *j;
	struct rsp r;
	char l1[32], path[256];

	tt_start(&t, base_fixture(), "events-tts", 1);
	freeze_at(&t, C0);
	line_id(l1, sizeof(l1), O_TT, 1);
	ev_refused(&t, "{\"type\":\"buy_label\",\"order_id\":\"" O_ONE "\"}");	/* seller shipping */
	/* TikTok buys a label for one unit, then for the other */
	{
		char body[256];

		snprintf(body, sizeof(body), "{\"type\":\"buy_label\",\"order_id\":\"%s\","
			 "\"line_item_ids\":[\"%s\"]}", O_TT, l1);
		ev_ok(&t, body, "PARTIALLY_SHIPPING");
	}
	advance(&t, 60);
	ev_ok(&t, "{\"type\":\"buy_label\",\"order_id\":\"" O_TT "\",\"provider_id\":\"" P_UPS
	      "\",\"tracking_number\":\"" TN_UPS "\"}", "AWAITING_COLLECTION");
	o = detail(&t, O_TT);
	/* a generated number that fits the provider's format (^9[0-9]{21}$) */
	ck_assert_int_eq(strlen(jstr(line_of(o, 1), "tracking_number")), 22);
	ck_assert_int_eq(strspn(jstr(line_of(o, 1), "tracking_number"), "0123456789"), 22);
	ck_assert_int_eq(jstr(line_of(o, 1), "tracking_number")[0], '9');
	ck_assert_str_eq(jstr(line_of(o, 1), "shipping_provider_name"), "USPS");
	ck_assert_str_eq(jstr(line_of(o, 2), "tracking_number"), TN_UPS);
	ck_assert_str_eq(jstr(line_of(o, 2), "shipping_provider_id"), P_UPS);
	ck_assert_str_eq(jstr(line_of(o, 2), "display_status"), "AWAITING_COLLECTION");
	ck_assert_int_eq(jint(o, "update_time"), C0 + 60);
	snprintf(path, sizeof(path), "/fulfillment/202309/packages/%s",
		 jstr(line_of(o, 2), "package_id"));
	json_decref(o);
	r = tt_call(&t, "GET", path, NULL, NULL);
	ASSERT_CODE(r, 200, 0);
	ck_assert_str_eq(jstr(data_of(&r), "shipping_type"), "TIKTOK");
	ck_assert_str_eq(jstr(data_of(&r), "tracking_number"), TN_UPS);
	rsp_free(&r);
	ev_refused(&t, "{\"type\":\"complete\",\"order_id\":\"" O_TT "\"}");
	ev_refused(&t, "{\"type\":\"delivered\",\"order_id\":\"" O_TT "\"}");
	advance(&t, 60);
	ev_ok(&t, "{\"type\":\"carrier_pickup\",\"order_id\":\"" O_TT "\"}", "IN_TRANSIT");
	ev_refused(&t, "{\"type\":\"carrier_pickup\",\"order_id\":\"" O_TT "\"}");
	advance(&t, 60);
	ev_ok(&t, "{\"type\":\"delivered\",\"order_id\":\"" O_TT "\"}", "DELIVERED");
	advance(&t, 60);
	ev_ok(&t, "{\"type\":\"complete\",\"order_id\":\"" O_TT "\"}", "COMPLETED");
	o = detail(&t, O_TT);
	ck_assert_int_eq(jint(o, "collection_time"), C0 + 120);
	ck_assert_int_eq(jint(o, "delivery_time"), C0 + 180);
	ck_assert_int_eq(jint(o, "update_time"), C0 + 240);
	ck_assert_str_eq(jstr(line_of(o, 1), "display_status"), "COMPLETED");
	json_decref(o);
	/* the order search sees the move (update_time window) */
	{
		char b[128];
		const char *q[] = { "page_size", "10", "sort_field", "update_time", NULL };

		snprintf(b, sizeof(b), "{\"update_time_ge\":%lld}", C0 + 200);
		r = tt_call(&t, "POST", "/order/202309/orders/search", q, b);
		ASSERT_CODE(r, 200, 0);
		j = json_object_get(data_of(&r), "orders");
		ck_assert_int_eq(json_array_size(j), 0);	/* _lt defaults to now: C0+240 excluded */
		rsp_free(&r);
		snprintf(b, sizeof(b), "{\"update_time_ge\":%lld,\"update_time_lt\":%lld}",
			 C0 + 200, C0 + 241);
		r = tt_call(&t, "POST", "/order/202309/orders/search", q, b);
		ASSERT_CODE(r, 200, 0);
		j = json_object_get(data_of(&r), "orders");
		ck_assert_int_eq(json_array_size(j), 1);
		ck_assert_str_eq(jstr(json_array_get(j, 0), "id"), O_TT);
		rsp_free(&r);
	}
	tt_stop(&t);
}
END_TEST

START_TEST(test_events_cancel)
{
	struct tt t;
	json_t *o;
	struct rsp r;
	char body[256], l3[32];

	tt_start(&t, base_fixture(), "events-cancel", 1);
	freeze_at(&t, C0);
	/* the whole order */
	ev_ok(&t, "{\"type\":\"buyer_cancels\",\"order_id\":\"" O_HOLD "\"}", "CANCELLED");
	o = detail(&t, O_HOLD);
	ck_assert_str_eq(jstr(o, "cancellation_initiator"), "BUYER");
	ck_assert_int_eq(jint(o, "cancel_time"), C0);
	ck_assert_str_eq(jstr(line_of(o, 1), "display_status"), "CANCELLED");
	ck_assert_str_eq(jstr(line_of(o, 1), "cancel_user"), "BUYER");
	json_decref(o);
	/* one unit of three */
	line_id(l3, sizeof(l3), O_SHIP, 3);
	snprintf(body, sizeof(body), "{\"type\":\"buyer_cancels\",\"order_id\":\"%s\","
		 "\"line_item_ids\":[\"%s\"]}", O_SHIP, l3);
	ev_ok(&t, body, "AWAITING_SHIPMENT");
	r = ship(&t, O_SHIP, ship_body(TN_USPS, P_USPS, 0, NULL, NULL));
	ASSERT_CODE(r, 200, 0);
	ck_assert_int_eq(json_array_size(json_object_get(data_of(&r), "order_line_item_ids")), 2);
	rsp_free(&r);
	o = detail(&t, O_SHIP);
	ck_assert_str_eq(jstr(o, "status"), "AWAITING_COLLECTION");
	ck_assert_str_eq(jstr(line_of(o, 3), "display_status"), "CANCELLED");
	json_decref(o);
	ev_refused(&t, "{\"type\":\"buyer_cancels\",\"order_id\":\"" O_SHIP "\"}");	/* shipped */
	/* a pending cancel request blocks shipping */
	ev_ok(&t, "{\"type\":\"cancel_request\",\"order_id\":\"" O_ONE "\"}", "AWAITING_SHIPMENT");
	o = detail(&t, O_ONE);
	ck_assert(json_is_true(json_object_get(o, "is_buyer_request_cancel")));
	ck_assert_int_eq(jint(o, "request_cancel_time"), C0);
	json_decref(o);
	r = ship(&t, O_ONE, ship_body(TN_USPS2, P_USPS, 0, NULL, NULL));
	ASSERT_CODE(r, 200, 21011007);
	rsp_free(&r);
	ev_refused(&t, "{\"type\":\"cancel_request\",\"order_id\":\"" O_CANCEL "\"}");
	tt_stop(&t);
}
END_TEST

START_TEST(test_events_all_orders)
{
	struct tt t;
	json_t *j, *add;
	char *body;
	int i;

	tt_start(&t, base_fixture(), "events-star", 1);
	for (i = 0; i < 2; i++) {
		char id[32];

		snprintf(id, sizeof(id), "57900000000000009%d", i);
		add = json_pack("{s:s,s:o}", "type", "add_order", "order",
				mk_order(id, "UNPAID", "FULFILLMENT_BY_SELLER", "SELLER", 1, C0, C0));
		body = json_dumps(add, JSON_COMPACT);
		ev_ok(&t, body, "UNPAID");
		free(body);
		json_decref(add);
	}
	/* a duplicate id is refused */
	add = json_pack("{s:s,s:o}", "type", "add_order", "order",
			mk_order(O_SHIP, "UNPAID", "FULFILLMENT_BY_SELLER", "SELLER", 1, C0, C0));
	body = json_dumps(add, JSON_COMPACT);
	ev_refused(&t, body);
	free(body);
	json_decref(add);
	j = event(&t, "{\"type\":\"buyer_pays\",\"order_id\":\"*\"}");
	ck_assert_int_eq(jint(j, "orders_changed"), 3);
	json_decref(j);
	j = event(&t, "{\"type\":\"buyer_pays\",\"order_id\":\"*\"}");
	ck_assert_int_eq(jint(j, "orders_changed"), 0);
	json_decref(j);
	{
		char *st = state_status(&t, "579000000000000091");

		ck_assert_str_eq(st, "AWAITING_SHIPMENT");
		free(st);
	}
	tt_stop(&t);
}
END_TEST

/* ---- bad requests ------------------------------------------------------------------------------------------ */

START_TEST(test_bad_requests)
{
	struct tt t;
	struct rsp r;
	size_t i;
	char *big;
	const char *sq[] = { "page_size", "10", NULL };
	static const struct {
		const char *method, *path, *body;
		const char *q1, *v1;
		long http, code;
	} cases[] = {
		{ "GET", "/order/202309/nothing", NULL, NULL, NULL, 404, 36009009 },
		{ "GET", "/", NULL, NULL, NULL, 404, 36009009 },
		{ "GET", "/order/202309/orders/search", NULL, "page_size", "10", 405, 36009010 },
		{ "DELETE", "/fulfillment/202309/orders/" O_ONE "/packages", NULL, NULL, NULL,
		  405, 36009010 },
		/* the body */
		{ "POST", "/order/202309/orders/search", "{bad", "page_size", "10", 400, 36009004 },
		{ "POST", "/order/202309/orders/search", "[1,2]", "page_size", "10", 400, 36009004 },
		{ "POST", "/fulfillment/202309/orders/" O_ONE "/packages", "{\"tracking_number\":",
		  NULL, NULL, 400, 21001001 },
		/* wrong types */
		{ "POST", "/order/202309/orders/search", "{}", "page_size", "abc", 400, 36009004 },
		{ "POST", "/order/202309/orders/search", "{}", "page_size", "0", 400, 36009004 },
		{ "POST", "/order/202309/orders/search", "{}", "page_size", "101", 400, 36009004 },
		{ "POST", "/order/202309/orders/search", "{\"create_time_ge\":\"x\"}", "page_size",
		  "10", 400, 36009004 },
		{ "POST", "/order/202309/orders/search", "{\"order_status\":5}", "page_size", "10",
		  400, 36009004 },
		{ "POST", "/order/202309/orders/search", "{\"order_status\":\"SHIPPED\"}", "page_size",
		  "10", 400, 36009004 },
		{ "POST", "/order/202309/orders/search", "{\"is_buyer_request_cancel\":\"yes\"}",
		  "page_size", "10", 400, 36009004 },
		{ "POST", "/order/202309/orders/search", "{}", "sort_field", "paid_time", 400, 36009004 },
		{ "POST", "/fulfillment/202309/orders/" O_ONE "/packages",
		  "{\"tracking_number\":123,\"shipping_provider_id\":\"" P_USPS "\"}", NULL, NULL,
		  400, 21001001 },
		{ "POST", "/fulfillment/202309/orders/" O_ONE "/packages",
		  "{\"tracking_number\":\"" TN_USPS "\",\"shipping_provider_id\":\"" P_USPS "\","
		  "\"order_line_item_ids\":\"x\"}", NULL, NULL, 400, 21001001 },
		{ "POST", "/fulfillment/202309/orders/" O_ONE "/packages",
		  "{\"tracking_number\":\"" TN_USPS "\",\"shipping_provider_id\":\"" P_USPS "\","
		  "\"order_line_item_ids\":[1]}", NULL, NULL, 400, 21001001 },
		/* missing */
		{ "POST", "/order/202309/orders/search", "{}", NULL, NULL, 400, 36009004 },
		{ "GET", "/order/202309/orders", NULL, NULL, NULL, 400, 36009004 },
		{ "GET", "/order/202309/orders", NULL, "ids", "", 400, 36009004 },
		{ "POST", "/fulfillment/202309/orders/" O_ONE "/packages",
		  "{\"shipping_provider_id\":\"" P_USPS "\"}", NULL, NULL, 400, 21001001 },
		{ "POST", "/fulfillment/202309/orders/" O_ONE "/packages",
		  "{\"tracking_number\":\"" TN_USPS "\"}", NULL, NULL, 400, 21001001 },
		{ "POST", "/fulfillment/202309/orders/" O_ONE "/packages", NULL, NULL, NULL,
		  400, 21001001 },
		{ "POST", "/fulfillment/202309/packages/" PKG_FIX "/shipping_info/update", "{}",
		  NULL, NULL, 400, 21001001 },
		/* invalid UTF-8 */
		{ "POST", "/order/202309/orders/search", "{\"buyer_user_id\":\"\xff\xfe\"}",
		  "page_size", "10", 400, 36009004 },
	};

	tt_start(&t, base_fixture(), "bad", 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *q[] = { cases[i].q1, cases[i].v1, NULL };

		r = tt_call(&t, cases[i].method, cases[i].path, cases[i].q1 ? q : NULL,
			    cases[i].body);
		ck_assert_msg(r.http == cases[i].http && r.code == cases[i].code,
			      "case %zu (%s %s %s): HTTP %ld code %ld: %.300s", i, cases[i].method,
			      cases[i].path, cases[i].body ? cases[i].body : "", r.http, r.code,
			      r.raw);
		ck_assert_ptr_nonnull(json_object_get(r.j, "request_id"));
		rsp_free(&r);
	}
	/* the gateway's own parameters and headers */
	{
		static const struct {
			struct opts o;
			long http, code;
		} g[] = {
			{ { .no_app_key = 1 }, 400, 36009004 },
			{ { .no_sign = 1 }, 400, 36009004 },
			{ { .no_timestamp = 1 }, 400, 36009004 },
			{ { .timestamp = "abc" }, 400, 36009004 },
			{ { .timestamp = "-5" }, 400, 36009004 },
			{ { .sign = "xyz" }, 401, 106001 },
			{ { .ct = "" }, 400, 36009022 },
			{ { .ct = "text/plain" }, 400, 36009022 },
			{ { .token = "" }, 400, 36009004 },
			{ { .token = "TTP_nobody" }, 400, 36009004 },
			{ { .ct = "application/json; charset=utf-8" }, 200, 0 },
		};

		for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
			r = tt_call_o(&t, "POST", "/order/202309/orders/search", sq, "{}", &g[i].o);
			ck_assert_msg(r.http == g[i].http && r.code == g[i].code,
				      "gateway case %zu: HTTP %ld code %ld: %.300s", i, r.http,
				      r.code, r.raw);
			rsp_free(&r);
		}
	}
	{
		/* multipart bodies are not signed, and not accepted either */
		struct opts o = { .ct = "multipart/form-data; boundary=x" };

		r = tt_call_o(&t, "GET", "/authorization/202309/shops", NULL, NULL, &o);
		ASSERT_CODE(r, 400, 36009022);
		rsp_free(&r);
	}
	{
		/* wrong app_key */
		t.app_key = "someone_else";
		r = tt_call(&t, "POST", "/order/202309/orders/search", sq, "{}");
		ASSERT_CODE(r, 400, 36009004);
		rsp_free(&r);
		t.app_key = APP_KEY;
	}
	/* a huge body */
	big = malloc(2 * 1024 * 1024 + 64);
	ck_assert_ptr_nonnull(big);
	strcpy(big, "{\"buyer_user_id\":\"");
	memset(big + strlen(big), 'a', 2 * 1024 * 1024);
	strcpy(big + 18 + 2 * 1024 * 1024, "\"}");
	r = tt_call(&t, "POST", "/order/202309/orders/search", sq, big);
	ASSERT_CODE(r, 413, 36009021);
	rsp_free(&r);
	free(big);
	/* still serving, and every log line is JSON */
	r = tt_call(&t, "POST", "/order/202309/orders/search", sq, "{}");
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	{
		char *txt = harness_read_file(t.p.log_path), *line, *save = NULL;
		int n = 0;

		ck_assert_ptr_nonnull(txt);
		for (line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			json_t *j = json_loads(line, 0, NULL);

			ck_assert_msg(j != NULL, "log line is not JSON: %.200s", line);
			json_decref(j);
			n++;
		}
		ck_assert_int_ge(n, (int)(sizeof(cases) / sizeof(cases[0])) + 14);
		free(txt);
	}
	tt_stop(&t);
}
END_TEST

/* ---- concurrency, malformed HTTP, shutdown -------------------------------------------------------------------- */

#define CONCURRENT 80

START_TEST(test_concurrency_and_malformed_http)
{
	struct tt t;
	CURLM *m = curl_multi_init();
	CURL *h[CONCURRENT];
	struct buf bodies[CONCURRENT];
	struct curl_slist *hl[CONCURRENT];
	char url[8192];
	int i, running = 0, ok = 0;
	double t0;
	struct rsp r;

	tt_start(&t, base_fixture(), "concurrency", 1);
	ctl_ok(&t, "/_emu/faults", "{\"kind\":\"delay\",\"ms\":500,\"count\":80}");
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
	for (i = 0; i < CONCURRENT; i++) {
		hl[i] = tt_build(&t, "/authorization/202309/shops", NULL, NULL, NULL, url);
		memset(&bodies[i], 0, sizeof(bodies[i]));
		h[i] = curl_easy_init();
		curl_easy_setopt(h[i], CURLOPT_URL, url);
		curl_easy_setopt(h[i], CURLOPT_HTTPHEADER, hl[i]);
		curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, buf_add);
		curl_easy_setopt(h[i], CURLOPT_WRITEDATA, &bodies[i]);
		curl_easy_setopt(h[i], CURLOPT_TIMEOUT, 30L);
		curl_easy_setopt(h[i], CURLOPT_FRESH_CONNECT, 1L);
		curl_multi_add_handle(m, h[i]);
	}
	t0 = mono();
	do {
		curl_multi_perform(m, &running);
		if (running)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	} while (running);
	for (i = 0; i < CONCURRENT; i++) {
		long status = 0;
		json_t *j = json_loads(bodies[i].p ? bodies[i].p : "", 0, NULL);

		curl_easy_getinfo(h[i], CURLINFO_RESPONSE_CODE, &status);
		if (status == 200 && jint(j, "code") == 0)
			ok++;
		json_decref(j);
		curl_multi_remove_handle(m, h[i]);
		curl_easy_cleanup(h[i]);
		curl_slist_free_all(hl[i]);
		free(bodies[i].p);
	}
	curl_multi_cleanup(m);
	ck_assert_int_eq(ok, CONCURRENT);
	/* 80 x 500 ms one after another would take 40 s */
	ck_assert_msg(mono() - t0 < 10.0, "80 delayed requests took %.1f s", mono() - t0);

	/* garbage on the wire: the server answers or closes, and lives on */
	{
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sa;
		char junk[256];
		ssize_t n;

		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons((uint16_t)t.p.port);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		n = write(fd, "\x01\x02 NOT HTTP \xff\r\n\r\n", 18);
		ck_assert_int_eq(n, 18);
		n = read(fd, junk, sizeof(junk));
		ck_assert_int_ge(n, 0);
		close(fd);
	}
	r = tt_call(&t, "GET", "/authorization/202309/shops", NULL, NULL);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	tt_stop(&t);
}
END_TEST

START_TEST(test_sigterm_while_hanging)
{
	struct tt t;
	struct hang_arg h;
	pthread_t th;
	int status = 0, i;
	pid_t pid;

	tt_start(&t, base_fixture(), "sigterm", 1);
	ctl_ok(&t, "/_emu/faults", "{\"kind\":\"hang\"}");
	memset(&h, 0, sizeof(h));
	h.t = &t;
	h.timeout_ms = 20000;
	ck_assert_int_eq(pthread_create(&th, NULL, hang_thread, &h), 0);
	wait_faults_taken(&t);
	pid = t.p.pid;
	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	for (i = 0; i < 500; i++) {
		struct timespec ts = { 0, 10 * 1000000L };

		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		nanosleep(&ts, NULL);
	}
	ck_assert_msg(i < 500, "tiktok-emu did not stop within 5 s of SIGTERM");
	t.p.pid = 0;
	forget_emu(pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	pthread_join(th, NULL);
	ck_assert_int_ne(h.r.curl_rc, CURLE_OK);	/* its connection was closed */
	rsp_free(&h.r);
	tt_stop(&t);
}
END_TEST

/* ---- the oracle ------------------------------------------------------------------------------------------------- */

static int has_success(json_t *log, const char *method, const char *path_prefix)
{
	json_t *e;
	size_t i;

	json_array_foreach(log, i, e) {
		json_t *resp;
		int ok;

		if (strcmp(jstr(e, "method"), method) != 0 ||
		    strncmp(jstr(e, "path"), path_prefix, strlen(path_prefix)) != 0)
			continue;
		resp = json_loads(jstr(e, "response"), 0, NULL);
		ok = resp && jint(resp, "code") == 0 && json_is_object(json_object_get(resp, "data"));
		json_decref(resp);
		if (ok)
			return 1;
	}
	return 0;
}

START_TEST(test_spec_check)
{
	struct tt t;
	struct rsp r;
	char *pkg, *pkg2, path[256], checker[600];
	const char *argv[256];
	const char *logdir = getenv("TTSYNC_TEST_LOGDIR");
	char *names[200];
	size_t n = 0, k;
	struct run_result rr;
	json_t *log;
	static const int one[] = { 1 }, two[] = { 2 };
	const char *q[] = { "ids", O_SHIP "," O_SHIPPED, NULL };

	/* a tour of every endpoint, every answer a success */
	tt_start(&t, base_fixture(), "spec-tour", 1);
	r = tt_call(&t, "GET", "/authorization/202309/shops", NULL, NULL);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	{
		const char *sq[] = { "page_size", "3", "sort_field", "update_time",
				     "sort_order", "ASC", NULL };

		r = tt_call(&t, "POST", "/order/202309/orders/search", sq,
			    "{\"update_time_ge\":1,\"shipping_type\":\"SELLER\"}");
		ASSERT_CODE(r, 200, 0);
		rsp_free(&r);
	}
	r = tt_call(&t, "GET", "/order/202309/orders", q, NULL);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	r = tt_call(&t, "GET", "/logistics/202309/delivery_options/" OPT_STD "/shipping_providers",
		    NULL, NULL);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	r = ship(&t, O_SHIP, ship_body(TN_UPS, P_OTHER, 1, O_SHIP, one));	/* with a warning */
	ASSERT_CODE(r, 200, 0);
	pkg = strdup(jstr(data_of(&r), "package_id"));
	rsp_free(&r);
	r = ship(&t, O_SHIP, ship_body(TN_USPS, P_USPS, 1, O_SHIP, two));
	ASSERT_CODE(r, 200, 0);
	pkg2 = strdup(jstr(data_of(&r), "package_id"));
	rsp_free(&r);
	r = update_pkg(&t, pkg, TN_USPS2, P_USPS);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	free(ship_get_pkg(&t, O_ONE, TN_USPS3, 0));
	r = update_order(&t, O_ONE, "9400111899223197428477", P_USPS);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	snprintf(path, sizeof(path), "/fulfillment/202309/packages/%s", pkg2);
	r = tt_call(&t, "GET", path, NULL, NULL);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	r = tt_call(&t, "GET", "/fulfillment/202309/orders/" O_SHIP "/tracking", NULL, NULL);
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	r = refresh(&t, REFRESH_A, APP_SECRET, "refresh_token");
	ASSERT_CODE(r, 200, 0);
	rsp_free(&r);
	log = harness_emu_log(&t.p);
	ck_assert(has_success(log, "GET", "/authorization/202309/shops"));
	ck_assert(has_success(log, "POST", "/order/202309/orders/search"));
	ck_assert(has_success(log, "GET", "/order/202309/orders"));
	ck_assert(has_success(log, "GET", "/logistics/202309/delivery_options/"));
	ck_assert(has_success(log, "POST", "/fulfillment/202309/orders/" O_SHIP "/packages"));
	ck_assert(has_success(log, "POST", "/fulfillment/202309/packages/"));
	ck_assert(has_success(log, "POST", "/fulfillment/202309/orders/" O_ONE "/shipping_info"));
	ck_assert(has_success(log, "GET", "/fulfillment/202309/packages/"));
	ck_assert(has_success(log, "GET", "/fulfillment/202309/orders/" O_SHIP "/tracking"));
	json_decref(log);
	tt_stop(&t);
	free(pkg);
	free(pkg2);

	/* the oracle over this tour and every oracle log of this suite */
	snprintf(checker, sizeof(checker), "%s/tools/tiktok-spec-check", harness_shared());
	argv[n++] = "/usr/bin/env";
	argv[n++] = "python3";
	argv[n++] = checker;
	argv[n++] = t.p.log_path;
	if (logdir && *logdir) {
		DIR *d = opendir(logdir);
		struct dirent *de;

		ck_assert_ptr_nonnull(d);
		while ((de = readdir(d)) != NULL && n < 200) {
			char full[1024];

			if (strncmp(de->d_name, "tiktok-emu-", 11) != 0 ||
			    strcmp(de->d_name + strlen(de->d_name) - 4, ".log") != 0 ||
			    strcmp(de->d_name, "tiktok-emu-spec-tour.log") == 0)
				continue;
			snprintf(full, sizeof(full), "%s/%s", logdir, de->d_name);
			names[n] = strdup(full);
			argv[n] = names[n];
			n++;
		}
		closedir(d);
	}
	argv[n] = NULL;
	harness_run(argv, NULL, 120, &rr);
	ck_assert_msg(rr.status == 0, "tiktok-spec-check failed (%d):\n%.3000s\n%.1000s",
		      rr.status, rr.out, rr.err);
	ck_assert_ptr_nonnull(strstr(rr.out, "0 not conforming"));
	run_result_free(&rr);
	for (k = 4; k < n; k++)
		free(names[k]);
}
END_TEST

/* ---- suite -------------------------------------------------------------------------------------------------------- */

static Suite *tiktok_emu_suite(void)
{
	Suite *s = suite_create("tiktok_emu");
	TCase *tc = tcase_create("conformance");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_sign_official_vector);
	tcase_add_test(tc, test_sign_our_vectors);
	tcase_add_test(tc, test_sign_negative_controls);
	tcase_add_test(tc, test_timestamp_window);
	tcase_add_test(tc, test_token_expiry_and_refresh);
	tcase_add_test(tc, test_cipher_rules);
	tcase_add_test(tc, test_paging_sort_and_tokens);
	tcase_add_test(tc, test_paging_filters);
	tcase_add_test(tc, test_paging_token_rules);
	tcase_add_test(tc, test_detail_ids_limit);
	tcase_add_test(tc, test_providers);
	tcase_add_test(tc, test_ship_partial_then_rest);
	tcase_add_test(tc, test_ship_refusals);
	tcase_add_test(tc, test_ship_warning);
	tcase_add_test(tc, test_update_once_and_window);
	tcase_add_test(tc, test_update_order_level_and_delivered);
	tcase_add_test(tc, test_package_and_tracking);
	tcase_add_test(tc, test_rate_limit);
	tcase_add_test(tc, test_fault_status);
	tcase_add_test(tc, test_fault_delay_and_hang);
	tcase_add_test(tc, test_latency);
	tcase_add_test(tc, test_fault_drops);
	tcase_add_test(tc, test_fault_truncate_and_invalid_json);
	tcase_add_test(tc, test_fault_matching);
	tcase_add_test(tc, test_clock);
	tcase_add_test(tc, test_events_payment_and_hold);
	tcase_add_test(tc, test_events_tiktok_shipping);
	tcase_add_test(tc, test_events_cancel);
	tcase_add_test(tc, test_events_all_orders);
	tcase_add_test(tc, test_bad_requests);
	tcase_add_test(tc, test_concurrency_and_malformed_http);
	tcase_add_test(tc, test_sigterm_while_hanging);
	tcase_add_test(tc, test_spec_check);	/* last: reads the others' logs */
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	emu_pids = mmap(NULL, MAX_EMUS * sizeof(pid_t), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (emu_pids == MAP_FAILED)
		emu_pids = NULL;
	else
		memset(emu_pids, 0, MAX_EMUS * sizeof(pid_t));
	sr = srunner_create(tiktok_emu_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	stop_leftover_emus();
	if (emu_pids)
		munmap(emu_pids, MAX_EMUS * sizeof(pid_t));
	curl_global_cleanup();
	return failed == 0 ? 0 : 1;
}

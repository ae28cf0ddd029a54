/*
 * check_shopify_emu.c - conformance suite of build/shopify-emu, the Shopify
 * Admin GraphQL twin, driven over HTTP through tests/e2e/harness.h.
 *
 * Every valid GraphQL request goes to emulators whose request logs are
 * named shopify-<tag>.log; at the end the suite holds those logs against
 * Shopify's real schema with ../shared/tools/shopify-schema-check and fails
 * unless it exits 0. Requests that are invalid on purpose (syntax errors,
 * unknown fields, bad variables, malformed JSON) go to a separate
 * emulator whose log is invalid-shopify-<tag>.log, which the oracle skips.
 *
 * The emulators run in the parent process (Check's unchecked fixture);
 * tests that change limits, the clock or the catalogue start their own.
 */
#include <check.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "harness.h"

#define TOKEN "shpat_conformance_token"
#define API "/admin/api/2026-04/graphql.json"

static struct emu_proc E;	/* shared, valid requests only */
static struct emu_proc BAD;	/* deliberately invalid requests */
static char *fixture;		/* path of the fixture file */
static char *workdir;

/* The tags of the emulators whose logs hold only valid requests: the
 * oracle checks $TTSYNC_TEST_LOGDIR/shopify-<tag>.log for each. */
static const char *const valid_tags[] = {
	"conformance", "paging", "limits", "devstore", "faults", "events", "concurrency",
};

static const char fixture_json[] =
	"{\n"
	" \"shop\": {\"name\": \"Conformance Store\", \"myshopifyDomain\": \"conformance.myshopify.com\",\n"
	"          \"currencyCode\": \"USD\", \"email\": \"owner@conformance.example\"},\n"
	" \"access_tokens\": [\"" TOKEN "\"],\n"
	" \"locations\": [{\"id\": \"gid://shopify/Location/1\", \"name\": \"Main warehouse\"},\n"
	"                 {\"id\": \"gid://shopify/Location/2\", \"name\": \"Overflow\"}],\n"
	" \"next_order_number\": 1001,\n"
	" \"limits\": {\"bucket_size\": 2000, \"restore_rate\": 100, \"throttle_http_status\": 200,\n"
	"            \"dev_store_order_limit\": false},\n"
	" \"products\": [\n"
	"  {\"id\": \"gid://shopify/Product/1\", \"title\": \"Tee\", \"status\": \"ACTIVE\",\n"
	"   \"variants\": [{\"id\": \"gid://shopify/ProductVariant/11\", \"sku\": \"TEE-RED-M\", \"title\": \"Red / M\", \"price\": \"20.00\"},\n"
	"                {\"id\": \"gid://shopify/ProductVariant/12\", \"sku\": \"TEE-BLUE-M\", \"title\": \"Blue / M\", \"price\": \"21.50\"}]},\n"
	"  {\"id\": \"gid://shopify/Product/2\", \"title\": \"Mug\", \"status\": \"ACTIVE\",\n"
	"   \"variants\": [{\"id\": \"gid://shopify/ProductVariant/21\", \"sku\": \"MUG-1\", \"title\": \"Default Title\", \"price\": \"9.50\"},\n"
	"                {\"id\": \"gid://shopify/ProductVariant/22\", \"sku\": \"DUP-SKU\", \"title\": \"Dup A\", \"price\": \"1.00\"},\n"
	"                {\"id\": \"gid://shopify/ProductVariant/23\", \"sku\": \"DUP-SKU\", \"title\": \"Dup B\", \"price\": \"1.00\"},\n"
	"                {\"id\": \"gid://shopify/ProductVariant/24\", \"sku\": \"SKU WITH SPACE\", \"title\": \"Spaced\", \"price\": \"2.00\"},\n"
	"                {\"id\": \"gid://shopify/ProductVariant/25\", \"sku\": \"O'NEIL-1\", \"title\": \"Quote\", \"price\": \"3.00\"},\n"
	"                {\"id\": \"gid://shopify/ProductVariant/26\", \"sku\": \"dup-sku\", \"title\": \"Lower\", \"price\": \"1.00\"}]}\n"
	" ],\n"
	" \"orders\": [\n"
	"  {\"name\": \"#990\", \"sourceName\": \"other-connector\", \"sourceIdentifier\": \"579000000000000042\",\n"
	"   \"tags\": [\"TikTok\"], \"processedAt\": \"2026-05-01T10:00:00Z\", \"email\": \"a@example.com\",\n"
	"   \"lineItems\": [{\"variantId\": \"gid://shopify/ProductVariant/11\", \"quantity\": 1, \"price\": \"17.00\",\n"
	"                   \"requiresShipping\": true}]},\n"
	"  {\"name\": \"#991\", \"sourceIdentifier\": \"579000000000000043\", \"tags\": [\"TikTok Shop\", \"TikTok Shop Sample\"],\n"
	"   \"processedAt\": \"2026-05-02T10:00:00Z\", \"updatedAt\": \"2026-05-04T12:00:00Z\",\n"
	"   \"lineItems\": [{\"sku\": \"MUG-1\", \"quantity\": 2, \"requiresShipping\": true}],\n"
	"   \"transactions\": [{\"amountSet\": {\"shopMoney\": {\"amount\": \"19.00\", \"currencyCode\": \"USD\"}}}],\n"
	"   \"fulfillments\": [{\"company\": \"UPS\", \"number\": \"1Z999AA10123456784\",\n"
	"                       \"events\": [{\"status\": \"IN_TRANSIT\", \"happenedAt\": \"2026-05-03T08:00:00Z\"}]}]},\n"
	"  {\"name\": \"#992\", \"sourceIdentifier\": \"579000000000000044\", \"tags\": [\"TikTok Shop\"],\n"
	"   \"processedAt\": \"2026-05-03T10:00:00Z\", \"cancelledAt\": \"2026-05-03T11:00:00Z\", \"cancelReason\": \"CUSTOMER\",\n"
	"   \"lineItems\": [{\"variantId\": \"gid://shopify/ProductVariant/12\", \"quantity\": 1, \"requiresShipping\": true}]}\n"
	" ]\n"
	"}\n";

/* ------------------------------------------------------------------ */
/* HTTP helpers                                                         */

struct resp {
	long status;
	char *raw;
	json_t *body;
	char retry_after[32];
	char api_version[32];
	int failed;		/* no HTTP response (dropped, timed out) */
};

struct buf {
	char *p;
	size_t n;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;
	size_t add = size * nmemb;

	b->p = xrealloc(b->p, b->n + add + 1);
	memcpy(b->p + b->n, ptr, add);
	b->n += add;
	b->p[b->n] = '\0';
	return add;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct resp *r = ud;
	size_t n = size * nmemb;
	char line[256];
	size_t k;

	if (n >= sizeof(line))
		return n;
	memcpy(line, ptr, n);
	line[n] = '\0';
	for (k = n; k > 0 && (line[k - 1] == '\r' || line[k - 1] == '\n'); k--)
		line[k - 1] = '\0';
	if (strncasecmp(line, "Retry-After: ", 13) == 0)
		snprintf(r->retry_after, sizeof(r->retry_after), "%.31s", line + 13);
	if (strncasecmp(line, "X-Shopify-API-Version: ", 23) == 0)
		snprintf(r->api_version, sizeof(r->api_version), "%.31s", line + 23);
	return n;
}

static void resp_free(struct resp *r)
{
	free(r->raw);
	json_decref(r->body);
	memset(r, 0, sizeof(*r));
}

/* POST (or `method`) body to p + path. token NULL: no token header. */
static void http_req(const struct emu_proc *p, const char *method, const char *path,
		     const char *token, const char *content_type, const char *body,
		     long timeout_ms, struct resp *r)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hl = NULL;
	struct buf b = { NULL, 0 };
	char url[600], hdr[256];

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "%s%s", p->base_url, path);
	if (token) {
		snprintf(hdr, sizeof(hdr), "X-Shopify-Access-Token: %s", token);
		hl = curl_slist_append(hl, hdr);
	}
	snprintf(hdr, sizeof(hdr), "Content-Type: %s", content_type ? content_type : "application/json");
	hl = curl_slist_append(hl, hdr);
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 30000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (curl_easy_perform(c) != CURLE_OK)
		r->failed = 1;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	r->raw = b.p ? b.p : xstrdup("");
	r->body = json_loads(r->raw, JSON_DECODE_ANY, NULL);
}

/* A GraphQL request: {"query", "variables", "operationName"}. */
static void gql_req(const struct emu_proc *p, const char *query, json_t *vars,
		    const char *opname, struct resp *r)
{
	json_t *req = json_pack("{s:s,s:o}", "query", query, "variables", vars ? vars : json_object());
	char *body;

	if (opname)
		json_object_set_new(req, "operationName", json_string(opname));
	body = json_dumps(req, JSON_COMPACT);
	http_req(p, "POST", API, TOKEN, NULL, body, 0, r);
	free(body);
	json_decref(req);
}

/* A valid request on p: asserts HTTP 200 and no top-level errors; returns
 * the body (caller decrefs). */
static json_t *gq_on(const struct emu_proc *p, const char *query, json_t *vars)
{
	struct resp r;
	json_t *b;

	gql_req(p, query, vars, NULL, &r);
	ck_assert_msg(r.status == 200, "HTTP %ld: %s", r.status, r.raw);
	ck_assert_msg(r.body && !json_object_get(r.body, "errors"), "errors: %s", r.raw);
	b = json_incref(r.body);
	resp_free(&r);
	return b;
}

static json_t *gq(const char *query, json_t *vars)
{
	return gq_on(&E, query, vars);
}

/* A dotted path into JSON: "data.orders.nodes.0.id". */
static json_t *jp(json_t *j, const char *path)
{
	char *copy = xstrdup(path), *tok, *save = NULL;

	for (tok = strtok_r(copy, ".", &save); tok && j; tok = strtok_r(NULL, ".", &save)) {
		if (json_is_array(j))
			j = json_array_get(j, (size_t)atoi(tok));
		else
			j = json_object_get(j, tok);
	}
	free(copy);
	return j;
}

static const char *js(json_t *j, const char *path)
{
	const char *s = json_string_value(jp(j, path));

	return s ? s : "(null)";
}

static long long ji(json_t *j, const char *path)
{
	return (long long)json_integer_value(jp(j, path));
}

static json_t *ctl_post(const struct emu_proc *p, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static json_t *ctl_post(const struct emu_proc *p, const char *path, const char *fmt, ...)
{
	va_list ap;
	char *body;
	json_t *j;

	va_start(ap, fmt);
	if (vasprintf(&body, fmt, ap) < 0)
		body = NULL;
	va_end(ap);
	j = harness_emu_post(p, path, body);
	free(body);
	return j;
}

/* Emulators a test started: stopped at exit too, so a failing assertion
 * (which ends the forked test) leaves no process behind. */
static struct emu_proc started[8];
static size_t nstarted;

static void stop_started(void)
{
	size_t i;

	for (i = 0; i < nstarted; i++)
		harness_stop_emu(&started[i]);
	nstarted = 0;
}

static void start(const char *tag, struct emu_proc *p, const char *log_name)
{
	const char *logdir = getenv("TTSYNC_TEST_LOGDIR");
	const char *extra[3] = { NULL, NULL, NULL };
	char logpath[600];

	if (log_name) {
		/* a log the schema oracle must not see: "invalid-shopify-<tag>.log" */
		snprintf(logpath, sizeof(logpath), "%s/%s", logdir && *logdir ? logdir : workdir, log_name);
		extra[0] = "--log";
		extra[1] = logpath;
	}
	ck_assert_msg(harness_start_emu("shopify", fixture, tag, extra, p) == 0,
		      "shopify-emu did not start");
	if (nstarted == 0)
		atexit(stop_started);
	if (nstarted < ARRAY_SIZE(started))
		started[nstarted++] = *p;
}

/* Stop an emulator start() started. */
static void stop(struct emu_proc *p)
{
	size_t i;

	for (i = 0; i < nstarted; i++)
		if (started[i].pid == p->pid)
			started[i].pid = 0;
	harness_stop_emu(p);
}

/* ------------------------------------------------------------------ */
/* documents                                                            */

static const char ORDER_CREATE[] =
	"mutation ImportOrder($order: OrderCreateOrderInput!, $options: OrderCreateOptionsInput) {\n"
	"  orderCreate(order: $order, options: $options) {\n"
	"    order { id legacyResourceId name createdAt processedAt sourceIdentifier tags note email\n"
	"      displayFinancialStatus displayFulfillmentStatus currencyCode\n"
	"      customAttributes { key value }\n"
	"      subtotalPriceSet { shopMoney { amount currencyCode } }\n"
	"      totalTaxSet { shopMoney { amount } }\n"
	"      totalShippingPriceSet { shopMoney { amount } }\n"
	"      totalDiscountsSet { shopMoney { amount } }\n"
	"      totalPriceSet { shopMoney { amount currencyCode } presentmentMoney { amount } }\n"
	"      customer { email firstName lastName }\n"
	"      shippingAddress { name city provinceCode countryCodeV2 country }\n"
	"      metafield(namespace: \"ttsync\", key: \"tiktok_order_id\") { value type }\n"
	"      lineItems(first: 10) { nodes { id sku title quantity requiresShipping variant { id }\n"
	"        originalUnitPriceSet { shopMoney { amount } } discountedTotalSet { shopMoney { amount } }\n"
	"        taxLines { title rate priceSet { shopMoney { amount } } } } }\n"
	"      fulfillmentOrders(first: 5) { nodes { id status requestStatus assignedLocation { location { id } }\n"
	"        supportedActions { action }\n"
	"        lineItems(first: 10) { nodes { id totalQuantity remainingQuantity lineItem { id sku } } } } }\n"
	"    }\n"
	"    userErrors { field message code }\n"
	"  }\n"
	"}\n";

/* A minimal order input: one line of TEE-RED-M x qty at 9.50, shipping. */
static json_t *order_input(const char *source_id, int qty)
{
	return json_pack("{s:s,s:[s],s:s,s:[{s:s,s:i,s:{s:{s:s,s:s}},s:b}],"
			 "s:[{s:s,s:{s:{s:s,s:s}}}]}",
			 "sourceIdentifier", source_id, "tags", "TikTok Shop",
			 "email", "buyer@example.com",
			 "lineItems", "variantId", "gid://shopify/ProductVariant/11", "quantity", qty,
			 "priceSet", "shopMoney", "amount", "9.50", "currencyCode", "USD",
			 "requiresShipping", 1,
			 "shippingLines", "title", "Standard Shipping", "priceSet", "shopMoney",
			 "amount", "0.00", "currencyCode", "USD");
}

/* orderCreate on p; returns the order object (a new reference). */
static json_t *create_order_on(const struct emu_proc *p, json_t *input)
{
	json_t *r = gq_on(p, ORDER_CREATE, json_pack("{s:o}", "order", input)), *o;

	ck_assert_msg(json_array_size(jp(r, "data.orderCreate.userErrors")) == 0, "userErrors: %s",
		      js(r, "data.orderCreate.userErrors.0.message"));
	o = json_incref(jp(r, "data.orderCreate.order"));
	json_decref(r);
	ck_assert_ptr_nonnull(o);
	return o;
}

static json_t *create_order(json_t *input)
{
	return create_order_on(&E, input);
}

static const char FULFILL[] =
	"mutation Ship($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {\n"
	"  fulfillment { id name status displayStatus createdAt trackingInfo(first: 5) { company number url }\n"
	"    fulfillmentLineItems(first: 10) { nodes { quantity lineItem { id sku } } } }\n"
	"  userErrors { field message } } }";

static json_t *fulfill_vars(const char *fo_id, const char *fol_id, int qty, const char *company,
			    const char *number, const char *url)
{
	json_t *group = json_pack("{s:s}", "fulfillmentOrderId", fo_id);
	json_t *ti = json_object();

	if (fol_id)
		json_object_set_new(group, "fulfillmentOrderLineItems",
				    json_pack("[{s:s,s:i}]", "id", fol_id, "quantity", qty));
	if (company)
		json_object_set_new(ti, "company", json_string(company));
	if (number)
		json_object_set_new(ti, "number", json_string(number));
	if (url)
		json_object_set_new(ti, "url", json_string(url));
	return json_pack("{s:{s:b,s:o,s:[o]}}", "f", "notifyCustomer", 0, "trackingInfo", ti,
			 "lineItemsByFulfillmentOrder", group);
}

/* ------------------------------------------------------------------ */
/* transport, auth, bad requests                                        */

START_TEST(auth_and_transport)
{
	struct resp r;

	http_req(&E, "POST", API, NULL, NULL, "{\"query\":\"{ shop { name } }\"}", 0, &r);
	ck_assert_int_eq(r.status, 401);
	ck_assert_str_eq(r.raw, "{\"errors\":\"[API] Invalid API key or access token "
			 "(unrecognized login or wrong password)\"}");
	resp_free(&r);
	http_req(&E, "POST", API, "shpat_wrong", NULL, "{\"query\":\"{ shop { name } }\"}", 0, &r);
	ck_assert_int_eq(r.status, 401);
	resp_free(&r);
	http_req(&E, "POST", "/admin/api/2025-10/graphql.json", TOKEN, NULL,
		 "{\"query\":\"query Shop { shop { name currencyCode myshopifyDomain email } }\"}", 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.api_version, "2025-10");
	ck_assert_str_eq(js(r.body, "data.shop.name"), "Conformance Store");
	ck_assert_str_eq(js(r.body, "data.shop.myshopifyDomain"), "conformance.myshopify.com");
	ck_assert_str_eq(js(r.body, "data.shop.currencyCode"), "USD");
	ck_assert_int_eq(ji(r.body, "extensions.cost.requestedQueryCost"), 1);
	ck_assert_int_eq(ji(r.body, "extensions.cost.actualQueryCost"), 1);
	ck_assert_int_eq(ji(r.body, "extensions.cost.throttleStatus.maximumAvailable"), 2000);
	ck_assert_int_eq(ji(r.body, "extensions.cost.throttleStatus.restoreRate"), 100);
	resp_free(&r);
	/* the raw document as application/graphql (not a JSON body: the
	 * schema oracle cannot read it, so it goes to the other emulator) */
	http_req(&BAD, "POST", API, TOKEN, "application/graphql", "{ shop { name } }", 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(js(r.body, "data.shop.name"), "Conformance Store");
	resp_free(&r);
	http_req(&E, "POST", "/admin/api/graphql.json", TOKEN, NULL, "{}", 0, &r);
	ck_assert_int_eq(r.status, 404);
	resp_free(&r);
	http_req(&E, "GET", API, TOKEN, NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 405);
	resp_free(&r);
}
END_TEST

START_TEST(bad_requests_get_shopify_errors)
{
	struct resp r;
	char *huge;

	http_req(&BAD, "POST", API, TOKEN, NULL, "{\"query\": \"{ shop", 0, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(r.raw, "{\"errors\":{\"query\":\"Required parameter missing or invalid\"}}");
	resp_free(&r);
	http_req(&BAD, "POST", API, TOKEN, NULL, "{\"variables\": {}}", 0, &r);
	ck_assert_int_eq(r.status, 400);
	resp_free(&r);
	http_req(&BAD, "POST", API, TOKEN, NULL, "{\"query\": 42}", 0, &r);
	ck_assert_int_eq(r.status, 400);
	resp_free(&r);
	http_req(&BAD, "POST", API, TOKEN, NULL, "{\"query\": \"{ shop { name } }\", \"variables\": [1]}", 0, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(r.raw, "{\"errors\":{\"variables\":\"Required parameter missing or invalid\"}}");
	resp_free(&r);
	http_req(&BAD, "POST", API, TOKEN, NULL, "[]", 0, &r);
	ck_assert_int_eq(r.status, 400);
	resp_free(&r);
	/* a body over the cap */
	huge = xmalloc(2 * 1024 * 1024 + 64);
	memset(huge, ' ', 2 * 1024 * 1024);
	strcpy(huge + 2 * 1024 * 1024, "{\"query\":\"{ shop { name } }\"}");
	http_req(&BAD, "POST", API, TOKEN, NULL, huge, 0, &r);
	ck_assert_int_eq(r.status, 413);
	resp_free(&r);
	free(huge);
	/* still alive */
	gql_req(&BAD, "{ shop { name } }", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
}
END_TEST

START_TEST(syntax_and_validation_errors)
{
	struct resp r;
	json_t *e;

	gql_req(&BAD, "query {\n  shop { }\n}", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(js(r.body, "errors.0.message"), "Parse error on \"}\" (RCURLY) at [2, 10]");
	ck_assert_int_eq(ji(r.body, "errors.0.locations.0.line"), 2);
	ck_assert_ptr_null(jp(r.body, "data"));
	resp_free(&r);

	gql_req(&BAD, "query Q { shop { nam } orders(frist: 2) { nodes { id } } }", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	e = jp(r.body, "errors");
	ck_assert_uint_eq(json_array_size(e), 2);
	ck_assert_str_eq(js(e, "0.message"), "Field 'nam' doesn't exist on type 'Shop'");
	ck_assert_str_eq(js(e, "0.extensions.code"), "undefinedField");
	ck_assert_str_eq(js(e, "0.path.0"), "query Q");
	ck_assert_str_eq(js(e, "0.path.2"), "nam");
	ck_assert_str_eq(js(e, "1.message"), "Field 'orders' doesn't accept argument 'frist'");
	ck_assert_str_eq(js(e, "1.extensions.code"), "argumentNotAccepted");
	resp_free(&r);
	gql_req(&BAD, "{ order { id } }", NULL, NULL, &r);
	ck_assert_str_eq(js(r.body, "errors.0.message"), "Field 'order' is missing required arguments: id");
	ck_assert_str_eq(js(r.body, "errors.0.extensions.code"), "missingRequiredArguments");
	resp_free(&r);

	gql_req(&BAD, "{ orders(first: 2, sortKey: BY_MOOD) { nodes { id } } }", NULL, NULL, &r);
	ck_assert_str_eq(js(r.body, "errors.0.message"),
			 "Argument 'sortKey' on Field 'orders' has an invalid value (BY_MOOD). Expected type 'OrderSortKeys'.");
	ck_assert_str_eq(js(r.body, "errors.0.extensions.code"), "argumentLiteralsIncompatible");
	resp_free(&r);

	gql_req(&BAD, ORDER_CREATE, json_pack("{s:{s:[{s:s}],s:s}}", "order", "lineItems",
					      "variantId", "gid://shopify/ProductVariant/11",
					      "financialStatus", "SORT_OF_PAID"), NULL, &r);
	ck_assert_str_eq(js(r.body, "errors.0.extensions.code"), "INVALID_VARIABLE");
	ck_assert_str_eq(js(r.body, "errors.0.message"),
			 "Variable $order of type OrderCreateOrderInput! was provided invalid value for "
			 "financialStatus (Expected \"SORT_OF_PAID\" to be one of: PENDING, AUTHORIZED, "
			 "PARTIALLY_PAID, PAID, PARTIALLY_REFUNDED, REFUNDED, VOIDED, EXPIRED), "
			 "lineItems.0.quantity (Expected value to not be null)");
	ck_assert_str_eq(js(r.body, "errors.0.extensions.problems.1.path.0"), "lineItems");
	ck_assert_int_eq(ji(r.body, "errors.0.extensions.problems.1.path.1"), 0);
	/* nothing was charged */
	ck_assert_int_eq(ji(r.body, "extensions.cost.requestedQueryCost"), 0);
	resp_free(&r);

	gql_req(&BAD, "query A { shop { name } } query B { shop { email } }", NULL, "C", &r);
	ck_assert_str_eq(js(r.body, "errors.0.message"), "No operation named \"C\"");
	resp_free(&r);
}
END_TEST

/* Hostile documents answer quickly and leave the emulator working. */
START_TEST(hostile_documents)
{
	struct strbuf sb = STRBUF_INIT;
	struct resp r;
	json_t *req;
	char *body;
	int i;

	/* a fragment bomb: each fragment spreads the next four times */
	sb_add(&sb, "{ shop { ...F0 } }\n");
	for (i = 0; i < 30; i++)
		sb_addf(&sb, "fragment F%d on Shop { ...F%d ...F%d ...F%d ...F%d }\n", i, i + 1, i + 1, i + 1, i + 1);
	sb_add(&sb, "fragment F30 on Shop { name }\n");
	gql_req(&BAD, sb.buf, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(js(r.body, "data.shop.name"), "Conformance Store");
	resp_free(&r);
	sb_reset(&sb);
	/* a cycle */
	gql_req(&BAD, "{ shop { ...A } } fragment A on Shop { ...B } fragment B on Shop { ...A }", NULL, NULL, &r);
	ck_assert_str_eq(js(r.body, "errors.0.extensions.code"), "infiniteLoop");
	resp_free(&r);
	/* 40000 fields under one key on one line */
	sb_add(&sb, "{");
	for (i = 0; i < 40000; i++)
		sb_add(&sb, " x: shop { name }");
	sb_add(&sb, " }");
	req = json_pack("{s:s}", "query", sb.buf);
	body = json_dumps(req, JSON_COMPACT);
	http_req(&BAD, "POST", API, TOKEN, NULL, body, 20000, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(js(r.body, "data.x.name"), "Conformance Store");
	resp_free(&r);
	free(body);
	json_decref(req);
	sb_reset(&sb);
	/* nesting beyond the parser's limit */
	for (i = 0; i < 3000; i++)
		sb_add(&sb, "{ shop ");
	gql_req(&BAD, sb.buf, NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(js(r.body, "errors.0.message"), "too deeply nested"));
	resp_free(&r);
	sb_free(&sb);
	gql_req(&BAD, "{ shop { name } }", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* orders                                                               */

START_TEST(order_create_and_read_back)
{
	json_t *in = json_pack(
		"{s:s,s:s,s:s,s:s,s:[s],s:s,s:s,"
		"s:[{s:s,s:s},{s:s,s:s}],"
		"s:[{s:s,s:s,s:s,s:s}],"
		"s:{s:{s:s,s:s,s:s}},"
		"s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s},"
		"s:[{s:s,s:i,s:{s:{s:s,s:s}},s:b,s:[{s:s,s:s,s:b,s:{s:{s:s,s:s}}}]},"
		"   {s:s,s:i,s:{s:{s:s,s:s}},s:b,s:[{s:s,s:s,s:{s:{s:s,s:s}}}]}],"
		"s:[{s:s,s:s,s:s,s:{s:{s:s,s:s}}}],"
		"s:[{s:s,s:s,s:s,s:s,s:{s:{s:s,s:s}}}]}",
		"processedAt", "2026-05-02T14:03:11Z", "currency", "USD",
		"email", "relay-7731@scs.tiktokw.us", "note", "Please gift wrap",
		"tags", "TikTok Shop", "sourceIdentifier", "576543219876543210",
		"sourceUrl", "https://seller-us.tiktok.com/order/detail?order_no=576543219876543210",
		"customAttributes", "key", "Channel", "value", "TikTok Shop - Acme",
		"key", "TikTok Shop Order ID", "value", "576543219876543210",
		"metafields", "namespace", "ttsync", "key", "tiktok_order_id", "type", "id",
		"value", "576543219876543210",
		"customer", "toUpsert", "email", "relay-7731@scs.tiktokw.us", "firstName", "Ana",
		"lastName", "Diaz",
		"shippingAddress", "firstName", "Ana", "lastName", "Diaz", "address1", "1 Main St",
		"city", "Austin", "provinceCode", "TX", "countryCode", "US", "zip", "78701",
		"phone", "+15125550100",
		"lineItems", "variantId", "gid://shopify/ProductVariant/11", "quantity", 2,
		"priceSet", "shopMoney", "amount", "9.50", "currencyCode", "USD", "requiresShipping", 1,
		"taxLines", "title", "TX State Tax", "rate", "0.0625", "channelLiable", 1,
		"priceSet", "shopMoney", "amount", "1.19", "currencyCode", "USD",
		"variantId", "gid://shopify/ProductVariant/21", "quantity", 1,
		"priceSet", "shopMoney", "amount", "9.50", "currencyCode", "USD", "requiresShipping", 0,
		"taxLines", "title", "TX State Tax", "rate", "0.0625",
		"priceSet", "shopMoney", "amount", "0.59", "currencyCode", "USD",
		"shippingLines", "title", "Standard Shipping", "code", "STANDARD", "source", "tiktok_shop",
		"priceSet", "shopMoney", "amount", "4.99", "currencyCode", "USD",
		"transactions", "kind", "SALE", "status", "SUCCESS", "gateway", "TikTok Shop",
		"processedAt", "2026-05-02T14:03:11Z",
		"amountSet", "shopMoney", "amount", "35.27", "currencyCode", "USD");
	json_t *r = gq(ORDER_CREATE, json_pack("{s:o,s:{s:s,s:b,s:b}}", "order", in, "options",
					       "inventoryBehaviour", "DECREMENT_IGNORING_POLICY",
					       "sendReceipt", 0, "sendFulfillmentReceipt", 0));
	json_t *o = jp(r, "data.orderCreate.order"), *r2;
	char q[256];

	ck_assert_uint_eq(json_array_size(jp(r, "data.orderCreate.userErrors")), 0);
	ck_assert_str_eq(js(o, "name"), "#1004");	/* 3 fixture orders took 1001..1003 */
	ck_assert_str_eq(js(o, "processedAt"), "2026-05-02T14:03:11Z");
	ck_assert_str_eq(js(o, "displayFinancialStatus"), "PAID");
	ck_assert_str_eq(js(o, "displayFulfillmentStatus"), "UNFULFILLED");
	/* exact cents: 2 x 9.50 + 9.50 = 28.50; tax 1.19 + 0.59; shipping 4.99 */
	ck_assert_str_eq(js(o, "subtotalPriceSet.shopMoney.amount"), "28.5");
	ck_assert_str_eq(js(o, "totalTaxSet.shopMoney.amount"), "1.78");
	ck_assert_str_eq(js(o, "totalShippingPriceSet.shopMoney.amount"), "4.99");
	ck_assert_str_eq(js(o, "totalPriceSet.shopMoney.amount"), "35.27");
	ck_assert_str_eq(js(o, "totalPriceSet.presentmentMoney.amount"), "35.27");
	ck_assert_str_eq(js(o, "totalPriceSet.shopMoney.currencyCode"), "USD");
	ck_assert_str_eq(js(o, "customAttributes.1.key"), "TikTok Shop Order ID");
	ck_assert_str_eq(js(o, "customer.firstName"), "Ana");
	ck_assert_str_eq(js(o, "shippingAddress.name"), "Ana Diaz");
	ck_assert_str_eq(js(o, "shippingAddress.country"), "United States");
	ck_assert_str_eq(js(o, "metafield.value"), "576543219876543210");
	ck_assert_str_eq(js(o, "lineItems.nodes.0.sku"), "TEE-RED-M");
	ck_assert_str_eq(js(o, "lineItems.nodes.0.title"), "Tee");
	ck_assert_str_eq(js(o, "lineItems.nodes.0.taxLines.0.priceSet.shopMoney.amount"), "1.19");
	/* one OPEN fulfillment order at the location, only the shipped line */
	ck_assert_uint_eq(json_array_size(jp(o, "fulfillmentOrders.nodes")), 1);
	ck_assert_str_eq(js(o, "fulfillmentOrders.nodes.0.status"), "OPEN");
	ck_assert_str_eq(js(o, "fulfillmentOrders.nodes.0.requestStatus"), "UNSUBMITTED");
	ck_assert_str_eq(js(o, "fulfillmentOrders.nodes.0.assignedLocation.location.id"),
			 "gid://shopify/Location/1");
	ck_assert_str_eq(js(o, "fulfillmentOrders.nodes.0.supportedActions.0.action"), "CREATE_FULFILLMENT");
	ck_assert_uint_eq(json_array_size(jp(o, "fulfillmentOrders.nodes.0.lineItems.nodes")), 1);
	ck_assert_int_eq(ji(o, "fulfillmentOrders.nodes.0.lineItems.nodes.0.remainingQuantity"), 2);
	/* mutation cost: 10 with the payload's direct objects included */
	ck_assert_int_lt(ji(r, "extensions.cost.actualQueryCost"), ji(r, "extensions.cost.requestedQueryCost"));

	/* read back four ways */
	snprintf(q, sizeof(q), "{ order(id: \"%s\") { id name legacyResourceId } }", js(o, "id"));
	r2 = gq(q, NULL);
	ck_assert_str_eq(js(r2, "data.order.name"), "#1004");
	ck_assert_str_eq(js(r2, "data.order.legacyResourceId"), js(o, "legacyResourceId"));
	json_decref(r2);
	r2 = gq("query($q: String) { orders(first: 5, query: $q) { nodes { id name } } }",
		json_pack("{s:s}", "q", "source_identifier:'576543219876543210'"));
	ck_assert_uint_eq(json_array_size(jp(r2, "data.orders.nodes")), 1);
	ck_assert_str_eq(js(r2, "data.orders.nodes.0.id"), js(o, "id"));
	json_decref(r2);
	r2 = gq("{ orderByIdentifier(identifier: {customId: {namespace: \"ttsync\", key: \"tiktok_order_id\","
		" value: \"576543219876543210\"}}) { id } }", NULL);
	ck_assert_str_eq(js(r2, "data.orderByIdentifier.id"), js(o, "id"));
	json_decref(r2);
	r2 = gq("query($ids: [ID!]!) { nodes(ids: $ids) { __typename ... on Order { name } "
		"... on FulfillmentOrder { status } } }",
		json_pack("{s:[s,s,s]}", "ids", js(o, "id"), js(o, "fulfillmentOrders.nodes.0.id"),
			  "gid://shopify/Order/1"));
	ck_assert_str_eq(js(r2, "data.nodes.0.__typename"), "Order");
	ck_assert_str_eq(js(r2, "data.nodes.0.name"), "#1004");
	ck_assert_str_eq(js(r2, "data.nodes.1.status"), "OPEN");
	ck_assert(json_is_null(jp(r2, "data.nodes.2")));
	json_decref(r2);
	json_decref(r);
}
END_TEST

START_TEST(order_create_user_errors)
{
	static const struct {
		const char *order_json, *field, *code, *message;
	} cases[] = {
		{ "{\"lineItems\": []}", "[\"order\",\"lineItems\"]", "INVALID",
		  "Line items must have at least one line item" },
		{ "{\"lineItems\": [{\"variantId\": \"gid://shopify/ProductVariant/999\", \"quantity\": 1}]}",
		  "[\"order\",\"lineItems\",\"0\",\"variantId\"]", "INVALID",
		  "Variant gid://shopify/ProductVariant/999 does not exist" },
		{ "{\"processedAt\": \"2099-01-01T00:00:00Z\", \"lineItems\": [{\"title\": \"x\", \"quantity\": 1}]}",
		  "[\"order\",\"processedAt\"]", "PROCESSED_AT_INVALID", "Processed at is invalid" },
		{ "{\"customerId\": \"gid://shopify/Customer/1\", \"customer\": {\"toUpsert\": {\"email\": \"x@y.z\"}},"
		  " \"lineItems\": [{\"title\": \"x\", \"quantity\": 1}]}",
		  "[\"order\"]", "REDUNDANT_CUSTOMER_FIELDS", "Customer fields are redundant" },
		{ "{\"lineItems\": [{\"title\": \"x\", \"quantity\": 0}]}",
		  "[\"order\",\"lineItems\",\"0\",\"quantity\"]", "INVALID",
		  "Quantity must be greater than or equal to 1" },
		{ "{\"lineItems\": [{\"title\": \"x\", \"quantity\": 1, \"fulfillmentService\": \"acme\"}]}",
		  "[\"order\",\"lineItems\",\"0\",\"fulfillmentService\"]", "FULFILLMENT_SERVICE_INVALID",
		  "Fulfillment service is invalid" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *in = json_loads(cases[i].order_json, 0, NULL);
		json_t *r = gq(ORDER_CREATE, json_pack("{s:o}", "order", in));
		char *field = json_dumps(jp(r, "data.orderCreate.userErrors.0.field"), JSON_COMPACT);

		ck_assert_msg(json_is_null(jp(r, "data.orderCreate.order")), "case %zu created an order", i);
		ck_assert_str_eq(field, cases[i].field);
		ck_assert_str_eq(js(r, "data.orderCreate.userErrors.0.code"), cases[i].code);
		ck_assert_str_eq(js(r, "data.orderCreate.userErrors.0.message"), cases[i].message);
		free(field);
		json_decref(r);
	}
}
END_TEST

START_TEST(order_level_taxes_and_discounts)
{
	/* order-level tax lines split over the taxable lines, to the cent */
	json_t *in = json_pack("{s:s,s:[{s:s,s:i,s:{s:{s:s,s:s}},s:b},{s:s,s:i,s:{s:{s:s,s:s}},s:b}],"
			       "s:[{s:s,s:s,s:{s:{s:s,s:s}}}],"
			       "s:{s:{s:s,s:f}}}",
			       "sourceIdentifier", "tax-split-1",
			       "lineItems", "variantId", "gid://shopify/ProductVariant/11", "quantity", 1,
			       "priceSet", "shopMoney", "amount", "10.00", "currencyCode", "USD",
			       "requiresShipping", 1,
			       "variantId", "gid://shopify/ProductVariant/21", "quantity", 2,
			       "priceSet", "shopMoney", "amount", "10.00", "currencyCode", "USD",
			       "requiresShipping", 1,
			       "taxLines", "title", "State tax", "rate", "0.1",
			       "priceSet", "shopMoney", "amount", "2.00", "currencyCode", "USD",
			       "discountCode", "itemPercentageDiscountCode", "code", "TEN", "percentage", 10.0);
	json_t *o = create_order(in);

	/* subtotal 30.00 - 10% = 27.00; tax 2.00 split 1:2 -> 0.67 + 1.33 */
	ck_assert_str_eq(js(o, "subtotalPriceSet.shopMoney.amount"), "27.0");
	ck_assert_str_eq(js(o, "totalDiscountsSet.shopMoney.amount"), "3.0");
	ck_assert_str_eq(js(o, "totalTaxSet.shopMoney.amount"), "2.0");
	ck_assert_str_eq(js(o, "lineItems.nodes.0.taxLines.0.priceSet.shopMoney.amount"), "0.67");
	ck_assert_str_eq(js(o, "lineItems.nodes.1.taxLines.0.priceSet.shopMoney.amount"), "1.33");
	ck_assert_str_eq(js(o, "lineItems.nodes.1.discountedTotalSet.shopMoney.amount"), "18.0");
	ck_assert_str_eq(js(o, "totalPriceSet.shopMoney.amount"), "29.0");
	/* no transactions: PENDING */
	ck_assert_str_eq(js(o, "displayFinancialStatus"), "PENDING");
	json_decref(o);
}
END_TEST

START_TEST(fulfillment_lifecycle)
{
	json_t *o = create_order(order_input("ful-1", 3)), *r, *f;
	const char *fo = js(o, "fulfillmentOrders.nodes.0.id");
	const char *fol = js(o, "fulfillmentOrders.nodes.0.lineItems.nodes.0.id");
	char *fid, q[512];

	/* userErrors first (research 5.1, live messages) */
	r = gq(FULFILL, fulfill_vars(fo, fol, 4, "USPS", "9400111899223197428490", NULL));
	ck_assert_str_eq(js(r, "data.fulfillmentCreate.userErrors.0.message"),
			 "Invalid fulfillment order line item quantity requested.");
	ck_assert_str_eq(js(r, "data.fulfillmentCreate.userErrors.0.field.0"), "fulfillment");
	json_decref(r);
	r = gq(FULFILL, fulfill_vars(fo, fol, 0, "USPS", "1", NULL));
	ck_assert_str_eq(js(r, "data.fulfillmentCreate.userErrors.0.message"), "Quantity must be greater than 0");
	ck_assert_str_eq(js(r, "data.fulfillmentCreate.userErrors.0.field.2"), "0");
	ck_assert_str_eq(js(r, "data.fulfillmentCreate.userErrors.0.field.5"), "quantity");
	json_decref(r);
	r = gq(FULFILL, fulfill_vars("gid://shopify/FulfillmentOrder/1", NULL, 0, NULL, NULL, NULL));
	ck_assert_str_eq(js(r, "data.fulfillmentCreate.userErrors.0.message"), "Fulfillment order does not exist.");
	json_decref(r);
	r = gq(FULFILL, fulfill_vars(fo, "gid://shopify/FulfillmentOrderLineItem/1", 1, NULL, NULL, NULL));
	ck_assert_str_eq(js(r, "data.fulfillmentCreate.userErrors.0.message"),
			 "Fulfillment order line item does not exist.");
	json_decref(r);


	/* partial: 2 of 3 with a known carrier (URL generated) */
	r = gq(FULFILL, fulfill_vars(fo, fol, 2, "USPS", "9400111899223197428490", NULL));
	f = jp(r, "data.fulfillmentCreate.fulfillment");
	ck_assert_uint_eq(json_array_size(jp(r, "data.fulfillmentCreate.userErrors")), 0);
	ck_assert_str_eq(js(f, "status"), "SUCCESS");
	ck_assert_str_eq(js(f, "displayStatus"), "FULFILLED");
	ck_assert_str_eq(js(f, "trackingInfo.0.company"), "USPS");
	ck_assert_str_eq(js(f, "trackingInfo.0.url"),
			 "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223197428490");
	ck_assert_int_eq(ji(f, "fulfillmentLineItems.nodes.0.quantity"), 2);
	ck_assert_str_eq(js(f, "fulfillmentLineItems.nodes.0.lineItem.sku"), "TEE-RED-M");
	ck_assert_int_eq(strncmp(js(f, "name"), js(o, "name"), strlen(js(o, "name"))), 0);
	ck_assert_str_eq(js(f, "name") + strlen(js(o, "name")), "-F1");
	/* cost: 10 for the mutation, the fulfillment in it, + trackingInfo + line items */
	ck_assert_int_eq(ji(r, "extensions.cost.requestedQueryCost"), 10 + 1 + 2 + 10 * 2);
	fid = xstrdup(js(f, "id"));
	json_decref(r);

	snprintf(q, sizeof(q), "{ order(id: \"%s\") { displayFulfillmentStatus "
		 "fulfillmentOrders(first: 2) { nodes { status lineItems(first: 2) { nodes { remainingQuantity } } } }"
		 " lineItems(first: 2) { nodes { unfulfilledQuantity currentQuantity } } } }", js(o, "id"));
	r = gq(q, NULL);
	ck_assert_str_eq(js(r, "data.order.displayFulfillmentStatus"), "PARTIALLY_FULFILLED");
	ck_assert_str_eq(js(r, "data.order.fulfillmentOrders.nodes.0.status"), "IN_PROGRESS");
	ck_assert_int_eq(ji(r, "data.order.fulfillmentOrders.nodes.0.lineItems.nodes.0.remainingQuantity"), 1);
	ck_assert_int_eq(ji(r, "data.order.lineItems.nodes.0.unfulfilledQuantity"), 1);
	json_decref(r);

	/* the rest, with a company Shopify does not know: the given URL stays */
	r = gq(FULFILL, fulfill_vars(fo, NULL, 0, "Cainiao US", "CNUS000123", "https://track.example/CNUS000123"));
	ck_assert_uint_eq(json_array_size(jp(r, "data.fulfillmentCreate.userErrors")), 0);
	ck_assert_str_eq(js(r, "data.fulfillmentCreate.fulfillment.trackingInfo.0.url"),
			 "https://track.example/CNUS000123");
	ck_assert_int_eq(ji(r, "data.fulfillmentCreate.fulfillment.fulfillmentLineItems.nodes.0.quantity"), 1);
	json_decref(r);
	r = gq(q, NULL);
	ck_assert_str_eq(js(r, "data.order.displayFulfillmentStatus"), "FULFILLED");
	ck_assert_str_eq(js(r, "data.order.fulfillmentOrders.nodes.0.status"), "CLOSED");
	json_decref(r);
	/* a closed fulfillment order refuses more */
	r = gq(FULFILL, fulfill_vars(fo, NULL, 0, NULL, NULL, NULL));
	{
		char want[128];

		snprintf(want, sizeof(want), "Fulfillment order %s has an unfulfillable status= closed.",
			 strrchr(fo, '/') + 1);
		ck_assert_str_eq(js(r, "data.fulfillmentCreate.userErrors.0.message"), want);
	}
	json_decref(r);

	/* tracking update replaces the list; unknown id */
	snprintf(q, sizeof(q), "mutation { fulfillmentTrackingInfoUpdate(fulfillmentId: \"%s\", "
		 "trackingInfoInput: {company: \"UPS\", number: \"1Z999AA10123456784\"}, notifyCustomer: false) "
		 "{ fulfillment { trackingInfo { company number url } } userErrors { field message } } }", fid);
	r = gq(q, NULL);
	ck_assert_str_eq(js(r, "data.fulfillmentTrackingInfoUpdate.fulfillment.trackingInfo.0.number"),
			 "1Z999AA10123456784");
	ck_assert_str_eq(js(r, "data.fulfillmentTrackingInfoUpdate.fulfillment.trackingInfo.0.url"),
			 "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1Z999AA10123456784");
	ck_assert_uint_eq(json_array_size(jp(r, "data.fulfillmentTrackingInfoUpdate.fulfillment.trackingInfo")), 1);
	json_decref(r);
	r = gq("mutation { fulfillmentTrackingInfoUpdate(fulfillmentId: \"gid://shopify/Fulfillment/1\", "
	       "trackingInfoInput: {number: \"1\"}) { fulfillment { id } userErrors { field message } } }", NULL);
	ck_assert_str_eq(js(r, "data.fulfillmentTrackingInfoUpdate.userErrors.0.message"), "Fulfillment does not exist.");
	ck_assert_str_eq(js(r, "data.fulfillmentTrackingInfoUpdate.userErrors.0.field.0"), "fulfillmentId");
	json_decref(r);

	/* events drive displayStatus and the milestone dates */
	r = gq("mutation E($e: FulfillmentEventInput!) { fulfillmentEventCreate(fulfillmentEvent: $e) {"
	       " fulfillmentEvent { id status happenedAt } userErrors { field message } } }",
	       json_pack("{s:{s:s,s:s,s:s}}", "e", "fulfillmentId", fid, "status", "IN_TRANSIT",
			 "happenedAt", "2026-05-03T10:00:00Z"));
	ck_assert_str_eq(js(r, "data.fulfillmentEventCreate.fulfillmentEvent.status"), "IN_TRANSIT");
	ck_assert_int_eq(ji(r, "extensions.cost.requestedQueryCost"), 10);
	json_decref(r);
	r = gq("mutation E($e: FulfillmentEventInput!) { fulfillmentEventCreate(fulfillmentEvent: $e) {"
	       " fulfillmentEvent { id status } userErrors { field message } } }",
	       json_pack("{s:{s:s,s:s,s:s}}", "e", "fulfillmentId", fid, "status", "DELIVERED",
			 "happenedAt", "2026-05-06T18:20:00Z"));
	json_decref(r);
	snprintf(q, sizeof(q), "{ fulfillment(id: \"%s\") { displayStatus inTransitAt deliveredAt "
		 "events(first: 5) { nodes { status happenedAt } } } }", fid);
	r = gq(q, NULL);
	ck_assert_str_eq(js(r, "data.fulfillment.displayStatus"), "DELIVERED");
	ck_assert_str_eq(js(r, "data.fulfillment.inTransitAt"), "2026-05-03T10:00:00Z");
	ck_assert_str_eq(js(r, "data.fulfillment.deliveredAt"), "2026-05-06T18:20:00Z");
	ck_assert_uint_eq(json_array_size(jp(r, "data.fulfillment.events.nodes")), 2);
	json_decref(r);

	/* cancel: idempotent, the quantities go back to the fulfillment order */
	snprintf(q, sizeof(q), "mutation { fulfillmentCancel(id: \"%s\") { fulfillment { status displayStatus }"
		 " userErrors { field message } } }", fid);
	r = gq(q, NULL);
	ck_assert_str_eq(js(r, "data.fulfillmentCancel.fulfillment.status"), "CANCELLED");
	ck_assert_str_eq(js(r, "data.fulfillmentCancel.fulfillment.displayStatus"), "CANCELED");
	json_decref(r);
	r = gq(q, NULL);
	ck_assert_uint_eq(json_array_size(jp(r, "data.fulfillmentCancel.userErrors")), 0);
	json_decref(r);
	snprintf(q, sizeof(q), "{ order(id: \"%s\") { displayFulfillmentStatus "
		 "fulfillmentOrders(first: 2) { nodes { status lineItems(first: 2) { nodes { remainingQuantity } } } } } }",
		 js(o, "id"));
	r = gq(q, NULL);
	ck_assert_str_eq(js(r, "data.order.displayFulfillmentStatus"), "PARTIALLY_FULFILLED");
	ck_assert_str_eq(js(r, "data.order.fulfillmentOrders.nodes.0.status"), "IN_PROGRESS");
	ck_assert_int_eq(ji(r, "data.order.fulfillmentOrders.nodes.0.lineItems.nodes.0.remainingQuantity"), 2);
	json_decref(r);
	r = gq("mutation { fulfillmentCancel(id: \"gid://shopify/Fulfillment/1\") { userErrors { field message } } }", NULL);
	ck_assert_str_eq(js(r, "data.fulfillmentCancel.userErrors.0.message"), "Fulfillment not found.");
	json_decref(r);
	free(fid);
	json_decref(o);
}
END_TEST

START_TEST(fulfillment_create_across_orders_refused)
{
	json_t *a = create_order(order_input("multi-a", 1)), *b = create_order(order_input("multi-b", 1));
	json_t *vars = json_pack("{s:{s:[{s:s},{s:s}]}}", "f", "lineItemsByFulfillmentOrder",
				 "fulfillmentOrderId", js(a, "fulfillmentOrders.nodes.0.id"),
				 "fulfillmentOrderId", js(b, "fulfillmentOrders.nodes.0.id"));
	json_t *r = gq(FULFILL, vars);
	char want[256];

	snprintf(want, sizeof(want), "All fulfillment orders must belong to the same order. "
		 "Multiple orders with ids [%s, %s] were found.", js(a, "legacyResourceId"),
		 js(b, "legacyResourceId"));
	ck_assert_str_eq(js(r, "data.fulfillmentCreate.userErrors.0.message"), want);
	ck_assert(json_is_null(jp(r, "data.fulfillmentCreate.fulfillment")));
	json_decref(r);
	json_decref(a);
	json_decref(b);
}
END_TEST

static const char CANCEL[] =
	"mutation OrderCancel($orderId: ID!, $staffNote: String) {\n"
	"  orderCancel(orderId: $orderId, reason: CUSTOMER, restock: true,\n"
	"      refundMethod: { originalPaymentMethodsRefund: false },\n"
	"      notifyCustomer: false, staffNote: $staffNote) {\n"
	"    job { id done }\n"
	"    orderCancelUserErrors { field message code }\n  }\n}\n";

START_TEST(order_cancel)
{
	json_t *o = create_order(order_input("cancel-1", 1)), *r;
	char note[300], q[400];

	memset(note, 'x', 299);
	note[299] = '\0';
	r = gq(CANCEL, json_pack("{s:s,s:s}", "orderId", js(o, "id"), "staffNote", note));
	ck_assert_str_eq(js(r, "data.orderCancel.orderCancelUserErrors.0.message"),
			 "Staff note is too long. Maximum length is 255 characters.");
	ck_assert(json_is_null(jp(r, "data.orderCancel.job")));
	json_decref(r);
	r = gq(CANCEL, json_pack("{s:s,s:s}", "orderId", js(o, "id"), "staffNote", "buyer cancelled on TikTok"));
	ck_assert_uint_eq(json_array_size(jp(r, "data.orderCancel.orderCancelUserErrors")), 0);
	ck_assert_int_eq(strncmp(js(r, "data.orderCancel.job.id"), "gid://shopify/Job/", 18), 0);
	ck_assert(json_is_false(jp(r, "data.orderCancel.job.done")));
	json_decref(r);
	snprintf(q, sizeof(q), "{ order(id: \"%s\") { cancelledAt cancelReason closed "
		 "fulfillmentOrders(first: 1) { nodes { status } } displayFinancialStatus } }", js(o, "id"));
	r = gq(q, NULL);
	ck_assert(json_is_string(jp(r, "data.order.cancelledAt")));
	ck_assert_str_eq(js(r, "data.order.cancelReason"), "CUSTOMER");
	ck_assert(json_is_true(jp(r, "data.order.closed")));
	ck_assert_str_eq(js(r, "data.order.fulfillmentOrders.nodes.0.status"), "CLOSED");
	json_decref(r);
	r = gq(CANCEL, json_pack("{s:s}", "orderId", js(o, "id")));
	ck_assert_str_eq(js(r, "data.orderCancel.orderCancelUserErrors.0.message"),
			 "Cannot cancel an order that has already been canceled");
	ck_assert_str_eq(js(r, "data.orderCancel.orderCancelUserErrors.0.code"), "INVALID");
	ck_assert_str_eq(js(r, "data.orderCancel.orderCancelUserErrors.0.field.0"), "orderId");
	json_decref(r);
	r = gq(CANCEL, json_pack("{s:s}", "orderId", "gid://shopify/Order/1"));
	ck_assert_str_eq(js(r, "data.orderCancel.orderCancelUserErrors.0.code"), "NOT_FOUND");
	json_decref(r);
	r = gq("mutation { orderCancel(orderId: \"gid://shopify/Order/1\", reason: OTHER, restock: false, "
	       "refund: true, refundMethod: {originalPaymentMethodsRefund: true}) "
	       "{ orderCancelUserErrors { field message code } userErrors { field message } } }", NULL);
	ck_assert_str_eq(js(r, "data.orderCancel.orderCancelUserErrors.0.message"),
			 "Only one of the arguments `refund` or `refund_method` is allowed.");
	ck_assert_str_eq(js(r, "data.orderCancel.userErrors.0.field.0"), "refund");
	json_decref(r);
	json_decref(o);

	/* an order with a live fulfillment cannot be cancelled */
	o = create_order(order_input("cancel-2", 1));
	r = gq(FULFILL, fulfill_vars(js(o, "fulfillmentOrders.nodes.0.id"), NULL, 0, "USPS", "9400111899223197400001", NULL));
	json_decref(r);
	r = gq(CANCEL, json_pack("{s:s}", "orderId", js(o, "id")));
	ck_assert_str_eq(js(r, "data.orderCancel.orderCancelUserErrors.0.message"),
			 "Cannot cancel an order that has outstanding fulfillments");
	json_decref(r);
	json_decref(o);
}
END_TEST

START_TEST(order_update_and_tags)
{
	json_t *o = create_order(order_input("update-1", 1)), *r;
	char q[800];

	snprintf(q, sizeof(q), "mutation { orderUpdate(input: {id: \"%s\", note: \"new note\", "
		 "tags: [\"b\", \"A\"], customAttributes: [{key: \"k\", value: \"v\"}]}) "
		 "{ order { note tags customAttributes { key value } } userErrors { field message } } }", js(o, "id"));
	r = gq(q, NULL);
	ck_assert_str_eq(js(r, "data.orderUpdate.order.note"), "new note");
	ck_assert_str_eq(js(r, "data.orderUpdate.order.tags.0"), "A");	/* Shopify sorts tags */
	ck_assert_str_eq(js(r, "data.orderUpdate.order.customAttributes.0.value"), "v");
	json_decref(r);
	snprintf(q, sizeof(q), "mutation { tagsAdd(id: \"%s\", tags: [\"TikTok Shop Gift\", \"a\"]) "
		 "{ node { id ... on Order { tags } } userErrors { field message } } }", js(o, "id"));
	r = gq(q, NULL);
	ck_assert_uint_eq(json_array_size(jp(r, "data.tagsAdd.node.tags")), 3);	/* "a" == "A" */
	ck_assert_str_eq(js(r, "data.tagsAdd.node.tags.2"), "TikTok Shop Gift");
	ck_assert_int_eq(ji(r, "extensions.cost.actualQueryCost"), 10);
	json_decref(r);
	snprintf(q, sizeof(q), "mutation { tagsRemove(id: \"%s\", tags: [\"b\"]) "
		 "{ node { ... on Order { tags } } userErrors { field message } } }", js(o, "id"));
	r = gq(q, NULL);
	ck_assert_uint_eq(json_array_size(jp(r, "data.tagsRemove.node.tags")), 2);
	json_decref(r);
	r = gq("mutation { tagsAdd(id: \"gid://shopify/Product/999999\", tags: [\"vip\"]) "
	       "{ node { id } userErrors { field message } } }", NULL);
	ck_assert_str_eq(js(r, "data.tagsAdd.userErrors.0.message"), "Product does not exist");
	ck_assert_str_eq(js(r, "data.tagsAdd.userErrors.0.field.0"), "id");
	json_decref(r);
	r = gq("mutation { orderUpdate(input: {id: \"gid://shopify/Order/1\", note: \"x\"}) "
	       "{ order { id } userErrors { field message } } }", NULL);
	ck_assert_str_eq(js(r, "data.orderUpdate.userErrors.0.message"), "Order does not exist");
	json_decref(r);
	json_decref(o);
}
END_TEST

/* ------------------------------------------------------------------ */
/* reading: selection, search, paging, variants                          */

START_TEST(selection_aliases_fragments_directives)
{
	json_t *r = gq("query Sel($with: Boolean!) {\n"
		       "  a: orders(first: 1, query: \"name:990\") { nodes { ...O } }\n"
		       "  b: orders(first: 1, query: \"name:#991\") { nodes { n: name __typename "
		       "     email @include(if: $with) tags @skip(if: $with) } }\n"
		       "}\n"
		       "fragment O on Order { id name ... on Order { sourceName } }",
		       json_pack("{s:b}", "with", 0));
	char *txt = json_dumps(jp(r, "data"), JSON_COMPACT);

	ck_assert_str_eq(js(r, "data.a.nodes.0.name"), "#990");
	ck_assert_str_eq(js(r, "data.a.nodes.0.sourceName"), "other-connector");
	ck_assert_str_eq(js(r, "data.b.nodes.0.n"), "#991");
	ck_assert_str_eq(js(r, "data.b.nodes.0.__typename"), "Order");
	ck_assert_msg(!strstr(txt, "email"), "@include(if: false) still answered: %s", txt);
	ck_assert_ptr_nonnull(jp(r, "data.b.nodes.0.tags"));
	free(txt);
	json_decref(r);

	/* a real field the twin does not implement: a clear error, not null */
	{
		struct resp rr;

		gql_req(&E, "{ orders(first: 1, query: \"name:990\") { nodes { id clientIp } } }", NULL, NULL, &rr);
		ck_assert_int_eq(rr.status, 200);
		ck_assert_str_eq(js(rr.body, "errors.0.message"), "shopify-emu: Order.clientIp is not implemented");
		ck_assert_str_eq(js(rr.body, "errors.0.path.3"), "clientIp");
		resp_free(&rr);
	}
}
END_TEST

static size_t count_orders(const char *query)
{
	json_t *r = gq("query($q: String) { orders(first: 50, query: $q) { nodes { id } } }",
		       json_pack("{s:s}", "q", query));
	size_t n = json_array_size(jp(r, "data.orders.nodes"));

	json_decref(r);
	return n;
}

START_TEST(search_syntax)
{
	/* fixture: #990 (05-01, tag TikTok), #991 (05-02, updated 05-04, TikTok Shop +
	 * Sample, fulfilled), #992 (05-03, cancelled); name:99* keeps the
	 * orders other tests created out */
	ck_assert_uint_eq(count_orders("name:99* updated_at:>='2026-05-04T00:00:00Z' updated_at:<'2026-05-05T00:00:00Z'"), 1);
	ck_assert_uint_eq(count_orders("created_at:<\"2026-05-02\" name:99*"), 1);
	ck_assert_uint_eq(count_orders("name:99* processed_at:>=2026-05-02T00:00:00Z processed_at:<=2026-05-03T10:00:00Z"), 2);
	ck_assert_uint_eq(count_orders("processed_at:2026-05-02 name:99*"), 1);	/* a whole day */
	ck_assert_uint_eq(count_orders("tag:'TikTok Shop' name:99*"), 2);
	ck_assert_uint_eq(count_orders("name:99* tag:'TikTok Shop' tag_not:'TikTok Shop Sample'"), 1);
	ck_assert_uint_eq(count_orders("name:99* tag:'TikTok Shop' -tag:'TikTok Shop Sample'"), 1);
	ck_assert_uint_eq(count_orders("name:99* AND tag:'TikTok Shop' AND NOT tag:'TikTok Shop Sample'"), 1);
	ck_assert_uint_eq(count_orders("source_identifier:'579000000000000042' OR source_identifier:\"579000000000000044\""), 2);
	ck_assert_uint_eq(count_orders("(name:990 OR name:991) tag:TikTok"), 1);
	ck_assert_uint_eq(count_orders("status:cancelled name:99*"), 1);
	ck_assert_uint_eq(count_orders("fulfillment_status:fulfilled name:99*"), 1);
	ck_assert_uint_eq(count_orders("financial_status:paid name:991"), 1);
	ck_assert_uint_eq(count_orders("name:#992"), 1);
	ck_assert_uint_eq(count_orders("source_identifier:579000000000000042 sku:TEE-RED-M"), 1);
	{
		json_t *r = gq("{ orders(first: 1, query: \"name:990\") { nodes { legacyResourceId } } }", NULL);
		char q[96];

		snprintf(q, sizeof(q), "id:%s", js(r, "data.orders.nodes.0.legacyResourceId"));
		ck_assert_uint_eq(count_orders(q), 1);
		snprintf(q, sizeof(q), "id:>%s name:99*", js(r, "data.orders.nodes.0.legacyResourceId"));
		ck_assert_uint_eq(count_orders(q), 2);
		json_decref(r);
	}
	/* an unknown field is ignored, with Shopify's warning */
	{
		json_t *r = gq("{ orders(first: 5, query: \"name:990 colour:red\") { nodes { id } } }", NULL);

		ck_assert_uint_eq(json_array_size(jp(r, "data.orders.nodes")), 1);
		ck_assert_str_eq(js(r, "extensions.search.0.warnings.0.field"), "colour");
		ck_assert_str_eq(js(r, "extensions.search.0.warnings.0.message"), "Invalid search field for this query.");
		json_decref(r);
	}
}
END_TEST

START_TEST(paging_with_cursors)
{
	struct emu_proc P;
	json_t *r;
	char *after = NULL, q[512];
	int seen = 0, pages = 0, i;
	size_t n;

	start("paging", &P, NULL);
	json_decref(ctl_post(&P, "/_emu/clock", "{\"set\": 1790000000, \"freeze\": true}"));
	for (i = 0; i < 7; i++) {
		char sid[32];
		json_t *o;

		snprintf(sid, sizeof(sid), "page-%d", i);
		o = create_order_on(&P, order_input(sid, 1));
		json_decref(o);
		json_decref(ctl_post(&P, "/_emu/clock", "{\"advance\": 60}"));
	}
	/* 10 orders: 3 from the fixture (May), 7 new; newest first by CREATED_AT */
	do {
		json_t *vars = json_pack("{s:s?}", "after", after);

		r = gq_on(&P, "query($after: String) { orders(first: 4, after: $after, sortKey: CREATED_AT, "
			  "reverse: true) { edges { cursor node { name createdAt } } "
			  "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }", vars);
		n = json_array_size(jp(r, "data.orders.edges"));
		seen += (int)n;
		pages++;
		if (pages == 1) {
			ck_assert_str_eq(js(r, "data.orders.edges.0.node.name"), "#1010");
			ck_assert(json_is_false(jp(r, "data.orders.pageInfo.hasPreviousPage")));
		}
		if (pages == 2)
			ck_assert(json_is_true(jp(r, "data.orders.pageInfo.hasPreviousPage")));
		if (n == 4)
			ck_assert_str_eq(js(r, "data.orders.pageInfo.endCursor"),
					 js(r, "data.orders.edges.3.cursor"));
		free(after);
		after = json_is_true(jp(r, "data.orders.pageInfo.hasNextPage")) ?
			xstrdup(js(r, "data.orders.pageInfo.endCursor")) : NULL;
		json_decref(r);
	} while (after && pages < 10);
	ck_assert_int_eq(pages, 3);
	ck_assert_int_eq(seen, 10);

	/* cursors are opaque base64 of {"last_id":...,"last_value":...} like live */
	r = gq_on(&P, "{ orders(first: 1, sortKey: ID) { edges { cursor } } }", NULL);
	{
		const char *c = js(r, "data.orders.edges.0.cursor");

		ck_assert_int_eq(strncmp(c, "eyJsYXN0X2lkIjo", 15), 0);	/* {"last_id": */
	}
	json_decref(r);

	/* last / before walk backwards */
	r = gq_on(&P, "{ orders(last: 2, sortKey: ORDER_NUMBER) { nodes { name } pageInfo { hasPreviousPage startCursor } } }", NULL);
	ck_assert_str_eq(js(r, "data.orders.nodes.0.name"), "#1009");
	ck_assert_str_eq(js(r, "data.orders.nodes.1.name"), "#1010");
	ck_assert(json_is_true(jp(r, "data.orders.pageInfo.hasPreviousPage")));
	snprintf(q, sizeof(q), "{ orders(last: 2, before: \"%s\", sortKey: ORDER_NUMBER) { nodes { name } } }",
		 js(r, "data.orders.pageInfo.startCursor"));
	json_decref(r);
	r = gq_on(&P, q, NULL);
	ck_assert_str_eq(js(r, "data.orders.nodes.0.name"), "#1007");
	ck_assert_str_eq(js(r, "data.orders.nodes.1.name"), "#1008");
	json_decref(r);

	/* paging nested connections */
	r = gq_on(&P, "{ orders(first: 1, sortKey: ORDER_NUMBER) { nodes { lineItems(first: 1) { "
		  "pageInfo { hasNextPage } nodes { sku } } } } }", NULL);
	ck_assert(json_is_false(jp(r, "data.orders.nodes.0.lineItems.pageInfo.hasNextPage")));
	json_decref(r);
	stop(&P);
	free(after);
}
END_TEST

START_TEST(variants_by_sku)
{
	static const struct {
		const char *query;
		size_t hits;
		const char *first_sku;
	} cases[] = {
		{ "sku:TEE-RED-M", 1, "TEE-RED-M" },
		{ "sku:'TEE-RED-M'", 1, "TEE-RED-M" },
		{ "sku:\"TEE-BLUE-M\"", 1, "TEE-BLUE-M" },
		{ "sku:TEE-RED", 0, NULL },			/* exact, not a prefix */
		{ "sku:TEE-*", 2, "TEE-RED-M" },		/* explicit prefix */
		{ "sku:DUP-SKU", 2, "DUP-SKU" },		/* ambiguous: two hits, case-sensitive */
		{ "sku:'SKU WITH SPACE'", 1, "SKU WITH SPACE" },
		{ "sku:'O\\'NEIL-1'", 1, "O'NEIL-1" },
		{ "sku:TEE-RED-M OR sku:MUG-1", 2, "TEE-RED-M" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *r = gq("query VariantsBySku($query: String!) { productVariants(first: 5, query: $query) "
			       "{ nodes { id sku title product { id title status } } } }",
			       json_pack("{s:s}", "query", cases[i].query));

		ck_assert_msg(json_array_size(jp(r, "data.productVariants.nodes")) == cases[i].hits,
			      "%s: %zu hits", cases[i].query, json_array_size(jp(r, "data.productVariants.nodes")));
		if (cases[i].first_sku)
			ck_assert_str_eq(js(r, "data.productVariants.nodes.0.sku"), cases[i].first_sku);
		if (i == 0) {
			ck_assert_str_eq(js(r, "data.productVariants.nodes.0.product.title"), "Tee");
			ck_assert_str_eq(js(r, "data.productVariants.nodes.0.product.status"), "ACTIVE");
			ck_assert_int_eq(ji(r, "extensions.cost.requestedQueryCost"), 2 + 5 * 2);
		}
		json_decref(r);
	}
	{
		json_t *r = gq("{ productVariant(id: \"gid://shopify/ProductVariant/21\") { id sku price "
			       "product { id title } } }", NULL);

		ck_assert_str_eq(js(r, "data.productVariant.sku"), "MUG-1");
		ck_assert_str_eq(js(r, "data.productVariant.price"), "9.5");
		json_decref(r);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* cost, bucket, limits, clock                                          */

START_TEST(cost_throttle_and_clock)
{
	struct emu_proc P;
	struct resp r;
	json_t *j;
	long long avail;

	start("limits", &P, NULL);
	/* freeze the clock: the bucket moves only when the test moves time */
	json_decref(ctl_post(&P, "/_emu/clock", "{\"set\": 1790000000, \"freeze\": true}"));
	j = ctl_post(&P, "/_emu/config", "{\"bucket_size\": 50, \"restore_rate\": 10, \"currently_available\": 11}");
	ck_assert_ptr_nonnull(j);
	json_decref(j);
	/* 2 + 10 x 1 = 12 > 11: THROTTLED, nothing executed, HTTP 200 */
	gql_req(&P, "{ orders(first: 10) { nodes { id } } }", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(js(r.body, "errors.0.message"), "Throttled");
	ck_assert_str_eq(js(r.body, "errors.0.extensions.code"), "THROTTLED");
	ck_assert_int_eq(ji(r.body, "extensions.cost.requestedQueryCost"), 12);
	ck_assert(json_is_null(jp(r.body, "extensions.cost.actualQueryCost")));
	ck_assert_int_eq(ji(r.body, "extensions.cost.throttleStatus.currentlyAvailable"), 11);
	ck_assert_int_eq(ji(r.body, "extensions.cost.throttleStatus.maximumAvailable"), 50);
	ck_assert_ptr_null(jp(r.body, "data"));
	resp_free(&r);
	/* the requested cost is charged, the unused part refunded */
	gql_req(&P, "{ orders(first: 5) { nodes { id } } }", NULL, NULL, &r);
	ck_assert_int_eq(ji(r.body, "extensions.cost.requestedQueryCost"), 7);
	ck_assert_int_eq(ji(r.body, "extensions.cost.actualQueryCost"), 2 + 3);	/* 3 fixture orders */
	ck_assert_int_eq(ji(r.body, "extensions.cost.throttleStatus.currentlyAvailable"), 11 - 5);
	resp_free(&r);
	/* HTTP 429 when configured, with Retry-After */
	json_decref(ctl_post(&P, "/_emu/config", "{\"throttle_http_status\": 429}"));
	gql_req(&P, "{ orders(first: 10) { nodes { id } } }", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 429);
	ck_assert_str_eq(js(r.body, "errors.0.extensions.code"), "THROTTLED");
	ck_assert_str_eq(r.retry_after, "1");	/* (12 - 6) / 10 per s, rounded up */
	resp_free(&r);
	/* the emulator clock restores the bucket: +5 s at 10/s */
	json_decref(ctl_post(&P, "/_emu/clock", "{\"advance\": 5}"));
	gql_req(&P, "{ shop { name } }", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	avail = ji(r.body, "extensions.cost.throttleStatus.currentlyAvailable");
	/* 6 + 50 capped at 50, minus 1 (less than a second of real time may
	 * have been counted while the clock stood still) */
	ck_assert_msg(avail >= 45 && avail <= 49, "available %lld", avail);
	resp_free(&r);
	/* MAX_COST_EXCEEDED: refused whatever the bucket holds, nothing charged */
	json_decref(ctl_post(&P, "/_emu/config", "{\"bucket_size\": 2000, \"restore_rate\": 100}"));
	gql_req(&P, "{ orders(first: 250) { nodes { id lineItems(first: 250) { nodes { id } } } } }", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(js(r.body, "errors.0.extensions.code"), "MAX_COST_EXCEEDED");
	ck_assert_int_eq(ji(r.body, "errors.0.extensions.cost"), 2 + 250 * (1 + 2 + 250));
	ck_assert_int_eq(ji(r.body, "errors.0.extensions.maxCost"), 1000);
	ck_assert_int_eq(strncmp(js(r.body, "errors.0.message"),
				 "Query cost is 63252, which exceeds the single query max cost limit (1000).", 74), 0);
	ck_assert_int_eq(ji(r.body, "extensions.cost.throttleStatus.currentlyAvailable"), 2000);
	resp_free(&r);
	/* paging limits and missing first/last */
	gql_req(&P, "{ orders(first: 251) { nodes { id } } }", NULL, NULL, &r);
	ck_assert_str_eq(js(r.body, "errors.0.message"),
			 "Argument 'first' on Field 'orders' has an invalid value (251). Expected a page size from 0 to 250.");
	resp_free(&r);
	gql_req(&P, "{ orders(query: \"x\") { nodes { id } } }", NULL, NULL, &r);
	ck_assert_str_eq(js(r.body, "errors.0.message"), "you must provide one of first or last");
	ck_assert_str_eq(js(r.body, "errors.0.extensions.code"), "BAD_REQUEST");
	ck_assert(json_is_null(jp(r.body, "data")));
	resp_free(&r);
	/* the clock: GET, set, orders created now carry it */
	j = harness_emu_get(&P, "/_emu/clock");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "now")), 1790000005);
	json_decref(j);
	{
		json_t *o = create_order_on(&P, order_input("clock-1", 1));

		ck_assert_str_eq(js(o, "createdAt"), "2026-09-21T14:13:25Z");	/* 1790000005 */
		json_decref(o);
	}
	/* search-index lag: order(id:) sees a new order at once, orders(query:) later */
	json_decref(ctl_post(&P, "/_emu/config", "{\"search_index_lag\": 30}"));
	{
		json_t *o = create_order_on(&P, order_input("lagging-1", 1)), *rr;
		char q[256];

		rr = gq_on(&P, "{ orders(first: 5, query: \"source_identifier:lagging-1\") { nodes { id } } }", NULL);
		ck_assert_uint_eq(json_array_size(jp(rr, "data.orders.nodes")), 0);
		json_decref(rr);
		snprintf(q, sizeof(q), "{ order(id: \"%s\") { id } }", js(o, "id"));
		rr = gq_on(&P, q, NULL);
		ck_assert_str_eq(js(rr, "data.order.id"), js(o, "id"));
		json_decref(rr);
		json_decref(ctl_post(&P, "/_emu/clock", "{\"advance\": 31}"));
		rr = gq_on(&P, "{ orders(first: 5, query: \"source_identifier:lagging-1\") { nodes { id } } }", NULL);
		ck_assert_uint_eq(json_array_size(jp(rr, "data.orders.nodes")), 1);
		json_decref(rr);
		json_decref(o);
	}
	/* config refuses nonsense */
	{
		long status = 0;
		char url[600], *body = NULL;

		snprintf(url, sizeof(url), "%s/_emu/config", P.base_url);
		ck_assert_int_eq(harness_http("POST", url, NULL, "{\"throttle_http_status\": 302}", &status, &body), 0);
		ck_assert_int_eq(status, 400);
		free(body);
	}
	stop(&P);
}
END_TEST

START_TEST(dev_store_order_limit)
{
	struct emu_proc P;
	json_t *r;
	int i;

	start("devstore", &P, NULL);
	json_decref(ctl_post(&P, "/_emu/clock", "{\"set\": 1790000000, \"freeze\": true}"));
	json_decref(ctl_post(&P, "/_emu/config", "{\"dev_store_order_limit\": true}"));
	for (i = 0; i < 5; i++) {
		char sid[32];
		json_t *o;

		snprintf(sid, sizeof(sid), "dev-%d", i);
		o = create_order_on(&P, order_input(sid, 1));
		json_decref(o);
	}
	r = gq_on(&P, ORDER_CREATE, json_pack("{s:o}", "order", order_input("dev-5", 1)));
	ck_assert(json_is_null(jp(r, "data.orderCreate.order")));
	ck_assert_str_eq(js(r, "data.orderCreate.userErrors.0.message"), "Too many attempts. Please try again later.");
	ck_assert(json_is_null(jp(r, "data.orderCreate.userErrors.0.code")));
	json_decref(r);
	json_decref(ctl_post(&P, "/_emu/clock", "{\"advance\": 61}"));
	r = gq_on(&P, ORDER_CREATE, json_pack("{s:o}", "order", order_input("dev-6", 1)));
	ck_assert_uint_eq(json_array_size(jp(r, "data.orderCreate.userErrors")), 0);
	json_decref(r);
	stop(&P);
}
END_TEST

/* ------------------------------------------------------------------ */
/* faults                                                               */

static int orders_with_source(const struct emu_proc *p, const char *sid)
{
	json_t *r = gq_on(p, "query($q: String) { orders(first: 5, query: $q) { nodes { id } } }",
			  json_pack("{s:s}", "q", sid));
	int n = (int)json_array_size(jp(r, "data.orders.nodes"));

	json_decref(r);
	return n;
}

static json_t *log_last(const struct emu_proc *p)
{
	json_t *log = harness_emu_log(p), *last;

	ck_assert_ptr_nonnull(log);
	last = json_incref(json_array_get(log, json_array_size(log) - 1));
	json_decref(log);
	return last;
}

static void create_raw(const struct emu_proc *p, const char *sid, const char *opname, long timeout_ms,
		       struct resp *r)
{
	json_t *req = json_pack("{s:s,s:{s:o}}", "query", ORDER_CREATE, "variables", "order",
				order_input(sid, 1));
	char *body;

	if (opname)
		json_object_set_new(req, "operationName", json_string(opname));
	body = json_dumps(req, JSON_COMPACT);
	http_req(p, "POST", API, TOKEN, NULL, body, timeout_ms, r);
	free(body);
	json_decref(req);
}

START_TEST(faults)
{
	struct emu_proc P;
	struct resp r;
	json_t *j, *last;
	struct timespec t0, t1;
	long ms;

	start("faults", &P, NULL);
	/* status 429 with Retry-After, matched by the first root field */
	json_decref(ctl_post(&P, "/_emu/faults", "{\"match\": {\"operation\": \"orderCreate\"}, \"count\": 1,"
			     " \"kind\": \"status\", \"status\": 429, \"retry_after\": \"2\"}"));
	gql_req(&P, "{ shop { name } }", NULL, NULL, &r);	/* not matched */
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	create_raw(&P, "fault-429", NULL, 0, &r);
	ck_assert_int_eq(r.status, 429);
	ck_assert_str_eq(r.retry_after, "2");
	ck_assert_str_eq(js(r.body, "errors.0.extensions.code"), "THROTTLED");
	resp_free(&r);
	ck_assert_int_eq(orders_with_source(&P, "source_identifier:fault-429"), 0);	/* not executed */
	/* 429 without Retry-After, matched by operationName; count 2 */
	json_decref(ctl_post(&P, "/_emu/faults", "{\"match\": {\"operation\": \"ImportOrder\"}, \"count\": 2,"
			     " \"kind\": \"status\", \"status\": 429}"));
	create_raw(&P, "fault-429b", "ImportOrder", 0, &r);
	ck_assert_int_eq(r.status, 429);
	ck_assert_str_eq(r.retry_after, "");
	resp_free(&r);
	create_raw(&P, "fault-429b", "ImportOrder", 0, &r);
	ck_assert_int_eq(r.status, 429);
	resp_free(&r);
	create_raw(&P, "fault-429b", "ImportOrder", 0, &r);	/* spent */
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	/* 500 and 503 */
	json_decref(ctl_post(&P, "/_emu/faults", "{\"match\": {\"path\": \"/admin/api/*\"}, \"kind\": \"status\","
			     " \"status\": 500}"));
	gql_req(&P, "{ shop { name } }", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 500);
	ck_assert_str_eq(js(r.body, "errors.0.extensions.code"), "INTERNAL_SERVER_ERROR");
	resp_free(&r);
	json_decref(ctl_post(&P, "/_emu/faults", "{\"kind\": \"status\", \"status\": 503}"));
	gql_req(&P, "{ shop { name } }", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 503);
	resp_free(&r);
	/* drop_before: nothing executed */
	json_decref(ctl_post(&P, "/_emu/faults", "{\"match\": {\"operation\": \"orderCreate\"}, \"kind\": \"drop_before\"}"));
	create_raw(&P, "fault-drop-before", NULL, 0, &r);
	ck_assert(r.failed);
	resp_free(&r);
	ck_assert_int_eq(orders_with_source(&P, "source_identifier:fault-drop-before"), 0);
	/* drop_after: the order is committed, the answer lost */
	json_decref(ctl_post(&P, "/_emu/faults", "{\"match\": {\"operation\": \"orderCreate\"}, \"kind\": \"drop_after\"}"));
	create_raw(&P, "fault-drop-after", NULL, 0, &r);
	ck_assert(r.failed);
	resp_free(&r);
	last = log_last(&P);
	ck_assert_str_eq(js(last, "fault"), "drop_after");
	ck_assert_ptr_nonnull(strstr(js(last, "body"), "fault-drop-after"));
	ck_assert(json_is_null(json_object_get(last, "response")));
	json_decref(last);
	ck_assert_int_eq(orders_with_source(&P, "source_identifier:fault-drop-after"), 1);
	/* truncate: committed, half a body */
	json_decref(ctl_post(&P, "/_emu/faults", "{\"match\": {\"operation\": \"orderCreate\"}, \"kind\": \"truncate\"}"));
	create_raw(&P, "fault-truncate", NULL, 0, &r);
	ck_assert_ptr_null(r.body);
	resp_free(&r);
	ck_assert_int_eq(orders_with_source(&P, "source_identifier:fault-truncate"), 1);
	/* invalid_json: committed, HTTP 200 with a body that is not JSON */
	json_decref(ctl_post(&P, "/_emu/faults", "{\"match\": {\"operation\": \"orderCreate\"}, \"kind\": \"invalid_json\"}"));
	create_raw(&P, "fault-invalid-json", NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_null(r.body);
	resp_free(&r);
	ck_assert_int_eq(orders_with_source(&P, "source_identifier:fault-invalid-json"), 1);
	/* delay */
	json_decref(ctl_post(&P, "/_emu/faults", "{\"match\": {\"operation\": \"shop\"}, \"kind\": \"delay\", \"ms\": 300}"));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	gql_req(&P, "{ shop { name } }", NULL, NULL, &r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(ms >= 300, "answered after %ld ms", ms);
	resp_free(&r);
	/* hang: the client gives up; the emulator stays up */
	json_decref(ctl_post(&P, "/_emu/faults", "{\"match\": {\"operation\": \"shop\"}, \"kind\": \"hang\"}"));
	http_req(&P, "POST", API, TOKEN, NULL, "{\"query\":\"{ shop { name } }\"}", 400, &r);
	ck_assert(r.failed);
	resp_free(&r);
	gql_req(&P, "{ shop { name } }", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	/* the fault list */
	json_decref(ctl_post(&P, "/_emu/faults", "{\"kind\": \"status\", \"status\": 500, \"count\": 5}"));
	j = harness_emu_get(&P, "/_emu/faults");
	ck_assert_uint_eq(json_array_size(json_object_get(j, "faults")), 1);
	json_decref(j);
	json_decref(harness_emu_delete(&P, "/_emu/faults"));
	gql_req(&P, "{ shop { name } }", NULL, NULL, &r);
	ck_assert_int_eq(r.status, 200);
	resp_free(&r);
	stop(&P);
}
END_TEST

/* ------------------------------------------------------------------ */
/* merchant-side events                                                 */

START_TEST(events)
{
	struct emu_proc P;
	json_t *o, *ev, *r;
	char body[512], q[512];
	char *fid;

	start("events", &P, NULL);
	o = create_order_on(&P, order_input("event-1", 3));
	/* fulfil two units in "admin", by SKU, with a known carrier */
	snprintf(body, sizeof(body), "{\"type\": \"fulfill\", \"order\": \"%s\", \"lines\": [{\"sku\": \"TEE-RED-M\","
		 " \"quantity\": 2}], \"company\": \"FedEx\", \"number\": \"794633071230\"}", js(o, "name"));
	ev = harness_emu_post(&P, "/_emu/event", body);
	ck_assert_ptr_nonnull(ev);
	ck_assert_str_eq(js(ev, "status"), "SUCCESS");
	ck_assert_str_eq(js(ev, "trackingInfo.0.url"), "https://www.fedex.com/fedextrack/?trknbr=794633071230");
	ck_assert_int_eq(ji(ev, "lines.0.quantity"), 2);
	fid = xstrdup(js(ev, "id"));
	json_decref(ev);
	snprintf(q, sizeof(q), "{ order(id: \"%s\") { displayFulfillmentStatus fulfillments { status "
		 "trackingInfo { company number } } } }", js(o, "id"));
	r = gq_on(&P, q, NULL);
	ck_assert_str_eq(js(r, "data.order.displayFulfillmentStatus"), "PARTIALLY_FULFILLED");
	ck_assert_str_eq(js(r, "data.order.fulfillments.0.trackingInfo.0.number"), "794633071230");
	json_decref(r);
	/* edit its tracking */
	snprintf(body, sizeof(body), "{\"type\": \"edit_tracking\", \"fulfillment_id\": \"%s\", \"number\": \"794633071231\"}", fid);
	ev = harness_emu_post(&P, "/_emu/event", body);
	ck_assert_str_eq(js(ev, "trackingInfo.0.number"), "794633071231");
	ck_assert_str_eq(js(ev, "trackingInfo.0.company"), "FedEx");
	json_decref(ev);
	/* a carrier event */
	snprintf(body, sizeof(body), "{\"type\": \"fulfillment_event\", \"fulfillment_id\": \"%s\", \"status\": \"DELIVERED\","
		 " \"happened_at\": \"2026-06-01T12:00:00Z\"}", fid);
	ev = harness_emu_post(&P, "/_emu/event", body);
	ck_assert_str_eq(js(ev, "displayStatus"), "DELIVERED");
	ck_assert_str_eq(js(ev, "deliveredAt"), "2026-06-01T12:00:00Z");
	json_decref(ev);
	/* cancel it: quantities return */
	snprintf(body, sizeof(body), "{\"type\": \"cancel_fulfillment\", \"fulfillment_id\": \"%s\"}", fid);
	ev = harness_emu_post(&P, "/_emu/event", body);
	ck_assert_str_eq(js(ev, "status"), "CANCELLED");
	json_decref(ev);
	r = gq_on(&P, q, NULL);
	ck_assert_str_eq(js(r, "data.order.displayFulfillmentStatus"), "UNFULFILLED");
	json_decref(r);
	/* "*": every unfulfilled order (the fixture's #990 and this one; #991 is
	 * fulfilled, #992 cancelled) */
	ev = harness_emu_post(&P, "/_emu/event", "{\"type\": \"fulfill\", \"order\": \"*\", \"company\": \"USPS\","
			      " \"number\": \"9400100000000000000000\"}");
	ck_assert_int_eq(ji(ev, "fulfilled"), 2);
	json_decref(ev);
	r = gq_on(&P, q, NULL);
	ck_assert_str_eq(js(r, "data.order.displayFulfillmentStatus"), "FULFILLED");
	json_decref(r);
	/* a new variant appears in the catalogue */
	ev = harness_emu_post(&P, "/_emu/event", "{\"type\": \"add_variant\", \"product_id\": \"gid://shopify/Product/2\","
			      " \"sku\": \"MUG-NEW\", \"title\": \"New\", \"price\": \"12.00\"}");
	ck_assert_str_eq(js(ev, "sku"), "MUG-NEW");
	json_decref(ev);
	r = gq_on(&P, "{ productVariants(first: 5, query: \"sku:MUG-NEW\") { nodes { sku price product { id } } } }", NULL);
	ck_assert_str_eq(js(r, "data.productVariants.nodes.0.price"), "12.0");
	ck_assert_str_eq(js(r, "data.productVariants.nodes.0.product.id"), "gid://shopify/Product/2");
	json_decref(r);
	/* the buyer cancels in Shopify */
	json_decref(o);
	o = create_order_on(&P, order_input("event-2", 1));
	snprintf(body, sizeof(body), "{\"type\": \"cancel_order\", \"order\": \"event-2\"}");
	ev = harness_emu_post(&P, "/_emu/event", body);
	ck_assert(json_is_string(jp(ev, "cancelledAt")));
	ck_assert_str_eq(js(ev, "cancelReason"), "CUSTOMER");
	json_decref(ev);
	/* refused events answer 400 with a reason */
	{
		long status = 0;
		char url[600], *resp = NULL;

		snprintf(url, sizeof(url), "%s/_emu/event", P.base_url);
		ck_assert_int_eq(harness_http("POST", url, NULL, "{\"type\": \"fulfill\", \"order\": \"#nope\"}",
					      &status, &resp), 0);
		ck_assert_int_eq(status, 400);
		free(resp);
	}
	free(fid);
	json_decref(o);
	stop(&P);
}
END_TEST

/* ------------------------------------------------------------------ */
/* log, state, concurrency                                              */

START_TEST(request_log_and_state)
{
	json_t *log, *e, *state;
	size_t i;
	int saw = 0;

	json_decref(gq("query LogProbe { shop { name } }", NULL));
	log = harness_emu_log(&E);
	ck_assert_ptr_nonnull(log);
	json_array_foreach(log, i, e) {
		ck_assert_ptr_nonnull(json_object_get(e, "method"));
		ck_assert_ptr_nonnull(json_object_get(e, "path"));
		ck_assert_ptr_nonnull(json_object_get(e, "query"));
		ck_assert_ptr_nonnull(json_object_get(e, "body"));
		ck_assert_ptr_nonnull(json_object_get(e, "status"));
		ck_assert_ptr_nonnull(json_object_get(e, "response"));
		ck_assert_int_ne(strncmp(js(e, "path"), "/_emu/", 6), 0);	/* control calls are not logged */
		if (strstr(js(e, "body"), "LogProbe"))
			saw = 1;
	}
	ck_assert(saw);
	json_decref(log);
	state = harness_emu_get(&E, "/_emu/state");
	ck_assert_ptr_nonnull(state);
	ck_assert_uint_ge(json_array_size(json_object_get(state, "orders")), 3);
	ck_assert_str_eq(js(state, "orders.0.name"), "#990");
	ck_assert_str_eq(js(state, "shop.name"), "Conformance Store");
	ck_assert_ptr_nonnull(jp(state, "limits.bucket_size"));
	json_decref(state);
}
END_TEST

struct worker {
	const struct emu_proc *p;
	int ok;
	int idx;
};

static void *hammer(void *arg)
{
	struct worker *w = arg;
	int i;

	for (i = 0; i < 5; i++) {
		struct resp r;
		char q[256];

		if (i == 2) {
			/* one write per worker */
			json_t *req = json_pack("{s:s,s:{s:o}}", "query", ORDER_CREATE, "variables", "order",
						order_input("conc", 1));
			char *body = json_dumps(req, JSON_COMPACT);

			http_req(w->p, "POST", API, TOKEN, NULL, body, 0, &r);
			free(body);
			json_decref(req);
		} else {
			snprintf(q, sizeof(q), "{\"query\":\"{ shop { name } orders(first: 2) { nodes { id name } } }\"}");
			http_req(w->p, "POST", API, TOKEN, NULL, q, 0, &r);
		}
		if (r.status == 200 && r.body && !json_object_get(r.body, "errors"))
			w->ok++;
		resp_free(&r);
	}
	return NULL;
}

START_TEST(sixty_four_connections)
{
	struct emu_proc P;
	pthread_t th[64];
	struct worker w[64];
	int i, ok = 0;
	json_t *r;

	start("concurrency", &P, NULL);
	/* room for 64 orderCreates at once: this test is about connections */
	json_decref(ctl_post(&P, "/_emu/config", "{\"bucket_size\": 1000000, \"restore_rate\": 100000}"));
	for (i = 0; i < 64; i++) {
		w[i].p = &P;
		w[i].ok = 0;
		w[i].idx = i;
		ck_assert_int_eq(pthread_create(&th[i], NULL, hammer, &w[i]), 0);
	}
	for (i = 0; i < 64; i++) {
		pthread_join(th[i], NULL);
		ok += w[i].ok;
	}
	ck_assert_int_eq(ok, 64 * 5);
	/* 64 orders, 64 distinct names */
	r = gq_on(&P, "{ orders(first: 100, query: \"source_identifier:conc\") { nodes { name } } }", NULL);
	ck_assert_uint_eq(json_array_size(jp(r, "data.orders.nodes")), 64);
	json_decref(r);
	stop(&P);
}
END_TEST

/* ------------------------------------------------------------------ */

static void setup(void)
{
	workdir = harness_mkdtemp("shopify-conformance");
	fixture = xasprintf("%s/shopify.json", workdir);
	if (harness_write_file(fixture, fixture_json) != 0)
		abort();
	if (harness_start_emu("shopify", fixture, "conformance", NULL, &E) != 0)
		abort();
	{
		const char *logdir = getenv("TTSYNC_TEST_LOGDIR");
		char logpath[600];
		const char *extra[] = { "--log", logpath, NULL };

		snprintf(logpath, sizeof(logpath), "%s/invalid-shopify-conformance.log", logdir);
		if (harness_start_emu("shopify", fixture, "bad", extra, &BAD) != 0)
			abort();
	}
}

static void teardown(void)
{
	harness_stop_emu(&E);
	harness_stop_emu(&BAD);
}

static Suite *shopify_suite(void)
{
	Suite *s = suite_create("shopify-emu");
	TCase *tc = tcase_create("conformance");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, auth_and_transport);
	tcase_add_test(tc, bad_requests_get_shopify_errors);
	tcase_add_test(tc, syntax_and_validation_errors);
	tcase_add_test(tc, hostile_documents);
	tcase_add_test(tc, order_create_and_read_back);
	tcase_add_test(tc, order_create_user_errors);
	tcase_add_test(tc, order_level_taxes_and_discounts);
	tcase_add_test(tc, fulfillment_lifecycle);
	tcase_add_test(tc, fulfillment_create_across_orders_refused);
	tcase_add_test(tc, order_cancel);
	tcase_add_test(tc, order_update_and_tags);
	tcase_add_test(tc, selection_aliases_fragments_directives);
	tcase_add_test(tc, search_syntax);
	tcase_add_test(tc, paging_with_cursors);
	tcase_add_test(tc, variants_by_sku);
	tcase_add_test(tc, cost_throttle_and_clock);
	tcase_add_test(tc, dev_store_order_limit);
	tcase_add_test(tc, faults);
	tcase_add_test(tc, events);
	tcase_add_test(tc, request_log_and_state);
	tcase_add_test(tc, sixty_four_connections);
	suite_add_tcase(s, tc);
	return s;
}

/* The oracle: every valid request the suite sent, against the real
 * 2026-04 schema. */
static int schema_oracle(void)
{
	const char *logdir = getenv("TTSYNC_TEST_LOGDIR");
	char checker[600], paths[ARRAY_SIZE(valid_tags)][600];
	const char *argv[ARRAY_SIZE(valid_tags) + 3];
	const char *env[] = { "NODE_PATH=/usr/share/nodejs", NULL };
	struct run_result r;
	size_t i, n = 0;
	int rc;

	snprintf(checker, sizeof(checker), "%s/tools/shopify-schema-check", harness_shared());
	argv[n++] = "/usr/bin/node";
	argv[n++] = checker;
	for (i = 0; i < ARRAY_SIZE(valid_tags); i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/shopify-%s.log", logdir, valid_tags[i]);
		if (access(paths[i], R_OK) == 0)
			argv[n++] = paths[i];
	}
	argv[n] = NULL;
	if (n < 3 + 4) {
		fprintf(stderr, "schema oracle: only %zu request logs found in %s\n", n - 2, logdir);
		return -1;
	}
	rc = harness_run(argv, env, 300, &r);
	fprintf(stderr, "shopify-schema-check: %s%s", r.out, r.err);
	run_result_free(&r);
	return rc == 0 ? 0 : -1;
}

int main(void)
{
	SRunner *sr;
	int failed;
	char *logdir = NULL;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!getenv("TTSYNC_TEST_LOGDIR") || !*getenv("TTSYNC_TEST_LOGDIR")) {
		logdir = harness_mkdtemp("shopify-logs");
		setenv("TTSYNC_TEST_LOGDIR", logdir, 1);
	}
	sr = srunner_create(shopify_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (schema_oracle() != 0) {
		fprintf(stderr, "FAIL: a request this suite sent is not valid for Shopify's schema\n");
		failed++;
	}
	free(logdir);
	free(fixture);
	free(workdir);
	curl_global_cleanup();
	return failed ? 1 : 0;
}

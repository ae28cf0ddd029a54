/*
 * check_shopify.c - the Shopify client, end to end through http.c's
 * transport seam with a virtual clock (no sockets, no wall-clock sleeps):
 *   - the oracle: every document, and every request the client sends with
 *     realistic variables, held against Shopify's real 2026-04 schema by
 *     ../shared/tools/shopify-schema-check (the request log is also left
 *     in $TTSYNC_TEST_LOGDIR for run-tests.sh's oracle pass);
 *   - answers (canned, built here) parsed into model.h structs;
 *   - what each kind of answer leads to (retry, wait, unknown, auth);
 *   - the requested cost of every request, recomputed from the document
 *     text by a schema-driven calculator, and kept under 1000;
 *   - search values escaped per Shopify's search syntax;
 *   - the orderCreate variables, admin links, and the token kept out of
 *     every log line.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "http.h"
#include "model.h"
#include "shopify.h"

#define TOKEN "shpat_test_SECRET_0123456789abcdef"
#define ENDPOINT "https://acme-store.myshopify.com/admin/api/2026-04/graphql.json"
#define MAXREQ 64

/* ------------------------------------------------------------------ */
/* A virtual world: clock, sleeper, scripted Shopify                     */

struct canned {
	int rc;			/* 0 = HTTP answer, -1 = transport failure */
	long status;
	int sent;
	int64_t retry_after_ms;
	char *body;
};

struct sent_req {
	char *op;		/* operationName from the body */
	char *body;
	char *url;
	char *headers;		/* "\n"-joined */
	double cost;
	int retry_safe;
	int64_t at;
};

static struct {
	int64_t now;
	struct canned script[MAXREQ];
	size_t nscript, next;
	struct sent_req reqs[MAXREQ];
	size_t nreqs;
	int unscripted;
} W;

static struct config cfg;
static struct http *H;
static struct shopify *S;

static int64_t vnow(void *arg)
{
	(void)arg;
	return W.now;
}

static void vsleep(int64_t ms, void *arg)
{
	(void)arg;
	W.now += ms;
}

static int transport(const struct http_req *req, struct http_resp *out,
		     void *arg)
{
	struct sent_req *r;
	struct canned *c;
	json_t *body;
	size_t i;
	size_t hl = 0;

	(void)arg;
	ck_assert_uint_lt(W.nreqs, MAXREQ);
	r = &W.reqs[W.nreqs++];
	r->body = strndup(req->body, req->body_len);
	r->url = strdup(req->url);
	r->cost = req->cost;
	r->retry_safe = req->retry_safe;
	r->at = W.now;
	body = json_loads(r->body, 0, NULL);
	ck_assert_msg(body != NULL, "request body is not JSON: %s", r->body);
	r->op = strdup(json_string_value(json_object_get(body, "operationName")));
	json_decref(body);
	for (i = 0; i < req->nheaders; i++)
		hl += strlen(req->headers[i]) + 1;
	r->headers = calloc(1, hl + 1);
	for (i = 0; i < req->nheaders; i++) {
		strcat(r->headers, req->headers[i]);
		strcat(r->headers, "\n");
	}

	if (W.next >= W.nscript) {
		W.unscripted++;
		out->status = 500;
		out->body = strdup("{\"errors\":[{\"message\":\"unscripted\"}]}");
		out->len = strlen(out->body);
		return 0;
	}
	c = &W.script[W.next++];
	out->retry_after_ms = c->retry_after_ms;
	if (c->rc != 0) {
		out->sent = c->sent;
		out->curl_code = 56;	/* CURLE_RECV_ERROR */
		snprintf(out->curl_error, sizeof(out->curl_error),
			 "Connection reset by peer");
		return -1;
	}
	out->status = c->status;
	if (c->body != NULL) {
		out->body = strdup(c->body);
		out->len = strlen(c->body);
	}
	return 0;
}

static struct canned *push(void)
{
	struct canned *c;

	ck_assert_uint_lt(W.nscript, MAXREQ);
	c = &W.script[W.nscript++];
	memset(c, 0, sizeof(*c));
	c->retry_after_ms = -1;
	return c;
}

/* A JSON value written with single quotes for readability. */
static json_t *J(const char *sq)
{
	char *s = strdup(sq), *p;
	json_error_t je;
	json_t *v;

	for (p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	v = json_loads(s, JSON_DECODE_ANY, &je);
	ck_assert_msg(v != NULL, "bad test JSON at %d: %s", je.position, je.text);
	free(s);
	return v;
}

static void say(long status, const char *body)
{
	struct canned *c = push();

	c->status = status;
	c->body = body ? strdup(body) : NULL;
}

static void say_json(long status, json_t *root)
{
	char *s = json_dumps(root, JSON_COMPACT);

	say(status, s);
	free(s);
	json_decref(root);
}

/* A 200 answer: {"data": data, "extensions": {"cost": ...}} */
static void say_data(json_t *data)
{
	say_json(200, json_pack("{s:o,s:{s:{s:i,s:i,s:{s:i,s:i,s:i}}}}",
				"data", data, "extensions", "cost",
				"requestedQueryCost", 12, "actualQueryCost", 6,
				"throttleStatus", "maximumAvailable", 2000,
				"currentlyAvailable", 1994, "restoreRate", 100));
}

/* Research §2: the THROTTLED body (no data, actualQueryCost null). */
static void say_throttled(long status, int requested, int available)
{
	say_json(status, json_pack(
		"{s:[{s:s,s:{s:s,s:s}}],s:{s:{s:i,s:n,s:{s:i,s:i,s:i}}}}",
		"errors", "message", "Throttled", "extensions", "code", "THROTTLED",
		"documentation", "https://shopify.dev/api/usage/rate-limits",
		"extensions", "cost", "requestedQueryCost", requested,
		"actualQueryCost", "throttleStatus", "maximumAvailable", 2000,
		"currentlyAvailable", available, "restoreRate", 100));
}

static void say_top_error(long status, const char *code, const char *msg)
{
	say_json(status, json_pack("{s:[{s:s,s:{s:s}}]}", "errors", "message", msg,
				   "extensions", "code", code));
}

static void say_drop(int sent)
{
	struct canned *c = push();

	c->rc = -1;
	c->sent = sent;
}

static void setup(void)
{
	struct http_opts o;
	struct err e;

	memset(&W, 0, sizeof(W));
	W.now = 1000000;
	memset(&cfg, 0, sizeof(cfg));
	cfg.path = "test.yaml";
	cfg.sh_shop_domain = "acme-store.myshopify.com";
	cfg.sh_api_version = "2026-04";
	cfg.sh_access_token = TOKEN;
	memset(&o, 0, sizeof(o));
	o.concurrency = 4;
	o.timeout_seconds = 30;
	o.max_attempts = 4;
	o.base_backoff_ms = 500;
	o.max_backoff_ms = 30000;
	o.user_agent = "ttsync-test";
	ck_assert_int_eq(http_new(&o, &H, &e), 0);
	http_set_transport(H, transport, NULL);
	http_set_clock(H, vnow, NULL);
	clock_set_sleeper(vsleep, NULL);
	ck_assert_int_eq(shopify_new(&cfg, H, &S, &e), 0);
}

static void teardown(void)
{
	size_t i;

	shopify_free(S);
	http_free(H);
	clock_set_sleeper(NULL, NULL);
	for (i = 0; i < W.nscript; i++)
		free(W.script[i].body);
	for (i = 0; i < W.nreqs; i++) {
		free(W.reqs[i].op);
		free(W.reqs[i].body);
		free(W.reqs[i].url);
		free(W.reqs[i].headers);
	}
}

static void run(void)
{
	struct err e;

	ck_assert_msg(http_run(H, &e) == 0, "http_run: %s", e.msg);
}

/* The variables object of request i (caller decrefs). */
static json_t *vars_of(size_t i)
{
	json_t *b, *v;

	ck_assert_uint_lt(i, W.nreqs);
	b = json_loads(W.reqs[i].body, 0, NULL);
	v = json_incref(json_object_get(b, "variables"));
	json_decref(b);
	ck_assert_ptr_nonnull(v);
	return v;
}

static const char *query_of(size_t i, json_t **keep)
{
	*keep = json_loads(W.reqs[i].body, 0, NULL);
	return json_string_value(json_object_get(*keep, "query"));
}

/* ------------------------------------------------------------------ */
/* What the callbacks received                                          */

static struct {
	int calls;
	struct sh_result res;
	struct sh_order_list orders;
	struct sh_variant_list variants;
	struct sh_fulfillment ful;
	int have_ful, have_list;
} G;

static void take_res(struct sh_result *res)
{
	G.calls++;
	sh_result_free(&G.res);
	G.res = *res;
	memset(res, 0, sizeof(*res));
}

static void on_orders(void *arg, struct sh_result *res, struct sh_order_list *l)
{
	(void)arg;
	take_res(res);
	sh_order_list_free(&G.orders);
	G.have_list = l != NULL;
	if (l != NULL) {
		G.orders = *l;
		memset(l, 0, sizeof(*l));
	}
}

static void on_variants(void *arg, struct sh_result *res,
			struct sh_variant_list *l)
{
	(void)arg;
	take_res(res);
	G.have_list = l != NULL;
	if (l != NULL) {
		G.variants = *l;
		memset(l, 0, sizeof(*l));
	}
}

static void on_fulfillment(void *arg, struct sh_result *res,
			   struct sh_fulfillment *f)
{
	(void)arg;
	take_res(res);
	G.have_ful = f != NULL;
	if (f != NULL) {
		G.ful = *f;
		memset(f, 0, sizeof(*f));
	}
}

static void on_simple(void *arg, struct sh_result *res)
{
	(void)arg;
	take_res(res);
}

static void g_reset(void)
{
	struct sh_order tmp;

	sh_result_free(&G.res);
	sh_order_list_free(&G.orders);
	sh_variant_list_free(&G.variants);
	/* a fulfillment is freed through an order holding it */
	memset(&tmp, 0, sizeof(tmp));
	if (G.have_ful) {
		tmp.fulfillments = calloc(1, sizeof(*tmp.fulfillments));
		tmp.fulfillments[0] = G.ful;
		tmp.nfulfillments = 1;
		sh_order_free(&tmp);
	}
	memset(&G, 0, sizeof(G));
}

/* ------------------------------------------------------------------ */
/* Canned Shopify objects                                               */

static json_t *order_obj(void)
{
	return J("{'id':'gid://shopify/Order/1001','legacyResourceId':'1001','name':'#1001',"
		 "'createdAt':'2026-11-20T10:00:05Z','updatedAt':'2026-11-21T08:30:00Z',"
		 "'processedAt':'2026-11-20T09:58:00Z','cancelledAt':null,"
		 "'sourceName':'123456','sourceIdentifier':'576543219876543210',"
		 "'tags':['TikTok Shop','TikTok Shop Gift'],"
		 "'customAttributes':[{'key':'Channel','value':'TikTok Shop - Acme'},"
		 "  {'key':'TikTok Shop Order ID','value':'576543219876543210'},"
		 "  {'key':'Shipping Method','value':'Seller shipping'}],"
		 "'displayFulfillmentStatus':'PARTIALLY_FULFILLED','displayFinancialStatus':'PAID',"
		 "'totalPriceSet':{'shopMoney':{'amount':'40.6','currencyCode':'USD'}},"
		 "'lineItems':{'pageInfo':{'hasNextPage':false},'nodes':["
		 "  {'id':'gid://shopify/LineItem/11','sku':'MUG-RED','title':'Mug','quantity':2,"
		 "   'variant':{'id':'gid://shopify/ProductVariant/4455'}},"
		 "  {'id':'gid://shopify/LineItem/12','sku':null,'title':'Gift','quantity':1,'variant':null}]},"
		 "'fulfillments':[{'id':'gid://shopify/Fulfillment/71','name':'#1001-F1',"
		 "  'status':'SUCCESS','displayStatus':'IN_TRANSIT',"
		 "  'createdAt':'2026-11-21T08:00:00Z','updatedAt':'2026-11-21T08:30:00Z',"
		 "  'inTransitAt':'2026-11-21T08:30:00Z','deliveredAt':null,"
		 "  'trackingInfo':[{'company':'USPS','number':'9400111899223197428490',"
		 "    'url':'https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111899223197428490'}],"
		 "  'fulfillmentLineItems':{'pageInfo':{'hasNextPage':false},"
		 "    'nodes':[{'quantity':1,'lineItem':{'id':'gid://shopify/LineItem/11'}}]}}],"
		 "'fulfillmentOrders':{'pageInfo':{'hasNextPage':false},'nodes':["
		 "  {'id':'gid://shopify/FulfillmentOrder/91','status':'IN_PROGRESS',"
		 "   'lineItems':{'pageInfo':{'hasNextPage':false},'nodes':["
		 "     {'id':'gid://shopify/FulfillmentOrderLineItem/911','totalQuantity':2,"
		 "      'remainingQuantity':1,'lineItem':{'id':'gid://shopify/LineItem/11'}},"
		 "     {'id':'gid://shopify/FulfillmentOrderLineItem/912','totalQuantity':1,"
		 "      'remainingQuantity':1,'lineItem':{'id':'gid://shopify/LineItem/12'}}]}}]}}");
}

/* Another connector's import: no attribute, source identifier only,
 * cancelled, nothing shipped. */
static json_t *other_order_obj(void)
{
	return J("{'id':'gid://shopify/Order/990','legacyResourceId':'990','name':'#990',"
		 "'createdAt':'2026-11-20T10:00:00Z','updatedAt':'2026-11-22T01:02:03Z',"
		 "'processedAt':'2026-11-20T10:00:00Z','cancelledAt':'2026-11-22T01:02:03Z',"
		 "'sourceName':'other-connector','sourceIdentifier':'579000000000000042',"
		 "'tags':['TikTok'],'customAttributes':[],"
		 "'displayFulfillmentStatus':'UNFULFILLED','displayFinancialStatus':'REFUNDED',"
		 "'totalPriceSet':{'shopMoney':{'amount':'17.00','currencyCode':'USD'}},"
		 "'lineItems':{'pageInfo':{'hasNextPage':false},'nodes':[]},"
		 "'fulfillments':[],"
		 "'fulfillmentOrders':{'pageInfo':{'hasNextPage':false},'nodes':[]}}");
}

static json_t *orders_page(json_t *nodes, int has_next, const char *cursor)
{
	return json_pack("{s:{s:{s:b,s:s?},s:o}}", "orders", "pageInfo",
			 "hasNextPage", has_next, "endCursor", cursor, "nodes", nodes);
}

static json_t *fulfillment_obj(void)
{
	return J("{'id':'gid://shopify/Fulfillment/8086547988786','name':'#1824-F1',"
		 "'status':'SUCCESS','displayStatus':'FULFILLED',"
		 "'createdAt':'2026-11-22T01:02:03Z','updatedAt':'2026-11-22T01:02:03Z',"
		 "'inTransitAt':null,'deliveredAt':null,"
		 "'trackingInfo':[{'company':'USPS','number':'9400111899223197428490','url':null}],"
		 "'fulfillmentLineItems':{'pageInfo':{'hasNextPage':false},'nodes':["
		 "  {'quantity':2,'lineItem':{'id':'gid://shopify/LineItem/11'}}]}}");
}

/* ------------------------------------------------------------------ */
/* Realistic inputs                                                     */

static struct sh_tax_line *tax(const char *title, const char *rate, money_t amount)
{
	struct sh_tax_line *t = calloc(1, sizeof(*t));

	t->title = strdup(title);
	t->rate = strdup(rate);
	t->amount = amount;
	return t;
}

static struct kv kvp(const char *k, const char *v)
{
	struct kv r;

	r.key = strdup(k);
	r.value = strdup(v);
	return r;
}

/* Two lines with their own tax, shipping with tax, customer, address,
 * tags, attributes; order-level tax lines that must NOT be sent because
 * the lines carry theirs. */
static void full_input(struct sh_order_input *in)
{
	memset(in, 0, sizeof(*in));
	strcpy(in->currency, "USD");
	in->exp = 2;
	in->processed_at = 1777730591;	/* 2026-05-02T14:03:11Z */
	in->email = strdup("relay-7731@scs.tiktokw.us");
	in->phone = strdup("+15125550100");
	in->note = strdup("Please gift wrap <b>=SUM(A1)</b> \"thanks\"");
	in->customer_first_name = strdup("Ana");
	in->customer_last_name = strdup("Díaz");
	in->has_shipping_address = 1;
	in->shipping_address.first_name = strdup("Ana");
	in->shipping_address.last_name = strdup("Díaz");
	in->shipping_address.address1 = strdup("1 Main St");
	in->shipping_address.address2 = strdup("Apt 4");
	in->shipping_address.city = strdup("Austin");
	in->shipping_address.province_code = strdup("TX");
	in->shipping_address.country_code = strdup("US");
	in->shipping_address.zip = strdup("78701");
	in->shipping_address.phone = strdup("+15125550100");
	in->ntags = 2;
	in->tags = calloc(2, sizeof(char *));
	in->tags[0] = strdup("TikTok Shop");
	in->tags[1] = strdup("TikTok Shop Gift");
	in->nattrs = 3;
	in->attrs = calloc(3, sizeof(struct kv));
	in->attrs[0] = kvp("Channel", "TikTok Shop - Acme");
	in->attrs[1] = kvp("TikTok Shop Order ID", "576543219876543210");
	in->attrs[2] = kvp("Shipping Method", "Seller shipping");
	in->source_identifier = strdup("576543219876543210");
	in->source_url = strdup("https://seller-us.tiktok.com/order/detail?order_no=576543219876543210");
	in->nlines = 2;
	in->lines = calloc(2, sizeof(*in->lines));
	in->lines[0].variant_id = strdup("gid://shopify/ProductVariant/4455");
	in->lines[0].title = strdup("Mug");
	in->lines[0].sku = strdup("MUG-RED");
	in->lines[0].quantity = 2;
	in->lines[0].unit_price = 950;
	in->lines[0].tax_lines = tax("TX State Tax", "0.0625", 119);
	in->lines[0].ntax_lines = 1;
	in->lines[1].variant_id = strdup("gid://shopify/ProductVariant/4456");
	in->lines[1].quantity = 1;
	in->lines[1].unit_price = 1500;
	in->lines[1].tax_lines = tax("TX State Tax", "0.0625", 94);
	in->lines[1].ntax_lines = 1;
	in->lines[1].is_gift = 1;
	in->nshipping = 1;
	in->shipping = calloc(1, sizeof(*in->shipping));
	in->shipping[0].title = strdup("Standard Shipping");
	in->shipping[0].code = strdup("STANDARD");
	in->shipping[0].source = strdup("tiktok_shop");
	in->shipping[0].price = 599;
	in->shipping[0].tax_lines = tax("TX State Tax", "0.0625", 37);
	in->shipping[0].ntax_lines = 1;
	in->order_tax_lines = tax("Order tax", "0.0625", 250);
	in->norder_tax_lines = 1;
	in->transaction_amount = 4349;
	in->transaction_gateway = strdup("TikTok Shop");
	in->transaction_processed_at = 1777730591;
	in->send_receipt = 0;
	in->send_fulfillment_receipt = 0;
	in->inventory_behaviour = strdup("BYPASS");
}

static void fulfillment_input(struct sh_fulfillment_input *f)
{
	memset(f, 0, sizeof(*f));
	f->ngroups = 2;
	f->groups = calloc(2, sizeof(*f->groups));
	f->groups[0].fulfillment_order_id = strdup("gid://shopify/FulfillmentOrder/91");
	f->groups[0].nlines = 2;
	f->groups[0].lines = calloc(2, sizeof(*f->groups[0].lines));
	f->groups[0].lines[0].fo_line_id = strdup("gid://shopify/FulfillmentOrderLineItem/911");
	f->groups[0].lines[0].quantity = 1;
	f->groups[0].lines[1].fo_line_id = strdup("gid://shopify/FulfillmentOrderLineItem/912");
	f->groups[0].lines[1].quantity = 1;
	f->groups[1].fulfillment_order_id = strdup("gid://shopify/FulfillmentOrder/92");
	f->company = strdup("Cainiao US");
	f->number = strdup("LP00123456789US");
	f->url = strdup("https://global.cainiao.com/detail.htm?mailNoList=LP00123456789US");
	f->notify_customer = 0;
}

/* ------------------------------------------------------------------ */
/* Oracle helpers                                                       */

static const char *shared_dir(void)
{
	static char buf[4096];
	const char *s = getenv("TTSYNC_SHARED");
	const char *top = getenv("TTSYNC_TOP");

	if (s != NULL && s[0] != '\0')
		return s;
	snprintf(buf, sizeof(buf), "%s/../shared", top ? top : ".");
	return buf;
}

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/check_shopify.XXXXXX";
	char *d = mkdtemp(tmpl);

	ck_assert_ptr_nonnull(d);
	return strdup(d);
}

/* Remove a flat temporary directory and what it holds. */
static void rm_tmpdir(char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[4096];

	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
	free(dir);
}

/* Run a program; stdout+stderr into `out`; returns its exit status. */
static int run_prog(char *const argv[], const char *out)
{
	pid_t pid;
	int st, fd;

	if (getenv("NODE_PATH") == NULL)
		setenv("NODE_PATH", "/usr/share/nodejs", 1);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* The schema checker on files; asserts exit 0 and shows its output. */
static void schema_check(char **files, size_t n, const char *dir)
{
	char checker[4096], out[4096];
	char *argv[MAXREQ + 4];
	char *text;
	size_t i;
	int rc;

	snprintf(checker, sizeof(checker), "%s/tools/shopify-schema-check", shared_dir());
	snprintf(out, sizeof(out), "%s/checker.out", dir);
	argv[0] = "node";
	argv[1] = checker;
	for (i = 0; i < n; i++)
		argv[2 + i] = files[i];
	argv[2 + n] = NULL;
	rc = run_prog(argv, out);
	text = slurp(out);
	ck_assert_msg(rc == 0, "shopify-schema-check exit %d:\n%s", rc, text);
	ck_assert_msg(strstr(text, " 0 invalid") != NULL, "checker said:\n%s", text);
	free(text);
}

/* ------------------------------------------------------------------ */
/* (1) The oracle: documents                                            */

START_TEST(test_documents_valid_against_schema)
{
	const struct sh_document *d;
	size_t n, i, j;
	char *dir = tmpdir();
	char *files[MAXREQ];
	char path[4096], head[256];

	d = shopify_documents(&n);
	ck_assert_uint_ge(n, 11);
	for (i = 0; i < n; i++) {
		/* named operations, one per document, names unique */
		ck_assert_ptr_nonnull(d[i].name);
		snprintf(head, sizeof(head), "%s %s", strncmp(d[i].text, "mutation", 8) == 0
			 ? "mutation" : "query", d[i].name);
		ck_assert_msg(strncmp(d[i].text, head, strlen(head)) == 0 &&
			      (d[i].text[strlen(head)] == '(' || d[i].text[strlen(head)] == ' '),
			      "document %s does not open with '%s'", d[i].name, head);
		for (j = 0; j < i; j++)
			ck_assert_str_ne(d[i].name, d[j].name);
		snprintf(path, sizeof(path), "%s/%s.graphql", dir, d[i].name);
		write_file(path, d[i].text);
		files[i] = strdup(path);
	}
	schema_check(files, n, dir);
	for (i = 0; i < n; i++)
		free(files[i]);
	rm_tmpdir(dir);
}
END_TEST

/* ------------------------------------------------------------------ */
/* (1) The oracle: every operation's request, with realistic variables  */

static int64_t T_SINCE = 1795168800;	/* 2026-11-20T10:00:00Z */

/* Drive every operation of sh_ops once against canned answers. */
static void drive_every_operation(void)
{
	struct sh_order_list page;
	struct sh_order_input in;
	struct sh_fulfillment_input fi;
	char *tt_ids[] = { "576543219876543210", "57'65\\43" };
	char *gids[] = { "gid://shopify/Order/1001", "gid://shopify/Order/1002" };
	char *name = NULL, *cur = NULL;
	struct err e;

	/* get_shop */
	say_data(J("{'shop':{'name':'Acme','currencyCode':'USD','myshopifyDomain':'acme-store.myshopify.com'}}"));
	ck_assert_int_eq(shopify_ops.get_shop(S, &name, &cur, &e), 0);
	ck_assert_str_eq(name, "Acme");
	ck_assert_str_eq(cur, "USD");
	free(name);
	free(cur);

	/* orders_updated_since, asking for more than a page may hold */
	say_data(orders_page(json_pack("[o,o]", order_obj(), other_order_obj()), 1,
			     "eyJsYXN0X2lkIjoxMDAxfQ=="));
	ck_assert_int_eq(shopify_ops.orders_updated_since(S, T_SINCE, 0, NULL, 50, &page, &e), 0);
	ck_assert_uint_eq(page.n, 2);
	sh_order_list_free(&page);

	/* find_orders_by_tiktok_id */
	say_data(orders_page(json_pack("[o]", order_obj()), 0, NULL));
	ck_assert_int_eq(shopify_ops.find_orders_by_tiktok_id(S, tt_ids, 2, on_orders, NULL, &e), 0);
	run();
	ck_assert_int_eq(G.calls, 1);
	g_reset();

	/* get_orders */
	say_data(json_pack("{s:[o,n]}", "nodes", order_obj()));
	ck_assert_int_eq(shopify_ops.get_orders(S, gids, 2, on_orders, NULL, &e), 0);
	run();
	ck_assert_int_eq(G.calls, 1);
	g_reset();

	/* find_variants_by_sku */
	say_data(J("{'productVariants':{'nodes':[{'id':'gid://shopify/ProductVariant/4455',"
		   "'sku':'MUG-\\'RED\\'\\\\1','title':'Red','product':{'id':'gid://shopify/Product/77','title':'Mug'}}]}}"));
	ck_assert_int_eq(shopify_ops.find_variants_by_sku(S, "MUG-\"RED\"\\1", on_variants, NULL, &e), 0);
	run();
	g_reset();

	/* get_variant */
	say_data(J("{'productVariant':{'id':'gid://shopify/ProductVariant/4455','sku':'MUG-RED',"
		   "'title':'Red','product':{'id':'gid://shopify/Product/77','title':'Mug'}}}"));
	ck_assert_int_eq(shopify_ops.get_variant(S, "gid://shopify/ProductVariant/4455",
						 on_variants, NULL, &e), 0);
	run();
	g_reset();

	/* order_create */
	full_input(&in);
	say_data(json_pack("{s:{s:o,s:[]}}", "orderCreate", "order", order_obj(), "userErrors"));
	ck_assert_int_eq(shopify_ops.order_create(S, &in, on_orders, NULL, &e), 0);
	run();
	ck_assert_int_eq(G.calls, 1);
	g_reset();
	sh_order_input_free(&in);

	/* fulfillment_create */
	fulfillment_input(&fi);
	say_data(json_pack("{s:{s:o,s:[]}}", "fulfillmentCreate", "fulfillment",
			   fulfillment_obj(), "userErrors"));
	ck_assert_int_eq(shopify_ops.fulfillment_create(S, &fi, on_fulfillment, NULL, &e), 0);
	run();
	g_reset();
	sh_fulfillment_input_free(&fi);

	/* fulfillment_event_create */
	say_data(J("{'fulfillmentEventCreate':{'fulfillmentEvent':{'id':'gid://shopify/FulfillmentEvent/3587',"
		   "'status':'DELIVERED','happenedAt':'2026-11-22T01:02:03Z'},'userErrors':[]}}"));
	ck_assert_int_eq(shopify_ops.fulfillment_event_create(S, "gid://shopify/Fulfillment/71",
		"DELIVERED", 1795309323, on_simple, NULL, &e), 0);
	run();
	g_reset();

	/* order_cancel */
	say_data(J("{'orderCancel':{'job':{'id':'gid://shopify/Job/abc','done':false},"
		   "'orderCancelUserErrors':[]}}"));
	ck_assert_int_eq(shopify_ops.order_cancel(S, "gid://shopify/Order/1001",
		"TikTok order 576543219876543210 was cancelled by the buyer", on_simple, NULL, &e), 0);
	run();
	g_reset();
	ck_assert_int_eq(W.unscripted, 0);
}

/* The requests sent, one body per line, in $TTSYNC_TEST_LOGDIR (kept for
 * run-tests.sh's oracle pass) or `dir`. */
static char *write_request_log(const char *dir)
{
	const char *logdir = getenv("TTSYNC_TEST_LOGDIR");
	char path[4096];
	FILE *f;
	size_t i;

	snprintf(path, sizeof(path), "%s/shopify-unit.log",
		 logdir && logdir[0] ? logdir : dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (i = 0; i < W.nreqs; i++) {
		ck_assert_ptr_null(strchr(W.reqs[i].body, '\n'));
		fprintf(f, "%s\n", W.reqs[i].body);
	}
	ck_assert_int_eq(fclose(f), 0);
	return strdup(path);
}

START_TEST(test_every_request_valid_against_schema)
{
	char *dir = tmpdir();
	char *log;
	size_t i;

	drive_every_operation();
	ck_assert_uint_eq(W.nreqs, 10);
	for (i = 0; i < W.nreqs; i++) {
		/* the endpoint, the headers */
		ck_assert_str_eq(W.reqs[i].url, ENDPOINT);
		ck_assert_ptr_nonnull(strstr(W.reqs[i].headers, "X-Shopify-Access-Token: " TOKEN "\n"));
		ck_assert_ptr_nonnull(strstr(W.reqs[i].headers, "Content-Type: application/json\n"));
	}
	log = write_request_log(dir);
	schema_check(&log, 1, dir);
	free(log);
	rm_tmpdir(dir);
}
END_TEST

/* ------------------------------------------------------------------ */
/* (4) Costs: recomputed from the documents by Shopify's rules          */

/*
 * An independent calculator (graphql-js over the real schema, research
 * §2's rules): scalar/enum 0; object 1 + its selection; a *Connection
 * 2 + first x (1 + node selection); a plain list of objects (no
 * connection) charged like one object; root nodes(ids:) charged per id; a
 * mutation field 10 + its payload's selection. Prints "<op> <cost>" per
 * logged request.
 */
static const char cost_js[] =
	"'use strict';\n"
	"const fs = require('fs');\n"
	"let g; try { g = require('graphql'); } catch (e) { g = require('/usr/share/nodejs/graphql'); }\n"
	"const schema = g.buildSchema(fs.readFileSync(process.argv[2], 'utf8'));\n"
	"function arg(node, name, vars) {\n"
	"  const a = (node.arguments || []).find(x => x.name.value === name);\n"
	"  if (!a) return undefined;\n"
	"  if (a.value.kind === 'Variable') return vars[a.value.name.value];\n"
	"  if (a.value.kind === 'IntValue') return parseInt(a.value.value, 10);\n"
	"  if (a.value.kind === 'ListValue') return a.value.values;\n"
	"  throw new Error('argument ' + name + ' not understood');\n"
	"}\n"
	"function sel(type, ss, vars) {\n"
	"  let t = 0;\n"
	"  for (const s of ss.selections) {\n"
	"    if (s.kind === 'InlineFragment') { t += sel(s.typeCondition ? schema.getType(s.typeCondition.name.value) : type, s.selectionSet, vars); continue; }\n"
	"    if (s.kind !== 'Field') throw new Error('fragment spreads not supported');\n"
	"    if (s.name.value === '__typename') continue;\n"
	"    const f = type.getFields()[s.name.value];\n"
	"    if (!f) throw new Error('no field ' + type.name + '.' + s.name.value);\n"
	"    t += field(f, s, vars, false);\n"
	"  }\n"
	"  return t;\n"
	"}\n"
	"function field(f, node, vars, root) {\n"
	"  const nt = g.getNamedType(f.type);\n"
	"  if (g.isLeafType(nt)) return 0;\n"
	"  if (nt.name.endsWith('Connection')) {\n"
	"    const n = arg(node, 'first', vars) ?? arg(node, 'last', vars);\n"
	"    if (typeof n !== 'number') throw new Error(nt.name + ' without first/last');\n"
	"    let per = 0;\n"
	"    for (const s of node.selectionSet.selections) {\n"
	"      if (s.kind === 'Field' && s.name.value === 'nodes') per = Math.max(per, 1 + sel(g.getNamedType(nt.getFields().nodes.type), s.selectionSet, vars));\n"
	"      if (s.kind === 'Field' && s.name.value === 'edges') throw new Error('edges not supported');\n"
	"    }\n"
	"    return 2 + n * per;\n"
	"  }\n"
	"  const inner = node.selectionSet ? sel(nt, node.selectionSet, vars) : 0;\n"
	"  if (root && node.name.value === 'nodes') return arg(node, 'ids', vars).length * (1 + inner);\n"
	"  return 1 + inner;\n"
	"}\n"
	"for (const line of fs.readFileSync(process.argv[3], 'utf8').split('\\n')) {\n"
	"  if (!line.trim()) continue;\n"
	"  const body = JSON.parse(line);\n"
	"  const doc = g.parse(body.query);\n"
	"  const op = doc.definitions.find(d => d.kind === 'OperationDefinition');\n"
	"  const rootType = op.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();\n"
	"  let cost = 0;\n"
	"  for (const s of op.selectionSet.selections) {\n"
	"    const f = rootType.getFields()[s.name.value];\n"
	"    if (op.operation === 'mutation') cost += 10 + (s.selectionSet ? sel(g.getNamedType(f.type), s.selectionSet, body.variables || {}) : 0);\n"
	"    else cost += field(f, s, body.variables || {}, true);\n"
	"  }\n"
	"  console.log(body.operationName + ' ' + cost);\n"
	"}\n";

START_TEST(test_costs_match_schema_rules_and_stay_under_cap)
{
	char *dir = tmpdir();
	char *log, *text, *line, *save = NULL;
	char js[4096], schema[4096], out[4096];
	char *argv[6];
	json_t *v;
	size_t i = 0;
	int rc;

	drive_every_operation();
	log = write_request_log(dir);
	snprintf(js, sizeof(js), "%s/cost.js", dir);
	write_file(js, cost_js);
	snprintf(schema, sizeof(schema), "%s/platform-specs/shopify/admin-2026-04.graphql",
		 shared_dir());
	snprintf(out, sizeof(out), "%s/cost.out", dir);
	argv[0] = "node";
	argv[1] = js;
	argv[2] = schema;
	argv[3] = log;
	argv[4] = NULL;
	rc = run_prog(argv, out);
	text = slurp(out);
	ck_assert_msg(rc == 0, "cost calculator failed:\n%s", text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		char op[128];
		double cost;

		ck_assert_uint_lt(i, W.nreqs);
		ck_assert_int_eq(sscanf(line, "%127s %lf", op, &cost), 2);
		ck_assert_str_eq(op, W.reqs[i].op);
		ck_assert_msg(W.reqs[i].cost == cost,
			      "%s: the client charges %.0f points, Shopify's rules say %.0f",
			      op, W.reqs[i].cost, cost);
		ck_assert_msg(W.reqs[i].cost <= 1000, "%s costs %.0f > 1000", op, W.reqs[i].cost);
		ck_assert_msg(W.reqs[i].cost >= 1, "%s costs nothing", op);
	}
	ck_assert_uint_eq(i, W.nreqs);
	/* The window scan is light (25 points an order): of the 50 asked,
	 * the 39 that fit under the cap. */
	ck_assert_str_eq(W.reqs[1].op, "OrdersUpdatedSince");
	v = vars_of(1);
	ck_assert_int_eq(json_integer_value(json_object_get(v, "first")), 39);
	json_decref(v);
	ck_assert(W.reqs[1].cost == 2 + 39 * 25);
	free(text);
	free(log);
	rm_tmpdir(dir);
}
END_TEST

START_TEST(test_get_orders_chunks_under_cap_one_answer)
{
	char *gids[25];
	char buf[25][64];
	size_t i, total = 0;
	json_t *v;
	struct err e;

	for (i = 0; i < 25; i++) {
		snprintf(buf[i], sizeof(buf[i]), "gid://shopify/Order/%zu", 2000 + i);
		gids[i] = buf[i];
	}
	for (i = 0; i < 3; i++) {
		json_t *o = order_obj();

		json_object_set_new(o, "id", json_string(gids[i * 10]));
		say_data(json_pack("{s:[o,n]}", "nodes", o));
	}
	ck_assert_int_eq(shopify_ops.get_orders(S, gids, 25, on_orders, NULL, &e), 0);
	run();
	ck_assert_uint_eq(W.nreqs, 3);
	for (i = 0; i < 3; i++) {
		ck_assert_str_eq(W.reqs[i].op, "OrdersByIds");
		ck_assert(W.reqs[i].cost <= 1000);
		v = vars_of(i);
		total += json_array_size(json_object_get(v, "ids"));
		json_decref(v);
	}
	ck_assert_uint_eq(total, 25);
	ck_assert_int_eq(G.calls, 1);	/* one answer for the whole call */
	ck_assert_int_eq(G.res.oc, HTTP_OUTCOME_OK);
	ck_assert_uint_eq(G.orders.n, 3);	/* the nulls (gone) are skipped */
	g_reset();
}
END_TEST

/* ------------------------------------------------------------------ */
/* (2) Parsing answers into model structs                               */

START_TEST(test_window_page_parsed)
{
	struct sh_order_list page;
	const struct sh_order *a, *b;
	json_t *v, *keep;
	const char *q;
	struct err e;

	say_data(orders_page(json_pack("[o,o]", order_obj(), other_order_obj()), 1,
			     "eyJsYXN0X2lkIjo5OTB9"));
	ck_assert_int_eq(shopify_ops.orders_updated_since(S, T_SINCE, T_SINCE + 3600, "prev-cursor", 10, &page, &e), 0);
	ck_assert_uint_eq(W.nreqs, 1);
	v = vars_of(0);
	ck_assert_str_eq(json_string_value(json_object_get(v, "query")),
			 "updated_at:>='2026-11-20T10:00:00Z' updated_at:<'2026-11-20T11:00:00Z' tag:'TikTok Shop'");
	ck_assert_str_eq(json_string_value(json_object_get(v, "after")), "prev-cursor");
	json_decref(v);
	q = query_of(0, &keep);
	ck_assert_ptr_nonnull(strstr(q, "sortKey: UPDATED_AT"));
	ck_assert_ptr_null(strstr(q, "2026-11-20"));	/* values travel as variables */
	json_decref(keep);

	ck_assert_uint_eq(page.n, 2);
	ck_assert_int_eq(page.has_next, 1);
	ck_assert_str_eq(page.end_cursor, "eyJsYXN0X2lkIjo5OTB9");
	a = &page.v[0];
	ck_assert_str_eq(a->id, "gid://shopify/Order/1001");
	ck_assert_str_eq(a->legacy_id, "1001");
	ck_assert_str_eq(a->name, "#1001");
	ck_assert_str_eq(a->tiktok_order_id, "576543219876543210");
	ck_assert_str_eq(a->source_identifier, "576543219876543210");
	ck_assert_uint_eq(a->ntags, 2);
	ck_assert_str_eq(a->tags[1], "TikTok Shop Gift");
	ck_assert_int_eq(a->created_at, 1795168805);
	ck_assert_int_eq(a->updated_at, 1795249800);
	ck_assert_int_eq(a->processed_at, 1795168680);
	ck_assert_int_eq(a->cancelled_at, 0);
	ck_assert_str_eq(a->display_fulfillment_status, "PARTIALLY_FULFILLED");
	ck_assert_str_eq(a->display_financial_status, "PAID");
	ck_assert_int_eq(a->total_price, 4060);	/* "40.6" USD */
	ck_assert_str_eq(a->currency, "USD");
	ck_assert_uint_eq(a->nlines, 2);
	ck_assert_str_eq(a->lines[0].id, "gid://shopify/LineItem/11");
	ck_assert_str_eq(a->lines[0].sku, "MUG-RED");
	ck_assert_str_eq(a->lines[0].variant_id, "gid://shopify/ProductVariant/4455");
	ck_assert_int_eq(a->lines[0].quantity, 2);
	ck_assert_ptr_null(a->lines[1].sku);
	ck_assert_ptr_null(a->lines[1].variant_id);
	ck_assert_uint_eq(a->nfulfillments, 1);
	ck_assert_str_eq(a->fulfillments[0].id, "gid://shopify/Fulfillment/71");
	ck_assert_str_eq(a->fulfillments[0].name, "#1001-F1");
	ck_assert_str_eq(a->fulfillments[0].status, "SUCCESS");
	ck_assert_str_eq(a->fulfillments[0].display_status, "IN_TRANSIT");
	ck_assert_int_eq(a->fulfillments[0].created_at, 1795248000);
	ck_assert_int_eq(a->fulfillments[0].in_transit_at, 1795249800);
	ck_assert_int_eq(a->fulfillments[0].delivered_at, 0);
	ck_assert_uint_eq(a->fulfillments[0].ntracking, 1);
	ck_assert_str_eq(a->fulfillments[0].tracking[0].company, "USPS");
	ck_assert_str_eq(a->fulfillments[0].tracking[0].number, "9400111899223197428490");
	ck_assert_ptr_nonnull(a->fulfillments[0].tracking[0].url);
	ck_assert_uint_eq(a->fulfillments[0].nlines, 1);
	ck_assert_str_eq(a->fulfillments[0].lines[0].line_item_id, "gid://shopify/LineItem/11");
	ck_assert_int_eq(a->fulfillments[0].lines[0].quantity, 1);
	ck_assert_uint_eq(a->nfos, 1);
	ck_assert_str_eq(a->fos[0].id, "gid://shopify/FulfillmentOrder/91");
	ck_assert_str_eq(a->fos[0].status, "IN_PROGRESS");
	ck_assert_uint_eq(a->fos[0].nlines, 2);
	ck_assert_str_eq(a->fos[0].lines[0].id, "gid://shopify/FulfillmentOrderLineItem/911");
	ck_assert_str_eq(a->fos[0].lines[0].line_item_id, "gid://shopify/LineItem/11");
	ck_assert_int_eq(a->fos[0].lines[0].total_quantity, 2);
	ck_assert_int_eq(a->fos[0].lines[0].remaining_quantity, 1);

	b = &page.v[1];
	/* no "TikTok Shop Order ID" attribute: the source identifier names it */
	ck_assert_str_eq(b->tiktok_order_id, "579000000000000042");
	ck_assert_str_eq(b->source_name, "other-connector");
	ck_assert_int_eq(b->cancelled_at, 1795309323);
	ck_assert_int_eq(b->total_price, 1700);
	ck_assert_uint_eq(b->nlines, 0);
	ck_assert_uint_eq(b->nfulfillments, 0);
	ck_assert_uint_eq(b->nfos, 0);
	sh_order_list_free(&page);
}
END_TEST

/* An order with more children than a page holds is read again alone. */
START_TEST(test_truncated_order_read_again_alone)
{
	struct sh_order_list page;
	json_t *big = order_obj(), *detail = order_obj(), *v, *nodes;
	struct err e;
	int i;

	json_object_set_new(json_object_get(json_object_get(big, "lineItems"), "pageInfo"),
			    "hasNextPage", json_true());
	nodes = json_object_get(json_object_get(detail, "lineItems"), "nodes");
	for (i = 0; i < 10; i++) {
		char id[64];
		json_t *li = J("{'title':'Extra','sku':'X','quantity':1,'variant':null}");

		snprintf(id, sizeof(id), "gid://shopify/LineItem/%d", 100 + i);
		json_object_set_new(li, "id", json_string(id));
		json_array_append_new(nodes, li);
	}
	say_data(orders_page(json_pack("[o,o]", big, other_order_obj()), 0, NULL));
	say_data(json_pack("{s:o}", "order", detail));
	ck_assert_int_eq(shopify_ops.orders_updated_since(S, T_SINCE, 0, NULL, 10, &page, &e), 0);
	ck_assert_uint_eq(W.nreqs, 2);
	ck_assert_str_eq(W.reqs[1].op, "OrderDetail");
	v = vars_of(1);
	ck_assert_str_eq(json_string_value(json_object_get(v, "id")), "gid://shopify/Order/1001");
	json_decref(v);
	ck_assert_uint_eq(page.n, 2);
	/* the complete picture replaced the cut one */
	for (i = 0; i < 2; i++)
		if (strcmp(page.v[i].id, "gid://shopify/Order/1001") == 0)
			ck_assert_uint_eq(page.v[i].nlines, 12);
	sh_order_list_free(&page);
}
END_TEST

/* Read alone and still too big: kept as it is (with a warning), not
 * read again and again. */
START_TEST(test_truncated_detail_kept_not_looped)
{
	char *gids[] = { "gid://shopify/Order/1001" };
	json_t *a = order_obj(), *b = order_obj();
	struct err e;

	json_object_set_new(json_object_get(json_object_get(a, "fulfillmentOrders"), "pageInfo"),
			    "hasNextPage", json_true());
	json_object_set_new(json_object_get(json_object_get(b, "fulfillmentOrders"), "pageInfo"),
			    "hasNextPage", json_true());
	say_data(json_pack("{s:[o]}", "nodes", a));
	say_data(json_pack("{s:o}", "order", b));
	ck_assert_int_eq(shopify_ops.get_orders(S, gids, 1, on_orders, NULL, &e), 0);
	run();
	ck_assert_uint_eq(W.nreqs, 2);
	ck_assert_str_eq(W.reqs[1].op, "OrderDetail");
	ck_assert_int_eq(G.calls, 1);
	ck_assert_int_eq(G.res.oc, HTTP_OUTCOME_OK);
	ck_assert_uint_eq(G.orders.n, 1);
	ck_assert_uint_eq(G.orders.v[0].nfos, 1);
	g_reset();
}
END_TEST

/* Research §3: userErrors with a code; the field path is joined. */
START_TEST(test_order_create_user_errors)
{
	struct sh_order_input in;
	struct err e;

	full_input(&in);
	say_data(J("{'orderCreate':{'order':null,'userErrors':["
		   "{'field':['order','lineItems','0','variantId'],'message':'Variant does not exist','code':'INVALID'},"
		   "{'field':['order'],'message':'Customer fields are redundant','code':'REDUNDANT_CUSTOMER_FIELDS'}]}}"));
	ck_assert_int_eq(shopify_ops.order_create(S, &in, on_orders, NULL, &e), 0);
	run();
	ck_assert_int_eq(G.calls, 1);
	ck_assert_int_eq(G.res.oc, HTTP_OUTCOME_OK);
	ck_assert_uint_eq(G.res.nuser_errors, 2);
	ck_assert_str_eq(G.res.user_errors[0].field, "order.lineItems.0.variantId");
	ck_assert_str_eq(G.res.user_errors[0].code, "INVALID");
	ck_assert_str_eq(G.res.user_errors[0].message, "Variant does not exist");
	ck_assert_str_eq(G.res.user_errors[1].code, "REDUNDANT_CUSTOMER_FIELDS");
	ck_assert_int_eq(G.res.err.cls, ERR_PLATFORM);
	ck_assert_str_eq(G.res.err.code, "SHOPIFY_USER_ERROR");
	ck_assert_ptr_nonnull(strstr(G.res.err.msg, "Variant does not exist"));
	ck_assert_uint_eq(G.orders.n, 0);
	ck_assert_uint_eq(W.nreqs, 1);
	g_reset();
	sh_order_input_free(&in);
}
END_TEST

START_TEST(test_order_create_returns_order_for_unit_mapping)
{
	struct sh_order_input in;
	struct err e;

	full_input(&in);
	say_data(json_pack("{s:{s:o,s:[]}}", "orderCreate", "order", order_obj(), "userErrors"));
	ck_assert_int_eq(shopify_ops.order_create(S, &in, on_orders, NULL, &e), 0);
	run();
	ck_assert_int_eq(G.calls, 1);
	ck_assert_int_eq(G.res.oc, HTTP_OUTCOME_OK);
	ck_assert_int_eq(G.res.err.cls, ERR_NONE);
	ck_assert_uint_eq(G.orders.n, 1);
	ck_assert_str_eq(G.orders.v[0].id, "gid://shopify/Order/1001");
	ck_assert_uint_eq(G.orders.v[0].nlines, 2);
	ck_assert_uint_eq(G.orders.v[0].fos[0].nlines, 2);
	ck_assert_str_eq(G.orders.v[0].fos[0].lines[1].line_item_id, "gid://shopify/LineItem/12");
	ck_assert_int_eq(W.reqs[0].retry_safe, 0);	/* a write */
	g_reset();
	sh_order_input_free(&in);
}
END_TEST

/* Research §5.1: plain UserError (no code), indexed field path. */
START_TEST(test_fulfillment_user_error_without_code)
{
	struct sh_fulfillment_input fi;
	struct err e;

	fulfillment_input(&fi);
	say_data(J("{'fulfillmentCreate':{'fulfillment':null,'userErrors':[{'field':['fulfillment',"
		   "'lineItemsByFulfillmentOrder','0','fulfillmentOrderLineItems','0','quantity'],"
		   "'message':'Quantity must be greater than 0'}]}}"));
	ck_assert_int_eq(shopify_ops.fulfillment_create(S, &fi, on_fulfillment, NULL, &e), 0);
	run();
	ck_assert_int_eq(G.calls, 1);
	ck_assert_int_eq(G.have_ful, 0);
	ck_assert_uint_eq(G.res.nuser_errors, 1);
	ck_assert_ptr_null(G.res.user_errors[0].code);
	ck_assert_str_eq(G.res.user_errors[0].field,
			 "fulfillment.lineItemsByFulfillmentOrder.0.fulfillmentOrderLineItems.0.quantity");
	ck_assert_str_eq(G.res.user_errors[0].message, "Quantity must be greater than 0");
	g_reset();
	sh_fulfillment_input_free(&fi);
}
END_TEST

START_TEST(test_fulfillment_created_parsed_and_sent)
{
	struct sh_fulfillment_input fi;
	json_t *v, *f, *g;
	struct err e;

	fulfillment_input(&fi);
	say_data(json_pack("{s:{s:o,s:[]}}", "fulfillmentCreate", "fulfillment",
			   fulfillment_obj(), "userErrors"));
	ck_assert_int_eq(shopify_ops.fulfillment_create(S, &fi, on_fulfillment, NULL, &e), 0);
	run();
	ck_assert_int_eq(G.have_ful, 1);
	ck_assert_str_eq(G.ful.id, "gid://shopify/Fulfillment/8086547988786");
	ck_assert_str_eq(G.ful.name, "#1824-F1");
	ck_assert_str_eq(G.ful.display_status, "FULFILLED");
	ck_assert_int_eq(G.ful.created_at, 1795309323);
	ck_assert_uint_eq(G.ful.ntracking, 1);
	ck_assert_ptr_null(G.ful.tracking[0].url);
	ck_assert_uint_eq(G.ful.nlines, 1);
	ck_assert_int_eq(G.ful.lines[0].quantity, 2);

	v = vars_of(0);
	f = json_object_get(v, "fulfillment");
	ck_assert(json_is_false(json_object_get(f, "notifyCustomer")));
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(f, "trackingInfo"), "company")),
			 "Cainiao US");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(f, "trackingInfo"), "number")),
			 "LP00123456789US");
	ck_assert_ptr_nonnull(json_object_get(json_object_get(f, "trackingInfo"), "url"));
	g = json_object_get(f, "lineItemsByFulfillmentOrder");
	ck_assert_uint_eq(json_array_size(g), 2);
	ck_assert_uint_eq(json_array_size(json_object_get(json_array_get(g, 0),
							  "fulfillmentOrderLineItems")), 2);
	/* a group without lines fulfils its whole fulfillment order */
	ck_assert_ptr_null(json_object_get(json_array_get(g, 1), "fulfillmentOrderLineItems"));
	json_decref(v);
	g_reset();
	sh_fulfillment_input_free(&fi);
}
END_TEST

START_TEST(test_cancel_and_event_variables)
{
	json_t *v, *keep, *ev;
	const char *q;
	char note[400];
	struct err e;

	memset(note, 'x', sizeof(note) - 1);
	note[sizeof(note) - 1] = '\0';
	say_data(J("{'orderCancel':{'job':null,'orderCancelUserErrors':[{'field':['orderId'],"
		   "'message':'Cannot cancel an order that has outstanding fulfillments','code':'INVALID'}]}}"));
	ck_assert_int_eq(shopify_ops.order_cancel(S, "gid://shopify/Order/1001", note,
						  on_simple, NULL, &e), 0);
	run();
	ck_assert_uint_eq(G.res.nuser_errors, 1);
	ck_assert_str_eq(G.res.user_errors[0].code, "INVALID");
	ck_assert_int_eq(G.res.err.cls, ERR_PLATFORM);
	g_reset();
	v = vars_of(0);
	ck_assert_str_eq(json_string_value(json_object_get(v, "orderId")), "gid://shopify/Order/1001");
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(v, "staffNote"))), 255);
	json_decref(v);
	/* no refund: money went through TikTok; restock; no e-mail */
	q = query_of(0, &keep);
	ck_assert_ptr_nonnull(strstr(q, "refundMethod: { originalPaymentMethodsRefund: false }"));
	ck_assert_ptr_nonnull(strstr(q, "restock: true"));
	ck_assert_ptr_nonnull(strstr(q, "notifyCustomer: false"));
	ck_assert_ptr_nonnull(strstr(q, "reason: CUSTOMER"));
	ck_assert_ptr_null(strstr(q, "storeCreditRefund"));
	ck_assert_ptr_null(strstr(q, "refund:"));
	json_decref(keep);

	say_data(J("{'fulfillmentEventCreate':{'fulfillmentEvent':{'id':'gid://shopify/FulfillmentEvent/1',"
		   "'status':'IN_TRANSIT','happenedAt':'2026-11-21T08:30:00Z'},'userErrors':[]}}"));
	ck_assert_int_eq(shopify_ops.fulfillment_event_create(S, "gid://shopify/Fulfillment/71",
		"IN_TRANSIT", 1795249800, on_simple, NULL, &e), 0);
	run();
	ck_assert_int_eq(G.res.oc, HTTP_OUTCOME_OK);
	ck_assert_int_eq(G.res.err.cls, ERR_NONE);
	g_reset();
	v = vars_of(1);
	ev = json_object_get(v, "fulfillmentEvent");
	ck_assert_str_eq(json_string_value(json_object_get(ev, "fulfillmentId")), "gid://shopify/Fulfillment/71");
	ck_assert_str_eq(json_string_value(json_object_get(ev, "status")), "IN_TRANSIT");
	ck_assert_str_eq(json_string_value(json_object_get(ev, "happenedAt")), "2026-11-21T08:30:00Z");
	json_decref(v);
}
END_TEST

/* ------------------------------------------------------------------ */
/* (5) Search values escaped; SKU matches byte for byte                 */

START_TEST(test_find_by_tiktok_id_escaped_and_paged)
{
	char *ids[] = { "576543219876543210", "57'65\\43" };
	json_t *v, *keep;
	const char *q;
	struct err e;

	say_data(orders_page(json_pack("[o]", order_obj()), 1, "cursor-1"));
	say_data(orders_page(json_pack("[o]", other_order_obj()), 0, NULL));
	ck_assert_int_eq(shopify_ops.find_orders_by_tiktok_id(S, ids, 2, on_orders, NULL, &e), 0);
	run();
	ck_assert_uint_eq(W.nreqs, 2);
	v = vars_of(0);
	ck_assert_str_eq(json_string_value(json_object_get(v, "query")),
			 "source_identifier:'576543219876543210' OR source_identifier:'57\\'65\\\\43'");
	/* one more than the ids asked: duplicates page on */
	ck_assert_int_eq(json_integer_value(json_object_get(v, "first")), 3);
	ck_assert(W.reqs[0].cost == 2 + 3 * 70);
	json_decref(v);
	q = query_of(0, &keep);
	ck_assert_ptr_null(strstr(q, "576543219876543210"));
	json_decref(keep);
	v = vars_of(1);
	ck_assert_str_eq(json_string_value(json_object_get(v, "after")), "cursor-1");
	json_decref(v);
	ck_assert_int_eq(G.calls, 1);
	ck_assert_uint_eq(G.orders.n, 2);
	g_reset();

	/* more than ten ids is the caller's bug */
	ck_assert_int_eq(shopify_ops.find_orders_by_tiktok_id(S, ids, 11, on_orders, NULL, &e), -1);
}
END_TEST

START_TEST(test_variants_exact_sku_only)
{
	json_t *v;
	struct err e;

	/* Shopify's sku: search may answer near misses: case, prefix, none. */
	say_data(json_pack("{s:{s:[{s:s,s:s,s:s,s:{s:s,s:s}},{s:s,s:s,s:s,s:{s:s,s:s}},"
			   "{s:s,s:s,s:s,s:{s:s,s:s}},{s:s,s:n,s:s,s:{s:s,s:s}}]}}",
			   "productVariants", "nodes",
			   "id", "gid://shopify/ProductVariant/1", "sku", "MUG-'RED'\\1", "title", "A",
			   "product", "id", "gid://shopify/Product/7", "title", "Mug",
			   "id", "gid://shopify/ProductVariant/2", "sku", "mug-'red'\\1", "title", "B",
			   "product", "id", "gid://shopify/Product/7", "title", "Mug",
			   "id", "gid://shopify/ProductVariant/3", "sku", "MUG-'RED'\\1-XL", "title", "C",
			   "product", "id", "gid://shopify/Product/7", "title", "Mug",
			   "id", "gid://shopify/ProductVariant/4", "sku", "title", "D",
			   "product", "id", "gid://shopify/Product/8", "title", "Cup"));
	ck_assert_int_eq(shopify_ops.find_variants_by_sku(S, "MUG-'RED'\\1", on_variants, NULL, &e), 0);
	run();
	v = vars_of(0);
	ck_assert_str_eq(json_string_value(json_object_get(v, "query")), "sku:'MUG-\\'RED\\'\\\\1'");
	json_decref(v);
	ck_assert_int_eq(G.calls, 1);
	ck_assert_uint_eq(G.variants.n, 1);
	ck_assert_str_eq(G.variants.v[0].id, "gid://shopify/ProductVariant/1");
	ck_assert_str_eq(G.variants.v[0].product_id, "gid://shopify/Product/7");
	ck_assert_str_eq(G.variants.v[0].product_title, "Mug");
	g_reset();

	/* a variant that is gone: an empty list, not a failure */
	say_data(J("{'productVariant':null}"));
	ck_assert_int_eq(shopify_ops.get_variant(S, "gid://shopify/ProductVariant/9", on_variants, NULL, &e), 0);
	run();
	ck_assert_int_eq(G.res.oc, HTTP_OUTCOME_OK);
	ck_assert_int_eq(G.have_list, 1);
	ck_assert_uint_eq(G.variants.n, 0);
	g_reset();
}
END_TEST

/* ------------------------------------------------------------------ */
/* (3) What each answer leads to                                        */

START_TEST(test_throttled_read_waits_for_the_bucket)
{
	struct err e;

	/* Shopify: requested 982, 17 available, restore 100/s -> 9.65 s */
	say_throttled(200, 982, 17);
	say_data(J("{'productVariant':null}"));
	ck_assert_int_eq(shopify_ops.get_variant(S, "gid://shopify/ProductVariant/9", on_variants, NULL, &e), 0);
	run();
	ck_assert_uint_eq(W.nreqs, 2);
	ck_assert_int_ge(W.reqs[1].at - W.reqs[0].at, 9650);
	ck_assert_int_lt(W.reqs[1].at - W.reqs[0].at, 9650 + 1000);
	ck_assert_int_eq(G.res.oc, HTTP_OUTCOME_OK);
	g_reset();

	/* a small shortfall still waits a second; THROTTLED under HTTP 429 too */
	say_throttled(429, 42, 17);
	say_data(J("{'productVariant':null}"));
	ck_assert_int_eq(shopify_ops.get_variant(S, "gid://shopify/ProductVariant/9", on_variants, NULL, &e), 0);
	run();
	ck_assert_uint_eq(W.nreqs, 4);
	ck_assert_int_ge(W.reqs[3].at - W.reqs[2].at, 1000);
	ck_assert_int_eq(G.res.oc, HTTP_OUTCOME_OK);
	g_reset();
}
END_TEST

START_TEST(test_throttled_write_is_resent_once)
{
	struct sh_order_input in;
	struct err e;

	full_input(&in);
	say_throttled(200, 640, 100);
	say_data(json_pack("{s:{s:o,s:[]}}", "orderCreate", "order", order_obj(), "userErrors"));
	ck_assert_int_eq(shopify_ops.order_create(S, &in, on_orders, NULL, &e), 0);
	run();
	ck_assert_uint_eq(W.nreqs, 2);		/* refused before execution: resent */
	ck_assert_int_ge(W.reqs[1].at - W.reqs[0].at, 5400);
	ck_assert_int_eq(G.calls, 1);
	ck_assert_int_eq(G.res.oc, HTTP_OUTCOME_OK);
	ck_assert_uint_eq(G.orders.n, 1);
	g_reset();
	sh_order_input_free(&in);
}
END_TEST

START_TEST(test_429_honours_retry_after)
{
	struct canned *c;
	struct err e;

	c = push();
	c->status = 429;
	c->retry_after_ms = 3000;
	c->body = strdup("{\"errors\":\"Exceeded 2 calls per second for api client.\"}");
	say_data(J("{'productVariant':null}"));
	ck_assert_int_eq(shopify_ops.get_variant(S, "gid://shopify/ProductVariant/9", on_variants, NULL, &e), 0);
	run();
	ck_assert_uint_eq(W.nreqs, 2);
	ck_assert_int_ge(W.reqs[1].at - W.reqs[0].at, 3000);
	ck_assert_int_eq(G.res.oc, HTTP_OUTCOME_OK);
	g_reset();
}
END_TEST

START_TEST(test_5xx_read_retried_write_unknown)
{
	struct sh_order_input in;
	struct err e;

	say(503, "Service Unavailable");
	say_top_error(200, "INTERNAL_SERVER_ERROR", "Internal error. Looks like something went wrong on our end.");
	say_data(J("{'productVariant':null}"));
	ck_assert_int_eq(shopify_ops.get_variant(S, "gid://shopify/ProductVariant/9", on_variants, NULL, &e), 0);
	run();
	ck_assert_uint_eq(W.nreqs, 3);
	ck_assert_int_eq(G.res.oc, HTTP_OUTCOME_OK);
	g_reset();

	full_input(&in);
	say(502, "Bad Gateway");
	ck_assert_int_eq(shopify_ops.order_create(S, &in, on_orders, NULL, &e), 0);
	run();
	ck_assert_uint_eq(W.nreqs, 4);		/* never resent */
	ck_assert_int_eq(G.calls, 1);
	ck_assert_int_eq(G.res.oc, HTTP_OUTCOME_UNKNOWN);
	ck_assert_int_eq(G.res.err.cls, ERR_UNKNOWN_OUTCOME);
	ck_assert_str_eq(G.res.err.code, "OUTCOME_UNKNOWN");
	g_reset();

	say_top_error(200, "INTERNAL_SERVER_ERROR", "Internal error.");
	ck_assert_int_eq(shopify_ops.order_create(S, &in, on_orders, NULL, &e), 0);
	run();
	ck_assert_uint_eq(W.nreqs, 5);
	ck_assert_int_eq(G.res.oc, HTTP_OUTCOME_UNKNOWN);
	g_reset();
	sh_order_input_free(&in);
}
END_TEST

START_TEST(test_truncated_or_garbage_body)
{
	struct sh_fulfillment_input fi;
	char *ids[] = { "576543219876543210" };
	char *full, *half;
	json_t *page;
	struct err e;

	page = json_pack("{s:o}", "data", orders_page(json_pack("[o]", order_obj()), 0, NULL));
	full = json_dumps(page, JSON_COMPACT);
	json_decref(page);
	half = strndup(full, strlen(full) / 2);

	/* a read: resent */
	say(200, half);
	say(200, full);
	ck_assert_int_eq(shopify_ops.find_orders_by_tiktok_id(S, ids, 1, on_orders, NULL, &e), 0);
	run();
	ck_assert_uint_eq(W.nreqs, 2);
	ck_assert_int_eq(G.res.oc, HTTP_OUTCOME_OK);
	ck_assert_uint_eq(G.orders.n, 1);
	g_reset();

	/* a write: may have been applied, never resent */
	fulfillment_input(&fi);
	say(200, "<html>502 Bad Gateway</html>");
	ck_assert_int_eq(shopify_ops.fulfillment_create(S, &fi, on_fulfillment, NULL, &e), 0);
	run();
	ck_assert_uint_eq(W.nreqs, 3);
	ck_assert_int_eq(G.res.oc, HTTP_OUTCOME_UNKNOWN);
	ck_assert_int_eq(G.have_ful, 0);
	g_reset();

	say(200, half);
	ck_assert_int_eq(shopify_ops.fulfillment_create(S, &fi, on_fulfillment, NULL, &e), 0);
	run();
	ck_assert_uint_eq(W.nreqs, 4);
	ck_assert_int_eq(G.res.oc, HTTP_OUTCOME_UNKNOWN);
	g_reset();
	sh_fulfillment_input_free(&fi);
	free(full);
	free(half);
}
END_TEST

START_TEST(test_dropped_connection)
{
	struct err e;

	/* dropped after sending a write: unknown, not resent */
	say_drop(1);
	ck_assert_int_eq(shopify_ops.fulfillment_event_create(S, "gid://shopify/Fulfillment/71",
		"DELIVERED", 1795309323, on_simple, NULL, &e), 0);
	run();
	ck_assert_uint_eq(W.nreqs, 1);
	ck_assert_int_eq(G.res.oc, HTTP_OUTCOME_UNKNOWN);
	ck_assert_int_eq(G.res.err.cls, ERR_UNKNOWN_OUTCOME);
	g_reset();

	/* never reached the server: resent even for a write */
	say_drop(0);
	say_data(J("{'fulfillmentEventCreate':{'fulfillmentEvent':{'id':'gid://shopify/FulfillmentEvent/1',"
		   "'status':'DELIVERED','happenedAt':'2026-11-22T01:02:03Z'},'userErrors':[]}}"));
	ck_assert_int_eq(shopify_ops.fulfillment_event_create(S, "gid://shopify/Fulfillment/71",
		"DELIVERED", 1795309323, on_simple, NULL, &e), 0);
	run();
	ck_assert_uint_eq(W.nreqs, 3);
	ck_assert_int_eq(G.res.oc, HTTP_OUTCOME_OK);
	g_reset();

	/* a read keeps failing: given up, a network error */
	say(503, NULL);
	say(503, NULL);
	say(503, NULL);
	say(503, NULL);
	ck_assert_int_eq(shopify_ops.get_variant(S, "gid://shopify/ProductVariant/9", on_variants, NULL, &e), 0);
	run();
	ck_assert_uint_eq(W.nreqs, 7);
	ck_assert_int_eq(G.res.oc, HTTP_OUTCOME_GAVE_UP);
	ck_assert_int_eq(G.res.err.cls, ERR_NETWORK);
	ck_assert_int_eq(G.have_list, 0);
	g_reset();
}
END_TEST

START_TEST(test_auth_refused)
{
	char *name = NULL, *cur = NULL;
	struct sh_order_list page;
	struct err e;

	say(401, "{\"errors\":\"[API] Invalid API key or access token (unrecognized login or wrong password)\"}");
	ck_assert_int_eq(shopify_ops.get_shop(S, &name, &cur, &e), -1);
	ck_assert_int_eq(e.cls, ERR_AUTH);
	ck_assert_ptr_null(name);
	ck_assert_uint_eq(W.nreqs, 1);
	ck_assert_ptr_null(strstr(e.msg, TOKEN));

	/* research §1: a missing scope, HTTP 200 */
	say_json(200, J("{'errors':[{'message':'Access denied for orders field. Required access: `read_orders` access scope.',"
			"'extensions':{'code':'ACCESS_DENIED','documentation':'https://shopify.dev/api/usage/access-scopes',"
			"'requiredAccess':'`read_orders` access scope.'}}],'data':null}"));
	ck_assert_int_eq(shopify_ops.orders_updated_since(S, T_SINCE, 0, NULL, 10, &page, &e), -1);
	ck_assert_int_eq(e.cls, ERR_AUTH);
	ck_assert_uint_eq(W.nreqs, 2);
	ck_assert_ptr_null(strstr(e.msg, TOKEN));
}
END_TEST

START_TEST(test_max_cost_is_a_failure_not_a_retry)
{
	struct err e;

	say_json(200, J("{'errors':[{'message':'Query cost is 1502, which exceeds the single query max cost limit (1000).',"
			"'extensions':{'code':'MAX_COST_EXCEEDED','cost':1502,'maxCost':1000}}]}"));
	ck_assert_int_eq(shopify_ops.get_variant(S, "gid://shopify/ProductVariant/9", on_variants, NULL, &e), 0);
	run();
	ck_assert_uint_eq(W.nreqs, 1);
	ck_assert_int_eq(G.res.oc, HTTP_OUTCOME_FAILED);
	ck_assert_int_eq(G.res.err.cls, ERR_PLATFORM);
	ck_assert_str_eq(G.res.error_code, "MAX_COST_EXCEEDED");
	g_reset();
}
END_TEST

/* The token never reaches a log line, even at debug level on failures. */
START_TEST(test_token_never_logged)
{
	char *dir = tmpdir();
	char path[4096];
	char *text, *name = NULL, *cur = NULL;
	int fd, saved, level;
	struct err e;

	snprintf(path, sizeof(path), "%s/stderr", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	level = log_get_level();
	log_set_level(LOG_DEBUG);
	say_throttled(200, 10, 0);
	say(500, NULL);
	say(401, "{\"errors\":\"Invalid API key or access token\"}");
	ck_assert_int_eq(shopify_ops.get_shop(S, &name, &cur, &e), -1);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	log_set_level(level);
	text = slurp(path);
	ck_assert_msg(strlen(text) > 0, "nothing was logged: the test would prove nothing");
	ck_assert_msg(strstr(text, TOKEN) == NULL && strstr(text, "shpat_") == NULL,
		      "the access token was logged:\n%s", text);
	free(text);
	rm_tmpdir(dir);
}
END_TEST

/* ------------------------------------------------------------------ */
/* orderCreate variables and admin links                                */

START_TEST(test_order_create_variables)
{
	struct sh_order_input in;
	json_t *v, *o, *li, *t, *sl, *tr, *opt, *a;
	char *s;

	full_input(&in);
	s = shopify_order_create_variables(&in);
	ck_assert_ptr_nonnull(s);
	v = json_loads(s, 0, NULL);
	ck_assert_ptr_nonnull(v);
	o = json_object_get(v, "order");
	li = json_object_get(o, "lineItems");
	ck_assert_uint_eq(json_array_size(li), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(li, 0), "variantId")),
			 "gid://shopify/ProductVariant/4455");
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(li, 0), "quantity")), 2);
	ck_assert(json_is_true(json_object_get(json_array_get(li, 0), "requiresShipping")));
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(
		json_array_get(li, 0), "priceSet"), "shopMoney"), "amount")), "9.50");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(
		json_array_get(li, 0), "priceSet"), "shopMoney"), "currencyCode")), "USD");
	t = json_array_get(json_object_get(json_array_get(li, 0), "taxLines"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(t, "title")), "TX State Tax");
	ck_assert_str_eq(json_string_value(json_object_get(t, "rate")), "0.0625");
	ck_assert(json_is_true(json_object_get(t, "channelLiable")));
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(t,
		"priceSet"), "shopMoney"), "amount")), "1.19");
	/* the lines carry tax, so the order does not */
	ck_assert_ptr_null(json_object_get(o, "taxLines"));
	sl = json_array_get(json_object_get(o, "shippingLines"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(sl, "title")), "Standard Shipping");
	ck_assert_str_eq(json_string_value(json_object_get(sl, "code")), "STANDARD");
	ck_assert_str_eq(json_string_value(json_object_get(sl, "source")), "tiktok_shop");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(sl,
		"priceSet"), "shopMoney"), "amount")), "5.99");
	ck_assert_uint_eq(json_array_size(json_object_get(sl, "taxLines")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(o,
		"customer"), "toUpsert"), "lastName")), "Díaz");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(o,
		"customer"), "toUpsert"), "email")), "relay-7731@scs.tiktokw.us");
	ck_assert_str_eq(json_string_value(json_object_get(o, "email")), "relay-7731@scs.tiktokw.us");
	ck_assert_str_eq(json_string_value(json_object_get(o, "phone")), "+15125550100");
	ck_assert_str_eq(json_string_value(json_object_get(o, "note")),
			 "Please gift wrap <b>=SUM(A1)</b> \"thanks\"");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(o, "tags"), 1)),
			 "TikTok Shop Gift");
	a = json_object_get(o, "customAttributes");
	ck_assert_uint_eq(json_array_size(a), 3);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(a, 1), "key")),
			 "TikTok Shop Order ID");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(a, 1), "value")),
			 "576543219876543210");
	ck_assert_str_eq(json_string_value(json_object_get(o, "sourceIdentifier")), "576543219876543210");
	ck_assert_str_eq(json_string_value(json_object_get(o, "sourceUrl")),
			 "https://seller-us.tiktok.com/order/detail?order_no=576543219876543210");
	ck_assert_str_eq(json_string_value(json_object_get(o, "processedAt")), "2026-05-02T14:03:11Z");
	ck_assert_str_eq(json_string_value(json_object_get(o, "currency")), "USD");
	ck_assert_str_eq(json_string_value(json_object_get(o, "financialStatus")), "PAID");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(o, "shippingAddress"),
							   "provinceCode")), "TX");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(o, "shippingAddress"),
							   "countryCode")), "US");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(o, "shippingAddress"),
							   "address2")), "Apt 4");
	tr = json_array_get(json_object_get(o, "transactions"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(tr, "kind")), "SALE");
	ck_assert_str_eq(json_string_value(json_object_get(tr, "status")), "SUCCESS");
	ck_assert_str_eq(json_string_value(json_object_get(tr, "gateway")), "TikTok Shop");
	ck_assert_str_eq(json_string_value(json_object_get(tr, "processedAt")), "2026-05-02T14:03:11Z");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(tr,
		"amountSet"), "shopMoney"), "amount")), "43.49");
	/* research Q3: never a sourceName */
	ck_assert_ptr_null(json_object_get(o, "sourceName"));
	ck_assert_ptr_null(strstr(s, "sourceName"));
	opt = json_object_get(v, "options");
	ck_assert_str_eq(json_string_value(json_object_get(opt, "inventoryBehaviour")), "BYPASS");
	ck_assert(json_is_false(json_object_get(opt, "sendReceipt")));
	ck_assert(json_is_false(json_object_get(opt, "sendFulfillmentReceipt")));
	json_decref(v);
	free(s);

	/* lines without tax: the order-level tax lines go on the order */
	{
		size_t i;

		for (i = 0; i < in.nlines; i++) {
			free(in.lines[i].tax_lines[0].title);
			free(in.lines[i].tax_lines[0].rate);
			free(in.lines[i].tax_lines);
			in.lines[i].tax_lines = NULL;
			in.lines[i].ntax_lines = 0;
		}
	}
	s = shopify_order_create_variables(&in);
	ck_assert_ptr_nonnull(s);
	v = json_loads(s, 0, NULL);
	o = json_object_get(v, "order");
	ck_assert_uint_eq(json_array_size(json_object_get(o, "taxLines")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(
		json_array_get(json_object_get(o, "taxLines"), 0), "priceSet"), "shopMoney"), "amount")),
		"2.50");
	ck_assert_ptr_null(json_object_get(json_array_get(json_object_get(o, "lineItems"), 0), "taxLines"));
	json_decref(v);
	free(s);

	/* a zero-decimal currency */
	strcpy(in.currency, "JPY");
	in.exp = 0;
	s = shopify_order_create_variables(&in);
	ck_assert_ptr_nonnull(s);
	v = json_loads(s, 0, NULL);
	o = json_object_get(v, "order");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(
		json_array_get(json_object_get(o, "lineItems"), 0), "priceSet"), "shopMoney"), "amount")), "950");
	ck_assert_str_eq(json_string_value(json_object_get(o, "currency")), "JPY");
	json_decref(v);
	free(s);
	sh_order_input_free(&in);
}
END_TEST

START_TEST(test_order_create_refuses_bad_input)
{
	struct sh_order_input in;
	struct err e;
	char *s;

	/* a tax line without its rate (Decimal! in the schema) */
	full_input(&in);
	free(in.lines[1].tax_lines[0].rate);
	in.lines[1].tax_lines[0].rate = NULL;
	s = shopify_order_create_variables(&in);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(shopify_ops.order_create(S, &in, on_orders, NULL, &e), -1);
	ck_assert_int_eq(e.cls, ERR_DATA);
	ck_assert_ptr_nonnull(strstr(e.msg, "line 2"));
	ck_assert_uint_eq(W.nreqs, 0);		/* nothing sent */
	sh_order_input_free(&in);

	/* buyer text that is not UTF-8 cannot be sent */
	full_input(&in);
	free(in.note);
	in.note = strdup("bad \xff\xfe bytes");
	ck_assert_int_eq(shopify_ops.order_create(S, &in, on_orders, NULL, &e), -1);
	ck_assert_int_eq(e.cls, ERR_DATA);
	ck_assert_ptr_nonnull(strstr(e.msg, "note"));
	sh_order_input_free(&in);

	/* a line without a variant */
	full_input(&in);
	free(in.lines[0].variant_id);
	in.lines[0].variant_id = NULL;
	ck_assert_int_eq(shopify_ops.order_create(S, &in, on_orders, NULL, &e), -1);
	ck_assert_int_eq(e.cls, ERR_DATA);
	ck_assert_uint_eq(W.nreqs, 0);
	sh_order_input_free(&in);
}
END_TEST

START_TEST(test_admin_urls)
{
	struct config c;
	char *u;

	memset(&c, 0, sizeof(c));
	c.sh_shop_domain = "acme-store.myshopify.com";
	u = shopify_order_admin_url(&c, "8939169218866");
	ck_assert_str_eq(u, "https://admin.shopify.com/store/acme-store/orders/8939169218866");
	free(u);
	c.sh_base_url = "http://127.0.0.1:43125/";
	u = shopify_order_admin_url(&c, "1001");
	ck_assert_str_eq(u, "http://127.0.0.1:43125/admin/orders/1001");
	free(u);
	ck_assert_ptr_null(shopify_order_admin_url(&c, NULL));
	ck_assert_ptr_null(shopify_order_admin_url(&c, "12/../x"));
}
END_TEST

START_TEST(test_custom_base_and_version)
{
	struct shopify *s2 = NULL;
	struct config c;
	char *name = NULL, *cur = NULL;
	struct err e;

	memset(&c, 0, sizeof(c));
	c.path = "t.yaml";
	c.sh_base_url = "https://shopify-twin.example/";
	c.sh_access_token = TOKEN;
	ck_assert_int_eq(shopify_new(&c, H, &s2, &e), 0);
	say_data(J("{'shop':{'name':'Twin','currencyCode':'CAD','myshopifyDomain':'twin.myshopify.com'}}"));
	ck_assert_int_eq(shopify_ops.get_shop(s2, &name, &cur, &e), 0);
	ck_assert_str_eq(W.reqs[0].url, "https://shopify-twin.example/admin/api/2026-04/graphql.json");
	ck_assert_str_eq(cur, "CAD");
	free(name);
	free(cur);
	shopify_free(s2);

	/* no token: a configuration error naming the file */
	c.sh_access_token = NULL;
	ck_assert_int_eq(shopify_new(&c, H, &s2, &e), -1);
	ck_assert_int_eq(e.cls, ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(e.msg, "t.yaml"));
}
END_TEST

static Suite *shopify_suite(void)
{
	Suite *s = suite_create("shopify");
	TCase *tc;

	tc = tcase_create("oracle");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_documents_valid_against_schema);
	tcase_add_test(tc, test_every_request_valid_against_schema);
	tcase_add_test(tc, test_costs_match_schema_rules_and_stay_under_cap);
	tcase_add_test(tc, test_get_orders_chunks_under_cap_one_answer);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_window_page_parsed);
	tcase_add_test(tc, test_truncated_order_read_again_alone);
	tcase_add_test(tc, test_truncated_detail_kept_not_looped);
	tcase_add_test(tc, test_order_create_user_errors);
	tcase_add_test(tc, test_order_create_returns_order_for_unit_mapping);
	tcase_add_test(tc, test_fulfillment_user_error_without_code);
	tcase_add_test(tc, test_fulfillment_created_parsed_and_sent);
	tcase_add_test(tc, test_cancel_and_event_variables);
	suite_add_tcase(s, tc);

	tc = tcase_create("search");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_find_by_tiktok_id_escaped_and_paged);
	tcase_add_test(tc, test_variants_exact_sku_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("classify");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_throttled_read_waits_for_the_bucket);
	tcase_add_test(tc, test_throttled_write_is_resent_once);
	tcase_add_test(tc, test_429_honours_retry_after);
	tcase_add_test(tc, test_5xx_read_retried_write_unknown);
	tcase_add_test(tc, test_truncated_or_garbage_body);
	tcase_add_test(tc, test_dropped_connection);
	tcase_add_test(tc, test_auth_refused);
	tcase_add_test(tc, test_max_cost_is_a_failure_not_a_retry);
	tcase_add_test(tc, test_token_never_logged);
	suite_add_tcase(s, tc);

	tc = tcase_create("input");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_order_create_variables);
	tcase_add_test(tc, test_order_create_refuses_bad_input);
	tcase_add_test(tc, test_admin_urls);
	tcase_add_test(tc, test_custom_base_and_version);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(shopify_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/*
 * shopify_emu.c - build/shopify-emu, the Shopify Admin GraphQL (2026-04)
 * twin: the command line, and what happens to one request on
 * POST /admin/api/{version}/graphql.json - access token (401), body
 * (400), parse, validation against the real schema (subset SDL by
 * default), variables, calculated cost (MAX_COST_EXCEEDED over 1000),
 * the leaky bucket (THROTTLED, HTTP 200 or 429), execution by the
 * resolvers, and the answer with extensions.cost and
 * X-Shopify-API-Version. It also owns the control callbacks emu_common
 * calls: /_emu/state, /_emu/config, /_emu/event, fault bodies, the
 * operation name faults match on.
 *
 * The server itself (threads, log, faults, clock) is emu_common.c.
 */
#include "shopify_emu.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define SUBSET_SCHEMA "tests/emulator/shopify-admin-subset.graphql"
#define THROTTLE_DOC "https://shopify.dev/api/usage/rate-limits"

struct app {
	struct sh_store *S;
	struct gql_schema *schema;
};

/* ------------------------------------------------------------------ */
/* leaky bucket                                                         */

/* Emulator time in ms: the emulator clock's seconds plus the real
 * sub-second while the clock runs with real time; no restore while it
 * stands still (frozen), a jump when it is advanced. */
static int64_t bucket_now_ms(struct sh_store *S)
{
	struct timespec ts;
	int64_t es = emu_now(S->emu), off, ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	off = es - (int64_t)ts.tv_sec;
	if (!S->last_emu_sec)
		ms = es * 1000 + ts.tv_nsec / 1000000;
	else if (off == S->last_real_sec || es > S->last_emu_sec)
		ms = es * 1000 + ts.tv_nsec / 1000000;
	else
		ms = S->bucket_ms;
	S->last_real_sec = off;		/* (the offset, reusing the field) */
	S->last_emu_sec = es;
	return ms;
}

static void bucket_refresh(struct sh_store *S)
{
	int64_t ms = bucket_now_ms(S);

	if (S->bucket_ms && ms > S->bucket_ms)
		S->available += (double)(ms - S->bucket_ms) / 1000.0 * S->limits.restore_rate;
	if (!S->bucket_ms || ms > S->bucket_ms)
		S->bucket_ms = ms;
	if (S->available > S->limits.bucket_size)
		S->available = S->limits.bucket_size;
}

static json_t *cost_json(struct sh_store *S, long requested, long actual, int has_actual)
{
	return json_pack("{s:I,s:o,s:{s:I,s:I,s:I}}", "requestedQueryCost", (json_int_t)requested,
			 "actualQueryCost", has_actual ? json_integer((json_int_t)actual) : json_null(),
			 "throttleStatus", "maximumAvailable", (json_int_t)S->limits.bucket_size,
			 "currentlyAvailable", (json_int_t)(S->available > 0 ? S->available : 0),
			 "restoreRate", (json_int_t)S->limits.restore_rate);
}

/* ------------------------------------------------------------------ */
/* answers                                                              */

static void respond(struct emu_response *rs, int status, json_t *body, const char *version)
{
	emu_respond_json(rs, status, body);
	if (version)
		emu_add_header(rs, "X-Shopify-API-Version: %s", version);
}

/* {"errors":[...], "extensions":{"cost":...}} for requests refused before
 * execution (nothing charged). */
static void respond_errors(struct sh_store *S, struct emu_response *rs, json_t *errors,
			   const char *version, long requested)
{
	json_t *body = json_object();

	bucket_refresh(S);
	json_object_set_new(body, "errors", errors);
	json_object_set_new(body, "extensions",
			    json_pack("{s:o}", "cost", cost_json(S, requested, 0, requested == 0)));
	respond(rs, 200, body, version);
}

static void bad_request(struct emu_response *rs, const char *param, const char *version)
{
	respond(rs, 400, json_pack("{s:{s:s}}", "errors", param,
				   "Required parameter missing or invalid"), version);
}

/* "2026-04", "unstable": the version Shopify serves the request in. */
static const char *path_version(const char *path, char *buf, size_t n)
{
	static const char prefix[] = "/admin/api/";
	static const char suffix[] = "/graphql.json";
	const char *v, *end;
	size_t len;

	if (strncmp(path, prefix, sizeof(prefix) - 1) != 0)
		return NULL;
	v = path + sizeof(prefix) - 1;
	end = strchr(v, '/');
	if (!end || strcmp(end, suffix) != 0)
		return NULL;
	len = (size_t)(end - v);
	if (len == 0 || len >= n)
		return NULL;
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (strcmp(buf, "unstable") == 0)
		return buf;
	if (len != 7 || !isdigit((unsigned char)buf[0]) || !isdigit((unsigned char)buf[1]) ||
	    !isdigit((unsigned char)buf[2]) || !isdigit((unsigned char)buf[3]) || buf[4] != '-' ||
	    !isdigit((unsigned char)buf[5]) || !isdigit((unsigned char)buf[6]))
		return NULL;
	return buf;
}

struct gql_request {
	json_t *body;			/* the parsed JSON body (owned) */
	const char *query;
	json_t *variables;		/* borrowed or owned (see vars_owned) */
	int vars_owned;
	const char *operation_name;
};

static void gql_request_free(struct gql_request *g)
{
	if (g->vars_owned)
		json_decref(g->variables);
	json_decref(g->body);
	memset(g, 0, sizeof(*g));
}

/* Parse the HTTP body: application/json {query, variables, operationName}
 * or application/graphql (the raw document). Returns NULL when fine, or
 * the parameter to blame. */
static const char *parse_body(const struct emu_request *rq, struct gql_request *g)
{
	const char *ct = emu_header(rq, "Content-Type");
	json_t *v;

	memset(g, 0, sizeof(*g));
	if (ct && strncmp(ct, "application/graphql", 19) == 0) {
		g->body = json_stringn(rq->body, rq->body_len);
		g->query = json_string_value(g->body);
		return g->query && *g->query ? NULL : "query";
	}
	g->body = json_loadb(rq->body, rq->body_len, 0, NULL);
	if (!json_is_object(g->body))
		return "query";
	g->query = json_string_value(json_object_get(g->body, "query"));
	if (!g->query || !*g->query)
		return "query";
	v = json_object_get(g->body, "variables");
	if (json_is_string(v)) {
		/* graphql-ruby's convention: variables sent as a JSON string */
		g->variables = json_loads(json_string_value(v), 0, NULL);
		g->vars_owned = 1;
		if (!g->variables && *json_string_value(v))
			return "variables";
		if (g->variables && !json_is_object(g->variables))
			return "variables";
	} else if (v && !json_is_null(v) && !json_is_object(v)) {
		return "variables";
	} else {
		g->variables = v;
	}
	v = json_object_get(g->body, "operationName");
	if (v && !json_is_null(v) && !json_is_string(v))
		return "operationName";
	g->operation_name = json_string_value(v);
	return NULL;
}

static int has_mutation_field(const struct gql_operation *op, const char *name)
{
	size_t i;

	if (op->kind != GQL_OP_MUTATION)
		return 0;
	for (i = 0; i < op->sel->n; i++)
		if (op->sel->v[i]->kind == GQL_SEL_FIELD && strcmp(op->sel->v[i]->name, name) == 0)
			return 1;
	return 0;
}

static void handle(void *ctx, struct emu *emu, const struct emu_request *rq,
		   struct emu_response *rs)
{
	struct app *A = ctx;
	struct sh_store *S = A->S;
	char vbuf[32];
	const char *version = path_version(rq->path, vbuf, sizeof(vbuf));
	const char *token, *bad;
	struct gql_request g;
	struct gql_document *doc = NULL;
	struct gql_syntax_error se;
	const struct gql_operation *op;
	json_t *errors = json_array(), *vars = NULL, *body;
	struct gql_exec_result res = { NULL, 0 };
	char *msg = NULL;
	long requested;
	size_t i;

	S->emu = emu;
	S->now = emu_now(emu);
	S->n_requests++;
	memset(&g, 0, sizeof(g));
	if (!version) {
		respond(rs, 404, json_pack("{s:s}", "errors", "Not Found"), NULL);
		goto cleanup;
	}
	if (strcmp(rq->method, "POST") != 0) {
		respond(rs, 405, json_pack("{s:s}", "errors", "Method Not Allowed"), version);
		emu_add_header(rs, "Allow: POST");
		goto cleanup;
	}
	token = emu_header(rq, "X-Shopify-Access-Token");
	for (i = 0; token && i < S->ntokens; i++)
		if (strcmp(S->tokens[i], token) == 0)
			break;
	if (!token || i == S->ntokens) {
		respond(rs, 401, json_pack("{s:s}", "errors",
					   "[API] Invalid API key or access token (unrecognized login or wrong password)"),
			NULL);
		goto cleanup;
	}
	if ((bad = parse_body(rq, &g)) != NULL) {
		bad_request(rs, bad, version);
		goto cleanup;
	}
	if (gql_parse_document(g.query, strlen(g.query), &doc, &se) < 0) {
		json_array_append_new(errors, gql_error_new(se.message, se.loc.line ? &se.loc : NULL,
							    NULL, NULL));
		respond_errors(S, rs, errors, version, 0);
		errors = NULL;
		goto cleanup;
	}
	if (gql_validate(A->schema, doc, errors) > 0) {
		respond_errors(S, rs, errors, version, 0);
		errors = NULL;
		goto cleanup;
	}
	if (gql_select_operation(doc, g.operation_name, &op, &msg) < 0) {
		json_array_append_new(errors, gql_error_new(msg, NULL, NULL, NULL));
		respond_errors(S, rs, errors, version, 0);
		errors = NULL;
		goto cleanup;
	}
	if (gql_coerce_variables(A->schema, op, g.variables, &vars, errors) < 0) {
		respond_errors(S, rs, errors, version, 0);
		errors = NULL;
		goto cleanup;
	}
	requested = gql_requested_cost(A->schema, doc, op, vars);
	bucket_refresh(S);
	if (requested > SH_MAX_QUERY_COST) {
		S->n_max_cost++;
		json_array_append_new(errors, gql_error_new(
			"", NULL, NULL,
			json_pack("{s:s,s:I,s:i}", "code", "MAX_COST_EXCEEDED", "cost",
				  (json_int_t)requested, "maxCost", SH_MAX_QUERY_COST)));
		json_object_set_new(json_array_get(errors, 0), "message", json_sprintf(
			"Query cost is %ld, which exceeds the single query max cost limit (%d).\n\n"
			"See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"
			"cost of a query is calculated.\n\n"
			"To query larger amounts of data with fewer limits, bulk operations should be used instead.\n"
			"See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n",
			requested, SH_MAX_QUERY_COST));
		body = json_pack("{s:o,s:{s:o}}", "errors", errors, "extensions", "cost",
				 cost_json(S, requested, 0, 0));
		errors = NULL;
		respond(rs, 200, body, version);
		goto cleanup;
	}
	if (S->available < (double)requested) {
		int status = S->limits.throttle_http_status;

		S->n_throttled++;
		body = json_pack("{s:[{s:s,s:{s:s,s:s}}],s:{s:o}}", "errors", "message", "Throttled",
				 "extensions", "code", "THROTTLED", "documentation", THROTTLE_DOC,
				 "extensions", "cost", cost_json(S, requested, 0, 0));
		respond(rs, status, body, version);
		if (status == 429) {
			double need = S->limits.restore_rate > 0 ?
				((double)requested - S->available) / S->limits.restore_rate : 60;
			long wait = (long)need;

			if ((double)wait < need)
				wait++;		/* whole seconds, rounded up */
			emu_add_header(rs, "Retry-After: %ld", wait < 1 ? 1 : wait);
		}
		goto cleanup;
	}
	S->available -= (double)requested;
	S->rq_arena = gql_arena_new();
	S->rq_keep = json_array();
	S->search_ext = NULL;
	S->wrote = 0;
	gql_execute(A->schema, doc, op, vars, sh_resolve, S, errors, &res);
	if (S->wrote || has_mutation_field(op, "orderCreate"))
		emu_mark_executed(emu);
	if (res.actual_cost < requested)
		S->available += (double)(requested - res.actual_cost);
	if (S->available > S->limits.bucket_size)
		S->available = S->limits.bucket_size;
	body = json_object();
	if (json_array_size(errors)) {
		json_object_set_new(body, "errors", errors);
		errors = NULL;
	}
	json_object_set_new(body, "data", res.data);
	json_object_set_new(body, "extensions", json_pack("{s:o}", "cost",
							  cost_json(S, requested, res.actual_cost, 1)));
	if (S->search_ext)
		json_object_set_new(json_object_get(body, "extensions"), "search", S->search_ext);
	S->search_ext = NULL;
	respond(rs, 200, body, version);
	gql_arena_free(S->rq_arena);
	S->rq_arena = NULL;
	json_decref(S->rq_keep);
	S->rq_keep = NULL;
cleanup:
	if (rs->status && rs->status != 401)
		emu_add_header(rs, "X-Request-Id: %08llx-%04llx-4000-8000-%012llx",
			       (unsigned long long)S->now & 0xffffffffULL,
			       (unsigned long long)S->n_requests & 0xffffULL,
			       (unsigned long long)S->n_requests * 7919ULL);
	free(msg);
	json_decref(vars);
	json_decref(errors);
	gql_document_free(doc);
	gql_request_free(&g);
}

/* ------------------------------------------------------------------ */
/* control callbacks                                                    */

/* The name faults match on: operationName, else the first root field. */
static char *operation(void *ctx, const struct emu_request *rq)
{
	struct gql_request g;
	struct gql_document *doc = NULL;
	struct gql_syntax_error se;
	const struct gql_operation *op;
	char *msg = NULL, *out = NULL;
	const struct gql_selection_set *set;
	int hops = 0;

	(void)ctx;
	if (parse_body(rq, &g) != NULL)
		goto cleanup;
	if (g.operation_name && *g.operation_name) {
		out = xstrdup(g.operation_name);
		goto cleanup;
	}
	if (gql_parse_document(g.query, strlen(g.query), &doc, &se) < 0 ||
	    gql_select_operation(doc, NULL, &op, &msg) < 0)
		goto cleanup;
	set = op->sel;
	while (set && set->n && hops++ < 16) {
		const struct gql_selection *s = set->v[0];

		if (s->kind == GQL_SEL_FIELD) {
			out = xstrdup(s->name);
			break;
		}
		if (s->kind == GQL_SEL_INLINE) {
			set = s->sel;
		} else {
			const struct gql_fragment *f = gql_find_fragment(doc, s->name);

			set = f ? f->sel : NULL;
		}
	}
cleanup:
	free(msg);
	gql_document_free(doc);
	gql_request_free(&g);
	return out;
}

static json_t *dump_state(void *ctx, struct emu *emu)
{
	struct app *A = ctx;

	A->S->emu = emu;
	A->S->now = emu_now(emu);
	bucket_refresh(A->S);
	return sh_dump_state(A->S);
}

static json_t *event(void *ctx, struct emu *emu, json_t *ev, char **error)
{
	struct app *A = ctx;
	struct sh_store *S = A->S;
	json_t *out;

	S->emu = emu;
	S->now = emu_now(emu);
	S->rq_arena = gql_arena_new();
	S->rq_keep = json_array();
	out = sh_event(S, ev, error);
	gql_arena_free(S->rq_arena);
	S->rq_arena = NULL;
	json_decref(S->rq_keep);
	S->rq_keep = NULL;
	return out;
}

static int config(void *ctx, struct emu *emu, json_t *cfg, char **error)
{
	struct app *A = ctx;
	struct sh_store *S = A->S;
	struct sh_limits L = S->limits;
	const char *key;
	json_t *v;
	double avail = -1;

	S->emu = emu;
	S->now = emu_now(emu);
	json_object_foreach(cfg, key, v) {
		if (strcmp(key, "bucket_size") == 0 && json_is_number(v) && json_number_value(v) > 0)
			L.bucket_size = json_number_value(v);
		else if (strcmp(key, "restore_rate") == 0 && json_is_number(v) && json_number_value(v) >= 0)
			L.restore_rate = json_number_value(v);
		else if (strcmp(key, "throttle_http_status") == 0 && json_is_integer(v) &&
			 (json_integer_value(v) == 200 || json_integer_value(v) == 429))
			L.throttle_http_status = (int)json_integer_value(v);
		else if (strcmp(key, "dev_store_order_limit") == 0 && json_is_boolean(v))
			L.dev_store_order_limit = json_is_true(v);
		else if (strcmp(key, "search_index_lag") == 0 && json_is_integer(v) &&
			 json_integer_value(v) >= 0 && json_integer_value(v) <= 86400)
			L.search_index_lag = (int)json_integer_value(v);
		else if (strcmp(key, "currently_available") == 0 && json_is_number(v) &&
			 json_number_value(v) >= 0)
			avail = json_number_value(v);
		else if (strcmp(key, "latency_ms") == 0)
			continue;	/* emu_common's */
		else {
			*error = xasprintf("config: bad or unknown key \"%s\" (bucket_size > 0, "
					   "restore_rate >= 0, throttle_http_status 200|429, "
					   "dev_store_order_limit true|false, search_index_lag 0..86400, "
					   "currently_available >= 0, latency_ms)", key);
			return -1;
		}
	}
	bucket_refresh(S);
	if (L.bucket_size != S->limits.bucket_size)
		S->available = L.bucket_size;	/* a new bucket starts full */
	S->limits = L;
	if (avail >= 0)
		S->available = avail;
	if (S->available > S->limits.bucket_size)
		S->available = S->limits.bucket_size;
	if (!L.dev_store_order_limit)
		S->nrecent = 0;
	return 0;
}

static char *fault_body(void *ctx, int status)
{
	json_t *j;
	char *s;

	(void)ctx;
	if (status == 429)
		j = json_pack("{s:[{s:s,s:{s:s,s:s}}]}", "errors", "message", "Throttled",
			      "extensions", "code", "THROTTLED", "documentation", THROTTLE_DOC);
	else if (status == 401)
		j = json_pack("{s:s}", "errors",
			      "[API] Invalid API key or access token (unrecognized login or wrong password)");
	else if (status == 503)
		j = json_pack("{s:s}", "errors", "Unavailable Shop");
	else if (status >= 500)
		j = json_pack("{s:[{s:s,s:{s:s,s:s}}]}", "errors", "message",
			      "Internal error. Looks like something went wrong on our end.\n"
			      "Request ID: 00000000-0000-4000-8000-000000000000 (include this in support requests).",
			      "extensions", "code", "INTERNAL_SERVER_ERROR", "requestId",
			      "00000000-0000-4000-8000-000000000000");
	else
		j = json_pack("{s:s}", "errors", "Bad Request");
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

static void too_large(void *ctx, struct emu_response *rs)
{
	(void)ctx;
	emu_respond_json(rs, 413, json_pack("{s:s}", "errors", "Request Entity Too Large"));
}

/* ------------------------------------------------------------------ */
/* main                                                                 */

static void usage(FILE *f)
{
	fprintf(f,
"usage: shopify-emu --data FILE [--schema FILE] [--port N] [--port-file FILE]\n"
"                   [--pid-file FILE] [--log FILE] [--latency-ms N] [--help]\n"
"\n"
"The Shopify Admin GraphQL API (2026-04) twin for ttsync's tests and demo:\n"
"POST /admin/api/{version}/graphql.json with X-Shopify-Access-Token.\n"
"\n"
"  --data FILE       the shop, tokens, locations, products, orders and limits\n"
"                    (shopify.json, tests/emulator/README.md)\n"
"  --schema FILE     the GraphQL SDL requests are validated against; default:\n"
"                    $TTSYNC_TOP/" SUBSET_SCHEMA ", else\n"
"                    <dir of this binary>/../" SUBSET_SCHEMA ",\n"
"                    else ./" SUBSET_SCHEMA ". Pass Shopify's full\n"
"                    schema (../shared/platform-specs/shopify/admin-2026-04.graphql)\n"
"                    to validate every type exactly\n"
"%s", emu_common_usage());
}

static int file_exists(const char *p)
{
	return access(p, R_OK) == 0;
}

static char *find_schema(void)
{
	const char *top = getenv("TTSYNC_TOP");
	char exe[PATH_MAX], *p;
	ssize_t n;

	if (top && *top) {
		char *c = xasprintf("%s/%s", top, SUBSET_SCHEMA);

		if (file_exists(c))
			return c;
		free(c);
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		p = strrchr(exe, '/');
		if (p) {
			char *c;

			*p = '\0';
			c = xasprintf("%s/../%s", exe, SUBSET_SCHEMA);
			if (file_exists(c))
				return c;
			free(c);
		}
	}
	if (file_exists(SUBSET_SCHEMA))
		return xstrdup(SUBSET_SCHEMA);
	return NULL;
}

int main(int argc, char **argv)
{
	struct emu_opts opts;
	struct app A;
	struct emu_platform P;
	const char *data = NULL;
	char *schema_path = NULL;
	char err[1024];
	int64_t clock = 0;
	int i, ret = 1;

	memset(&opts, 0, sizeof(opts));
	memset(&A, 0, sizeof(A));
	for (i = 1; i < argc; i++) {
		int r = emu_parse_common_arg(&opts, argc, argv, &i);

		if (r < 0)
			return 2;
		if (r > 0)
			continue;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
			data = argv[++i];
		} else if (strncmp(argv[i], "--data=", 7) == 0) {
			data = argv[i] + 7;
		} else if (strcmp(argv[i], "--schema") == 0 && i + 1 < argc) {
			free(schema_path);
			schema_path = xstrdup(argv[++i]);
		} else if (strncmp(argv[i], "--schema=", 9) == 0) {
			free(schema_path);
			schema_path = xstrdup(argv[i] + 9);
		} else {
			fprintf(stderr, "shopify-emu: unknown argument '%s'\n", argv[i]);
			usage(stderr);
			free(schema_path);
			return 2;
		}
	}
	if (!data) {
		fprintf(stderr, "shopify-emu: --data FILE is required\n");
		usage(stderr);
		free(schema_path);
		return 2;
	}
	if (!schema_path && !(schema_path = find_schema())) {
		fprintf(stderr, "shopify-emu: cannot find %s (set TTSYNC_TOP or pass --schema)\n",
			SUBSET_SCHEMA);
		return 2;
	}
	if (gql_schema_load_file(schema_path, &A.schema, err, sizeof(err)) < 0) {
		fprintf(stderr, "shopify-emu: schema: %s\n", err);
		goto cleanup;
	}
	if (!gql_schema_type(A.schema, "Order") || !gql_schema_mutation_type(A.schema)) {
		fprintf(stderr, "shopify-emu: %s is not a Shopify Admin schema\n", schema_path);
		goto cleanup;
	}
	/* Live 2025-01 capture: fulfillmentTrackingInfoUpdate { fulfillment {
	 * trackingInfo } userErrors } cost 51 (research §0.2). */
	gql_schema_set_mutation_cost(A.schema, "fulfillmentTrackingInfoUpdate", 50);
	A.S = sh_store_new();
	A.S->schema = A.schema;
	if (sh_store_load(A.S, data, (int64_t)time(NULL), &clock, err, sizeof(err)) < 0) {
		fprintf(stderr, "shopify-emu: %s\n", err);
		goto cleanup;
	}
	memset(&P, 0, sizeof(P));
	P.name = "shopify";
	P.ctx = &A;
	P.handle = handle;
	P.operation = operation;
	P.dump_state = dump_state;
	P.event = event;
	P.config = config;
	P.fault_body = fault_body;
	P.too_large = too_large;
	ret = emu_serve(&opts, &P, clock) == 0 ? 0 : 1;
cleanup:
	sh_store_free(A.S);
	gql_schema_free(A.schema);
	free(schema_path);
	return ret;
}

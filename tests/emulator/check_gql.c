/*
 * check_gql.c - unit tests of the Shopify twin's GraphQL engine (gql.c,
 * gql_schema.c): the parser (operations, variables, defaults, aliases,
 * fragments, block strings, escapes, syntax errors), the SDL loader,
 * graphql-ruby-shaped validation errors, variable coercion
 * (INVALID_VARIABLE problems), execution against a toy resolver (aliases,
 * fragments, __typename, @include/@skip, connections, null propagation,
 * "not implemented"), the cost rules, and two cross-checks: every
 * document ttsync sends validates against the committed subset schema,
 * and our validator agrees with graphql-js (../shared/tools/
 * shopify-schema-check) on a corpus against Shopify's full schema.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "gql.h"
#include "gql_schema.h"
#include "harness.h"
#include "shopify.h"

static const char toy_sdl[] =
	"schema { query: Query mutation: Mutation }\n"
	"directive @emuStub on OBJECT | INTERFACE | UNION | INPUT_OBJECT\n"
	"\"\"\"A date\"\"\" scalar DateTime\n"
	"scalar Decimal\n"
	"interface Node { id: ID! }\n"
	"type Query {\n"
	"  shop: Shop!\n"
	"  item(id: ID!): Item\n"
	"  items(first: Int, after: String, last: Int, before: String, query: String,\n"
	"        sortKey: ItemSort = ID, reverse: Boolean = false): ItemConnection!\n"
	"  node(id: ID!): Node\n"
	"  search(filter: Filter!): [Item!]!\n"
	"  stubbed: Stubbed\n"
	"}\n"
	"type Mutation { itemCreate(input: ItemInput!): ItemPayload }\n"
	"type Shop { name: String! code: Int }\n"
	"type Item implements Node {\n"
	"  \"the id\" id: ID!\n  title: String!\n  price: Decimal\n  tags: [String!]!\n"
	"  parts(first: Int): [Part!]!\n  status: Status!\n  owner: Shop!\n  broken: String!\n"
	"  missing: String\n}\n"
	"type Part implements Node { id: ID! n: Int }\n"
	"type ItemConnection { edges: [ItemEdge!]! nodes: [Item!]! pageInfo: PageInfo! }\n"
	"type ItemEdge { cursor: String! node: Item! }\n"
	"type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }\n"
	"type ItemPayload { item: Item userErrors: [UserError!]! }\n"
	"type UserError { field: [String!] message: String! }\n"
	"type Stubbed @emuStub { _emuStub: Boolean }\n"
	"enum Status { ACTIVE ARCHIVED }\n"
	"enum ItemSort { ID TITLE }\n"
	"input ItemInput { title: String! price: Decimal tags: [String!] status: Status = ACTIVE\n"
	"                  at: DateTime sub: SubInput }\n"
	"input SubInput { n: Int! }\n"
	"input Filter { status: Status, minPrice: Decimal }\n";

static struct gql_schema *toy;

static void load_toy(void)
{
	char err[256];

	ck_assert_msg(gql_schema_load(toy_sdl, strlen(toy_sdl), &toy, err, sizeof(err)) == 0,
		      "toy schema: %s", err);
}

static void free_toy(void)
{
	gql_schema_free(toy);
	toy = NULL;
}

static struct gql_document *parse_ok(const char *q)
{
	struct gql_document *d = NULL;
	struct gql_syntax_error se;

	ck_assert_msg(gql_parse_document(q, strlen(q), &d, &se) == 0, "parse: %s", se.message);
	return d;
}

/* Validation errors of q against the toy schema (caller decrefs). */
static json_t *validate(const char *q)
{
	struct gql_document *d = parse_ok(q);
	json_t *errs = json_array();

	gql_validate(toy, d, errs);
	gql_document_free(d);
	return errs;
}

static const char *err_code(json_t *errs, size_t i)
{
	return json_string_value(json_object_get(json_object_get(json_array_get(errs, i),
								  "extensions"), "code"));
}

static const char *err_msg(json_t *errs, size_t i)
{
	return json_string_value(json_object_get(json_array_get(errs, i), "message"));
}

/* ------------------------------------------------------------------ */
/* parser                                                               */

START_TEST(parse_operations_variables_fragments)
{
	struct gql_document *d = parse_ok(
		"# comment\n"
		"query Q($id: ID!, $n: Int = 5, $tags: [String!] = [\"a\", \"b\"], $o: ItemInput = {title: \"t\"}) {\n"
		"  first: item(id: $id) { ...F ... on Item @include(if: true) { title } }\n"
		"  items(first: $n, sortKey: TITLE, reverse: false, query: \"x\\u00e9\\ud83d\\ude00\") { nodes { id } }\n"
		"}\n"
		"mutation M { itemCreate(input: {title: \"\"\"\n    block\n      indented\n    \"\"\", tags: [], price: -1.5e2}) { item { id } } }\n"
		"fragment F on Item { id, tags }\n");
	const struct gql_operation *op;
	const struct gql_selection *s;
	char *msg = NULL;

	ck_assert_uint_eq(d->nops, 2);
	ck_assert_uint_eq(d->nfrags, 1);
	ck_assert_str_eq(d->ops[0].name, "Q");
	ck_assert_uint_eq(d->ops[0].nvars, 4);
	ck_assert_str_eq(d->ops[0].vars[1].name, "n");
	ck_assert_int_eq(d->ops[0].vars[1].default_value->kind, GQL_V_INT);
	ck_assert_str_eq(d->ops[0].vars[1].default_value->str, "5");
	ck_assert_int_eq(d->ops[0].vars[2].type->kind, GQL_T_LIST);
	ck_assert_int_eq(d->ops[0].vars[3].default_value->kind, GQL_V_OBJECT);
	s = d->ops[0].sel->v[0];
	ck_assert_str_eq(s->alias, "first");
	ck_assert_str_eq(s->name, "item");
	ck_assert_int_eq(s->args[0].value->kind, GQL_V_VARIABLE);
	ck_assert_int_eq(s->sel->v[0]->kind, GQL_SEL_SPREAD);
	ck_assert_int_eq(s->sel->v[1]->kind, GQL_SEL_INLINE);
	ck_assert_str_eq(s->sel->v[1]->type_cond, "Item");
	ck_assert_str_eq(s->sel->v[1]->dirs[0].name, "include");
	s = d->ops[0].sel->v[1];
	ck_assert_int_eq(s->args[1].value->kind, GQL_V_ENUM);
	ck_assert_int_eq(s->args[2].value->kind, GQL_V_BOOLEAN);
	/* \u00e9 and a surrogate pair decode to UTF-8 */
	ck_assert_str_eq(s->args[3].value->str, "x\xc3\xa9\xf0\x9f\x98\x80");
	s = d->ops[1].sel->v[0];
	ck_assert_str_eq(s->args[0].value->fields[0].value->str, "block\n  indented");
	ck_assert_str_eq(s->args[0].value->fields[2].value->str, "-1.5e2");
	ck_assert_int_eq(s->args[0].value->fields[1].value->kind, GQL_V_LIST);
	ck_assert_uint_eq(s->args[0].value->fields[1].value->n, 0);

	ck_assert_int_eq(gql_select_operation(d, "M", &op, &msg), 0);
	ck_assert_int_eq(op->kind, GQL_OP_MUTATION);
	ck_assert_int_eq(gql_select_operation(d, NULL, &op, &msg), -1);
	ck_assert_str_eq(msg, "An operation name is required");
	free(msg);
	ck_assert_int_eq(gql_select_operation(d, "Nope", &op, &msg), -1);
	ck_assert_str_eq(msg, "No operation named \"Nope\"");
	free(msg);
	gql_document_free(d);
}
END_TEST

static void expect_syntax(const char *q, const char *want, int line, int col)
{
	struct gql_document *d = NULL;
	struct gql_syntax_error se;

	ck_assert_int_eq(gql_parse_document(q, strlen(q), &d, &se), -1);
	ck_assert_ptr_null(d);
	ck_assert_str_eq(se.message, want);
	ck_assert_int_eq(se.loc.line, line);
	ck_assert_int_eq(se.loc.col, col);
}

START_TEST(parse_syntax_errors)
{
	char *deep;
	size_t i;

	expect_syntax("{ shop { name }", "Unexpected end of document", 0, 0);
	expect_syntax("query {\n  shop { }\n}", "Parse error on \"}\" (RCURLY) at [2, 10]", 2, 10);
	expect_syntax("shop { name }", "Parse error on \"shop\" (IDENTIFIER) at [1, 1]", 1, 1);
	expect_syntax("{ a(x: \"open) }", "Parse error on \"\"open) }\" (UNTERMINATED_STRING) at [1, 8]", 1, 8);
	expect_syntax("{ a % }", "Parse error on \"%\" (UNKNOWN_CHAR) at [1, 5]", 1, 5);
	expect_syntax("{ a(x: 01) }", "Parse error on \"01\" (UNKNOWN_CHAR) at [1, 8]", 1, 8);
	expect_syntax("   ", "No query string was present", 0, 0);
	/* 1 MB of '[' is refused, not a stack overflow */
	deep = xmalloc(1 << 20);
	memcpy(deep, "{ a(x: ", 7);
	for (i = 7; i < (1 << 20) - 1; i++)
		deep[i] = '[';
	deep[(1 << 20) - 1] = '\0';
	{
		struct gql_document *d = NULL;
		struct gql_syntax_error se;

		ck_assert_int_eq(gql_parse_document(deep, strlen(deep), &d, &se), -1);
		ck_assert_ptr_nonnull(strstr(se.message, "too deeply nested"));
	}
	free(deep);
}
END_TEST

/* ------------------------------------------------------------------ */
/* SDL                                                                  */

START_TEST(schema_load_and_errors)
{
	struct gql_schema *s = NULL;
	char err[256];
	const struct gs_type *t;
	const struct gs_field *f;

	load_toy();
	t = gql_schema_type(toy, "Item");
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->kind, GS_OBJECT);
	f = gs_type_field(t, "parts");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->type->kind, GQL_T_NON_NULL);
	ck_assert(gs_is_list(f->type));
	ck_assert_ptr_eq(gs_named(f->type), gql_schema_type(toy, "Part"));
	ck_assert(gs_type_applies(t, gql_schema_type(toy, "Node")));
	ck_assert_int_eq(gql_schema_type(toy, "Stubbed")->stub, 1);
	ck_assert_ptr_nonnull(gs_type_input(gql_schema_type(toy, "ItemInput"), "status")->default_value);
	ck_assert_ptr_eq(gql_schema_query_type(toy), gql_schema_type(toy, "Query"));
	free_toy();

	ck_assert_int_eq(gql_schema_load("type Query { a: Nope }", 22, &s, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "Query.a: unknown type Nope");
	ck_assert_int_eq(gql_schema_load("type Query { a: Int", 19, &s, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "Unexpected end of document");
	ck_assert_int_eq(gql_schema_load("type Query { a: Int } type Query { b: Int }", 43, &s, err,
					 sizeof(err)), -1);
	ck_assert_str_eq(err, "type Query is defined twice");
}
END_TEST

/* ------------------------------------------------------------------ */
/* validation                                                           */

START_TEST(validate_fields_and_arguments)
{
	json_t *e;

	load_toy();
	e = validate("query Q { shop { nam } item(id: 1, idd: 2) { title } }");
	ck_assert_uint_eq(json_array_size(e), 2);
	ck_assert_str_eq(err_msg(e, 0), "Field 'nam' doesn't exist on type 'Shop'");
	ck_assert_str_eq(err_code(e, 0), "undefinedField");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(json_array_get(e, 0), "path"), 0)),
			 "query Q");
	ck_assert_str_eq(err_msg(e, 1), "Field 'item' doesn't accept argument 'idd'");
	ck_assert_str_eq(err_code(e, 1), "argumentNotAccepted");
	json_decref(e);

	e = validate("{ item { id } }");
	ck_assert_uint_eq(json_array_size(e), 1);
	ck_assert_str_eq(err_msg(e, 0), "Field 'item' is missing required arguments: id");
	ck_assert_str_eq(err_code(e, 0), "missingRequiredArguments");
	json_decref(e);

	e = validate("{ items(first: \"ten\", sortKey: PRICE) { nodes { id } } }");
	ck_assert_uint_eq(json_array_size(e), 2);
	ck_assert_str_eq(err_msg(e, 0),
			 "Argument 'first' on Field 'items' has an invalid value (\"ten\"). Expected type 'Int'.");
	ck_assert_str_eq(err_code(e, 0), "argumentLiteralsIncompatible");
	ck_assert_str_eq(err_msg(e, 1),
			 "Argument 'sortKey' on Field 'items' has an invalid value (PRICE). Expected type 'ItemSort'.");
	json_decref(e);

	e = validate("mutation { itemCreate(input: {price: \"1.5\", bogus: 1, sub: {}}) { item { id } } }");
	ck_assert_uint_eq(json_array_size(e), 3);
	ck_assert_str_eq(err_msg(e, 0), "InputObject 'ItemInput' doesn't accept argument 'bogus'");
	ck_assert_str_eq(err_msg(e, 1), "Argument 'n' on InputObject 'SubInput' is required. Expected type Int!");
	ck_assert_str_eq(err_code(e, 1), "missingRequiredInputObjectAttribute");
	ck_assert_str_eq(err_msg(e, 2), "Argument 'title' on InputObject 'ItemInput' is required. Expected type String!");
	json_decref(e);

	e = validate("{ shop { name { x } } item(id: 1) }");
	ck_assert_uint_eq(json_array_size(e), 2);
	ck_assert_str_eq(err_msg(e, 0),
			 "Selections can't be made on scalars (field 'name' returns String but has selections [x])");
	ck_assert_str_eq(err_msg(e, 1),
			 "Field must have selections (field 'item' returns Item but has no selections. Did you mean 'item { ... }'?)");
	ck_assert_str_eq(err_code(e, 1), "selectionMismatch");
	json_decref(e);

	/* below an @emuStub type nothing is validated (answered "not implemented") */
	e = validate("{ stubbed { anything } }");
	ck_assert_uint_eq(json_array_size(e), 0);
	json_decref(e);
	free_toy();
}
END_TEST

START_TEST(validate_variables_fragments_directives)
{
	json_t *e;

	load_toy();
	e = validate("query Q($a: Int, $unused: String) { item(id: $b) { id } items(first: $a) { nodes { id } } }");
	ck_assert_uint_eq(json_array_size(e), 2);
	ck_assert_str_eq(err_msg(e, 0), "Variable $b is used by Q but not declared");
	ck_assert_str_eq(err_code(e, 0), "variableNotDefined");
	ck_assert_str_eq(err_msg(e, 1), "Variable $unused is declared by Q but not used");
	ck_assert_str_eq(err_code(e, 1), "variableNotUsed");
	json_decref(e);

	e = validate("query Q($id: ID, $n: String) { item(id: $id) { id } items(first: $n) { nodes { id } } }");
	ck_assert_uint_eq(json_array_size(e), 2);
	ck_assert_str_eq(err_msg(e, 0), "Nullability mismatch on variable $id and argument id (ID / ID!)");
	ck_assert_str_eq(err_msg(e, 1), "Type mismatch on variable $n and argument first (String / Int)");
	ck_assert_str_eq(err_code(e, 1), "variableMismatch");
	json_decref(e);

	/* a default makes a nullable variable fit a non-null argument */
	e = validate("query Q($id: ID = \"1\") { item(id: $id) { id } }");
	ck_assert_uint_eq(json_array_size(e), 0);
	json_decref(e);

	e = validate("{ item(id: 1) { ...Missing ... on Shop { name } } } fragment Unused on Item { id }");
	ck_assert_uint_eq(json_array_size(e), 3);
	ck_assert_str_eq(err_msg(e, 0), "Fragment Missing was used, but not defined");
	ck_assert_str_eq(err_code(e, 0), "useAndDefineFragment");
	ck_assert_str_eq(err_msg(e, 1), "Fragment on Shop can't be spread inside Item");
	ck_assert_str_eq(err_msg(e, 2), "Fragment Unused was defined, but not used");
	json_decref(e);

	e = validate("{ item(id: 1) { ...A } } fragment A on Item { ...B } fragment B on Item { ...A }");
	ck_assert_uint_ge(json_array_size(e), 1);
	ck_assert_str_eq(err_code(e, 0), "infiniteLoop");
	json_decref(e);

	e = validate("{ item(id: 1) @bogus { id @skip } x: shop { name } x: item(id: 2) { id } }");
	ck_assert_uint_eq(json_array_size(e), 3);
	ck_assert_str_eq(err_msg(e, 0), "Directive @bogus is not defined");
	ck_assert_str_eq(err_msg(e, 1), "Directive 'skip' is missing required arguments: if");
	ck_assert_str_eq(err_msg(e, 2), "Field 'x' has a field conflict: shop or item?");
	ck_assert_str_eq(err_code(e, 2), "fieldConflict");
	json_decref(e);

	e = validate("query A { shop { name } } query A { shop { code } } { shop { name } }");
	ck_assert_uint_eq(json_array_size(e), 2);
	ck_assert_str_eq(err_msg(e, 0), "Operation name \"A\" must be unique");
	ck_assert_str_eq(err_msg(e, 1), "Operation name is required when multiple operations are present");
	json_decref(e);
	free_toy();
}
END_TEST

/* ------------------------------------------------------------------ */
/* variables                                                            */

static json_t *coerce(const char *q, const char *vars_json, json_t *errs)
{
	struct gql_document *d = parse_ok(q);
	json_t *in = json_loads(vars_json, 0, NULL), *out = NULL;
	int rc = gql_coerce_variables(toy, &d->ops[0], in, &out, errs);

	json_decref(in);
	gql_document_free(d);
	ck_assert_int_eq(rc == 0, out != NULL);
	return out;
}

START_TEST(variables_coercion)
{
	json_t *errs = json_array(), *out, *ext, *prob;

	load_toy();
	out = coerce("query($id: ID!, $n: Int = 3, $i: ItemInput!, $tags: [String!]) { item(id: $id) { id } }",
		     "{\"id\": 42, \"i\": {\"title\": \"x\"}, \"tags\": \"solo\"}", errs);
	ck_assert_uint_eq(json_array_size(errs), 0);
	ck_assert_str_eq(json_string_value(json_object_get(out, "id")), "42");	/* ID: int -> string */
	ck_assert_int_eq(json_integer_value(json_object_get(out, "n")), 3);	/* default */
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(out, "i"), "status")),
			 "ACTIVE");						/* input default */
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(out, "tags"), 0)), "solo");
	json_decref(out);

	out = coerce("query($i: ItemInput!, $n: Int) { item(id: 1) { id } }",
		     "{\"i\": {\"bogus\": 1, \"status\": \"GONE\", \"sub\": {}, \"at\": \"yesterday\"}, \"n\": 2.5}",
		     errs);
	ck_assert_ptr_null(out);
	ck_assert_uint_eq(json_array_size(errs), 2);
	ck_assert_str_eq(err_msg(errs, 0),
			 "Variable $i of type ItemInput! was provided invalid value for "
			 "bogus (Field is not defined on ItemInput), title (Expected value to not be null), "
			 "status (Expected \"GONE\" to be one of: ACTIVE, ARCHIVED), "
			 "at (Could not coerce value \"yesterday\" to DateTime), "
			 "sub.n (Expected value to not be null)");
	ext = json_object_get(json_array_get(errs, 0), "extensions");
	ck_assert_str_eq(json_string_value(json_object_get(ext, "code")), "INVALID_VARIABLE");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(ext, "value"), "bogus")), 1);
	prob = json_array_get(json_object_get(ext, "problems"), 4);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(prob, "path"), 0)), "sub");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(prob, "path"), 1)), "n");
	ck_assert_str_eq(err_msg(errs, 1),
			 "Variable $n of type Int was provided invalid value");
	json_array_clear(errs);

	out = coerce("query($id: ID!) { item(id: $id) { id } }", "{}", errs);
	ck_assert_ptr_null(out);
	ck_assert_str_eq(err_msg(errs, 0), "Variable $id of type ID! was provided invalid value");
	prob = json_array_get(json_object_get(json_object_get(json_array_get(errs, 0), "extensions"),
					      "problems"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(prob, "explanation")),
			 "Expected value to not be null");
	json_decref(errs);
	free_toy();
}
END_TEST

/* ------------------------------------------------------------------ */
/* execution                                                            */

struct toy_item {
	int64_t id;
	const char *title;
	int archived;
};

static struct toy_item items[] = {
	{ 1, "Mug", 0 }, { 2, "Tee", 1 }, { 3, "Cap", 0 },
};

static void toy_resolve(void *user, const struct gql_field_call *c, struct gql_res *r)
{
	(void)user;
	if (strcmp(c->parent_type, "Query") == 0) {
		if (strcmp(c->field, "shop") == 0) {
			gql_res_object(r, NULL, (void *)"shop");
		} else if (strcmp(c->field, "item") == 0 || strcmp(c->field, "node") == 0) {
			const char *id = json_string_value(json_object_get(c->args, "id"));
			size_t i;

			gql_res_object(r, "Item", NULL);
			for (i = 0; i < ARRAY_SIZE(items); i++)
				if (id && atoll(id) == items[i].id)
					gql_res_object(r, "Item", &items[i]);
		} else if (strcmp(c->field, "items") == 0) {
			struct gql_connection *conn = gql_connection_new(0);
			json_int_t first = json_integer_value(json_object_get(c->args, "first"));
			size_t i;

			for (i = 0; i < ARRAY_SIZE(items) && (json_int_t)i < first; i++)
				gql_connection_add(conn, &items[i], xasprintf("c%zu", i));
			conn->has_next = (size_t)first < ARRAY_SIZE(items);
			r->kind = GQL_RES_CONNECTION;
			r->conn = conn;
		} else {
			r->kind = GQL_RES_UNIMPLEMENTED;
		}
		return;
	}
	if (strcmp(c->parent_type, "Shop") == 0) {
		if (strcmp(c->field, "name") == 0)
			gql_res_leaf(r, json_string("Toy Shop"));
		else
			r->kind = GQL_RES_UNIMPLEMENTED;
		return;
	}
	if (strcmp(c->parent_type, "Item") == 0) {
		struct toy_item *it = c->parent;

		if (strcmp(c->field, "id") == 0)
			gql_res_leaf(r, json_sprintf("%lld", (long long)it->id));
		else if (strcmp(c->field, "title") == 0)
			gql_res_leaf(r, json_string(it->title));
		else if (strcmp(c->field, "status") == 0)
			gql_res_leaf(r, json_string(it->archived ? "ARCHIVED" : "ACTIVE"));
		else if (strcmp(c->field, "tags") == 0)
			gql_res_leaf(r, json_pack("[s,s]", "a", "b"));
		else if (strcmp(c->field, "owner") == 0)
			gql_res_object(r, NULL, (void *)"shop");
		else if (strcmp(c->field, "broken") == 0)
			gql_res_leaf(r, json_null());	/* null in a String! field */
		else
			r->kind = GQL_RES_UNIMPLEMENTED;
		return;
	}
	r->kind = GQL_RES_UNIMPLEMENTED;
}

static json_t *run(const char *q, const char *vars_json, json_t **errs_out, long *cost)
{
	struct gql_document *d = parse_ok(q);
	json_t *errs = json_array(), *vars = NULL, *in = vars_json ? json_loads(vars_json, 0, NULL) : NULL;
	struct gql_exec_result res;
	const struct gql_operation *op;
	char *msg = NULL;

	ck_assert_int_eq(gql_validate(toy, d, errs), 0);
	ck_assert_int_eq(gql_select_operation(d, NULL, &op, &msg), 0);
	ck_assert_int_eq(gql_coerce_variables(toy, op, in, &vars, errs), 0);
	if (cost)
		*cost = gql_requested_cost(toy, d, op, vars);
	gql_execute(toy, d, op, vars, toy_resolve, NULL, errs, &res);
	json_decref(in);
	json_decref(vars);
	gql_document_free(d);
	*errs_out = errs;
	return res.data;
}

START_TEST(execute_selection)
{
	json_t *errs, *data;
	char *s;

	load_toy();
	data = run("query($skip: Boolean!) { s: shop { name __typename }\n"
		   "  one: item(id: 1) { ...F title @skip(if: $skip) st: status }\n"
		   "  node(id: 3) { __typename ... on Item { title } ... on Part { n } } }\n"
		   "fragment F on Item { id tags }",
		   "{\"skip\": true}", &errs, NULL);
	s = json_dumps(data, JSON_COMPACT);
	ck_assert_str_eq(s, "{\"s\":{\"name\":\"Toy Shop\",\"__typename\":\"Shop\"},"
			 "\"one\":{\"id\":\"1\",\"tags\":[\"a\",\"b\"],\"st\":\"ACTIVE\"},"
			 "\"node\":{\"__typename\":\"Item\",\"title\":\"Cap\"}}");
	free(s);
	ck_assert_uint_eq(json_array_size(errs), 0);
	json_decref(errs);
	json_decref(data);

	/* connection: edges, nodes, cursors, pageInfo */
	data = run("{ items(first: 2) { edges { cursor node { title } } nodes { id } "
		   "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }", NULL, &errs, NULL);
	s = json_dumps(data, JSON_COMPACT);
	ck_assert_str_eq(s, "{\"items\":{\"edges\":[{\"cursor\":\"c0\",\"node\":{\"title\":\"Mug\"}},"
			 "{\"cursor\":\"c1\",\"node\":{\"title\":\"Tee\"}}],\"nodes\":[{\"id\":\"1\"},{\"id\":\"2\"}],"
			 "\"pageInfo\":{\"hasNextPage\":true,\"hasPreviousPage\":false,\"startCursor\":\"c0\","
			 "\"endCursor\":\"c1\"}}}");
	free(s);
	json_decref(errs);
	json_decref(data);

	/* null in a non-null field nulls its nullable parent; an
	 * unimplemented field is an error, never a silent null */
	data = run("{ item(id: 2) { title broken } shop { name } i2: item(id: 1) { missing } }", NULL, &errs, NULL);
	s = json_dumps(data, JSON_COMPACT);
	ck_assert_str_eq(s, "{\"item\":null,\"shop\":{\"name\":\"Toy Shop\"},\"i2\":{\"missing\":null}}");
	free(s);
	ck_assert_uint_eq(json_array_size(errs), 2);
	ck_assert_str_eq(err_msg(errs, 0), "Cannot return null for non-nullable field Item.broken");
	ck_assert_str_eq(err_msg(errs, 1), "shopify-emu: Item.missing is not implemented");
	s = json_dumps(json_object_get(json_array_get(errs, 1), "path"), JSON_COMPACT);
	ck_assert_str_eq(s, "[\"i2\",\"missing\"]");
	free(s);
	json_decref(errs);
	json_decref(data);
	free_toy();
}
END_TEST

START_TEST(cost_rules)
{
	json_t *errs, *data;
	long cost = 0;

	load_toy();
	data = run("{ shop { name } }", NULL, &errs, &cost);
	ck_assert_int_eq(cost, 1);
	json_decref(errs);
	json_decref(data);
	/* connection: 2 + first x (node 1 + owner 1); pageInfo free */
	data = run("{ items(first: 10) { nodes { id owner { name } } pageInfo { hasNextPage } } }", NULL,
		   &errs, &cost);
	ck_assert_int_eq(cost, 2 + 10 * 2);
	json_decref(errs);
	json_decref(data);
	/* a list of objects costs like one object */
	data = run("{ item(id: 1) { parts(first: 50) { id } owner { name } } }", NULL, &errs, &cost);
	ck_assert_int_eq(cost, 1 + 1 + 1);
	json_decref(errs);
	json_decref(data);
	/* first from a variable */
	data = run("query($n: Int) { items(first: $n) { edges { node { id } } } }", "{\"n\": 7}", &errs, &cost);
	ck_assert_int_eq(cost, 2 + 7);
	json_decref(errs);
	json_decref(data);
	free_toy();
}
END_TEST

/* ------------------------------------------------------------------ */
/* the real schemas                                                     */

static struct gql_schema *load_file(const char *rel, int shared)
{
	char path[1024], err[512];
	struct gql_schema *s = NULL;

	snprintf(path, sizeof(path), "%s/%s", shared ? harness_shared() : harness_top(), rel);
	ck_assert_msg(gql_schema_load_file(path, &s, err, sizeof(err)) == 0, "%s", err);
	return s;
}

START_TEST(ttsync_documents_validate_against_subset)
{
	struct gql_schema *s = load_file("tests/emulator/shopify-admin-subset.graphql", 0);
	const struct sh_document *docs;
	size_t n, i;

	docs = shopify_documents(&n);
	ck_assert_uint_gt(n, 0);
	for (i = 0; i < n; i++) {
		struct gql_document *d = NULL;
		struct gql_syntax_error se;
		json_t *errs = json_array();
		char *txt;

		ck_assert_msg(gql_parse_document(docs[i].text, strlen(docs[i].text), &d, &se) == 0,
			      "%s: %s", docs[i].name, se.message);
		gql_validate(s, d, errs);
		txt = json_dumps(errs, JSON_COMPACT);
		ck_assert_msg(json_array_size(errs) == 0, "%s: %s", docs[i].name, txt);
		free(txt);
		json_decref(errs);
		gql_document_free(d);
	}
	gql_schema_free(s);
}
END_TEST

/* Documents whose validity graphql-js and our validator must agree on,
 * against Shopify's full 2026-04 schema. */
static const char *const corpus[] = {
	"{ shop { name currencyCode } }",
	"{ shop { nope } }",
	"query Q($q: String) { orders(first: 2, query: $q, sortKey: UPDATED_AT) { nodes { id name } pageInfo { hasNextPage endCursor } } }",
	"{ orders(first: 2, sortKey: NOPE) { nodes { id } } }",
	"{ orders(frist: 2) { nodes { id } } }",
	"query($id: ID!) { order(id: $id) { id lineItems(first: 5) { nodes { sku quantity variant { id sku } } } } }",
	"query($id: ID) { order(id: $id) { id } }",
	"query($id: ID!) { order(id: $id) { id fulfillments(first: 3) { trackingInfo(first: 2) { company number url } } } }",
	"query($ids: [ID!]!) { nodes(ids: $ids) { ... on Order { id } ... on Fulfillment { status } } }",
	"query($ids: [ID!]!) { nodes(ids: $ids) { ... on Shop { name } } }",
	"mutation($o: OrderCreateOrderInput!) { orderCreate(order: $o) { order { id } userErrors { field message code } } }",
	"mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { fulfillment { id } userErrors { field message code } } }",
	"mutation { orderCancel(orderId: \"gid://shopify/Order/1\", reason: CUSTOMER, restock: true) { job { id } } }",
	"mutation { orderCancel(orderId: \"gid://shopify/Order/1\", reason: CUSTOMER) { job { id } } }",
	"mutation { tagsAdd(id: \"gid://shopify/Order/1\", tags: [\"a\"]) { node { id } userErrors { field message } } }",
	"{ productVariants(first: 5, query: \"sku:A\") { nodes { id sku product { id title status } } } }",
	"{ productVariants(first: 5) { nodes { id inventoryItem } } }",
	"fragment F on Order { id } { order(id: \"x\") { ...F } }",
	"fragment F on Order { id } { shop { ...F } }",
	"query Q($u: String) { shop { name } }",
	"{ order(id: \"gid://shopify/Order/1\") { id name: email } }",
	"{ order(id: \"gid://shopify/Order/1\") { totalPriceSet { shopMoney { amount currencyCode } } } }",
	"{ order(id: \"gid://shopify/Order/1\") { totalPriceSet } }",
	"mutation($e: FulfillmentEventInput!) { fulfillmentEventCreate(fulfillmentEvent: $e) { fulfillmentEvent { id status } userErrors { field message } } }",
	"{ orderByIdentifier(identifier: {customId: {namespace: \"t\", key: \"k\", value: \"v\"}}) { id } }",
	"{ orderByIdentifier(identifier: {customId: {namespace: \"t\", value: \"v\"}}) { id } }",
	NULL,
};

START_TEST(validator_agrees_with_graphql_js)
{
	struct gql_schema *s = load_file("platform-specs/shopify/admin-2026-04.graphql", 1);
	char *dir = harness_mkdtemp("gqlcorpus");
	char checker[1024], schema[1024];
	size_t i;

	snprintf(checker, sizeof(checker), "%s/tools/shopify-schema-check", harness_shared());
	snprintf(schema, sizeof(schema), "%s/platform-specs/shopify/admin-2026-04.graphql", harness_shared());
	for (i = 0; corpus[i]; i++) {
		char path[1200];
		struct gql_document *d = NULL;
		struct gql_syntax_error se;
		json_t *errs = json_array();
		const char *argv[] = { "/usr/bin/node", checker, "--schema", schema, path, NULL };
		const char *env[] = { "NODE_PATH=/usr/share/nodejs", NULL };
		struct run_result r;
		int ours;

		snprintf(path, sizeof(path), "%s/doc%zu.graphql", dir, i);
		ck_assert_int_eq(harness_write_file(path, corpus[i]), 0);
		ck_assert_int_eq(gql_parse_document(corpus[i], strlen(corpus[i]), &d, &se), 0);
		gql_validate(s, d, errs);
		ours = json_array_size(errs) == 0;
		harness_run(argv, env, 60, &r);
		ck_assert_msg(r.status == 0 || r.status == 1, "checker failed to run: %s", r.err);
		ck_assert_msg(ours == (r.status == 0), "doc %zu: ours %s, graphql-js %s: %s\n%s", i,
			      ours ? "valid" : "invalid", r.status == 0 ? "valid" : "invalid",
			      corpus[i], r.out);
		unlink(path);
		run_result_free(&r);
		json_decref(errs);
		gql_document_free(d);
	}
	rmdir(dir);
	free(dir);
	gql_schema_free(s);
}
END_TEST

static Suite *gql_suite(void)
{
	Suite *s = suite_create("gql");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, parse_operations_variables_fragments);
	tcase_add_test(tc, parse_syntax_errors);
	tcase_add_test(tc, schema_load_and_errors);
	tcase_add_test(tc, validate_fields_and_arguments);
	tcase_add_test(tc, validate_variables_fragments_directives);
	tcase_add_test(tc, variables_coercion);
	tcase_add_test(tc, execute_selection);
	tcase_add_test(tc, cost_rules);
	tcase_add_test(tc, ttsync_documents_validate_against_subset);
	tcase_add_test(tc, validator_agrees_with_graphql_js);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(gql_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

/*
 * gql_schema.h - a GraphQL schema (loaded from SDL) and what the Shopify
 * twin does with it: validate executable documents the way graphql-ruby
 * (Shopify's server) does, coerce request variables (INVALID_VARIABLE with
 * extensions.problems), compute the requested query cost by Shopify's
 * published rules, and execute an operation against resolver callbacks,
 * answering exactly the selected fields (aliases, fragments, __typename,
 * @include/@skip) with GraphQL's null propagation.
 *
 * Types marked @emuStub in the SDL (see extract-schema-subset.js) are
 * placeholders for parts of Shopify's schema the emulator does not
 * implement: selections below them are not validated and the resolver
 * answers them "not implemented".
 *
 * Errors are JSON objects shaped like Shopify's (message, locations, path,
 * extensions.code); functions append them to a caller-owned json array.
 */
#ifndef TTSYNC_GQL_SCHEMA_H
#define TTSYNC_GQL_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

#include "gql.h"

enum gs_kind { GS_SCALAR, GS_OBJECT, GS_INTERFACE, GS_UNION, GS_ENUM, GS_INPUT };

struct gs_type;

struct gs_typeref {
	enum gql_type_kind kind;	/* GQL_T_NAMED / LIST / NON_NULL */
	const struct gs_typeref *of;
	const char *name;		/* NAMED */
	const struct gs_type *type;	/* NAMED, resolved at load */
};

struct gs_input_value {
	const char *name;
	const struct gs_typeref *type;
	const struct gql_value *default_value;	/* NULL when none */
};

struct gs_field {
	const char *name;
	const struct gs_typeref *type;
	struct gs_input_value *args;
	size_t nargs;
};

struct gs_map;

struct gs_type {
	enum gs_kind kind;
	const char *name;
	int stub;			/* @emuStub: not implemented by the twin */
	int one_of;			/* @oneOf input object */
	struct gs_field *fields;	/* OBJECT, INTERFACE */
	size_t nfields;
	struct gs_input_value *inputs;	/* INPUT */
	size_t ninputs;
	const char **values;		/* ENUM */
	size_t nvalues;
	const struct gs_type **interfaces;	/* OBJECT, INTERFACE */
	size_t ninterfaces;
	const struct gs_type **possible;	/* UNION members / INTERFACE implementers */
	size_t npossible;
	struct gs_map *index;		/* field or input name -> position */
};

struct gql_schema;

/* Load SDL text / a file. -1 with a message in err. */
int gql_schema_load(const char *sdl, size_t len, struct gql_schema **out,
		    char *err, size_t errlen);
int gql_schema_load_file(const char *path, struct gql_schema **out,
			 char *err, size_t errlen);
void gql_schema_free(struct gql_schema *s);

const struct gs_type *gql_schema_type(const struct gql_schema *s,
				      const char *name);
const struct gs_type *gql_schema_query_type(const struct gql_schema *s);
const struct gs_type *gql_schema_mutation_type(const struct gql_schema *s);
const struct gs_field *gs_type_field(const struct gs_type *t, const char *name);
const struct gs_input_value *gs_type_input(const struct gs_type *t,
					   const char *name);
const struct gs_type *gs_named(const struct gs_typeref *r);
int gs_is_list(const struct gs_typeref *r);	/* after stripping non-null */
/* t is an object type implementing interface/belonging to union `abs`,
 * or t == abs. */
int gs_type_applies(const struct gs_type *t, const struct gs_type *abs);
size_t gql_schema_ntypes(const struct gql_schema *s);
/* Shopify prices a few mutations above the default 10 points. */
void gql_schema_set_mutation_cost(struct gql_schema *s, const char *field, int cost);

/* ------------------------------------------------------------------ */
/* Validation                                                           */

/* Validate every definition of the document (graphql-ruby's static
 * validation). Appends errors; returns how many were added. */
int gql_validate(const struct gql_schema *s, const struct gql_document *d,
		 json_t *errors);

/* Coerce the request's variables for `op` (defaults applied, ID ints
 * turned into strings, input-object defaults filled). On problems appends
 * one INVALID_VARIABLE error per variable and returns -1. *out is the
 * coerced object (caller decrefs) on success. */
int gql_coerce_variables(const struct gql_schema *s,
			 const struct gql_operation *op, json_t *in,
			 json_t **out, json_t *errors);

/* ------------------------------------------------------------------ */
/* Cost                                                                 */

/* Requested cost of `op` by Shopify's rules: scalar/enum 0, object 1 (a
 * list of objects like one object), connection 2 + first|last x (node
 * selection), PageInfo and edges free, abstract types the max over the
 * selected types, nodes(ids:) per id; a mutation field 10 (or its
 * gql_schema_set_mutation_cost() price) with its payload and the objects
 * directly under the payload included, their deeper selections added. */
long gql_requested_cost(const struct gql_schema *s,
			const struct gql_document *d,
			const struct gql_operation *op, json_t *vars);

/* ------------------------------------------------------------------ */
/* Execution                                                            */

enum gql_res_kind {
	GQL_RES_NULL = 0,
	GQL_RES_LEAF,		/* leaf: a scalar/enum json value (stolen) */
	GQL_RES_OBJECT,		/* obj (+ type when the field is abstract) */
	GQL_RES_LIST,		/* items[n] (malloc'ed, executor frees) */
	GQL_RES_CONNECTION,	/* conn (malloc'ed, executor frees) */
	GQL_RES_ERROR,		/* message (malloc'ed), extensions (stolen, may be NULL) */
	GQL_RES_UNIMPLEMENTED,	/* "shopify-emu: Type.field is not implemented" */
};

struct gql_connection;

struct gql_res {
	enum gql_res_kind kind;
	json_t *leaf;
	const char *type;	/* concrete object type name, for abstract fields */
	void *obj;
	struct gql_res *items;
	size_t n;
	struct gql_connection *conn;
	char *message;
	json_t *extensions;
};

/* A page of a Relay connection; the executor answers edges, nodes,
 * cursor and pageInfo itself. */
struct gql_connection {
	const char *node_type;	/* concrete node type (NULL: the schema's) */
	void **nodes;		/* malloc'ed array */
	char **cursors;		/* malloc'ed array of malloc'ed strings */
	size_t n;
	int has_next, has_prev;
};
struct gql_connection *gql_connection_new(size_t cap);
void gql_connection_add(struct gql_connection *c, void *node, char *cursor);

struct gql_field_call {
	const char *parent_type;	/* concrete object type of parent */
	void *parent;			/* NULL for the root */
	const char *field;
	json_t *args;			/* coerced arguments, defaults applied */
	const struct gs_field *def;
	const struct gql_selection *node;	/* first field node */
	int is_mutation_root;
};

typedef void (*gql_resolve_fn)(void *user, const struct gql_field_call *call,
			       struct gql_res *out);

struct gql_exec_result {
	json_t *data;		/* json null when the root nulled out */
	long actual_cost;
};

/* Execute op. Appends execution errors (with path and locations) to
 * errors. vars must come from gql_coerce_variables. */
int gql_execute(const struct gql_schema *s, const struct gql_document *d,
		const struct gql_operation *op, json_t *vars,
		gql_resolve_fn resolve, void *user, json_t *errors,
		struct gql_exec_result *out);

/* Helpers for resolvers. */
void gql_res_leaf(struct gql_res *r, json_t *leaf);
void gql_res_object(struct gql_res *r, const char *type, void *obj);
void gql_res_error(struct gql_res *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void gql_res_list(struct gql_res *r, size_t n);	/* allocates items */

#endif

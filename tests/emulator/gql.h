/*
 * gql.h - a GraphQL executable-document parser for the Shopify twin:
 * lexer, AST (operations, variables with defaults, selection sets,
 * arguments with objects/lists/enums/block strings, aliases, fragments and
 * inline fragments, directives), operation selection, and the small
 * helpers the schema/validation/execution layer (gql_schema.h) builds on.
 *
 * Every AST node lives in the document's arena: one gql_document_free()
 * releases all of it. Locations are 1-based line and column, counted in
 * characters like graphql-ruby (Shopify's server) does.
 *
 * Syntax errors are reported the way graphql-ruby words them:
 *   Parse error on "}" (RCURLY) at [4, 3]
 *   Unexpected end of document
 */
#ifndef TTSYNC_GQL_H
#define TTSYNC_GQL_H

#include <jansson.h>
#include <stddef.h>

/* ------------------------------------------------------------------ */
/* Arena                                                                */

struct gql_arena;
struct gql_arena *gql_arena_new(void);
void gql_arena_free(struct gql_arena *a);
void *gql_arena_alloc(struct gql_arena *a, size_t n);	/* zeroed */
char *gql_arena_strndup(struct gql_arena *a, const char *s, size_t n);

/* ------------------------------------------------------------------ */
/* AST                                                                  */

struct gql_loc {
	int line, col;
};

enum gql_value_kind {
	GQL_V_VARIABLE,
	GQL_V_INT,
	GQL_V_FLOAT,
	GQL_V_STRING,
	GQL_V_BOOLEAN,
	GQL_V_NULL,
	GQL_V_ENUM,
	GQL_V_LIST,
	GQL_V_OBJECT,
};

struct gql_object_field;

struct gql_value {
	enum gql_value_kind kind;
	struct gql_loc loc;
	const char *str;	/* VARIABLE name, INT/FLOAT text, STRING (decoded), ENUM */
	size_t len;		/* bytes of str (a STRING may hold \u0000) */
	int boolean;
	size_t n;		/* LIST items / OBJECT fields */
	struct gql_value **items;
	struct gql_object_field *fields;
};

struct gql_object_field {
	const char *name;
	struct gql_loc loc;
	struct gql_value *value;
};

struct gql_argument {
	const char *name;
	struct gql_loc loc;
	struct gql_value *value;
};

struct gql_directive {
	const char *name;
	struct gql_loc loc;
	struct gql_argument *args;
	size_t nargs;
};

enum gql_type_kind { GQL_T_NAMED, GQL_T_LIST, GQL_T_NON_NULL };

struct gql_type {
	enum gql_type_kind kind;
	const char *name;	/* NAMED */
	struct gql_type *of;	/* LIST, NON_NULL */
	struct gql_loc loc;
};

enum gql_sel_kind { GQL_SEL_FIELD, GQL_SEL_SPREAD, GQL_SEL_INLINE };

struct gql_selection_set;

struct gql_selection {
	enum gql_sel_kind kind;
	struct gql_loc loc;
	const char *alias;		/* FIELD: alias or NULL */
	const char *name;		/* FIELD: field name; SPREAD: fragment name */
	const char *type_cond;		/* INLINE: or NULL */
	struct gql_loc type_cond_loc;
	struct gql_argument *args;	/* FIELD */
	size_t nargs;
	struct gql_directive *dirs;
	size_t ndirs;
	struct gql_selection_set *sel;	/* FIELD (NULL when absent), INLINE */
};

struct gql_selection_set {
	struct gql_loc loc;
	size_t n;
	struct gql_selection **v;
};

struct gql_var_def {
	const char *name;
	struct gql_loc loc;		/* of the '$' */
	struct gql_type *type;
	struct gql_value *default_value;	/* NULL when none */
	struct gql_directive *dirs;
	size_t ndirs;
};

enum gql_op_kind { GQL_OP_QUERY, GQL_OP_MUTATION, GQL_OP_SUBSCRIPTION };

struct gql_operation {
	enum gql_op_kind kind;
	const char *name;		/* NULL when anonymous */
	struct gql_loc loc;
	struct gql_var_def *vars;
	size_t nvars;
	struct gql_directive *dirs;
	size_t ndirs;
	struct gql_selection_set *sel;
};

struct gql_fragment {
	const char *name;
	struct gql_loc loc;
	const char *type_cond;
	struct gql_loc type_cond_loc;
	struct gql_directive *dirs;
	size_t ndirs;
	struct gql_selection_set *sel;
};

struct gql_document {
	struct gql_arena *arena;
	struct gql_operation *ops;
	size_t nops;
	struct gql_fragment *frags;
	size_t nfrags;
	size_t *frag_index;	/* private: name hash (position + 1), or NULL */
	size_t frag_cap;
};

struct gql_syntax_error {
	char message[256];
	struct gql_loc loc;	/* 0/0 when unknown (end of document) */
};

/* Parse an executable document (operations and fragments only). Returns 0,
 * or -1 with err filled; *out is then NULL. */
int gql_parse_document(const char *src, size_t len, struct gql_document **out,
		       struct gql_syntax_error *err);
void gql_document_free(struct gql_document *d);

const struct gql_fragment *gql_find_fragment(const struct gql_document *d,
					     const char *name);
/* Pick the operation to run: the one named `name`, or the only one when
 * name is NULL/"". -1 with a graphql-ruby message in *msg (caller frees). */
int gql_select_operation(const struct gql_document *d, const char *name,
			 const struct gql_operation **op, char **msg);

/* "query Name" / "mutation" / "fragment F": the first element of
 * graphql-ruby's error paths. Caller frees. */
char *gql_operation_path_name(const struct gql_operation *op);

/* The response key of a field (alias or name). */
const char *gql_response_key(const struct gql_selection *s);

/* ------------------------------------------------------------------ */
/* Lexer/parser pieces shared with the SDL loader (gql_schema.c)        */

enum gql_tok {
	GQL_TOK_EOF,
	GQL_TOK_PUNCT,		/* ! $ & ( ) . : = @ [ ] { | }  ('.' is "...") */
	GQL_TOK_NAME,
	GQL_TOK_INT,
	GQL_TOK_FLOAT,
	GQL_TOK_STRING,
	GQL_TOK_BLOCK_STRING,
};

struct gql_parser {
	const char *src, *end, *p;
	int line;
	const char *line_start;
	struct gql_arena *arena;
	int depth;
	/* current token */
	enum gql_tok tok;
	char punct;
	const char *tstart;	/* raw token text */
	size_t tlen;
	struct gql_loc loc;
	const char *sval;	/* decoded STRING / BLOCK_STRING (arena) */
	size_t slen;
	/* column cache (see cur_loc) */
	int col_line, col_val;
	const char *col_at;
	/* first error wins */
	int failed;
	struct gql_syntax_error err;
};

void gql_parser_init(struct gql_parser *ps, const char *src, size_t len,
		     struct gql_arena *arena);
int gql_parser_next(struct gql_parser *ps);	/* advance; -1 on error */
int gql_parser_is_punct(const struct gql_parser *ps, char c);
int gql_parser_is_name(const struct gql_parser *ps, const char *name);
/* Report "Parse error on <current token>" (first error wins); returns -1. */
int gql_parser_unexpected(struct gql_parser *ps);
int gql_parser_expect_punct(struct gql_parser *ps, char c);
const char *gql_parser_expect_name(struct gql_parser *ps);	/* arena copy */
struct gql_value *gql_parser_value(struct gql_parser *ps, int is_const);
struct gql_type *gql_parser_type(struct gql_parser *ps);
int gql_parser_directives(struct gql_parser *ps, int is_const,
			  struct gql_directive **out, size_t *n);
int gql_parser_arguments(struct gql_parser *ps, int is_const,
			 struct gql_argument **out, size_t *n);
/* Skip a description string if present. */
void gql_parser_skip_description(struct gql_parser *ps);

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

/* A top-level error object {message, locations?, path?, extensions?}.
 * loc may be NULL; path and extensions are stolen (may be NULL). */
json_t *gql_error_new(const char *message, const struct gql_loc *loc,
		      json_t *path, json_t *extensions);

/* Untyped literal -> JSON, variables substituted from vars (absent -> NULL
 * return when `missing` is non-NULL it is set to 1). Enums become strings,
 * Int an integer (or real when it overflows), Float a real. */
json_t *gql_value_to_json(const struct gql_value *v, json_t *vars,
			  int *missing);

/* The type as written: "[ID!]!". Caller frees. */
char *gql_type_string(const struct gql_type *t);

#endif

/*
 * gql_schema.c - the schema side of the Shopify twin's GraphQL engine.
 *
 * Owns: the SDL loader (types, fields, arguments with defaults, input
 * objects, enums, interfaces, unions, directives; @emuStub/@oneOf marks),
 * static validation of executable documents with graphql-ruby's messages
 * and extension codes (undefinedField, argumentNotAccepted,
 * missingRequiredArguments, argumentLiteralsIncompatible,
 * missingRequiredInputObjectAttribute, variableMismatch,
 * variableNotDefined, variableNotUsed, selectionMismatch,
 * useAndDefineFragment, fieldConflict, ...), variable coercion
 * (INVALID_VARIABLE with extensions.value and .problems), the requested
 * query cost, and the executor (CollectFields with fragments and
 * @include/@skip, argument coercion, resolver callbacks, connections,
 * non-null propagation, actual cost).
 *
 * Nothing here knows Shopify's data; shopify_emu*.c supplies resolvers.
 */
#include "gql_schema.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* ------------------------------------------------------------------ */
/* String map (open addressing, built once, read-only afterwards)       */

struct gs_map {
	size_t cap;		/* power of two */
	const char **keys;
	size_t *vals;
};

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ULL;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct gs_map *map_new(struct gql_arena *a, size_t n)
{
	struct gs_map *m = gql_arena_alloc(a, sizeof(*m));

	m->cap = 8;
	while (m->cap < n * 2)
		m->cap <<= 1;
	m->keys = gql_arena_alloc(a, m->cap * sizeof(*m->keys));
	m->vals = gql_arena_alloc(a, m->cap * sizeof(*m->vals));
	return m;
}

/* Returns 0, or -1 when the key is already there (duplicate). */
static int map_put(struct gs_map *m, const char *key, size_t val)
{
	size_t i = hash_str(key) & (m->cap - 1);

	while (m->keys[i]) {
		if (strcmp(m->keys[i], key) == 0)
			return -1;
		i = (i + 1) & (m->cap - 1);
	}
	m->keys[i] = key;
	m->vals[i] = val;
	return 0;
}

static int map_get(const struct gs_map *m, const char *key, size_t *val)
{
	size_t i;

	if (!m)
		return -1;
	i = hash_str(key) & (m->cap - 1);
	while (m->keys[i]) {
		if (strcmp(m->keys[i], key) == 0) {
			*val = m->vals[i];
			return 0;
		}
		i = (i + 1) & (m->cap - 1);
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Schema                                                               */

enum dir_loc {
	DL_QUERY = 1 << 0,
	DL_MUTATION = 1 << 1,
	DL_SUBSCRIPTION = 1 << 2,
	DL_FIELD = 1 << 3,
	DL_FRAGMENT_DEFINITION = 1 << 4,
	DL_FRAGMENT_SPREAD = 1 << 5,
	DL_INLINE_FRAGMENT = 1 << 6,
	DL_VARIABLE_DEFINITION = 1 << 7,
};

struct gs_directive {
	const char *name;
	struct gs_input_value *args;
	size_t nargs;
	unsigned locations;
	int repeatable;
};

struct gql_schema {
	struct gql_arena *arena;
	struct gs_type **types;
	size_t ntypes;
	struct gs_map *type_index;
	const struct gs_type *query, *mutation, *subscription;
	struct gs_directive *dirs;
	size_t ndirs;
	struct mutation_cost {
		char *field;
		int cost;
	} *mcost;
	size_t nmcost;
};

/* Build-time records (type refs still as parsed AST). */
struct raw_input {
	const char *name;
	struct gql_type *type;
	struct gql_value *def;
};
struct raw_field {
	const char *name;
	struct gql_type *type;
	struct raw_input *args;
	size_t nargs;
};
struct raw_type {
	struct gs_type *t;
	struct raw_field *fields;
	size_t nfields;
	struct raw_input *inputs;
	size_t ninputs;
	const char **ifaces;
	size_t nifaces;
	const char **members;
	size_t nmembers;
};
struct raw_dir {
	const char *name;
	struct raw_input *args;
	size_t nargs;
	unsigned locations;
	int repeatable;
};

struct loader {
	struct gql_parser ps;
	struct gql_schema *s;
	struct raw_type *types;
	size_t ntypes, captypes;
	struct raw_dir *dirs;
	size_t ndirs, capdirs;
	const char *root_names[3];
	char *err;
	size_t errlen;
};

static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return v;
	*cap = *cap ? *cap * 2 : 64;
	return xrealloc(v, *cap * size);
}

static int ld_parse_input_values(struct loader *L, char open, char close,
				 struct raw_input **out, size_t *n)
{
	struct gql_parser *ps = &L->ps;
	struct raw_input *v = NULL;
	size_t nv = 0, cap = 0;

	*out = NULL;
	*n = 0;
	if (!gql_parser_is_punct(ps, open))
		return ps->failed ? -1 : 0;
	if (gql_parser_next(ps) < 0)
		return -1;
	while (!gql_parser_is_punct(ps, close)) {
		struct raw_input *ri;
		struct gql_directive *dirs;
		size_t ndirs;

		gql_parser_skip_description(ps);
		if (ps->failed || ps->tok != GQL_TOK_NAME) {
			free(v);
			return gql_parser_unexpected(ps);
		}
		v = grow(v, &cap, nv, sizeof(*v));
		ri = &v[nv++];
		memset(ri, 0, sizeof(*ri));
		if (!(ri->name = gql_parser_expect_name(ps)) ||
		    gql_parser_expect_punct(ps, ':') < 0 ||
		    !(ri->type = gql_parser_type(ps))) {
			free(v);
			return -1;
		}
		if (gql_parser_is_punct(ps, '=')) {
			if (gql_parser_next(ps) < 0 ||
			    !(ri->def = gql_parser_value(ps, 1))) {
				free(v);
				return -1;
			}
		}
		if (gql_parser_directives(ps, 1, &dirs, &ndirs) < 0) {
			free(v);
			return -1;
		}
	}
	if (nv) {
		*out = gql_arena_alloc(L->s->arena, nv * sizeof(*v));
		memcpy(*out, v, nv * sizeof(*v));
	}
	*n = nv;
	free(v);
	return gql_parser_next(ps);
}

static int ld_has_directive(struct gql_directive *dirs, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(dirs[i].name, name) == 0)
			return 1;
	return 0;
}

static struct raw_type *ld_new_type(struct loader *L, enum gs_kind kind)
{
	struct raw_type *rt;

	L->types = grow(L->types, &L->captypes, L->ntypes, sizeof(*L->types));
	rt = &L->types[L->ntypes++];
	memset(rt, 0, sizeof(*rt));
	rt->t = gql_arena_alloc(L->s->arena, sizeof(*rt->t));
	rt->t->kind = kind;
	return rt;
}

static int ld_names_list(struct loader *L, char sep, const char ***out, size_t *n)
{
	struct gql_parser *ps = &L->ps;
	const char **v = NULL;
	size_t nv = 0, cap = 0;

	if (gql_parser_is_punct(ps, sep) && gql_parser_next(ps) < 0)
		return -1;
	for (;;) {
		const char *name = gql_parser_expect_name(ps);

		if (!name) {
			free(v);
			return -1;
		}
		v = grow(v, &cap, nv, sizeof(*v));
		v[nv++] = name;
		if (!gql_parser_is_punct(ps, sep))
			break;
		if (gql_parser_next(ps) < 0) {
			free(v);
			return -1;
		}
	}
	*out = gql_arena_alloc(L->s->arena, nv * sizeof(*v));
	memcpy(*out, v, nv * sizeof(*v));
	*n = nv;
	free(v);
	return 0;
}

static int ld_fields(struct loader *L, struct raw_type *rt)
{
	struct gql_parser *ps = &L->ps;
	struct raw_field *v = NULL;
	size_t nv = 0, cap = 0;

	if (!gql_parser_is_punct(ps, '{'))
		return ps->failed ? -1 : 0;
	if (gql_parser_next(ps) < 0)
		return -1;
	while (!gql_parser_is_punct(ps, '}')) {
		struct raw_field *f;
		struct gql_directive *dirs;
		size_t ndirs;

		gql_parser_skip_description(ps);
		if (ps->failed || ps->tok != GQL_TOK_NAME) {
			free(v);
			return gql_parser_unexpected(ps);
		}
		v = grow(v, &cap, nv, sizeof(*v));
		f = &v[nv++];
		memset(f, 0, sizeof(*f));
		if (!(f->name = gql_parser_expect_name(ps)) ||
		    ld_parse_input_values(L, '(', ')', &f->args, &f->nargs) < 0 ||
		    gql_parser_expect_punct(ps, ':') < 0 ||
		    !(f->type = gql_parser_type(ps)) ||
		    gql_parser_directives(ps, 1, &dirs, &ndirs) < 0) {
			free(v);
			return -1;
		}
	}
	if (nv) {
		rt->fields = gql_arena_alloc(L->s->arena, nv * sizeof(*v));
		memcpy(rt->fields, v, nv * sizeof(*v));
	}
	rt->nfields = nv;
	free(v);
	return gql_parser_next(ps);
}

static unsigned dir_location_bit(const char *name)
{
	static const struct {
		const char *name;
		unsigned bit;
	} locs[] = {
		{ "QUERY", DL_QUERY }, { "MUTATION", DL_MUTATION },
		{ "SUBSCRIPTION", DL_SUBSCRIPTION }, { "FIELD", DL_FIELD },
		{ "FRAGMENT_DEFINITION", DL_FRAGMENT_DEFINITION },
		{ "FRAGMENT_SPREAD", DL_FRAGMENT_SPREAD },
		{ "INLINE_FRAGMENT", DL_INLINE_FRAGMENT },
		{ "VARIABLE_DEFINITION", DL_VARIABLE_DEFINITION },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(locs); i++)
		if (strcmp(locs[i].name, name) == 0)
			return locs[i].bit;
	return 0;	/* a type-system location */
}

static int ld_definition(struct loader *L)
{
	struct gql_parser *ps = &L->ps;
	struct gql_directive *dirs;
	size_t ndirs;
	struct raw_type *rt;

	gql_parser_skip_description(ps);
	if (ps->tok != GQL_TOK_NAME)
		return gql_parser_unexpected(ps);
	if (gql_parser_is_name(ps, "schema")) {
		if (gql_parser_next(ps) < 0 ||
		    gql_parser_directives(ps, 1, &dirs, &ndirs) < 0 ||
		    gql_parser_expect_punct(ps, '{') < 0)
			return -1;
		while (!gql_parser_is_punct(ps, '}')) {
			int which;
			const char *name;

			if (gql_parser_is_name(ps, "query"))
				which = 0;
			else if (gql_parser_is_name(ps, "mutation"))
				which = 1;
			else if (gql_parser_is_name(ps, "subscription"))
				which = 2;
			else
				return gql_parser_unexpected(ps);
			if (gql_parser_next(ps) < 0 || gql_parser_expect_punct(ps, ':') < 0 ||
			    !(name = gql_parser_expect_name(ps)))
				return -1;
			L->root_names[which] = name;
		}
		return gql_parser_next(ps);
	}
	if (gql_parser_is_name(ps, "scalar")) {
		rt = ld_new_type(L, GS_SCALAR);
		if (gql_parser_next(ps) < 0 || !(rt->t->name = gql_parser_expect_name(ps)) ||
		    gql_parser_directives(ps, 1, &dirs, &ndirs) < 0)
			return -1;
		return 0;
	}
	if (gql_parser_is_name(ps, "type") || gql_parser_is_name(ps, "interface")) {
		rt = ld_new_type(L, gql_parser_is_name(ps, "type") ? GS_OBJECT : GS_INTERFACE);
		if (gql_parser_next(ps) < 0 || !(rt->t->name = gql_parser_expect_name(ps)))
			return -1;
		if (gql_parser_is_name(ps, "implements")) {
			if (gql_parser_next(ps) < 0 ||
			    ld_names_list(L, '&', &rt->ifaces, &rt->nifaces) < 0)
				return -1;
		}
		if (gql_parser_directives(ps, 1, &dirs, &ndirs) < 0)
			return -1;
		rt->t->stub = ld_has_directive(dirs, ndirs, "emuStub");
		return ld_fields(L, rt);
	}
	if (gql_parser_is_name(ps, "union")) {
		rt = ld_new_type(L, GS_UNION);
		if (gql_parser_next(ps) < 0 || !(rt->t->name = gql_parser_expect_name(ps)) ||
		    gql_parser_directives(ps, 1, &dirs, &ndirs) < 0)
			return -1;
		rt->t->stub = ld_has_directive(dirs, ndirs, "emuStub");
		if (gql_parser_is_punct(ps, '=')) {
			if (gql_parser_next(ps) < 0 ||
			    ld_names_list(L, '|', &rt->members, &rt->nmembers) < 0)
				return -1;
		}
		return 0;
	}
	if (gql_parser_is_name(ps, "enum")) {
		const char **v = NULL;
		size_t nv = 0, cap = 0;

		rt = ld_new_type(L, GS_ENUM);
		if (gql_parser_next(ps) < 0 || !(rt->t->name = gql_parser_expect_name(ps)) ||
		    gql_parser_directives(ps, 1, &dirs, &ndirs) < 0 ||
		    gql_parser_expect_punct(ps, '{') < 0)
			return -1;
		while (!gql_parser_is_punct(ps, '}')) {
			const char *name;

			gql_parser_skip_description(ps);
			if (!(name = gql_parser_expect_name(ps)) ||
			    gql_parser_directives(ps, 1, &dirs, &ndirs) < 0) {
				free(v);
				return -1;
			}
			v = grow(v, &cap, nv, sizeof(*v));
			v[nv++] = name;
		}
		if (nv) {
			rt->t->values = gql_arena_alloc(L->s->arena, nv * sizeof(*v));
			memcpy(rt->t->values, v, nv * sizeof(*v));
		}
		rt->t->nvalues = nv;
		free(v);
		return gql_parser_next(ps);
	}
	if (gql_parser_is_name(ps, "input")) {
		rt = ld_new_type(L, GS_INPUT);
		if (gql_parser_next(ps) < 0 || !(rt->t->name = gql_parser_expect_name(ps)) ||
		    gql_parser_directives(ps, 1, &dirs, &ndirs) < 0)
			return -1;
		rt->t->stub = ld_has_directive(dirs, ndirs, "emuStub");
		rt->t->one_of = ld_has_directive(dirs, ndirs, "oneOf");
		return ld_parse_input_values(L, '{', '}', &rt->inputs, &rt->ninputs);
	}
	if (gql_parser_is_name(ps, "directive")) {
		struct raw_dir *d;

		L->dirs = grow(L->dirs, &L->capdirs, L->ndirs, sizeof(*L->dirs));
		d = &L->dirs[L->ndirs++];
		memset(d, 0, sizeof(*d));
		if (gql_parser_next(ps) < 0 || gql_parser_expect_punct(ps, '@') < 0 ||
		    !(d->name = gql_parser_expect_name(ps)) ||
		    ld_parse_input_values(L, '(', ')', &d->args, &d->nargs) < 0)
			return -1;
		if (gql_parser_is_name(ps, "repeatable")) {
			d->repeatable = 1;
			if (gql_parser_next(ps) < 0)
				return -1;
		}
		if (!gql_parser_is_name(ps, "on"))
			return gql_parser_unexpected(ps);
		if (gql_parser_next(ps) < 0)
			return -1;
		if (gql_parser_is_punct(ps, '|') && gql_parser_next(ps) < 0)
			return -1;
		for (;;) {
			const char *loc = gql_parser_expect_name(ps);

			if (!loc)
				return -1;
			d->locations |= dir_location_bit(loc);
			if (!gql_parser_is_punct(ps, '|'))
				break;
			if (gql_parser_next(ps) < 0)
				return -1;
		}
		return 0;
	}
	return gql_parser_unexpected(ps);
}

static int ld_fail(struct loader *L, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int ld_fail(struct loader *L, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(L->err, L->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static const struct gs_typeref *ld_ref(struct loader *L, const struct gql_type *t,
				       int *bad, const char **badname)
{
	struct gs_typeref *r = gql_arena_alloc(L->s->arena, sizeof(*r));

	r->kind = t->kind;
	if (t->kind == GQL_T_NAMED) {
		r->name = t->name;
		r->type = gql_schema_type(L->s, t->name);
		if (!r->type) {
			*bad = 1;
			*badname = t->name;
		}
	} else {
		r->of = ld_ref(L, t->of, bad, badname);
	}
	return r;
}

static struct gs_input_value *ld_inputs(struct loader *L, struct raw_input *in,
					size_t n, const char *owner)
{
	struct gs_input_value *v;
	size_t i;

	if (!n)
		return NULL;
	v = gql_arena_alloc(L->s->arena, n * sizeof(*v));
	for (i = 0; i < n; i++) {
		int bad = 0;
		const char *badname = NULL;

		v[i].name = in[i].name;
		v[i].default_value = in[i].def;
		v[i].type = ld_ref(L, in[i].type, &bad, &badname);
		if (bad) {
			ld_fail(L, "%s.%s: unknown type %s", owner, in[i].name, badname);
			return NULL;
		}
	}
	return v;
}

static const char *const builtin_scalars[] = { "String", "Int", "Float", "Boolean", "ID" };

static int ld_resolve(struct loader *L)
{
	struct gql_schema *s = L->s;
	size_t i, j, k, extra = 0;

	for (i = 0; i < ARRAY_SIZE(builtin_scalars); i++) {
		int have = 0;

		for (j = 0; j < L->ntypes; j++)
			if (strcmp(L->types[j].t->name, builtin_scalars[i]) == 0)
				have = 1;
		if (!have) {
			struct raw_type *rt = ld_new_type(L, GS_SCALAR);

			rt->t->name = builtin_scalars[i];
			extra++;
		}
	}
	s->ntypes = L->ntypes;
	s->types = gql_arena_alloc(s->arena, s->ntypes * sizeof(*s->types));
	s->type_index = map_new(s->arena, s->ntypes);
	for (i = 0; i < L->ntypes; i++) {
		s->types[i] = L->types[i].t;
		if (map_put(s->type_index, s->types[i]->name, i) < 0)
			return ld_fail(L, "type %s is defined twice", s->types[i]->name);
	}
	for (i = 0; i < L->ntypes; i++) {
		struct raw_type *rt = &L->types[i];
		struct gs_type *t = rt->t;

		if (rt->nfields) {
			t->fields = gql_arena_alloc(s->arena, rt->nfields * sizeof(*t->fields));
			t->nfields = rt->nfields;
			t->index = map_new(s->arena, rt->nfields);
			for (j = 0; j < rt->nfields; j++) {
				int bad = 0;
				const char *badname = NULL;

				t->fields[j].name = rt->fields[j].name;
				t->fields[j].type = ld_ref(L, rt->fields[j].type, &bad, &badname);
				if (bad)
					return ld_fail(L, "%s.%s: unknown type %s", t->name,
						       rt->fields[j].name, badname);
				t->fields[j].nargs = rt->fields[j].nargs;
				if (rt->fields[j].nargs &&
				    !(t->fields[j].args = ld_inputs(L, rt->fields[j].args,
								    rt->fields[j].nargs, t->name)))
					return -1;
				if (map_put(t->index, t->fields[j].name, j) < 0)
					return ld_fail(L, "%s.%s is defined twice", t->name,
						       t->fields[j].name);
			}
		}
		if (rt->ninputs) {
			t->ninputs = rt->ninputs;
			if (!(t->inputs = ld_inputs(L, rt->inputs, rt->ninputs, t->name)))
				return -1;
			t->index = map_new(s->arena, rt->ninputs);
			for (j = 0; j < rt->ninputs; j++)
				if (map_put(t->index, t->inputs[j].name, j) < 0)
					return ld_fail(L, "%s.%s is defined twice", t->name,
						       t->inputs[j].name);
		}
		if (rt->nifaces) {
			t->interfaces = gql_arena_alloc(s->arena, rt->nifaces * sizeof(*t->interfaces));
			t->ninterfaces = rt->nifaces;
			for (j = 0; j < rt->nifaces; j++) {
				t->interfaces[j] = gql_schema_type(s, rt->ifaces[j]);
				if (!t->interfaces[j] || t->interfaces[j]->kind != GS_INTERFACE)
					return ld_fail(L, "%s implements unknown interface %s",
						       t->name, rt->ifaces[j]);
			}
		}
		if (rt->nmembers) {
			t->possible = gql_arena_alloc(s->arena, rt->nmembers * sizeof(*t->possible));
			t->npossible = rt->nmembers;
			for (j = 0; j < rt->nmembers; j++) {
				t->possible[j] = gql_schema_type(s, rt->members[j]);
				if (!t->possible[j] || t->possible[j]->kind != GS_OBJECT)
					return ld_fail(L, "union %s: unknown member %s", t->name,
						       rt->members[j]);
			}
		}
	}
	/* Interface implementers. */
	for (i = 0; i < s->ntypes; i++) {
		struct gs_type *iface = s->types[i];
		size_t n = 0;

		if (iface->kind != GS_INTERFACE)
			continue;
		for (j = 0; j < s->ntypes; j++)
			for (k = 0; k < s->types[j]->ninterfaces; k++)
				if (s->types[j]->interfaces[k] == iface && s->types[j]->kind == GS_OBJECT)
					n++;
		if (!n)
			continue;
		iface->possible = gql_arena_alloc(s->arena, n * sizeof(*iface->possible));
		for (j = 0; j < s->ntypes; j++)
			for (k = 0; k < s->types[j]->ninterfaces; k++)
				if (s->types[j]->interfaces[k] == iface && s->types[j]->kind == GS_OBJECT)
					iface->possible[iface->npossible++] = s->types[j];
	}
	/* Roots. */
	s->query = gql_schema_type(s, L->root_names[0] ? L->root_names[0] : "Query");
	s->mutation = gql_schema_type(s, L->root_names[1] ? L->root_names[1] : "Mutation");
	s->subscription = gql_schema_type(s, L->root_names[2] ? L->root_names[2] : "Subscription");
	if (!s->query || s->query->kind != GS_OBJECT)
		return ld_fail(L, "the schema has no query type");
	/* Directives, with the built-in ones the SDL usually leaves out. */
	{
		static const char builtin_dirs[] =
			"directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n"
			"directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n"
			"directive @deprecated(reason: String = \"No longer supported\") on FIELD_DEFINITION | ENUM_VALUE | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION\n"
			"directive @specifiedBy(url: String!) on SCALAR\n"
			"directive @oneOf on INPUT_OBJECT\n";
		struct loader B;
		size_t nb;

		memset(&B, 0, sizeof(B));
		B.s = s;
		gql_parser_init(&B.ps, builtin_dirs, sizeof(builtin_dirs) - 1, s->arena);
		if (gql_parser_next(&B.ps) < 0)
			return ld_fail(L, "internal: built-in directives");
		while (B.ps.tok != GQL_TOK_EOF)
			if (ld_definition(&B) < 0) {
				free(B.dirs);
				return ld_fail(L, "internal: built-in directives: %s", B.ps.err.message);
			}
		nb = B.ndirs;
		for (i = 0; i < nb; i++) {
			int have = 0;

			for (j = 0; j < L->ndirs; j++)
				if (strcmp(L->dirs[j].name, B.dirs[i].name) == 0)
					have = 1;
			if (!have) {
				L->dirs = grow(L->dirs, &L->capdirs, L->ndirs, sizeof(*L->dirs));
				L->dirs[L->ndirs++] = B.dirs[i];
			}
		}
		free(B.dirs);
	}
	s->ndirs = L->ndirs;
	s->dirs = gql_arena_alloc(s->arena, (L->ndirs ? L->ndirs : 1) * sizeof(*s->dirs));
	for (i = 0; i < L->ndirs; i++) {
		s->dirs[i].name = L->dirs[i].name;
		s->dirs[i].locations = L->dirs[i].locations;
		s->dirs[i].repeatable = L->dirs[i].repeatable;
		s->dirs[i].nargs = L->dirs[i].nargs;
		if (L->dirs[i].nargs &&
		    !(s->dirs[i].args = ld_inputs(L, L->dirs[i].args, L->dirs[i].nargs,
						  L->dirs[i].name)))
			return -1;
	}
	(void)extra;
	return 0;
}

int gql_schema_load(const char *sdl, size_t len, struct gql_schema **out,
		    char *err, size_t errlen)
{
	struct loader L;
	int ret = -1;

	*out = NULL;
	memset(&L, 0, sizeof(L));
	L.err = err;
	L.errlen = errlen;
	L.s = xcalloc(1, sizeof(*L.s));
	L.s->arena = gql_arena_new();
	gql_parser_init(&L.ps, sdl, len, L.s->arena);
	if (gql_parser_next(&L.ps) < 0)
		goto syntax;
	while (L.ps.tok != GQL_TOK_EOF) {
		if (ld_definition(&L) < 0)
			goto syntax;
	}
	if (ld_resolve(&L) < 0)
		goto cleanup;
	*out = L.s;
	L.s = NULL;
	ret = 0;
	goto cleanup;
syntax:
	if (L.ps.err.loc.line)
		snprintf(err, errlen, "line %d column %d: %s", L.ps.err.loc.line,
			 L.ps.err.loc.col, L.ps.err.message);
	else
		snprintf(err, errlen, "%s", L.ps.err.message);
cleanup:
	free(L.types);
	free(L.dirs);
	gql_schema_free(L.s);
	return ret;
}

int gql_schema_load_file(const char *path, struct gql_schema **out, char *err,
			 size_t errlen)
{
	FILE *f = fopen(path, "rb");
	struct strbuf sb = STRBUF_INIT;
	char buf[65536];
	size_t n;
	int ret;

	*out = NULL;
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_addn(&sb, buf, n);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		fclose(f);
		sb_free(&sb);
		return -1;
	}
	fclose(f);
	ret = gql_schema_load(sb.buf ? sb.buf : "", sb.len, out, err, errlen);
	if (ret < 0 && strlen(path) + strlen(err) + 3 < errlen) {
		char tmp[1024];

		snprintf(tmp, sizeof(tmp), "%s", err);
		snprintf(err, errlen, "%s: %s", path, tmp);
	}
	sb_free(&sb);
	return ret;
}

void gql_schema_free(struct gql_schema *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nmcost; i++)
		free(s->mcost[i].field);
	free(s->mcost);
	gql_arena_free(s->arena);
	free(s);
}

void gql_schema_set_mutation_cost(struct gql_schema *s, const char *field, int cost)
{
	size_t i;

	for (i = 0; i < s->nmcost; i++) {
		if (strcmp(s->mcost[i].field, field) == 0) {
			s->mcost[i].cost = cost;
			return;
		}
	}
	s->mcost = xrealloc(s->mcost, (s->nmcost + 1) * sizeof(*s->mcost));
	s->mcost[s->nmcost].field = xstrdup(field);
	s->mcost[s->nmcost++].cost = cost;
}

static long mutation_cost(const struct gql_schema *s, const char *field)
{
	size_t i;

	for (i = 0; i < s->nmcost; i++)
		if (strcmp(s->mcost[i].field, field) == 0)
			return s->mcost[i].cost;
	return 10;
}

const struct gs_type *gql_schema_type(const struct gql_schema *s, const char *name)
{
	size_t i;

	if (map_get(s->type_index, name, &i) < 0)
		return NULL;
	return s->types[i];
}

const struct gs_type *gql_schema_query_type(const struct gql_schema *s)
{
	return s->query;
}

const struct gs_type *gql_schema_mutation_type(const struct gql_schema *s)
{
	return s->mutation;
}

size_t gql_schema_ntypes(const struct gql_schema *s)
{
	return s->ntypes;
}

const struct gs_field *gs_type_field(const struct gs_type *t, const char *name)
{
	size_t i;

	if (!t || (t->kind != GS_OBJECT && t->kind != GS_INTERFACE))
		return NULL;
	if (map_get(t->index, name, &i) < 0)
		return NULL;
	return &t->fields[i];
}

const struct gs_input_value *gs_type_input(const struct gs_type *t, const char *name)
{
	size_t i;

	if (!t || t->kind != GS_INPUT)
		return NULL;
	if (map_get(t->index, name, &i) < 0)
		return NULL;
	return &t->inputs[i];
}

const struct gs_type *gs_named(const struct gs_typeref *r)
{
	while (r->kind != GQL_T_NAMED)
		r = r->of;
	return r->type;
}

int gs_is_list(const struct gs_typeref *r)
{
	if (r->kind == GQL_T_NON_NULL)
		r = r->of;
	return r->kind == GQL_T_LIST;
}

int gs_type_applies(const struct gs_type *t, const struct gs_type *abs)
{
	size_t i;

	if (!t || !abs)
		return 0;
	if (t == abs)
		return 1;
	if (abs->kind == GS_UNION) {
		for (i = 0; i < abs->npossible; i++)
			if (abs->possible[i] == t)
				return 1;
		return 0;
	}
	if (abs->kind == GS_INTERFACE)
		for (i = 0; i < t->ninterfaces; i++)
			if (t->interfaces[i] == abs)
				return 1;
	return 0;
}

static const struct gs_directive *schema_directive(const struct gql_schema *s,
						   const char *name)
{
	size_t i;

	for (i = 0; i < s->ndirs; i++)
		if (strcmp(s->dirs[i].name, name) == 0)
			return &s->dirs[i];
	return NULL;
}

static int is_composite(const struct gs_type *t)
{
	return t && (t->kind == GS_OBJECT || t->kind == GS_INTERFACE || t->kind == GS_UNION);
}

static int is_input_type(const struct gs_type *t)
{
	return t && (t->kind == GS_SCALAR || t->kind == GS_ENUM || t->kind == GS_INPUT);
}

/* "[ID!]!" for a schema type reference. Caller frees. */
static char *ref_string(const struct gs_typeref *r)
{
	char *inner, *s;

	switch (r->kind) {
	case GQL_T_NAMED:
		return xstrdup(r->name);
	case GQL_T_LIST:
		inner = ref_string(r->of);
		s = xasprintf("[%s]", inner);
		free(inner);
		return s;
	case GQL_T_NON_NULL:
		inner = ref_string(r->of);
		s = xasprintf("%s!", inner);
		free(inner);
		return s;
	}
	return xstrdup("?");
}

/* Convert a document's type (variable definition) to a schema reference;
 * NULL when a named type is unknown. Arena-allocated in the schema?  No:
 * the document's arena, which outlives validation and execution. */
static const struct gs_typeref *doc_ref(const struct gql_schema *s,
					struct gql_arena *a,
					const struct gql_type *t)
{
	struct gs_typeref *r = gql_arena_alloc(a, sizeof(*r));

	r->kind = t->kind;
	if (t->kind == GQL_T_NAMED) {
		r->name = t->name;
		r->type = gql_schema_type(s, t->name);
		if (!r->type)
			return NULL;
	} else {
		r->of = doc_ref(s, a, t->of);
		if (!r->of)
			return NULL;
	}
	return r;
}

/* ------------------------------------------------------------------ */
/* Scalars: which literal and JSON values each scalar accepts           */

static int iso8601_ok(const char *s, size_t n)
{
	/* YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|+HH:MM|-HH:MM] (what Shopify's
	 * DateTime accepts in practice; a bare date is accepted too). */
	size_t i = 0;
	int k;

	for (k = 0; k < 4; k++, i++)
		if (i >= n || !isdigit((unsigned char)s[i]))
			return 0;
	if (i >= n || s[i++] != '-')
		return 0;
	for (k = 0; k < 2; k++, i++)
		if (i >= n || !isdigit((unsigned char)s[i]))
			return 0;
	if (i >= n || s[i++] != '-')
		return 0;
	for (k = 0; k < 2; k++, i++)
		if (i >= n || !isdigit((unsigned char)s[i]))
			return 0;
	if (i == n)
		return 1;
	if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
		return 0;
	i++;
	for (k = 0; k < 2; k++, i++)
		if (i >= n || !isdigit((unsigned char)s[i]))
			return 0;
	if (i >= n || s[i++] != ':')
		return 0;
	for (k = 0; k < 2; k++, i++)
		if (i >= n || !isdigit((unsigned char)s[i]))
			return 0;
	if (i < n && s[i] == ':') {
		i++;
		for (k = 0; k < 2; k++, i++)
			if (i >= n || !isdigit((unsigned char)s[i]))
				return 0;
		if (i < n && s[i] == '.') {
			i++;
			if (i >= n || !isdigit((unsigned char)s[i]))
				return 0;
			while (i < n && isdigit((unsigned char)s[i]))
				i++;
		}
	}
	if (i == n)
		return 1;
	if (s[i] == 'Z' || s[i] == 'z')
		return i + 1 == n;
	if (s[i] == '+' || s[i] == '-') {
		i++;
		for (k = 0; k < 2; k++, i++)
			if (i >= n || !isdigit((unsigned char)s[i]))
				return 0;
		if (i < n && s[i] == ':')
			i++;
		for (k = 0; k < 2; k++, i++)
			if (i >= n || !isdigit((unsigned char)s[i]))
				return 0;
		return i == n;
	}
	return 0;
}

static int decimal_ok(const char *s, size_t n)
{
	size_t i = 0, digits = 0;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	while (i < n && isdigit((unsigned char)s[i])) {
		i++;
		digits++;
	}
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && isdigit((unsigned char)s[i])) {
			i++;
			digits++;
		}
	}
	if (digits && i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		if (i >= n || !isdigit((unsigned char)s[i]))
			return 0;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
	}
	return digits > 0 && i == n;
}

static int uint64_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 20)
		return 0;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

enum scalar_kind { SC_STRING, SC_INT, SC_FLOAT, SC_BOOLEAN, SC_ID, SC_DATETIME,
		   SC_DATE, SC_DECIMAL, SC_UINT64, SC_JSON, SC_OTHER };

static enum scalar_kind scalar_kind(const char *name)
{
	static const struct {
		const char *name;
		enum scalar_kind k;
	} m[] = {
		{ "String", SC_STRING }, { "Int", SC_INT }, { "Float", SC_FLOAT },
		{ "Boolean", SC_BOOLEAN }, { "ID", SC_ID }, { "DateTime", SC_DATETIME },
		{ "Date", SC_DATE }, { "Decimal", SC_DECIMAL }, { "Money", SC_DECIMAL },
		{ "UnsignedInt64", SC_UINT64 }, { "BigInt", SC_UINT64 }, { "JSON", SC_JSON },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(m); i++)
		if (strcmp(m[i].name, name) == 0)
			return m[i].k;
	return SC_OTHER;
}

static int int32_text_ok(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0' && v >= INT_MIN && v <= INT_MAX;
}

/* Literal acceptable for scalar `name`? */
static int scalar_literal_ok(const char *name, const struct gql_value *v)
{
	switch (scalar_kind(name)) {
	case SC_STRING:
		return v->kind == GQL_V_STRING;
	case SC_INT:
		return v->kind == GQL_V_INT && int32_text_ok(v->str);
	case SC_FLOAT:
		return v->kind == GQL_V_INT || v->kind == GQL_V_FLOAT;
	case SC_BOOLEAN:
		return v->kind == GQL_V_BOOLEAN;
	case SC_ID:
		return v->kind == GQL_V_STRING || v->kind == GQL_V_INT;
	case SC_DATETIME:
		return v->kind == GQL_V_STRING && iso8601_ok(v->str, v->len);
	case SC_DATE:
		return v->kind == GQL_V_STRING && iso8601_ok(v->str, v->len) && v->len == 10;
	case SC_DECIMAL:
		return (v->kind == GQL_V_STRING && decimal_ok(v->str, v->len)) ||
		       v->kind == GQL_V_INT || v->kind == GQL_V_FLOAT;
	case SC_UINT64:
		return (v->kind == GQL_V_STRING && uint64_ok(v->str, v->len)) ||
		       (v->kind == GQL_V_INT && v->str[0] != '-');
	case SC_JSON:
		return 1;
	case SC_OTHER:
		return v->kind == GQL_V_STRING;
	}
	return 0;
}

/* JSON variable value for scalar `name`: 0 and *out (new ref), or -1. */
static int scalar_json_coerce(const char *name, json_t *v, json_t **out)
{
	const char *s;
	size_t n;

	*out = NULL;
	switch (scalar_kind(name)) {
	case SC_STRING:
	case SC_OTHER:
		if (!json_is_string(v))
			return -1;
		break;
	case SC_INT:
		if (!json_is_integer(v) || json_integer_value(v) < INT_MIN ||
		    json_integer_value(v) > INT_MAX) {
			/* 3.0 is an Int for graphql-ruby */
			if (json_is_real(v) && json_real_value(v) == (double)(long long)json_real_value(v) &&
			    json_real_value(v) >= INT_MIN && json_real_value(v) <= INT_MAX) {
				*out = json_integer((json_int_t)json_real_value(v));
				return 0;
			}
			return -1;
		}
		break;
	case SC_FLOAT:
		if (!json_is_number(v))
			return -1;
		*out = json_real(json_number_value(v));
		return 0;
	case SC_BOOLEAN:
		if (!json_is_boolean(v))
			return -1;
		break;
	case SC_ID:
		if (json_is_integer(v)) {
			*out = json_sprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
			return 0;
		}
		if (!json_is_string(v))
			return -1;
		break;
	case SC_DATETIME:
	case SC_DATE:
		if (!json_is_string(v))
			return -1;
		s = json_string_value(v);
		n = json_string_length(v);
		if (!iso8601_ok(s, n) || (scalar_kind(name) == SC_DATE && n != 10))
			return -1;
		break;
	case SC_DECIMAL:
		if (json_is_string(v)) {
			if (!decimal_ok(json_string_value(v), json_string_length(v)))
				return -1;
		} else if (!json_is_number(v)) {
			return -1;
		}
		break;
	case SC_UINT64:
		if (json_is_integer(v)) {
			if (json_integer_value(v) < 0)
				return -1;
			*out = json_sprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
			return 0;
		}
		if (!json_is_string(v) || !uint64_ok(json_string_value(v), json_string_length(v)))
			return -1;
		break;
	case SC_JSON:
		break;
	}
	*out = json_incref(v);
	return 0;
}

/* Ruby-ish inspect of a JSON value, for "Could not coerce value X to T". */
static char *inspect_json(json_t *v)
{
	char *s;

	if (json_is_null(v))
		return xstrdup("nil");
	s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	return s ? s : xstrdup("?");
}

/* GraphQL-syntax print of a literal, as graphql-ruby shows it. */
static void print_literal(struct strbuf *sb, const struct gql_value *v)
{
	size_t i;

	switch (v->kind) {
	case GQL_V_VARIABLE:
		sb_addf(sb, "$%s", v->str);
		break;
	case GQL_V_INT:
	case GQL_V_FLOAT:
	case GQL_V_ENUM:
		sb_add(sb, v->str);
		break;
	case GQL_V_STRING: {
		json_t *j = json_stringn(v->str, v->len);
		char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

		sb_add(sb, t ? t : "\"\"");
		free(t);
		json_decref(j);
		break;
	}
	case GQL_V_BOOLEAN:
		sb_add(sb, v->boolean ? "true" : "false");
		break;
	case GQL_V_NULL:
		sb_add(sb, "null");
		break;
	case GQL_V_LIST:
		sb_add(sb, "[");
		for (i = 0; i < v->n; i++) {
			if (i)
				sb_add(sb, ", ");
			print_literal(sb, v->items[i]);
		}
		sb_add(sb, "]");
		break;
	case GQL_V_OBJECT:
		sb_add(sb, "{");
		for (i = 0; i < v->n; i++) {
			if (i)
				sb_add(sb, ", ");
			sb_addf(sb, "%s: ", v->fields[i].name);
			print_literal(sb, v->fields[i].value);
		}
		sb_add(sb, "}");
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Validation                                                           */

struct var_usage {
	const char *name;
	const struct gs_typeref *expected;	/* NULL: position unknown */
	int loc_has_default;
	const char *arg_name;
	struct gql_loc loc;
	json_t *path;	/* owned */
};

struct vctx {
	const struct gql_schema *s;
	const struct gql_document *d;
	json_t *errors;
	int count;
	json_t *path;		/* array of strings (owned) */
	/* variable usages collected while walking one definition */
	struct var_usage *uses;
	size_t nuses, capuses;
	int collect_uses;
};

static json_t *path_copy(const struct vctx *v)
{
	return json_deep_copy(v->path);
}

static void path_push(struct vctx *v, const char *s)
{
	json_array_append_new(v->path, json_string(s));
}

static void path_pop(struct vctx *v)
{
	json_array_remove(v->path, json_array_size(v->path) - 1);
}

static void verr(struct vctx *v, const struct gql_loc *loc, json_t *path,
		 json_t *ext, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void verr(struct vctx *v, const struct gql_loc *loc, json_t *path,
		 json_t *ext, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	json_array_append_new(v->errors, gql_error_new(msg ? msg : "?", loc,
						       path ? path : path_copy(v), ext));
	free(msg);
	v->count++;
}

static void add_use(struct vctx *v, const char *name, const struct gs_typeref *expected,
		    int loc_has_default, const char *arg_name, struct gql_loc loc)
{
	struct var_usage *u;

	if (!v->collect_uses)
		return;
	v->uses = grow(v->uses, &v->capuses, v->nuses, sizeof(*v->uses));
	u = &v->uses[v->nuses++];
	u->name = name;
	u->expected = expected;
	u->loc_has_default = loc_has_default;
	u->arg_name = arg_name;
	u->loc = loc;
	u->path = path_copy(v);
}

/* Check a literal against an input type. owner_kind: "Field",
 * "InputObject" or "Directive". Returns 0 when fine (errors already
 * reported for nested problems return -2 so the caller does not add the
 * generic message again). */
static int check_literal(struct vctx *v, const struct gql_value *val,
			 const struct gs_typeref *type, int has_default,
			 const char *owner_kind, const char *owner_name,
			 const char *arg_name);

static void literal_incompatible(struct vctx *v, const struct gql_value *val,
				 const struct gs_typeref *type,
				 const char *owner_kind, const char *owner_name,
				 const char *arg_name)
{
	struct strbuf sb = STRBUF_INIT;
	char *ts = ref_string(type);

	print_literal(&sb, val);
	verr(v, &val->loc, NULL,
	     json_pack("{s:s,s:s,s:s}", "code", "argumentLiteralsIncompatible",
		       "typeName", owner_kind, "argumentName", arg_name),
	     "Argument '%s' on %s '%s' has an invalid value (%s). Expected type '%s'.",
	     arg_name, owner_kind, owner_name, sb.buf ? sb.buf : "", ts);
	sb_free(&sb);
	free(ts);
}

static int check_input_object(struct vctx *v, const struct gql_value *val,
			      const struct gs_type *t)
{
	size_t i, j;
	int bad = 0;

	for (i = 0; i < val->n; i++) {
		const struct gs_input_value *iv = gs_type_input(t, val->fields[i].name);

		for (j = 0; j < i; j++) {
			if (strcmp(val->fields[j].name, val->fields[i].name) == 0) {
				verr(v, &val->fields[i].loc, NULL,
				     json_pack("{s:s,s:s}", "code", "inputFieldNotUnique",
					       "name", val->fields[i].name),
				     "There can be only one input field named \"%s\"",
				     val->fields[i].name);
				bad = 1;
			}
		}
		path_push(v, val->fields[i].name);
		if (!iv) {
			verr(v, &val->fields[i].loc, NULL,
			     json_pack("{s:s,s:s,s:s,s:s}", "code", "argumentNotAccepted",
				       "name", t->name, "typeName", "InputObject",
				       "argumentName", val->fields[i].name),
			     "InputObject '%s' doesn't accept argument '%s'", t->name,
			     val->fields[i].name);
			bad = 1;
		} else {
			int r = check_literal(v, val->fields[i].value, iv->type,
					      iv->default_value != NULL, "InputObject",
					      t->name, iv->name);

			if (r == -1)
				literal_incompatible(v, val->fields[i].value, iv->type,
						     "InputObject", t->name, iv->name);
			if (r)
				bad = 1;
		}
		path_pop(v);
	}
	for (i = 0; i < t->ninputs; i++) {
		const struct gs_input_value *iv = &t->inputs[i];
		int present = 0;

		if (iv->type->kind != GQL_T_NON_NULL || iv->default_value)
			continue;
		for (j = 0; j < val->n; j++)
			if (strcmp(val->fields[j].name, iv->name) == 0)
				present = 1;
		if (!present) {
			char *ts = ref_string(iv->type);

			verr(v, &val->loc, NULL,
			     json_pack("{s:s,s:s,s:s,s:s}", "code",
				       "missingRequiredInputObjectAttribute",
				       "argumentName", iv->name, "argumentType", ts,
				       "inputObjectType", t->name),
			     "Argument '%s' on InputObject '%s' is required. Expected type %s",
			     iv->name, t->name, ts);
			free(ts);
			bad = 1;
		}
	}
	if (t->one_of && val->n != 1) {
		verr(v, &val->loc, NULL,
		     json_pack("{s:s,s:s}", "code", "oneOfInputObject", "inputObjectType", t->name),
		     "`%s` is a OneOf type, so only one argument may be given (instead of %zu)",
		     t->name, val->n);
		bad = 1;
	}
	return bad ? -2 : 0;
}

static int check_literal(struct vctx *v, const struct gql_value *val,
			 const struct gs_typeref *type, int has_default,
			 const char *owner_kind, const char *owner_name,
			 const char *arg_name)
{
	const struct gs_type *t;

	if (val->kind == GQL_V_VARIABLE) {
		add_use(v, val->str, type, has_default, arg_name, val->loc);
		return 0;
	}
	if (type->kind == GQL_T_NON_NULL) {
		if (val->kind == GQL_V_NULL)
			return -1;
		return check_literal(v, val, type->of, 0, owner_kind, owner_name, arg_name);
	}
	if (val->kind == GQL_V_NULL)
		return 0;
	if (type->kind == GQL_T_LIST) {
		size_t i;
		int bad = 0;

		if (val->kind != GQL_V_LIST)
			return check_literal(v, val, type->of, 0, owner_kind, owner_name, arg_name);
		for (i = 0; i < val->n; i++) {
			int r = check_literal(v, val->items[i], type->of, 0, owner_kind,
					      owner_name, arg_name);

			if (r == -1)
				return -1;	/* graphql-ruby reports the whole list */
			if (r)
				bad = 1;
		}
		return bad ? -2 : 0;
	}
	t = type->type;
	switch (t->kind) {
	case GS_INPUT:
		if (t->stub)
			return 0;
		if (val->kind != GQL_V_OBJECT)
			return -1;
		return check_input_object(v, val, t);
	case GS_ENUM: {
		size_t i;

		if (val->kind != GQL_V_ENUM)
			return -1;
		for (i = 0; i < t->nvalues; i++)
			if (strcmp(t->values[i], val->str) == 0)
				return 0;
		return -1;
	}
	case GS_SCALAR:
		return scalar_literal_ok(t->name, val) ? 0 : -1;
	default:
		return -1;
	}
}

static void check_arguments(struct vctx *v, const struct gql_argument *args,
			    size_t nargs, const struct gs_input_value *defs,
			    size_t ndefs, const char *owner_kind,
			    const char *owner_name, const struct gql_loc *owner_loc)
{
	size_t i, j;
	struct strbuf missing = STRBUF_INIT;

	for (i = 0; i < nargs; i++) {
		const struct gs_input_value *def = NULL;

		for (j = 0; j < i; j++)
			if (strcmp(args[j].name, args[i].name) == 0)
				break;
		if (j < i) {
			verr(v, &args[i].loc, NULL,
			     json_pack("{s:s,s:s}", "code", "argumentNotUnique", "name", args[i].name),
			     "There can be only one argument named \"%s\"", args[i].name);
			continue;
		}
		for (j = 0; j < ndefs; j++)
			if (strcmp(defs[j].name, args[i].name) == 0)
				def = &defs[j];
		path_push(v, args[i].name);
		if (!def) {
			verr(v, &args[i].loc, NULL,
			     json_pack("{s:s,s:s,s:s,s:s}", "code", "argumentNotAccepted",
				       "name", owner_name, "typeName", owner_kind,
				       "argumentName", args[i].name),
			     "%s '%s' doesn't accept argument '%s'", owner_kind, owner_name,
			     args[i].name);
		} else {
			int r = check_literal(v, args[i].value, def->type,
					      def->default_value != NULL, owner_kind,
					      owner_name, def->name);

			if (r == -1)
				literal_incompatible(v, args[i].value, def->type, owner_kind,
						     owner_name, def->name);
		}
		path_pop(v);
	}
	for (j = 0; j < ndefs; j++) {
		int present = 0;

		if (defs[j].type->kind != GQL_T_NON_NULL || defs[j].default_value)
			continue;
		for (i = 0; i < nargs; i++)
			if (strcmp(args[i].name, defs[j].name) == 0)
				present = 1;
		if (!present) {
			if (missing.len)
				sb_add(&missing, ", ");
			sb_add(&missing, defs[j].name);
		}
	}
	if (missing.len)
		verr(v, owner_loc, NULL,
		     json_pack("{s:s,s:s,s:s,s:s}", "code", "missingRequiredArguments",
			       "className", owner_kind, "name", owner_name,
			       "arguments", missing.buf),
		     "%s '%s' is missing required arguments: %s", owner_kind, owner_name,
		     missing.buf);
	sb_free(&missing);
}

static const char *dir_location_name(unsigned bit)
{
	switch (bit) {
	case DL_QUERY: return "queries";
	case DL_MUTATION: return "mutations";
	case DL_SUBSCRIPTION: return "subscriptions";
	case DL_FIELD: return "fields";
	case DL_FRAGMENT_DEFINITION: return "fragment definitions";
	case DL_FRAGMENT_SPREAD: return "fragment spreads";
	case DL_INLINE_FRAGMENT: return "inline fragments";
	case DL_VARIABLE_DEFINITION: return "variable definitions";
	}
	return "this location";
}

static void check_directives(struct vctx *v, const struct gql_directive *dirs,
			     size_t n, unsigned where)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		const struct gs_directive *def = schema_directive(v->s, dirs[i].name);

		if (!def) {
			verr(v, &dirs[i].loc, NULL,
			     json_pack("{s:s,s:s}", "code", "undefinedDirective",
				       "directiveName", dirs[i].name),
			     "Directive @%s is not defined", dirs[i].name);
			continue;
		}
		if (!(def->locations & where)) {
			struct strbuf allowed = STRBUF_INIT;
			unsigned bit;

			for (bit = 1; bit <= DL_VARIABLE_DEFINITION; bit <<= 1) {
				if (!(def->locations & bit))
					continue;
				if (allowed.len)
					sb_add(&allowed, ", ");
				sb_add(&allowed, dir_location_name(bit));
			}
			verr(v, &dirs[i].loc, NULL,
			     json_pack("{s:s,s:s,s:s}", "code", "directiveCannotBeApplied",
				       "targetName", dir_location_name(where),
				       "name", dirs[i].name),
			     "'@%s' can't be applied to %s (allowed: %s)", dirs[i].name,
			     dir_location_name(where), allowed.buf ? allowed.buf : "");
			sb_free(&allowed);
		}
		if (!def->repeatable) {
			for (j = 0; j < i; j++)
				if (strcmp(dirs[j].name, dirs[i].name) == 0)
					break;
			if (j < i)
				verr(v, &dirs[i].loc, NULL,
				     json_pack("{s:s,s:s}", "code", "directiveNotUniqueForLocation",
					       "directiveName", dirs[i].name),
				     "The directive \"%s\" can only be used once at this location.",
				     dirs[i].name);
		}
		path_push(v, dirs[i].name);
		check_arguments(v, dirs[i].args, dirs[i].nargs, def->args, def->nargs,
				"Directive", dirs[i].name, &dirs[i].loc);
		path_pop(v);
	}
}

static void sel_names(struct strbuf *sb, const struct gql_selection_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		const struct gql_selection *s = set->v[i];

		if (sb->len)
			sb_add(sb, ", ");
		if (s->kind == GQL_SEL_FIELD)
			sb_add(sb, s->name);
		else if (s->kind == GQL_SEL_SPREAD)
			sb_addf(sb, "... %s", s->name);
		else
			sb_add(sb, "...");
	}
}

/* Can a fragment typed `frag` be spread where `parent` is expected? */
static int spread_possible(const struct gs_type *parent, const struct gs_type *frag)
{
	size_t i, j;

	if (parent == frag)
		return 1;
	if (parent->kind == GS_OBJECT)
		return gs_type_applies(parent, frag);
	if (frag->kind == GS_OBJECT)
		return gs_type_applies(frag, parent);
	/* both abstract: some object type in common */
	for (i = 0; i < parent->npossible; i++)
		for (j = 0; j < frag->npossible; j++)
			if (parent->possible[i] == frag->possible[j])
				return 1;
	if (parent->kind == GS_INTERFACE && frag->kind == GS_INTERFACE)
		for (i = 0; i < frag->ninterfaces; i++)
			if (frag->interfaces[i] == parent)
				return 1;
	return 0;
}

/* FieldsWillMerge, simplified: within one selection set (fragments
 * flattened), two fields with the same response key on the same parent
 * must have the same name and the same arguments. */
struct merge_item {
	const struct gql_selection *sel;
	const struct gs_type *parent;
};

#define MERGE_BUDGET 20000	/* fields compared per selection set, at most */

static int merge_key_cmp(const void *x, const void *y)
{
	const struct merge_item *a = x, *b = y;
	int c = strcmp(gql_response_key(a->sel), gql_response_key(b->sel));

	if (c)
		return c;
	/* keep document order within a key */
	return (a->sel->loc.line - b->sel->loc.line) ? (a->sel->loc.line - b->sel->loc.line) :
	       (a->sel->loc.col - b->sel->loc.col);
}

static void merge_collect(const struct gql_document *d, const struct gql_schema *s,
			  const struct gs_type *parent,
			  const struct gql_selection_set *set, struct merge_item **items,
			  size_t *n, size_t *cap, int depth, size_t *visits)
{
	size_t i;

	/* Depth and work budgets: a "fragment bomb" (each fragment spreading
	 * the next several times) must not take the emulator down. */
	if (depth > 16 || *visits >= MERGE_BUDGET)
		return;
	for (i = 0; i < set->n && ++*visits < MERGE_BUDGET; i++) {
		const struct gql_selection *sel = set->v[i];

		if (sel->kind == GQL_SEL_FIELD) {
			*items = grow(*items, cap, *n, sizeof(**items));
			(*items)[*n].sel = sel;
			(*items)[(*n)++].parent = parent;
		} else if (sel->kind == GQL_SEL_INLINE) {
			const struct gs_type *t = sel->type_cond ?
				gql_schema_type(s, sel->type_cond) : parent;

			if (t)
				merge_collect(d, s, t, sel->sel, items, n, cap, depth + 1, visits);
		} else {
			const struct gql_fragment *f = gql_find_fragment(d, sel->name);
			const struct gs_type *t = f ? gql_schema_type(s, f->type_cond) : NULL;

			if (f && t)
				merge_collect(d, s, t, f->sel, items, n, cap, depth + 1, visits);
		}
	}
}

static char *args_signature(const struct gql_selection *sel)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	sb_add(&sb, "{");
	for (i = 0; i < sel->nargs; i++) {
		struct strbuf val = STRBUF_INIT;

		if (i)
			sb_add(&sb, ",");
		print_literal(&val, sel->args[i].value);
		sb_addf(&sb, "%s:%s", sel->args[i].name, val.buf ? val.buf : "");
		sb_free(&val);
	}
	sb_add(&sb, "}");
	return sb_detach(&sb);
}

static int args_equal(const struct gql_selection *a, const struct gql_selection *b)
{
	size_t i, j;

	if (a->nargs != b->nargs)
		return 0;
	for (i = 0; i < a->nargs; i++) {
		struct strbuf x = STRBUF_INIT, y = STRBUF_INIT;
		int same = 0;

		for (j = 0; j < b->nargs; j++) {
			if (strcmp(a->args[i].name, b->args[j].name) != 0)
				continue;
			print_literal(&x, a->args[i].value);
			print_literal(&y, b->args[j].value);
			same = x.buf && y.buf && strcmp(x.buf, y.buf) == 0;
		}
		sb_free(&x);
		sb_free(&y);
		if (!same)
			return 0;
	}
	return 1;
}

static void check_merge(struct vctx *v, const struct gs_type *parent,
			const struct gql_selection_set *set)
{
	struct merge_item *items = NULL;
	size_t n = 0, cap = 0, i, j, gstart, visits = 0;

	merge_collect(v->d, v->s, parent, set, &items, &n, &cap, 0, &visits);
	/* sorted by response key: only fields under the same key are compared */
	if (n > 1)
		qsort(items, n, sizeof(*items), merge_key_cmp);
	for (i = 0, gstart = 0; i < n; i++) {
		if (i > 0 && strcmp(gql_response_key(items[i - 1].sel),
				    gql_response_key(items[i].sel)) != 0)
			gstart = i;
		/* against the earlier fields of the same key (the nearest 32:
		 * enough to find a conflict, bounded for hostile documents) */
		for (j = i - gstart > 32 ? i - 32 : gstart; j < i; j++) {
			const struct gql_selection *a = items[j].sel, *b = items[i].sel;
			int same_parent_needed;

			if (strcmp(gql_response_key(a), gql_response_key(b)) != 0)
				continue;
			same_parent_needed = items[i].parent == items[j].parent ||
				items[i].parent->kind != GS_OBJECT ||
				items[j].parent->kind != GS_OBJECT;
			if (!same_parent_needed)
				continue;
			if (strcmp(a->name, b->name) != 0) {
				char *conf = xasprintf("%s or %s", a->name, b->name);

				verr(v, &b->loc, NULL,
				     json_pack("{s:s,s:s,s:s}", "code", "fieldConflict",
					       "fieldName", gql_response_key(b), "conflicts", conf),
				     "Field '%s' has a field conflict: %s?", gql_response_key(b), conf);
				free(conf);
				break;
			}
			if (!args_equal(a, b)) {
				char *sa = args_signature(a), *sbb = args_signature(b);
				char *conf = xasprintf("%s or %s", sa, sbb);

				verr(v, &b->loc, NULL,
				     json_pack("{s:s,s:s,s:s}", "code", "fieldConflict",
					       "fieldName", gql_response_key(b), "conflicts", conf),
				     "Field '%s' has an argument conflict: %s?", gql_response_key(b), conf);
				free(conf);
				free(sa);
				free(sbb);
				break;
			}
		}
	}
	free(items);
}

static void validate_selection_set(struct vctx *v, const struct gs_type *parent,
				   const struct gql_selection_set *set);

static void validate_field(struct vctx *v, const struct gs_type *parent,
			   const struct gql_selection *sel)
{
	const struct gs_field *def;
	const struct gs_type *rt;

	path_push(v, gql_response_key(sel));
	check_directives(v, sel->dirs, sel->ndirs, DL_FIELD);
	if (strcmp(sel->name, "__typename") == 0) {
		check_arguments(v, sel->args, sel->nargs, NULL, 0, "Field", sel->name, &sel->loc);
		if (sel->sel) {
			struct strbuf sb = STRBUF_INIT;
			char *node = xasprintf("field '%s'", sel->name);

			sel_names(&sb, sel->sel);
			verr(v, &sel->loc, NULL,
			     json_pack("{s:s,s:s,s:s}", "code", "selectionMismatch",
				       "nodeName", node, "typeName", "String"),
			     "Selections can't be made on scalars (field '%s' returns String but has selections [%s])",
			     sel->name, sb.buf);
			free(node);
			sb_free(&sb);
		}
		goto done;
	}
	if ((strcmp(sel->name, "__schema") == 0 || strcmp(sel->name, "__type") == 0) &&
	    parent == v->s->query)
		goto done;	/* introspection: answered "not implemented" */
	def = gs_type_field(parent, sel->name);
	if (!def) {
		verr(v, &sel->loc, NULL,
		     json_pack("{s:s,s:s,s:s}", "code", "undefinedField",
			       "typeName", parent->name, "fieldName", sel->name),
		     "Field '%s' doesn't exist on type '%s'", sel->name, parent->name);
		goto done;
	}
	check_arguments(v, sel->args, sel->nargs, def->args, def->nargs, "Field",
			sel->name, &sel->loc);
	rt = gs_named(def->type);
	if (!is_composite(rt)) {
		if (sel->sel) {
			struct strbuf sb = STRBUF_INIT;
			char *node = xasprintf("field '%s'", sel->name);

			sel_names(&sb, sel->sel);
			verr(v, &sel->loc, NULL,
			     json_pack("{s:s,s:s,s:s}", "code", "selectionMismatch",
				       "nodeName", node, "typeName", rt->name),
			     "Selections can't be made on %s (field '%s' returns %s but has selections [%s])",
			     rt->kind == GS_ENUM ? "enums" : "scalars", sel->name, rt->name, sb.buf);
			free(node);
			sb_free(&sb);
		}
	} else if (!sel->sel) {
		char *node = xasprintf("field '%s'", sel->name);

		verr(v, &sel->loc, NULL,
		     json_pack("{s:s,s:s,s:s}", "code", "selectionMismatch",
			       "nodeName", node, "typeName", rt->name),
		     "Field must have selections (field '%s' returns %s but has no selections. Did you mean '%s { ... }'?)",
		     sel->name, rt->name, sel->name);
		free(node);
	} else if (!rt->stub) {
		validate_selection_set(v, rt, sel->sel);
	}
done:
	path_pop(v);
}

static void validate_selection_set(struct vctx *v, const struct gs_type *parent,
				   const struct gql_selection_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		const struct gql_selection *sel = set->v[i];

		if (sel->kind == GQL_SEL_FIELD) {
			validate_field(v, parent, sel);
		} else if (sel->kind == GQL_SEL_INLINE) {
			const struct gs_type *t = parent;
			char *label = sel->type_cond ? xasprintf("... on %s", sel->type_cond) :
						       xstrdup("...");

			path_push(v, label);
			free(label);
			check_directives(v, sel->dirs, sel->ndirs, DL_INLINE_FRAGMENT);
			if (sel->type_cond) {
				t = gql_schema_type(v->s, sel->type_cond);
				if (!t) {
					verr(v, &sel->loc, NULL,
					     json_pack("{s:s,s:s}", "code", "undefinedType",
						       "typeName", sel->type_cond),
					     "No such type %s, so it can't be a fragment condition",
					     sel->type_cond);
				} else if (!is_composite(t)) {
					verr(v, &sel->loc, NULL,
					     json_pack("{s:s,s:s}", "code", "fragmentOnNonCompositeType",
						       "typeName", sel->type_cond),
					     "Invalid fragment on type %s (must be Union, Interface or Object)",
					     sel->type_cond);
					t = NULL;
				} else if (!spread_possible(parent, t)) {
					verr(v, &sel->loc, NULL,
					     json_pack("{s:s,s:s,s:s}", "code", "cannotSpreadFragment",
						       "typeName", t->name, "fragmentName", "unknown",
						       "parentName", parent->name),
					     "Fragment on %s can't be spread inside %s", t->name,
					     parent->name);
				}
			}
			if (t && !t->stub)
				validate_selection_set(v, t, sel->sel);
			path_pop(v);
		} else {
			const struct gql_fragment *f = gql_find_fragment(v->d, sel->name);
			char *label = xasprintf("... %s", sel->name);

			path_push(v, label);
			free(label);
			check_directives(v, sel->dirs, sel->ndirs, DL_FRAGMENT_SPREAD);
			if (!f) {
				verr(v, &sel->loc, NULL,
				     json_pack("{s:s,s:s}", "code", "useAndDefineFragment",
					       "fragmentName", sel->name),
				     "Fragment %s was used, but not defined", sel->name);
			} else {
				const struct gs_type *t = gql_schema_type(v->s, f->type_cond);

				if (t && is_composite(t) && !spread_possible(parent, t))
					verr(v, &sel->loc, NULL,
					     json_pack("{s:s,s:s,s:s,s:s}", "code", "cannotSpreadFragment",
						       "typeName", t->name, "fragmentName", sel->name,
						       "parentName", parent->name),
					     "Fragment %s on %s can't be spread inside %s", sel->name,
					     t->name, parent->name);
			}
			path_pop(v);
		}
	}
	check_merge(v, parent, set);
}

/* Variable usages of a definition plus (transitively) the fragments it
 * spreads: walk again with collect_uses on. */
static void collect_uses_in(struct vctx *v, const struct gs_type *parent,
			    const struct gql_selection_set *set, const char **seen,
			    size_t *nseen, size_t capseen)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		const struct gql_selection *sel = set->v[i];
		size_t k;

		for (k = 0; k < sel->ndirs; k++) {
			const struct gs_directive *dd = schema_directive(v->s, sel->dirs[k].name);
			size_t a;

			for (a = 0; a < sel->dirs[k].nargs; a++) {
				const struct gs_input_value *def = NULL;
				size_t j;

				for (j = 0; dd && j < dd->nargs; j++)
					if (strcmp(dd->args[j].name, sel->dirs[k].args[a].name) == 0)
						def = &dd->args[j];
				if (def) {
					int saved = v->count;
					json_t *errs = v->errors;

					v->errors = json_array();
					check_literal(v, sel->dirs[k].args[a].value, def->type,
						      def->default_value != NULL, "Directive",
						      sel->dirs[k].name, def->name);
					json_decref(v->errors);
					v->errors = errs;
					v->count = saved;
				}
			}
		}
		if (sel->kind == GQL_SEL_FIELD) {
			const struct gs_field *def = parent ? gs_type_field(parent, sel->name) : NULL;
			size_t a;

			path_push(v, gql_response_key(sel));
			for (a = 0; a < sel->nargs; a++) {
				const struct gs_input_value *adef = NULL;
				size_t j;

				for (j = 0; def && j < def->nargs; j++)
					if (strcmp(def->args[j].name, sel->args[a].name) == 0)
						adef = &def->args[j];
				if (adef) {
					int saved = v->count;
					json_t *errs = v->errors;

					v->errors = json_array();
					path_push(v, sel->args[a].name);
					check_literal(v, sel->args[a].value, adef->type,
						      adef->default_value != NULL, "Field",
						      sel->name, adef->name);
					path_pop(v);
					json_decref(v->errors);
					v->errors = errs;
					v->count = saved;
				} else {
					/* unknown argument: still a usage (of unknown type) */
					struct gql_value *val = sel->args[a].value;

					if (val->kind == GQL_V_VARIABLE)
						add_use(v, val->str, NULL, 0, sel->args[a].name, val->loc);
				}
			}
			if (sel->sel) {
				const struct gs_type *rt = def ? gs_named(def->type) : NULL;

				collect_uses_in(v, rt && !rt->stub ? rt : NULL, sel->sel, seen,
						nseen, capseen);
			}
			path_pop(v);
		} else if (sel->kind == GQL_SEL_INLINE) {
			const struct gs_type *t = sel->type_cond ?
				gql_schema_type(v->s, sel->type_cond) : parent;

			collect_uses_in(v, t, sel->sel, seen, nseen, capseen);
		} else {
			size_t j;
			const struct gql_fragment *f;

			for (j = 0; j < *nseen; j++)
				if (strcmp(seen[j], sel->name) == 0)
					break;
			if (j < *nseen || *nseen >= capseen)
				continue;
			seen[(*nseen)++] = sel->name;
			f = gql_find_fragment(v->d, sel->name);
			if (f)
				collect_uses_in(v, gql_schema_type(v->s, f->type_cond), f->sel,
						seen, nseen, capseen);
		}
	}
}

/* graphql-ruby's VariableUsagesAreAllowed. Returns NULL when allowed, or
 * the error kind. */
static const char *usage_mismatch(const struct gs_typeref *var, const struct gs_typeref *loc)
{
	if (loc->kind == GQL_T_NON_NULL) {
		if (var->kind != GQL_T_NON_NULL)
			return "Nullability mismatch";
		return usage_mismatch(var->of, loc->of);
	}
	if (var->kind == GQL_T_NON_NULL)
		return usage_mismatch(var->of, loc);
	if (loc->kind == GQL_T_LIST) {
		if (var->kind != GQL_T_LIST)
			return "List dimension mismatch";
		return usage_mismatch(var->of, loc->of);
	}
	if (var->kind == GQL_T_LIST)
		return "List dimension mismatch";
	return strcmp(var->name, loc->name) == 0 ? NULL : "Type mismatch";
}

static void validate_operation_variables(struct vctx *v, const struct gql_operation *op,
					 const char *op_label)
{
	const struct gs_type *root = op->kind == GQL_OP_MUTATION ? v->s->mutation :
				     op->kind == GQL_OP_QUERY ? v->s->query : v->s->subscription;
	const char **seen = xcalloc(v->d->nfrags + 1, sizeof(*seen));
	const struct gs_typeref **vtypes = xcalloc(op->nvars + 1, sizeof(*vtypes));
	int *used = xcalloc(op->nvars + 1, sizeof(*used));
	size_t nseen = 0, i, j;

	for (i = 0; i < op->nvars; i++) {
		const struct gql_var_def *vd = &op->vars[i];
		const struct gs_type *nt;
		const struct gql_type *t = vd->type;
		char *ts = gql_type_string(vd->type);

		for (j = 0; j < i; j++)
			if (strcmp(op->vars[j].name, vd->name) == 0)
				break;
		if (j < i)
			verr(v, &vd->loc, NULL,
			     json_pack("{s:s,s:s}", "code", "variableNotUnique",
				       "variableName", vd->name),
			     "There can only be one variable named \"%s\"", vd->name);
		while (t->kind != GQL_T_NAMED)
			t = t->of;
		nt = gql_schema_type(v->s, t->name);
		if (!nt) {
			verr(v, &vd->loc, NULL,
			     json_pack("{s:s,s:s,s:s}", "code", "variableRequiresValidType",
				       "typeName", t->name, "variableName", vd->name),
			     "%s isn't a defined input type (on $%s)", t->name, vd->name);
		} else if (!is_input_type(nt)) {
			verr(v, &vd->loc, NULL,
			     json_pack("{s:s,s:s,s:s}", "code", "variableRequiresValidType",
				       "typeName", t->name, "variableName", vd->name),
			     "%s isn't a valid input type (on $%s)", t->name, vd->name);
		} else {
			vtypes[i] = doc_ref(v->s, v->d->arena, vd->type);
			if (vd->default_value && vtypes[i]) {
				json_t *errs = v->errors;
				int saved = v->count, r;

				v->errors = json_array();
				r = check_literal(v, vd->default_value, vtypes[i], 0, "Field",
						  "default", vd->name);
				json_decref(v->errors);
				v->errors = errs;
				v->count = saved;
				if (r)
					verr(v, &vd->default_value->loc, NULL,
					     json_pack("{s:s,s:s,s:s}", "code", "defaultValueInvalidType",
						       "variableName", vd->name, "typeName", ts),
					     "Default value for $%s doesn't match type %s", vd->name, ts);
			}
		}
		check_directives(v, vd->dirs, vd->ndirs, DL_VARIABLE_DEFINITION);
		free(ts);
	}
	v->collect_uses = 1;
	v->nuses = 0;
	collect_uses_in(v, root, op->sel, seen, &nseen, v->d->nfrags + 1);
	for (i = 0; i < op->ndirs; i++) {
		/* directive args on the operation itself */
		size_t a;

		for (a = 0; a < op->dirs[i].nargs; a++)
			if (op->dirs[i].args[a].value->kind == GQL_V_VARIABLE)
				add_use(v, op->dirs[i].args[a].value->str, NULL, 0,
					op->dirs[i].args[a].name, op->dirs[i].args[a].value->loc);
	}
	v->collect_uses = 0;
	for (i = 0; i < v->nuses; i++) {
		struct var_usage *u = &v->uses[i];
		size_t k;

		for (k = 0; k < op->nvars; k++)
			if (strcmp(op->vars[k].name, u->name) == 0)
				break;
		if (k == op->nvars) {
			verr(v, &u->loc, json_incref(u->path),
			     json_pack("{s:s,s:s}", "code", "variableNotDefined",
				       "variableName", u->name),
			     "Variable $%s is used by %s but not declared", u->name, op_label);
			continue;
		}
		used[k] = 1;
		if (u->expected && vtypes[k]) {
			const struct gs_typeref *var = vtypes[k];
			const struct gs_typeref *exp = u->expected;
			const char *why;

			/* A nullable variable with a default (or a location with
			 * a default) may flow into a non-null position. */
			if (exp->kind == GQL_T_NON_NULL && var->kind != GQL_T_NON_NULL &&
			    ((op->vars[k].default_value &&
			      op->vars[k].default_value->kind != GQL_V_NULL) ||
			     u->loc_has_default))
				exp = exp->of;
			why = usage_mismatch(var, exp);
			if (why) {
				char *vs = ref_string(vtypes[k]), *es = ref_string(u->expected);

				verr(v, &u->loc, json_incref(u->path),
				     json_pack("{s:s,s:s,s:s,s:s,s:s}", "code", "variableMismatch",
					       "variableName", u->name, "typeName", vs,
					       "argumentName", u->arg_name, "errorMessage", why),
				     "%s on variable $%s and argument %s (%s / %s)", why, u->name,
				     u->arg_name, vs, es);
				free(vs);
				free(es);
			}
		}
	}
	for (i = 0; i < op->nvars; i++) {
		if (used[i])
			continue;
		verr(v, &op->vars[i].loc, NULL,
		     json_pack("{s:s,s:s}", "code", "variableNotUsed",
			       "variableName", op->vars[i].name),
		     "Variable $%s is declared by %s but not used", op->vars[i].name, op_label);
	}
	for (i = 0; i < v->nuses; i++)
		json_decref(v->uses[i].path);
	v->nuses = 0;
	free(seen);
	free(vtypes);
	free(used);
}

static void mark_spreads(const struct gql_selection_set *set, const struct gql_document *d,
			 int *used)
{
	size_t i, k;

	for (i = 0; i < set->n; i++) {
		const struct gql_selection *sel = set->v[i];

		if (sel->kind == GQL_SEL_SPREAD) {
			for (k = 0; k < d->nfrags; k++)
				if (strcmp(d->frags[k].name, sel->name) == 0)
					used[k] = 1;
		} else if (sel->sel) {
			mark_spreads(sel->sel, d, used);
		}
	}
}

/* Fragment cycles: Tarjan's strongly connected components over the
 * "fragment spreads fragment" graph, linear in the document (a hostile
 * document with many spreads cannot make it exponential). */
struct fgraph {
	const struct gql_document *d;
	size_t *edges, nedges, capedges;	/* pairs: from, to */
	size_t *first;				/* first edge of each node (sorted) */
	size_t *index, *low, *stack;
	int *on_stack, *cyclic;
	size_t counter, sp;
};

static void frag_edges(struct fgraph *g, const struct gql_selection_set *set, size_t from)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		const struct gql_selection *sel = set->v[i];

		if (sel->kind == GQL_SEL_SPREAD) {
			const struct gql_fragment *f = gql_find_fragment(g->d, sel->name);

			if (!f)
				continue;
			g->edges = grow(g->edges, &g->capedges, g->nedges + 1, 2 * sizeof(*g->edges));
			g->edges[2 * g->nedges] = from;
			g->edges[2 * g->nedges + 1] = (size_t)(f - g->d->frags);
			g->nedges++;
		} else if (sel->sel) {
			frag_edges(g, sel->sel, from);
		}
	}
}

static int edge_cmp(const void *a, const void *b)
{
	const size_t *x = a, *y = b;

	return (x[0] > y[0]) - (x[0] < y[0]);
}

static void tarjan(struct fgraph *g, size_t v, int depth)
{
	size_t e;

	g->index[v] = g->low[v] = ++g->counter;
	g->stack[g->sp++] = v;
	g->on_stack[v] = 1;
	for (e = g->first[v]; e < g->nedges && g->edges[2 * e] == v; e++) {
		size_t w = g->edges[2 * e + 1];

		if (w == v)
			g->cyclic[v] = 1;
		if (!g->index[w]) {
			if (depth > 2000) {
				g->cyclic[v] = 1;	/* absurdly deep: refuse */
				continue;
			}
			tarjan(g, w, depth + 1);
			if (g->low[w] < g->low[v])
				g->low[v] = g->low[w];
		} else if (g->on_stack[w] && g->index[w] < g->low[v]) {
			g->low[v] = g->index[w];
		}
	}
	if (g->low[v] == g->index[v]) {
		size_t w, size = 0, start = g->sp;

		do {
			w = g->stack[--start];
			size++;
		} while (w != v);
		while (g->sp > start) {
			w = g->stack[--g->sp];
			g->on_stack[w] = 0;
			if (size > 1)
				g->cyclic[w] = 1;
		}
	}
}

/* cyclic[i] for every fragment of d (caller frees). */
static int *fragment_cycles(const struct gql_document *d)
{
	struct fgraph g;
	size_t i, n = d->nfrags;
	int *cyclic;

	memset(&g, 0, sizeof(g));
	g.d = d;
	for (i = 0; i < n; i++)
		frag_edges(&g, d->frags[i].sel, i);
	if (g.nedges)
		qsort(g.edges, g.nedges, 2 * sizeof(*g.edges), edge_cmp);
	g.first = xcalloc(n + 1, sizeof(*g.first));
	for (i = 0; i <= n; i++)
		g.first[i] = g.nedges;
	for (i = g.nedges; i-- > 0;)
		g.first[g.edges[2 * i]] = i;
	g.index = xcalloc(n + 1, sizeof(*g.index));
	g.low = xcalloc(n + 1, sizeof(*g.low));
	g.stack = xcalloc(n + 1, sizeof(*g.stack));
	g.on_stack = xcalloc(n + 1, sizeof(*g.on_stack));
	g.cyclic = xcalloc(n + 1, sizeof(*g.cyclic));
	for (i = 0; i < n; i++)
		if (!g.index[i])
			tarjan(&g, i, 0);
	cyclic = g.cyclic;
	free(g.edges);
	free(g.first);
	free(g.index);
	free(g.low);
	free(g.stack);
	free(g.on_stack);
	return cyclic;
}

int gql_validate(const struct gql_schema *s, const struct gql_document *d, json_t *errors)
{
	struct vctx v;
	size_t i, j;
	int *fused = xcalloc(d->nfrags + 1, sizeof(*fused));
	int *cyclic = fragment_cycles(d);

	memset(&v, 0, sizeof(v));
	v.s = s;
	v.d = d;
	v.errors = errors;
	/* Operation names. */
	for (i = 0; i < d->nops; i++) {
		if (!d->ops[i].name && d->nops > 1) {
			verr(&v, &d->ops[i].loc, json_array(),
			     json_pack("{s:s}", "code", "uniquelyNamedOperations"),
			     "Operation name is required when multiple operations are present");
			continue;
		}
		for (j = 0; j < i && d->ops[i].name; j++)
			if (d->ops[j].name && strcmp(d->ops[j].name, d->ops[i].name) == 0) {
				verr(&v, &d->ops[i].loc, json_array(),
				     json_pack("{s:s,s:s}", "code", "uniquelyNamedOperations",
					       "operationName", d->ops[i].name),
				     "Operation name \"%s\" must be unique", d->ops[i].name);
				break;
			}
	}
	for (i = 0; i < d->nfrags; i++)
		for (j = 0; j < i; j++)
			if (strcmp(d->frags[j].name, d->frags[i].name) == 0) {
				verr(&v, &d->frags[i].loc, json_array(),
				     json_pack("{s:s,s:s}", "code", "fragmentNamesUnique",
					       "fragmentName", d->frags[i].name),
				     "Fragment name \"%s\" must be unique", d->frags[i].name);
				break;
			}
	for (i = 0; i < d->nops; i++) {
		const struct gql_operation *op = &d->ops[i];
		const struct gs_type *root;
		char *label = gql_operation_path_name(op);
		char *who = op->name ? xstrdup(op->name) :
			    xasprintf("anonymous %s", op->kind == GQL_OP_MUTATION ? "mutation" :
				      op->kind == GQL_OP_SUBSCRIPTION ? "subscription" : "query");

		v.path = json_array();
		path_push(&v, label);
		root = op->kind == GQL_OP_MUTATION ? s->mutation :
		       op->kind == GQL_OP_SUBSCRIPTION ? s->subscription : s->query;
		check_directives(&v, op->dirs, op->ndirs,
				 op->kind == GQL_OP_MUTATION ? DL_MUTATION :
				 op->kind == GQL_OP_SUBSCRIPTION ? DL_SUBSCRIPTION : DL_QUERY);
		if (!root) {
			const char *what = op->kind == GQL_OP_MUTATION ? "mutations" : "subscriptions";

			verr(&v, &op->loc, NULL,
			     json_pack("{s:s}", "code", op->kind == GQL_OP_MUTATION ?
				       "missingMutationConfiguration" :
				       "missingSubscriptionConfiguration"),
			     "Schema is not configured for %s", what);
		} else {
			validate_selection_set(&v, root, op->sel);
			validate_operation_variables(&v, op, who);
		}
		mark_spreads(op->sel, d, fused);
		json_decref(v.path);
		v.path = NULL;
		free(label);
		free(who);
	}
	for (i = 0; i < d->nfrags; i++) {
		const struct gql_fragment *f = &d->frags[i];
		const struct gs_type *t = gql_schema_type(s, f->type_cond);
		char *label = xasprintf("fragment %s", f->name);

		v.path = json_array();
		path_push(&v, label);
		free(label);
		mark_spreads(f->sel, d, fused);
		check_directives(&v, f->dirs, f->ndirs, DL_FRAGMENT_DEFINITION);
		if (cyclic[i]) {
			verr(&v, &f->loc, NULL,
			     json_pack("{s:s,s:s}", "code", "infiniteLoop", "fragmentName", f->name),
			     "Fragment %s contains an infinite loop", f->name);
		} else if (!t) {
			verr(&v, &f->type_cond_loc, NULL,
			     json_pack("{s:s,s:s}", "code", "undefinedType", "typeName", f->type_cond),
			     "No such type %s, so it can't be a fragment condition", f->type_cond);
		} else if (!is_composite(t)) {
			verr(&v, &f->type_cond_loc, NULL,
			     json_pack("{s:s,s:s}", "code", "fragmentOnNonCompositeType",
				       "typeName", f->type_cond),
			     "Invalid fragment on type %s (must be Union, Interface or Object)",
			     f->type_cond);
		} else if (!t->stub) {
			validate_selection_set(&v, t, f->sel);
		}
		json_decref(v.path);
		v.path = NULL;
	}
	for (i = 0; i < d->nfrags; i++) {
		if (fused[i])
			continue;
		verr(&v, &d->frags[i].loc, json_array(),
		     json_pack("{s:s,s:s}", "code", "useAndDefineFragment",
			       "fragmentName", d->frags[i].name),
		     "Fragment %s was defined, but not used", d->frags[i].name);
	}
	free(fused);
	free(cyclic);
	free(v.uses);
	return v.count;
}

/* ------------------------------------------------------------------ */
/* Variable coercion                                                    */

static json_t *literal_to_json(const struct gql_schema *s, const struct gql_value *val,
			       const struct gs_typeref *type, json_t *vars, int *absent);

struct problems {
	json_t *list;		/* [{path, explanation}] */
	json_t *path;		/* current */
};

static void problem(struct problems *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct problems *p, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	json_array_append_new(p->list, json_pack("{s:o,s:s}", "path", json_deep_copy(p->path),
						 "explanation", msg ? msg : "?"));
	free(msg);
}

static json_t *coerce_json(const struct gql_schema *s, const struct gs_typeref *type,
			   json_t *v, struct problems *p)
{
	const struct gs_type *t;

	if (type->kind == GQL_T_NON_NULL) {
		if (!v || json_is_null(v)) {
			problem(p, "Expected value to not be null");
			return NULL;
		}
		return coerce_json(s, type->of, v, p);
	}
	if (!v || json_is_null(v))
		return json_null();
	if (type->kind == GQL_T_LIST) {
		json_t *out = json_array(), *item;
		size_t i;
		int bad = 0;

		if (!json_is_array(v)) {
			json_t *one = coerce_json(s, type->of, v, p);

			if (!one) {
				json_decref(out);
				return NULL;
			}
			json_array_append_new(out, one);
			return out;
		}
		json_array_foreach(v, i, item) {
			json_t *c;

			json_array_append_new(p->path, json_integer((json_int_t)i));
			c = coerce_json(s, type->of, item, p);
			json_array_remove(p->path, json_array_size(p->path) - 1);
			if (!c)
				bad = 1;
			else
				json_array_append_new(out, c);
		}
		if (bad) {
			json_decref(out);
			return NULL;
		}
		return out;
	}
	t = type->type;
	switch (t->kind) {
	case GS_INPUT: {
		json_t *out;
		const char *key;
		json_t *fv;
		size_t i;
		int bad = 0;

		if (t->stub)
			return json_incref(v);
		if (!json_is_object(v)) {
			char *ins = inspect_json(v);

			problem(p, "Expected %s to be a key-value object.", ins);
			free(ins);
			return NULL;
		}
		out = json_object();
		json_object_foreach(v, key, fv) {
			if (!gs_type_input(t, key)) {
				json_array_append_new(p->path, json_string(key));
				problem(p, "Field is not defined on %s", t->name);
				json_array_remove(p->path, json_array_size(p->path) - 1);
				bad = 1;
			}
		}
		for (i = 0; i < t->ninputs; i++) {
			const struct gs_input_value *iv = &t->inputs[i];
			json_t *given = json_object_get(v, iv->name), *c = NULL;

			json_array_append_new(p->path, json_string(iv->name));
			if (given) {
				c = coerce_json(s, iv->type, given, p);
				if (!c)
					bad = 1;
			} else if (iv->default_value) {
				int absent = 0;

				c = literal_to_json(s, iv->default_value, iv->type, NULL, &absent);
			} else if (iv->type->kind == GQL_T_NON_NULL) {
				problem(p, "Expected value to not be null");
				bad = 1;
			}
			json_array_remove(p->path, json_array_size(p->path) - 1);
			if (c)
				json_object_set_new(out, iv->name, c);
		}
		if (!bad && t->one_of && json_object_size(v) != 1) {
			problem(p, "'%s' requires exactly one argument", t->name);
			bad = 1;
		}
		if (bad) {
			json_decref(out);
			return NULL;
		}
		return out;
	}
	case GS_ENUM: {
		size_t i;
		struct strbuf sb = STRBUF_INIT;
		char *ins;

		if (json_is_string(v))
			for (i = 0; i < t->nvalues; i++)
				if (strcmp(t->values[i], json_string_value(v)) == 0)
					return json_incref(v);
		for (i = 0; i < t->nvalues; i++) {
			if (i)
				sb_add(&sb, ", ");
			sb_add(&sb, t->values[i]);
		}
		ins = inspect_json(v);
		problem(p, "Expected %s to be one of: %s", ins, sb.buf ? sb.buf : "");
		free(ins);
		sb_free(&sb);
		return NULL;
	}
	case GS_SCALAR: {
		json_t *out;
		char *ins;

		if (scalar_json_coerce(t->name, v, &out) == 0)
			return out;
		ins = inspect_json(v);
		problem(p, "Could not coerce value %s to %s", ins, t->name);
		free(ins);
		return NULL;
	}
	default:
		problem(p, "%s is not an input type", t->name);
		return NULL;
	}
}

/* Literal -> JSON for execution (validation already passed). */
static json_t *literal_to_json(const struct gql_schema *s, const struct gql_value *val,
			       const struct gs_typeref *type, json_t *vars, int *absent)
{
	const struct gs_type *t;

	*absent = 0;
	if (val->kind == GQL_V_VARIABLE) {
		json_t *j = vars ? json_object_get(vars, val->str) : NULL;

		if (!j) {
			*absent = 1;
			return NULL;
		}
		return json_incref(j);
	}
	if (type->kind == GQL_T_NON_NULL)
		return literal_to_json(s, val, type->of, vars, absent);
	if (val->kind == GQL_V_NULL)
		return json_null();
	if (type->kind == GQL_T_LIST) {
		json_t *out = json_array();
		size_t i;

		if (val->kind != GQL_V_LIST) {
			json_t *one = literal_to_json(s, val, type->of, vars, absent);

			json_array_append_new(out, one ? one : json_null());
			*absent = 0;
			return out;
		}
		for (i = 0; i < val->n; i++) {
			int a = 0;
			json_t *one = literal_to_json(s, val->items[i], type->of, vars, &a);

			json_array_append_new(out, one ? one : json_null());
		}
		return out;
	}
	t = type->type;
	if (t->kind == GS_INPUT && !t->stub && val->kind == GQL_V_OBJECT) {
		json_t *out = json_object();
		size_t i, j;

		for (i = 0; i < t->ninputs; i++) {
			const struct gs_input_value *iv = &t->inputs[i];
			json_t *c = NULL;
			int a = 0;

			for (j = 0; j < val->n; j++)
				if (strcmp(val->fields[j].name, iv->name) == 0)
					break;
			if (j < val->n)
				c = literal_to_json(s, val->fields[j].value, iv->type, vars, &a);
			if ((j == val->n || a) && iv->default_value)
				c = literal_to_json(s, iv->default_value, iv->type, NULL, &a);
			if (c)
				json_object_set_new(out, iv->name, c);
		}
		return out;
	}
	if (t->kind == GS_SCALAR && val->kind == GQL_V_INT) {
		enum scalar_kind k = scalar_kind(t->name);

		if (k == SC_ID || k == SC_UINT64 || k == SC_DECIMAL)
			return json_stringn(val->str, val->len);
		if (k == SC_FLOAT)
			return json_real(strtod(val->str, NULL));
	}
	return gql_value_to_json(val, vars, NULL);
}

int gql_coerce_variables(const struct gql_schema *s, const struct gql_operation *op,
			 json_t *in, json_t **out, json_t *errors)
{
	json_t *res = json_object();
	size_t i;
	int bad = 0;
	struct gql_arena *a = gql_arena_new();

	*out = NULL;
	for (i = 0; i < op->nvars; i++) {
		const struct gql_var_def *vd = &op->vars[i];
		const struct gs_typeref *type = doc_ref(s, a, vd->type);
		json_t *given = in ? json_object_get(in, vd->name) : NULL;
		json_t *c = NULL;
		struct problems p;

		if (!type)
			continue;	/* reported by validation */
		if (!given && vd->default_value) {
			int absent = 0;

			c = literal_to_json(s, vd->default_value, type, NULL, &absent);
			if (c)
				json_object_set_new(res, vd->name, c);
			continue;
		}
		if (!given && type->kind != GQL_T_NON_NULL)
			continue;	/* absent stays absent */
		p.list = json_array();
		p.path = json_array();
		c = coerce_json(s, type, given, &p);
		if (!c || json_array_size(p.list)) {
			struct strbuf msg = STRBUF_INIT;
			char *ts = gql_type_string(vd->type);
			size_t k;
			json_t *pr;
			int first = 1;

			sb_addf(&msg, "Variable $%s of type %s was provided invalid value", vd->name, ts);
			json_array_foreach(p.list, k, pr) {
				json_t *pp = json_object_get(pr, "path");
				size_t m;
				json_t *seg;
				struct strbuf ps = STRBUF_INIT;

				if (json_array_size(pp) == 0)
					continue;
				json_array_foreach(pp, m, seg) {
					if (m)
						sb_add(&ps, ".");
					if (json_is_integer(seg))
						sb_addf(&ps, "%" JSON_INTEGER_FORMAT, json_integer_value(seg));
					else
						sb_add(&ps, json_string_value(seg));
				}
				sb_addf(&msg, "%s%s (%s)", first ? " for " : ", ", ps.buf,
					json_string_value(json_object_get(pr, "explanation")));
				first = 0;
				sb_free(&ps);
			}
			json_array_append_new(errors,
				gql_error_new(msg.buf, &vd->loc, NULL,
					      json_pack("{s:s,s:O,s:O}", "code", "INVALID_VARIABLE",
							"value", given ? given : json_null(),
							"problems", p.list)));
			sb_free(&msg);
			free(ts);
			json_decref(c);
			bad = 1;
		} else {
			json_object_set_new(res, vd->name, c);
		}
		json_decref(p.list);
		json_decref(p.path);
	}
	gql_arena_free(a);
	if (bad) {
		json_decref(res);
		return -1;
	}
	*out = res;
	return 0;
}

/* ------------------------------------------------------------------ */
/* CollectFields                                                        */

struct fgroup {
	const char *key;
	const char *name;
	const struct gql_selection **nodes;
	size_t n, cap;
};

struct fgroups {
	struct fgroup *v;
	size_t n, cap;
	size_t *idx;		/* hash of keys -> position + 1, once n > 16 */
	size_t idx_cap;
};

static void fgroups_free(struct fgroups *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		free(g->v[i].nodes);
	free(g->v);
	free(g->idx);
	memset(g, 0, sizeof(*g));
}

static void fgroups_index(struct fgroups *g, size_t pos)
{
	size_t i;

	if (g->n <= 16)
		return;
	if (g->n * 2 > g->idx_cap) {
		free(g->idx);
		g->idx_cap = 64;
		while (g->idx_cap < g->n * 4)
			g->idx_cap <<= 1;
		g->idx = xcalloc(g->idx_cap, sizeof(*g->idx));
		for (pos = 0; pos < g->n; pos++) {
			i = hash_str(g->v[pos].key) & (g->idx_cap - 1);
			while (g->idx[i])
				i = (i + 1) & (g->idx_cap - 1);
			g->idx[i] = pos + 1;
		}
		return;
	}
	i = hash_str(g->v[pos].key) & (g->idx_cap - 1);
	while (g->idx[i])
		i = (i + 1) & (g->idx_cap - 1);
	g->idx[i] = pos + 1;
}

static struct fgroup *fgroups_find(struct fgroups *g, const char *key)
{
	size_t i;

	if (!g->idx) {
		for (i = 0; i < g->n; i++)
			if (strcmp(g->v[i].key, key) == 0)
				return &g->v[i];
		return NULL;
	}
	i = hash_str(key) & (g->idx_cap - 1);
	while (g->idx[i]) {
		if (strcmp(g->v[g->idx[i] - 1].key, key) == 0)
			return &g->v[g->idx[i] - 1];
		i = (i + 1) & (g->idx_cap - 1);
	}
	return NULL;
}

static int directive_if(const struct gql_directive *d, json_t *vars)
{
	size_t i;

	for (i = 0; i < d->nargs; i++) {
		if (strcmp(d->args[i].name, "if") == 0) {
			json_t *j = gql_value_to_json(d->args[i].value, vars, NULL);
			int r = json_is_true(j);

			json_decref(j);
			return r;
		}
	}
	return 0;
}

static int should_include(const struct gql_directive *dirs, size_t n, json_t *vars)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(dirs[i].name, "skip") == 0 && directive_if(&dirs[i], vars))
			return 0;
		if (strcmp(dirs[i].name, "include") == 0 && !directive_if(&dirs[i], vars))
			return 0;
	}
	return 1;
}

/* For a runtime type t (normally an object; abstract t during cost
 * computation), does a fragment with condition `cond` apply? */
static int cond_applies(const struct gql_schema *s, const struct gs_type *t,
			const char *cond)
{
	const struct gs_type *c;

	if (!cond)
		return 1;
	c = gql_schema_type(s, cond);
	if (!c)
		return 0;
	return gs_type_applies(t, c);
}

static void collect_fields(const struct gql_schema *s, const struct gql_document *d,
			   const struct gs_type *t, const struct gql_selection_set *set,
			   json_t *vars, struct fgroups *out, const char **visited,
			   size_t *nvisited, size_t capvisited)
{
	size_t i, k;

	for (i = 0; i < set->n; i++) {
		const struct gql_selection *sel = set->v[i];

		if (!should_include(sel->dirs, sel->ndirs, vars))
			continue;
		if (sel->kind == GQL_SEL_FIELD) {
			const char *key = gql_response_key(sel);
			struct fgroup *g = fgroups_find(out, key);

			if (!g) {
				out->v = grow(out->v, &out->cap, out->n, sizeof(*out->v));
				g = &out->v[out->n++];
				memset(g, 0, sizeof(*g));
				g->key = key;
				g->name = sel->name;
				fgroups_index(out, out->n - 1);
			}
			g->nodes = grow(g->nodes, &g->cap, g->n, sizeof(*g->nodes));
			g->nodes[g->n++] = sel;
		} else if (sel->kind == GQL_SEL_INLINE) {
			if (cond_applies(s, t, sel->type_cond))
				collect_fields(s, d, t, sel->sel, vars, out, visited, nvisited,
					       capvisited);
		} else {
			const struct gql_fragment *f;

			for (k = 0; k < *nvisited; k++)
				if (strcmp(visited[k], sel->name) == 0)
					break;
			if (k < *nvisited || *nvisited >= capvisited)
				continue;
			visited[(*nvisited)++] = sel->name;
			f = gql_find_fragment(d, sel->name);
			if (f && cond_applies(s, t, f->type_cond))
				collect_fields(s, d, t, f->sel, vars, out, visited, nvisited,
					       capvisited);
		}
	}
}

/* Collect over the sub-selections of several field nodes. */
static void collect_sub(const struct gql_schema *s, const struct gql_document *d,
			const struct gs_type *t, const struct gql_selection *const *nodes,
			size_t n, json_t *vars, struct fgroups *out)
{
	const char **visited = xcalloc(d->nfrags + 1, sizeof(*visited));
	size_t nvisited = 0, i;

	for (i = 0; i < n; i++)
		if (nodes[i]->sel)
			collect_fields(s, d, t, nodes[i]->sel, vars, out, visited, &nvisited,
				       d->nfrags + 1);
	free(visited);
}

/* ------------------------------------------------------------------ */
/* Cost                                                                 */

struct cost_ctx {
	const struct gql_schema *s;
	const struct gql_document *d;
	json_t *vars;
	int depth;
};

static long selection_cost(struct cost_ctx *c, const struct gs_type *t,
			   const struct gql_selection *const *nodes, size_t n);

static int is_connection(const struct gs_type *t)
{
	size_t len;

	if (!t || t->kind != GS_OBJECT)
		return 0;
	len = strlen(t->name);
	return len > 10 && strcmp(t->name + len - 10, "Connection") == 0 &&
	       gs_type_field(t, "pageInfo") != NULL;
}

static long arg_int(const struct gql_selection *sel, const char *name, json_t *vars,
		    int *present)
{
	size_t i;

	*present = 0;
	for (i = 0; i < sel->nargs; i++) {
		if (strcmp(sel->args[i].name, name) == 0) {
			json_t *j = gql_value_to_json(sel->args[i].value, vars, NULL);
			long r = 0;

			if (json_is_integer(j)) {
				*present = 1;
				r = (long)json_integer_value(j);
			}
			json_decref(j);
			return r;
		}
	}
	return 0;
}

static size_t arg_list_len(const struct gql_selection *sel, const char *name, json_t *vars)
{
	size_t i, r = 0;

	for (i = 0; i < sel->nargs; i++) {
		if (strcmp(sel->args[i].name, name) == 0) {
			json_t *j = gql_value_to_json(sel->args[i].value, vars, NULL);

			r = json_is_array(j) ? json_array_size(j) : 1;
			json_decref(j);
		}
	}
	return r;
}

/* The node selections of a connection: nodes { .. } and edges { node { .. } }. */
static void connection_node_nodes(const struct gql_schema *s, const struct gql_document *d,
				  const struct gs_type *conn,
				  const struct gql_selection *const *nodes, size_t n,
				  json_t *vars, const struct gql_selection ***out, size_t *nout)
{
	struct fgroups g = { 0 };
	size_t i, j, cap = 0;
	const struct gs_field *ef = gs_type_field(conn, "edges");

	*out = NULL;
	*nout = 0;
	collect_sub(s, d, conn, nodes, n, vars, &g);
	for (i = 0; i < g.n; i++) {
		if (strcmp(g.v[i].name, "nodes") == 0) {
			for (j = 0; j < g.v[i].n; j++) {
				*out = grow(*out, &cap, *nout, sizeof(**out));
				(*out)[(*nout)++] = g.v[i].nodes[j];
			}
		} else if (strcmp(g.v[i].name, "edges") == 0 && ef) {
			struct fgroups eg = { 0 };
			size_t k;

			collect_sub(s, d, gs_named(ef->type), g.v[i].nodes, g.v[i].n, vars, &eg);
			for (k = 0; k < eg.n; k++) {
				if (strcmp(eg.v[k].name, "node") != 0)
					continue;
				for (j = 0; j < eg.v[k].n; j++) {
					*out = grow(*out, &cap, *nout, sizeof(**out));
					(*out)[(*nout)++] = eg.v[k].nodes[j];
				}
			}
			fgroups_free(&eg);
		}
	}
	fgroups_free(&g);
}

/* Cost of an object of (possibly abstract) type t with these nodes'
 * sub-selections, not counting the object itself. */
static long children_cost(struct cost_ctx *c, const struct gs_type *t,
			  const struct gql_selection *const *nodes, size_t n)
{
	struct fgroups g = { 0 };
	long total = 0;
	size_t i;

	if (!t || t->stub || c->depth > 64)
		return 0;
	if (t->kind != GS_OBJECT) {
		/* Abstract: the max over the object types the selection names
		 * (and the abstract type itself for its own fields). */
		long best;
		size_t k;

		collect_sub(c->s, c->d, t, nodes, n, c->vars, &g);
		c->depth++;
		for (i = 0; i < g.n; i++)
			total += selection_cost(c, t, (const struct gql_selection *const *)g.v[i].nodes,
						g.v[i].n);
		c->depth--;
		fgroups_free(&g);
		best = total;
		for (k = 0; k < t->npossible; k++) {
			const struct gs_type *o = t->possible[k];
			long sub = 0;
			int named = 0;
			size_t m;

			/* only object types some fragment names explicitly */
			for (m = 0; m < n && !named; m++) {
				size_t q;

				if (!nodes[m]->sel)
					continue;
				for (q = 0; q < nodes[m]->sel->n; q++) {
					const struct gql_selection *sel = nodes[m]->sel->v[q];
					const char *cond = sel->kind == GQL_SEL_INLINE ? sel->type_cond :
						sel->kind == GQL_SEL_SPREAD && gql_find_fragment(c->d, sel->name) ?
						gql_find_fragment(c->d, sel->name)->type_cond : NULL;

					if (cond && strcmp(cond, o->name) == 0)
						named = 1;
				}
			}
			if (!named)
				continue;
			collect_sub(c->s, c->d, o, nodes, n, c->vars, &g);
			c->depth++;
			for (i = 0; i < g.n; i++)
				sub += selection_cost(c, o,
						      (const struct gql_selection *const *)g.v[i].nodes,
						      g.v[i].n);
			c->depth--;
			fgroups_free(&g);
			if (sub > best)
				best = sub;
		}
		return best;
	}
	collect_sub(c->s, c->d, t, nodes, n, c->vars, &g);
	c->depth++;
	for (i = 0; i < g.n; i++)
		total += selection_cost(c, t, (const struct gql_selection *const *)g.v[i].nodes,
					g.v[i].n);
	c->depth--;
	fgroups_free(&g);
	return total;
}

/* Cost of one response key (all its field nodes) on parent type t. */
static long selection_cost(struct cost_ctx *c, const struct gs_type *t,
			   const struct gql_selection *const *nodes, size_t n)
{
	const struct gs_field *def;
	const struct gs_type *rt;
	long cost;

	if (strncmp(nodes[0]->name, "__", 2) == 0)
		return 0;
	def = gs_type_field(t, nodes[0]->name);
	if (!def)
		return 0;
	rt = gs_named(def->type);
	if (!is_composite(rt))
		return 0;
	if (strcmp(rt->name, "PageInfo") == 0)
		return 0;
	if (t == c->s->mutation) {
		/* The payload and the objects directly under it are part of
		 * the mutation's price (live: tagsAdd { node { id } userErrors }
		 * 10, fulfillmentCreate { fulfillment { trackingInfo } } 11). */
		struct fgroups g = { 0 };
		long total = mutation_cost(c->s, nodes[0]->name);
		size_t i;

		collect_sub(c->s, c->d, rt, nodes, n, c->vars, &g);
		c->depth++;
		for (i = 0; i < g.n; i++) {
			const struct gs_field *pf = gs_type_field(rt, g.v[i].name);
			long sub = selection_cost(c, rt, (const struct gql_selection *const *)g.v[i].nodes,
						  g.v[i].n);

			if (pf && sub > 0 && !is_connection(gs_named(pf->type)))
				sub -= 1;
			total += sub;
		}
		c->depth--;
		fgroups_free(&g);
		return total;
	}
	if (is_connection(rt)) {
		int has_first, has_last;
		long first = arg_int(nodes[0], "first", c->vars, &has_first);
		long last = arg_int(nodes[0], "last", c->vars, &has_last);
		long size = has_first ? first : has_last ? last : 0;
		const struct gql_selection **nn;
		size_t nnn;
		const struct gs_field *nf = gs_type_field(rt, "nodes");
		long node_cost = 0;

		if (size < 0)
			size = 0;
		connection_node_nodes(c->s, c->d, rt, nodes, n, c->vars, &nn, &nnn);
		if (nnn && nf)
			node_cost = 1 + children_cost(c, gs_named(nf->type),
						      (const struct gql_selection *const *)nn, nnn);
		free(nn);
		return 2 + size * node_cost;
	}
	cost = 1 + children_cost(c, rt, nodes, n);
	if (gs_is_list(def->type)) {
		size_t ids = arg_list_len(nodes[0], "ids", c->vars);

		if (ids > 1)
			cost *= (long)ids;
	}
	return cost;
}

long gql_requested_cost(const struct gql_schema *s, const struct gql_document *d,
			const struct gql_operation *op, json_t *vars)
{
	struct cost_ctx c = { s, d, vars, 0 };
	const struct gs_type *root = op->kind == GQL_OP_MUTATION ? s->mutation : s->query;
	struct fgroups g = { 0 };
	const char **visited = xcalloc(d->nfrags + 1, sizeof(*visited));
	size_t nvisited = 0, i;
	long total = 0;

	if (!root) {
		free(visited);
		return 0;
	}
	collect_fields(s, d, root, op->sel, vars, &g, visited, &nvisited, d->nfrags + 1);
	for (i = 0; i < g.n; i++)
		total += selection_cost(&c, root, (const struct gql_selection *const *)g.v[i].nodes,
					g.v[i].n);
	fgroups_free(&g);
	free(visited);
	return total;
}

/* ------------------------------------------------------------------ */
/* Execution                                                            */

struct exec {
	const struct gql_schema *s;
	const struct gql_document *d;
	json_t *vars;
	gql_resolve_fn resolve;
	void *user;
	json_t *errors;
	json_t *path;
	int depth;
};

struct gql_connection *gql_connection_new(size_t cap)
{
	struct gql_connection *c = xcalloc(1, sizeof(*c));

	if (cap) {
		c->nodes = xcalloc(cap, sizeof(*c->nodes));
		c->cursors = xcalloc(cap, sizeof(*c->cursors));
	}
	return c;
}

void gql_connection_add(struct gql_connection *c, void *node, char *cursor)
{
	c->nodes = xrealloc(c->nodes, (c->n + 1) * sizeof(*c->nodes));
	c->cursors = xrealloc(c->cursors, (c->n + 1) * sizeof(*c->cursors));
	c->nodes[c->n] = node;
	c->cursors[c->n] = cursor;
	c->n++;
}

static void connection_free(struct gql_connection *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++)
		free(c->cursors[i]);
	free(c->cursors);
	free(c->nodes);
	free(c);
}

static void res_clear(struct gql_res *r)
{
	size_t i;

	json_decref(r->leaf);
	for (i = 0; i < r->n && r->items; i++)
		res_clear(&r->items[i]);
	free(r->items);
	connection_free(r->conn);
	free(r->message);
	json_decref(r->extensions);
	memset(r, 0, sizeof(*r));
}

void gql_res_leaf(struct gql_res *r, json_t *leaf)
{
	r->kind = leaf && !json_is_null(leaf) ? GQL_RES_LEAF : GQL_RES_NULL;
	if (r->kind == GQL_RES_LEAF)
		r->leaf = leaf;
	else
		json_decref(leaf);
}

void gql_res_object(struct gql_res *r, const char *type, void *obj)
{
	r->kind = obj ? GQL_RES_OBJECT : GQL_RES_NULL;
	r->type = type;
	r->obj = obj;
}

void gql_res_error(struct gql_res *r, const char *fmt, ...)
{
	va_list ap;

	r->kind = GQL_RES_ERROR;
	va_start(ap, fmt);
	if (vasprintf(&r->message, fmt, ap) < 0)
		r->message = NULL;
	va_end(ap);
}

void gql_res_list(struct gql_res *r, size_t n)
{
	r->kind = GQL_RES_LIST;
	r->n = n;
	r->items = xcalloc(n ? n : 1, sizeof(*r->items));
}

static void exec_error(struct exec *x, const struct gql_selection *node, const char *msg,
		       json_t *ext)
{
	json_array_append_new(x->errors, gql_error_new(msg, &node->loc,
						       json_deep_copy(x->path), ext));
}

/* Returns 0 with *out set, or -1: the value is null in a non-null
 * position (error already recorded) and the parent must null out. */
static int execute_object(struct exec *x, const struct gs_type *t, void *obj,
			  const struct gql_selection *const *nodes, size_t n,
			  json_t **out, long *cost, int free_level);
static int execute_connection(struct exec *x, const struct gs_type *t,
			      struct gql_connection *conn,
			      const struct gql_selection *const *nodes, size_t n,
			      json_t **out, long *cost);

/* free_level: 2 for a mutation's payload (it and its direct child
 * objects are in the mutation's price), 1 for those children, 0 else. */
static int complete_value(struct exec *x, const struct gs_typeref *type,
			  const struct gql_selection *const *nodes, size_t n,
			  struct gql_res *r, const char *parent_type, json_t **out,
			  long *cost, int free_level)
{
	*out = NULL;
	*cost = 0;
	if (r->kind == GQL_RES_ERROR || r->kind == GQL_RES_UNIMPLEMENTED) {
		char *msg = r->kind == GQL_RES_ERROR ? xstrdup(r->message ? r->message : "error") :
			    xasprintf("shopify-emu: %s.%s is not implemented", parent_type,
				      nodes[0]->name);

		exec_error(x, nodes[0], msg, r->extensions);
		r->extensions = NULL;
		free(msg);
		if (type->kind == GQL_T_NON_NULL)
			return -1;
		*out = json_null();
		return 0;
	}
	if (type->kind == GQL_T_NON_NULL) {
		if (r->kind == GQL_RES_NULL) {
			char *msg = xasprintf("Cannot return null for non-nullable field %s.%s",
					      parent_type, nodes[0]->name);

			exec_error(x, nodes[0], msg, NULL);
			free(msg);
			return -1;
		}
		if (complete_value(x, type->of, nodes, n, r, parent_type, out, cost, free_level) < 0)
			return -1;
		if (json_is_null(*out)) {
			json_decref(*out);
			*out = NULL;
			return -1;
		}
		return 0;
	}
	if (r->kind == GQL_RES_NULL) {
		*out = json_null();
		return 0;
	}
	if (type->kind == GQL_T_LIST) {
		json_t *arr = json_array();
		size_t i;
		long maxc = 0;

		if (r->kind == GQL_RES_LEAF && json_is_array(r->leaf)) {
			/* a list of scalars/enums answered in one piece */
			json_decref(arr);
			*out = r->leaf;
			r->leaf = NULL;
			return 0;
		}
		if (r->kind != GQL_RES_LIST) {
			exec_error(x, nodes[0], "shopify-emu: internal error: list expected", NULL);
			json_decref(arr);
			*out = json_null();
			return 0;
		}
		for (i = 0; i < r->n; i++) {
			json_t *item;
			long c = 0;
			int rc;

			json_array_append_new(x->path, json_integer((json_int_t)i));
			rc = complete_value(x, type->of, nodes, n, &r->items[i], parent_type,
					    &item, &c, free_level);
			json_array_remove(x->path, json_array_size(x->path) - 1);
			if (rc < 0) {
				json_decref(arr);
				*out = json_null();
				return 0;	/* nullable list: becomes null */
			}
			json_array_append_new(arr, item);
			if (c > maxc)
				maxc = c;
		}
		*out = arr;
		*cost = maxc;
		return 0;
	}
	{
		const struct gs_type *t = type->type;

		if (t->kind == GS_SCALAR || t->kind == GS_ENUM) {
			if (r->kind != GQL_RES_LEAF) {
				exec_error(x, nodes[0], "shopify-emu: internal error: leaf expected", NULL);
				*out = json_null();
				return 0;
			}
			*out = r->leaf;
			r->leaf = NULL;
			return 0;
		}
		if (r->kind == GQL_RES_CONNECTION)
			return execute_connection(x, t, r->conn, nodes, n, out, cost);
		if (r->kind == GQL_RES_OBJECT) {
			const struct gs_type *ct = t;

			if (t->kind != GS_OBJECT) {
				ct = r->type ? gql_schema_type(x->s, r->type) : NULL;
				if (!ct || !gs_type_applies(ct, t)) {
					exec_error(x, nodes[0], "shopify-emu: internal error: bad runtime type", NULL);
					*out = json_null();
					return 0;
				}
			}
			if (execute_object(x, ct, r->obj, nodes, n, out, cost,
					   free_level == 2 ? 1 : 0) < 0) {
				*out = json_null();
				*cost = 0;
			} else if (!free_level) {
				*cost += 1;
			}
			return 0;
		}
		exec_error(x, nodes[0], "shopify-emu: internal error: object expected", NULL);
		*out = json_null();
		return 0;
	}
}

static json_t *coerce_args(struct exec *x, const struct gs_field *def,
			   const struct gql_selection *node)
{
	json_t *args = json_object();
	size_t i, j;

	for (i = 0; i < def->nargs; i++) {
		const struct gs_input_value *a = &def->args[i];
		json_t *v = NULL;
		int absent = 1;

		for (j = 0; j < node->nargs; j++)
			if (strcmp(node->args[j].name, a->name) == 0)
				v = literal_to_json(x->s, node->args[j].value, a->type, x->vars,
						    &absent);
		if ((absent || !v) && a->default_value) {
			json_decref(v);
			v = literal_to_json(x->s, a->default_value, a->type, NULL, &absent);
		}
		if (v)
			json_object_set_new(args, a->name, v);
	}
	return args;
}

static int execute_field(struct exec *x, const struct gs_type *t, void *obj,
			 const struct fgroup *g, json_t *result, long *cost, int free_level)
{
	const struct gs_field *def;
	struct gql_field_call call;
	struct gql_res r;
	json_t *value = NULL;
	int rc;

	*cost = 0;
	if (strcmp(g->name, "__typename") == 0) {
		json_object_set_new(result, g->key, json_string(t->name));
		return 0;
	}
	def = gs_type_field(t, g->name);
	json_array_append_new(x->path, json_string(g->key));
	memset(&r, 0, sizeof(r));
	if (!def) {
		/* __schema / __type */
		char *msg = xasprintf("shopify-emu: %s is not implemented", g->name);

		exec_error(x, g->nodes[0], msg, NULL);
		free(msg);
		json_object_set_new(result, g->key, json_null());
		json_array_remove(x->path, json_array_size(x->path) - 1);
		return 0;
	}
	memset(&call, 0, sizeof(call));
	call.parent_type = t->name;
	call.parent = obj;
	call.field = g->name;
	call.def = def;
	call.node = g->nodes[0];
	call.args = coerce_args(x, def, g->nodes[0]);
	call.is_mutation_root = t == x->s->mutation;
	x->resolve(x->user, &call, &r);
	rc = complete_value(x, def->type, g->nodes, g->n, &r, t->name, &value, cost,
			    call.is_mutation_root ? 2 : free_level);
	if (rc == 0 && call.is_mutation_root)
		*cost += mutation_cost(x->s, g->name);
	res_clear(&r);
	json_decref(call.args);
	json_array_remove(x->path, json_array_size(x->path) - 1);
	if (rc < 0)
		return -1;
	json_object_set_new(result, g->key, value);
	return 0;
}

static int execute_object(struct exec *x, const struct gs_type *t, void *obj,
			  const struct gql_selection *const *nodes, size_t n,
			  json_t **out, long *cost, int free_level)
{
	struct fgroups g = { 0 };
	json_t *result = json_object();
	size_t i;
	int ret = 0;

	*cost = 0;
	*out = NULL;
	if (++x->depth > 64) {
		x->depth--;
		json_decref(result);
		exec_error(x, nodes[0], "shopify-emu: selection too deep", NULL);
		return -1;
	}
	collect_sub(x->s, x->d, t, nodes, n, x->vars, &g);
	for (i = 0; i < g.n; i++) {
		long c = 0;

		if (execute_field(x, t, obj, &g.v[i], result, &c, free_level) < 0) {
			ret = -1;
			break;
		}
		*cost += c;
	}
	fgroups_free(&g);
	x->depth--;
	if (ret < 0) {
		json_decref(result);
		return -1;
	}
	*out = result;
	return 0;
}

static int execute_connection(struct exec *x, const struct gs_type *t,
			      struct gql_connection *conn,
			      const struct gql_selection *const *nodes, size_t n,
			      json_t **out, long *cost)
{
	struct fgroups g = { 0 };
	json_t *result = json_object();
	const struct gs_field *nf = gs_type_field(t, "nodes");
	const struct gs_field *ef = gs_type_field(t, "edges");
	const struct gs_type *node_type = conn->node_type ?
		gql_schema_type(x->s, conn->node_type) : nf ? gs_named(nf->type) : NULL;
	size_t i, k;
	long node_cost_sum = 0;
	int nodes_counted = 0;

	*out = NULL;
	*cost = 0;
	collect_sub(x->s, x->d, t, nodes, n, x->vars, &g);
	for (i = 0; i < g.n; i++) {
		const struct fgroup *fg = &g.v[i];

		json_array_append_new(x->path, json_string(fg->key));
		if (strcmp(fg->name, "__typename") == 0) {
			json_object_set_new(result, fg->key, json_string(t->name));
		} else if (strcmp(fg->name, "nodes") == 0 && node_type) {
			json_t *arr = json_array();
			long sum = 0;

			for (k = 0; k < conn->n; k++) {
				json_t *o;
				long c = 0;

				json_array_append_new(x->path, json_integer((json_int_t)k));
				if (execute_object(x, node_type, conn->nodes[k], fg->nodes, fg->n,
						   &o, &c, 0) < 0)
					o = json_null();	/* [Node!]!: Shopify nulls the node */
				json_array_remove(x->path, json_array_size(x->path) - 1);
				json_array_append_new(arr, o);
				sum += c + 1;
			}
			json_object_set_new(result, fg->key, arr);
			if (!nodes_counted || sum > node_cost_sum)
				node_cost_sum = sum;
			nodes_counted = 1;
		} else if (strcmp(fg->name, "edges") == 0 && ef && node_type) {
			const struct gs_type *et = gs_named(ef->type);
			json_t *arr = json_array();
			long sum = 0;

			for (k = 0; k < conn->n; k++) {
				struct fgroups eg = { 0 };
				json_t *edge = json_object();
				size_t m;

				json_array_append_new(x->path, json_integer((json_int_t)k));
				collect_sub(x->s, x->d, et, fg->nodes, fg->n, x->vars, &eg);
				for (m = 0; m < eg.n; m++) {
					const struct fgroup *e = &eg.v[m];

					if (strcmp(e->name, "cursor") == 0) {
						json_object_set_new(edge, e->key,
								    json_string(conn->cursors[k] ?
										conn->cursors[k] : ""));
					} else if (strcmp(e->name, "node") == 0) {
						json_t *o;
						long c = 0;

						json_array_append_new(x->path, json_string(e->key));
						if (execute_object(x, node_type, conn->nodes[k], e->nodes,
								   e->n, &o, &c, 0) < 0)
							o = json_null();
						json_array_remove(x->path, json_array_size(x->path) - 1);
						json_object_set_new(edge, e->key, o);
						sum += c + 1;
					} else if (strcmp(e->name, "__typename") == 0) {
						json_object_set_new(edge, e->key, json_string(et->name));
					} else {
						char *msg = xasprintf("shopify-emu: %s.%s is not implemented",
								      et->name, e->name);

						json_array_append_new(x->path, json_string(e->key));
						exec_error(x, e->nodes[0], msg, NULL);
						json_array_remove(x->path, json_array_size(x->path) - 1);
						free(msg);
						json_object_set_new(edge, e->key, json_null());
					}
				}
				fgroups_free(&eg);
				json_array_remove(x->path, json_array_size(x->path) - 1);
				json_array_append_new(arr, edge);
			}
			json_object_set_new(result, fg->key, arr);
			if (!nodes_counted || sum > node_cost_sum)
				node_cost_sum = sum;
			nodes_counted = 1;
		} else if (strcmp(fg->name, "pageInfo") == 0) {
			struct fgroups pg = { 0 };
			json_t *pi = json_object();
			const struct gs_type *pt = gql_schema_type(x->s, "PageInfo");
			size_t m;

			collect_sub(x->s, x->d, pt, fg->nodes, fg->n, x->vars, &pg);
			for (m = 0; m < pg.n; m++) {
				const char *nm = pg.v[m].name;
				json_t *val;

				if (strcmp(nm, "hasNextPage") == 0)
					val = json_boolean(conn->has_next);
				else if (strcmp(nm, "hasPreviousPage") == 0)
					val = json_boolean(conn->has_prev);
				else if (strcmp(nm, "startCursor") == 0)
					val = conn->n ? json_string(conn->cursors[0]) : json_null();
				else if (strcmp(nm, "endCursor") == 0)
					val = conn->n ? json_string(conn->cursors[conn->n - 1]) : json_null();
				else if (strcmp(nm, "__typename") == 0)
					val = json_string("PageInfo");
				else
					val = json_null();
				json_object_set_new(pi, pg.v[m].key, val);
			}
			fgroups_free(&pg);
			json_object_set_new(result, fg->key, pi);
		} else {
			char *msg = xasprintf("shopify-emu: %s.%s is not implemented", t->name, fg->name);

			exec_error(x, fg->nodes[0], msg, NULL);
			free(msg);
			json_object_set_new(result, fg->key, json_null());
		}
		json_array_remove(x->path, json_array_size(x->path) - 1);
	}
	fgroups_free(&g);
	*out = result;
	*cost = 2 + node_cost_sum;
	return 0;
}

int gql_execute(const struct gql_schema *s, const struct gql_document *d,
		const struct gql_operation *op, json_t *vars, gql_resolve_fn resolve,
		void *user, json_t *errors, struct gql_exec_result *out)
{
	struct exec x;
	const struct gs_type *root = op->kind == GQL_OP_MUTATION ? s->mutation : s->query;
	struct fgroups g = { 0 };
	const char **visited;
	size_t nvisited = 0, i;
	json_t *data;
	long total = 0;
	int nulled = 0;

	out->data = NULL;
	out->actual_cost = 0;
	if (!root || op->kind == GQL_OP_SUBSCRIPTION) {
		json_array_append_new(errors, gql_error_new("Subscriptions are not supported",
							    &op->loc, NULL, NULL));
		out->data = json_null();
		return -1;
	}
	memset(&x, 0, sizeof(x));
	x.s = s;
	x.d = d;
	x.vars = vars;
	x.resolve = resolve;
	x.user = user;
	x.errors = errors;
	x.path = json_array();
	visited = xcalloc(d->nfrags + 1, sizeof(*visited));
	collect_fields(s, d, root, op->sel, vars, &g, visited, &nvisited, d->nfrags + 1);
	free(visited);
	data = json_object();
	for (i = 0; i < g.n; i++) {
		long c = 0;

		if (execute_field(&x, root, NULL, &g.v[i], data, &c, 0) < 0) {
			nulled = 1;
			break;
		}
		total += c;
	}
	fgroups_free(&g);
	json_decref(x.path);
	if (nulled) {
		json_decref(data);
		data = json_null();
	}
	out->data = data;
	out->actual_cost = total;
	return 0;
}

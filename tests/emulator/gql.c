/*
 * gql.c - the GraphQL executable-document parser of the Shopify twin.
 *
 * Owns: the arena every AST node lives in, the lexer (GraphQL October 2021
 * spec: punctuators, names, numbers, strings with \u escapes including
 * surrogate pairs, block strings with their indentation rule, comments,
 * commas as ignored tokens, a UTF-8 BOM), the recursive-descent parser for
 * operations and fragments, operation selection, and small helpers used by
 * gql_schema.c (literal -> JSON, error objects, type strings).
 *
 * It knows nothing about a schema: validation, variable coercion, cost and
 * execution are in gql_schema.c. Messages follow graphql-ruby, which is
 * what Shopify runs, so clients see the same text.
 */
#include "gql.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* Nesting deeper than this (selection sets, lists, objects, types) is a
 * syntax error: it keeps a hostile 1 MB "[[[[..." from the C stack. */
#define GQL_MAX_DEPTH 128

/* ------------------------------------------------------------------ */
/* Arena                                                                */

struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	max_align_t data[];
};

struct gql_arena {
	struct arena_block *head;
};

#define ARENA_BLOCK 16384

struct gql_arena *gql_arena_new(void)
{
	return xcalloc(1, sizeof(struct gql_arena));
}

void gql_arena_free(struct gql_arena *a)
{
	struct arena_block *b, *next;

	if (!a)
		return;
	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

void *gql_arena_alloc(struct gql_arena *a, size_t n)
{
	struct arena_block *b = a->head;
	size_t align = sizeof(max_align_t);
	void *p;

	n = (n + align - 1) / align * align;
	if (n == 0)
		n = align;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;

		b = xmalloc(sizeof(*b) + cap);
		b->cap = cap;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

char *gql_arena_strndup(struct gql_arena *a, const char *s, size_t n)
{
	char *p = gql_arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* A growable array of pointers/structs built during parsing, then copied
 * into the arena. */
struct vec {
	void *v;
	size_t n, cap, size;
};

static void *vec_push(struct vec *v)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 8;
		v->v = xrealloc(v->v, v->cap * v->size);
	}
	memset((char *)v->v + v->n * v->size, 0, v->size);
	return (char *)v->v + v->n++ * v->size;
}

static void *vec_finish(struct vec *v, struct gql_arena *a, size_t *n)
{
	void *out = NULL;

	*n = v->n;
	if (v->n) {
		out = gql_arena_alloc(a, v->n * v->size);
		memcpy(out, v->v, v->n * v->size);
	}
	free(v->v);
	v->v = NULL;
	v->n = v->cap = 0;
	return out;
}

/* ------------------------------------------------------------------ */
/* Lexer                                                                */

static int set_error(struct gql_parser *ps, struct gql_loc loc,
		     const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int set_error(struct gql_parser *ps, struct gql_loc loc,
		     const char *fmt, ...)
{
	va_list ap;

	if (ps->failed)
		return -1;
	ps->failed = 1;
	ps->err.loc = loc;
	va_start(ap, fmt);
	vsnprintf(ps->err.message, sizeof(ps->err.message), fmt, ap);
	va_end(ap);
	return -1;
}

static struct gql_loc cur_loc(struct gql_parser *ps, const char *at)
{
	struct gql_loc l;
	const char *q = ps->line_start;
	int col = 1;

	/* Count characters (not UTF-8 continuation bytes) from the line
	 * start, resuming from the last position asked for on this line
	 * (a 1 MB one-line document stays linear). */
	if (ps->col_line == ps->line && ps->col_at >= ps->line_start && ps->col_at <= at) {
		q = ps->col_at;
		col = ps->col_val;
	}
	for (; q < at; q++)
		if (((unsigned char)*q & 0xC0) != 0x80)
			col++;
	ps->col_line = ps->line;
	ps->col_at = at;
	ps->col_val = col;
	l.line = ps->line;
	l.col = col;
	return l;
}

static void newline(struct gql_parser *ps, const char *after)
{
	ps->line++;
	ps->line_start = after;
}

void gql_parser_init(struct gql_parser *ps, const char *src, size_t len,
		     struct gql_arena *arena)
{
	memset(ps, 0, sizeof(*ps));
	ps->src = src;
	ps->end = src + len;
	ps->p = src;
	ps->line = 1;
	ps->line_start = src;
	ps->arena = arena;
	if (len >= 3 && (unsigned char)src[0] == 0xEF &&
	    (unsigned char)src[1] == 0xBB && (unsigned char)src[2] == 0xBF) {
		ps->p += 3;
		ps->line_start = ps->p;
	}
}

static void skip_ignored(struct gql_parser *ps)
{
	while (ps->p < ps->end) {
		char c = *ps->p;

		if (c == ' ' || c == '\t' || c == ',') {
			ps->p++;
		} else if (c == '\n') {
			ps->p++;
			newline(ps, ps->p);
		} else if (c == '\r') {
			ps->p++;
			if (ps->p < ps->end && *ps->p == '\n')
				ps->p++;
			newline(ps, ps->p);
		} else if (c == '#') {
			while (ps->p < ps->end && *ps->p != '\n' && *ps->p != '\r')
				ps->p++;
		} else if ((unsigned char)c == 0xEF && ps->end - ps->p >= 3 &&
			   (unsigned char)ps->p[1] == 0xBB &&
			   (unsigned char)ps->p[2] == 0xBF) {
			ps->p += 3;	/* a stray BOM is ignored too */
		} else {
			break;
		}
	}
}

static int is_name_start(char c)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

static void utf8_put(struct strbuf *sb, unsigned long cp)
{
	char b[4];

	if (cp < 0x80) {
		b[0] = (char)cp;
		sb_addn(sb, b, 1);
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		sb_addn(sb, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		sb_addn(sb, b, 3);
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		sb_addn(sb, b, 4);
	}
}

static int hex4(const char *p, const char *end, unsigned long *out)
{
	unsigned long v = 0;
	int i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned long)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned long)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned long)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static int lex_string(struct gql_parser *ps)
{
	struct strbuf sb = STRBUF_INIT;
	const char *start = ps->p;
	struct gql_loc loc = ps->loc;

	ps->p++;	/* opening quote */
	for (;;) {
		char c;

		if (ps->p >= ps->end || *ps->p == '\n' || *ps->p == '\r') {
			sb_free(&sb);
			return set_error(ps, loc, "Parse error on \"%.*s\" (UNTERMINATED_STRING) at [%d, %d]",
					 (int)((ps->p - start) > 40 ? 40 : (ps->p - start)),
					 start, loc.line, loc.col);
		}
		c = *ps->p;
		if (c == '"') {
			ps->p++;
			break;
		}
		if (c == '\\') {
			unsigned long cp, lo;

			if (ps->p + 1 >= ps->end)
				continue;	/* reported as unterminated */
			c = ps->p[1];
			ps->p += 2;
			switch (c) {
			case '"': sb_addn(&sb, "\"", 1); break;
			case '\\': sb_addn(&sb, "\\", 1); break;
			case '/': sb_addn(&sb, "/", 1); break;
			case 'b': sb_addn(&sb, "\b", 1); break;
			case 'f': sb_addn(&sb, "\f", 1); break;
			case 'n': sb_addn(&sb, "\n", 1); break;
			case 'r': sb_addn(&sb, "\r", 1); break;
			case 't': sb_addn(&sb, "\t", 1); break;
			case 'u':
				if (hex4(ps->p, ps->end, &cp) < 0)
					goto bad_escape;
				ps->p += 4;
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					if (ps->end - ps->p >= 6 && ps->p[0] == '\\' &&
					    ps->p[1] == 'u' &&
					    hex4(ps->p + 2, ps->end, &lo) == 0 &&
					    lo >= 0xDC00 && lo <= 0xDFFF) {
						ps->p += 6;
						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					} else {
						goto bad_escape;
					}
				} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
					goto bad_escape;
				}
				utf8_put(&sb, cp);
				break;
			default:
				goto bad_escape;
			}
			continue;
		}
		if ((unsigned char)c < 0x20 && c != '\t') {
			sb_free(&sb);
			return set_error(ps, cur_loc(ps, ps->p),
					 "Parse error on bad Unicode escape sequence (BAD_UNICODE_ESCAPE) at [%d, %d]",
					 cur_loc(ps, ps->p).line, cur_loc(ps, ps->p).col);
		}
		sb_addn(&sb, ps->p, 1);
		ps->p++;
	}
	ps->tok = GQL_TOK_STRING;
	ps->slen = sb.len;
	ps->sval = gql_arena_strndup(ps->arena, sb.buf ? sb.buf : "", sb.len);
	sb_free(&sb);
	return 0;
bad_escape:
	sb_free(&sb);
	return set_error(ps, loc, "Parse error on bad Unicode escape sequence in \"%.*s\" (BAD_UNICODE_ESCAPE) at [%d, %d]",
			 (int)((ps->p - start) > 40 ? 40 : (ps->p - start)), start,
			 loc.line, loc.col);
}

/* The spec's BlockStringValue(): drop common indentation and leading and
 * trailing blank lines. raw holds the text between the quotes with \"""
 * already unescaped. */
static void block_string_value(struct strbuf *out, const char *raw, size_t n)
{
	struct line {
		const char *s;
		size_t n;
	} *lv;
	struct vec lines = { NULL, 0, 0, sizeof(struct line) };
	size_t i, nl, first, last, common = SIZE_MAX;
	const char *p = raw, *end = raw + n;

	while (p <= end) {
		const char *q = p;
		struct line *l;

		while (q < end && *q != '\n' && *q != '\r')
			q++;
		l = vec_push(&lines);
		l->s = p;
		l->n = (size_t)(q - p);
		if (q >= end)
			break;
		if (*q == '\r' && q + 1 < end && q[1] == '\n')
			q++;
		p = q + 1;
	}
	lv = lines.v;
	nl = lines.n;
	for (i = 1; i < nl; i++) {
		size_t ind = 0;

		while (ind < lv[i].n && (lv[i].s[ind] == ' ' || lv[i].s[ind] == '\t'))
			ind++;
		if (ind < lv[i].n && ind < common)
			common = ind;
	}
	if (common != SIZE_MAX) {
		for (i = 1; i < nl; i++) {
			size_t cut = common < lv[i].n ? common : lv[i].n;

			lv[i].s += cut;
			lv[i].n -= cut;
		}
	}
	first = 0;
	last = nl;
	while (first < last) {
		size_t k = 0;

		while (k < lv[first].n && (lv[first].s[k] == ' ' || lv[first].s[k] == '\t'))
			k++;
		if (k < lv[first].n)
			break;
		first++;
	}
	while (last > first) {
		size_t k = 0;

		while (k < lv[last - 1].n && (lv[last - 1].s[k] == ' ' || lv[last - 1].s[k] == '\t'))
			k++;
		if (k < lv[last - 1].n)
			break;
		last--;
	}
	for (i = first; i < last; i++) {
		if (i > first)
			sb_addn(out, "\n", 1);
		sb_addn(out, lv[i].s, lv[i].n);
	}
	free(lines.v);
}

static int lex_block_string(struct gql_parser *ps)
{
	struct strbuf raw = STRBUF_INIT, val = STRBUF_INIT;
	struct gql_loc loc = ps->loc;

	ps->p += 3;
	for (;;) {
		if (ps->p >= ps->end) {
			sb_free(&raw);
			return set_error(ps, loc, "Parse error on unterminated block string (UNTERMINATED_STRING) at [%d, %d]",
					 loc.line, loc.col);
		}
		if (ps->end - ps->p >= 3 && memcmp(ps->p, "\"\"\"", 3) == 0) {
			ps->p += 3;
			break;
		}
		if (ps->end - ps->p >= 4 && memcmp(ps->p, "\\\"\"\"", 4) == 0) {
			sb_addn(&raw, "\"\"\"", 3);
			ps->p += 4;
			continue;
		}
		if (*ps->p == '\n') {
			sb_addn(&raw, ps->p, 1);
			ps->p++;
			newline(ps, ps->p);
			continue;
		}
		if (*ps->p == '\r') {
			sb_addn(&raw, "\n", 1);
			ps->p++;
			if (ps->p < ps->end && *ps->p == '\n')
				ps->p++;
			newline(ps, ps->p);
			continue;
		}
		sb_addn(&raw, ps->p, 1);
		ps->p++;
	}
	block_string_value(&val, raw.buf ? raw.buf : "", raw.len);
	ps->tok = GQL_TOK_BLOCK_STRING;
	ps->slen = val.len;
	ps->sval = gql_arena_strndup(ps->arena, val.buf ? val.buf : "", val.len);
	sb_free(&raw);
	sb_free(&val);
	return 0;
}

static int lex_number(struct gql_parser *ps)
{
	const char *p = ps->p;
	int is_float = 0;

	if (*p == '-')
		p++;
	if (p >= ps->end || !isdigit((unsigned char)*p))
		goto bad;
	if (*p == '0') {
		p++;
		if (p < ps->end && isdigit((unsigned char)*p))
			goto bad;
	} else {
		while (p < ps->end && isdigit((unsigned char)*p))
			p++;
	}
	if (p < ps->end && *p == '.') {
		is_float = 1;
		p++;
		if (p >= ps->end || !isdigit((unsigned char)*p))
			goto bad;
		while (p < ps->end && isdigit((unsigned char)*p))
			p++;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E')) {
		is_float = 1;
		p++;
		if (p < ps->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= ps->end || !isdigit((unsigned char)*p))
			goto bad;
		while (p < ps->end && isdigit((unsigned char)*p))
			p++;
	}
	if (p < ps->end && (is_name_start(*p) || *p == '.'))
		goto bad;
	ps->tok = is_float ? GQL_TOK_FLOAT : GQL_TOK_INT;
	ps->tlen = (size_t)(p - ps->p);
	ps->p = p;
	return 0;
bad:
	while (p < ps->end && (is_name_char(*p) || *p == '.' || *p == '-' || *p == '+'))
		p++;
	return set_error(ps, ps->loc, "Parse error on \"%.*s\" (UNKNOWN_CHAR) at [%d, %d]",
			 (int)((p - ps->p) > 40 ? 40 : (p - ps->p)), ps->p,
			 ps->loc.line, ps->loc.col);
}

int gql_parser_next(struct gql_parser *ps)
{
	char c;

	if (ps->failed)
		return -1;
	skip_ignored(ps);
	ps->tstart = ps->p;
	ps->tlen = 0;
	ps->sval = NULL;
	ps->slen = 0;
	ps->loc = cur_loc(ps, ps->p);
	if (ps->p >= ps->end) {
		ps->tok = GQL_TOK_EOF;
		return 0;
	}
	c = *ps->p;
	if (strchr("!$&()[]{}:=@|", c)) {
		ps->tok = GQL_TOK_PUNCT;
		ps->punct = c;
		ps->tlen = 1;
		ps->p++;
		return 0;
	}
	if (c == '.') {
		if (ps->end - ps->p >= 3 && ps->p[1] == '.' && ps->p[2] == '.') {
			ps->tok = GQL_TOK_PUNCT;
			ps->punct = '.';
			ps->tlen = 3;
			ps->p += 3;
			return 0;
		}
		return set_error(ps, ps->loc, "Parse error on \".\" (UNKNOWN_CHAR) at [%d, %d]",
				 ps->loc.line, ps->loc.col);
	}
	if (is_name_start(c)) {
		const char *q = ps->p;

		while (q < ps->end && is_name_char(*q))
			q++;
		ps->tok = GQL_TOK_NAME;
		ps->tlen = (size_t)(q - ps->p);
		ps->p = q;
		return 0;
	}
	if (c == '-' || isdigit((unsigned char)c))
		return lex_number(ps);
	if (c == '"') {
		if (ps->end - ps->p >= 3 && ps->p[1] == '"' && ps->p[2] == '"')
			return lex_block_string(ps);
		return lex_string(ps);
	}
	{
		/* One UTF-8 character, shown as graphql-ruby does. */
		int n = 1;

		if (((unsigned char)c & 0xE0) == 0xC0)
			n = 2;
		else if (((unsigned char)c & 0xF0) == 0xE0)
			n = 3;
		else if (((unsigned char)c & 0xF8) == 0xF0)
			n = 4;
		if (ps->end - ps->p < n)
			n = (int)(ps->end - ps->p);
		if ((unsigned char)c < 0x20)
			return set_error(ps, ps->loc, "Parse error on \"\\u%04x\" (UNKNOWN_CHAR) at [%d, %d]",
					 (unsigned char)c, ps->loc.line, ps->loc.col);
		return set_error(ps, ps->loc, "Parse error on \"%.*s\" (UNKNOWN_CHAR) at [%d, %d]",
				 n, ps->p, ps->loc.line, ps->loc.col);
	}
}

int gql_parser_is_punct(const struct gql_parser *ps, char c)
{
	return !ps->failed && ps->tok == GQL_TOK_PUNCT && ps->punct == c;
}

int gql_parser_is_name(const struct gql_parser *ps, const char *name)
{
	return !ps->failed && ps->tok == GQL_TOK_NAME &&
	       strlen(name) == ps->tlen && memcmp(ps->tstart, name, ps->tlen) == 0;
}

static const char *token_kind_name(const struct gql_parser *ps)
{
	static const struct {
		const char *word, *token;
	} keywords[] = {
		{ "query", "QUERY" }, { "mutation", "MUTATION" },
		{ "subscription", "SUBSCRIPTION" }, { "fragment", "FRAGMENT" },
		{ "on", "ON" }, { "true", "TRUE" }, { "false", "FALSE" },
		{ "null", "NULL" }, { "type", "TYPE" }, { "schema", "SCHEMA" },
		{ "input", "INPUT" }, { "enum", "ENUM" }, { "union", "UNION" },
		{ "scalar", "SCALAR" }, { "interface", "INTERFACE" },
		{ "directive", "DIRECTIVE" }, { "extend", "EXTEND" },
		{ "implements", "IMPLEMENTS" }, { "repeatable", "REPEATABLE" },
	};
	size_t i;

	switch (ps->tok) {
	case GQL_TOK_EOF: return "EOF";
	case GQL_TOK_INT: return "INT";
	case GQL_TOK_FLOAT: return "FLOAT";
	case GQL_TOK_STRING:
	case GQL_TOK_BLOCK_STRING: return "STRING";
	case GQL_TOK_NAME:
		for (i = 0; i < ARRAY_SIZE(keywords); i++)
			if (gql_parser_is_name(ps, keywords[i].word))
				return keywords[i].token;
		return "IDENTIFIER";
	case GQL_TOK_PUNCT:
		switch (ps->punct) {
		case '{': return "LCURLY";
		case '}': return "RCURLY";
		case '(': return "LPAREN";
		case ')': return "RPAREN";
		case '[': return "LBRACKET";
		case ']': return "RBRACKET";
		case ':': return "COLON";
		case '$': return "VAR_SIGN";
		case '@': return "DIR_SIGN";
		case '.': return "ELLIPSIS";
		case '=': return "EQUALS";
		case '!': return "BANG";
		case '|': return "PIPE";
		case '&': return "AMP";
		}
	}
	return "UNKNOWN";
}

int gql_parser_unexpected(struct gql_parser *ps)
{
	const char *text;
	int n;

	if (ps->failed)
		return -1;
	if (ps->tok == GQL_TOK_EOF) {
		ps->failed = 1;
		ps->err.loc.line = 0;
		ps->err.loc.col = 0;
		snprintf(ps->err.message, sizeof(ps->err.message),
			 "Unexpected end of document");
		return -1;
	}
	text = ps->tstart;
	n = (int)(ps->tok == GQL_TOK_STRING || ps->tok == GQL_TOK_BLOCK_STRING ?
		  ps->slen : ps->tlen);
	if (ps->tok == GQL_TOK_STRING || ps->tok == GQL_TOK_BLOCK_STRING)
		text = ps->sval;
	if (n > 60)
		n = 60;
	return set_error(ps, ps->loc, "Parse error on \"%.*s\" (%s) at [%d, %d]",
			 n, text, token_kind_name(ps), ps->loc.line, ps->loc.col);
}

int gql_parser_expect_punct(struct gql_parser *ps, char c)
{
	if (!gql_parser_is_punct(ps, c))
		return gql_parser_unexpected(ps);
	return gql_parser_next(ps);
}

const char *gql_parser_expect_name(struct gql_parser *ps)
{
	const char *s;

	if (ps->failed || ps->tok != GQL_TOK_NAME) {
		gql_parser_unexpected(ps);
		return NULL;
	}
	s = gql_arena_strndup(ps->arena, ps->tstart, ps->tlen);
	if (gql_parser_next(ps) < 0)
		return NULL;
	return s;
}

void gql_parser_skip_description(struct gql_parser *ps)
{
	if (ps->tok == GQL_TOK_STRING || ps->tok == GQL_TOK_BLOCK_STRING)
		gql_parser_next(ps);
}

/* ------------------------------------------------------------------ */
/* Parser                                                               */

static int enter(struct gql_parser *ps)
{
	if (++ps->depth > GQL_MAX_DEPTH)
		return set_error(ps, ps->loc, "Parse error on \"%.*s\" (too deeply nested, limit %d) at [%d, %d]",
				 (int)(ps->tlen > 20 ? 20 : ps->tlen), ps->tstart,
				 GQL_MAX_DEPTH, ps->loc.line, ps->loc.col);
	return 0;
}

struct gql_value *gql_parser_value(struct gql_parser *ps, int is_const)
{
	struct gql_value *v;

	if (ps->failed)
		return NULL;
	v = gql_arena_alloc(ps->arena, sizeof(*v));
	v->loc = ps->loc;
	switch (ps->tok) {
	case GQL_TOK_PUNCT:
		if (ps->punct == '$' && !is_const) {
			if (gql_parser_next(ps) < 0)
				return NULL;
			v->kind = GQL_V_VARIABLE;
			v->str = gql_parser_expect_name(ps);
			return v->str ? v : NULL;
		}
		if (ps->punct == '[') {
			struct vec items = { NULL, 0, 0, sizeof(struct gql_value *) };

			if (enter(ps) < 0 || gql_parser_next(ps) < 0)
				return NULL;
			v->kind = GQL_V_LIST;
			while (!gql_parser_is_punct(ps, ']')) {
				struct gql_value *item;

				if (ps->failed || ps->tok == GQL_TOK_EOF) {
					gql_parser_unexpected(ps);
					free(items.v);
					return NULL;
				}
				item = gql_parser_value(ps, is_const);
				if (!item) {
					free(items.v);
					return NULL;
				}
				*(struct gql_value **)vec_push(&items) = item;
			}
			v->items = vec_finish(&items, ps->arena, &v->n);
			ps->depth--;
			return gql_parser_next(ps) < 0 ? NULL : v;
		}
		if (ps->punct == '{') {
			struct vec fields = { NULL, 0, 0, sizeof(struct gql_object_field) };

			if (enter(ps) < 0 || gql_parser_next(ps) < 0)
				return NULL;
			v->kind = GQL_V_OBJECT;
			while (!gql_parser_is_punct(ps, '}')) {
				struct gql_object_field *f;

				if (ps->failed || ps->tok != GQL_TOK_NAME) {
					gql_parser_unexpected(ps);
					free(fields.v);
					return NULL;
				}
				f = vec_push(&fields);
				f->loc = ps->loc;
				f->name = gql_parser_expect_name(ps);
				if (!f->name || gql_parser_expect_punct(ps, ':') < 0 ||
				    !(f->value = gql_parser_value(ps, is_const))) {
					free(fields.v);
					return NULL;
				}
			}
			v->fields = vec_finish(&fields, ps->arena, &v->n);
			ps->depth--;
			return gql_parser_next(ps) < 0 ? NULL : v;
		}
		gql_parser_unexpected(ps);
		return NULL;
	case GQL_TOK_INT:
	case GQL_TOK_FLOAT:
		v->kind = ps->tok == GQL_TOK_INT ? GQL_V_INT : GQL_V_FLOAT;
		v->str = gql_arena_strndup(ps->arena, ps->tstart, ps->tlen);
		v->len = ps->tlen;
		return gql_parser_next(ps) < 0 ? NULL : v;
	case GQL_TOK_STRING:
	case GQL_TOK_BLOCK_STRING:
		v->kind = GQL_V_STRING;
		v->str = ps->sval;
		v->len = ps->slen;
		return gql_parser_next(ps) < 0 ? NULL : v;
	case GQL_TOK_NAME:
		if (gql_parser_is_name(ps, "true") || gql_parser_is_name(ps, "false")) {
			v->kind = GQL_V_BOOLEAN;
			v->boolean = gql_parser_is_name(ps, "true");
		} else if (gql_parser_is_name(ps, "null")) {
			v->kind = GQL_V_NULL;
		} else {
			v->kind = GQL_V_ENUM;
			v->str = gql_arena_strndup(ps->arena, ps->tstart, ps->tlen);
			v->len = ps->tlen;
		}
		return gql_parser_next(ps) < 0 ? NULL : v;
	default:
		gql_parser_unexpected(ps);
		return NULL;
	}
}

struct gql_type *gql_parser_type(struct gql_parser *ps)
{
	struct gql_type *t = gql_arena_alloc(ps->arena, sizeof(*t));

	if (ps->failed)
		return NULL;
	t->loc = ps->loc;
	if (gql_parser_is_punct(ps, '[')) {
		if (enter(ps) < 0 || gql_parser_next(ps) < 0)
			return NULL;
		t->kind = GQL_T_LIST;
		t->of = gql_parser_type(ps);
		if (!t->of || gql_parser_expect_punct(ps, ']') < 0)
			return NULL;
		ps->depth--;
	} else {
		t->kind = GQL_T_NAMED;
		t->name = gql_parser_expect_name(ps);
		if (!t->name)
			return NULL;
	}
	if (gql_parser_is_punct(ps, '!')) {
		struct gql_type *nn = gql_arena_alloc(ps->arena, sizeof(*nn));

		nn->kind = GQL_T_NON_NULL;
		nn->of = t;
		nn->loc = t->loc;
		if (gql_parser_next(ps) < 0)
			return NULL;
		return nn;
	}
	return t;
}

int gql_parser_arguments(struct gql_parser *ps, int is_const,
			 struct gql_argument **out, size_t *n)
{
	struct vec args = { NULL, 0, 0, sizeof(struct gql_argument) };

	*out = NULL;
	*n = 0;
	if (!gql_parser_is_punct(ps, '('))
		return ps->failed ? -1 : 0;
	if (gql_parser_next(ps) < 0)
		return -1;
	if (gql_parser_is_punct(ps, ')'))
		return gql_parser_unexpected(ps);	/* "()" is not allowed */
	while (!gql_parser_is_punct(ps, ')')) {
		struct gql_argument *a;

		if (ps->failed || ps->tok != GQL_TOK_NAME) {
			free(args.v);
			return gql_parser_unexpected(ps);
		}
		a = vec_push(&args);
		a->loc = ps->loc;
		a->name = gql_parser_expect_name(ps);
		if (!a->name || gql_parser_expect_punct(ps, ':') < 0 ||
		    !(a->value = gql_parser_value(ps, is_const))) {
			free(args.v);
			return -1;
		}
	}
	*out = vec_finish(&args, ps->arena, n);
	return gql_parser_next(ps);
}

int gql_parser_directives(struct gql_parser *ps, int is_const,
			  struct gql_directive **out, size_t *n)
{
	struct vec dirs = { NULL, 0, 0, sizeof(struct gql_directive) };

	*out = NULL;
	*n = 0;
	while (gql_parser_is_punct(ps, '@')) {
		struct gql_directive *d = vec_push(&dirs);

		d->loc = ps->loc;
		if (gql_parser_next(ps) < 0 || !(d->name = gql_parser_expect_name(ps)) ||
		    gql_parser_arguments(ps, is_const, &d->args, &d->nargs) < 0) {
			free(dirs.v);
			return -1;
		}
	}
	*out = vec_finish(&dirs, ps->arena, n);
	return ps->failed ? -1 : 0;
}

static struct gql_selection_set *parse_selection_set(struct gql_parser *ps);

static struct gql_selection *parse_selection(struct gql_parser *ps)
{
	struct gql_selection *s = gql_arena_alloc(ps->arena, sizeof(*s));

	s->loc = ps->loc;
	if (gql_parser_is_punct(ps, '.')) {
		if (gql_parser_next(ps) < 0)
			return NULL;
		if (ps->tok == GQL_TOK_NAME && !gql_parser_is_name(ps, "on")) {
			s->kind = GQL_SEL_SPREAD;
			s->name = gql_parser_expect_name(ps);
			if (!s->name ||
			    gql_parser_directives(ps, 0, &s->dirs, &s->ndirs) < 0)
				return NULL;
			return s;
		}
		s->kind = GQL_SEL_INLINE;
		if (gql_parser_is_name(ps, "on")) {
			if (gql_parser_next(ps) < 0)
				return NULL;
			s->type_cond_loc = ps->loc;
			if (!(s->type_cond = gql_parser_expect_name(ps)))
				return NULL;
		}
		if (gql_parser_directives(ps, 0, &s->dirs, &s->ndirs) < 0)
			return NULL;
		if (!gql_parser_is_punct(ps, '{')) {
			gql_parser_unexpected(ps);
			return NULL;
		}
		s->sel = parse_selection_set(ps);
		return s->sel ? s : NULL;
	}
	s->kind = GQL_SEL_FIELD;
	if (!(s->name = gql_parser_expect_name(ps)))
		return NULL;
	if (gql_parser_is_punct(ps, ':')) {
		s->alias = s->name;
		if (gql_parser_next(ps) < 0)
			return NULL;
		s->loc = ps->loc;	/* graphql-ruby points at the field name */
		if (!(s->name = gql_parser_expect_name(ps)))
			return NULL;
	}
	if (gql_parser_arguments(ps, 0, &s->args, &s->nargs) < 0 ||
	    gql_parser_directives(ps, 0, &s->dirs, &s->ndirs) < 0)
		return NULL;
	if (gql_parser_is_punct(ps, '{')) {
		s->sel = parse_selection_set(ps);
		if (!s->sel)
			return NULL;
	}
	return s;
}

static struct gql_selection_set *parse_selection_set(struct gql_parser *ps)
{
	struct gql_selection_set *set = gql_arena_alloc(ps->arena, sizeof(*set));
	struct vec v = { NULL, 0, 0, sizeof(struct gql_selection *) };

	set->loc = ps->loc;
	if (enter(ps) < 0 || gql_parser_expect_punct(ps, '{') < 0)
		return NULL;
	if (gql_parser_is_punct(ps, '}')) {
		gql_parser_unexpected(ps);	/* "{}" is a syntax error */
		return NULL;
	}
	while (!gql_parser_is_punct(ps, '}')) {
		struct gql_selection *s;

		if (ps->failed || ps->tok == GQL_TOK_EOF ||
		    !(ps->tok == GQL_TOK_NAME || gql_parser_is_punct(ps, '.'))) {
			gql_parser_unexpected(ps);
			free(v.v);
			return NULL;
		}
		s = parse_selection(ps);
		if (!s) {
			free(v.v);
			return NULL;
		}
		*(struct gql_selection **)vec_push(&v) = s;
	}
	set->v = vec_finish(&v, ps->arena, &set->n);
	ps->depth--;
	if (gql_parser_next(ps) < 0)
		return NULL;
	return set;
}

static void index_fragments(struct gql_document *d);

static int parse_operation(struct gql_parser *ps, struct gql_operation *op)
{
	struct vec vars = { NULL, 0, 0, sizeof(struct gql_var_def) };

	op->loc = ps->loc;
	if (gql_parser_is_punct(ps, '{')) {
		op->kind = GQL_OP_QUERY;
		op->sel = parse_selection_set(ps);
		return op->sel ? 0 : -1;
	}
	if (gql_parser_is_name(ps, "query"))
		op->kind = GQL_OP_QUERY;
	else if (gql_parser_is_name(ps, "mutation"))
		op->kind = GQL_OP_MUTATION;
	else if (gql_parser_is_name(ps, "subscription"))
		op->kind = GQL_OP_SUBSCRIPTION;
	else
		return gql_parser_unexpected(ps);
	if (gql_parser_next(ps) < 0)
		return -1;
	if (ps->tok == GQL_TOK_NAME) {
		if (!(op->name = gql_parser_expect_name(ps)))
			return -1;
	}
	if (gql_parser_is_punct(ps, '(')) {
		if (gql_parser_next(ps) < 0)
			return -1;
		if (gql_parser_is_punct(ps, ')'))
			return gql_parser_unexpected(ps);
		while (!gql_parser_is_punct(ps, ')')) {
			struct gql_var_def *vd;

			if (!gql_parser_is_punct(ps, '$')) {
				free(vars.v);
				return gql_parser_unexpected(ps);
			}
			vd = vec_push(&vars);
			vd->loc = ps->loc;
			if (gql_parser_next(ps) < 0 ||
			    !(vd->name = gql_parser_expect_name(ps)) ||
			    gql_parser_expect_punct(ps, ':') < 0 ||
			    !(vd->type = gql_parser_type(ps))) {
				free(vars.v);
				return -1;
			}
			if (gql_parser_is_punct(ps, '=')) {
				if (gql_parser_next(ps) < 0 ||
				    !(vd->default_value = gql_parser_value(ps, 1))) {
					free(vars.v);
					return -1;
				}
			}
			if (gql_parser_directives(ps, 1, &vd->dirs, &vd->ndirs) < 0) {
				free(vars.v);
				return -1;
			}
		}
		op->vars = vec_finish(&vars, ps->arena, &op->nvars);
		if (gql_parser_next(ps) < 0)
			return -1;
	}
	if (gql_parser_directives(ps, 0, &op->dirs, &op->ndirs) < 0)
		return -1;
	if (!gql_parser_is_punct(ps, '{'))
		return gql_parser_unexpected(ps);
	op->sel = parse_selection_set(ps);
	return op->sel ? 0 : -1;
}

static int parse_fragment(struct gql_parser *ps, struct gql_fragment *f)
{
	f->loc = ps->loc;
	if (gql_parser_next(ps) < 0)	/* "fragment" */
		return -1;
	if (gql_parser_is_name(ps, "on"))
		return gql_parser_unexpected(ps);
	if (!(f->name = gql_parser_expect_name(ps)))
		return -1;
	if (!gql_parser_is_name(ps, "on"))
		return gql_parser_unexpected(ps);
	if (gql_parser_next(ps) < 0)
		return -1;
	f->type_cond_loc = ps->loc;
	if (!(f->type_cond = gql_parser_expect_name(ps)) ||
	    gql_parser_directives(ps, 0, &f->dirs, &f->ndirs) < 0)
		return -1;
	if (!gql_parser_is_punct(ps, '{'))
		return gql_parser_unexpected(ps);
	f->sel = parse_selection_set(ps);
	return f->sel ? 0 : -1;
}

int gql_parse_document(const char *src, size_t len, struct gql_document **out,
		       struct gql_syntax_error *err)
{
	struct gql_parser ps;
	struct gql_document *d = xcalloc(1, sizeof(*d));
	struct vec ops = { NULL, 0, 0, sizeof(struct gql_operation) };
	struct vec frags = { NULL, 0, 0, sizeof(struct gql_fragment) };

	*out = NULL;
	d->arena = gql_arena_new();
	gql_parser_init(&ps, src, len, d->arena);
	if (gql_parser_next(&ps) < 0)
		goto fail;
	if (ps.tok == GQL_TOK_EOF) {
		/* graphql-ruby: an empty document parses, then fails with
		 * "No query string was present" at execution. We report it
		 * as a syntax error with the same text. */
		set_error(&ps, ps.loc, "No query string was present");
		ps.err.loc.line = 0;
		ps.err.loc.col = 0;
		goto fail;
	}
	while (ps.tok != GQL_TOK_EOF) {
		if (gql_parser_is_name(&ps, "fragment")) {
			if (parse_fragment(&ps, vec_push(&frags)) < 0)
				goto fail;
		} else if (gql_parser_is_punct(&ps, '{') ||
			   gql_parser_is_name(&ps, "query") ||
			   gql_parser_is_name(&ps, "mutation") ||
			   gql_parser_is_name(&ps, "subscription")) {
			if (parse_operation(&ps, vec_push(&ops)) < 0)
				goto fail;
		} else {
			gql_parser_unexpected(&ps);
			goto fail;
		}
		if (ps.failed)
			goto fail;
	}
	d->ops = vec_finish(&ops, d->arena, &d->nops);
	d->frags = vec_finish(&frags, d->arena, &d->nfrags);
	index_fragments(d);
	*out = d;
	return 0;
fail:
	if (err)
		*err = ps.err;
	free(ops.v);
	free(frags.v);
	gql_document_free(d);
	return -1;
}

void gql_document_free(struct gql_document *d)
{
	if (!d)
		return;
	gql_arena_free(d->arena);
	free(d);
}

static size_t name_hash(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

/* A hash of fragment names, built after parsing when there are many. */
static void index_fragments(struct gql_document *d)
{
	size_t i, k;

	if (d->nfrags <= 8)
		return;
	d->frag_cap = 16;
	while (d->frag_cap < d->nfrags * 2)
		d->frag_cap <<= 1;
	d->frag_index = gql_arena_alloc(d->arena, d->frag_cap * sizeof(*d->frag_index));
	for (i = 0; i < d->nfrags; i++) {
		k = name_hash(d->frags[i].name) & (d->frag_cap - 1);
		while (d->frag_index[k])
			k = (k + 1) & (d->frag_cap - 1);
		d->frag_index[k] = i + 1;
	}
}

const struct gql_fragment *gql_find_fragment(const struct gql_document *d,
					     const char *name)
{
	size_t i;

	if (d->frag_index) {
		/* the first definition of a name wins, as in the list walk */
		const struct gql_fragment *best = NULL;

		for (i = name_hash(name) & (d->frag_cap - 1); d->frag_index[i];
		     i = (i + 1) & (d->frag_cap - 1)) {
			const struct gql_fragment *f = &d->frags[d->frag_index[i] - 1];

			if (strcmp(f->name, name) == 0 && (!best || f < best))
				best = f;
		}
		return best;
	}
	for (i = 0; i < d->nfrags; i++)
		if (strcmp(d->frags[i].name, name) == 0)
			return &d->frags[i];
	return NULL;
}

int gql_select_operation(const struct gql_document *d, const char *name,
			 const struct gql_operation **op, char **msg)
{
	size_t i;

	*op = NULL;
	*msg = NULL;
	if (name && *name) {
		for (i = 0; i < d->nops; i++) {
			if (d->ops[i].name && strcmp(d->ops[i].name, name) == 0) {
				*op = &d->ops[i];
				return 0;
			}
		}
		*msg = xasprintf("No operation named \"%s\"", name);
		return -1;
	}
	if (d->nops == 1) {
		*op = &d->ops[0];
		return 0;
	}
	if (d->nops == 0)
		*msg = xstrdup("No operations in this document");
	else
		*msg = xstrdup("An operation name is required");
	return -1;
}

char *gql_operation_path_name(const struct gql_operation *op)
{
	const char *kind = op->kind == GQL_OP_MUTATION ? "mutation" :
			   op->kind == GQL_OP_SUBSCRIPTION ? "subscription" : "query";

	if (op->name)
		return xasprintf("%s %s", kind, op->name);
	return xstrdup(kind);
}

const char *gql_response_key(const struct gql_selection *s)
{
	return s->alias ? s->alias : s->name;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

json_t *gql_error_new(const char *message, const struct gql_loc *loc,
		      json_t *path, json_t *extensions)
{
	json_t *e = json_object();

	json_object_set_new(e, "message", json_string(message));
	if (loc && loc->line > 0)
		json_object_set_new(e, "locations",
				    json_pack("[{s:i,s:i}]", "line", loc->line,
					      "column", loc->col));
	if (path)
		json_object_set_new(e, "path", path);
	if (extensions)
		json_object_set_new(e, "extensions", extensions);
	return e;
}

json_t *gql_value_to_json(const struct gql_value *v, json_t *vars, int *missing)
{
	json_t *j;
	size_t i;

	switch (v->kind) {
	case GQL_V_VARIABLE:
		j = vars ? json_object_get(vars, v->str) : NULL;
		if (!j) {
			if (missing)
				*missing = 1;
			return json_null();
		}
		return json_incref(j);
	case GQL_V_INT: {
		char *end;
		long long n;

		errno = 0;
		n = strtoll(v->str, &end, 10);
		if (errno == ERANGE)
			return json_real(strtod(v->str, NULL));
		return json_integer(n);
	}
	case GQL_V_FLOAT:
		return json_real(strtod(v->str, NULL));
	case GQL_V_STRING:
	case GQL_V_ENUM:
		return json_stringn(v->str, v->len);
	case GQL_V_BOOLEAN:
		return json_boolean(v->boolean);
	case GQL_V_NULL:
		return json_null();
	case GQL_V_LIST:
		j = json_array();
		for (i = 0; i < v->n; i++)
			json_array_append_new(j, gql_value_to_json(v->items[i], vars, missing));
		return j;
	case GQL_V_OBJECT:
		j = json_object();
		for (i = 0; i < v->n; i++) {
			int miss = 0;
			json_t *fv = gql_value_to_json(v->fields[i].value, vars, &miss);

			/* An absent variable inside an object leaves the
			 * field absent (spec: CoerceArgumentValues). */
			if (miss && v->fields[i].value->kind == GQL_V_VARIABLE)
				json_decref(fv);
			else
				json_object_set_new(j, v->fields[i].name, fv);
		}
		return j;
	}
	return json_null();
}

char *gql_type_string(const struct gql_type *t)
{
	char *inner, *s;

	switch (t->kind) {
	case GQL_T_NAMED:
		return xstrdup(t->name);
	case GQL_T_LIST:
		inner = gql_type_string(t->of);
		s = xasprintf("[%s]", inner);
		free(inner);
		return s;
	case GQL_T_NON_NULL:
		inner = gql_type_string(t->of);
		s = xasprintf("%s!", inner);
		free(inner);
		return s;
	}
	return xstrdup("?");
}

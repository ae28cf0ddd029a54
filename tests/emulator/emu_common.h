/*
 * emu_common.h - what both platform twins share: the libmicrohttpd server
 * (loopback only, --port 0 / --port-file / --pid-file), request bodies with
 * a size cap, the request log (JSON lines), scripted faults, the emulator
 * clock, per-request latency, and the generic control endpoints under
 * /_emu/ (log, clock, faults). Platform specifics (routes, state, events,
 * config) come in through `struct emu_platform`.
 *
 * Threading: one thread per connection (so a `hang` or `delay` holds only
 * its own connection; >= 64 concurrent connections). Platform handlers
 * run with the emulator's state lock held, one at a time.
 */
#ifndef TTSYNC_EMU_COMMON_H
#define TTSYNC_EMU_COMMON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define EMU_MAX_BODY (1024 * 1024)	/* bigger bodies get the platform's 413-ish error */

struct emu;

struct emu_request {
	const char *method;	/* "GET", "POST", ... */
	const char *path;	/* without the query string */
	const char *query;	/* raw query string (may be ""), percent-encoded as received */
	const char *body;	/* raw bytes, NUL-terminated for convenience (may be "") */
	size_t body_len;
	int body_too_large;	/* the body exceeded EMU_MAX_BODY (body is then "") */
	void *conn;		/* private: for emu_header() / emu_query_arg() */
};
/* Header value (case-insensitive name) or NULL. */
const char *emu_header(const struct emu_request *rq, const char *name);
/* Decoded query argument or NULL (libmicrohttpd decodes %XX and '+'). */
const char *emu_query_arg(const struct emu_request *rq, const char *name);
/* Every decoded query argument in order (duplicates included; a name
 * without '=' has value ""). fn returns 0 to go on, non-zero to stop;
 * returns -1 when fn stopped, else 0. */
int emu_query_foreach(const struct emu_request *rq,
		      int (*fn)(void *arg, const char *name, const char *value),
		      void *arg);

struct emu_response {
	int status;
	char *body;		/* malloc'ed; the server frees it */
	size_t len;
	const char *content_type;	/* default "application/json" */
	char *headers[8];	/* extra "Name: value" (malloc'ed), NULL-terminated */
};
/* Set body from a json_t (compact, stolen reference). */
void emu_respond_json(struct emu_response *rs, int status, json_t *body);
void emu_add_header(struct emu_response *rs, const char *fmt, ...);

struct emu_platform {
	const char *name;	/* "tiktok" / "shopify" */
	void *ctx;
	/* A platform request (not /_emu/). Called with the state lock held.
	 * `executed` is set to 1 by the handler once a write has been
	 * committed (drop_after/truncate/invalid_json need it). */
	void (*handle)(void *ctx, struct emu *emu, const struct emu_request *rq,
		       struct emu_response *rs);
	/* The operation name used by fault matching (Shopify: GraphQL
	 * operationName or first root field); may be NULL. Caller frees. */
	char *(*operation)(void *ctx, const struct emu_request *rq);
	/* /_emu/state, /_emu/event, /_emu/config (lock held). */
	json_t *(*dump_state)(void *ctx, struct emu *emu);
	json_t *(*event)(void *ctx, struct emu *emu, json_t *ev, char **error);
	int (*config)(void *ctx, struct emu *emu, json_t *cfg, char **error);
	/* The platform's own error body for a scripted `status` fault without
	 * a body (e.g. TikTok's 36009002 envelope for 429). May be NULL. */
	char *(*fault_body)(void *ctx, int status);
	/* The platform's answer to an oversized body. */
	void (*too_large)(void *ctx, struct emu_response *rs);
};

struct emu_opts {
	int port;		/* 0 = any free port */
	const char *port_file, *pid_file, *log_file;
	int latency_ms;
};

/* Parse the common flags (--port, --port-file, --pid-file, --log,
 * --latency-ms); unknown flags are left for the caller, who passes its
 * own extra usage text. Returns -1 on a bad value, 1 when argv[*i] was a
 * common flag (*i then points at its last consumed word), 0 otherwise. */
int emu_parse_common_arg(struct emu_opts *o, int argc, char **argv, int *i);
const char *emu_common_usage(void);

/* Start serving (returns once the port file is written) and block until
 * SIGINT/SIGTERM; 0 on a clean stop. */
int emu_serve(const struct emu_opts *o, const struct emu_platform *p,
	      int64_t initial_clock);

/* The emulator clock: real time + offset (set/advance via /_emu/clock). */
int64_t emu_now(struct emu *emu);
void emu_set_latency(struct emu *emu, int ms);
/* Mark that the current request committed a write (for drop_after etc.). */
void emu_mark_executed(struct emu *emu);

#endif

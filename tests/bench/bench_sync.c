/*
 * bench_sync.c - `make bench`: how close the real ttsync comes to the
 * platforms' rate limits, with both emulators answering every request
 * after 50 ms (--latency-ms 50), TikTok allowing 50 requests/s per API and
 * Shopify's cost bucket at 2000 points restoring 1000 points/s (set with
 * POST /_emu/config once the emulator is up).
 *
 *   1. fulfillments (issue 4): 5,000 generated orders, half seller
 *      shipping, half TikTok shipping. Run 1 creates them (order automatic
 *      sync on; its figures are issue 3's "5,000 new orders"). Then the
 *      merchant fulfils every seller-shipping order in Shopify (USPS, a
 *      distinct valid tracking number each; one `fulfill` event per order,
 *      as `"order": "*"` would fulfil the TikTok-shipping ones too) and
 *      TikTok buys the label of every TikTok-shipping order (`buy_label`
 *      `"*"`); run 2 syncs the fulfillments both ways.
 *   2. orders (issue 3): 10,000 generated orders, one first run with
 *      automatic order sync (100,000 more with BENCH_BIG=1).
 *   3. a second, unchanged run on the 5,000-order store: no write call.
 *   4. memory (issue 3): peak RSS of a first run over a 100,000-order
 *      window, every order created; no latency and the limits lifted, so
 *      it takes minutes (BENCH_WINDOW_ORDERS=N changes the size).
 * Environment: BENCH_BIG=1 adds the 100k run at 50 ms and the limits;
 * BENCH_SYNC_ONLY=fulfil|orders|window runs one scenario; BENCH_ORDERS=N scales 5,000/10,000 to N/2N (quick
 * checks of the bench itself); BENCH_CONCURRENCY / BENCH_TIKTOK_QPS set
 * ttsync's network.concurrency / network.tiktok_qps (defaults otherwise);
 * BENCH_LATENCY_MS replaces the 50 ms (what-if runs; the figures' targets
 * are for 50 ms).
 *
 * Figures come from what the platforms saw - the emulators' request logs
 * (time_ms of each arrival, Shopify's actualQueryCost) - and from the
 * ttsync process itself (wall time; peak RSS from wait4's rusage). Each is
 * printed as `bench <name>: <figure> <unit> (target ...)`; detail lines
 * start with "  ". The process exits 1 only when a scenario could not run
 * (an emulator, the generator or ttsync did not start or aborted); a
 * missed target is a figure, not an error.
 *
 * Owns the emulator processes and store directories of each scenario
 * (stopped / left in TMPDIR for inspection) and the parsed log tallies.
 */
#include "harness.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LATENCY_MS "50"		/* per request, both emulators (BENCH_LATENCY_MS) */
#define TT_QPS 50.0		/* the TikTok emulator's limit per API per (app, shop) */
#define SH_BUCKET 2000.0	/* Shopify bucket size (the emulator default) */
#define SH_RESTORE 1000.0	/* Shopify restore rate, points/s (issue 3's bench line) */
#define RUN_TIMEOUT_S 7200	/* one ttsync run (10k orders take minutes) */
#define BIG_TIMEOUT_S 28800	/* the 100k run */
#define MAX_APIS 32

/* ---- small helpers ------------------------------------------------------ */

static const char *latency_ms(void)
{
	const char *v = getenv("BENCH_LATENCY_MS");

	return v && *v ? v : LATENCY_MS;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static long file_size(const char *path)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (f == NULL)
		return 0;
	if (fseek(f, 0, SEEK_END) != 0) {
		fclose(f);
		return 0;
	}
	n = ftell(f);
	fclose(f);
	return n < 0 ? 0 : n;
}

/* ---- one measured ttsync process ---------------------------------------- */

struct proc_meas {
	int status;		/* exit status, 128+signal, -1 not run */
	double wall_s;
	long max_rss_kb;	/* wait4's ru_maxrss */
	long hwm_kb;		/* VmHWM of the ttsync image, polled (cross-check) */
	char out_path[700], err_path[700];
};

/* VmHWM of pid once it runs ttsync (after exec), else -1. */
static long poll_hwm(pid_t pid)
{
	char path[64], buf[4096];
	FILE *f;
	long kb = -1;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) == NULL || strncmp(buf, "ttsync", 6) != 0) {
		fclose(f);
		return -1;
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(buf, sizeof(buf), f))
		if (strncmp(buf, "VmHWM:", 6) == 0)
			kb = atol(buf + 6);
	fclose(f);
	return kb;
}

/* `ttsync run --config ...`, timed like /usr/bin/time: wall clock from
 * fork to reaping, peak RSS from wait4(). ru_maxrss also counts what the
 * forked child inherited from this process before exec, so the bench
 * gives its freed memory back first (malloc_trim) and holds no big JSON
 * across a run; the polled VmHWM of the ttsync image is a cross-check. */
static int run_ttsync(const struct store *s, const char *tag, int timeout_s,
		      struct proc_meas *m)
{
	const char *argv[] = { "ttsync", "run", "--config", s->config, NULL };
	struct rusage ru;
	double t0, deadline;
	pid_t pid, w;
	int st = 0;

	memset(m, 0, sizeof(*m));
	m->status = -1;
	snprintf(m->out_path, sizeof(m->out_path), "%s/%s.out", s->dir, tag);
	snprintf(m->err_path, sizeof(m->err_path), "%s/%s.err", s->dir, tag);
	m->hwm_kb = -1;
	malloc_trim(0);
	t0 = mono_s();
	deadline = t0 + timeout_s;
	pid = harness_spawn(argv, NULL, m->out_path, m->err_path);
	if (pid < 0) {
		fprintf(stderr, "bench: cannot start ttsync: %s\n", strerror(errno));
		return -1;
	}
	for (;;) {
		long hwm = poll_hwm(pid);

		if (hwm > m->hwm_kb)
			m->hwm_kb = hwm;
		memset(&ru, 0, sizeof(ru));
		w = wait4(pid, &st, WNOHANG, &ru);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			fprintf(stderr, "bench: wait4: %s\n", strerror(errno));
			return -1;
		}
		if (mono_s() > deadline) {
			fprintf(stderr, "bench: ttsync %s still running after %d s: killed\n",
				tag, timeout_s);
			kill(pid, SIGKILL);
			memset(&ru, 0, sizeof(ru));
			wait4(pid, &st, 0, &ru);
			break;
		}
		sleep_ms(20);
	}
	m->wall_s = mono_s() - t0;
	m->max_rss_kb = ru.ru_maxrss;
	if (WIFEXITED(st))
		m->status = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		m->status = 128 + WTERMSIG(st);
	return 0;
}

/* The last line ttsync wrote on stderr (its run summary). */
static void print_summary(const struct proc_meas *m)
{
	char *err = harness_read_file(m->err_path), *p, *last = NULL;

	if (err == NULL)
		return;
	for (p = strtok(err, "\n"); p; p = strtok(NULL, "\n"))
		if (strncmp(p, "ttsync: ", 8) == 0)
			last = p;
	if (last)
		printf("  %s\n", last);
	free(err);
}

/* ---- the request logs ---------------------------------------------------- */

struct api_count {
	char key[128];
	long n;
};

struct log_stats {
	long requests, writes, refused;	/* refused: 429 / THROTTLED (not executed) */
	int64_t first_ms, last_ms;
	/* TikTok */
	struct api_count api[MAX_APIS];
	size_t napi;
	long ship_calls;		/* POST .../packages (Mark Package As Shipped) */
	int64_t ship_first_ms, ship_last_ms;
	/* Shopify */
	double points;			/* sum of actualQueryCost */
	double requested;		/* sum of requestedQueryCost */
	long order_creates, orders_created, ful_creates;
	struct api_count op[MAX_APIS];
	size_t nop;
};

static void count_key(struct api_count *v, size_t *n, const char *key)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp(v[i].key, key) == 0) {
			v[i].n++;
			return;
		}
	if (*n < MAX_APIS) {
		snprintf(v[*n].key, sizeof(v[*n].key), "%s", key);
		v[(*n)++].n = 1;
	}
}

/* "POST /fulfillment/202309/orders/5780.../packages" ->
 * "POST /fulfillment/202309/orders/{id}/packages": one TikTok API. */
static void api_key(const char *method, const char *path, char *out, size_t n)
{
	size_t o = 0;
	const char *p;

	o = (size_t)snprintf(out, n, "%s ", method);
	for (p = path; *p && o + 5 < n;) {
		size_t d = 0;

		while (p[d] >= '0' && p[d] <= '9')
			d++;
		if (d >= 10) {
			memcpy(out + o, "{id}", 4);
			o += 4;
			p += d;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
}

/* The GraphQL document's operation: "mutation" or "query", and its name. */
static int gql_operation(const char *doc, char *name, size_t n)
{
	const char *p = doc;
	int mutation = 0;
	size_t k = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ',')
			p++;
		if (*p != '#')
			break;
		while (*p && *p != '\n')
			p++;
	}
	if (strncmp(p, "mutation", 8) == 0) {
		mutation = 1;
		p += 8;
	} else if (strncmp(p, "query", 5) == 0) {
		p += 5;
	}
	while (*p == ' ')
		p++;
	while (((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		(*p >= '0' && *p <= '9') || *p == '_') && k + 1 < n)
		name[k++] = *p++;
	name[k] = '\0';
	if (k == 0)
		snprintf(name, n, "%s", mutation ? "mutation" : "query");
	return mutation;
}

static void tally_tiktok(struct log_stats *ls, json_t *e)
{
	const char *method = json_string_value(json_object_get(e, "method"));
	const char *path = json_string_value(json_object_get(e, "path"));
	const char *resp = json_string_value(json_object_get(e, "response"));
	int64_t t = json_integer_value(json_object_get(e, "time_ms"));
	int status = (int)json_integer_value(json_object_get(e, "status"));
	char key[128];
	size_t len;

	if (method == NULL || path == NULL)
		return;
	api_key(method, path, key, sizeof(key));
	count_key(ls->api, &ls->napi, key);
	if (status == 429 || (resp && strstr(resp, "\"code\":36009002")))
		ls->refused++;
	if (strcmp(method, "POST") == 0 && strncmp(path, "/fulfillment/", 13) == 0)
		ls->writes++;
	len = strlen(path);
	if (strcmp(method, "POST") == 0 && strncmp(path, "/fulfillment/", 13) == 0 &&
	    len > 9 && strcmp(path + len - 9, "/packages") == 0) {
		if (ls->ship_calls == 0 || t < ls->ship_first_ms)
			ls->ship_first_ms = t;
		if (t > ls->ship_last_ms)
			ls->ship_last_ms = t;
		ls->ship_calls++;
	}
}

static void tally_shopify(struct log_stats *ls, json_t *e)
{
	const char *body = json_string_value(json_object_get(e, "body"));
	const char *resp = json_string_value(json_object_get(e, "response"));
	json_t *b = body ? json_loads(body, 0, NULL) : NULL;
	json_t *r = resp ? json_loads(resp, 0, NULL) : NULL;
	json_t *cost, *errs, *data;
	const char *doc = json_string_value(json_object_get(b, "query"));
	char op[96];
	int mutation = doc ? gql_operation(doc, op, sizeof(op)) : 0;

	if (doc == NULL)
		snprintf(op, sizeof(op), "(no document)");
	count_key(ls->op, &ls->nop, op);
	if (mutation)
		ls->writes++;
	cost = json_object_get(json_object_get(r, "extensions"), "cost");
	if (json_is_number(json_object_get(cost, "actualQueryCost")))
		ls->points += json_number_value(json_object_get(cost, "actualQueryCost"));
	if (json_is_number(json_object_get(cost, "requestedQueryCost")))
		ls->requested += json_number_value(json_object_get(cost, "requestedQueryCost"));
	errs = json_object_get(r, "errors");
	if (json_is_array(errs) && json_array_size(errs) > 0) {
		const char *code = json_string_value(json_object_get(
			json_object_get(json_array_get(errs, 0), "extensions"), "code"));

		if (code && strcmp(code, "THROTTLED") == 0)
			ls->refused++;
	}
	data = json_object_get(r, "data");
	if (mutation && strcmp(op, "OrderCreate") == 0) {
		json_t *oc = json_object_get(data, "orderCreate");

		ls->order_creates++;
		if (json_is_object(json_object_get(oc, "order")) &&
		    json_array_size(json_object_get(oc, "userErrors")) == 0)
			ls->orders_created++;
	}
	if (mutation && strcmp(op, "FulfillmentCreate") == 0)
		ls->ful_creates++;
	json_decref(b);
	json_decref(r);
}

/* Tally the log lines written after byte `from` (one run's requests). */
static int read_log(const struct emu_proc *p, long from, struct log_stats *ls)
{
	FILE *f = fopen(p->log_path, "rb");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int tiktok = strcmp(p->kind, "tiktok") == 0;

	memset(ls, 0, sizeof(*ls));
	if (f == NULL) {
		fprintf(stderr, "bench: %s: %s\n", p->log_path, strerror(errno));
		return -1;
	}
	if (fseek(f, from, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		json_t *e = json_loadb(line, (size_t)n, 0, NULL);
		int64_t t;

		if (e == NULL)
			continue;
		t = json_integer_value(json_object_get(e, "time_ms"));
		if (ls->requests == 0 || t < ls->first_ms)
			ls->first_ms = t;
		if (t > ls->last_ms)
			ls->last_ms = t;
		ls->requests++;
		if (tiktok)
			tally_tiktok(ls, e);
		else
			tally_shopify(ls, e);
		json_decref(e);
	}
	free(line);
	fclose(f);
	return 0;
}

/* ---- the rate-limit ceiling --------------------------------------------- */

/* The shortest time the platforms' limits allow for the requests a run
 * made: Shopify restores SH_RESTORE points/s on top of a full bucket;
 * TikTok allows TT_QPS per API on top of a full bucket of TT_QPS. */
static double ceiling_s(const struct log_stats *tt, const struct log_stats *sh,
			const char **binding, char *api, size_t api_n)
{
	double t_sh = (sh->points - SH_BUCKET) / SH_RESTORE, t_tt = 0, t;
	size_t i;

	if (t_sh < 0)
		t_sh = 0;
	snprintf(api, api_n, "-");
	for (i = 0; i < tt->napi; i++) {
		t = ((double)tt->api[i].n - TT_QPS) / TT_QPS;
		if (t > t_tt) {
			t_tt = t;
			snprintf(api, api_n, "%s", tt->api[i].key);
		}
	}
	*binding = t_sh >= t_tt ? "shopify" : "tiktok";
	return t_sh >= t_tt ? t_sh : t_tt;
}

static void print_requests(const char *what, const struct log_stats *ls, int tiktok)
{
	size_t i;

	printf("  %s: %ld requests (%ld writes, %ld refused by the rate limit)", what,
	       ls->requests, ls->writes, ls->refused);
	if (!tiktok)
		printf(", %.0f points charged (%.0f requested)", ls->points, ls->requested);
	printf(":");
	for (i = 0; i < (tiktok ? ls->napi : ls->nop); i++)
		printf(" %s=%ld", tiktok ? ls->api[i].key : ls->op[i].key,
		       tiktok ? ls->api[i].n : ls->op[i].n);
	printf("\n");
}

/* ---- scenario plumbing ---------------------------------------------------- */

struct scenario {
	const char *name;
	char fixdir[600];
	char tt_data[700], sh_data[700];
	struct store s;
	int started;
	int unlimited;		/* no latency, limits lifted (the memory scenario) */
};

static int gen_fixtures(struct scenario *sc, long orders)
{
	char n[32], *dir = harness_mkdtemp("bench-fix");
	const char *argv[] = { "fixturegen", "--orders", n, "--seed", "20261122",
			       "--out", NULL, NULL };
	struct run_result r;

	if (dir == NULL)
		return -1;
	snprintf(sc->fixdir, sizeof(sc->fixdir), "%s", dir);
	free(dir);
	snprintf(n, sizeof(n), "%ld", orders);
	argv[6] = sc->fixdir;
	if (harness_run(argv, NULL, 1200, &r) != 0) {
		fprintf(stderr, "bench: fixturegen failed (%d): %s\n", r.status,
			r.err ? r.err : "");
		run_result_free(&r);
		return -1;
	}
	run_result_free(&r);
	snprintf(sc->tt_data, sizeof(sc->tt_data), "%s/tiktok.json", sc->fixdir);
	snprintf(sc->sh_data, sizeof(sc->sh_data), "%s/shopify.json", sc->fixdir);
	return 0;
}

/* network.* overrides for exploring settings: BENCH_CONCURRENCY,
 * BENCH_TIKTOK_QPS (the product's defaults otherwise). */
static int apply_network_overrides(struct store *s)
{
	const char *conc = getenv("BENCH_CONCURRENCY"), *qps = getenv("BENCH_TIKTOK_QPS");
	char *cfg, *at, *out;
	size_t need;
	int rc;

	if ((conc == NULL || !*conc) && (qps == NULL || !*qps))
		return 0;
	cfg = harness_read_file(s->config);
	if (cfg == NULL || (at = strstr(cfg, "network:\n")) == NULL) {
		free(cfg);
		return -1;
	}
	need = strlen(cfg) + 128;
	out = malloc(need);
	if (out == NULL) {
		free(cfg);
		return -1;
	}
	at += strlen("network:\n");
	snprintf(out, need, "%.*s%s%s%s%s%s%s%s", (int)(at - cfg), cfg,
		 conc && *conc ? "  concurrency: " : "", conc && *conc ? conc : "",
		 conc && *conc ? "\n" : "",
		 qps && *qps ? "  tiktok_qps: " : "", qps && *qps ? qps : "",
		 qps && *qps ? "\n" : "", at);
	rc = harness_write_file(s->config, out);
	printf("  network overrides:%s%s%s%s\n", conc && *conc ? " concurrency=" : "",
	       conc && *conc ? conc : "", qps && *qps ? " tiktok_qps=" : "",
	       qps && *qps ? qps : "");
	free(out);
	free(cfg);
	return rc;
}

/* harness_start_emu with a longer start-up limit: the TikTok twin needs
 * ~15 s (and ~3.7 GB) to load a 100,000-order fixture; the harness waits
 * 10 s. Same arguments, log path and emu_proc as the harness fills. */
static int start_emu_slow(const char *kind, const char *data_file, const char *tag,
			  const char *const *extra, int timeout_s, struct emu_proc *out)
{
	const char *argv[16];
	char prog[64], port_file[600], pid_file[600], err_path[600];
	const char *logdir = getenv("TTSYNC_TEST_LOGDIR");
	char *dir = harness_mkdtemp(kind);
	size_t n = 0, i;
	double deadline = mono_s() + timeout_s;
	int st;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	if (dir == NULL)
		return -1;
	snprintf(out->dir, sizeof(out->dir), "%s", dir);
	free(dir);
	snprintf(prog, sizeof(prog), "%s-emu", kind);
	snprintf(port_file, sizeof(port_file), "%s/port", out->dir);
	snprintf(pid_file, sizeof(pid_file), "%s/pid", out->dir);
	snprintf(err_path, sizeof(err_path), "%s/stderr", out->dir);
	if ((size_t)snprintf(out->log_path, sizeof(out->log_path), "%s/%s-%s.log",
			     logdir && *logdir ? logdir : out->dir, kind, tag) >=
	    sizeof(out->log_path)) {
		fprintf(stderr, "bench: log path too long\n");
		return -1;
	}
	argv[n++] = prog;
	argv[n++] = "--data";
	argv[n++] = data_file;
	argv[n++] = "--port";
	argv[n++] = "0";
	argv[n++] = "--port-file";
	argv[n++] = port_file;
	argv[n++] = "--pid-file";
	argv[n++] = pid_file;
	argv[n++] = "--log";
	argv[n++] = out->log_path;
	for (i = 0; extra && extra[i] && n < 15; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	out->pid = harness_spawn(argv, NULL, NULL, err_path);
	if (out->pid < 0)
		return -1;
	while (mono_s() < deadline) {
		char *txt = harness_read_file(port_file);

		if (txt && strchr(txt, '\n') && atoi(txt) > 0) {
			out->port = atoi(txt);
			free(txt);
			snprintf(out->base_url, sizeof(out->base_url), "http://127.0.0.1:%d",
				 out->port);
			return 0;
		}
		free(txt);
		if (waitpid(out->pid, &st, WNOHANG) == out->pid) {
			char *err = harness_read_file(err_path);

			fprintf(stderr, "bench: %s exited early: %s\n", prog, err ? err : "");
			free(err);
			out->pid = 0;
			return -1;
		}
		sleep_ms(50);
	}
	fprintf(stderr, "bench: %s did not start in %d s\n", prog, timeout_s);
	harness_stop_emu(out);
	return -1;
}

static int start_store(struct scenario *sc, const char *tag)
{
	const char *emu_args[] = { "--latency-ms", sc->unlimited ? "0" : latency_ms(), NULL };
	struct store_opts o;
	char cfg[128], *dir;
	json_t *j;

	memset(&o, 0, sizeof(o));
	o.tt_data = sc->tt_data;
	o.sh_data = sc->sh_data;
	o.order_auto_sync = 1;
	o.timeout_seconds = 30;
	o.extra_settings = "  deadline_seconds: 86400\n";
	/* harness_store_start, with start_emu_slow for the emulators */
	memset(&sc->s, 0, sizeof(sc->s));
	dir = harness_mkdtemp("store");
	if (dir == NULL)
		return -1;
	snprintf(sc->s.dir, sizeof(sc->s.dir), "%s", dir);
	free(dir);
	snprintf(sc->s.config, sizeof(sc->s.config), "%s/ttsync.yaml", sc->s.dir);
	snprintf(sc->s.state, sizeof(sc->s.state), "%s/state.sqlite", sc->s.dir);
	snprintf(sc->s.reports, sizeof(sc->s.reports), "%s/reports", sc->s.dir);
	if (start_emu_slow("tiktok", sc->tt_data, tag, emu_args, 600, &sc->s.tt) != 0)
		return -1;
	sc->started = 1;
	if (start_emu_slow("shopify", sc->sh_data, tag, emu_args, 600, &sc->s.sh) != 0 ||
	    harness_store_config(&sc->s, &o) != 0)
		return -1;
	snprintf(cfg, sizeof(cfg), "{\"bucket_size\": %.0f, \"restore_rate\": %.0f}",
		 sc->unlimited ? 1e9 : SH_BUCKET, sc->unlimited ? 1e9 : SH_RESTORE);
	j = harness_emu_post(&sc->s.sh, "/_emu/config", cfg);
	if (j == NULL || json_object_get(j, "error")) {
		fprintf(stderr, "bench: Shopify /_emu/config refused %s\n", cfg);
		json_decref(j);
		return -1;
	}
	json_decref(j);
	j = harness_emu_post(&sc->s.tt, "/_emu/config", sc->unlimited
			     ? "{\"rate_limit_qps\": 1000000}" : "{\"rate_limit_qps\": 50}");
	json_decref(j);
	if (apply_network_overrides(&sc->s) != 0)
		return -1;
	return 0;
}

static void stop_store(struct scenario *sc)
{
	if (sc->started)
		harness_store_stop(&sc->s);
	sc->started = 0;
}

/* One measured run with its logs tallied. */
struct run_meas {
	struct proc_meas p;
	struct log_stats tt, sh;
};

static int measured_run(struct scenario *sc, const char *tag, int timeout_s,
			struct run_meas *rm)
{
	long tt_from = file_size(sc->s.tt.log_path), sh_from = file_size(sc->s.sh.log_path);

	memset(rm, 0, sizeof(*rm));
	if (run_ttsync(&sc->s, tag, timeout_s, &rm->p) != 0)
		return -1;
	if (read_log(&sc->s.tt, tt_from, &rm->tt) != 0 ||
	    read_log(&sc->s.sh, sh_from, &rm->sh) != 0)
		return -1;
	printf("  %s: ttsync exit %d, wall %.1f s, peak RSS %.1f MB (VmHWM polled: %.1f MB)\n",
	       tag, rm->p.status, rm->p.wall_s, (double)rm->p.max_rss_kb / 1024.0,
	       (double)rm->p.hwm_kb / 1024.0);
	print_summary(&rm->p);
	print_requests("TikTok", &rm->tt, 1);
	print_requests("Shopify", &rm->sh, 0);
	if (rm->p.status != 0 && rm->p.status != 1) {
		char *err = harness_read_file(rm->p.err_path);

		fprintf(stderr, "bench: ttsync %s exited %d:\n%s\n", tag, rm->p.status,
			err ? err : "");
		free(err);
		return -1;
	}
	if (rm->p.status == 1)
		printf("  %s: WARNING: some items failed (exit 1): see %s/reports/latest/failed.csv\n",
		       tag, sc->s.dir);
	return 0;
}

/* Figures of a run that created orders. */
static void print_order_figures(const char *name, const struct run_meas *rm, long expected)
{
	const char *binding;
	char api[128];
	double ceil = ceiling_s(&rm->tt, &rm->sh, &binding, api, sizeof(api));
	long created = rm->sh.orders_created;
	long reads = rm->tt.requests - rm->tt.writes + rm->sh.requests - rm->sh.writes;
	double per = created > 0 ? (double)created : 1.0;

	printf("  %s: %ld of %ld orders created in Shopify\n", name, created, expected);
	printf("bench %s_orders_per_s: %.1f orders/s (target: ratio >= 0.90 below)\n", name,
	       (double)created / rm->p.wall_s);
	printf("bench %s_ratio: %.3f of the rate-limit ceiling (target >= 0.90)\n", name,
	       rm->p.wall_s > 0 ? ceil / rm->p.wall_s : 0);
	printf("  binding: %s; the limits allow this run's requests in %.1f s, it took %.1f s"
	       " (Shopify %.0f points at %.0f/s over a %.0f bucket; TikTok busiest API %s)\n",
	       binding, ceil, rm->p.wall_s, rm->sh.points, SH_RESTORE, SH_BUCKET, api);
	printf("bench %s_shopify_utilisation: %.3f of the restore rate (points/s over the run / %.0f)"
	       " (no target)\n", name, rm->sh.points / rm->p.wall_s / SH_RESTORE, SH_RESTORE);
	printf("bench %s_writes_per_order: %.3f calls (target <= 1.02)\n", name,
	       (double)(rm->sh.writes + rm->tt.writes) / per);
	printf("bench %s_reads_per_order: %.3f requests (TikTok %.3f, Shopify %.3f) (no target)\n",
	       name, (double)reads / per, (double)(rm->tt.requests - rm->tt.writes) / per,
	       (double)(rm->sh.requests - rm->sh.writes) / per);
	printf("bench %s_requests_per_order: %.3f requests (no target)\n", name,
	       (double)(rm->tt.requests + rm->sh.requests) / per);
	printf("bench %s_max_rss: %.1f MB (no target here; the 100k window's is below)\n",
	       name, (double)rm->p.max_rss_kb / 1024.0);
}

/* "5k", "100k", "200": the size part of a figure's name. */
static void size_label(long n, char *buf, size_t len)
{
	if (n >= 1000 && n % 1000 == 0)
		snprintf(buf, len, "%ldk", n / 1000);
	else
		snprintf(buf, len, "%ld", n);
}

/* ---- scenario 2: orders ---------------------------------------------------- */

static int scenario_orders(long orders, const char *name, int timeout_s)
{
	struct scenario sc;
	struct run_meas rm;
	int ret = -1;

	memset(&sc, 0, sizeof(sc));
	printf("== %s: %ld new orders, first run with automatic order sync "
	       "(latency %s ms, TikTok %.0f/s, Shopify bucket %.0f restoring %.0f/s)\n",
	       name, orders, latency_ms(), TT_QPS, SH_BUCKET, SH_RESTORE);
	fflush(stdout);
	if (gen_fixtures(&sc, orders) != 0 || start_store(&sc, name) != 0)
		goto cleanup;
	if (measured_run(&sc, "run1", timeout_s, &rm) != 0)
		goto cleanup;
	print_order_figures(name, &rm, orders);
	ret = 0;
cleanup:
	if (ret != 0)
		printf("bench %s: FAILED (could not run; see stderr)\n", name);
	fflush(stdout);
	stop_store(&sc);
	return ret;
}

/* ---- scenario 4: memory over a 100k-order window ------------------------- */

/* Issue 3's memory line: peak RSS of a run whose window holds 100,000
 * orders, every one created in Shopify (the whole orders stage: read,
 * record, resolve, look up, create, report). Memory, not speed, is the
 * figure: the emulators answer at once and their limits are lifted so
 * the run takes minutes, not the hour 100,000 creations take at 50 ms
 * latency and 1000 points/s (BENCH_BIG=1 runs that one). */
static int scenario_window(long orders, const char *name, int timeout_s)
{
	struct scenario sc;
	struct run_meas rm;
	int ret = -1;

	memset(&sc, 0, sizeof(sc));
	sc.unlimited = 1;
	printf("== %s: a first run over a window of %ld new orders, automatic order sync; "
	       "no latency, rate limits lifted (a memory figure)\n", name, orders);
	fflush(stdout);
	if (gen_fixtures(&sc, orders) != 0 || start_store(&sc, name) != 0)
		goto cleanup;
	if (measured_run(&sc, "run1", timeout_s, &rm) != 0)
		goto cleanup;
	printf("  %s: %ld of %ld orders created in Shopify, %.1f orders/s\n", name,
	       rm.sh.orders_created, orders, (double)rm.sh.orders_created / rm.p.wall_s);
	printf("bench %s_max_rss: %.1f MB (target <= 64 MB)\n", name,
	       (double)rm.p.max_rss_kb / 1024.0);
	ret = 0;
cleanup:
	if (ret != 0)
		printf("bench %s: FAILED (could not run; see stderr)\n", name);
	fflush(stdout);
	stop_store(&sc);
	return ret;
}

/* ---- scenario 1 + 3: fulfillments, then an unchanged run ------------------ */

/* The merchant fulfils every seller-shipping order in Shopify admin: USPS
 * (offered by every seller delivery option of the generated store), a
 * distinct tracking number of USPS's 22-digit format each. Returns how
 * many were fulfilled, -1 on failure. */
static long merchant_fulfils(struct scenario *sc, json_t *fix, json_t *tracking)
{
	json_t *orders = json_object_get(fix, "orders"), *o;
	size_t i;
	long n = 0, seq = 0;

	json_array_foreach(orders, i, o) {
		const char *id = json_string_value(json_object_get(o, "id"));
		const char *st = json_string_value(json_object_get(o, "shipping_type"));
		char body[256], number[32];
		json_t *r;

		if (id == NULL || st == NULL || strcmp(st, "SELLER") != 0)
			continue;
		snprintf(number, sizeof(number), "94%020ld", 100000L + seq++);
		snprintf(body, sizeof(body),
			 "{\"type\":\"fulfill\",\"order\":\"%s\",\"company\":\"USPS\","
			 "\"number\":\"%s\"}", id, number);
		r = harness_emu_post(&sc->s.sh, "/_emu/event", body);
		if (r == NULL || json_object_get(r, "error")) {
			char *txt = r ? json_dumps(r, JSON_COMPACT) : NULL;

			fprintf(stderr, "bench: fulfil %s in Shopify: %s\n", id, txt ? txt : "no answer");
			free(txt);
			json_decref(r);
			return -1;
		}
		json_decref(r);
		json_object_set_new(tracking, id, json_string(number));
		n++;
	}
	return n;
}

/* Wait until the emulators' clocks have left the second of the events:
 * TikTok's window is [cursor - overlap, now) in whole seconds. */
static void next_second(struct scenario *sc)
{
	json_t *c = harness_emu_get(&sc->s.tt, "/_emu/clock");
	json_int_t t0 = json_integer_value(json_object_get(c, "now")), t = t0;
	int i;

	json_decref(c);
	for (i = 0; i < 300 && t <= t0; i++) {
		sleep_ms(20);
		c = harness_emu_get(&sc->s.tt, "/_emu/clock");
		t = json_integer_value(json_object_get(c, "now"));
		json_decref(c);
	}
}

/* What the platforms hold after run 2: seller-shipping orders shipped on
 * TikTok with the merchant's tracking (pushes), TikTok-shipping orders
 * fulfilled in Shopify with TikTok's tracking (pulls). */
static int count_synced(struct scenario *sc, json_t *merchant_tracking, long *pushes,
			long *pulls, long *dup_packages)
{
	json_t *tt = harness_emu_get(&sc->s.tt, "/_emu/state");
	json_t *sh = harness_emu_get(&sc->s.sh, "/_emu/state");
	json_t *label = json_object(), *pkgs, *p, *o, *seen = json_object();
	size_t i, j, k;
	int ret = -1;

	*pushes = *pulls = *dup_packages = 0;
	if (tt == NULL || sh == NULL)
		goto cleanup;
	pkgs = json_object_get(tt, "packages");
	json_array_foreach(pkgs, i, p) {
		const char *oid = json_string_value(json_object_get(p, "order_id"));
		const char *type = json_string_value(json_object_get(p, "shipping_type"));
		const char *num = json_string_value(json_object_get(p, "tracking_number"));
		const char *want;

		if (oid == NULL || type == NULL || num == NULL)
			continue;
		if (strcmp(type, "TIKTOK") == 0) {
			json_object_set_new(label, oid, json_string(num));
			continue;
		}
		if (json_object_get(seen, oid))
			(*dup_packages)++;
		json_object_set_new(seen, oid, json_true());
		want = json_string_value(json_object_get(merchant_tracking, oid));
		if (want && strcmp(want, num) == 0)
			(*pushes)++;
	}
	json_array_foreach(json_object_get(sh, "orders"), i, o) {
		const char *src = json_string_value(json_object_get(o, "sourceIdentifier"));
		const char *want = src ? json_string_value(json_object_get(label, src)) : NULL;
		json_t *f, *ti;
		int hit = 0;

		if (want == NULL)
			continue;
		json_array_foreach(json_object_get(o, "fulfillments"), j, f)
			json_array_foreach(json_object_get(f, "trackingInfo"), k, ti) {
				const char *num = json_string_value(json_object_get(ti, "number"));

				if (num && strcmp(num, want) == 0)
					hit++;
			}
		if (hit >= 1)
			(*pulls)++;
		if (hit > 1)
			(*dup_packages) += hit - 1;
	}
	ret = 0;
cleanup:
	json_decref(tt);
	json_decref(sh);
	json_decref(label);
	json_decref(seen);
	return ret;
}

static int scenario_fulfil(long orders)
{
	struct scenario sc;
	struct run_meas r1, r2, r3;
	json_t *fix = NULL, *tracking = json_object(), *ev;
	json_error_t jerr;
	long seller, labels = 0, pushes = 0, pulls = 0, dups = 0, synced;
	const char *binding;
	char api[128];
	double ceil, ship_span, ship_rate, sh_util, t0;
	int ret = -1;

	memset(&sc, 0, sizeof(sc));
	char sz[32], name[64], oname[64], rname[64];

	size_label(orders, sz, sizeof(sz));
	snprintf(name, sizeof(name), "fulfil_%s", sz);
	snprintf(oname, sizeof(oname), "orders_%s", sz);
	snprintf(rname, sizeof(rname), "rerun_%s", sz);
	printf("== %s: %ld orders (half seller shipping, half TikTok shipping); "
	       "latency %s ms, TikTok %.0f/s per API, Shopify bucket %.0f restoring %.0f/s\n",
	       name, orders, latency_ms(), TT_QPS, SH_BUCKET, SH_RESTORE);
	fflush(stdout);
	if (gen_fixtures(&sc, orders) != 0 || start_store(&sc, "fulfil") != 0)
		goto cleanup;

	/* Run 1: the orders reach Shopify (issue 3's 5,000 new orders). */
	if (measured_run(&sc, "run1", RUN_TIMEOUT_S, &r1) != 0)
		goto cleanup;
	print_order_figures(oname, &r1, orders);
	fflush(stdout);

	/* The platforms move: the merchant fulfils, TikTok buys labels. */
	fix = json_load_file(sc.tt_data, 0, &jerr);
	if (fix == NULL) {
		fprintf(stderr, "bench: %s: %s\n", sc.tt_data, jerr.text);
		goto cleanup;
	}
	t0 = mono_s();
	seller = merchant_fulfils(&sc, fix, tracking);
	json_decref(fix);	/* ~200 MB as a tree: not across a run (run_ttsync) */
	fix = NULL;
	if (seller < 0)
		goto cleanup;
	ev = harness_emu_post(&sc.s.tt, "/_emu/event", "{\"type\":\"buy_label\",\"order_id\":\"*\"}");
	labels = ev ? (long)json_integer_value(json_object_get(ev, "orders_changed")) : -1;
	json_decref(ev);
	if (labels < 0) {
		fprintf(stderr, "bench: buy_label * refused\n");
		goto cleanup;
	}
	printf("  events: %ld seller-shipping orders fulfilled in Shopify (USPS), "
	       "%ld TikTok labels bought (%.1f s)\n", seller, labels, mono_s() - t0);
	next_second(&sc);

	/* Run 2: fulfillments both ways. */
	if (measured_run(&sc, "run2", RUN_TIMEOUT_S, &r2) != 0)
		goto cleanup;
	if (count_synced(&sc, tracking, &pushes, &pulls, &dups) != 0) {
		fprintf(stderr, "bench: could not read the emulators' state\n");
		goto cleanup;
	}
	synced = pushes + pulls;
	printf("  run2: on the platforms: %ld of %ld seller shipments on TikTok with the "
	       "merchant's tracking, %ld of %ld TikTok labels as Shopify fulfillments; "
	       "%ld duplicates\n", pushes, seller, pulls, labels, dups);
	ceil = ceiling_s(&r2.tt, &r2.sh, &binding, api, sizeof(api));
	ship_span = (double)(r2.tt.ship_last_ms - r2.tt.ship_first_ms) / 1000.0;
	ship_rate = r2.tt.ship_calls > 1 && ship_span > 0
		? (double)(r2.tt.ship_calls - 1) / ship_span : 0;
	sh_util = r2.sh.points / r2.p.wall_s / SH_RESTORE;
	printf("bench %s_run2_wall: %.1f s (no target)\n", name, r2.p.wall_s);
	printf("bench %s_ratio: %.3f of the rate-limit ceiling (target >= 0.90)\n", name,
	       r2.p.wall_s > 0 ? ceil / r2.p.wall_s : 0);
	printf("  binding over run 2: %s; the limits allow run 2's requests in %.1f s "
	       "(Shopify %.0f points; TikTok busiest API %s)\n", binding, ceil,
	       r2.sh.points, api);
	printf("bench %s_ship_phase_ratio: %.3f of TikTok's 50/s (%ld ship calls in "
	       "%.1f s = %.1f/s) (target >= 0.90)\n", name, ship_rate / TT_QPS,
	       r2.tt.ship_calls, ship_span, ship_rate);
	printf("bench %s_shopify_utilisation: %.3f of the restore rate "
	       "(%.0f points in %.1f s) (target >= 0.90 when Shopify binds)\n", name,
	       sh_util, r2.sh.points, r2.p.wall_s);
	printf("bench %s_writes_per_fulfillment: %.3f calls (%ld TikTok + %ld Shopify "
	       "writes / %ld fulfillments synced) (target <= 1.02)\n", name,
	       synced ? (double)(r2.tt.writes + r2.sh.writes) / (double)synced : 0,
	       r2.tt.writes, r2.sh.writes, synced);
	printf("bench %s_synced: %ld of %ld fulfillments (target %ld)\n", name, synced,
	       seller + labels, seller + labels);
	printf("bench %s_max_rss: %.1f MB (no target)\n", name,
	       (double)r2.p.max_rss_kb / 1024.0);
	fflush(stdout);

	/* Scenario 3: nothing changed since run 2. */
	next_second(&sc);
	if (measured_run(&sc, "run3", RUN_TIMEOUT_S, &r3) != 0)
		goto cleanup;
	printf("bench %s_writes: %ld calls (target 0)\n", rname, r3.tt.writes + r3.sh.writes);
	printf("bench %s_wall: %.1f s (no target)\n", rname, r3.p.wall_s);
	printf("bench %s_reads: %ld requests (TikTok %ld, Shopify %ld, %.0f points) "
	       "(no target)\n", rname, r3.tt.requests + r3.sh.requests, r3.tt.requests,
	       r3.sh.requests, r3.sh.points);
	printf("bench %s_max_rss: %.1f MB (no target)\n", rname,
	       (double)r3.p.max_rss_kb / 1024.0);
	ret = 0;
cleanup:
	if (ret != 0)
		printf("bench %s: FAILED (could not run; see stderr)\n", name);
	fflush(stdout);
	json_decref(fix);
	json_decref(tracking);
	stop_store(&sc);
	return ret;
}

int main(void)
{
	const char *big = getenv("BENCH_BIG");
	const char *only = getenv("BENCH_SYNC_ONLY");	/* "fulfil" or "orders" */
	const char *nv = getenv("BENCH_ORDERS");	/* smoke runs: N and 2N orders */
	long n = nv && *nv ? atol(nv) : 5000;
	char sz[32], name[64];
	int failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (n < 2)
		n = 5000;
	if (only == NULL || strcmp(only, "fulfil") == 0)
		failed |= scenario_fulfil(n) != 0;
	size_label(2 * n, sz, sizeof(sz));
	snprintf(name, sizeof(name), "orders_%s", sz);
	if (only == NULL || strcmp(only, "orders") == 0)
		failed |= scenario_orders(2 * n, name, RUN_TIMEOUT_S) != 0;
	if (only == NULL || strcmp(only, "window") == 0) {
		const char *wv = getenv("BENCH_WINDOW_ORDERS");
		long wn = wv && *wv ? atol(wv) : 100000;

		if (wn < 1)
			wn = 100000;
		size_label(wn, sz, sizeof(sz));
		snprintf(name, sizeof(name), "window_%s", sz);
		failed |= scenario_window(wn, name, BIG_TIMEOUT_S) != 0;
	}
	if (big && strcmp(big, "1") == 0)
		failed |= scenario_orders(100000, "orders_100k", BIG_TIMEOUT_S) != 0;
	else
		printf("  (BENCH_BIG=1 adds a 100,000-order first run at 50 ms and the "
		       "rate limits: about an hour)\n");
	return failed ? 1 : 0;
}

/*
 * harness.c - start and stop the emulators on free loopback ports, talk to
 * them, run the real ttsync binary with a timeout and capture its output.
 * Shared by the emulator conformance suites, the end-to-end suites and the
 * benchmarks. Owns the child processes it starts (stopped by
 * harness_stop_emu / reaped by harness_run).
 */
#include "harness.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return (v && *v) ? v : dflt;
}

const char *harness_build_dir(void)
{
	return env_or("TTSYNC_BUILD_DIR", "build");
}

const char *harness_top(void)
{
	return env_or("TTSYNC_TOP", ".");
}

const char *harness_shared(void)
{
	return env_or("TTSYNC_SHARED", "../shared");
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

char *harness_mkdtemp(const char *tag)
{
	char tmpl[512];
	const char *tmp = env_or("TMPDIR", "/tmp");

	snprintf(tmpl, sizeof(tmpl), "%s/ttsync-%s.XXXXXX", tmp,
		 tag ? tag : "t");
	if (mkdtemp(tmpl) == NULL) {
		fprintf(stderr, "harness: mkdtemp %s: %s\n", tmpl,
			strerror(errno));
		return NULL;
	}
	return strdup(tmpl);
}

char *harness_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap + 1);
			if (buf == NULL) {
				fclose(f);
				return NULL;
			}
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

int harness_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (f == NULL)
		return -1;
	if (fputs(text, f) == EOF)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

/* argv[0] without '/' is looked up in the build dir. */
static char *resolve_prog(const char *prog)
{
	char buf[1024];

	if (strchr(prog, '/'))
		return strdup(prog);
	snprintf(buf, sizeof(buf), "%s/%s", harness_build_dir(), prog);
	return strdup(buf);
}

static void child_exec(const char *const *argv, const char *const *env)
{
	char *prog = resolve_prog(argv[0]);
	size_t i;

	for (i = 0; env && env[i]; i++)
		putenv((char *)env[i]);
	execv(prog, (char *const *)argv);
	fprintf(stderr, "harness: exec %s: %s\n", prog, strerror(errno));
	_exit(127);
}

pid_t harness_spawn(const char *const *argv, const char *const *env,
		    const char *out_path, const char *err_path)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd;

		setpgid(0, 0);
		if (out_path) {
			fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd >= 0) {
				dup2(fd, 1);
				close(fd);
			}
		}
		if (err_path) {
			fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd >= 0) {
				dup2(fd, 2);
				close(fd);
			}
		}
		child_exec(argv, env);
	}
	return pid;
}

int harness_start_emu(const char *kind, const char *data_file,
		      const char *tag, const char *const *extra_args,
		      struct emu_proc *out)
{
	const char *argv[64];
	char prog[64], port_file[600], pid_file[600], err_path[600];
	const char *logdir = getenv("TTSYNC_TEST_LOGDIR");
	char *dir;
	size_t n = 0, i;
	int waited;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	dir = harness_mkdtemp(kind);
	if (dir == NULL)
		return -1;
	snprintf(out->dir, sizeof(out->dir), "%s", dir);
	free(dir);
	snprintf(prog, sizeof(prog), "%s-emu", kind);
	snprintf(port_file, sizeof(port_file), "%s/port", out->dir);
	snprintf(pid_file, sizeof(pid_file), "%s/pid", out->dir);
	snprintf(err_path, sizeof(err_path), "%s/stderr", out->dir);
	if ((size_t)snprintf(out->log_path, sizeof(out->log_path),
			     "%s/%s-%s.log", logdir && *logdir ? logdir : out->dir,
			     kind, tag ? tag : "test") >= sizeof(out->log_path)) {
		fprintf(stderr, "harness: log path too long\n");
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
	for (i = 0; extra_args && extra_args[i] && n < 62; i++)
		argv[n++] = extra_args[i];
	argv[n] = NULL;
	out->pid = harness_spawn(argv, NULL, NULL, err_path);
	if (out->pid < 0) {
		fprintf(stderr, "harness: fork: %s\n", strerror(errno));
		return -1;
	}
	for (waited = 0; waited < 10000; waited += 10) {
		char *txt = harness_read_file(port_file);
		int status;

		if (txt && *txt && strchr(txt, '\n')) {
			out->port = atoi(txt);
			free(txt);
			if (out->port > 0)
				break;
		}
		free(txt);
		if (waitpid(out->pid, &status, WNOHANG) == out->pid) {
			char *err = harness_read_file(err_path);

			fprintf(stderr, "harness: %s exited early: %s\n", prog,
				err ? err : "");
			free(err);
			out->pid = 0;
			return -1;
		}
		msleep(10);
	}
	if (out->port <= 0) {
		fprintf(stderr, "harness: %s did not write %s in 10 s\n", prog,
			port_file);
		harness_stop_emu(out);
		return -1;
	}
	snprintf(out->base_url, sizeof(out->base_url), "http://127.0.0.1:%d",
		 out->port);
	return 0;
}

/* Remove the emulator's private directory (port, pid and stderr files;
 * the request log lives elsewhere unless no log dir was set). */
static void remove_emu_dir(struct emu_proc *p)
{
	static const char *const names[] = { "port", "pid", "stderr" };
	char path[700];
	size_t i;

	if (p->dir[0] == '\0')
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", p->dir, names[i]);
		unlink(path);
	}
	rmdir(p->dir);	/* fails, harmlessly, while a log is kept inside */
}

void harness_stop_emu(struct emu_proc *p)
{
	int status, waited;

	if (p == NULL || p->pid <= 0)
		return;
	kill(p->pid, SIGTERM);
	for (waited = 0; waited < 5000; waited += 10) {
		if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
			p->pid = 0;
			remove_emu_dir(p);
			return;
		}
		msleep(10);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &status, 0);
	p->pid = 0;
	remove_emu_dir(p);
}

struct membuf {
	char *p;
	size_t n;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct membuf *b = ud;
	size_t add = size * nmemb;
	char *q = realloc(b->p, b->n + add + 1);

	if (q == NULL)
		return 0;
	b->p = q;
	memcpy(b->p + b->n, ptr, add);
	b->n += add;
	b->p[b->n] = '\0';
	return add;
}

int harness_http(const char *method, const char *url,
		 const char *const *headers, const char *body, long *status,
		 char **resp_body)
{
	static int curl_ready;
	CURL *c;
	struct curl_slist *hl = NULL;
	struct membuf b = { NULL, 0 };
	CURLcode rc;
	size_t i;

	if (!curl_ready) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		curl_ready = 1;
	}
	c = curl_easy_init();
	if (c == NULL)
		return -1;
	for (i = 0; headers && headers[i]; i++)
		hl = curl_slist_append(hl, headers[i]);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		free(b.p);
		return -1;
	}
	if (b.p == NULL)
		b.p = strdup("");
	if (resp_body)
		*resp_body = b.p;
	else
		free(b.p);
	return 0;
}

static json_t *emu_call(const struct emu_proc *p, const char *method,
			const char *path, const char *body)
{
	char url[1024], *resp = NULL;
	const char *hdrs[] = { "Content-Type: application/json", NULL };
	long status = 0;
	json_error_t jerr;
	json_t *j;

	snprintf(url, sizeof(url), "%s%s", p->base_url, path);
	if (harness_http(method, url, hdrs, body, &status, &resp) != 0)
		return NULL;
	j = json_loads(resp, JSON_DECODE_ANY, &jerr);
	if (j == NULL)
		fprintf(stderr, "harness: %s %s: not JSON (%s): %.200s\n",
			method, path, jerr.text, resp);
	free(resp);
	return j;
}

json_t *harness_emu_get(const struct emu_proc *p, const char *path)
{
	return emu_call(p, "GET", path, NULL);
}

json_t *harness_emu_post(const struct emu_proc *p, const char *path,
			 const char *json_body)
{
	return emu_call(p, "POST", path, json_body ? json_body : "{}");
}

json_t *harness_emu_delete(const struct emu_proc *p, const char *path)
{
	return emu_call(p, "DELETE", path, NULL);
}

json_t *harness_emu_log(const struct emu_proc *p)
{
	char url[1024], *resp = NULL, *line, *save = NULL;
	long status = 0;
	json_t *arr;

	snprintf(url, sizeof(url), "%s/_emu/log", p->base_url);
	if (harness_http("GET", url, NULL, NULL, &status, &resp) != 0)
		return NULL;
	arr = json_array();
	for (line = strtok_r(resp, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(line, 0, NULL);

		if (j)
			json_array_append_new(arr, j);
	}
	free(resp);
	return arr;
}

static char *slurp_fd(int fd)
{
	struct membuf b = { NULL, 0 };
	char tmp[4096];
	ssize_t n;

	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		collect(tmp, 1, (size_t)n, &b);
	return b.p ? b.p : strdup("");
}

int harness_run(const char *const *argv, const char *const *env,
		int timeout_s, struct run_result *r)
{
	char *dir = harness_mkdtemp("run");
	char out_path[600], err_path[600];
	pid_t pid;
	int status = 0, waited = 0, fd;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (dir == NULL)
		return -1;
	snprintf(out_path, sizeof(out_path), "%s/out", dir);
	snprintf(err_path, sizeof(err_path), "%s/err", dir);
	pid = harness_spawn(argv, env, out_path, err_path);
	if (pid < 0) {
		free(dir);
		return -1;
	}
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (timeout_s > 0 && waited >= timeout_s * 1000) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		msleep(5);
		waited += 5;
	}
	if (WIFEXITED(status))
		r->status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		r->status = 128 + WTERMSIG(status);
	fd = open(out_path, O_RDONLY);
	r->out = fd >= 0 ? slurp_fd(fd) : strdup("");
	if (fd >= 0)
		close(fd);
	fd = open(err_path, O_RDONLY);
	r->err = fd >= 0 ? slurp_fd(fd) : strdup("");
	if (fd >= 0)
		close(fd);
	unlink(out_path);
	unlink(err_path);
	rmdir(dir);
	free(dir);
	return r->status;
}

void run_result_free(struct run_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

/* ---- ttsync against the emulators -------------------------------------- */

#include <csv.h>

static int write_secret(const char *dir, const char *name, const char *value)
{
	char path[700];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	n = write(fd, value, strlen(value));
	close(fd);
	return n == (ssize_t)strlen(value) ? 0 : -1;
}

int harness_store_config(struct store *s, const struct store_opts *o)
{
	struct store_opts dflt;
	FILE *f;
	int rc = 0;

	if (o == NULL) {
		memset(&dflt, 0, sizeof(dflt));
		o = &dflt;
	}
	if (write_secret(s->dir, "app_secret", o->app_secret ? o->app_secret : "demo_app_secret") ||
	    write_secret(s->dir, "access_token", o->access_token ? o->access_token : "TTP_demo_access") ||
	    write_secret(s->dir, "refresh_token", o->refresh_token ? o->refresh_token : "TTP_demo_refresh") ||
	    write_secret(s->dir, "shopify_token", o->shopify_token ? o->shopify_token : "shpat_demo_token"))
		return -1;
	f = fopen(s->config, "w");
	if (f == NULL)
		return -1;
	fprintf(f,
		"store:\n  name: Demo Store\n  region: US\n"
		"tiktok:\n  app_key: demo_app_key\n  app_secret_file: app_secret\n"
		"  shop_cipher: ROW_demo_cipher\n  access_token_file: access_token\n"
		"  refresh_token_file: refresh_token\n  api_base: %s\n  auth_base: %s\n"
		"shopify:\n  shop_domain: demo-store.myshopify.com\n  base_url: %s\n"
		"  access_token_file: shopify_token\n"
		"network:\n  allow_insecure_loopback: true\n  timeout_seconds: %d\n"
		"  max_attempts: %d\n"
		"settings:\n  order_auto_sync: %s\n  fulfillment_auto_sync: %s\n%s"
		"%s"
		"files:\n  state_file: state.sqlite\n  reports_dir: reports\n",
		s->tt.base_url, s->tt.base_url, s->sh.base_url,
		o->timeout_seconds ? o->timeout_seconds : 10,
		o->max_attempts ? o->max_attempts : 4,
		o->order_auto_sync ? "true" : "false",
		o->fulfillment_auto_sync_off ? "false" : "true",
		o->extra_settings ? o->extra_settings : "",
		o->extra_yaml ? o->extra_yaml : "");
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

int harness_store_start(const char *tag, const struct store_opts *o,
			struct store *s)
{
	char tt_data[600], sh_data[600], tagbuf[128];
	char *dir;

	memset(s, 0, sizeof(*s));
	dir = harness_mkdtemp("store");
	if (dir == NULL)
		return -1;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	free(dir);
	snprintf(s->config, sizeof(s->config), "%s/ttsync.yaml", s->dir);
	snprintf(s->state, sizeof(s->state), "%s/state.sqlite", s->dir);
	snprintf(s->reports, sizeof(s->reports), "%s/reports", s->dir);
	snprintf(tt_data, sizeof(tt_data), "%s/fixtures/demo/tiktok.json", harness_top());
	snprintf(sh_data, sizeof(sh_data), "%s/fixtures/demo/shopify.json", harness_top());
	snprintf(tagbuf, sizeof(tagbuf), "%s", tag ? tag : "store");
	if (harness_start_emu("tiktok", o && o->tt_data ? o->tt_data : tt_data,
			      tagbuf, o ? o->tt_args : NULL, &s->tt) != 0)
		return -1;
	if (harness_start_emu("shopify", o && o->sh_data ? o->sh_data : sh_data,
			      tagbuf, o ? o->sh_args : NULL, &s->sh) != 0) {
		harness_stop_emu(&s->tt);
		return -1;
	}
	if (harness_store_config(s, o) != 0) {
		harness_store_stop(s);
		return -1;
	}
	return 0;
}

void harness_store_stop(struct store *s)
{
	harness_stop_emu(&s->tt);
	harness_stop_emu(&s->sh);
}

int harness_ttsync(const char *prog, const char *const *args,
		   const char *const *env, int timeout_s, struct run_result *r)
{
	const char *argv[64];
	size_t n = 0, i;

	argv[n++] = prog ? prog : "ttsync";
	for (i = 0; args && args[i] && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return harness_run(argv, env, timeout_s > 0 ? timeout_s : 120, r);
}

const char *harness_report_path(const struct store *s, const char *name)
{
	static char path[800];

	snprintf(path, sizeof(path), "%s/latest/%s", s->reports, name);
	return path;
}

struct csv_reader {
	json_t *rows, *header, *cur;
	size_t col;
	int line;
};

static void csv_cell(void *data, size_t len, void *ud)
{
	struct csv_reader *c = ud;
	json_t *v = json_stringn(data ? data : "", data ? len : 0);

	if (v == NULL)
		v = json_string("");
	if (c->line == 0) {
		json_array_append_new(c->header, v);
	} else {
		const char *key = json_string_value(json_array_get(c->header, c->col));

		if (c->cur == NULL)
			c->cur = json_object();
		json_object_set_new(c->cur, key ? key : "?", v);
	}
	c->col++;
}

static void csv_row(int term, void *ud)
{
	struct csv_reader *c = ud;

	(void)term;
	if (c->line > 0 && c->cur)
		json_array_append_new(c->rows, c->cur);
	c->cur = NULL;
	c->col = 0;
	c->line++;
}

json_t *harness_report_csv(const struct store *s, const char *name)
{
	char *text = harness_read_file(harness_report_path(s, name));
	struct csv_parser p;
	struct csv_reader c;

	if (text == NULL)
		return NULL;
	memset(&c, 0, sizeof(c));
	c.rows = json_array();
	c.header = json_array();
	csv_init(&p, CSV_STRICT | CSV_APPEND_NULL);
	csv_parse(&p, text, strlen(text), csv_cell, csv_row, &c);
	csv_fini(&p, csv_cell, csv_row, &c);
	csv_free(&p);
	free(text);
	json_decref(c.header);
	json_decref(c.cur);
	return c.rows;
}

json_t *harness_tiktok_order(const struct store *s, const char *id)
{
	json_t *st = harness_emu_get(&s->tt, "/_emu/state"), *orders, *o, *ret = NULL;
	size_t i;

	if (st == NULL)
		return NULL;
	orders = json_object_get(st, "orders");
	json_array_foreach(orders, i, o) {
		const char *oid = json_string_value(json_object_get(o, "id"));

		if (oid && strcmp(oid, id) == 0) {
			ret = json_incref(o);
			break;
		}
	}
	json_decref(st);
	return ret;
}

json_t *harness_shopify_orders(const struct store *s)
{
	json_t *st = harness_emu_get(&s->sh, "/_emu/state"), *orders;

	if (st == NULL)
		return NULL;
	orders = json_incref(json_object_get(st, "orders"));
	json_decref(st);
	return orders;
}

int harness_log_count(const struct emu_proc *p, const char *method,
		      const char *path_prefix, const char *body_substr)
{
	json_t *log = harness_emu_log(p), *e;
	size_t i;
	int n = 0;

	if (log == NULL)
		return -1;
	json_array_foreach(log, i, e) {
		const char *m = json_string_value(json_object_get(e, "method"));
		const char *path = json_string_value(json_object_get(e, "path"));
		const char *body = json_string_value(json_object_get(e, "body"));

		if (method && (m == NULL || strcmp(m, method) != 0))
			continue;
		if (path_prefix && (path == NULL ||
				    strncmp(path, path_prefix, strlen(path_prefix)) != 0))
			continue;
		if (body_substr && (body == NULL || strstr(body, body_substr) == NULL))
			continue;
		n++;
	}
	json_decref(log);
	return n;
}

/* ---- time, events, fixtures (added for the fulfillment suites) --------- */

long long harness_store_advance(struct store *s, long long seconds)
{
	char body[64];
	json_t *a, *b, *c;
	long long now = -1;

	snprintf(body, sizeof(body), "{\"advance\": %lld}", seconds);
	a = harness_emu_post(&s->tt, "/_emu/clock", body);
	b = harness_emu_post(&s->sh, "/_emu/clock", body);
	c = harness_emu_get(&s->tt, "/_emu/clock");
	if (a && b && c && json_is_integer(json_object_get(c, "now")))
		now = (long long)json_integer_value(json_object_get(c, "now"));
	json_decref(a);
	json_decref(b);
	json_decref(c);
	return now;
}

int harness_ttsync_at(long long now, const char *const *args,
		      const char *const *env, int timeout_s,
		      struct run_result *r)
{
	const char *envv[32];
	char pin[64];
	size_t n = 0, i;

	snprintf(pin, sizeof(pin), "TTSYNC_NOW=%lld", now);
	envv[n++] = pin;
	for (i = 0; env && env[i] && n < 31; i++)
		envv[n++] = env[i];
	envv[n] = NULL;
	return harness_ttsync("ttsync", args, envv, timeout_s, r);
}

json_t *harness_emu_event(const struct emu_proc *p, json_t *ev)
{
	char *body = json_dumps(ev, JSON_COMPACT);
	json_t *ans = NULL;

	json_decref(ev);
	if (body == NULL)
		return NULL;
	ans = harness_emu_post(p, "/_emu/event", body);
	if (ans != NULL && json_is_object(ans) && json_object_get(ans, "error") &&
	    json_object_size(ans) == 1) {
		fprintf(stderr, "harness: %s event %s refused: %s\n", p->kind, body,
			json_string_value(json_object_get(ans, "error")));
		json_decref(ans);
		ans = NULL;
	}
	free(body);
	return ans;
}

json_t *harness_shopify_order_by_source(const struct store *s,
					const char *source_id)
{
	json_t *orders = harness_shopify_orders(s), *o, *ret = NULL;
	size_t i;

	json_array_foreach(orders, i, o) {
		const char *sid = json_string_value(json_object_get(o, "sourceIdentifier"));

		if (sid && strcmp(sid, source_id) == 0) {
			ret = json_incref(o);
			break;
		}
	}
	json_decref(orders);
	return ret;
}

json_t *harness_log_select(const struct emu_proc *p, const char *method,
			   const char *path_prefix, const char *body_substr)
{
	json_t *log = harness_emu_log(p), *e, *out;
	size_t i;

	if (log == NULL)
		return NULL;
	out = json_array();
	json_array_foreach(log, i, e) {
		const char *m = json_string_value(json_object_get(e, "method"));
		const char *path = json_string_value(json_object_get(e, "path"));
		const char *body = json_string_value(json_object_get(e, "body"));

		if (method && (m == NULL || strcmp(m, method) != 0))
			continue;
		if (path_prefix && (path == NULL ||
				    strncmp(path, path_prefix, strlen(path_prefix)) != 0))
			continue;
		if (body_substr && (body == NULL || strstr(body, body_substr) == NULL))
			continue;
		json_array_append(out, e);
	}
	json_decref(log);
	return out;
}

char *harness_fixture_subset(const char *src, const char *dir,
			     const char *name, const char *const *order_ids)
{
	json_error_t jerr;
	json_t *root = json_load_file(src, 0, &jerr), *orders, *keep, *o;
	char path[1024];
	size_t i, k;

	if (root == NULL) {
		fprintf(stderr, "harness: %s: %s\n", src, jerr.text);
		return NULL;
	}
	orders = json_object_get(root, "orders");
	keep = json_array();
	json_array_foreach(orders, i, o) {
		const char *id = json_string_value(json_object_get(o, "id"));

		for (k = 0; id && order_ids && order_ids[k]; k++)
			if (strcmp(order_ids[k], id) == 0) {
				json_array_append(keep, o);
				break;
			}
	}
	json_object_set_new(root, "orders", keep);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
	    json_dump_file(root, path, JSON_INDENT(1)) != 0) {
		json_decref(root);
		return NULL;
	}
	json_decref(root);
	return strdup(path);
}

json_t *harness_report_rows(const struct store *s, const char *name,
			    const char *tt_order_id, const char *object)
{
	json_t *rows = harness_report_csv(s, name), *r, *out;
	size_t i;

	if (rows == NULL)
		return NULL;
	out = json_array();
	json_array_foreach(rows, i, r) {
		const char *id = json_string_value(json_object_get(r, "tiktok_order_id"));
		const char *obj = json_string_value(json_object_get(r, "object"));

		if (tt_order_id && (id == NULL || strcmp(id, tt_order_id) != 0))
			continue;
		if (object && (obj == NULL || strcmp(obj, object) != 0))
			continue;
		json_array_append(out, r);
	}
	json_decref(rows);
	return out;
}

/* ---- request-log slices and state dumps (added for the order suites) --- */

#include <sqlite3.h>

long harness_log_mark(const struct emu_proc *p)
{
	json_t *log = harness_emu_log(p);
	long n;

	if (log == NULL)
		return -1;
	n = (long)json_array_size(log);
	json_decref(log);
	return n;
}

json_t *harness_log_since(const struct emu_proc *p, long mark)
{
	json_t *log = harness_emu_log(p), *out, *e;
	size_t i;

	if (log == NULL)
		return NULL;
	out = json_array();
	json_array_foreach(log, i, e)
		if ((long)i >= mark)
			json_array_append(out, e);
	json_decref(log);
	return out;
}

static int is_mutation(const char *body, const char *root)
{
	json_t *j = body ? json_loads(body, 0, NULL) : NULL;
	const char *q = json_string_value(json_object_get(j, "query"));
	int yes = 0;

	if (q != NULL) {
		while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
			q++;
		yes = strncmp(q, "mutation", 8) == 0 &&
		      (root == NULL || strstr(q, root) != NULL);
	}
	json_decref(j);
	return yes;
}

int harness_log_writes(const json_t *entries, const char *kind,
		       const char *root)
{
	const json_t *e;
	size_t i, plen;
	int n = 0;

	json_array_foreach(entries, i, e) {
		const char *m = json_string_value(json_object_get(e, "method"));
		const char *path = json_string_value(json_object_get(e, "path"));
		const char *body = json_string_value(json_object_get(e, "body"));

		if (strcmp(kind, "shopify") == 0) {
			n += is_mutation(body, root);
			continue;
		}
		if (m == NULL || strcmp(m, "POST") != 0 || path == NULL)
			continue;
		plen = strlen(path);
		if ((plen >= 7 && strcmp(path + plen - 7, "/search") == 0) ||
		    strncmp(path, "/api/v2/token", 13) == 0)
			continue;
		n++;
	}
	return n;
}

static void dump_cell(sqlite3_stmt *st, int col, char **buf, size_t *len)
{
	const char *txt;
	char num[64];
	size_t add;

	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		txt = "<null>";
		break;
	case SQLITE_INTEGER:
		snprintf(num, sizeof(num), "i%lld",
			 (long long)sqlite3_column_int64(st, col));
		txt = num;
		break;
	default:
		txt = (const char *)sqlite3_column_text(st, col);
		break;
	}
	if (txt == NULL)
		txt = "";
	add = strlen(txt) + 1;
	*buf = realloc(*buf, *len + add + 1);
	memcpy(*buf + *len, txt, add - 1);
	(*buf)[*len + add - 1] = '\x1f';
	*len += add;
	(*buf)[*len] = '\0';
}

char *harness_state_dump(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *tabs = NULL, *rows = NULL;
	char *buf = strdup(""), *sql;
	size_t len = 0;
	int ok = 1, c;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' "
			       "ORDER BY name", -1, &tabs, NULL) != SQLITE_OK)
		ok = 0;
	while (ok && sqlite3_step(tabs) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(tabs, 0);

		sql = sqlite3_mprintf("SELECT * FROM \"%w\" ORDER BY rowid", name);
		if (sqlite3_prepare_v2(db, sql, -1, &rows, NULL) != SQLITE_OK) {
			sqlite3_free(sql);
			sql = sqlite3_mprintf("SELECT * FROM \"%w\" ORDER BY 1", name);
			if (sqlite3_prepare_v2(db, sql, -1, &rows, NULL) != SQLITE_OK)
				ok = 0;
		}
		sqlite3_free(sql);
		if (!ok)
			break;
		buf = realloc(buf, len + strlen(name) + 4);
		len += (size_t)sprintf(buf + len, "[%s]\n", name);
		while (sqlite3_step(rows) == SQLITE_ROW) {
			for (c = 0; c < sqlite3_column_count(rows); c++)
				dump_cell(rows, c, &buf, &len);
			buf = realloc(buf, len + 2);
			buf[len++] = '\n';
			buf[len] = '\0';
		}
		sqlite3_finalize(rows);
		rows = NULL;
	}
	sqlite3_finalize(tabs);
	sqlite3_close(db);
	if (!ok) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- state queries (added for the crash and fault suites) -------------- */

long long harness_state_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = (long long)sqlite3_column_int64(st, 0);
	else
		fprintf(stderr, "harness: %s: %s: %s\n", path, sql,
			db ? sqlite3_errmsg(db) : "cannot open");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

char *harness_state_text(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *buf = NULL;
	size_t len = 0;
	int rc = SQLITE_ERROR, c;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "harness: %s: %s: %s\n", path, sql,
			db ? sqlite3_errmsg(db) : "cannot open");
		goto done;
	}
	buf = strdup("");
	while (buf != NULL && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (c = 0; c < sqlite3_column_count(st); c++) {
			const char *t = (const char *)sqlite3_column_text(st, c);
			size_t add = (t ? strlen(t) : 0) + 1;
			char *nb = realloc(buf, len + add + 1);

			if (nb == NULL) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			memcpy(buf + len, t ? t : "", add - 1);
			buf[len + add - 1] = c + 1 < sqlite3_column_count(st) ? '|' : '\n';
			len += add;
			buf[len] = '\0';
		}
	}
	if (buf != NULL && rc != SQLITE_DONE) {
		fprintf(stderr, "harness: %s: %s: %s\n", path, sql, sqlite3_errmsg(db));
		free(buf);
		buf = NULL;
	}
done:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return buf;
}

/* ---- clean-up (added for the order suites) ------------------------------ */

#include <ftw.h>

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 ? 0 : 1;
}

int harness_rmtree(const char *path)
{
	if (path == NULL || path[0] == '\0' || strcmp(path, "/") == 0)
		return -1;
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

/* ---- reaping emulators of failed tests ---------------------------------- */

static char reaper_path[600];

int harness_reaper_init(void)
{
	char *dir = harness_mkdtemp("reaper");

	if (dir == NULL)
		return -1;
	snprintf(reaper_path, sizeof(reaper_path), "%s/pids", dir);
	free(dir);
	return harness_write_file(reaper_path, "");
}

void harness_reaper_add(const struct store *s)
{
	char line[64];
	int fd, n;

	if (reaper_path[0] == '\0')
		return;
	fd = open(reaper_path, O_WRONLY | O_APPEND);
	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line), "%d\n%d\n", (int)s->tt.pid, (int)s->sh.pid);
	if (write(fd, line, (size_t)n) != n)
		fprintf(stderr, "harness: reaper: %s: %s\n", reaper_path, strerror(errno));
	close(fd);
}

/* Is pid still one of our emulators (not a recycled pid)? */
static int is_emulator(pid_t pid)
{
	char path[64], *cmd;
	int yes;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	cmd = harness_read_file(path);
	yes = cmd != NULL && (strcmp(cmd, "tiktok-emu") == 0 ||
			      strcmp(cmd, "shopify-emu") == 0);
	free(cmd);
	return yes;
}

void harness_reaper_kill(void)
{
	char *txt, *line, *save = NULL, *dir;
	struct emu_proc p;

	if (reaper_path[0] == '\0')
		return;
	txt = harness_read_file(reaper_path);
	for (line = txt ? strtok_r(txt, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		memset(&p, 0, sizeof(p));
		p.pid = (pid_t)atoi(line);
		if (p.pid > 0 && is_emulator(p.pid)) {
			/* Not our child (the test process was): no waitpid. */
			kill(p.pid, SIGTERM);
		}
	}
	free(txt);
	unlink(reaper_path);
	dir = strdup(reaper_path);
	if (dir && strrchr(dir, '/')) {
		*strrchr(dir, '/') = '\0';
		rmdir(dir);
	}
	free(dir);
	reaper_path[0] = '\0';
}

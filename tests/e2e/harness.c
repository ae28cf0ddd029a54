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

void harness_stop_emu(struct emu_proc *p)
{
	int status, waited;

	if (p == NULL || p->pid <= 0)
		return;
	kill(p->pid, SIGTERM);
	for (waited = 0; waited < 5000; waited += 10) {
		if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
			p->pid = 0;
			return;
		}
		msleep(10);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &status, 0);
	p->pid = 0;
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

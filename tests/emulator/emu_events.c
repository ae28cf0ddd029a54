/*
 * emu_events.c - play a script of platform events against the emulators:
 *   emu-events --tiktok URL --shopify URL FILE
 * FILE is a JSON array of events as tests/emulator/README.md describes,
 * each with "target": "tiktok" | "shopify"; every event is POSTed, in
 * order, to <URL>/_emu/event of its target (the "target" key removed).
 * Used by the demo (tests/demo.sh) between its two runs. Prints one line
 * per event; exits 1 if an emulator refused one.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
	struct { char buf[512]; size_t len; } *b = ud;
	size_t take = s * n;

	if (b->len + 1 < sizeof(b->buf)) {
		size_t room = sizeof(b->buf) - 1 - b->len;

		memcpy(b->buf + b->len, p, take < room ? take : room);
		b->len += take < room ? take : room;
		b->buf[b->len] = '\0';
	}
	return take;
}

int main(int argc, char **argv)
{
	const char *tt = NULL, *sh = NULL, *file = NULL;
	json_error_t jerr;
	json_t *events, *ev;
	size_t i;
	int i_arg, bad = 0;
	CURL *c;

	for (i_arg = 1; i_arg < argc; i_arg++) {
		if (strcmp(argv[i_arg], "--tiktok") == 0 && i_arg + 1 < argc)
			tt = argv[++i_arg];
		else if (strcmp(argv[i_arg], "--shopify") == 0 && i_arg + 1 < argc)
			sh = argv[++i_arg];
		else if (strcmp(argv[i_arg], "--help") == 0) {
			printf("usage: emu-events --tiktok URL --shopify URL FILE\n");
			return 0;
		} else
			file = argv[i_arg];
	}
	if (!tt || !sh || !file) {
		fprintf(stderr, "usage: emu-events --tiktok URL --shopify URL FILE\n");
		return 2;
	}
	events = json_load_file(file, 0, &jerr);
	if (!json_is_array(events)) {
		fprintf(stderr, "emu-events: %s:%d: %s\n", file, jerr.line,
			events ? "not a JSON array" : jerr.text);
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	c = curl_easy_init();
	json_array_foreach(events, i, ev) {
		const char *target = json_string_value(json_object_get(ev, "target"));
		const char *base = target && strcmp(target, "shopify") == 0 ? sh : tt;
		struct { char buf[512]; size_t len; } resp = { "", 0 };
		struct curl_slist *hl = curl_slist_append(NULL, "Content-Type: application/json");
		json_t *copy = json_deep_copy(ev);
		char url[1024], *body;
		long status = 0;

		json_object_del(copy, "target");
		body = json_dumps(copy, JSON_COMPACT);
		snprintf(url, sizeof(url), "%s/_emu/event", base);
		curl_easy_reset(c);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
		if (curl_easy_perform(c) == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		printf("  event %-8s %-20s %s\n", target ? target : "tiktok",
		       json_string_value(json_object_get(ev, "type")) ?
		       json_string_value(json_object_get(ev, "type")) : "?",
		       status == 200 ? "ok" : resp.buf);
		if (status != 200)
			bad = 1;
		free(body);
		json_decref(copy);
		curl_slist_free_all(hl);
	}
	curl_easy_cleanup(c);
	curl_global_cleanup();
	json_decref(events);
	return bad;
}

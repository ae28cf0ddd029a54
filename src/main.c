/*
 * main.c - ttsync's entry point: find the command, hand it the arguments,
 * exit with its code. The story of one scheduled run is cmd_run() in
 * cmd_run.c; this file only dispatches (git's builtin table).
 *
 * Exit codes (an interface, see ttsync(1)):
 *   0 all done, nothing failed
 *   1 done, some items failed (see the report)
 *   2 usage or configuration error
 *   3 run aborted (authentication refused, platform unreachable after
 *     retries, state unusable)
 *   4 another run holds the lock for this store
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "cmd.h"
#include "common.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "run", cmd_run, "the scheduled job: fetch, diff, apply what the settings allow, report" },
	{ "sync", cmd_sync, "manual sync: sync orders|fulfillments (ID... | --all-not-synced)" },
	{ "status", cmd_status, "every known order with its status, reason and remedy" },
	{ "link", cmd_link, "link a TikTok SKU to a Shopify variant (or list/remove links)" },
	{ "check-config", cmd_check_config, "validate the config and check it against both platforms" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: ttsync COMMAND [OPTIONS]\n"
		   "       ttsync --version\n"
		   "       ttsync help [COMMAND]\n\ncommands:\n");
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-13s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(f, "\n'ttsync COMMAND --help' describes a command's options.\n"
		   "exit status: 0 all done; 1 some items failed; 2 usage or "
		   "configuration error;\n3 run aborted; 4 another run holds "
		   "the lock for this store. See ttsync(1).\n");
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct command *c;
	struct err e;
	int rc;

	err_clear(&e);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("ttsync %s\n", TTSYNC_VERSION);
		return fflush(stdout) == 0 ? 0 : EXIT_ABORTED;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0) {
		char *help_argv[3];

		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		c = find_command(argv[2]);
		if (c == NULL) {
			fprintf(stderr, "ttsync: unknown command '%s'\n", argv[2]);
			return EXIT_USAGE;
		}
		help_argv[0] = argv[2];
		help_argv[1] = "--help";
		help_argv[2] = NULL;
		return c->fn(2, help_argv);
	}
	c = find_command(argv[1]);
	if (c == NULL) {
		fprintf(stderr, "ttsync: unknown command '%s'\n\n", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (clock_init_from_env(&e) != 0) {
		fprintf(stderr, "ttsync: %s\n", e.msg);
		return EXIT_USAGE;
	}
	log_init_from_env();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "ttsync: could not initialise libcurl\n");
		return EXIT_ABORTED;
	}
	rc = c->fn(argc - 1, argv + 1);
	curl_global_cleanup();
	return rc;
}

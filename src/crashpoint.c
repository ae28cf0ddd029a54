/*
 * crashpoint.c - see crashpoint.h. Compiled into the crash-test binary
 * only (the Makefile builds it with -DTTSYNC_CRASH_POINTS); empty in
 * ttsync itself.
 */
#include "crashpoint.h"

#ifdef TTSYNC_CRASH_POINTS
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void crash_point(const char *kind, const char *point)
{
	static int hits;
	const char *spec = getenv("TTSYNC_CRASH_AT");
	char want[128];
	int n = 1;

	if (spec == NULL || *spec == '\0')
		return;
	if (snprintf(want, sizeof(want), "%s:%s:", kind, point) >= (int)sizeof(want))
		return;
	if (strncmp(spec, want, strlen(want)) != 0)
		return;
	n = atoi(spec + strlen(want));
	if (++hits == (n > 0 ? n : 1)) {
		fprintf(stderr, "ttsync-crashtest: SIGKILL at %s:%s:%d\n", kind, point, hits);
		kill(getpid(), SIGKILL);
	}
}
#else
/* ISO C forbids an empty translation unit. */
typedef int crashpoint_unused;
#endif

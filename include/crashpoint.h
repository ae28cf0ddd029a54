/*
 * crashpoint.h - the seam the crash tests use to kill ttsync at a named
 * step of applying a non-idempotent call (SQLite's test6.c idea). Only the
 * separate test binary build/ttsync-crashtest is compiled with
 * TTSYNC_CRASH_POINTS; in ttsync itself crash_point() is nothing at all.
 *
 * In the test binary, TTSYNC_CRASH_AT="<kind>:<point>:<n>" raises SIGKILL
 * the n-th time (1-based) the run reaches <point> of an intent of <kind>:
 *   kind:  order_create, order_cancel, ship_package, update_shipping,
 *          fulfillment_create, fulfillment_event
 *   point: intent    (intent committed, call not sent)
 *          response  (answer received, outcome not yet recorded)
 *          unknown   (answer lost, nothing recorded yet)
 *          outcome   (outcome committed)
 */
#ifndef TTSYNC_CRASHPOINT_H
#define TTSYNC_CRASHPOINT_H

#ifdef TTSYNC_CRASH_POINTS
void crash_point(const char *kind, const char *point);
#else
#define crash_point(kind, point) ((void)0)
#endif

#endif

/*
 * cmd.h - the commands (one entry-point shape, git's builtins) and the
 * documented exit codes. Only main() and cmd_*() end the process.
 */
#ifndef TTSYNC_CMD_H
#define TTSYNC_CMD_H

#define EXIT_OK 0
#define EXIT_ITEMS_FAILED 1
#define EXIT_USAGE 2
#define EXIT_ABORTED 3
#define EXIT_LOCKED 4

int cmd_run(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_link(int argc, char **argv);
int cmd_check_config(int argc, char **argv);

#endif

/*
 * What every sasl-oauth2 command shares: the parsed configuration, exit
 * codes, error printing and secret input. The commands are thin users of the
 * internal library (include/sasl-oauth2/): token files are only ever read
 * and written through the token store.
 */
#ifndef SASL_OAUTH2_CLI_H
#define SASL_OAUTH2_CLI_H

#include <stdio.h>

#include "sasl-oauth2/config.h"
#include "sasl-oauth2/error.h"

/* Exit codes, documented in sasl-oauth2(1). They follow sysexits(3) where
 * one fits, so scripts and systemd can tell "retry later" from "fix it". */
enum cli_exit {
	CLI_OK = 0,
	CLI_FAIL = 1,        /* the operation failed; the message says why */
	CLI_USAGE = 2,       /* bad command line */
	CLI_NOACCOUNT = 67,  /* EX_NOUSER: no such account (token file) */
	CLI_DATAERR = 65,    /* EX_DATAERR: a token file or answer is malformed */
	CLI_UNAVAILABLE = 69,/* EX_UNAVAILABLE: the provider refused: re-authorize */
	CLI_SOFTWARE = 70,   /* EX_SOFTWARE: out of memory, internal error */
	CLI_IOERR = 74,      /* EX_IOERR: a file could not be read or written */
	CLI_TEMPFAIL = 75,   /* EX_TEMPFAIL: network or server trouble: retry */
	CLI_NOPERM = 77,     /* EX_NOPERM: unsafe permissions, not allowed */
	CLI_CONFIG = 78,     /* EX_CONFIG: the configuration file is wrong */
};

struct cli {
	const char *prog;        /* "sasl-oauth2" */
	struct oa2_config cfg;   /* loaded once at start */
	int cfg_rc;              /* OA2_OK or why cfg is only defaults */
	struct oa2_err cfg_err;
	int quiet;
};

struct cli_command {
	const char *name;
	const char *summary;     /* one line for `sasl-oauth2 --help` */
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *usage;       /* the command's --help text */
};

/* The commands, each in tools/cmd_NAME.c. */
/* How the tool's requests leave it: libcurl, loaded at the first request
 * (curl_lazy.c). */
extern const struct oa2_http_transport cli_http_transport;

extern const struct cli_command cmd_authorize, cmd_token, cmd_refresh, cmd_status,
	cmd_forget, cmd_watch, cmd_test, cmd_tunnel, cmd_import, cmd_doctor, cmd_keygen, cmd_help;

/* Prints "sasl-oauth2: MESSAGE" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "sasl-oauth2: warning: ..." on stderr, escaped as cli_error. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One line on stdout, escaped as cli_error: for lines naming files, users,
 * URLs or anything else read from a file or a server. */
void cli_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "sasl-oauth2 COMMAND: try 'sasl-oauth2 COMMAND --help'" and returns
 * CLI_USAGE. */
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints cmd->usage to stdout and returns CLI_OK (for --help). */
int cli_help(const struct cli_command *cmd);

/* The exit code for a library return code. */
int cli_exit_for(int oa2_rc);

/* Fails with CLI_CONFIG and the reason when the config file was bad. */
int cli_require_config(const struct cli *cli);

/*
 * Reads a client secret without ever taking it from argv: from the file
 * named by `file` (first line), else from the environment variable
 * SASL_OAUTH2_CLIENT_SECRET, else, when `prompt` and stdin is a terminal,
 * from a prompt with echo off. *out is NULL when none was given. Returns
 * OA2_OK or an error with err set. Release with oa2_secret_free_str.
 */
int cli_read_client_secret(const char *file, int prompt, char **out, struct oa2_err *err);
#define CLI_CLIENT_SECRET_ENV "SASL_OAUTH2_CLIENT_SECRET"

/* Moves $SASL_OAUTH2_CLIENT_SECRET into memory and out of the environment,
 * so no child (the browser above all) inherits it. Call first in main. */
void cli_take_secret_env(void);

/* Seconds as "1h 5m", "3d 2h", "42s" ("expired 5m ago" is the caller's). */
void cli_format_duration(long long seconds, char *buf, size_t n);

#endif

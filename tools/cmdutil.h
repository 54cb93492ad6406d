/*
 * What the account commands (token, refresh, status, forget, import) share
 * on top of cli.h and account.h: option errors, --for, account lookup with
 * the "no such account" advice, listing an account directory, warnings and
 * the exit code of a batch.
 */
#ifndef SASL_OAUTH2_CMDUTIL_H
#define SASL_OAUTH2_CMDUTIL_H

#include <stddef.h>

#include "account.h"
#include "cli.h"

/* For getopt_long's ':' and '?' (optstring starting with ':', opterr 0):
 * prints what was wrong with the option and returns CLI_USAGE. */
int cli_bad_option(const struct cli_command *cmd, int c, char **argv);

/* --for VALUE: sets *for_postfix for "postfix", else a usage error. */
int cli_parse_for(const struct cli_command *cmd, const char *value, int *for_postfix);

/* Reads a number of seconds 0..max for option `name`; a usage error
 * otherwise. */
int cli_parse_seconds(const struct cli_command *cmd, const char *name, const char *value,
		      long max, long *out);

/* account_resolve, printing the error. Returns CLI_OK or an exit code. */
int cli_resolve(const struct cli *cli, const char *arg, int for_postfix, struct account *acct);


/* How to name the account in advice ("sasl-oauth2 authorize LABEL"): arg,
 * with " --for postfix" for Postfix's accounts. */
void cli_account_label(const struct account *acct, const char *arg, char *buf, size_t n);

/* Non-zero when the account's token file does not exist. */
int cli_account_missing(const struct account *acct);

/* "no account ...; create it with: sasl-oauth2 authorize ..." into buf;
 * arg is ACCOUNT as the user gave it (a name, or a path). When the name is
 * Postfix's account (and this is not --for postfix), says so instead:
 * creating a second one of the same name is never the fix. */
void cli_no_account_msg(const struct oa2_config *cfg, const struct account *acct,
			const char *arg, char *buf, size_t n);

/* After a failed token store call on the account: prints the advice and
 * returns CLI_NOACCOUNT when the file does not exist, else prints err and
 * returns cli_exit_for(rc). */
int cli_store_failed(const struct oa2_config *cfg, const struct account *acct, const char *arg,
		     int rc, const struct oa2_err *err);

/* The account names (NAME for every NAME.json) in the directory that
 * holds the named accounts, sorted; *dir receives the directory. A missing
 * directory is an empty list. Release with cli_names_free. */
int cli_list_accounts(int for_postfix, const struct oa2_config *cfg, char *dir, size_t dirlen,
		      char ***names, size_t *count, struct oa2_err *err);
void cli_names_free(char **names, size_t count);
/* The same for any directory (err may be NULL). */
int cli_list_accounts_in(const char *dir, char ***names, size_t *count, struct oa2_err *err);

/* " (did you mean \"alice\"?)" into buf when dir holds an account whose
 * name is close to name, else "". */
void cli_account_suggestion(const char *dir, const char *name, char *buf, size_t n);

/* Copies the host of a URL (no port, no user info) into buf. Returns 0, or
 * -1 when there is none or it does not fit. */
int cli_url_host(const char *url, char *buf, size_t n);

/* The worse of two exit codes: any failure beats success, and a failure
 * that needs someone beats CLI_TEMPFAIL (so a batch exits 75 only when every
 * failure may go away by itself); otherwise the first one stays. */
int cli_worse(int a, int b);

/* tarickb/sasl-xoauth2's configuration (import reads it; doctor notices it). */
#define CLI_SASL_XOAUTH2_CONF "/etc/sasl-xoauth2.conf"

#endif

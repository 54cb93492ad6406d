/*
 * Telling the admin about an account's health (issue: a dead token must
 * reach the admin, not wait for the users):
 *
 *   acct_health.c   what an account's health is: its token file, the state
 *                   file beside it (sasl-oauth2/health.h), its certificate
 *   watch_notify.c  announcing a change of state once: a mail through
 *                   sendmail -t (notify_mail), a program (notify_command)
 *   metrics.c       Prometheus text format for node_exporter's textfile
 *                   collector (watch --metrics-file, status --metrics)
 */
#ifndef SASL_OAUTH2_NOTIFY_H
#define SASL_OAUTH2_NOTIFY_H

#include <limits.h>
#include <stdio.h>

#include "sasl-oauth2/config.h"
#include "sasl-oauth2/error.h"
#include "sasl-oauth2/health.h"
#include "sasl-oauth2/token.h"

/* Plain data: it crosses the privilege-separation pipe (privsep.h). */
struct acct_health {
	int have;                        /* the token file could be read */
	char user[OA2_USER_MAX + 1];     /* the mailbox, for the label option */
	long long expires_at;            /* the access token's; 0: unknown */
	long long refreshed_at;          /* the token file's refreshed_at; 0 */
	long long credential_expires_at; /* the certificate's notAfter; 0 */
	char credential[PATH_MAX];       /* that certificate's path */
	struct oa2_health h;
	int state;                       /* enum oa2_health_state now */
	int announce;                    /* a change of state to announce */
	int previous;                    /* the state announced before it */
};

/* Reads the health of the token file at path; run as the file's owner.
 * With mark (a notification is configured), a state that differs from the
 * one last announced is recorded as announced, under the token file's
 * lock, and out->announce set: each change is announced once, whichever
 * process (a restarted watch, a cron --once run) sees it first. */
int acct_health_load(const char *path, const struct oa2_config *cfg, int mark,
		     struct acct_health *out, struct oa2_err *err);

/* The name of what is announced: the state's, or "recovered" for OK. */
const char *acct_health_event(const struct acct_health *ah);

/* One account's announcement: name is the account's name, account what
 * `sasl-oauth2 authorize` takes to re-create it ("relay --for postfix").
 * Sends the mail and runs the command configured; logs (wlog) what
 * failed and goes on. */
void watch_notify(const struct oa2_config *cfg, const char *name, const char *account,
		  const char *token_path, const struct acct_health *ah);

/* One row of the metrics. */
struct metrics_row {
	const char *name;
	const struct acct_health *ah;
};

/* Writes the metrics for rows to path atomically (mode 0644), or to out
 * when path is NULL. */
int metrics_write(const char *path, FILE *out, const struct oa2_config *cfg,
		  const struct metrics_row *rows, size_t n, long long now, struct oa2_err *err);

#endif

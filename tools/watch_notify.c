/* watch: announcing a change of an account's state, once, by mail
 * (sendmail -t, as cron does) and/or a program of the admin's. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "notify.h"
#include "run_capture.h"
#include "watch_log.h"
#include "sasl-oauth2/chars.h"

#define SENDMAIL "/usr/sbin/sendmail"
#define BODY_MAX (3 * PATH_MAX + 8 * OA2_HEALTH_REASON_MAX)

/* What an admin reads: one notice, used for the mail and the command. */
struct notice {
	char host[256];
	char subject[512];
	char reason[OA2_HEALTH_REASON_MAX * 4 + 1]; /* escaped */
	char command[PATH_MAX + 64];                /* "" when none */
	char body[BODY_MAX];
};

/* The host name as it may go into a header: [A-Za-z0-9.-] only. */
static void host_name(char *buf, size_t n)
{
	if (gethostname(buf, n - 1) != 0)
		buf[0] = '\0';
	buf[n - 1] = '\0';
	for (char *p = buf; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			*p = '-';
	if (buf[0] == '\0')
		snprintf(buf, n, "localhost");
}

static void utc(long long t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, n, "(unknown)");
}

static const char *headline(int state)
{
	switch (state) {
	case OA2_HEALTH_REAUTH: return "needs re-authorization";
	case OA2_HEALTH_FAILING: return "renewal failing";
	case OA2_HEALTH_EXPIRING: return "credential expiring soon";
	default: return "recovered";
	}
}

/* What the state means, and the command that helps (doctor's advice). */
static void meaning(const struct acct_health *ah, const char *account, char *buf, size_t n,
		    char *cmd, size_t cn)
{
	char since[64], when[64], span[32];
	long long now = (long long)time(NULL);

	cmd[0] = '\0';
	switch (ah->state) {
	case OA2_HEALTH_REAUTH:
		snprintf(buf, n, "The provider refused to renew the access token: the grant was "
			 "revoked or has expired (a password change, an admin revoking the "
			 "sessions, a sign-in frequency policy, a Google app left in Testing for "
			 "7 days). Mail that uses this account waits until someone signs in "
			 "again. Sign in again with:");
		snprintf(cmd, cn, "sasl-oauth2 authorize %s", account);
		break;
	case OA2_HEALTH_FAILING:
		utc(ah->h.failing_since, since, sizeof(since));
		cli_format_duration(now - ah->h.failing_since, span, sizeof(span));
		snprintf(buf, n, "Renewing the access token has failed %ld times in a row for %s "
			 "(since %s): the token endpoint could not be reached or answered with a "
			 "temporary error. watch keeps retrying; once the current access token "
			 "expires, mail that uses this account waits. See the error now with:",
			 ah->h.failures, span, since);
		snprintf(cmd, cn, "sasl-oauth2 refresh %s", account);
		break;
	case OA2_HEALTH_EXPIRING:
		utc(ah->credential_expires_at, when, sizeof(when));
		snprintf(buf, n, "The certificate %s expires at %s; after that the provider "
			 "refuses to renew the access token. Make a new pair now (sasl-oauth2 "
			 "keygen), upload the certificate and authorize again with it:",
			 ah->credential, when);
		snprintf(cmd, cn, "sasl-oauth2 authorize %s", account);
		break;
	default:
		utc(ah->h.last_success, when, sizeof(when));
		snprintf(buf, n, "Renewing the access token works again (last renewal %s). "
			 "Nothing to do.", when);
		break;
	}
}

static void make_notice(const char *name, const char *account, const char *token_path,
			const struct acct_health *ah, struct notice *nt)
{
	char what[PATH_MAX + 1024], user[OA2_USER_MAX * 4 + 1];

	host_name(nt->host, sizeof(nt->host));
	snprintf(nt->subject, sizeof(nt->subject), "[sasl-oauth2] %s: %s %s", nt->host, name,
		 headline(ah->state));
	oa2_chars_escape(ah->h.reason[0] ? ah->h.reason : "(none recorded)", nt->reason,
			 sizeof(nt->reason));
	oa2_chars_escape(ah->user[0] ? ah->user : "(unknown)", user, sizeof(user));
	meaning(ah, account, what, sizeof(what), nt->command, sizeof(nt->command));
	snprintf(nt->body, sizeof(nt->body),
		 "Account:    %s (mailbox %s)\n"
		 "Token file: %s\n"
		 "State:      %s (was: %s)\n"
		 "Reason:     %s\n"
		 "\n%s\n%s%s%s\n"
		 "-- \nsasl-oauth2 watch on %s; each change of state is announced once.\n",
		 name, user, token_path, acct_health_event(ah),
		 oa2_health_state_name(ah->previous),
		 ah->state == OA2_HEALTH_OK ? "(none)" : nt->reason, what,
		 nt->command[0] ? "\n    " : "", nt->command, nt->command[0] ? "\n" : "",
		 nt->host);
}

/* The first line of a program's stderr, escaped, for the log. */
static void first_line(const char *in, char *out, size_t n)
{
	char line[512];

	snprintf(line, sizeof(line), "%s", in);
	line[strcspn(line, "\n")] = '\0';
	oa2_chars_escape(line, out, n);
}

static void log_run(const char *name, const char *what, const char *prog, int rc, int timed_out,
		    long timeout, const char *err)
{
	char line[600];

	first_line(err, line, sizeof(line));
	if (timed_out)
		wlog(LOG_ERR, "%s: %s %s did not finish within %ld s (notify_timeout): killed",
		     name, what, prog, timeout);
	else if (rc != 0)
		wlog(LOG_ERR, "%s: %s %s failed (%s%d)%s%s", name, what, prog,
		     rc < 0 ? "" : "exit status ", rc, line[0] ? ": " : "", line);
}

static void send_mail(const struct oa2_config *cfg, const char *name, const struct notice *nt,
		      const struct acct_health *ah)
{
	char msg[BODY_MAX + 2048], err[1024], mail_config[PATH_MAX + 16];
	char *argv[] = { SENDMAIL, "-t", "-i", NULL };
	char *envp[3] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL, NULL };
	const char *mc = getenv("MAIL_CONFIG");
	int rc, timed_out;

	/* Postfix's sendmail reads MAIL_CONFIG: a non-default instance. */
	if (mc != NULL && mc[0] == '/') {
		snprintf(mail_config, sizeof(mail_config), "MAIL_CONFIG=%s", mc);
		envp[1] = mail_config;
	}
	snprintf(msg, sizeof(msg),
		 "To: %s\n"
		 "Subject: %s\n"
		 "Auto-Submitted: auto-generated\n"
		 "X-Sasl-Oauth2-Account: %s\n"
		 "X-Sasl-Oauth2-State: %s\n"
		 "MIME-Version: 1.0\n"
		 "Content-Type: text/plain; charset=UTF-8\n"
		 "Content-Transfer-Encoding: 8bit\n"
		 "\n%s", cfg->notify_mail, nt->subject, name, acct_health_event(ah), nt->body);
	rc = run_feed(argv, envp, msg, strlen(msg), cfg->notify_timeout, &timed_out, err,
		      sizeof(err));
	if (rc == 0)
		wlog(LOG_NOTICE, "%s: %s; mailed %s", name, headline(ah->state), cfg->notify_mail);
	else
		log_run(name, "notify_mail: sending with", SENDMAIL, rc, timed_out,
			cfg->notify_timeout, err);
}

static void run_command(const struct oa2_config *cfg, const char *name, const char *token_path,
			const struct notice *nt, const struct acct_health *ah)
{
	enum { NVARS = 11, VAR_MAX = BODY_MAX + 64 };
	char (*vars)[VAR_MAX] = calloc(NVARS, VAR_MAX), err[1024];
	char *argv[] = { cfg->notify_command, NULL };
	char *envp[NVARS + 1];
	int rc, timed_out, i = 0;

	if (vars == NULL) {
		wlog(LOG_ERR, "%s: notify_command: out of memory", name);
		return;
	}
	snprintf(vars[i++], VAR_MAX, "PATH=/usr/sbin:/usr/bin:/sbin:/bin");
	snprintf(vars[i++], VAR_MAX, "SASL_OAUTH2_ACCOUNT=%s", name);
	snprintf(vars[i++], VAR_MAX, "SASL_OAUTH2_STATE=%s", acct_health_event(ah));
	snprintf(vars[i++], VAR_MAX, "SASL_OAUTH2_PREVIOUS_STATE=%s",
		 oa2_health_state_name(ah->previous));
	snprintf(vars[i++], VAR_MAX, "SASL_OAUTH2_USER=%s", ah->user);
	snprintf(vars[i++], VAR_MAX, "SASL_OAUTH2_TOKEN_FILE=%s", token_path);
	snprintf(vars[i++], VAR_MAX, "SASL_OAUTH2_REASON=%s",
		 ah->state == OA2_HEALTH_OK ? "" : nt->reason);
	snprintf(vars[i++], VAR_MAX, "SASL_OAUTH2_COMMAND=%s", nt->command);
	snprintf(vars[i++], VAR_MAX, "SASL_OAUTH2_SUBJECT=%s", nt->subject);
	snprintf(vars[i++], VAR_MAX, "SASL_OAUTH2_MESSAGE=%s", nt->body);
	snprintf(vars[i++], VAR_MAX, "SASL_OAUTH2_HOST=%s", nt->host);
	for (int k = 0; k < NVARS; k++)
		envp[k] = vars[k];
	envp[NVARS] = NULL;
	rc = run_feed(argv, envp, "", 0, cfg->notify_timeout, &timed_out, err, sizeof(err));
	free(vars);
	if (rc == 0)
		wlog(LOG_NOTICE, "%s: %s; ran %s", name, headline(ah->state), cfg->notify_command);
	else
		log_run(name, "notify_command", cfg->notify_command, rc, timed_out,
			cfg->notify_timeout, err);
}

void watch_notify(const struct oa2_config *cfg, const char *name, const char *account,
		  const char *token_path, const struct acct_health *ah)
{
	struct notice *nt = calloc(1, sizeof(*nt));

	if (nt == NULL) {
		wlog(LOG_ERR, "%s: cannot announce %s: out of memory", name, headline(ah->state));
		return;
	}
	make_notice(name, account, token_path, ah, nt);
	if (cfg->notify_mail != NULL)
		send_mail(cfg, name, nt, ah);
	if (cfg->notify_command != NULL)
		run_command(cfg, name, token_path, nt, ah);
	free(nt);
}

/* What to put in the mail programs once the account is authorized. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "authorize.h"
#include "run_capture.h"

/* Prints s as one shell word (quoted when it needs to be). */
static void shell_word(FILE *out, const char *s)
{
	if (s[0] != '\0' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			       "0123456789._@+/-=:,") == strlen(s)) {
		fputs(s, out);
		return;
	}
	fputc('\'', out);
	for (; *s; s++)
		if (*s == '\'')
			fputs("'\\''", out);
		else
			fputc(*s, out);
	fputc('\'', out);
}

/* "sasl-oauth2 token ACCOUNT", as the account was given (with --for
 * postfix for Postfix's). */
static void token_command(FILE *out, const struct authorize *a)
{
	fputs("sasl-oauth2 token ", out);
	shell_word(out, a->account_arg);
	if (a->acct->for_postfix && strchr(a->account_arg, '/') == NULL)
		fputs(" --for postfix", out);
}

static void url_user(FILE *out, const char *user)
{
	for (; *user; user++)
		if (*user == '@')
			fputs("%40", out);
		else if (*user == ':' || *user == '/' || *user == '%')
			fprintf(out, "%%%02X", (unsigned char)*user);
		else
			fputc(*user, out);
}

/* `postfix status` (root only; anyone else is told to reload). */
static int postfix_running(void)
{
	char *argv[] = { "postfix", "status", NULL };
	char out[256];

	return geteuid() != 0 || run_capture(argv, out, sizeof(out)) == 0;
}

static void postfix(FILE *out, const struct authorize *a, const char *user, const char *smtp,
		    int port)
{
	fprintf(out, "Postfix (the smtp client logs in through the plugin, which reads the "
		"token file):\n");
	if (!a->acct->for_postfix)
	{
		fprintf(out, "  # Postfix reads token files as the postfix user; make one it can use "
			"with: sasl-oauth2 authorize ");
		shell_word(out, a->account_arg);
		fprintf(out, " --for postfix\n");
	}
	fprintf(out, "  # /etc/postfix/sasl_passwd, then: postmap /etc/postfix/sasl_passwd\n"
		"  [%s]:%d %s:%s\n", smtp, port, user, a->acct->path);
	/* postconf -e replaces a setting (Debian's main.cf has "relayhost ="
	 * already; a second line would leave two). */
	fprintf(out, "  # main.cf, set with postconf (a bearer token is a plaintext "
		"credential: only over TLS)\n"
		"  postconf -e 'relayhost = [%s]:%d' 'smtp_sasl_auth_enable = yes' "
		"'smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd' "
		"'smtp_sasl_mechanism_filter = xoauth2' "
		"'smtp_sasl_tls_security_options = noanonymous' "
		"'smtp_tls_security_level = encrypt'\n", smtp, port);
	fprintf(out, "  # then: %s\n\n", postfix_running() ? "postfix reload"
		: "postfix start (it is not running)");
}

/* The installed isync as major * 100 + minor ("isync 1.4.4" -> 104), or 0
 * when there is none (or it does not say). */
static int isync_version(void)
{
	char *argv[] = { "mbsync", "--version", NULL };
	char out[128];
	const char *v;
	int major, minor;

	if (run_capture(argv, out, sizeof(out)) != 0 || (v = strstr(out, "isync ")) == NULL ||
	    sscanf(v + 6, "%d.%d", &major, &minor) != 2 || major < 0 || minor < 0 || minor > 99)
		return 0;
	return major * 100 + minor;
}

static void mbsync(FILE *out, const struct authorize *a, const char *user, const char *imap,
		   int port)
{
	int isync = isync_version();

	fprintf(out, "mbsync (~/.mbsyncrc):\n"
		"  IMAPAccount %s\n  Host %s\n  Port %d\n", a->acct->name, imap, port);
	/* isync 1.5 renamed SSLType to TLSType (still taking the old name);
	 * 1.4 (Debian 12) rejects TLSType ("keyword 'TLSType' is not
	 * recognized"). Unknown version: the name both understand. */
	if (isync >= 105)
		fprintf(out, "  TLSType IMAPS\n");
	else if (isync > 0)
		fprintf(out, "  # isync %d.%d here; isync 1.5 and later call it TLSType\n"
			"  SSLType IMAPS\n", isync / 100, isync % 100);
	else
		fprintf(out, "  # isync 1.4 (Debian 12); isync 1.5 and later call it TLSType\n"
			"  SSLType IMAPS\n");
	fprintf(out, "  User %s\n  AuthMechs XOAUTH2\n  PassCmd \"", user);
	token_command(out, a);
	fputs("\"\n\n", out);
}

static void mutt(FILE *out, const struct authorize *a, const char *user, unsigned sv,
		 const char *imap, int iport, const char *smtp, int sport, const char *mech)
{
	fprintf(out, "neomutt / mutt (~/.muttrc):\n");
	if (sv & OA2_SERVICE_IMAP) {
		fprintf(out, "  set imap_user = \"%s\"\n  set folder = \"imaps://%s:%d/\"\n"
			"  set imap_authenticators = \"%s\"\n  set imap_oauth_refresh_command = \"",
			user, imap, iport, mech);
		token_command(out, a);
		fputs("\"\n", out);
	}
	if (sv & OA2_SERVICE_SMTP) {
		fputs("  set smtp_url = \"smtp://", out);
		url_user(out, user);
		fprintf(out, "@%s:%d/\"\n  set smtp_authenticators = \"%s\"\n"
			"  set smtp_oauth_refresh_command = \"", smtp, sport, mech);
		token_command(out, a);
		fputs("\"\n", out);
	}
	fputc('\n', out);
}

static void msmtp(FILE *out, const struct authorize *a, const char *user, const char *smtp,
		  int port, const char *mech)
{
	fprintf(out, "msmtp (~/.msmtprc):\n"
		"  account %s\n  host %s\n  port %d\n  tls on\n  tls_starttls on\n  auth %s\n"
		"  user %s\n  from %s\n  passwordeval \"", a->acct->name, smtp, port, mech, user,
		user);
	token_command(out, a);
	fputs("\"\n\n", out);
}

void authorize_next_steps(const struct authorize *a, const char *user, unsigned sv)
{
	const struct oa2_provider *p = a->prov;
	const char *imap = p->imap.host ? p->imap.host : "IMAP-SERVER";
	const char *smtp = p->smtp.host ? p->smtp.host : "SMTP-SERVER";
	const char *pop = p->pop.host ? p->pop.host : "POP-SERVER";
	int iport = p->imap.host ? p->imap.port : 993, sport = p->smtp.host ? p->smtp.port : 587;
	char mech[16];
	FILE *out = stdout;

	snprintf(mech, sizeof(mech), "%s", p->mechanism ? p->mechanism : "XOAUTH2");
	for (char *c = mech; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	fprintf(out, "\nNext steps: use the account in your mail programs.\n");
	if (p->imap.host == NULL || p->smtp.host == NULL)
		fprintf(out, "(Put the provider's servers in place of IMAP-SERVER, SMTP-SERVER and "
			"POP-SERVER.)\n");
	if (p->smtp_personal != NULL && (sv & OA2_SERVICE_SMTP))
		fprintf(out, "(%s is for work or school accounts; a personal Outlook.com account "
			"sends through %s port %d with STARTTLS instead: put that host in below.)\n",
			smtp, p->smtp_personal, sport);
	fputc('\n', out);
	if (a->acct->for_postfix) {
		/* Postfix's file is for Postfix alone: root-only directory, owned
		 * by postfix. Mail programs get an account of their own. */
		postfix(out, a, user, smtp, sport);
		fprintf(out, "Check the setup with: sasl-oauth2 doctor ");
		shell_word(out, a->account_arg);
		fprintf(out, "%s\n", strchr(a->account_arg, '/') ? "" : " --for postfix");
		fprintf(out, "(This token file is for Postfix only. For mbsync, neomutt/mutt or "
			"msmtp, authorize an account of your own, without --for postfix.)\n");
		fflush(out);
		return;
	}
	if (sv & OA2_SERVICE_SMTP)
		postfix(out, a, user, smtp, sport);
	if (sv & OA2_SERVICE_IMAP)
		mbsync(out, a, user, imap, iport);
	if (sv & (OA2_SERVICE_IMAP | OA2_SERVICE_SMTP))
		mutt(out, a, user, sv, imap, iport, smtp, sport, mech);
	if (sv & OA2_SERVICE_SMTP)
		msmtp(out, a, user, smtp, sport, mech);
	if (sv & OA2_SERVICE_POP) {
		fprintf(out, "POP3: server %s port %d (TLS), user %s, mechanism %s, token from: ",
			pop, p->pop.host ? p->pop.port : 995, user, p->mechanism ? p->mechanism
										  : "XOAUTH2");
		token_command(out, a);
		fputs("\n\n", out);
	}
	fprintf(out, "'");
	token_command(out, a);
	fprintf(out, "' prints a fresh access token (refreshing it when needed); the plugin "
		"refreshes the token file by itself.\n");
	fflush(out);
}

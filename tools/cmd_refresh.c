/*
 * sasl-oauth2 refresh: asks the token endpoint for a new access token now,
 * whatever the current one's expiry, for one or more accounts or for every
 * account in the state directory. One line per account; the exit status is
 * the worst of them.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmdutil.h"
#include "privsep.h"
#include "sasl-oauth2/timefmt.h"
#include "sasl-oauth2/token_store.h"

struct opts {
	int all;
	int for_postfix;
	int help;
	int first;   /* argv index of the first ACCOUNT */
};

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "for", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc = CLI_OK;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	while (rc == CLI_OK && (c = getopt_long(argc, argv, ":ah", lo, NULL)) != -1) {
		switch (c) {
		case 'a': o->all = 1; break;
		case 'F': rc = cli_parse_for(&cmd_refresh, optarg, &o->for_postfix); break;
		case 'h': o->help = 1; return CLI_OK;
		default: return cli_bad_option(&cmd_refresh, c, argv);
		}
	}
	if (rc != CLI_OK)
		return rc;
	o->first = optind;
	if (o->all && optind < argc)
		return cli_usage_error(&cmd_refresh, "give ACCOUNTs or --all, not both");
	if (!o->all && optind >= argc)
		return cli_usage_error(&cmd_refresh, "name the ACCOUNTs to refresh, or give --all");
	return CLI_OK;
}

static void print_refreshed(const char *name, const struct oa2_token *tok)
{
	char left[32];
	long long now = (long long)time(NULL);

	if (tok->expires_at == 0) {
		cli_say("%s: refreshed, no expiry given", name);
		return;
	}
	oa2_format_span(tok->expires_at - now, left, sizeof(left));
	cli_say("%s: refreshed, expires in %s", name, left);
}

struct job {
	const struct cli *cli;
	const struct account *acct;
	const char *arg;
};

/* The refresh itself, as the account's owner (privsep.h). */
static int refresh_as_owner(void *ctx)
{
	const struct job *j = ctx;
	const struct account acct = *j->acct;
	struct oa2_token tok;
	struct oa2_err err, notice;
	char label[PATH_MAX + 32];
	int rc;

	cli_account_label(&acct, j->arg, label, sizeof(label));
	rc = oa2_store_refresh(acct.path, label, &j->cli->cfg, OA2_MARGIN_FORCE, &tok, &err,
				  &notice, NULL);
	if (rc != OA2_OK) {
		cli_error("%s: %s", acct.name, err.msg);
		return cli_exit_for(rc);
	}
	if (notice.msg[0] == '\0') {
		print_refreshed(acct.name, &tok);
		rc = CLI_OK;
	} else if (notice.rc == OA2_ERR_IO) {
		/* a new token came, but the file kept the old one */
		cli_error("%s: %s", acct.name, notice.msg);
		rc = CLI_IOERR;
	} else {
		char left[32] = "";

		if (tok.expires_at != 0)
			oa2_format_span(tok.expires_at - (long long)time(NULL), left, sizeof(left));
		cli_error("%s: not refreshed: %s (the current access token is still valid%s%s)",
			  acct.name, notice.msg, left[0] ? " for " : "", left);
		rc = cli_exit_for(notice.rc);
	}
	oa2_token_clear(&tok);
	return rc;
}

/* Refreshes one account; returns its exit code. */
static int refresh_one(const struct cli *cli, const char *arg, int for_postfix)
{
	struct account acct;
	struct job j = { cli, &acct, arg };
	char msg[OA2_ERR_MSG_MAX];
	int rc;

	rc = cli_resolve(cli, arg, for_postfix, &acct);
	if (rc != CLI_OK)
		return rc;
	if (cli_account_missing(&acct)) { /* checked before the lock creates anything */
		cli_no_account_msg(&cli->cfg, &acct, arg, msg, sizeof(msg));
		cli_error("%s", msg);
		return CLI_NOACCOUNT;
	}
	return privsep_command(&acct, refresh_as_owner, &j, NULL, 0);
}

static int refresh_all(const struct cli *cli, int for_postfix)
{
	char dir[PATH_MAX], **names;
	struct oa2_err err;
	size_t n;
	int rc, worst = CLI_OK;

	rc = cli_list_accounts(for_postfix, &cli->cfg, dir, sizeof(dir), &names, &n, &err);
	if (rc != OA2_OK) {
		cli_error("%s", err.msg);
		return cli_exit_for(rc);
	}
	if (n == 0)
		cli_error("no accounts in %s: nothing to refresh", dir);
	for (size_t i = 0; i < n; i++) {
		fflush(stdout); /* keep the lines in order with stderr's */
		worst = cli_worse(worst, refresh_one(cli, names[i], for_postfix));
	}
	cli_names_free(names, n);
	return worst;
}

static int run(struct cli *cli, int argc, char **argv)
{
	struct opts o;
	int rc, worst = CLI_OK;

	rc = parse(argc, argv, &o);
	if (rc != CLI_OK || o.help)
		return o.help ? cli_help(&cmd_refresh) : rc;
	rc = cli_require_config(cli);
	if (rc != CLI_OK)
		return rc;
	if (o.all)
		return refresh_all(cli, o.for_postfix);
	for (int i = o.first; i < argc; i++) {
		fflush(stdout);
		worst = cli_worse(worst, refresh_one(cli, argv[i], o.for_postfix));
	}
	return worst;
}

const struct cli_command cmd_refresh = {
	.name = "refresh",
	.summary = "refresh access tokens now",
	.run = run,
	.usage =
	"Usage: sasl-oauth2 refresh ACCOUNT... [--for postfix]\n"
	"       sasl-oauth2 refresh --all [--for postfix]\n"
	"\n"
	"Asks the token endpoint for a new access token now, whatever the current\n"
	"one's expiry, holding the token file's lock (mail programs using the plugin\n"
	"at the same time wait for it and then use the new token). A rotated refresh\n"
	"token is stored before anything else.\n"
	"\n"
	"Prints one line per account on standard output, \"NAME: refreshed, expires\n"
	"in 59m\"; failures go to standard error, one line each, naming the account.\n"
	"When a refresh fails the file keeps its current tokens (a refusal such as\n"
	"invalid_grant is recorded in its last_error; see 'sasl-oauth2 status').\n"
	"\n"
	"Options:\n"
	"  --all           every account (NAME.json) in the state directory\n"
	"  --for postfix   Postfix's accounts (CHROOT/etc/sasl-oauth2)\n"
	"  -h, --help      this help\n"
	"\n"
	"ACCOUNT is a name (NAME.json in the state directory) or a token file path.\n"
	"\n"
	"Exit status: 0 when every account was refreshed (also for --all with no\n"
	"accounts), else the worst of the accounts' failures; 75 only when every\n"
	"failure may go away by itself:\n"
	"   1  another failure (e.g. a token endpoint that is not https://)\n"
	"   2  bad command line or account name\n"
	"  65  a token file, or the token endpoint's answer, is malformed\n"
	"  67  no such account\n"
	"  69  the provider refused (e.g. invalid_grant: authorize again), or a file\n"
	"      has no refresh token\n"
	"  70  out of memory\n"
	"  74  a token file or its lock could not be read or written (the new token\n"
	"      could not be saved)\n"
	"  75  network or server trouble: try again later\n"
	"  77  a token file is readable or writable by group or others\n"
	"  78  the configuration file is wrong\n",
};

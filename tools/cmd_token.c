/*
 * sasl-oauth2 token: prints a valid access token, for programs that run a
 * command to get one (neomutt/mutt *_oauth_refresh_command, msmtp
 * passwordeval, mbsync PassCmd).
 *
 * They run it before every connection, so the common case - a fresh token -
 * is one unlocked read of the file and one write to stdout: no lock, no
 * libcurl (tools/curl_lazy.c loads it only for a refresh).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmdutil.h"
#include "privsep.h"
#include "token_get.h"
#include "sasl-oauth2/io.h"
#include "sasl-oauth2/buf.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/sasl_response.h"
#include "sasl-oauth2/timefmt.h"
#include "sasl-oauth2/token_store.h"

#define MIN_VALID_MAX 86400L

enum format { FORMAT_RAW, FORMAT_XOAUTH2, FORMAT_OAUTHBEARER };

struct opts {
	const char *account;
	long min_valid;       /* -1: the file's or the config's refresh margin */
	enum format format;
	int for_postfix;
	int help;
};

static int parse_format(const char *s, enum format *f)
{
	if (strcmp(s, "raw") == 0)
		*f = FORMAT_RAW;
	else if (strcmp(s, "xoauth2") == 0)
		*f = FORMAT_XOAUTH2;
	else if (strcmp(s, "oauthbearer") == 0)
		*f = FORMAT_OAUTHBEARER;
	else
		return cli_usage_error(&cmd_token, "--format takes raw, xoauth2 or oauthbearer, "
				       "not \"%s\"", s);
	return CLI_OK;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "min-valid", required_argument, NULL, 'm' },
		{ "format", required_argument, NULL, 'f' },
		{ "for", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc = CLI_OK;

	memset(o, 0, sizeof(*o));
	o->min_valid = -1;
	opterr = 0;
	while (rc == CLI_OK && (c = getopt_long(argc, argv, ":hm:f:", lo, NULL)) != -1) {
		switch (c) {
		case 'm':
			rc = cli_parse_seconds(&cmd_token, "--min-valid", optarg, MIN_VALID_MAX,
					       &o->min_valid);
			break;
		case 'f': rc = parse_format(optarg, &o->format); break;
		case 'F': rc = cli_parse_for(&cmd_token, optarg, &o->for_postfix); break;
		case 'h': o->help = 1; return CLI_OK;
		default: return cli_bad_option(&cmd_token, c, argv);
		}
	}
	if (rc != CLI_OK)
		return rc;
	if (optind != argc - 1)
		return cli_usage_error(&cmd_token, optind >= argc ? "missing ACCOUNT"
						   : "give one ACCOUNT");
	o->account = argv[optind];
	return CLI_OK;
}

/* Prints the token in the chosen format, newline-terminated. Written with
 * write(2) from a wiped buffer: no copy is left in stdio's buffers. */
static int print_token(const struct oa2_token *tok, const struct opts *o,
		       const struct account *acct)
{
	struct oa2_buf ir, out;
	int rc = CLI_OK;

	if (o->format != FORMAT_RAW && tok->user == NULL) {
		cli_error("token file %s has no \"user\": the %s format needs the mailbox name; "
			  "add \"user\": \"you@example.com\" to the file", acct->path,
			  o->format == FORMAT_XOAUTH2 ? "xoauth2" : "oauthbearer");
		return CLI_DATAERR;
	}
	oa2_buf_init(&ir, OA2_ACCESS_TOKEN_MAX + 2 * OA2_USER_MAX + 64);
	oa2_buf_init(&out, 2 * (OA2_ACCESS_TOKEN_MAX + 2 * OA2_USER_MAX + 64));
	if (o->format == FORMAT_RAW) {
		oa2_buf_puts(&out, tok->access_token);
	} else {
		if (o->format == FORMAT_XOAUTH2)
			oa2_xoauth2_response(&ir, tok->user, tok->access_token);
		else
			oa2_oauthbearer_response(&ir, tok->user, NULL, NULL, tok->access_token);
		oa2_base64_append(&out, ir.data, ir.len);
	}
	oa2_buf_putc(&out, '\n');
	if (oa2_buf_failed(&ir) || oa2_buf_failed(&out)) {
		cli_error("out of memory");
		rc = CLI_SOFTWARE;
	} else if (oa2_write_all(STDOUT_FILENO, out.data, out.len) != 0) {
		cli_error("cannot write the token to standard output: %s", strerror(errno));
		rc = CLI_IOERR;
	}
	oa2_buf_clear(&ir);
	oa2_buf_clear(&out);
	return rc;
}

struct job {
	const struct cli *cli;
	const struct account *acct;
	const struct opts *o;
};

/* Everything after the account lookup, as the account's owner (privsep.h). */
static int token_as_owner(void *ctx)
{
	const struct job *j = ctx;
	const struct cli *cli = j->cli;
	const struct account acct = *j->acct;
	const struct opts o = *j->o;
	struct oa2_token tok;
	int rc;

	rc = token_get(cli, &acct, o.account, o.min_valid, &tok, NULL);
	if (rc == CLI_OK)
		rc = print_token(&tok, &o, &acct);
	oa2_token_clear(&tok);
	return rc;
}

static int run(struct cli *cli, int argc, char **argv)
{
	struct account acct;
	struct opts o;
	struct job j = { cli, &acct, &o };
	int rc;

	rc = parse(argc, argv, &o);
	if (rc != CLI_OK || o.help)
		return o.help ? cli_help(&cmd_token) : rc;
	rc = cli_resolve(cli, o.account, o.for_postfix, &acct);
	if (rc != CLI_OK)
		return rc;
	return privsep_command(&acct, token_as_owner, &j, NULL, 0);
}

const struct cli_command cmd_token = {
	.name = "token",
	.summary = "print a valid access token (refreshing it when needed)",
	.run = run,
	.usage =
	"Usage: sasl-oauth2 token ACCOUNT [--min-valid SECONDS]\n"
	"                         [--format raw|xoauth2|oauthbearer] [--for postfix]\n"
	"\n"
	"Prints a valid access token for ACCOUNT on standard output, followed by a\n"
	"newline, for mail programs that run a command to get one:\n"
	"  neomutt/mutt    set imap_oauth_refresh_command = \"sasl-oauth2 token ACCOUNT\"\n"
	"  msmtp           passwordeval sasl-oauth2 token ACCOUNT\n"
	"  mbsync          PassCmd \"sasl-oauth2 token ACCOUNT\"\n"
	"(fetchmail cannot run a token command: use sasl-oauth2 tunnel.)\n"
	"\n"
	"When the token in the file is valid for longer than the refresh margin it is\n"
	"printed at once (no lock, no network). Otherwise it is refreshed first, under\n"
	"the file's lock, with the refresh token. If that refresh fails while the\n"
	"current token is still valid, the current token is printed and a warning goes\n"
	"to standard error (exit status 0).\n"
	"\n"
	"Options:\n"
	"  --min-valid SECONDS  refresh unless the token is valid for more than SECONDS\n"
	"                       (0-86400; default: the file's refresh_window, else the\n"
	"                       configuration's refresh_margin, 600)\n"
	"  --format FORMAT      raw          the access token (default)\n"
	"                       xoauth2      base64 of the XOAUTH2 initial response,\n"
	"                                    user=USER^Aauth=Bearer TOKEN^A^A\n"
	"                       oauthbearer  base64 of the OAUTHBEARER initial response,\n"
	"                                    n,a=USER,^Aauth=Bearer TOKEN^A^A\n"
	"                       (USER is the token file's \"user\")\n"
	"  --for postfix        ACCOUNT is one of Postfix's (CHROOT/etc/sasl-oauth2)\n"
	"  -h, --help           this help\n"
	"\n"
	"ACCOUNT is a name (NAME.json in the state directory) or a token file path.\n"
	"\n"
	"Exit status:\n"
	"   0  a valid token was printed\n"
	"   1  another failure (e.g. a token endpoint that is not https://)\n"
	"   2  bad command line\n"
	"  65  the token file is malformed, or lacks \"user\" for --format xoauth2/oauthbearer\n"
	"  67  no such account\n"
	"  69  the token expired and cannot be refreshed: the provider refused\n"
	"      (e.g. invalid_grant) or the file has no refresh token; authorize again\n"
	"  70  out of memory\n"
	"  74  the token file (or its lock) could not be read or written, or the\n"
	"      token could not be written to standard output\n"
	"  75  the token expired and the refresh failed for now (network, server\n"
	"      busy): try again later\n"
	"  77  the token file is readable or writable by group or others\n"
	"  78  the token needs a refresh and the configuration file is wrong\n",
};

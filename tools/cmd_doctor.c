/* sasl-oauth2 doctor: finds the setup mistakes nobody can see. One line per
 * check, OK / WARN / FAIL, and for each problem the fix. The checks live in
 * doctor_*.c, one file per concern (see doctor.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"

#ifndef SASL_PLUGINDIR
#define SASL_PLUGINDIR "/usr/lib/x86_64-linux-gnu/sasl2"
#endif

static int run(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "for", required_argument, NULL, 'f' },
		{ "postfix-config", required_argument, NULL, 'p' },
		{ "plugin-dir", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct doctor d;
	struct account a;
	struct oa2_err err;
	const char *env = getenv("SASL_PATH");
	int c, for_postfix = 0;

	memset(&d, 0, sizeof(d));
	d.cli = cli;
	d.plugin_dir = (env && env[0]) ? env : SASL_PLUGINDIR;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "postfix") != 0)
				return cli_usage_error(&cmd_doctor, "--for takes only \"postfix\"");
			for_postfix = 1;
			break;
		case 'p': d.postfix_config = optarg; break;
		case 'P': d.plugin_dir = optarg; break;
		case 'h': return cli_help(&cmd_doctor);
		default: return cli_usage_error(&cmd_doctor, "unknown option");
		}
	}
	if (argc - optind > 1)
		return cli_usage_error(&cmd_doctor, "one ACCOUNT at most");

	doctor_check_plugin(&d);
	doctor_check_config(&d);
	if (optind < argc) {
		if (account_resolve(argv[optind], for_postfix, &cli->cfg, &a, &err) != OA2_OK) {
			cli_error("%s", err.msg);
			return CLI_USAGE;
		}
		doctor_check_account(&d, &a);
		if (for_postfix)
			doctor_check_postfix(&d, &a);
	} else if (for_postfix) {
		report(&d, WARN, "name the account: sasl-oauth2 doctor NAME --for postfix",
		       "postfix: no ACCOUNT given, its checks are skipped");
	}
	printf("%d problem%s, %d warning%s\n", d.fails, d.fails == 1 ? "" : "s", d.warns,
	       d.warns == 1 ? "" : "s");
	return d.fails ? CLI_FAIL : CLI_OK;
}

const struct cli_command cmd_doctor = {
	.name = "doctor",
	.summary = "check the plugin, config, a token file and Postfix; explain the fixes",
	.run = run,
	.usage =
	"Usage: sasl-oauth2 doctor [ACCOUNT] [--for postfix] [--postfix-config DIR]\n"
	"                          [--plugin-dir DIR]\n"
	"\n"
	"Checks the setup and prints one line per check, OK, WARN or FAIL, with the\n"
	"fix for each problem:\n"
	"  - the plugin is where libsasl2 loads it and libsasl2 lists XOAUTH2 and\n"
	"    OAUTHBEARER;\n"
	"  - the config file parses and the CA bundle can be read;\n"
	"  - ACCOUNT's token file exists, parses, has safe permissions and the right\n"
	"    owner; the access token's expiry, the refresh token's age, the last\n"
	"    refresh error; the clock against the token's issue time;\n"
	"  - with --for postfix: smtp_sasl_auth_enable, the password map entry for\n"
	"    the relayhost pointing at the token file, smtp_sasl_mechanism_filter,\n"
	"    smtp_sasl_security_options, TLS to the relay, the watch service.\n"
	"\n"
	"Options:\n"
	"  --for postfix         the account lives in Postfix's chroot\n"
	"  --postfix-config DIR  Postfix's configuration directory (postconf -c)\n"
	"  --plugin-dir DIR      where libsasl2 loads plugins (default: $SASL_PATH or\n"
	"                        " SASL_PLUGINDIR ")\n"
	"\n"
	"Exit status: 0 when no check failed (warnings allowed), 1 otherwise,\n"
	"2 for a bad command line.\n",
};

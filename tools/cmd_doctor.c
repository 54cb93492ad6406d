/* sasl-oauth2 doctor: finds the setup mistakes nobody can see. One line per
 * check, OK / WARN / FAIL, and for each problem the fix. The checks live in
 * doctor_*.c, one file per concern (see doctor.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cmdutil.h"
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
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct doctor d;
	struct account a;
	struct oa2_err err;
	const char *env = getenv("SASL_PATH");
	int c, for_postfix = 0, json = 0, rc;

	memset(&d, 0, sizeof(d));
	d.cli = cli;
	d.plugin_dir = (env && env[0]) ? env : SASL_PLUGINDIR;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "postfix") != 0)
				return cli_usage_error(&cmd_doctor, "--for takes only \"postfix\"");
			for_postfix = 1;
			break;
		case 'p': d.postfix_config = optarg; break;
		case 'P': d.plugin_dir = optarg; break;
		case 'j': json = 1; break;
		case 'h': return cli_help(&cmd_doctor);
		default: return cli_bad_option(&cmd_doctor, c, argv);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error(&cmd_doctor, "one ACCOUNT at most");

	if (optind < argc &&
	    account_resolve(argv[optind], for_postfix, &cli->cfg, &a, &err) != OA2_OK) {
		cli_error("%s", err.msg);
		return CLI_USAGE;
	}
	d.for_postfix = for_postfix;
	d.by_name = optind < argc && strchr(argv[optind], '/') == NULL;
	if (json)
		d.json = json_object_new_array();
	doctor_check_plugin(&d);
	doctor_check_other_plugins(&d);
	doctor_check_migration(&d);
	doctor_check_config(&d);
	if (optind < argc) {
		/* No such account: Postfix's settings are still checked, against
		 * whatever the map names, so a working map is never "fixed". */
		int found = doctor_check_account(&d, &a);
		if (for_postfix)
			doctor_check_postfix(&d, found ? &a : NULL);
	} else if (for_postfix) {
		doctor_check_postfix(&d, NULL);
	}
	if (!for_postfix)
		doctor_check_tunnel_clients(&d);
	rc = d.fails ? CLI_FAIL : CLI_OK;
	if (json) {
		doctor_print_json(&d);
		json_object_put(d.json);
		return rc;
	}
	printf("%d problem%s, %d warning%s\n", d.fails, d.fails == 1 ? "" : "s", d.warns,
	       d.warns == 1 ? "" : "s");
	return rc;
}

const struct cli_command cmd_doctor = {
	.name = "doctor",
	.summary = "check the plugin, config, a token file and Postfix; explain the fixes",
	.run = run,
	.usage =
	"Usage: sasl-oauth2 doctor [ACCOUNT] [--for postfix] [--postfix-config DIR]\n"
	"                          [--plugin-dir DIR] [--json]\n"
	"\n"
	"Checks the setup and prints one line per check, OK, WARN or FAIL, with the\n"
	"fix for each problem:\n"
	"  - the plugin is where libsasl2 loads it and libsasl2 lists XOAUTH2 and\n"
	"    OAUTHBEARER; no other plugin in that directory offers them;\n"
	"  - the config file parses, the CA bundle can be read, and a client_secret\n"
	"    in it is not readable by every user;\n"
	"  - ACCOUNT's token file exists (else: a near account name, or Postfix's\n"
	"    directory holding it), parses, has safe permissions and the right\n"
	"    owner; the access token's expiry, the refresh token's age, that\n"
	"    client_id and token_endpoint are known so it can be refreshed, the last\n"
	"    refresh error; the clock against the token's issue time;\n"
	"  - with --for postfix: smtp_sasl_auth_enable, default_transport and\n"
	"    relay_transport (Debian's \"Local only\" setup bounces all mail), the\n"
	"    password map entry for the relayhost and the token file it names (a\n"
	"    path inside the chroot counts when smtp is chrooted), a map edited\n"
	"    without postmap, smtp_sasl_mechanism_filter, map entries holding\n"
	"    passwords that XOAUTH2 would be offered, smtp_sasl_tls_security_options\n"
	"    and smtp_sasl_security_options against TLS to the relay (a token is a\n"
	"    plaintext credential: TLS only), the chroot's etc/resolv.conf, hosts and services,\n"
	"    the config file readable by postfix, the watch service. Without\n"
	"    ACCOUNT, every token file the password map names is checked;\n"
	"  - without --for postfix: ~/.fetchmailrc, ~/.muttrc (and neomutt's) and\n"
	"    ~/.mbsyncrc lines that run sasl-oauth2 tunnel: the account exists, and\n"
	"    the settings around it (fetchmail: auth password, sslproto ''; mutt:\n"
	"    imap://, --preauth; mbsync: --preauth).\n"
	"\n"
	"Options:\n"
	"  --for postfix         the account lives in Postfix's chroot\n"
	"  --postfix-config DIR  Postfix's configuration directory (postconf -c)\n"
	"  --plugin-dir DIR      where libsasl2 loads plugins (default: $SASL_PATH or\n"
	"                        " SASL_PLUGINDIR ")\n"
	"  --json                print the checks as one JSON object: \"problems\",\n"
	"                        \"warnings\" and \"checks\", a list of {\"verdict\":\n"
	"                        \"ok\"|\"warn\"|\"fail\", \"check\", \"message\", \"fix\"}\n"
	"\n"
	"Exit status: 0 when no check failed (warnings allowed), 1 otherwise,\n"
	"2 for a bad command line.\n",
};

/* sasl-oauth2: the command line tool. Dispatches to tools/cmd_*.c. */
#include <getopt.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sasl-oauth2/suggest.h"

static const struct cli_command *const commands[] = {
	&cmd_authorize, &cmd_token, &cmd_refresh, &cmd_status, &cmd_forget,
	&cmd_watch, &cmd_test, &cmd_tunnel, &cmd_import, &cmd_doctor, &cmd_keygen, &cmd_help,
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fputs("Usage: sasl-oauth2 [--config FILE] COMMAND [ARGS...]\n"
	      "\n"
	      "OAuth 2.0 tokens for mail programs: authorize accounts, keep their tokens\n"
	      "fresh, and print them for programs that take a token command.\n"
	      "\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fputs("\n"
	      "Options (before or after COMMAND):\n"
	      "  -c, --config FILE  configuration file (default: $SASL_OAUTH2_CONF or\n"
	      "                     " SYSCONFDIR "/sasl-oauth2.conf); a FILE that does\n"
	      "                     not exist is an error\n"
	      "  -h, --help         this help; 'sasl-oauth2 COMMAND --help' for a command\n"
	      "  -V, --version      print the version\n"
	      "\n"
	      "ACCOUNT is a name (a token file in your state directory) or a token file\n"
	      "path. See sasl-oauth2(1).\n"
	      "\n"
	      "Examples:\n"
	      "  sasl-oauth2 authorize work --provider microsoft --client-id APP-ID --user me@example.com\n"
	      "      sign in once; writes the account \"work\". APP-ID is the Application\n"
	      "      (client) ID of your app registration (microsoft365.md in the\n"
	      "      documentation), or set client_id in the configuration file\n"
	      "  sasl-oauth2 authorize work\n"
	      "      sign in again with what the account already has (provider, tenant,\n"
	      "      client id, services, mailbox)\n"
	      "  sasl-oauth2 authorize relay --provider microsoft --client-id APP-ID --user me@example.com --for postfix\n"
	      "      a token file that Postfix's smtp client can use\n"
	      "  sasl-oauth2 token work\n"
	      "      print a fresh access token (for neomutt, msmtp, mbsync's PassCmd)\n"
	      "  sasl-oauth2 status\n"
	      "      every account, when its token expires, whether it can be refreshed\n"
	      "  sasl-oauth2 doctor relay --for postfix\n"
	      "      check Postfix's settings and the account it uses\n", out);
}

static int is_config_opt(const char *a)
{
	return strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0 ||
	       strncmp(a, "--config=", 9) == 0 || (strncmp(a, "-c", 2) == 0 && a[2] != '-');
}

/* Takes -c FILE / --config FILE given after the command out of the
 * command's arguments (up to "--"), so `status -c FILE` works like
 * `-c FILE status`. Returns the new argc, or -1 when FILE is missing. */
static int take_global_options(int argc, char **argv, const char **config)
{
	int out = 1, i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			break;
		if (!is_config_opt(a)) {
			argv[out++] = argv[i];
			continue;
		}
		if (strncmp(a, "--config=", 9) == 0) {
			*config = a + 9;
		} else if (strncmp(a, "-c", 2) == 0 && a[2] != '\0') {
			*config = a + 2;
		} else {
			if (i + 1 >= argc)
				return -1;
			*config = argv[++i];
		}
	}
	for (; i < argc; i++)
		argv[out++] = argv[i];
	argv[out] = NULL;
	return out;
}

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(name, commands[i]->name) == 0)
			return commands[i];
	return NULL;
}

static int unknown_command(const char *name)
{
	const char *names[NCOMMANDS];
	char hint[96];

	for (size_t i = 0; i < NCOMMANDS; i++)
		names[i] = commands[i]->name;
	oa2_suggest_phrase(name, names, NCOMMANDS, hint, sizeof(hint));
	cli_error("unknown command \"%s\"%s; see 'sasl-oauth2 help'", name, hint);
	return CLI_USAGE;
}

/* sasl-oauth2 help [COMMAND] */
static int help_run(struct cli *cli, int argc, char **argv)
{
	const struct cli_command *cmd;

	(void)cli;
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (argc > 2) {
		cli_error("help takes one COMMAND");
		return CLI_USAGE;
	}
	if ((cmd = find_command(argv[1])) == NULL)
		return unknown_command(argv[1]);
	if (cmd == &cmd_help) {
		usage(stdout);
		return CLI_OK;
	}
	return cli_help(cmd);
}

const struct cli_command cmd_help = {
	.name = "help",
	.summary = "this list, or 'help COMMAND' for one command's options",
	.run = help_run,
	.usage = "Usage: sasl-oauth2 help [COMMAND]\n"
		 "\n"
		 "Lists the commands, or prints COMMAND's help (the same as\n"
		 "'sasl-oauth2 COMMAND --help').\n",
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_command *cmd;
	struct cli cli;
	const char *config = NULL;
	int c, rc;

	/* Every command may hold tokens, refresh tokens or a client secret in
	 * memory: no core file may carry them to disk. */
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
	cli_take_secret_env();

	memset(&cli, 0, sizeof(cli));
	cli.prog = "sasl-oauth2";
	/* '+': stop at the command name; the command parses its own options.
	 * ':' and opterr = 0: our message is the only one. */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'h': usage(stdout); return CLI_OK;
		case 'V': puts("sasl-oauth2 " PACKAGE_VERSION); return CLI_OK;
		case ':':
			cli_error("option %s requires an argument; see 'sasl-oauth2 --help'",
				  argv[optind - 1]);
			return CLI_USAGE;
		default:
			if (optopt != 0 && strncmp(argv[optind - 1], "--", 2) != 0)
				cli_error("unknown option -%c; see 'sasl-oauth2 --help'", optopt);
			else
				cli_error("unknown option %s; see 'sasl-oauth2 --help'",
					  argv[optind - 1]);
			return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CLI_USAGE;
	}
	if ((cmd = find_command(argv[optind])) == NULL)
		return unknown_command(argv[optind]);
	argc -= optind;
	argv += optind;
	if ((argc = take_global_options(argc, argv, &config)) < 0) {
		cli_error("option --config requires an argument; see 'sasl-oauth2 --help'");
		return CLI_USAGE;
	}
	/* libcurl is loaded at the first request (curl_lazy.c): `token` with a
	 * fresh token never pays for it. */
	cli.cfg_rc = oa2_config_load(config, &cli.cfg, &cli.cfg_err);
	cli.cfg.transport = &cli_http_transport;
	if (config != NULL && cli.cfg.missing) {
		cli_error("config file %s does not exist (given with --config)", config);
		oa2_config_clear(&cli.cfg);
		return CLI_CONFIG;
	}
	optind = 0; /* reset getopt for the command (GNU: 0 reinitialises) */
	rc = cmd->run(&cli, argc, argv);
	oa2_config_clear(&cli.cfg);
	return rc;
}

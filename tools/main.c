/* sasl-oauth2: the command line tool. Dispatches to tools/cmd_*.c. */
#include <getopt.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cli_command *const commands[] = {
	&cmd_authorize, &cmd_token, &cmd_refresh, &cmd_status, &cmd_forget,
	&cmd_watch, &cmd_test, &cmd_import, &cmd_doctor,
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
	      "Options:\n"
	      "  -c, --config FILE  configuration file (default: $SASL_OAUTH2_CONF or\n"
	      "                     " SYSCONFDIR "/sasl-oauth2.conf)\n"
	      "  -h, --help         this help; 'sasl-oauth2 COMMAND --help' for a command\n"
	      "  -V, --version      print the version\n"
	      "\n"
	      "ACCOUNT is a name (a token file in your state directory) or a token file\n"
	      "path. See sasl-oauth2(1).\n", out);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli;
	const char *config = NULL;
	int c, rc;

	/* Every command may hold tokens, refresh tokens or a client secret in
	 * memory: no core file may carry them to disk. */
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);

	memset(&cli, 0, sizeof(cli));
	cli.prog = "sasl-oauth2";
	/* '+': stop at the command name; the command parses its own options. */
	while ((c = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'h': usage(stdout); return CLI_OK;
		case 'V': puts("sasl-oauth2 " PACKAGE_VERSION); return CLI_OK;
		default: usage(stderr); return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CLI_USAGE;
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[optind], commands[i]->name) != 0)
			continue;
		/* libcurl initialises itself on first use: `token` with a fresh
		 * token never pays for it. */
		cli.cfg_rc = oa2_config_load(config, &cli.cfg, &cli.cfg_err);
		argc -= optind;
		argv += optind;
		optind = 0; /* reset getopt for the command (GNU: 0 reinitialises) */
		rc = commands[i]->run(&cli, argc, argv);
		oa2_config_clear(&cli.cfg);
		return rc;
	}
	cli_error("unknown command \"%s\"; see 'sasl-oauth2 --help'", argv[optind]);
	return CLI_USAGE;
}

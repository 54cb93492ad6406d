/*
 * The options both forms of `sasl-oauth2 authorize` take: the sign-in
 * flows (cmd_authorize.c) and app-only accounts (authorize_app.c) read
 * them from one table with one switch, so a name or its meaning cannot
 * drift between the two.
 */
#include <getopt.h>

#include "authorize.h"

int authorize_common_opt(int c, const char *arg, struct authorize_common_opts *o)
{
	switch (c) {
	case 'p': o->provider = arg; return 1;
	case 'u': o->user = arg; return 1;
	case AUTHORIZE_O_TENANT: o->tenant = arg; return 1;
	case AUTHORIZE_O_CLOUD: o->cloud = arg; return 1;
	case AUTHORIZE_O_SERVICES: o->services = arg; return 1;
	case AUTHORIZE_O_CLIENT_ID: o->client_id = arg; return 1;
	case AUTHORIZE_O_SECRET_FILE: o->secret_file = arg; return 1;
	case AUTHORIZE_O_FOR: o->for_who = arg; return 1;
	default: return 0;
	}
}

int authorize_account_operand(int argc, char **argv, struct authorize_common_opts *o)
{
	if (optind >= argc)
		return cli_usage_error(&cmd_authorize, "which ACCOUNT? (a name or a token file path)");
	if (optind + 1 < argc)
		return cli_usage_error(&cmd_authorize, "one ACCOUNT only (\"%s\" is extra)",
				       argv[optind + 1]);
	o->account = argv[optind];
	return -1;
}

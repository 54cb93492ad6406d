/* sasl-oauth2 authorize: not written yet. */
#include "cli.h"

static int run(struct cli *cli, int argc, char **argv)
{
	(void)cli; (void)argc; (void)argv;
	cli_error("authorize: not implemented yet");
	return CLI_FAIL;
}

const struct cli_command cmd_authorize = {
	.name = "authorize",
	.summary = "(not implemented yet)",
	.run = run,
	.usage = "Usage: sasl-oauth2 authorize\n",
};

/* sasl-oauth2 status: not written yet. */
#include "cli.h"

static int run(struct cli *cli, int argc, char **argv)
{
	(void)cli; (void)argc; (void)argv;
	cli_error("status: not implemented yet");
	return CLI_FAIL;
}

const struct cli_command cmd_status = {
	.name = "status",
	.summary = "(not implemented yet)",
	.run = run,
	.usage = "Usage: sasl-oauth2 status\n",
};

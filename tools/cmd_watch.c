/* sasl-oauth2 watch: not written yet. */
#include "cli.h"

static int run(struct cli *cli, int argc, char **argv)
{
	(void)cli; (void)argc; (void)argv;
	cli_error("watch: not implemented yet");
	return CLI_FAIL;
}

const struct cli_command cmd_watch = {
	.name = "watch",
	.summary = "(not implemented yet)",
	.run = run,
	.usage = "Usage: sasl-oauth2 watch\n",
};

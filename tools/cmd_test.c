/* sasl-oauth2 test: not written yet. */
#include "cli.h"

static int run(struct cli *cli, int argc, char **argv)
{
	(void)cli; (void)argc; (void)argv;
	cli_error("test: not implemented yet");
	return CLI_FAIL;
}

const struct cli_command cmd_test = {
	.name = "test",
	.summary = "(not implemented yet)",
	.run = run,
	.usage = "Usage: sasl-oauth2 test\n",
};

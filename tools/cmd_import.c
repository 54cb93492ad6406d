/* sasl-oauth2 import: not written yet. */
#include "cli.h"

static int run(struct cli *cli, int argc, char **argv)
{
	(void)cli; (void)argc; (void)argv;
	cli_error("import: not implemented yet");
	return CLI_FAIL;
}

const struct cli_command cmd_import = {
	.name = "import",
	.summary = "(not implemented yet)",
	.run = run,
	.usage = "Usage: sasl-oauth2 import\n",
};

/*
 * Running as the postfix user for `--for postfix`.
 *
 * Postfix's token files, and the PATH.lock files next to them that the
 * token store creates on first use, must stay the postfix user's: the plugin
 * inside Postfix's smtp client (user postfix) opens both to refresh. A
 * command started as root that may refresh such a file switches to the
 * postfix user first, after the config file (which may be root's) is read.
 */
#ifndef SASL_OAUTH2_PRIVDROP_H
#define SASL_OAUTH2_PRIVDROP_H

/* Switches to the postfix user when running as root; fine when already
 * running as postfix. Returns CLI_OK, or prints why not (naming cmd) and
 * returns an exit code. */
int cli_become_postfix(const char *cmd);

#endif

/*
 * The account's access token for a login now, for `sasl-oauth2 token` and
 * `sasl-oauth2 tunnel`: oa2_token_acquire (token_acquire.h) decides, as it
 * does for the plugin; this prints what it did. A refresh that fails
 * while the current token is still valid warns on stderr and keeps the
 * current token.
 */
#ifndef SASL_OAUTH2_TOKEN_GET_H
#define SASL_OAUTH2_TOKEN_GET_H

#include "account.h"
#include "cli.h"
#include "sasl-oauth2/token.h"

struct json_object;

/*
 * Fills *tok (release with oa2_token_clear) for the account acct, which the
 * user named arg. min_valid: refresh unless the token is valid for more
 * than this many seconds; -1 for the file's or the configuration's margin.
 * *obj, when obj is not NULL, receives the parsed file as first read
 * (release with oa2_json_put_wiped). Errors are printed once; the return
 * value is CLI_OK or the exit code.
 */
int token_get(const struct cli *cli, const struct account *acct, const char *arg,
	      long min_valid, struct oa2_token *tok, struct json_object **obj);

#endif

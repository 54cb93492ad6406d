/*
 * The account-name rule, once: what `sasl-oauth2 authorize NAME` accepts
 * and so what NAME.json in a state directory may be called.
 *
 *   [A-Za-z0-9][A-Za-z0-9._@+-]{0,127}, without ".."
 *
 * A name is a file name in a directory the CLI lists and root works in: no
 * '/', no leading '.', nothing a shell or a Postfix map would read apart.
 * Mail addresses fit (alice@example.com); so do the CLI's own suggestions.
 */
#ifndef SASL_OAUTH2_ACCOUNT_NAME_H
#define SASL_OAUTH2_ACCOUNT_NAME_H

#include <stddef.h>

#define OA2_ACCOUNT_NAME_MAX 128

/* Non-zero when the len bytes at name are an account name (name need not
 * be NUL-terminated there: "work.json" checks as len 4). */
int oa2_account_name_ok(const char *name, size_t len);

#endif

/* What the admin reads when a token file fails inside Postfix's smtp. */
#ifndef SASL_OAUTH2_PLUGIN_TOKEN_ADVICE_H
#define SASL_OAUTH2_PLUGIN_TOKEN_ADVICE_H

#include "sasl-oauth2/config.h"
#include "sasl-oauth2/error.h"

/*
 * Fixes up err, a token file failure, for the log line: the file is named
 * as `secret` (the path the admin wrote in the password map) rather than
 * `opened` (where the chrooted process found it); a network failure names
 * the account and the token file and, when this process has no
 * /etc/resolv.conf, /etc/hosts or /etc/services (a chroot without them),
 * says so as the likely cause.
 */
void oa2p_token_advice(const struct oa2_config *cfg, const char *secret, const char *opened,
		       struct oa2_err *err);

#endif

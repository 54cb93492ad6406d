/*
 * Checks on the application's secret before anything is sent or logged.
 *
 * libsasl2 may pick XOAUTH2 or OAUTHBEARER for an account that holds an
 * ordinary password (it ranks mechanisms by their security flags, and ours
 * tie with PLAIN), and the application then hands the plugin that
 * password. It must never reach a server as a bearer token, nor a log line.
 */
#ifndef SASL_OAUTH2_PLUGIN_SECRET_CHECK_H
#define SASL_OAUTH2_PLUGIN_SECRET_CHECK_H

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

/* SASL_OK when `secret` (not a path) may be sent as a bearer token: at most
 * OA2_ACCESS_TOKEN_MAX bytes and shaped like one (oa2_secret_token_shaped).
 * Otherwise logs one WARN line, which never shows the secret, and returns
 * SASL_BADPARAM. */
int oa2p_check_direct_token(const sasl_utils_t *u, const char *mech, const char *secret);

/* SASL_OK when something exists at `path` (the token file path the secret
 * `written` names, after the chroot prefix is dropped). When nothing does,
 * logs one WARN line and returns SASL_FAIL: in a directory that exists it
 * is a mistyped path, shown whole as written; elsewhere the "path" may
 * well be a token that starts with '/', and at most a short prefix of it
 * is shown. */
int oa2p_check_token_path(const sasl_utils_t *u, const char *mech, const char *written,
			  const char *path);

#endif

/*
 * Logging from inside libsasl2.
 *
 * utils->log and utils->seterror use libsasl2's own printf-like formatter,
 * which knows only a few conversions (%.*s crashed the host program), so all
 * formatting happens here with vsnprintf and libsasl2 only ever sees "%s".
 */
#ifndef SASL_OAUTH2_PLUGIN_LOG_H
#define SASL_OAUTH2_PLUGIN_LOG_H

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

/* Logs one line at `level`. */
void oa2p_log(const sasl_utils_t *utils, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records the error for sasl_errdetail() and logs it once at SASL_LOG_WARN:
 * Postfix shows WARN lines but never sasl_errdetail, so the log line is the
 * admin's only clue. Returns rc. */
int oa2p_fail(const sasl_utils_t *utils, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif

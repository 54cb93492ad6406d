/*
 * Where `sasl-oauth2 watch` writes its log: syslog (facility mail, ident
 * sasl-oauth2) or stderr with a timestamp; stderr also when syslog is asked
 * for but there is no syslog socket to take it. Messages are whole sentences for
 * the admin and never contain a token (the callers pass the library's
 * messages, which are token-free by contract, and account names).
 */
#ifndef SASL_OAUTH2_WATCH_LOG_H
#define SASL_OAUTH2_WATCH_LOG_H

#include <syslog.h>

enum wlog_dest { WLOG_STDERR, WLOG_SYSLOG };

void wlog_open(enum wlog_dest dest);
void wlog_close(void);

/* Non-zero: LOG_DEBUG lines are written too (log_level = debug). */
void wlog_set_debug(int on);

/* prio: LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO or LOG_DEBUG. */
void wlog(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

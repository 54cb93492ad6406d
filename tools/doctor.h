/*
 * doctor's shared state and its one way of printing a verdict. Each concern
 * is checked in its own file: doctor_plugin.c (libsasl2 and the plugin),
 * doctor_config.c, doctor_token.c (an account's token file), doctor_postfix.c
 * (postconf and the password map), doctor_watch.c (the watch service).
 */
#ifndef SASL_OAUTH2_DOCTOR_H
#define SASL_OAUTH2_DOCTOR_H

#include <stddef.h>

#include "account.h"
#include "cli.h"

enum verdict { OK, WARN, FAIL };

struct doctor {
	struct cli *cli;
	int fails, warns;
	const char *plugin_dir;
	const char *postfix_config; /* postconf -c DIR, or NULL */
	char sasl_log[1024];        /* why libsasl2 did not load a plugin */
};

/* Prints "OK   ...", "WARN ..." or "FAIL ..." and, for a problem, the fix
 * (may be NULL); counts the problems in d. */
void report(struct doctor *d, enum verdict v, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

void doctor_check_plugin(struct doctor *d);
void doctor_check_config(struct doctor *d);
void doctor_check_account(struct doctor *d, const struct account *a);
void doctor_check_postfix(struct doctor *d, const struct account *a);

/* Runs postconf [-c DIR] -h PARAM; its output (one line) in out. 0 when it ran. */
int doctor_postconf(struct doctor *d, const char *param, char *out, size_t n);

/* 1 when a "sasl-oauth2 watch --for postfix" runs (systemd unit or process). */
int doctor_watch_running(void);

#endif

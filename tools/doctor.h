/*
 * doctor's shared state and its one way of printing a verdict. Each concern
 * is checked in its own file: doctor_plugin.c (libsasl2 and the plugin),
 * doctor_config.c,
 * doctor_names.c (did-you-mean for account names), doctor_token.c (an account's token file),
 * doctor_clients.c (mail clients' files using sasl-oauth2 tunnel), doctor_postfix.c
 * (postconf and the password map), doctor_watch.c (the watch service),
 * doctor_notify.c (its notifications).
 */
#ifndef SASL_OAUTH2_DOCTOR_H
#define SASL_OAUTH2_DOCTOR_H

#include <stddef.h>
#include <sys/types.h>

#include "account.h"
#include "cli.h"

enum verdict { OK, WARN, FAIL };

struct json_object;

/* Checks made in the process that reads an account's files as their owner
 * (privsep.h): kept flat, no pointers, sent back whole and replayed by the
 * parent through report(), so text and --json show the same checks. */
#define DOCTOR_REC_MAX 24
struct doctor_rec {
	int n;
	int lost;                  /* checks beyond DOCTOR_REC_MAX */
	char user[256];            /* what the checked file names (doctor.user) */
	struct {
		int verdict;       /* enum verdict */
		int has_fix;
		char msg[2048];
		char fix[2048];
	} r[DOCTOR_REC_MAX];
};

struct doctor {
	struct cli *cli;
	int fails, warns;
	const char *plugin_dir;
	const char *postfix_config; /* postconf -c DIR, or NULL */
	char sasl_log[1024];        /* why libsasl2 did not load a plugin */
	struct json_object *json;   /* --json: the checks so far, else NULL */
	char user[256];             /* the mailbox the checked token file names */
	int by_name;                /* ACCOUNT was a name, not a path */
	int for_postfix;            /* --for postfix */
	struct doctor_rec *rec;     /* non-NULL: report() records here, prints nothing */
};

/* Prints "OK   ...", "WARN ..." or "FAIL ..." and, for a problem, the fix
 * (may be NULL); counts the problems in d. */
void report(struct doctor *d, enum verdict v, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The account in dir whose name is one or two typing mistakes from name,
 * in out; 0 when none is. */
int doctor_near_account(const char *dir, const char *name, char *out, size_t n);

/* Reports what rec holds, in order, as if each were checked here; takes
 * the checked file's user into d. */
void doctor_replay(struct doctor *d, const struct doctor_rec *rec);

/* --json: prints the collected checks as one JSON object. */
void doctor_print_json(struct doctor *d);

void doctor_check_plugin(struct doctor *d);
/* WARNs for each other plugin in the directory that offers the mechanisms. */
void doctor_check_other_plugins(struct doctor *d);
/* /etc/sasl-xoauth2.conf and no Postfix account yet: suggest import. */
void doctor_check_migration(struct doctor *d);
void doctor_check_config(struct doctor *d);
/* The user's fetchmail, mutt/neomutt and mbsync files that connect through
 * `sasl-oauth2 tunnel` (doctor_clients.c). */
void doctor_check_tunnel_clients(struct doctor *d);
/* Checks the account's token file. Returns 0 when there is no such file
 * (after reporting it, with a near name or the other directory when one
 * holds the name), else 1. */
int doctor_check_account(struct doctor *d, const struct account *a);
/* An app-only account's grant and credential files (doctor_app.c). */
struct oa2_token;
void doctor_check_app(struct doctor *d, const struct account *a, const struct oa2_token *tok);
/* Postfix's settings; a (may be NULL: then every account the password map
 * names is checked) is the account Postfix should use. */
void doctor_check_postfix(struct doctor *d, const struct account *a);

/* Non-zero when Postfix runs (root asks `postfix status`; anyone else is
 * told to reload): a stopped Postfix reads main.cf when it starts, and
 * `postfix reload` would only fail. */
int doctor_postfix_running(const struct doctor *d);
const char *doctor_postconf_fix(const struct doctor *d, const char *setting, char *buf,
				size_t n);

/* doctor_fix.c: every fix line is written here. tmpl is the line as the
 * source writes it; each %s becomes the next argument as one shell word
 * (quoted when it needs to be), each %p the next argument the same way
 * after lstat showed it is not a symbolic link (a path the command
 * changes: chown, chmod, rm, a redirection); a link replaces the whole
 * fix with "PATH is a symbolic link ...: none is suggested". %% is a %.
 * At most 8 arguments. Returns buf. */
const char *doctor_fix(char *buf, size_t n, const char *tmpl, ...);
/* The same with the arguments in an array (NULL-terminated). */
const char *doctor_fix_argv(char *buf, size_t n, const char *tmpl, const char *const args[]);

/* Runs Postfix's TOOL (postconf, postmap) [-c DIR] ARGS... (NULL-terminated,
 * at most 4) and keeps its output in out, as run_capture. */
int doctor_postfix_tool(struct doctor *d, const char *tool, const char *const args[],
			char *out, size_t n);

/* 1 when word is one of list's words (separated by spaces, commas, tabs),
 * ignoring case. */
int doctor_has_word(const char *list, const char *word);

/* The next table of a Postfix map list into out: separated by spaces or
 * commas, except inside { } (inline:{ {key = value}, ... }). Returns where
 * the scan goes on, NULL at the end. */
const char *doctor_next_map(const char *p, char *out, size_t n);

/* doctor_sasl_security.c: the SASL security options against TLS (a token
 * is a plaintext credential), and password-map entries holding passwords
 * while the mechanism filter lets XOAUTH2/OAUTHBEARER through. */
void doctor_check_postfix_sasl_options(struct doctor *d);
void doctor_check_postfix_passwords(struct doctor *d, const char *maps);

/* Runs postconf [-c DIR] -h PARAM; its output (one line) in out. 0 when it ran. */
int doctor_postconf(struct doctor *d, const char *param, char *out, size_t n);

/* The user and group names for a uid and gid ("postfix:postfix"), numbers
 * when the system has no name for them. */
void doctor_owner_names(uid_t uid, gid_t gid, char *buf, size_t n);

/* 1 when a "sasl-oauth2 watch --for postfix" runs: the systemd unit, or a
 * process reading config_path (NULL: any). */
int doctor_watch_running(const char *config_path);
/* Reports whether it runs; the fix fits the init system. */
void doctor_check_watch(struct doctor *d);
/* notify_mail / notify_command (doctor_notify.c): WARNs when watch runs
 * with neither, checks that each configured one can work. */
void doctor_check_notify(struct doctor *d, int watch_running);

#endif

/* doctor: an account's token file: presence, owner, mode, expiry, refresh
 * token age, the last refresh error, the clock. */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "doctor.h"
#include "privsep.h"
#include "sasl-oauth2/grant.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/jwt.h"
#include "sasl-oauth2/token_store.h"
#include "sasl-oauth2/remedy.h"

/* Returns non-zero when the file is someone else's (then it is not read). */
static int check_owner(struct doctor *d, const struct account *a, const struct stat *st)
{
	char fix[2 * PATH_MAX + 400], names[160], holder[64];
	struct passwd *pw = getpwuid(st->st_uid);
	struct stat dst;

	snprintf(holder, sizeof(holder), "%s", pw ? pw->pw_name : "an unknown user");
	doctor_owner_names(a->owner, a->group, names, sizeof(names));
	if (st->st_uid != a->owner) {
		doctor_fix(fix, sizeof(fix), "chown %s %p %p", names, a->dir, a->path);
		report(d, FAIL, fix, "token file: owned by %s, but %s must read and refresh it",
		       holder,
		       a->for_postfix ? "the postfix user" : "you");
		return 1;
	}
	if (stat(a->dir, &dst) == 0 && dst.st_uid != a->owner) {
		doctor_fix(fix, sizeof(fix), "chown %s %p", names, a->dir);
		report(d, WARN, fix, "token file: its directory %s is not owned by the file's "
		       "owner, so refreshes cannot replace the file", a->dir);
		return 0;
	}
	report(d, OK, NULL, "token file: owner and mode are right");
	return 0;
}

/* What a refresh needs besides the refresh token, where the plugin and the
 * CLI look for it: the file, then the config file. */
static void check_refreshable(struct doctor *d, const struct account *a,
			      const struct oa2_token *tok)
{
	const struct oa2_config *c = &d->cli->cfg;
	const struct oa2_grant_kind *k = oa2_grant_kind_of(tok);
	const char *missing = k->missing(tok, c);
	char fix[2 * PATH_MAX + 512], tmpl[512];

	if (missing == NULL) {
		report(d, OK, NULL, "refresh: the %s grant has what it needs", k->name);
		return;
	}
	if (k == oa2_grant_kind_find(NULL) && tok->refresh_token == NULL)
		return; /* "refresh token: none" said it */
	if (k == oa2_grant_kind_find(NULL) && tok->client_id == NULL && c->client_id == NULL) {
		doctor_fix(fix, sizeof(fix), a->for_postfix ?
			   "add \"client_id = APP-ID\" (the app the refresh token was issued to) to "
			   "%s, or authorize again: sasl-oauth2 authorize %s --for postfix" :
			   "add \"client_id = APP-ID\" (the app the refresh token was issued to) to "
			   "%s, or authorize again: sasl-oauth2 authorize %s", c->path, a->name);
		report(d, FAIL, fix, "refresh: %s has no client_id and %s sets none: the token "
		       "cannot be refreshed", a->path, c->path);
	} else if (k == oa2_grant_kind_find(NULL) && tok->token_endpoint == NULL &&
		   c->token_endpoint == NULL) {
		snprintf(tmpl, sizeof(tmpl), "add \"token_endpoint = URL\" (Microsoft: https://"
			 "login.microsoftonline.com/TENANT/oauth2/v2.0/token, Google: https://"
			 "oauth2.googleapis.com/token) to %%s, or authorize again: sasl-oauth2 "
			 "authorize %%s%s", a->for_postfix ? " --for postfix" : "");
		doctor_fix(fix, sizeof(fix), tmpl, c->path, a->name);
		report(d, FAIL, fix, "refresh: %s has no token_endpoint and %s sets none: the "
		       "token cannot be refreshed", a->path, c->path);
	} else {
		/* whatever else the grant lacks, in its own words */
		snprintf(tmpl, sizeof(tmpl), "%s %%s%s", oa2_remedy_command(k->redo), a->for_postfix ? " --for postfix" : "");
		doctor_fix(fix, sizeof(fix), tmpl, a->name);
		report(d, FAIL, fix, "refresh: %s cannot be renewed (%s grant): it has no %s",
		       a->path, k->name, missing);
	}
}

/* ACCOUNT names no file: say what the admin probably meant. */
static void report_missing(struct doctor *d, const struct account *a, int errnum)
{
	char fix[2 * PATH_MAX + 256], near[256], other[PATH_MAX], path[PATH_MAX + 300], tmpl[128];
	const char *pf = a->for_postfix ? " --for postfix" : "";
	struct oa2_err err;
	struct stat st;

	if (d->by_name && errnum == ENOENT) {
		if (doctor_near_account(a->dir, a->name, near, sizeof(near))) {
			snprintf(tmpl, sizeof(tmpl), "sasl-oauth2 doctor %%s%s", pf);
			doctor_fix(fix, sizeof(fix), tmpl, near);
			report(d, FAIL, fix, "token file: no account '%s'; did you mean '%s'?",
			       a->name, near);
			return;
		}
		if (account_default_dir(!a->for_postfix, &d->cli->cfg, other, sizeof(other),
					&err) == OA2_OK) {
			snprintf(path, sizeof(path), "%s/%s.json", other, a->name);
			if (stat(path, &st) == 0) {
				doctor_fix(fix, sizeof(fix), a->for_postfix ? "sasl-oauth2 doctor %s" :
					   "sasl-oauth2 doctor %s --for postfix", a->name);
				report(d, FAIL, fix, "token file: no account '%s' in %s; %s has "
				       "it%s", a->name, a->dir, path, a->for_postfix ? "" :
				       ": it is Postfix's, add --for postfix");
				return;
			}
		}
	}
	if (errnum == EACCES && geteuid() != 0 && a->owner != geteuid()) {
		/* Postfix's (or another user's) directory: not ours to read */
		snprintf(tmpl, sizeof(tmpl), "run it as root: sasl-oauth2 doctor %%s%s", pf);
		doctor_fix(fix, sizeof(fix), tmpl, a->name);
		report(d, FAIL, fix, "token file: %s: %s (it is %s's)", a->path, strerror(errnum),
		       a->for_postfix ? "the postfix user" : "another user");
		return;
	}
	if (errnum != ENOENT) {
		report(d, FAIL, NULL, "token file: %s: %s", a->path, strerror(errnum));
		return;
	}
	snprintf(tmpl, sizeof(tmpl), "sasl-oauth2 authorize %%s --provider PROVIDER%s", pf);
	doctor_fix(fix, sizeof(fix), tmpl, a->name);
	report(d, FAIL, fix, "token file: %s: %s", a->path, strerror(errnum));
}

static void check_clock(struct doctor *d, const char *token, long long now)
{
	struct json_object *claims = NULL, *iat;

	if (oa2_jwt_payload(token, &claims, NULL) != OA2_OK)
		return; /* not a JWT: nothing to compare */
	if (json_object_object_get_ex(claims, "iat", &iat) && json_object_is_type(iat, json_type_int)) {
		long long skew = json_object_get_int64(iat) - now;
		if (skew > 300)
			report(d, FAIL, "synchronise the clock (systemd-timesyncd, chrony or ntpsec)",
			       "clock: this host is %lld s behind the token's issue time", skew);
		else
			report(d, OK, NULL, "clock: agrees with the token's issue time");
	}
	oa2_json_put_wiped(claims);
}

struct job {
	struct doctor *d;          /* the reader's: records into d->rec */
	const struct account *a;
	struct stat st;
};

/* What the file says, read as its owner (privsep.h); the verdicts are
 * recorded in d->rec, which is sent back. */
static int read_checks(void *ctx)
{
	struct job *j = ctx;
	struct doctor *d = j->d;
	const struct account *a = j->a;
	struct json_object *obj = NULL, *le, *m;
	struct oa2_token tok;
	struct oa2_err err;
	long long now = (long long)time(NULL), age;
	char fix[PATH_MAX + 128], dur[64];
	int rc;

	rc = oa2_store_read(a->path, &obj, &tok, NULL, &err);
	if (rc == OA2_ERR_UNSAFE) {
		report(d, FAIL, doctor_fix(fix, sizeof(fix), "chmod 600 %p", a->path), "token file: %s",
		       err.msg);
		return 1;
	}
	if (rc != OA2_OK) {
		doctor_fix(fix, sizeof(fix), a->for_postfix ? "authorize again: sasl-oauth2 "
			   "authorize %s --for postfix" : "authorize again: sasl-oauth2 "
			   "authorize %s", a->name);
		report(d, FAIL, fix, "token file: %s", err.msg);
		return 1;
	}
	report(d, OK, NULL, "token file: %s parses (user %s)", a->path,
	       tok.user ? tok.user : "not recorded");
	snprintf(d->user, sizeof(d->user), "%s", tok.user ? tok.user : "");

	if (tok.expires_at == 0) {
		report(d, WARN, "authorize again so the file records the expiry",
		       "access token: expiry unknown");
	} else if (tok.expires_at > now) {
		cli_format_duration(tok.expires_at - now, dur, sizeof(dur));
		report(d, OK, NULL, "access token: expires in %s", dur);
	} else {
		cli_format_duration(now - tok.expires_at, dur, sizeof(dur));
		int renewable = oa2_grant_can_renew(&tok, &d->cli->cfg);
		if (renewable)
			doctor_fix(fix, sizeof(fix), a->for_postfix ? "nothing to do: the next "
				   "login refreshes it (or run: sasl-oauth2 refresh %s --for postfix)"
				   : "nothing to do: the next login refreshes it (or run: "
				   "sasl-oauth2 refresh %s)", a->name);
		else
			doctor_fix(fix, sizeof(fix), a->for_postfix ? "authorize again: sasl-oauth2 "
				   "authorize %s --for postfix" : "authorize again: sasl-oauth2 "
				   "authorize %s", a->name);
		report(d, renewable ? WARN : FAIL, fix, "access token: expired %s ago", dur);
	}

	if (oa2_grant_kind_of(&tok) != oa2_grant_kind_find(NULL)) {
		/* app-only grants have no refresh token to age, but credential
		 * files to check */
		doctor_check_app(d, a, &tok);
	} else if (tok.refresh_token == NULL) {
		report(d, FAIL, "authorize again to get a refresh token (offline_access scope)",
		       "refresh token: none; the access token cannot be renewed");
	} else {
		age = -1;
		if (json_object_object_get_ex(obj, "refreshed_at", &m) ||
		    json_object_object_get_ex(obj, "authorized_at", &m))
			age = now - json_object_get_int64(m);
		else
			age = now - (long long)j->st.st_mtime;
		cli_format_duration(age, dur, sizeof(dur));
		if (age > 60LL * 86400)
			report(d, WARN, "run sasl-oauth2 watch (or refresh) so it is used: Microsoft "
			       "revokes refresh tokens unused for 90 days",
			       "refresh token: last used %s ago", dur);
		else
			report(d, OK, NULL, "refresh token: last used %s ago", dur);
	}
	check_refreshable(d, a, &tok);

	if (json_object_object_get_ex(obj, "last_error", &le) &&
	    json_object_object_get_ex(le, "message", &m))
		report(d, FAIL, "follow the advice in the message",
		       "last refresh: %s", json_object_get_string(m));
	else
		report(d, OK, NULL, "last refresh: no error recorded");

	check_clock(d, tok.access_token, now);
	oa2_token_clear(&tok);
	oa2_json_put_wiped(obj);
	return 1;
}

static int read_and_record(void *ctx)
{
	struct job *j = ctx;
	int r = read_checks(ctx);

	snprintf(j->d->rec->user, sizeof(j->d->rec->user), "%s", j->d->user);
	return r;
}

/* read_checks as the owner; its verdicts are reported here, by the parent
 * (a child's prints and its JSON would not reach the parent's output). */
static void owner_checks(struct doctor *d, const struct account *a, const struct stat *st)
{
	struct doctor_rec *rec = calloc(1, sizeof(*rec));
	struct doctor reader = *d;
	struct job j = { &reader, a, *st };
	struct oa2_err err;
	int ignored;

	if (rec == NULL) {
		report(d, FAIL, NULL, "token file: out of memory");
		return;
	}
	reader.rec = rec;
	reader.json = NULL;
	if (privsep_run(a, read_and_record, &j, rec, sizeof(*rec), &ignored, &err) != OA2_OK)
		report(d, FAIL, NULL, "token file: %s", err.msg);
	else
		doctor_replay(d, rec);
	free(rec);
}

int doctor_check_account(struct doctor *d, const struct account *a)
{
	struct stat st;

	if (a->for_postfix && strncmp(a->path, d->cli->cfg.chroot_dir,
				      strlen(d->cli->cfg.chroot_dir)) != 0)
		report(d, FAIL, "keep Postfix's token files under CHROOT/etc/sasl-oauth2 "
		       "(sasl-oauth2 authorize NAME --provider PROVIDER --for postfix)",
		       "token file: %s is outside Postfix's chroot %s", a->path,
		       d->cli->cfg.chroot_dir);
	/* Only the name's own metadata here (lstat): the contents are read
	 * by the owner. */
	if (lstat(a->path, &st) != 0) {
		report_missing(d, a, errno);
		return 0;
	}
	if (S_ISLNK(st.st_mode)) {
		report(d, FAIL, "put the token file itself there (sasl-oauth2 never follows a "
		       "link to it)", "token file: %s is a symbolic link", a->path);
		return 1;
	}
	if (check_owner(d, a, &st))
		return 1;
	owner_checks(d, a, &st);
	return 1;
}

/* doctor's verdict lines: one per check, and the fix under each problem;
 * with --json the same checks as one object for scripts and monitoring. */
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "doctor.h"
#include "sasl-oauth2/chars.h"

static const char *const verdict_name[] = { "ok", "warn", "fail" };

static void add_json(struct doctor *d, enum verdict v, const char *fix, const char *msg)
{
	struct json_object *o = json_object_new_object();
	const char *colon = strstr(msg, ": ");
	size_t area = colon ? (size_t)(colon - msg) : 0;

	json_object_object_add(o, "verdict", json_object_new_string(verdict_name[v]));
	/* "postfix: ...", "token file: ...": what was checked, for filtering */
	json_object_object_add(o, "check", json_object_new_string_len(msg, (int)area));
	json_object_object_add(o, "message", json_object_new_string(colon ? colon + 2 : msg));
	if (v != OK && fix != NULL)
		json_object_object_add(o, "fix", json_object_new_string(fix));
	json_object_array_add(d->json, o);
}

static void record(struct doctor_rec *rec, enum verdict v, const char *fix, const char *msg)
{
	if (rec->n >= DOCTOR_REC_MAX) {
		rec->lost++;
		return;
	}
	rec->r[rec->n].verdict = (int)v;
	rec->r[rec->n].has_fix = fix != NULL;
	snprintf(rec->r[rec->n].msg, sizeof(rec->r[rec->n].msg), "%s", msg);
	snprintf(rec->r[rec->n].fix, sizeof(rec->r[rec->n].fix), "%s", fix ? fix : "");
	rec->n++;
}

void doctor_replay(struct doctor *d, const struct doctor_rec *rec)
{
	for (int i = 0; i < rec->n && i < DOCTOR_REC_MAX; i++) {
		int v = rec->r[i].verdict;
		report(d, v == OK || v == WARN ? (enum verdict)v : FAIL,
		       rec->r[i].has_fix ? rec->r[i].fix : NULL, "%s", rec->r[i].msg);
	}
	if (rec->lost > 0)
		report(d, WARN, NULL, "doctor: %d more checks of this account were not kept",
		       rec->lost);
	snprintf(d->user, sizeof(d->user), "%s", rec->user);
}

void report(struct doctor *d, enum verdict v, const char *fix, const char *fmt, ...)
{
	static const char *const tag[] = { "OK  ", "WARN", "FAIL" };
	char msg[2048], shown[4 * sizeof(msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (d->rec != NULL) {
		record(d->rec, v, fix, msg);
		return;
	}
	d->fails += v == FAIL;
	d->warns += v == WARN;
	if (d->json != NULL) {
		add_json(d, v, fix, msg);
		return;
	}
	/* File names and contents come from directories other users may
	 * write: no control byte of theirs reaches root's terminal. */
	oa2_chars_escape(msg, shown, sizeof(shown));
	printf("%s %s\n", tag[v], shown);
	if (v != OK && fix != NULL) {
		oa2_chars_escape(fix, shown, sizeof(shown));
		printf("     fix: %s\n", shown);
	}
}

void doctor_print_json(struct doctor *d)
{
	struct json_object *top = json_object_new_object();

	json_object_object_add(top, "problems", json_object_new_int(d->fails));
	json_object_object_add(top, "warnings", json_object_new_int(d->warns));
	json_object_object_add(top, "checks", json_object_get(d->json));
	printf("%s\n", json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(top);
}

void doctor_owner_names(uid_t uid, gid_t gid, char *buf, size_t n)
{
	struct passwd *pw = getpwuid(uid);
	char user[64];
	struct group *gr;

	if (pw != NULL)
		snprintf(user, sizeof(user), "%s", pw->pw_name);
	else
		snprintf(user, sizeof(user), "%u", (unsigned)uid);
	gr = getgrgid(gid);
	if (gr != NULL)
		snprintf(buf, n, "%s:%s", user, gr->gr_name);
	else
		snprintf(buf, n, "%s:%u", user, (unsigned)gid);
}

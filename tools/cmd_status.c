/*
 * sasl-oauth2 status: one row per account, what its token file says - whose
 * it is, where it refreshes, how long the access token lasts, how old the
 * refresh token is and the last refusal - as a table or as JSON. Never a
 * token. A file that cannot be read is a row with its error.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <json-c/json.h>

#include "cmdutil.h"
#include "notify.h"
#include "privsep.h"
#include "sasl-oauth2/chars.h"
#include "sasl-oauth2/grant.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/server_error.h"
#include "sasl-oauth2/timefmt.h"
#include "sasl-oauth2/token_store.h"

struct opts {
	int json;
	int metrics;               /* --metrics: Prometheus text on stdout */
	const char *metrics_file;  /* --metrics-file PATH */
	int for_postfix;
	int help;
	int first;   /* argv index of the first ACCOUNT; argc: all accounts */
};

/* What status shows of one account; strings are printable copies. */
struct row {
	char account[256];
	char path[PATH_MAX];
	int code;                      /* exit code for this row; 0: read fine */
	struct oa2_err error;          /* why the file could not be read */
	char user[OA2_USER_MAX + 1];
	char provider[256];
	long long expires_at;          /* 0: the file gives none */
	long long rejected_at;
	int has_refresh_token;
	char grant[32];                /* the grant that renews the file */
	long long rt_since;            /* refreshed_at, authorized_at or mtime */
	const char *rt_since_from;     /* which of the three */
	int has_last_error;
	char last_error[64];           /* OAuth error code */
	char last_message[512];
	long long last_error_at;
	struct acct_health health;     /* for --metrics (notify.h) */
};

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "metrics", no_argument, NULL, 'M' },
		{ "metrics-file", required_argument, NULL, 'm' },
		{ "for", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc = CLI_OK;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	while (rc == CLI_OK && (c = getopt_long(argc, argv, ":jh", lo, NULL)) != -1) {
		switch (c) {
		case 'j': o->json = 1; break;
		case 'M': o->metrics = 1; break;
		case 'm': o->metrics_file = optarg; break;
		case 'F': rc = cli_parse_for(&cmd_status, optarg, &o->for_postfix); break;
		case 'h': o->help = 1; return CLI_OK;
		default: return cli_bad_option(&cmd_status, c, argv);
		}
	}
	o->first = optind;
	return rc;
}

/* Copies the string member key (printable) into buf; "" when absent. */
static void member(struct json_object *obj, const char *key, char *buf, size_t n)
{
	const char *v;
	size_t len;

	buf[0] = '\0';
	if (obj != NULL &&
	    oa2_json_get_string(obj, key, 4096, &v, &len, "", NULL) == OA2_OK && v != NULL)
		oa2_printable(v, len, buf, n);
}

static long long time_member(struct json_object *obj, const char *key)
{
	long long t = 0;

	if (oa2_json_get_time(obj, key, &t, "", NULL) != OA2_OK)
		return 0;
	return t;
}

static void fill_provider(struct row *r, struct json_object *obj, const struct oa2_token *tok,
			  const struct oa2_config *cfg)
{
	const char *endpoint = tok->token_endpoint ? tok->token_endpoint : cfg->token_endpoint;

	member(obj, "provider", r->provider, sizeof(r->provider));
	if (r->provider[0] == '\0' && endpoint != NULL &&
	    cli_url_host(endpoint, r->provider, sizeof(r->provider)) != 0)
		r->provider[0] = '\0';
}

static void fill_refresh_token(struct row *r, struct json_object *obj,
			       const struct oa2_token *tok, const struct stat *st)
{
	r->has_refresh_token = tok->refresh_token != NULL;
	snprintf(r->grant, sizeof(r->grant), "%s", oa2_grant_kind_of(tok)->name);
	if ((r->rt_since = time_member(obj, "refreshed_at")) != 0)
		r->rt_since_from = "refreshed_at";
	else if ((r->rt_since = time_member(obj, "authorized_at")) != 0)
		r->rt_since_from = "authorized_at";
	else {
		r->rt_since = (long long)st->st_mtime;
		r->rt_since_from = "mtime";
	}
}

static void fill_last_error(struct row *r, struct json_object *obj)
{
	struct json_object *e;

	if (!json_object_object_get_ex(obj, "last_error", &e) ||
	    !json_object_is_type(e, json_type_object))
		return;
	r->has_last_error = 1;
	member(e, "error", r->last_error, sizeof(r->last_error));
	member(e, "message", r->last_message, sizeof(r->last_message));
	r->last_error_at = time_member(e, "at");
}

struct job {
	const struct cli *cli;
	const struct account *acct;
	struct row *r;
};

/* The file's part of the row, read as the account's owner (privsep.h). */
static int read_as_owner(void *ctx)
{
	const struct job *j = ctx;
	const struct cli *cli = j->cli;
	const struct account acct = *j->acct;
	struct row *r = j->r;
	struct json_object *obj = NULL;
	struct oa2_token tok;
	struct oa2_err err;
	struct stat st;
	int rc;

	rc = oa2_store_read(acct.path, &obj, &tok, &st, &err);
	if (rc != OA2_OK) {
		r->code = cli_exit_for(rc);
		r->error = err;
		return 0;
	}
	if (tok.user != NULL)
		oa2_printable(tok.user, strlen(tok.user), r->user, sizeof(r->user));
	fill_provider(r, obj, &tok, &cli->cfg);
	r->expires_at = tok.expires_at;
	r->rejected_at = tok.rejected_at;
	fill_refresh_token(r, obj, &tok, &st);
	fill_last_error(r, obj);
	oa2_token_clear(&tok);
	oa2_json_put_wiped(obj);
	/* Read only: announcing is watch's; a missing state file is no error. */
	(void)acct_health_load(acct.path, &cli->cfg, 0, &r->health, &err);
	return 0;
}

static void read_row(const struct cli *cli, const char *arg, int for_postfix, struct row *r)
{
	struct account acct;
	struct job j = { cli, &acct, r };
	struct oa2_err err;
	int rc, ignored;

	memset(r, 0, sizeof(*r));
	snprintf(r->account, sizeof(r->account), "%s", arg);
	rc = account_resolve(arg, for_postfix, &cli->cfg, &acct, &err);
	if (rc != OA2_OK) {
		r->code = CLI_USAGE;
		r->error = err;
		return;
	}
	snprintf(r->account, sizeof(r->account), "%s", acct.name);
	snprintf(r->path, sizeof(r->path), "%s", acct.path);
	if (cli_account_missing(&acct)) {
		char msg[OA2_ERR_MSG_MAX];

		cli_no_account_msg(&cli->cfg, &acct, arg, msg, sizeof(msg));
		r->code = CLI_NOACCOUNT;
		oa2_err_set(&r->error, OA2_ERR_IO, "%s", msg);
		return;
	}
	/* The row comes back from the owner's process whole. */
	rc = privsep_run(&acct, read_as_owner, &j, r, sizeof(*r), &ignored, &err);
	if (rc != OA2_OK) {
		r->code = cli_exit_for(rc);
		r->error = err;
	}
}

/* ----- the table ----------------------------------------------------------- */

enum { C_ACCOUNT, C_USER, C_PROVIDER, C_ACCESS, C_REFRESH, C_ERROR, NCOLS };

static const char *const headers[NCOLS] = {
	"ACCOUNT", "USER", "PROVIDER", "ACCESS TOKEN", "REFRESH TOKEN", "LAST ERROR",
};

struct cells {
	char c[NCOLS][OA2_ERR_MSG_MAX];
};

static void access_cell(const struct row *r, long long now, char *buf, size_t n)
{
	char span[32];

	if (r->rejected_at != 0) {
		oa2_format_span(now - r->rejected_at, span, sizeof(span));
		snprintf(buf, n, "rejected %s ago", span);
	} else if (r->expires_at == 0) {
		snprintf(buf, n, "no expiry");
	} else if (r->expires_at > now) {
		oa2_format_span(r->expires_at - now, span, sizeof(span));
		snprintf(buf, n, "expires in %s", span);
	} else {
		oa2_format_span(now - r->expires_at, span, sizeof(span));
		snprintf(buf, n, "expired %s ago", span);
	}
}

/* The gist of a recorded message: without the "token file PATH" it starts
 * with (the row names the account) and the advice after the first ';'. */
static void gist(const char *msg, const char *path, char *buf, size_t n)
{
	char prefix[PATH_MAX + 16];
	size_t len;

	snprintf(prefix, sizeof(prefix), "token file %s", path);
	if (path[0] != '\0' && strncmp(msg, prefix, strlen(prefix)) == 0) {
		msg += strlen(prefix);
		msg += strspn(msg, ": ");
	}
	len = strcspn(msg, ";");
	if (len > 60)
		snprintf(buf, n, "%.57s...", msg);
	else
		snprintf(buf, n, "%.*s", (int)len, msg);
}

static void error_cell(const struct row *r, long long now, char *buf, size_t n)
{
	char span[32] = "", what[64];

	if (!r->has_last_error) {
		snprintf(buf, n, "-");
		return;
	}
	/* short: the OAuth error code, else the gist of the message */
	if (r->last_error[0] != '\0')
		snprintf(what, sizeof(what), "%s", r->last_error);
	else if (r->last_message[0] != '\0')
		gist(r->last_message, r->path, what, sizeof(what));
	else
		snprintf(what, sizeof(what), "refresh failed");
	if (r->last_error_at != 0)
		oa2_format_span(now - r->last_error_at, span, sizeof(span));
	snprintf(buf, n, "%s%s%s%s", what, span[0] ? " (" : "", span, span[0] ? " ago)" : "");
}

/* Account names, users and error texts come from files another user may
 * have written: no control byte of theirs reaches the terminal. */
static void escape_cells(struct cells *c)
{
	char shown[sizeof(c->c[0])];

	for (int i = 0; i < NCOLS; i++) {
		oa2_chars_escape(c->c[i], shown, sizeof(shown));
		memcpy(c->c[i], shown, sizeof(shown));
	}
}

static void fill_cells(const struct row *r, long long now, struct cells *c)
{
	char span[32];

	snprintf(c->c[C_ACCOUNT], sizeof(c->c[0]), "%s", r->account);
	if (r->code != CLI_OK) {
		for (int i = C_USER; i < C_ERROR; i++)
			snprintf(c->c[i], sizeof(c->c[0]), "-");
		snprintf(c->c[C_ERROR], sizeof(c->c[0]), "%s", r->error.msg);
		return;
	}
	snprintf(c->c[C_USER], sizeof(c->c[0]), "%s", r->user[0] ? r->user : "-");
	snprintf(c->c[C_PROVIDER], sizeof(c->c[0]), "%s", r->provider[0] ? r->provider : "-");
	access_cell(r, now, c->c[C_ACCESS], sizeof(c->c[0]));
	if (strcmp(r->grant, "refresh_token") != 0) {
		/* App-only: renewed by its grant, nothing to expire unused. */
		snprintf(c->c[C_REFRESH], sizeof(c->c[0]), "app-only (%s)", r->grant);
	} else if (!r->has_refresh_token) {
		snprintf(c->c[C_REFRESH], sizeof(c->c[0]), "none");
	} else {
		oa2_format_span(now - r->rt_since, span, sizeof(span));
		snprintf(c->c[C_REFRESH], sizeof(c->c[0]), "%s old", span);
	}
	error_cell(r, now, c->c[C_ERROR], sizeof(c->c[0]));
}

static void make_cells(const struct row *r, long long now, struct cells *c)
{
	fill_cells(r, now, c);
	escape_cells(c);
}

static void print_line(const char *const cell[NCOLS], const int width[NCOLS])
{
	for (int i = 0; i < NCOLS - 1; i++)
		printf("%-*s  ", width[i], cell[i]);
	printf("%s\n", cell[NCOLS - 1]);
}

static int print_table(const struct row *rows, size_t n, long long now)
{
	struct cells *cells = calloc(n ? n : 1, sizeof(*cells));
	const char *line[NCOLS];
	int width[NCOLS];

	if (cells == NULL) {
		cli_error("out of memory");
		return CLI_SOFTWARE;
	}
	for (int i = 0; i < NCOLS; i++)
		width[i] = (int)strlen(headers[i]);
	for (size_t r = 0; r < n; r++) {
		make_cells(&rows[r], now, &cells[r]);
		for (int i = 0; i < NCOLS; i++)
			if ((int)strlen(cells[r].c[i]) > width[i])
				width[i] = (int)strlen(cells[r].c[i]);
	}
	print_line(headers, width);
	for (size_t r = 0; r < n; r++) {
		for (int i = 0; i < NCOLS; i++)
			line[i] = cells[r].c[i];
		print_line(line, width);
	}
	free(cells);
	return CLI_OK;
}

/* ----- JSON ---------------------------------------------------------------- */

static struct json_object *str_or_null(const char *s)
{
	return s[0] ? json_object_new_string(s) : NULL;
}

static struct json_object *time_or_null(long long t)
{
	return t != 0 ? json_object_new_int64(t) : NULL;
}

static struct json_object *access_json(const struct row *r, long long now)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "expires_at", time_or_null(r->expires_at));
	json_object_object_add(a, "expires_in",
			       r->expires_at ? json_object_new_int64(r->expires_at - now) : NULL);
	json_object_object_add(a, "expired",
			       json_object_new_boolean(r->expires_at != 0 && r->expires_at <= now));
	json_object_object_add(a, "rejected_at", time_or_null(r->rejected_at));
	return a;
}

static struct json_object *refresh_json(const struct row *r, long long now)
{
	struct json_object *t = json_object_new_object();

	json_object_object_add(t, "present", json_object_new_boolean(r->has_refresh_token));
	json_object_object_add(t, "age", r->has_refresh_token ?
				   json_object_new_int64(now - r->rt_since) : NULL);
	json_object_object_add(t, "age_from", r->has_refresh_token ?
				   json_object_new_string(r->rt_since_from) : NULL);
	return t;
}

static struct json_object *last_error_json(const struct row *r)
{
	struct json_object *e;

	if (!r->has_last_error)
		return NULL;
	e = json_object_new_object();
	json_object_object_add(e, "error", str_or_null(r->last_error));
	json_object_object_add(e, "message", str_or_null(r->last_message));
	json_object_object_add(e, "at", time_or_null(r->last_error_at));
	return e;
}

static struct json_object *row_json(const struct row *r, long long now)
{
	struct json_object *o = json_object_new_object();
	int ok = r->code == CLI_OK;

	json_object_object_add(o, "account", json_object_new_string(r->account));
	json_object_object_add(o, "file", str_or_null(r->path));
	json_object_object_add(o, "error", ok ? NULL : json_object_new_string(r->error.msg));
	json_object_object_add(o, "exit_code", json_object_new_int(r->code));
	json_object_object_add(o, "user", ok ? str_or_null(r->user) : NULL);
	json_object_object_add(o, "provider", ok ? str_or_null(r->provider) : NULL);
	json_object_object_add(o, "access_token", ok ? access_json(r, now) : NULL);
	json_object_object_add(o, "grant", ok ? json_object_new_string(r->grant) : NULL);
	json_object_object_add(o, "refresh_token", ok ? refresh_json(r, now) : NULL);
	json_object_object_add(o, "last_error", ok ? last_error_json(r) : NULL);
	return o;
}

static int print_json(const struct row *rows, size_t n, long long now)
{
	struct json_object *a = json_object_new_array();
	const char *text;

	if (a == NULL) {
		cli_error("out of memory");
		return CLI_SOFTWARE;
	}
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, row_json(&rows[i], now));
	text = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PRETTY |
						 JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL) {
		json_object_put(a);
		cli_error("out of memory");
		return CLI_SOFTWARE;
	}
	printf("%s\n", text);
	json_object_put(a);
	return CLI_OK;
}

/* ----- the command --------------------------------------------------------- */

static int print_metrics(const struct cli *cli, const struct opts *o, const struct row *rows,
			 size_t n, long long now)
{
	struct metrics_row *mr = calloc(n ? n : 1, sizeof(*mr));
	struct oa2_err err;
	int rc;

	if (mr == NULL) {
		cli_error("out of memory");
		return CLI_SOFTWARE;
	}
	for (size_t i = 0; i < n; i++) {
		mr[i].name = rows[i].account;
		mr[i].ah = &rows[i].health;
	}
	rc = metrics_write(o->metrics_file, stdout, &cli->cfg, mr, n, now, &err);
	free(mr);
	if (rc != OA2_OK) {
		cli_error("%s", err.msg);
		return cli_exit_for(rc);
	}
	return CLI_OK;
}

static int run(struct cli *cli, int argc, char **argv)
{
	char dir[PATH_MAX], **names = NULL;
	struct row *rows;
	struct opts o;
	struct oa2_err err;
	size_t n = 0;
	long long now;
	int rc, worst = CLI_OK;

	rc = parse(argc, argv, &o);
	if (rc != CLI_OK || o.help)
		return o.help ? cli_help(&cmd_status) : rc;
	if (o.first == argc) {
		rc = cli_list_accounts(o.for_postfix, &cli->cfg, dir, sizeof(dir), &names, &n, &err);
		if (rc != OA2_OK) {
			cli_error("%s", err.msg);
			return cli_exit_for(rc);
		}
		if (n == 0 && !o.json && !o.metrics && o.metrics_file == NULL)
			cli_error("no accounts in %s; add one with: sasl-oauth2 authorize NAME "
				  "--provider PROVIDER%s", dir, o.for_postfix ? " --for postfix" : "");
	} else {
		n = (size_t)(argc - o.first);
	}
	rows = calloc(n ? n : 1, sizeof(*rows));
	if (rows == NULL) {
		cli_names_free(names, n);
		cli_error("out of memory");
		return CLI_SOFTWARE;
	}
	for (size_t i = 0; i < n; i++) {
		read_row(cli, names ? names[i] : argv[o.first + (int)i], o.for_postfix, &rows[i]);
		worst = cli_worse(worst, rows[i].code);
	}
	now = (long long)time(NULL);
	if (o.metrics || o.metrics_file != NULL)
		rc = print_metrics(cli, &o, rows, n, now);
	else if (o.json)
		rc = print_json(rows, n, now);
	else if (n > 0)
		rc = print_table(rows, n, now);
	free(rows);
	cli_names_free(names, n);
	return rc != CLI_OK ? rc : worst;
}

const struct cli_command cmd_status = {
	.name = "status",
	.summary = "show the accounts and the state of their tokens",
	.run = run,
	.usage =
	"Usage: sasl-oauth2 status [--json | --metrics | --metrics-file PATH]\n"
	"                          [--for postfix] [ACCOUNT...]\n"
	"\n"
	"Shows every account in the state directory (or the ACCOUNTs named), one row\n"
	"each:\n"
	"  ACCOUNT        the account name\n"
	"  USER           the mailbox the tokens are for (the file's \"user\")\n"
	"  PROVIDER       the file's \"provider\", else the token endpoint's host\n"
	"  ACCESS TOKEN   \"expires in 42m\", \"expired 3h ago\", \"rejected 5m ago\" (a\n"
	"                 server refused it: the next use refreshes first), or\n"
	"                 \"no expiry\"\n"
	"  REFRESH TOKEN  its age (since the last refresh, else the authorization, else\n"
	"                 the file's modification time), or \"none\"; for app-only\n"
	"                 accounts \"app-only (client_credentials)\" or \"app-only\n"
	"                 (jwt_bearer)\": renewed by that grant, no refresh token\n"
	"  LAST ERROR     the last refusal from the token endpoint (e.g. invalid_grant)\n"
	"                 and how long ago, or \"-\"\n"
	"A token file that cannot be read (missing, unsafe permissions, malformed)\n"
	"is a row whose LAST ERROR column says why. No token is ever shown.\n"
	"\n"
	"Options:\n"
	"  --json          a JSON array instead, one object per account:\n"
	"                  {\"account\", \"file\", \"error\" (null, or why the file could\n"
	"                  not be read), \"exit_code\", \"user\", \"provider\",\n"
	"                  \"access_token\": {\"expires_at\", \"expires_in\", \"expired\",\n"
	"                  \"rejected_at\"}, \"grant\": \"refresh_token\"|\"client_credentials\"|\n"
	"                  \"jwt_bearer\", \"refresh_token\": {\"present\", \"age\",\n"
	"                  \"age_from\": \"refreshed_at\"|\"authorized_at\"|\"mtime\"},\n"
	"                  \"last_error\": null or {\"error\", \"message\", \"at\"}}\n"
	"                  (times in epoch seconds, ages and expires_in in seconds)\n"
	"  --metrics       Prometheus text format instead, for node_exporter's\n"
	"                  textfile collector: per account the access token's expiry,\n"
	"                  the seconds until renewing stops being possible (where\n"
	"                  known), the last successful renewal, the consecutive\n"
	"                  failures and the state (ok, expiring, failing, reauth)\n"
	"  --metrics-file PATH  the same, written to PATH atomically (mode 0644)\n"
	"  --for postfix   Postfix's accounts (CHROOT/etc/sasl-oauth2)\n"
	"  -h, --help      this help\n"
	"\n"
	"ACCOUNT is a name (NAME.json in the state directory) or a token file path.\n"
	"\n"
	"Exit status: 0 when every token file could be read (whatever the state of\n"
	"its tokens), else the worst of the rows' errors (all rows are shown):\n"
	"   1  the state directory cannot be found (neither HOME nor\n"
	"      SASL_OAUTH2_STATE_DIR is set)\n"
	"   2  bad command line or account name\n"
	"  65  a token file is malformed\n"
	"  67  a named account does not exist\n"
	"  70  out of memory\n"
	"  74  a token file or the state directory could not be read\n"
	"  77  a token file is readable or writable by group or others\n",
};

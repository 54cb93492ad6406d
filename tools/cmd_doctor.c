/* sasl-oauth2 doctor: finds the setup mistakes nobody can see. One line per
 * check, OK / WARN / FAIL, and for each problem the fix. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sasl/sasl.h>

#include "account.h"
#include "cli.h"
#include "run_capture.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/jwt.h"
#include "sasl-oauth2/token_store.h"

#ifndef SASL_PLUGINDIR
#define SASL_PLUGINDIR "/usr/lib/x86_64-linux-gnu/sasl2"
#endif

enum verdict { OK, WARN, FAIL };

struct doctor {
	struct cli *cli;
	int fails, warns;
	const char *plugin_dir;
	const char *postfix_config; /* postconf -c DIR, or NULL */
	char sasl_log[1024];        /* why libsasl2 did not load a plugin */
};

__attribute__((format(printf, 4, 5)))
static void report(struct doctor *d, enum verdict v, const char *fix, const char *fmt, ...)
{
	static const char *const tag[] = { "OK  ", "WARN", "FAIL" };
	va_list ap;

	printf("%s ", tag[v]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (v != OK && fix != NULL)
		printf("     fix: %s\n", fix);
	d->fails += v == FAIL;
	d->warns += v == WARN;
}

/* --- the plugin, as libsasl2 sees it ---------------------------------------- */

static struct doctor *log_target;

static int on_sasl_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (level <= SASL_LOG_WARN && log_target && log_target->sasl_log[0] == '\0')
		snprintf(log_target->sasl_log, sizeof(log_target->sasl_log), "%s", msg);
	return SASL_OK;
}

static int on_getpath(void *ctx, const char **path)
{
	*path = ctx;
	return SASL_OK;
}

static void check_plugin(struct doctor *d)
{
	char so[PATH_MAX + 32], fix[PATH_MAX + 128];
	sasl_callback_t cbs[] = {
		{ SASL_CB_LOG, (int (*)(void))(void (*)(void))on_sasl_log, NULL },
		{ SASL_CB_GETPATH, (int (*)(void))(void (*)(void))on_getpath, (void *)d->plugin_dir },
		{ SASL_CB_LIST_END, NULL, NULL },
	};
	const char **mechs;
	int have_x = 0, have_o = 0;

	snprintf(so, sizeof(so), "%s/libsasl-oauth2.so", d->plugin_dir);
	snprintf(fix, sizeof(fix), "install it: make install (or copy libsasl-oauth2.so to %s)",
		 d->plugin_dir);
	if (access(so, R_OK) != 0) {
		report(d, FAIL, fix, "plugin: %s is missing (%s)", so, strerror(errno));
		return;
	}
	report(d, OK, NULL, "plugin: %s is installed", so);
	log_target = d;
	if (sasl_client_init(cbs) != SASL_OK) {
		report(d, FAIL, "check that libsasl2-2 is installed and the plugin directory is "
		       "readable", "plugin: libsasl2 failed to initialise: %s", d->sasl_log);
		return;
	}
	mechs = sasl_global_listmech();
	for (; mechs != NULL && *mechs != NULL; mechs++) {
		have_x |= strcmp(*mechs, "XOAUTH2") == 0;
		have_o |= strcmp(*mechs, "OAUTHBEARER") == 0;
	}
	if (have_x && have_o)
		report(d, OK, NULL, "plugin: libsasl2 lists XOAUTH2 and OAUTHBEARER");
	else
		report(d, FAIL, "reinstall the plugin built for this libsasl2; see the reason above",
		       "plugin: libsasl2 does not list %s%s%s (%s)", have_x ? "" : "XOAUTH2",
		       !have_x && !have_o ? " and " : "", have_o ? "" : "OAUTHBEARER",
		       d->sasl_log[0] ? d->sasl_log : "no reason logged");
	sasl_client_done();
	log_target = NULL;
}

/* --- configuration ------------------------------------------------------------- */

static void check_config(struct doctor *d)
{
	const struct oa2_config *c = &d->cli->cfg;
	struct stat st;

	if (d->cli->cfg_rc != OA2_OK)
		report(d, FAIL, "correct the line named; see sasl-oauth2.conf(5)", "config: %s",
		       d->cli->cfg_err.msg);
	else if (stat(c->path, &st) != 0)
		report(d, OK, NULL, "config: %s absent, defaults used", c->path);
	else
		report(d, OK, NULL, "config: %s parses", c->path);
	if (c->ca_blob == NULL)
		report(d, FAIL, "install the ca-certificates package or set ca_bundle",
		       "config: %s", c->ca_error);
}

/* --- the account's token file ---------------------------------------------------- */

static void check_owner(struct doctor *d, const struct account *a, const struct stat *st)
{
	char fix[2 * PATH_MAX + 64];
	struct passwd *pw = getpwuid(st->st_uid);
	struct stat dst;

	if (st->st_uid != a->owner) {
		snprintf(fix, sizeof(fix), "chown %u:%u %s %s", (unsigned)a->owner,
			 (unsigned)a->group, a->dir, a->path);
		report(d, FAIL, fix, "token file: owned by %s, but %s must read and refresh it",
		       pw ? pw->pw_name : "an unknown user",
		       a->for_postfix ? "the postfix user" : "you");
		return;
	}
	if (stat(a->dir, &dst) == 0 && dst.st_uid != a->owner) {
		snprintf(fix, sizeof(fix), "chown %u:%u %s", (unsigned)a->owner, (unsigned)a->group,
			 a->dir);
		report(d, WARN, fix, "token file: its directory %s is not owned by the file's "
		       "owner, so refreshes cannot replace the file", a->dir);
		return;
	}
	report(d, OK, NULL, "token file: owner and mode are right");
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

static void check_account(struct doctor *d, const struct account *a)
{
	struct json_object *obj = NULL, *le, *m;
	struct oa2_token tok;
	struct oa2_err err;
	struct stat st;
	long long now = (long long)time(NULL), age;
	char fix[PATH_MAX + 128], dur[64];
	int rc;

	if (a->for_postfix && strncmp(a->path, d->cli->cfg.chroot_dir,
				      strlen(d->cli->cfg.chroot_dir)) != 0)
		report(d, FAIL, "keep Postfix's token files under CHROOT/etc/sasl-oauth2 "
		       "(sasl-oauth2 authorize NAME --for postfix)",
		       "token file: %s is outside Postfix's chroot %s", a->path,
		       d->cli->cfg.chroot_dir);
	if (stat(a->path, &st) != 0) {
		snprintf(fix, sizeof(fix), "sasl-oauth2 authorize %s --provider ...%s", a->name,
			 a->for_postfix ? " --for postfix" : "");
		report(d, FAIL, fix, "token file: %s: %s", a->path, strerror(errno));
		return;
	}
	rc = oa2_store_read(a->path, &obj, &tok, NULL, &err);
	if (rc == OA2_ERR_UNSAFE) {
		snprintf(fix, sizeof(fix), "chmod 600 %s", a->path);
		report(d, FAIL, fix, "token file: %s", err.msg);
		return;
	}
	if (rc != OA2_OK) {
		snprintf(fix, sizeof(fix), "authorize again: sasl-oauth2 authorize %s", a->name);
		report(d, FAIL, fix, "token file: %s", err.msg);
		return;
	}
	report(d, OK, NULL, "token file: %s parses (user %s)", a->path,
	       tok.user ? tok.user : "not recorded");
	check_owner(d, a, &st);

	if (tok.expires_at == 0) {
		report(d, WARN, "authorize again so the file records the expiry",
		       "access token: expiry unknown");
	} else if (tok.expires_at > now) {
		cli_format_duration(tok.expires_at - now, dur, sizeof(dur));
		report(d, OK, NULL, "access token: expires in %s", dur);
	} else {
		cli_format_duration(now - tok.expires_at, dur, sizeof(dur));
		report(d, tok.refresh_token ? WARN : FAIL,
		       tok.refresh_token ? "nothing to do: the next login refreshes it (or run "
					   "sasl-oauth2 refresh)" : "authorize again",
		       "access token: expired %s ago", dur);
	}

	if (tok.refresh_token == NULL) {
		report(d, FAIL, "authorize again to get a refresh token (offline_access scope)",
		       "refresh token: none; the access token cannot be renewed");
	} else {
		age = -1;
		if (json_object_object_get_ex(obj, "refreshed_at", &m) ||
		    json_object_object_get_ex(obj, "authorized_at", &m))
			age = now - json_object_get_int64(m);
		else
			age = now - (long long)st.st_mtime;
		cli_format_duration(age, dur, sizeof(dur));
		if (age > 60LL * 86400)
			report(d, WARN, "run sasl-oauth2 watch (or refresh) so it is used: Microsoft "
			       "revokes refresh tokens unused for 90 days",
			       "refresh token: last used %s ago", dur);
		else
			report(d, OK, NULL, "refresh token: last used %s ago", dur);
	}

	if (json_object_object_get_ex(obj, "last_error", &le) &&
	    json_object_object_get_ex(le, "message", &m))
		report(d, FAIL, "follow the advice in the message",
		       "last refresh: %s", json_object_get_string(m));
	else
		report(d, OK, NULL, "last refresh: no error recorded");

	check_clock(d, tok.access_token, now);
	oa2_token_clear(&tok);
	oa2_json_put_wiped(obj);
}

/* --- Postfix --------------------------------------------------------------------- */

static int postconf(struct doctor *d, const char *param, char *out, size_t n)
{
	char *argv[6];
	int i = 0;

	argv[i++] = "postconf";
	if (d->postfix_config) {
		argv[i++] = "-c";
		argv[i++] = (char *)d->postfix_config;
	}
	argv[i++] = "-h";
	argv[i++] = (char *)param;
	argv[i] = NULL;
	return run_capture(argv, out, n);
}

static int has_word(const char *list, const char *word)
{
	char buf[1024], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *w = strtok_r(buf, " ,\t", &save); w; w = strtok_r(NULL, " ,\t", &save))
		if (strcasecmp(w, word) == 0)
			return 1;
	return 0;
}

/* The next table of a Postfix map list: separated by spaces or commas,
 * except inside { } (inline:{ {key = value}, ... }). NULL at the end. */
static const char *next_map(const char *p, char *out, size_t n)
{
	size_t o = 0;
	int depth = 0;

	while (*p == ' ' || *p == ',' || *p == '\t')
		p++;
	if (*p == '\0')
		return NULL;
	for (; *p && (depth > 0 || (*p != ' ' && *p != ',' && *p != '\t')); p++) {
		depth += *p == '{' ? 1 : (*p == '}' && depth > 0 ? -1 : 0);
		if (o + 1 < n)
			out[o++] = *p;
	}
	out[o] = '\0';
	return p;
}

static void check_password_map(struct doctor *d, const struct account *a, const char *relay,
			       const char *maps)
{
	char map[1024], found[1024] = "", *argv[7];
	const char *colon, *path, *p = maps;

	while (!found[0] && (p = next_map(p, map, sizeof(map))) != NULL) {
		int i = 0;
		argv[i++] = "postmap";
		if (d->postfix_config) {
			argv[i++] = "-c";
			argv[i++] = (char *)d->postfix_config;
		}
		argv[i++] = "-q";
		argv[i++] = (char *)relay;
		argv[i++] = map;
		argv[i] = NULL;
		if (run_capture(argv, found, sizeof(found)) != 0)
			found[0] = '\0';
	}
	if (!found[0]) {
		report(d, FAIL, "add \"RELAYHOST USER:/path/to/token.json\" to the map and postmap it",
		       "postfix: smtp_sasl_password_maps has no entry for %s", relay);
		return;
	}
	colon = strchr(found, ':');
	path = colon ? colon + 1 : "";
	if (strcmp(path, a->path) == 0 ||
	    strcmp(oa2_store_path_in_chroot(a->path, d->cli->cfg.chroot_dir), path) == 0)
		report(d, OK, NULL, "postfix: the password map sends %s the token file %s", relay,
		       path);
	else
		report(d, FAIL, "make the password (after the ':') the token file's path",
		       "postfix: the password map entry for %s is not the token file %s", relay,
		       a->path);
}

/* argv, NUL-separated, of "sasl-oauth2 [...] watch [...] --for postfix". */
static int is_postfix_watch(const char *cmd, size_t n)
{
	int prog = 0, watch = 0, postfix = 0;

	for (size_t i = 0; i < n; i += strlen(cmd + i) + 1) {
		const char *arg = cmd + i, *slash = strrchr(arg, '/');
		if (i == 0)
			prog = strcmp(slash ? slash + 1 : arg, "sasl-oauth2") == 0;
		else if (strcmp(arg, "watch") == 0)
			watch = 1;
		else if (strcmp(arg, "postfix") == 0 || strcmp(arg, "--for=postfix") == 0)
			postfix = 1;
	}
	return prog && watch && postfix;
}

static int watch_running(void)
{
	char out[64];
	char *argv[] = { "systemctl", "is-active", "--quiet", "sasl-oauth2-watch.service", NULL };
	DIR *proc;
	struct dirent *e;
	int found = 0;

	if (run_capture(argv, out, sizeof(out)) == 0)
		return 1;
	proc = opendir("/proc");
	while (proc != NULL && !found && (e = readdir(proc)) != NULL) {
		char path[300], cmd[512];
		FILE *f;
		size_t n;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		n = fread(cmd, 1, sizeof(cmd) - 1, f);
		fclose(f);
		cmd[n] = '\0';
		found = is_postfix_watch(cmd, n);
	}
	if (proc)
		closedir(proc);
	return found;
}

static void check_postfix(struct doctor *d, const struct account *a)
{
	char v[1024], relay[256], maps[1024];
	static const char *const unsupported[] = { "noactive", "nodictionary", "mutual_auth" };

	if (postconf(d, "smtp_sasl_auth_enable", v, sizeof(v)) != 0) {
		report(d, FAIL, "install Postfix, or give its configuration directory with "
		       "--postfix-config", "postfix: postconf failed");
		return;
	}
	if (strcasecmp(v, "yes") == 0)
		report(d, OK, NULL, "postfix: smtp_sasl_auth_enable = yes");
	else
		report(d, FAIL, "postconf -e smtp_sasl_auth_enable=yes",
		       "postfix: smtp_sasl_auth_enable = %s: the smtp client never authenticates", v);

	postconf(d, "relayhost", relay, sizeof(relay));
	postconf(d, "smtp_sasl_password_maps", maps, sizeof(maps));
	if (relay[0] == '\0')
		report(d, WARN, "set relayhost = [smtp.office365.com]:587 (or your provider's)",
		       "postfix: no relayhost: the map entry cannot be checked");
	else
		check_password_map(d, a, relay, maps);

	postconf(d, "smtp_sasl_mechanism_filter", v, sizeof(v));
	if (v[0] == '\0' || has_word(v, "xoauth2") || has_word(v, "oauthbearer"))
		report(d, OK, NULL, "postfix: smtp_sasl_mechanism_filter lets XOAUTH2 through%s%s",
		       v[0] ? ": " : "", v);
	else
		report(d, FAIL, "postconf -e smtp_sasl_mechanism_filter=xoauth2",
		       "postfix: smtp_sasl_mechanism_filter = %s filters out XOAUTH2 and OAUTHBEARER", v);

	postconf(d, "smtp_sasl_security_options", v, sizeof(v));
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (has_word(v, unsupported[i])) {
			report(d, FAIL, "postconf -e 'smtp_sasl_security_options=noanonymous'",
			       "postfix: smtp_sasl_security_options has %s, which the OAuth "
			       "mechanisms cannot meet (\"No worthy mechs found\")", unsupported[i]);
			goto tls;
		}
	report(d, OK, NULL, "postfix: smtp_sasl_security_options = %s allows the mechanisms", v);
tls:
	postconf(d, "smtp_tls_security_level", v, sizeof(v));
	if (has_word(v, "encrypt") || has_word(v, "verify") || has_word(v, "secure") ||
	    has_word(v, "dane") || has_word(v, "dane-only"))
		report(d, OK, NULL, "postfix: smtp_tls_security_level = %s", v);
	else
		report(d, v[0] && strcasecmp(v, "may") == 0 ? WARN : FAIL,
		       "postconf -e smtp_tls_security_level=encrypt",
		       "postfix: smtp_tls_security_level = %s: the token may cross the network "
		       "unencrypted", v[0] ? v : "(none)");

	if (watch_running())
		report(d, OK, NULL, "watch: the sasl-oauth2 watch service is running");
	else
		report(d, WARN, "systemctl enable --now sasl-oauth2-watch.service",
		       "watch: the sasl-oauth2 watch service is not running: tokens are refreshed "
		       "only when mail is sent, and unused refresh tokens can expire");
}

static int run(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "for", required_argument, NULL, 'f' },
		{ "postfix-config", required_argument, NULL, 'p' },
		{ "plugin-dir", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct doctor d;
	struct account a;
	struct oa2_err err;
	const char *env = getenv("SASL_PATH");
	int c, for_postfix = 0;

	memset(&d, 0, sizeof(d));
	d.cli = cli;
	d.plugin_dir = (env && env[0]) ? env : SASL_PLUGINDIR;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "postfix") != 0)
				return cli_usage_error(&cmd_doctor, "--for takes only \"postfix\"");
			for_postfix = 1;
			break;
		case 'p': d.postfix_config = optarg; break;
		case 'P': d.plugin_dir = optarg; break;
		case 'h': return cli_help(&cmd_doctor);
		default: return cli_usage_error(&cmd_doctor, "unknown option");
		}
	}
	if (argc - optind > 1)
		return cli_usage_error(&cmd_doctor, "one ACCOUNT at most");

	check_plugin(&d);
	check_config(&d);
	if (optind < argc) {
		if (account_resolve(argv[optind], for_postfix, &cli->cfg, &a, &err) != OA2_OK) {
			cli_error("%s", err.msg);
			return CLI_USAGE;
		}
		check_account(&d, &a);
		if (for_postfix)
			check_postfix(&d, &a);
	} else if (for_postfix) {
		report(&d, WARN, "name the account: sasl-oauth2 doctor NAME --for postfix",
		       "postfix: no ACCOUNT given, its checks are skipped");
	}
	printf("%d problem%s, %d warning%s\n", d.fails, d.fails == 1 ? "" : "s", d.warns,
	       d.warns == 1 ? "" : "s");
	return d.fails ? CLI_FAIL : CLI_OK;
}

const struct cli_command cmd_doctor = {
	.name = "doctor",
	.summary = "check the plugin, config, a token file and Postfix; explain the fixes",
	.run = run,
	.usage =
	"Usage: sasl-oauth2 doctor [ACCOUNT] [--for postfix] [--postfix-config DIR]\n"
	"                          [--plugin-dir DIR]\n"
	"\n"
	"Checks the setup and prints one line per check, OK, WARN or FAIL, with the\n"
	"fix for each problem:\n"
	"  - the plugin is where libsasl2 loads it and libsasl2 lists XOAUTH2 and\n"
	"    OAUTHBEARER;\n"
	"  - the config file parses and the CA bundle can be read;\n"
	"  - ACCOUNT's token file exists, parses, has safe permissions and the right\n"
	"    owner; the access token's expiry, the refresh token's age, the last\n"
	"    refresh error; the clock against the token's issue time;\n"
	"  - with --for postfix: smtp_sasl_auth_enable, the password map entry for\n"
	"    the relayhost pointing at the token file, smtp_sasl_mechanism_filter,\n"
	"    smtp_sasl_security_options, TLS to the relay, the watch service.\n"
	"\n"
	"Options:\n"
	"  --for postfix         the account lives in Postfix's chroot\n"
	"  --postfix-config DIR  Postfix's configuration directory (postconf -c)\n"
	"  --plugin-dir DIR      where libsasl2 loads plugins (default: $SASL_PATH or\n"
	"                        " SASL_PLUGINDIR ")\n"
	"\n"
	"Exit status: 0 when no check failed (warnings allowed), 1 otherwise,\n"
	"2 for a bad command line.\n",
};

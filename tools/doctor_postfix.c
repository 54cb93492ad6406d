/* doctor --for postfix: Postfix's settings as postconf reports them and the
 * password map entry for the relay. */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>

#include "doctor.h"
#include "run_capture.h"
#include "sasl-oauth2/token_store.h"

/* Runs Postfix's TOOL [-c DIR] ARGS... (NULL-terminated, at most 4). */
static int run_postfix_tool(struct doctor *d, const char *tool, const char *const args[],
			    char *out, size_t n, char *why, size_t wn)
{
	char *argv[8];
	int i = 0;

	argv[i++] = (char *)tool;
	if (d->postfix_config) {
		argv[i++] = "-c";
		argv[i++] = (char *)d->postfix_config;
	}
	for (; *args != NULL && i < 7; args++)
		argv[i++] = (char *)*args;
	argv[i] = NULL;
	return run_capture_err(argv, out, n, why, wn);
}

int doctor_postfix_tool(struct doctor *d, const char *tool, const char *const args[],
			char *out, size_t n)
{
	return run_postfix_tool(d, tool, args, out, n, NULL, 0);
}

int doctor_postconf(struct doctor *d, const char *param, char *out, size_t n)
{
	const char *args[] = { "-h", param, NULL };

	return run_postfix_tool(d, "postconf", args, out, n, NULL, 0);
}

/* Non-zero when Postfix runs (`postfix status`, root only: anyone else
 * cannot tell and is told to reload). A stopped Postfix reads main.cf when
 * it starts; `postfix reload` would only fail ("not running"). */
int doctor_postfix_running(const struct doctor *d)
{
	static int running = -1;
	char *argv[] = { "postfix", "-c", (char *)d->postfix_config, "status", NULL };
	char out[512];

	if (running < 0 && geteuid() != 0)
		running = 1;
	if (running < 0) {
		if (d->postfix_config == NULL) {
			argv[1] = "status";
			argv[2] = NULL;
		}
		running = run_capture_err(argv, out, sizeof(out), NULL, 0) == 0;
	}
	return running;
}

const char *doctor_postconf_fix(const struct doctor *d, const char *setting, char *buf,
				size_t n)
{
	int run = doctor_postfix_running(d);

	if (d->postfix_config)
		return doctor_fix(buf, n, run ? "postconf -c %s -e %s && postfix -c %s reload"
					      : "postconf -c %s -e %s",
				  d->postfix_config, setting, d->postfix_config);
	return doctor_fix(buf, n, run ? "postconf -e %s && postfix reload" : "postconf -e %s",
			  setting);
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

int doctor_has_word(const char *list, const char *word)
{
	return has_word(list, word);
}

const char *doctor_next_map(const char *p, char *out, size_t n)
{
	return next_map(p, out, n);
}


/* What Postfix tells about itself, read once. */
struct pf {
	char relay[256];
	char maps[1024];
	char queue_dir[PATH_MAX];
	int chrooted;          /* smtp/unix runs chrooted in queue_dir */
};

static int postmap_q(struct doctor *d, const char *key, const char *map, char *out, size_t n)
{
	const char *args[] = { "-q", key, map, NULL };

	if (run_postfix_tool(d, "postmap", args, out, n, NULL, 0) != 0)
		out[0] = '\0';
	return out[0] != '\0';
}

/* "hash:/etc/postfix/sasl_passwd" -> the source file and the index postmap
 * makes from it ("" for tables without one: texthash, inline, ...). */
static int map_files(const char *map, char *src, size_t sn, char *index, size_t in)
{
	static const struct { const char *type, *suffix; } indexed[] = {
		{ "hash:", ".db" }, { "btree:", ".db" }, { "lmdb:", ".lmdb" }, { "cdb:", ".cdb" },
		{ "texthash:", "" },
	};
	for (size_t i = 0; i < sizeof(indexed) / sizeof(indexed[0]); i++) {
		size_t tl = strlen(indexed[i].type);
		if (strncmp(map, indexed[i].type, tl) == 0 && map[tl] == '/') {
			snprintf(src, sn, "%s", map + tl);
			snprintf(index, in, "%s%s", indexed[i].suffix[0] ? map + tl : "",
				 indexed[i].suffix);
			return 1;
		}
	}
	return 0;
}

/* A text table edited after its last postmap: Postfix still reads the old
 * index, so the new line does nothing. */
static int check_map_index(struct doctor *d, const char *map)
{
	char src[PATH_MAX], index[PATH_MAX + 8], fix[2 * PATH_MAX];
	struct stat s, i;

	if (!map_files(map, src, sizeof(src), index, sizeof(index)) || index[0] == '\0' ||
	    stat(src, &s) != 0)
		return 0;
	if (d->postfix_config)
		doctor_fix(fix, sizeof(fix), "postmap -c %s %s", d->postfix_config, map);
	else
		doctor_fix(fix, sizeof(fix), "postmap %s", map);
	if (stat(index, &i) != 0) {
		report(d, FAIL, fix, "postfix: %s does not exist: postmap was never run on %s",
		       index, src);
		return 1;
	}
	if (s.st_mtim.tv_sec > i.st_mtim.tv_sec ||
		 (s.st_mtim.tv_sec == i.st_mtim.tv_sec && s.st_mtim.tv_nsec > i.st_mtim.tv_nsec))
		report(d, FAIL, fix, "postfix: %s is older than %s: Postfix still uses the "
		       "table from before the last edit (run postmap)", index, src);
	return 0;
}

/* The host file the smtp client opens for the password P in the map. */
static void effective_path(const struct doctor *d, const struct pf *pf, const char *p,
			   char *out, size_t n)
{
	const char *chroot = d->cli->cfg.chroot_dir;
	size_t cl = strlen(chroot);

	if (pf->chrooted && !(strncmp(p, chroot, cl) == 0 && p[cl] == '/'))
		snprintf(out, n, "%s%s", pf->queue_dir, p);
	else
		snprintf(out, n, "%s", p);
}

/* The first table of the map list with a file to add a line to. */
static int first_map_file(const struct pf *pf, char *map, size_t mn, char *src, size_t sn)
{
	char index[PATH_MAX + 8];
	const char *p = pf->maps;

	while ((p = next_map(p, map, mn)) != NULL)
		if (map_files(map, src, sn, index, sizeof(index)))
			return 1;
	return 0;
}

static void report_no_entry(struct doctor *d, const struct pf *pf, const struct account *a)
{
	char map[1024], src[PATH_MAX], line[PATH_MAX + 600], fix[3 * PATH_MAX + 1024], pc[1200];
	char file[PATH_MAX + 16], hash[PATH_MAX + 32];
	/* The user comes from a file another user may write (Postfix's token
	 * file): it is a mailbox (lib/token.c), and a quoted word besides. */
	const char *user = d->user[0] ? d->user : "MAILBOX";
	const char *path = a ? a->path : "/var/spool/postfix/etc/sasl-oauth2/NAME.json";
	const char *cfgdir = d->postfix_config ? d->postfix_config : "/etc/postfix";

	snprintf(line, sizeof(line), "%s %s:%s", pf->relay, user, path);
	if (first_map_file(pf, map, sizeof(map), src, sizeof(src))) {
		if (d->postfix_config)
			doctor_fix(fix, sizeof(fix), "echo %s >> %p && postmap -c %s %s", line, src,
				   d->postfix_config, map);
		else
			doctor_fix(fix, sizeof(fix), "echo %s >> %p && postmap %s", line, src, map);
		report(d, FAIL, fix, "postfix: smtp_sasl_password_maps has no entry for %s",
		       pf->relay);
		return;
	}
	snprintf(map, sizeof(map), "smtp_sasl_password_maps = hash:%s/sasl_passwd", cfgdir);
	snprintf(file, sizeof(file), "%s/sasl_passwd", cfgdir);
	snprintf(hash, sizeof(hash), "hash:%s/sasl_passwd", cfgdir);
	if (d->postfix_config)
		doctor_fix(fix, sizeof(fix), "echo %s >> %p && chmod 600 %p && postmap -c %s %s",
			   line, file, file, d->postfix_config, hash);
	else
		doctor_fix(fix, sizeof(fix), "echo %s >> %p && chmod 600 %p && postmap %s", line,
			   file, file, hash);
	snprintf(fix + strlen(fix), sizeof(fix) - strlen(fix), " && %s",
		 doctor_postconf_fix(d, map, pc, sizeof(pc)));
	report(d, FAIL, fix, "postfix: smtp_sasl_password_maps %s no entry for %s",
	       pf->maps[0] ? "has" : "is empty: it has", pf->relay);
}

/* doctor --for postfix without ACCOUNT: the token files the map's other
 * lines name (sender-dependent or per-host entries), each checked once. */
static void check_other_entries(struct doctor *d, const struct pf *pf, const char *done)
{
	char map[1024], src[PATH_MAX], index[PATH_MAX + 8], line[2048], host[PATH_MAX];
	char seen[8][PATH_MAX];
	const char *p = pf->maps;
	int nseen = 0;

	snprintf(seen[nseen++], sizeof(seen[0]), "%s", done);
	while ((p = next_map(p, map, sizeof(map))) != NULL) {
		FILE *f;
		if (!map_files(map, src, sizeof(src), index, sizeof(index)) ||
		    (f = fopen(src, "re")) == NULL)
			continue;
		while (fgets(line, sizeof(line), f) != NULL && nseen < 8) {
			char *val = line + strcspn(line, " \t"), *path, *end;
			struct account acct;
			struct oa2_err err;
			int dup = 0;

			if (line[0] == '#' || *val == '\0')
				continue;
			val += strspn(val, " \t");
			if ((path = strstr(val, ":/")) == NULL)
				continue;
			path++;
			end = path + strcspn(path, " \t\r\n");
			*end = '\0';
			effective_path(d, pf, path, host, sizeof(host));
			for (int k = 0; k < nseen; k++)
				dup |= strcmp(seen[k], host) == 0;
			if (dup)
				continue;
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", host);
			if (account_resolve(host, 1, &d->cli->cfg, &acct, &err) == OA2_OK)
				doctor_check_account(d, &acct);
		}
		fclose(f);
	}
}

/* NAME for ".../NAME.json", else "NAME". */
static void base_name(const char *path, char *out, size_t n)
{
	const char *b = strrchr(path, '/');
	size_t l;

	b = b ? b + 1 : path;
	l = strlen(b);
	if (l > 5 && strcmp(b + l - 5, ".json") == 0)
		l -= 5;
	snprintf(out, n, "%.*s", (int)l, b);
}

/* The map names a file someone else (root) owns: the smtp client, as
 * postfix and (when chrooted) inside the queue directory, cannot read it.
 * The fix is Postfix's own copy of the account, not the map. */
static int not_postfix_file(struct doctor *d, const struct pf *pf, const char *path,
			    const char *host)
{
	struct passwd *pw = getpwnam("postfix");
	char name[256], fix[PATH_MAX + 600];
	struct account mine;
	struct oa2_err err;
	struct stat st;

	if (pw == NULL)
		return 0;
	if (stat(host, &st) == 0 ? st.st_uid == pw->pw_uid
				 : stat(path, &st) != 0 || st.st_uid == pw->pw_uid)
		return 0;
	base_name(path, name, sizeof(name));
	if (account_resolve(name, 0, &d->cli->cfg, &mine, &err) != OA2_OK ||
	    strcmp(mine.path, path) != 0 || stat(mine.path, &st) != 0)
		doctor_fix(fix, sizeof(fix), "sasl-oauth2 authorize %s --provider PROVIDER --for "
			 "postfix, then name its file in the map", name);
	else
		doctor_fix(fix, sizeof(fix), "sasl-oauth2 authorize %s --for postfix (a copy of "
			 "its settings for Postfix), then name that file in the map", name);
	report(d, FAIL, fix, "postfix: the password map entry for %s names %s, a file of "
	       "uid %u%s: Postfix cannot read root's file; use --for postfix", pf->relay, path,
	       (unsigned)st.st_uid, strcmp(path, host) ? " outside the chroot" : "");
	return 1;
}

/* The map names Postfix's account directory, but the token file is not
 * there yet: the fix is authorize, not the map. */
static int not_created_yet(struct doctor *d, const struct pf *pf, const char *host)
{
	char name[256], fix[PATH_MAX + 600];
	struct account pfa, mine;
	struct oa2_err err;
	struct stat st;

	base_name(host, name, sizeof(name));
	if (account_resolve(name, 1, &d->cli->cfg, &pfa, &err) != OA2_OK ||
	    strcmp(pfa.path, host) != 0)
		return 0;
	if (account_resolve(name, 0, &d->cli->cfg, &mine, &err) == OA2_OK &&
	    stat(mine.path, &st) == 0)
		doctor_fix(fix, sizeof(fix), "sasl-oauth2 authorize %s --for postfix", name);
	else
		doctor_fix(fix, sizeof(fix), "sasl-oauth2 authorize %s --provider PROVIDER --for "
			 "postfix", name);
	report(d, FAIL, fix, "postfix: the password map entry for %s names the token file %s, "
	       "which does not exist yet: authorize %s --for postfix first", pf->relay, host,
	       name);
	return 1;
}

/* The relayhost's entry in the password map: found, and naming the token
 * file the smtp client will really open. a == NULL: whichever it names. */
static void check_password_map(struct doctor *d, const struct pf *pf, const struct account *a)
{
	char map[1024], found[1024] = "", host[PATH_MAX], fix[2 * PATH_MAX + 1200];
	char line[PATH_MAX + 600];
	const char *colon, *path, *p = pf->maps;
	struct account other;
	struct oa2_err err;
	struct stat st;
	int unbuilt = 0;

	while ((p = next_map(p, map, sizeof(map))) != NULL) {
		unbuilt |= check_map_index(d, map);
		if (!found[0])
			postmap_q(d, pf->relay, map, found, sizeof(found));
	}
	if (!found[0]) {
		/* one cause, one fix: without its index no entry can be found,
		 * and postmap (said above) may well bring it */
		if (!unbuilt)
			report_no_entry(d, pf, a);
		return;
	}
	colon = strchr(found, ':');
	path = colon ? colon + 1 : "";
	if (path[0] != '/') {
		report(d, WARN, NULL, "postfix: the password map gives %s a password, not a token "
		       "file path", pf->relay);
		return;
	}
	effective_path(d, pf, path, host, sizeof(host));
	if (a != NULL && strcmp(host, a->path) == 0) {
		report(d, OK, NULL, "postfix: the password map sends %s the token file %s%s", pf->relay,
		       path, strcmp(path, host) ? " (as the chrooted smtp client sees it)" : "");
		return;
	}
	if (not_postfix_file(d, pf, path, host))
		return;
	if (stat(host, &st) != 0) {
		if (not_created_yet(d, pf, host))
			return;
		int only_inside = !pf->chrooted && snprintf(host, sizeof(host), "%s%s",
							    pf->queue_dir, path) > 0 &&
				  stat(host, &st) == 0;
		snprintf(line, sizeof(line), "%s %s:%s", pf->relay, d->user[0] ? d->user : "MAILBOX",
			 a ? a->path : (only_inside ? host : "/PATH/TO/TOKEN.json"));
		doctor_fix(fix, sizeof(fix), "make the password (after the ':') the token file's "
			   "path: %s, then postmap", line);
		if (only_inside)
			report(d, FAIL, fix, "postfix: the password map entry for %s names %s, which "
			       "exists only inside the chroot %s, but smtp is not chrooted", pf->relay,
			       path, pf->queue_dir);
		else
			report(d, FAIL, fix, "postfix: the password map entry for %s names %s, which "
			       "does not exist%s: it is not the token file %s", pf->relay, path,
			       pf->chrooted ? " inside the chroot" : "", a ? a->path : "");
		return;
	}
	if (a != NULL) {
		/* The map works, with another file: the question is which account
		 * the admin meant, not the map. */
		doctor_fix(fix, sizeof(fix), "sasl-oauth2 doctor %s --for postfix", host);
		report(d, WARN, fix, "postfix: the password map sends %s the token file %s, not "
		       "%s's %s", pf->relay, host, a->name, a->path);
		return;
	}
	report(d, OK, NULL, "postfix: the password map sends %s the token file %s%s", pf->relay,
	       path, strcmp(path, host) ? " (as the chrooted smtp client sees it)" : "");
	if (account_resolve(host, 1, &d->cli->cfg, &other, &err) == OA2_OK)
		doctor_check_account(d, &other);
	check_other_entries(d, pf, host);
}

/* smtp/unix's chroot column; "-" is the default, n since Postfix 3.0. */
static int smtp_chrooted(struct doctor *d)
{
	const char *args[] = { "-Fh", "smtp/unix/chroot", NULL };
	char v[64];

	return run_postfix_tool(d, "postconf", args, v, sizeof(v), NULL, 0) == 0 &&
	       strcmp(v, "y") == 0;
}

/* A refresh inside the chroot resolves and connects from there. */
static void check_chroot(struct doctor *d, const struct pf *pf)
{
	static const char *const need[] = { "resolv.conf", "hosts", "services" };
	char missing[256] = "", tmpl[256] = "mkdir -p %p && cp -p", fix[2 * PATH_MAX + 512];
	char path[PATH_MAX + 32];

	if (!pf->chrooted) {
		report(d, OK, NULL, "postfix: smtp is not chrooted");
		return;
	}
	if (strcmp(pf->queue_dir, d->cli->cfg.chroot_dir) != 0) {
		snprintf(path, sizeof(path), "chroot_dir = %s", pf->queue_dir);
		doctor_fix(fix, sizeof(fix), "set %s in %s", path, d->cli->cfg.path);
		report(d, FAIL, fix, "config: chroot_dir %s is not Postfix's queue_directory %s, "
		       "where smtp is chrooted", d->cli->cfg.chroot_dir, pf->queue_dir);
	}
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		snprintf(path, sizeof(path), "%s/etc/%s", pf->queue_dir, need[i]);
		if (access(path, R_OK) == 0)
			continue;
		snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%setc/%s",
			 missing[0] ? ", " : "", need[i]);
		snprintf(tmpl + strlen(tmpl), sizeof(tmpl) - strlen(tmpl), " /etc/%s", need[i]);
	}
	if (!missing[0]) {
		report(d, OK, NULL, "postfix: smtp is chrooted in %s, which has etc/resolv.conf, "
		       "etc/hosts and etc/services", pf->queue_dir);
		return;
	}
	snprintf(path, sizeof(path), "%s/etc", pf->queue_dir);
	snprintf(tmpl + strlen(tmpl), sizeof(tmpl) - strlen(tmpl), " %%p/");
	doctor_fix(fix, sizeof(fix), tmpl, path, path);
	report(d, FAIL, fix, "postfix: smtp is chrooted in %s, which has no %s: a token refresh "
	       "there cannot resolve the token endpoint", pf->queue_dir, missing);
}

/* Debian's "Local only" main.cf: default_transport = error and
 * relay_transport = error bounce everything the relayhost should get. */
static void check_transports(struct doctor *d)
{
	static const struct { const char *param, *good; } t[] = {
		{ "default_transport", "smtp" }, { "relay_transport", "relay" },
	};
	char v[256], fix[1200], set[64];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len;
		if (doctor_postconf(d, t[i].param, v, sizeof(v)) != 0)
			continue;
		len = strcspn(v, ":");
		if ((len == 5 && strncmp(v, "error", 5) == 0) ||
		    (len == 7 && strncmp(v, "discard", 7) == 0)) {
			snprintf(set, sizeof(set), "%s = %s", t[i].param, t[i].good);
			report(d, FAIL, doctor_postconf_fix(d, set, fix, sizeof(fix)),
			       "postfix: %s = %s: mail for other domains is %s, never given to "
			       "the relayhost (Debian's \"Local only\" setup)", t[i].param, v,
			       len == 5 ? "bounced" : "thrown away");
		} else {
			report(d, OK, NULL, "postfix: %s = %s", t[i].param, v);
		}
	}
}

/* The config file, for the users that read it under Postfix: the watch
 * service runs as postfix. */
static void check_config_for_postfix(struct doctor *d)
{
	const char *path = d->cli->cfg.path;
	struct passwd *pw = getpwnam("postfix");
	char fix[2 * PATH_MAX + 128];
	struct stat st;

	if (pw == NULL || stat(path, &st) != 0)
		return;
	if ((st.st_uid == pw->pw_uid && (st.st_mode & S_IRUSR)) ||
	    (st.st_gid == pw->pw_gid && (st.st_mode & S_IRGRP)) || (st.st_mode & S_IROTH)) {
		report(d, OK, NULL, "config: %s is readable by the postfix user", path);
		return;
	}
	report(d, FAIL, doctor_fix(fix, sizeof(fix), "chown root:postfix %p && chmod 640 %p", path,
				   path), "config: %s is not readable by the postfix user, which the watch "
	       "service runs as", path);
}

void doctor_check_postfix(struct doctor *d, const struct account *a)
{
	const char *args[] = { "-h", "smtp_sasl_auth_enable", NULL };
	char v[1024], why[1024], fix[1200];
	struct pf pf;

	memset(&pf, 0, sizeof(pf));
	if (run_postfix_tool(d, "postconf", args, v, sizeof(v), why, sizeof(why)) != 0) {
		report(d, FAIL, "install Postfix, or give its configuration directory with "
		       "--postfix-config", "postfix: postconf failed: %s",
		       why[0] ? why : "no reason given");
		return;
	}
	if (strcasecmp(v, "yes") == 0)
		report(d, OK, NULL, "postfix: smtp_sasl_auth_enable = yes");
	else
		report(d, FAIL, doctor_postconf_fix(d, "smtp_sasl_auth_enable = yes", fix,
						    sizeof(fix)),
		       "postfix: smtp_sasl_auth_enable = %s: the smtp client never authenticates", v);

	check_transports(d);
	doctor_postconf(d, "relayhost", pf.relay, sizeof(pf.relay));
	doctor_postconf(d, "smtp_sasl_password_maps", pf.maps, sizeof(pf.maps));
	doctor_postconf(d, "queue_directory", pf.queue_dir, sizeof(pf.queue_dir));
	pf.chrooted = smtp_chrooted(d);
	if (pf.relay[0] == '\0')
		report(d, WARN, doctor_postconf_fix(d, "relayhost = [smtp.office365.com]:587", fix,
						    sizeof(fix)),
		       "postfix: no relayhost: the map entry cannot be checked");
	else
		check_password_map(d, &pf, a);

	doctor_postconf(d, "smtp_sasl_mechanism_filter", v, sizeof(v));
	if (v[0] == '\0' || has_word(v, "xoauth2") || has_word(v, "oauthbearer"))
		report(d, OK, NULL, "postfix: smtp_sasl_mechanism_filter lets XOAUTH2 through%s%s",
		       v[0] ? ": " : "", v);
	else
		report(d, FAIL, doctor_postconf_fix(d, "smtp_sasl_mechanism_filter = xoauth2", fix,
						    sizeof(fix)),
		       "postfix: smtp_sasl_mechanism_filter = %s filters out XOAUTH2 and OAUTHBEARER", v);

	doctor_check_postfix_passwords(d, pf.maps);
	doctor_check_postfix_sasl_options(d);

	check_chroot(d, &pf);
	check_config_for_postfix(d);
	doctor_check_watch(d);
}

/* doctor --for postfix: Postfix's settings as postconf reports them and the
 * password map entry for the relay. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "doctor.h"
#include "run_capture.h"
#include "sasl-oauth2/token_store.h"

int doctor_postconf(struct doctor *d, const char *param, char *out, size_t n)
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

void doctor_check_postfix(struct doctor *d, const struct account *a)
{
	char v[1024], relay[256], maps[1024];
	static const char *const unsupported[] = { "noactive", "nodictionary", "mutual_auth" };

	if (doctor_postconf(d, "smtp_sasl_auth_enable", v, sizeof(v)) != 0) {
		report(d, FAIL, "install Postfix, or give its configuration directory with "
		       "--postfix-config", "postfix: postconf failed");
		return;
	}
	if (strcasecmp(v, "yes") == 0)
		report(d, OK, NULL, "postfix: smtp_sasl_auth_enable = yes");
	else
		report(d, FAIL, "postconf -e smtp_sasl_auth_enable=yes",
		       "postfix: smtp_sasl_auth_enable = %s: the smtp client never authenticates", v);

	doctor_postconf(d, "relayhost", relay, sizeof(relay));
	doctor_postconf(d, "smtp_sasl_password_maps", maps, sizeof(maps));
	if (relay[0] == '\0')
		report(d, WARN, "set relayhost = [smtp.office365.com]:587 (or your provider's)",
		       "postfix: no relayhost: the map entry cannot be checked");
	else
		check_password_map(d, a, relay, maps);

	doctor_postconf(d, "smtp_sasl_mechanism_filter", v, sizeof(v));
	if (v[0] == '\0' || has_word(v, "xoauth2") || has_word(v, "oauthbearer"))
		report(d, OK, NULL, "postfix: smtp_sasl_mechanism_filter lets XOAUTH2 through%s%s",
		       v[0] ? ": " : "", v);
	else
		report(d, FAIL, "postconf -e smtp_sasl_mechanism_filter=xoauth2",
		       "postfix: smtp_sasl_mechanism_filter = %s filters out XOAUTH2 and OAUTHBEARER", v);

	doctor_postconf(d, "smtp_sasl_security_options", v, sizeof(v));
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (has_word(v, unsupported[i])) {
			report(d, FAIL, "postconf -e 'smtp_sasl_security_options=noanonymous'",
			       "postfix: smtp_sasl_security_options has %s, which the OAuth "
			       "mechanisms cannot meet (\"No worthy mechs found\")", unsupported[i]);
			goto tls;
		}
	report(d, OK, NULL, "postfix: smtp_sasl_security_options = %s allows the mechanisms", v);
tls:
	doctor_postconf(d, "smtp_tls_security_level", v, sizeof(v));
	if (has_word(v, "encrypt") || has_word(v, "verify") || has_word(v, "secure") ||
	    has_word(v, "dane") || has_word(v, "dane-only"))
		report(d, OK, NULL, "postfix: smtp_tls_security_level = %s", v);
	else
		report(d, v[0] && strcasecmp(v, "may") == 0 ? WARN : FAIL,
		       "postconf -e smtp_tls_security_level=encrypt",
		       "postfix: smtp_tls_security_level = %s: the token may cross the network "
		       "unencrypted", v[0] ? v : "(none)");

	if (doctor_watch_running())
		report(d, OK, NULL, "watch: the sasl-oauth2 watch service is running");
	else
		report(d, WARN, "systemctl enable --now sasl-oauth2-watch.service",
		       "watch: the sasl-oauth2 watch service is not running: tokens are refreshed "
		       "only when mail is sent, and unused refresh tokens can expire");
}

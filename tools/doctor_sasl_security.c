/* doctor --for postfix: where Postfix lets the OAuth mechanisms run. A
 * bearer token is a plaintext credential in libsasl2's sense (the plugin
 * claims only NOANONYMOUS), so the SASL security options decide whether a
 * token may leave without TLS, and whether the mechanisms run at all. And
 * since they tie with PLAIN, a password-map entry that holds a password
 * must not be offered XOAUTH2/OAUTHBEARER. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "doctor.h"
#include "sasl-oauth2/secret_shape.h"
#include "sasl-oauth2/server_error.h"

/* "postconf [-c DIR] -X smtp_sasl_security_options && postfix reload": back
 * to Postfix's default, noplaintext, noanonymous. */
static const char *default_options_fix(const struct doctor *d, char *buf, size_t n)
{
	int run = doctor_postfix_running(d);

	if (d->postfix_config)
		doctor_fix(buf, n, run ? "postconf -c %s -X smtp_sasl_security_options && postfix "
					 "-c %s reload" : "postconf -c %s -X smtp_sasl_security_options",
			   d->postfix_config, d->postfix_config);
	else
		doctor_fix(buf, n, run ? "postconf -X smtp_sasl_security_options && postfix reload"
				       : "postconf -X smtp_sasl_security_options");
	return buf;
}

/* Options the mechanisms cannot meet at all. */
static const char *const unmet[] = { "noactive", "nodictionary", "mutual_auth" };

static int tls_required(const char *level)
{
	return doctor_has_word(level, "encrypt") || doctor_has_word(level, "verify") ||
	       doctor_has_word(level, "secure") || doctor_has_word(level, "dane-only") ||
	       doctor_has_word(level, "fingerprint");
}

static int report_unmet(struct doctor *d, const char *param, const char *v, const char *fix)
{
	for (size_t i = 0; i < sizeof(unmet) / sizeof(unmet[0]); i++)
		if (doctor_has_word(v, unmet[i])) {
			report(d, FAIL, fix,
			       "postfix: %s has %s, which the OAuth mechanisms cannot meet "
			       "(\"No worthy mechs found\")", param, unmet[i]);
			return 1;
		}
	return 0;
}

/* With the plain options at noplaintext, a connection without TLS gets no
 * token: the login is skipped there rather than sent in clear. */
static void check_tls_level(struct doctor *d, const char *level)
{
	char fix[1200];

	doctor_postconf_fix(d, "smtp_tls_security_level = encrypt", fix, sizeof(fix));
	if (tls_required(level) || doctor_has_word(level, "dane"))
		report(d, OK, NULL, "postfix: smtp_tls_security_level = %s", level);
	else if (strcasecmp(level, "may") == 0)
		report(d, WARN, fix,
		       "postfix: smtp_tls_security_level = may: TLS is optional, and a relay that "
		       "offers no STARTTLS gets no OAuth login (or, where the SASL options allow "
		       "plaintext, the token in clear)");
	else
		report(d, FAIL, fix,
		       "postfix: smtp_tls_security_level = %s: the smtp client does not use TLS, "
		       "and the token must not cross the network unencrypted",
		       level[0] ? level : "(none)");
}

/* A value as doctor shows it: "" would leave "=  allows". */
static const char *shown(const char *v)
{
	return v[0] ? v : "(empty)";
}

void doctor_check_postfix_sasl_options(struct doctor *d)
{
	char plain[512], tls[512], level[256], fix[1200];
	const char *eff;
	int inherits;

	doctor_postconf(d, "smtp_sasl_security_options", plain, sizeof(plain));
	doctor_postconf(d, "smtp_sasl_tls_security_options", tls, sizeof(tls));
	doctor_postconf(d, "smtp_tls_security_level", level, sizeof(level));
	/* Unset, the TLS options are "$smtp_sasl_security_options". */
	inherits = strstr(tls, "smtp_sasl_security_options") != NULL;
	eff = inherits ? plain : tls;

	doctor_postconf_fix(d, "smtp_sasl_tls_security_options = noanonymous", fix, sizeof(fix));
	if (!report_unmet(d, "smtp_sasl_tls_security_options", eff, fix)) {
		if (doctor_has_word(eff, "noplaintext"))
			report(d, FAIL, fix,
			       "postfix: smtp_sasl_tls_security_options = %s%s%s has noplaintext: a "
			       "bearer token is a plaintext credential, so Postfix skips XOAUTH2 "
			       "and OAUTHBEARER even over TLS and logs \"No worthy mechs found\" "
			       "(a setup made for plugin versions that claimed noplaintext; see "
			       "NEWS)", inherits ? "(unset, so smtp_sasl_security_options = " : "",
			       shown(inherits ? plain : tls), inherits ? ")" : "");
		else
			report(d, OK, NULL, "postfix: smtp_sasl_tls_security_options = %s%s%s allows "
			       "the mechanisms over TLS", inherits ? "(unset, so "
			       "smtp_sasl_security_options = " : "", shown(eff), inherits ? ")" : "");
	}
	check_tls_level(d, level);
	default_options_fix(d, fix, sizeof(fix));
	if (report_unmet(d, "smtp_sasl_security_options", plain, fix))
		return;
	if (doctor_has_word(plain, "noplaintext"))
		report(d, OK, NULL, "postfix: smtp_sasl_security_options = %s keeps the token off "
		       "connections without TLS", plain);
	else if (!tls_required(level))
		report(d, FAIL, fix,
		       "postfix: smtp_sasl_security_options = %s allows plaintext mechanisms (Postfix's "
		       "default is noplaintext, noanonymous) and "
		       "smtp_tls_security_level = %s does not require TLS: a relay that offers no "
		       "STARTTLS would get the token in clear", plain[0] ? plain : "(empty)",
		       level[0] ? level : "(none)");
	else
		report(d, WARN, fix,
		       "postfix: smtp_sasl_security_options = %s allows plaintext mechanisms: only "
		       "smtp_tls_security_level = %s keeps the token on TLS, and a TLS policy that "
		       "lowers it for a destination would send the token in clear",
		       plain[0] ? plain : "(empty)", level);
}

/* Counts the entries of one map whose password is neither a token file
 * path nor token-shaped; the first one's key goes into first. */
static int count_passwords(struct doctor *d, const char *map, char *first, size_t n)
{
	static char dump[64 * 1024]; /* holds passwords: wiped below */
	const char *args[] = { "-s", map, NULL };
	char *line, *save = NULL;
	int count = 0;

	if (doctor_postfix_tool(d, "postmap", args, dump, sizeof(dump)) != 0) {
		OPENSSL_cleanse(dump, sizeof(dump));
		return 0; /* a table that cannot be listed (ldap:, proxy:, ...) */
	}
	for (line = strtok_r(dump, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *val = strpbrk(line, " \t"), *secret;
		if (val == NULL)
			continue;
		*val++ = '\0';
		val += strspn(val, " \t");
		secret = strchr(val, ':');
		secret = secret ? secret + 1 : val;
		if (secret[0] == '/' || oa2_secret_token_shaped(secret, strlen(secret)))
			continue;
		if (count++ == 0)
			oa2_printable(line, strlen(line), first, n);
	}
	OPENSSL_cleanse(dump, sizeof(dump));
	return count;
}

void doctor_check_postfix_passwords(struct doctor *d, const char *maps)
{
	char filter[512], map[1024], first[128] = "", f1[128];
	const char *p = maps;
	int count = 0;

	doctor_postconf(d, "smtp_sasl_mechanism_filter", filter, sizeof(filter));
	/* A table (per-destination filter) may let them through for some. */
	if (filter[0] != '\0' && !strchr(filter, ':') && !doctor_has_word(filter, "xoauth2") &&
	    !doctor_has_word(filter, "oauthbearer"))
		return;
	while ((p = doctor_next_map(p, map, sizeof(map))) != NULL)
		count += count_passwords(d, map, first[0] ? f1 : first, sizeof(first));
	if (count == 0) {
		report(d, OK, NULL, "postfix: no password map entry holds a password (each is a "
		       "token file or a token)");
		return;
	}
	report(d, WARN, "keep XOAUTH2 and OAUTHBEARER away from password relays: "
	       "smtp_sasl_mechanism_filter = plain, login for them (a transport with -o "
	       "smtp_sasl_mechanism_filter=plain,login); see " DOCDIR "/postfix.md, section 7",
	       "postfix: %d password map entr%s (%s%s) hold%s a password, and "
	       "smtp_sasl_mechanism_filter = %s lets XOAUTH2/OAUTHBEARER through: where the "
	       "server offers them, libsasl2 may pick them, and the plugin refuses to send a "
	       "password as a token, so the relay fails", count, count == 1 ? "y" : "ies",
	       count == 1 ? "" : "first: ", first, count == 1 ? "s" : "",
	       filter[0] ? filter : "(none: every mechanism)");
}

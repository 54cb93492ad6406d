/*
 * doctor: mail clients that connect through `sasl-oauth2 tunnel`. The
 * user's ~/.fetchmailrc, ~/.muttrc, neomutt's rc and ~/.mbsyncrc are
 * searched for the command; for each use, the account it names must exist,
 * and the settings the tunnel needs around it must be there. The files are
 * only read: the account names found in them are checked against the name
 * rule and looked up in the state directory, never used as paths.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdutil.h"
#include "doctor.h"

#define RC_MAX (256 * 1024)

enum client { FETCHMAIL, MUTT, MBSYNC };

static const struct {
	const char *rel;       /* under $HOME */
	enum client kind;
} rcs[] = {
	{ ".fetchmailrc", FETCHMAIL },
	{ ".muttrc", MUTT },
	{ ".mutt/muttrc", MUTT },
	{ ".config/neomutt/neomuttrc", MUTT },
	{ ".neomuttrc", MUTT },
	{ ".mbsyncrc", MBSYNC },
};

/* The ACCOUNT operand of a tunnel command line starting at p (after
 * "tunnel"): the first word that is not an option or an option's value. */
static int tunnel_account(const char *p, char *out, size_t n)
{
	static const char *const takes_value[] = { "--protocol", "--tls", "--mech", "--ca-file",
						   "--timeout", "-c", "--config" };
	char word[256];

	for (;;) {
		size_t k;
		int skip_next = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		k = strcspn(p, " \t\"';\n");
		if (k == 0 || k >= sizeof(word))
			return -1;
		snprintf(word, sizeof(word), "%.*s", (int)k, p);
		p += k;
		if (word[0] != '-') {
			snprintf(out, n, "%s", word);
			return 0;
		}
		for (size_t i = 0; i < sizeof(takes_value) / sizeof(takes_value[0]); i++)
			if (strcmp(word, takes_value[i]) == 0 && strchr(word, '=') == NULL)
				skip_next = 1;
		if (skip_next) {
			while (*p == ' ' || *p == '\t')
				p++;
			p += strcspn(p, " \t\"';\n");
		}
	}
}

static int has_line(const char *text, const char *needle)
{
	return strstr(text, needle) != NULL;
}

/* What the client needs around the tunnel, beyond the account. */
static void check_client(struct doctor *d, enum client kind, const char *path,
			 const char *text, int line, const char *at)
{
	int preauth = strstr(at, "--preauth") != NULL && strcspn(at, "\n") >
		(size_t)(strstr(at, "--preauth") - at);

	if (kind == FETCHMAIL) {
		if (!has_line(text, "auth password"))
			report(d, WARN, "add \"auth password\" to the poll entry (the tunnel answers "
			       "fetchmail's ordinary login; the password is not used)",
			       "%s:%d: the poll entry does not say auth password", path, line);
		if (!has_line(text, "sslproto ''") && !has_line(text, "sslproto \"\""))
			report(d, WARN, "add sslproto '' to the user entry: the tunnel speaks TLS "
			       "to the server; fetchmail must not try it on the pipe",
			       "%s:%d: no sslproto '' for the tunnel", path, line);
	} else if (kind == MUTT) {
		if (has_line(text, "imaps://"))
			report(d, WARN, "use imap:// in folder and spoolfile: the tunnel itself speaks "
			       "TLS to the server", "%s:%d: an imaps:// URL with the tunnel", path, line);
		if (!preauth && !has_line(text, "imap_pass"))
			report(d, WARN, "add --preauth to the tunnel command (or set imap_pass to any "
			       "word)", "%s:%d: without --preauth mutt asks for a password", path, line);
	} else if (!preauth) {
		report(d, WARN, "add --preauth to the Tunnel command (mbsync then needs no "
		       "password)", "%s:%d: without --preauth mbsync asks for a password", path, line);
	}
}

static void check_use(struct doctor *d, enum client kind, const char *path, const char *text,
		      const char *at)
{
	struct account a;
	struct oa2_err err;
	char name[256], fix[512];
	int line = 1;

	for (const char *q = text; q < at; q++)
		line += *q == '\n';
	if (tunnel_account(at + strlen("sasl-oauth2 tunnel"), name, sizeof(name)) != 0 ||
	    strchr(name, '/') != NULL || strchr(name, '%') != NULL) {
		report(d, WARN, "write the account's name after \"sasl-oauth2 tunnel\"",
		       "%s:%d: sasl-oauth2 tunnel names no account this check can look up",
		       path, line);
		return;
	}
	if (account_resolve(name, 0, &d->cli->cfg, &a, &err) != OA2_OK) {
		report(d, FAIL, NULL, "%s:%d: sasl-oauth2 tunnel %s: %s", path, line, name, err.msg);
		return;
	}
	if (cli_account_missing(&a)) {
		doctor_fix(fix, sizeof(fix), "sasl-oauth2 authorize %s", name);
		report(d, FAIL, fix, "%s:%d: sasl-oauth2 tunnel names account %s, which does not "
		       "exist (%s)", path, line, name, a.path);
		return;
	}
	report(d, OK, NULL, "%s:%d: connects through sasl-oauth2 tunnel with account %s",
	       path, line, name);
	check_client(d, kind, path, text, line, at);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = malloc(RC_MAX + 1);
	if (buf == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, RC_MAX, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

void doctor_check_tunnel_clients(struct doctor *d)
{
	const char *home = getenv("HOME");
	char path[4096];

	if (home == NULL || home[0] != '/')
		return;
	for (size_t i = 0; i < sizeof(rcs) / sizeof(rcs[0]); i++) {
		char *text;
		const char *at;

		snprintf(path, sizeof(path), "%s/%s", home, rcs[i].rel);
		if ((text = slurp(path)) == NULL)
			continue;
		for (at = strstr(text, "sasl-oauth2 tunnel"); at != NULL;
		     at = strstr(at + 1, "sasl-oauth2 tunnel")) {
			const char *bol = at;

			while (bol > text && bol[-1] != '\n')
				bol--;
			while (isspace((unsigned char)*bol) && bol < at)
				bol++;
			if (*bol != '#') /* a comment does not connect anything */
				check_use(d, rcs[i].kind, path, text, at);
		}
		free(text);
	}
}

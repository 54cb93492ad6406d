/*
 * The tunnel's IMAP side (RFC 9051/3501): the server's opening and sign-in
 * through mailtest_imap.c, and the client's commands until it logs in:
 * CAPABILITY, NOOP, ID, LOGOUT, LOGIN and AUTHENTICATE PLAIN (with or
 * without SASL-IR), LOGIN's arguments as atoms, quoted strings or literals.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "tunnel.h"

/* The private pipe needs neither, and the client must not try them. The
 * list before login also drops the server's SASL mechanisms: the client
 * logs in the tunnel's way (LOGIN or AUTHENTICATE PLAIN), added here. */
static int hidden(const char *w, size_t n, int before_login)
{
	if ((n == 8 && strncasecmp(w, "STARTTLS", 8) == 0) ||
	    (n == 13 && strncasecmp(w, "LOGINDISABLED", 13) == 0))
		return 1;
	return before_login && ((n > 5 && strncasecmp(w, "AUTH=", 5) == 0) ||
				(n == 7 && strncasecmp(w, "SASL-IR", 7) == 0));
}

/* Copies the space-separated capabilities of in[0..len) to out without
 * the hidden ones. */
static void filter_caps(const char *in, size_t len, char *out, size_t n, int before_login)
{
	const char *p = in, *end = in + len;
	size_t used = 0;

	out[0] = '\0';
	while (p < end) {
		const char *w = p;
		size_t k;

		while (p < end && *p != ' ')
			p++;
		k = (size_t)(p - w);
		if (k > 0 && !hidden(w, k, before_login) && used + k + 2 < n) {
			used += (size_t)snprintf(out + used, n - used, "%s%.*s", used ? " " : "",
						 (int)k, w);
		}
		while (p < end && *p == ' ')
			p++;
	}
	if (before_login && used + 22 < n)
		snprintf(out + used, n - used, "%sAUTH=PLAIN SASL-IR", used ? " " : "");
}

/* The server's answer text with the hidden capabilities taken out of a
 * leading [CAPABILITY ...] response code. */
static void filter_answer(const char *text, char *out, size_t n)
{
	const char *end;
	char caps[2048];

	if (strncasecmp(text, "[CAPABILITY ", 12) != 0 || (end = strchr(text, ']')) == NULL) {
		snprintf(out, n, "%s", text);
		return;
	}
	filter_caps(text + 12, (size_t)(end - text - 12), caps, sizeof(caps), 0);
	if (snprintf(out, n, "[CAPABILITY %s]%s", caps, end + 1) >= (int)n)
		snprintf(out, n, "%s", end + 1); /* too long to show: the client asks */
}

static int imap_offers(void *ctx, const char *mech)
{
	char cap[64];

	snprintf(cap, sizeof(cap), "AUTH=%s", mech);
	return mail_imap_has_cap(ctx, cap);
}

static int imap_auth(void *ctx, const struct mail_login *l, struct mail_result *r,
		     struct oa2_err *err)
{
	return mail_imap_auth(ctx, l, r, err);
}

/* A command, with its literals read in: "{N}" at the end of a line is
 * followed by CRLF and the N bytes, then the rest of the command. */
static int read_command(struct tunnel *t, char *cmd, size_t n, size_t *len,
			struct oa2_err *err)
{
	size_t used = 0, k;
	int rc;

	for (;;) {
		char *open;
		unsigned long lit;
		int sync;

		if ((rc = tun_client_line(&t->cl, cmd + used, n - used, &k, err)) != OA2_OK)
			return rc;
		used += k;
		if (k < 3 || cmd[used - 1] != '}' || (open = strrchr(cmd, '{')) == NULL ||
		    open < cmd + used - k) {
			*len = used;
			return OA2_OK;
		}
		lit = strtoul(open + 1, NULL, 10);
		sync = cmd[used - 2] != '+';
		if (!isdigit((unsigned char)open[1]) || lit + 3 > n - used)
			return oa2_err_set(err, OA2_ERR_TOOBIG, "the client sent a literal too big "
					   "for a login");
		if (sync && tun_client_say(&t->cl, "+ Ready for literal data\r\n") != 0)
			return oa2_err_set(err, OA2_ERR_NET, "the client hung up");
		memcpy(cmd + used, "\r\n", 2);
		used += 2;
		if ((rc = tun_client_bytes(&t->cl, cmd + used, lit, err)) != OA2_OK)
			return rc;
		used += lit;
		cmd[used] = '\0';
	}
}

/* The next astring of a command (RFC 9051 astring: atom, quoted string or
 * literal) into out; 0, or -1 when it is missing, malformed or too long. */
static int astring(const char **pp, const char *end, char *out, size_t n)
{
	const char *p = *pp;
	size_t k = 0;

	if (p >= end || *p != ' ')
		return -1;
	p++;
	if (p < end && *p == '"') {
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			if (k + 1 >= n)
				return -1;
			out[k++] = *p;
		}
		if (p >= end)
			return -1;
		p++;
	} else if (p < end && *p == '{') {
		char *close;
		unsigned long lit = strtoul(p + 1, &close, 10);

		if (*close == '+')
			close++;
		if (*close != '}' || close + 3 > end || close[1] != '\r' || close[2] != '\n' ||
		    lit > (unsigned long)(end - close - 3) || lit + 1 > n)
			return -1;
		memcpy(out, close + 3, lit);
		k = lit;
		p = close + 3 + lit;
	} else {
		while (p < end && *p != ' ' && k + 1 < n)
			out[k++] = *p++;
		if (k == 0 || (p < end && *p != ' '))
			return -1;
	}
	out[k] = '\0';
	*pp = p;
	return 0;
}

/* Answers a login with the server's verdict. Returns 1 to start relaying,
 * 0 to read the next command, or an exit code + 2 to end. */
static int answer_login(struct tunnel *t, const char *tag, struct mail_imap *s,
			const char *client_user)
{
	struct tun_proto p = { imap_offers, imap_auth, s };
	char text[1024];

	switch (tun_signin(t, client_user, &p)) {
	case TUN_SIGNED_IN:
		filter_answer(t->answer, text, sizeof(text));
		return tun_client_say(&t->cl, "%s OK %s\r\n", tag, text) == 0 ? 1 : CLI_FAIL + 2;
	case TUN_REFUSED:
		return tun_client_say(&t->cl, "%s NO %s\r\n", tag, t->answer[0] ? t->answer
				      : "[AUTHENTICATIONFAILED] authentication failed") == 0 ? 0
			: CLI_FAIL + 2;
	default:
		tun_client_say(&t->cl, "* BYE the connection to the mail server failed\r\n");
		return CLI_TEMPFAIL + 2;
	}
}

static int do_login(struct tunnel *t, const char *tag, const char *p, const char *end,
		    struct mail_imap *s)
{
	char user[OA2_USER_MAX + 1], *pass = malloc(TUN_LINE_MAX);
	int ok;

	if (pass == NULL)
		return CLI_SOFTWARE + 2;
	ok = astring(&p, end, user, sizeof(user)) == 0 && astring(&p, end, pass, TUN_LINE_MAX) == 0
		&& p == end;
	OPENSSL_cleanse(pass, TUN_LINE_MAX); /* not a secret here, but maybe elsewhere */
	free(pass);
	if (!ok)
		return tun_client_say(&t->cl, "%s BAD LOGIN takes a user name and a password\r\n",
				      tag) == 0 ? 0 : CLI_FAIL + 2;
	return answer_login(t, tag, s, user);
}

static int do_authenticate(struct tunnel *t, const char *tag, const char *args,
			   struct mail_imap *s)
{
	char user[OA2_USER_MAX + 1], line[TUN_LINE_MAX];
	const char *b64;
	struct oa2_err err;
	size_t len;
	int rc;

	if (strncasecmp(args, "PLAIN", 5) != 0 || (args[5] != '\0' && args[5] != ' '))
		return tun_client_say(&t->cl, "%s NO [CANNOT] this tunnel takes LOGIN or "
				      "AUTHENTICATE PLAIN (any password)\r\n", tag) == 0 ? 0
			: CLI_FAIL + 2;
	if (args[5] == ' ') {
		b64 = args + 6;
	} else {
		if (tun_client_say(&t->cl, "+ \r\n") != 0 ||
		    tun_client_line(&t->cl, line, sizeof(line), &len, &err) != OA2_OK)
			return CLI_FAIL + 2;
		if (strcmp(line, "*") == 0)
			return tun_client_say(&t->cl, "%s BAD AUTHENTICATE cancelled\r\n", tag) == 0
				? 0 : CLI_FAIL + 2;
		b64 = line;
	}
	rc = tun_plain_user(strcmp(b64, "=") == 0 ? "" : b64, user, sizeof(user));
	OPENSSL_cleanse(line, sizeof(line));
	if (rc != 0)
		return tun_client_say(&t->cl, "%s BAD not a SASL PLAIN message\r\n", tag) == 0
			? 0 : CLI_FAIL + 2;
	return answer_login(t, tag, s, user);
}

/* One command before login. Returns as answer_login does. */
static int command(struct tunnel *t, char *cmd, size_t len, struct mail_imap *s)
{
	char tag[64], verb[32];
	const char *p = cmd, *end = cmd + len;
	size_t k = strcspn(cmd, " \r\n");

	if (k == 0 || k >= sizeof(tag) || cmd[k] != ' ')
		return tun_client_say(&t->cl, "* BAD no tag\r\n") == 0 ? 0 : CLI_FAIL + 2;
	snprintf(tag, sizeof(tag), "%.*s", (int)k, cmd);
	p += k + 1;
	k = strcspn(p, " \r\n");
	snprintf(verb, sizeof(verb), "%.*s", (int)(k < sizeof(verb) ? k : 0), p);
	p += k;
	if (strcasecmp(verb, "CAPABILITY") == 0)
		return tun_client_say(&t->cl, "* CAPABILITY %s\r\n%s OK CAPABILITY completed\r\n",
				      t->caps_shown, tag) == 0 ? 0 : CLI_FAIL + 2;
	if (strcasecmp(verb, "NOOP") == 0)
		return tun_client_say(&t->cl, "%s OK NOOP completed\r\n", tag) == 0 ? 0
			: CLI_FAIL + 2;
	if (strcasecmp(verb, "ID") == 0)
		return tun_client_say(&t->cl, "* ID NIL\r\n%s OK ID completed\r\n", tag) == 0 ? 0
			: CLI_FAIL + 2;
	if (strcasecmp(verb, "LOGOUT") == 0) {
		tun_client_say(&t->cl, "* BYE logging out\r\n%s OK LOGOUT completed\r\n", tag);
		return (t->refused ? CLI_FAIL : CLI_OK) + 2;
	}
	if (strcasecmp(verb, "LOGIN") == 0)
		return do_login(t, tag, p, end, s);
	if (strcasecmp(verb, "AUTHENTICATE") == 0 && *p == ' ')
		return do_authenticate(t, tag, p + 1, s);
	return tun_client_say(&t->cl, "%s BAD %s is unknown or not allowed before logging in\r\n",
			      tag, verb[0] ? verb : "that command") == 0 ? 0 : CLI_FAIL + 2;
}

/* --preauth: signed in before the greeting, which says so. */
static int preauth(struct tunnel *t, struct mail_imap *s)
{
	struct tun_proto p = { imap_offers, imap_auth, s };
	char text[1024];
	const char *end;
	int n = 0;

	switch (tun_signin(t, "", &p)) {
	case TUN_SIGNED_IN:
		break;
	case TUN_REFUSED:
		/* The client shows the BYE's words; mutt shows only the last
		 * error, and a failed tunnel's exit status would hide them. The
		 * refusal went to stderr already. */
		tun_client_say(&t->cl, "* BYE %s\r\n", t->answer[0] ? t->answer
			       : "[AUTHENTICATIONFAILED] authentication failed");
		return CLI_OK;
	default:
		return CLI_TEMPFAIL;
	}
	/* the capabilities from the server's OK, when it gave them */
	filter_answer(t->answer, text, sizeof(text));
	if (strncasecmp(text, "[CAPABILITY ", 12) == 0 && (end = strchr(text, ']')) != NULL)
		n = (int)(end - text + 1);
	if (tun_client_say(&t->cl, "* PREAUTH %.*s%ssigned in to %s by sasl-oauth2 tunnel\r\n",
			   n, text, n ? " " : "", t->host) != 0)
		return CLI_FAIL;
	return tun_relay(&t->conn, &t->cl);
}

int tun_imap(struct tunnel *t)
{
	struct mail_imap s;
	struct mail_login l;
	struct oa2_err err;
	char *cmd;
	size_t len = 0;
	int rc;

	memset(&l, 0, sizeof(l));
	l.starttls = t->starttls;
	l.ca_file = t->ca_file;
	l.ca_blob = t->ca_blob;
	l.ca_len = t->ca_len;
	memset(&s, 0, sizeof(s));
	if (t->have_token && mail_imap_start(&s, &t->conn, &l, &err) != OA2_OK) {
		cli_error("tunnel: %s port %s: %s", t->host, t->port, err.msg);
		return err.rc == OA2_ERR_NET ? CLI_TEMPFAIL : CLI_FAIL;
	}
	filter_caps(s.caps, strlen(s.caps), t->caps_shown, sizeof(t->caps_shown), 1);
	if (strcasestr(t->caps_shown, "IMAP4") == NULL)
		snprintf(t->caps_shown, sizeof(t->caps_shown), "IMAP4rev1 AUTH=PLAIN SASL-IR");
	if (t->preauth)
		return preauth(t, &s);
	if (tun_client_say(&t->cl, "* OK [CAPABILITY %s] sasl-oauth2 tunnel to %s ready\r\n",
			   t->caps_shown, t->host) != 0)
		return CLI_FAIL;
	cmd = malloc(TUN_LINE_MAX);
	if (cmd == NULL)
		return CLI_SOFTWARE;
	for (;;) {
		if (read_command(t, cmd, TUN_LINE_MAX, &len, &err) != OA2_OK) {
			/* the client went away, or sent what no login needs */
			if (err.rc == OA2_ERR_TOOBIG)
				cli_error("tunnel: %s", err.msg);
			rc = 2 + (err.rc == OA2_ERR_TOOBIG || t->refused ? CLI_FAIL : CLI_OK);
			break;
		}
		rc = command(t, cmd, len, &s);
		if (rc != 0)
			break;
	}
	OPENSSL_cleanse(cmd, TUN_LINE_MAX);
	free(cmd);
	return rc == 1 ? tun_relay(&t->conn, &t->cl) : rc - 2;
}

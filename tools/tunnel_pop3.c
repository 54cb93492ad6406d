/*
 * The tunnel's POP3 side (RFC 1939, CAPA/STLS RFC 2449/2595, AUTH RFC
 * 5034): the server's opening and sign-in, and the client's commands until
 * it logs in: CAPA, USER/PASS, AUTH PLAIN, QUIT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "tunnel.h"

struct pop3 {
	struct mailconn *c;
	char capa[2048];   /* the server's CAPA lines, each ending in "\r\n" */
	char sasl[512];    /* " MECH1 MECH2 " upper-cased, from its SASL line */
	int stls;          /* it offers STLS */
	int capa_ok;
};

static int is_ok(const char *line)
{
	return strncmp(line, "+OK", 3) == 0 && (line[3] == ' ' || line[3] == '\0');
}

static void note_capa_line(struct pop3 *p, const char *line)
{
	size_t used = strlen(p->capa);

	if (strcasecmp(line, "STLS") == 0)
		p->stls = 1;
	if (strncasecmp(line, "SASL ", 5) == 0) {
		snprintf(p->sasl, sizeof(p->sasl), " %s ", line + 5);
		for (char *q = p->sasl; *q; q++)
			if (*q >= 'a' && *q <= 'z')
				*q = (char)(*q - 'a' + 'A');
	}
	if (used + strlen(line) + 3 < sizeof(p->capa))
		snprintf(p->capa + used, sizeof(p->capa) - used, "%s\r\n", line);
}

/* CAPA: what the server offers. A server without CAPA offers nothing we
 * can use safely, but the login may still work (USER-only servers). */
static int capa(struct pop3 *p, struct oa2_err *err)
{
	size_t len;
	int rc;

	p->capa[0] = p->sasl[0] = '\0';
	p->stls = p->capa_ok = 0;
	if ((rc = mailconn_write(p->c, "CAPA", NULL, err)) != OA2_OK ||
	    (rc = mailconn_read(p->c, &len, err)) != OA2_OK)
		return rc;
	if (!is_ok(p->c->line))
		return OA2_OK;
	p->capa_ok = 1;
	for (;;) {
		if ((rc = mailconn_read(p->c, &len, err)) != OA2_OK)
			return rc;
		if (strcmp(p->c->line, ".") == 0)
			return OA2_OK;
		note_capa_line(p, p->c->line[0] == '.' ? p->c->line + 1 : p->c->line);
	}
}

static int pop3_start(struct pop3 *p, const struct tunnel *t, struct oa2_err *err)
{
	size_t len;
	int rc;

	if ((rc = mailconn_read(p->c, &len, err)) != OA2_OK)
		return rc;
	if (!is_ok(p->c->line))
		return oa2_err_set(err, OA2_ERR_NET, "unexpected POP3 greeting: %s", p->c->line);
	if ((rc = capa(p, err)) != OA2_OK || !t->starttls)
		return rc;
	if (!p->stls)
		return oa2_err_set(err, OA2_ERR_UNSAFE, "the server does not offer STARTTLS "
				   "(STLS); refusing to go on without TLS (for TLS from the "
				   "start use port 995)");
	if ((rc = mailconn_write(p->c, "STLS", NULL, err)) != OA2_OK ||
	    (rc = mailconn_read(p->c, &len, err)) != OA2_OK)
		return rc;
	if (!is_ok(p->c->line))
		return oa2_err_set(err, OA2_ERR_NET, "STLS refused: %s", p->c->line);
	if ((rc = mailconn_tls(p->c, t->ca_file, t->ca_blob, t->ca_len, err)) != OA2_OK)
		return rc;
	return capa(p, err); /* what was said in the clear does not count */
}

static int pop3_offers(void *ctx, const char *mech)
{
	const struct pop3 *p = ctx;
	char want[64];

	snprintf(want, sizeof(want), " %s ", mech);
	return strstr(p->sasl, want) != NULL;
}

/* AUTH MECH, then the response after the server's "+": RFC 5034 limits
 * the AUTH line to 255 octets, and a token is longer. */
static int pop3_auth(void *ctx, const struct mail_login *l, struct mail_result *r,
		     struct oa2_err *err)
{
	struct pop3 *p = ctx;
	struct oa2_buf b64;
	char line[64], shown[600];
	size_t len;
	int rc, challenges = 0;

	oa2_buf_init(&b64, 64 * 1024);
	snprintf(line, sizeof(line), "AUTH %s", l->mech);
	if ((rc = mail_sasl_response(l, &b64, err)) != OA2_OK ||
	    (rc = mailconn_write(p->c, line, NULL, err)) != OA2_OK ||
	    (rc = mailconn_read(p->c, &len, err)) != OA2_OK)
		goto out;
	if (p->c->line[0] != '+' || is_ok(p->c->line)) {
		snprintf(r->server_text, sizeof(r->server_text), "%s", p->c->line);
		goto out; /* refused before any token was sent */
	}
	mail_sasl_shown(l, shown, sizeof(shown));
	if ((rc = mailconn_write(p->c, b64.data, shown, err)) != OA2_OK)
		goto out;
	for (;;) {
		if ((rc = mailconn_read(p->c, &len, err)) != OA2_OK)
			goto out;
		if (p->c->line[0] != '+' || is_ok(p->c->line))
			break;
		/* an error challenge; a server that keeps asking is cancelled */
		rc = mailconn_write(p->c, ++challenges > 2 ? "*"
				    : mail_sasl_error(p->c, l, p->c->line + (p->c->line[1] == ' '
									    ? 2 : 1), r),
				    NULL, err);
		if (rc != OA2_OK)
			goto out;
	}
	r->authenticated = is_ok(p->c->line);
	snprintf(r->server_text, sizeof(r->server_text), "%s", p->c->line);
out:
	oa2_buf_clear(&b64);
	return rc;
}

/* Returns 1 to relay, 0 to go on, an exit code + 2 to end. */
static int answer_login(struct tunnel *t, struct pop3 *p, const char *user)
{
	struct tun_proto proto = { pop3_offers, pop3_auth, p };

	switch (tun_signin(t, user, &proto)) {
	case TUN_SIGNED_IN:
		return tun_client_say(&t->cl, "+OK %s\r\n", t->answer) == 0 ? 1 : CLI_FAIL + 2;
	case TUN_REFUSED:
		return tun_client_say(&t->cl, "-ERR %s\r\n", t->answer[0] ? t->answer
				      : "[AUTH] authentication failed") == 0 ? 0 : CLI_FAIL + 2;
	default:
		tun_client_say(&t->cl, "-ERR the connection to the mail server failed\r\n");
		return CLI_TEMPFAIL + 2;
	}
}

/* The server's capabilities as the client may use them: no STLS, and the
 * tunnel's own logins (USER/PASS and SASL PLAIN). */
static int say_capa(struct tunnel *t, const struct pop3 *p)
{
	char out[2600];
	const char *line = p->capa;
	size_t used = 0;

	used += (size_t)snprintf(out, sizeof(out), "+OK capability list follows\r\n");
	while (*line != '\0') {
		size_t k = strcspn(line, "\r");

		if (!(k == 4 && strncasecmp(line, "STLS", 4) == 0) &&
		    !(k == 4 && strncasecmp(line, "USER", 4) == 0) &&
		    strncasecmp(line, "SASL", 4) != 0)
			used += (size_t)snprintf(out + used, sizeof(out) - used, "%.*s\r\n", (int)k,
						 line);
		line += k + (line[k] == '\r' ? 2 : 0);
	}
	snprintf(out + used, sizeof(out) - used, "USER\r\nSASL PLAIN\r\n.\r\n");
	return tun_client_say(&t->cl, "%s", out);
}

static int auth_plain(struct tunnel *t, struct pop3 *p, const char *args)
{
	char user[OA2_USER_MAX + 1], line[TUN_LINE_MAX];
	const char *b64 = args;
	struct oa2_err err;
	size_t len;
	int rc;

	if (*args == '\0') {
		if (tun_client_say(&t->cl, "+ \r\n") != 0 ||
		    tun_client_line(&t->cl, line, sizeof(line), &len, &err) != OA2_OK)
			return CLI_FAIL + 2;
		if (strcmp(line, "*") == 0)
			return tun_client_say(&t->cl, "-ERR AUTH cancelled\r\n") == 0 ? 0 : CLI_FAIL + 2;
		b64 = line;
	}
	rc = tun_plain_user(strcmp(b64, "=") == 0 ? "" : b64, user, sizeof(user));
	OPENSSL_cleanse(line, sizeof(line));
	if (rc != 0)
		return tun_client_say(&t->cl, "-ERR not a SASL PLAIN message\r\n") == 0 ? 0
			: CLI_FAIL + 2;
	return answer_login(t, p, user);
}

static int command(struct tunnel *t, struct pop3 *p, const char *cmd, char *user, size_t un)
{
	size_t k = strcspn(cmd, " ");
	const char *arg = cmd[k] == ' ' ? cmd + k + 1 : "";

#define SAY(...) (tun_client_say(&t->cl, __VA_ARGS__) == 0 ? 0 : CLI_FAIL + 2)
	if (k == 4 && strncasecmp(cmd, "CAPA", 4) == 0)
		return say_capa(t, p) == 0 ? 0 : CLI_FAIL + 2;
	if (k == 4 && strncasecmp(cmd, "USER", 4) == 0) {
		if (*arg == '\0' || strlen(arg) >= un)
			return SAY("-ERR USER takes a user name\r\n");
		snprintf(user, un, "%s", arg);
		return SAY("+OK\r\n");
	}
	if (k == 4 && strncasecmp(cmd, "PASS", 4) == 0) {
		if (user[0] == '\0')
			return SAY("-ERR USER first\r\n");
		return answer_login(t, p, user);
	}
	if (k == 4 && strncasecmp(cmd, "AUTH", 4) == 0) {
		if (*arg == '\0')
			return SAY("+OK\r\nPLAIN\r\n.\r\n");
		if (strncasecmp(arg, "PLAIN", 5) == 0 && (arg[5] == '\0' || arg[5] == ' '))
			return auth_plain(t, p, arg[5] == ' ' ? arg + 6 : "");
		return SAY("-ERR this tunnel takes USER/PASS or AUTH PLAIN (any password)\r\n");
	}
	if (k == 4 && strncasecmp(cmd, "QUIT", 4) == 0) {
		tun_client_say(&t->cl, "+OK bye\r\n");
		return (t->refused ? CLI_FAIL : CLI_OK) + 2;
	}
	return SAY("-ERR %.*s is unknown or not allowed before logging in\r\n",
		   (int)(k < 16 ? k : 16), cmd);
#undef SAY
}

int tun_pop3(struct tunnel *t)
{
	struct pop3 p;
	struct oa2_err err;
	char user[OA2_USER_MAX + 1] = "", *line;
	size_t len;
	int rc;

	memset(&p, 0, sizeof(p));
	p.c = &t->conn;
	if (t->have_token && pop3_start(&p, t, &err) != OA2_OK) {
		cli_error("tunnel: %s port %s: %s", t->host, t->port, err.msg);
		return err.rc == OA2_ERR_NET ? CLI_TEMPFAIL : CLI_FAIL;
	}
	/* no APOP timestamp: the client must not try APOP */
	if (tun_client_say(&t->cl, "+OK sasl-oauth2 tunnel to %s ready\r\n", t->host) != 0)
		return CLI_FAIL;
	line = malloc(TUN_LINE_MAX);
	if (line == NULL)
		return CLI_SOFTWARE;
	for (;;) {
		if (tun_client_line(&t->cl, line, TUN_LINE_MAX, &len, &err) != OA2_OK) {
			if (err.rc == OA2_ERR_TOOBIG)
				cli_error("tunnel: %s", err.msg);
			rc = 2 + (err.rc == OA2_ERR_TOOBIG || t->refused ? CLI_FAIL : CLI_OK);
			break;
		}
		if ((rc = command(t, &p, line, user, sizeof(user))) != 0)
			break;
	}
	OPENSSL_cleanse(line, TUN_LINE_MAX);
	free(line);
	return rc == 1 ? tun_relay(&t->conn, &t->cl) : rc - 2;
}

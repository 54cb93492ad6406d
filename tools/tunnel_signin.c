/* The tunnel's sign-in to the real server with the account's token. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tunnel.h"
#include "sasl-oauth2/token_store.h"

/* --mech, else what the server offers: XOAUTH2 first (the one mechanism
 * Microsoft documents; Gmail and Dovecot take both). A server that lists
 * neither still gets XOAUTH2: some do not list what they take. */
static const char *pick_mech(const struct tunnel *t, const struct tun_proto *p)
{
	if (t->mech != NULL)
		return t->mech;
	if (!p->offers(p->ctx, "XOAUTH2") && p->offers(p->ctx, "OAUTHBEARER"))
		return "OAUTHBEARER";
	return "XOAUTH2";
}

/* The one line a refusal gets on stderr: whose token, what the server
 * said, and what to do about it. The server's words are escaped. */
static void report_refusal(const struct tunnel *t, const char *user, const char *mech,
			   const struct mail_result *r)
{
	char said[600], advice[768] = "";

	oa2_printable(r->server_text, strlen(r->server_text), said, sizeof(said));
	if (r->have_error)
		oa2_server_error_advice(&r->error, advice, sizeof(advice));
	cli_error("tunnel: account %s: %s refused the token for %s (%s): \"%s\"%s%s; if it "
		  "keeps refusing, authorize again: sasl-oauth2 authorize %s", t->account,
		  t->host, user, mech, said, advice[0] ? "; its error challenge says " : "",
		  advice, t->label);
}

enum tun_outcome tun_signin(struct tunnel *t, const char *client_user,
			    const struct tun_proto *p)
{
	struct mail_login l;
	struct mail_result r;
	struct oa2_err err;
	char user[OA2_USER_MAX + 1];
	const char *after;
	int rc;

	if (!t->have_token || t->refused)
		return TUN_REFUSED; /* t->answer says why, stderr said it once */
	snprintf(user, sizeof(user), "%s", t->tok.user != NULL ? t->tok.user : client_user);
	memset(&l, 0, sizeof(l));
	l.mech = pick_mech(t, p);
	l.user = user;
	l.token = t->tok.access_token;
	l.host = t->host;
	l.port = t->port;
	memset(&r, 0, sizeof(r));
	rc = p->auth(p->ctx, &l, &r, &err);
	/* the client gets the server's words after its status (OK, NO, -ERR) */
	after = strchr(r.server_text, ' ');
	snprintf(t->answer, sizeof(t->answer), "%s", after != NULL ? after + 1 : "");
	if (rc == OA2_OK && !r.authenticated) {
		struct oa2_err ignored;

		t->refused = 1;
		report_refusal(t, user, l.mech, &r);
		/* the next login anywhere refreshes first, as the plugin does */
		(void)oa2_store_mark_rejected(t->path, t->tok.access_token, &ignored);
	}
	oa2_token_clear(&t->tok);
	t->have_token = 0;
	if (rc != OA2_OK) {
		cli_error("tunnel: %s port %s: %s", t->host, t->port, err.msg);
		return TUN_BROKEN;
	}
	return r.authenticated ? TUN_SIGNED_IN : TUN_REFUSED;
}

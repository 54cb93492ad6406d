/*
 * `sasl-oauth2 test`: a real login to an IMAP or SMTP server with an
 * account's token, shown line by line with the token redacted.
 *
 *   cmd_test.c        options, the token (refreshed if needed), its claims
 *   mailconn.c        TCP/TLS, bounded lines, the transcript
 *   mailtest_sasl.c   the AUTHENTICATE/AUTH payloads and error challenges
 *   mailtest_imap.c   CAPABILITY, STARTTLS, AUTHENTICATE, EXAMINE INBOX
 *   mailtest_smtp.c   EHLO, STARTTLS, AUTH, MAIL FROM
 */
#ifndef SASL_OAUTH2_MAILTEST_H
#define SASL_OAUTH2_MAILTEST_H

#include <stddef.h>

#include "mailconn.h"
#include "sasl-oauth2/buf.h"
#include "sasl-oauth2/error.h"
#include "sasl-oauth2/server_error.h"

struct mail_login {
	const char *mech;        /* "XOAUTH2" or "OAUTHBEARER" */
	const char *user;
	const char *token;       /* secret: only ever sent, never shown */
	const char *host;        /* as given: TLS name, OAUTHBEARER host= */
	const char *port;
	int starttls;
	const char *ca_file;     /* --ca-file, else ca_blob */
	const void *ca_blob;
	size_t ca_len;
};

struct mail_result {
	int authenticated;       /* the server accepted the token */
	int after_ok;            /* the command after the login worked */
	char after_cmd[64];      /* which command that was */
	char server_text[512];   /* the server's final answer */
	int have_error;          /* it sent an error challenge: */
	struct oa2_server_error error;
	char error_json[512];    /* the challenge as received (printable) */
};

/* base64 of the mechanism's initial response. b64 must be initialised;
 * release with oa2_buf_clear (it holds the token). */
int mail_sasl_response(const struct mail_login *l, struct oa2_buf *b64, struct oa2_err *err);

/* "<redacted: XOAUTH2 for USER, token abc123...>" */
void mail_sasl_shown(const struct mail_login *l, char *buf, size_t n);

/* Decodes and shows a base64 error challenge, records it in r, and returns
 * what the client must answer: "" for XOAUTH2, "AQ==" (a single 0x01) for
 * OAUTHBEARER. */
const char *mail_sasl_error(struct mailconn *c, const struct mail_login *l, const char *b64,
			    struct mail_result *r);

/* The IMAP steps, for `test` and `tunnel`: */
struct mail_imap {
	struct mailconn *c;
	int tag;
	char caps[2048];   /* " CAP1 CAP2 ... " upper-cased, for has_cap */
};

/* Reads the greeting, asks for CAPABILITY and, for l->starttls, starts TLS
 * (refusing, OA2_ERR_UNSAFE, a server that does not offer it) and asks
 * again. */
int mail_imap_start(struct mail_imap *s, struct mailconn *c, const struct mail_login *l,
		    struct oa2_err *err);

/* Non-zero when the server listed cap (upper case) in its capabilities. */
int mail_imap_has_cap(const struct mail_imap *s, const char *cap);

/* AUTHENTICATE l->mech with the token (SASL-IR when offered), answering
 * an error challenge as the mechanism requires. r->authenticated says
 * whether the server accepted; r->server_text is its tagged answer's text
 * after the status, either way. */
int mail_imap_auth(struct mail_imap *s, const struct mail_login *l, struct mail_result *r,
		   struct oa2_err *err);

/* Run the dialog on an open connection (TLS already started for --tls).
 * OA2_OK when the dialog ran to its end, whatever the server decided (r
 * says); an error when the connection or the protocol failed. */
int mail_test_imap(struct mailconn *c, const struct mail_login *l, struct mail_result *r,
		   struct oa2_err *err);
int mail_test_smtp(struct mailconn *c, const struct mail_login *l, struct mail_result *r,
		   struct oa2_err *err);

#endif

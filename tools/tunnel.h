/*
 * `sasl-oauth2 tunnel`: a mail client's connection command (fetchmail's
 * plugin, mutt's tunnel, mbsync's Tunnel). It connects to the server over
 * TLS, plays the server to the client on stdin/stdout until the client
 * logs in (any password), signs in to the real server with the account's
 * OAuth token, and from then on passes every byte both ways unchanged.
 *
 *   cmd_tunnel.c     options, the account's token, host defaults, TLS
 *   tunnel_client.c  the client side before sign-in: bounded lines
 *   tunnel_imap.c    IMAP: greeting, CAPABILITY, LOGIN/AUTHENTICATE PLAIN
 *   tunnel_pop3.c    POP3: greeting, CAPA, USER/PASS, AUTH PLAIN
 *   tunnel_signin.c  the sign-in with the token, and its refusal
 *   tunnel_relay.c   the bytes after sign-in (poll, non-blocking TLS)
 */
#ifndef SASL_OAUTH2_TUNNEL_H
#define SASL_OAUTH2_TUNNEL_H

#include <stddef.h>

#include "mailconn.h"
#include "mailtest.h"
#include "sasl-oauth2/token.h"

/* A client line before sign-in, and what a LOGIN may carry. */
#define TUN_LINE_MAX (16 * 1024)
#define TUN_CLIENT_TIMEOUT_S 300

struct tun_client {
	int in, out;
	char buf[TUN_LINE_MAX + 2]; /* bytes read, not yet taken */
	size_t len;
};

/* What the client gets when it logs in. */
enum tun_outcome {
	TUN_SIGNED_IN,   /* the server took the token: relay */
	TUN_REFUSED,     /* the client's ordinary login failure */
	TUN_BROKEN,      /* the server connection failed: end */
};

struct tunnel {
	const char *account;     /* as the user named it, for advice */
	const char *path;        /* the token file, for mark_rejected */
	char label[512];         /* ACCOUNT for "sasl-oauth2 authorize LABEL" */
	const char *host, *port;
	int pop3;
	int starttls;
	const char *mech;        /* --mech; NULL: what the server offers */
	int preauth;
	const char *ca_file;     /* --ca-file, else ca_blob (the config's ca_bundle) */
	const void *ca_blob;
	size_t ca_len;
	int have_token;          /* 0: no usable token (the client's login fails) */
	struct oa2_token tok;    /* cleared as soon as the server took it */
	struct mailconn conn;
	struct tun_client cl;
	char caps_shown[2048];   /* IMAP: the client's capability list */
	char answer[512];        /* the server's answer to the sign-in */
	int refused;             /* the server refused the token once */
};

/* Client I/O before sign-in (tunnel_client.c). A line without its CRLF;
 * OA2_ERR_NET on end of input, OA2_ERR_TOOBIG for a line over n - 1. */
int tun_client_line(struct tun_client *c, char *line, size_t n, size_t *len,
		    struct oa2_err *err);
/* Exactly n bytes (an IMAP literal). */
int tun_client_bytes(struct tun_client *c, char *p, size_t n, struct oa2_err *err);
/* Writes the formatted text as is (the caller puts the CRLFs). */
int tun_client_say(struct tun_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Decodes the base64 of a SASL PLAIN message and copies its authcid (the
 * user) to user; the password is dropped. -1 when it is not PLAIN. */
int tun_plain_user(const char *b64, char *user, size_t n);

/* A protocol's sign-in step, for tun_signin. */
struct tun_proto {
	/* non-zero when the server offers the SASL mechanism (upper case) */
	int (*offers)(void *ctx, const char *mech);
	/* the exchange: OA2_OK when it ran to its end (r says what the
	 * server decided), an error when the connection failed */
	int (*auth)(void *ctx, const struct mail_login *l, struct mail_result *r,
		    struct oa2_err *err);
	void *ctx;
};

/* Signs in to the server with the token (tunnel_signin.c), as the token
 * file's user, else client_user. On a refusal prints one line on stderr
 * (the account, the server's answer, the re-authorize command), records
 * the rejection in the token file and keeps t->answer for the client; a
 * later attempt is refused at once. The token is wiped either way. */
enum tun_outcome tun_signin(struct tunnel *t, const char *client_user,
			    const struct tun_proto *p);

/* The protocol sessions: return the command's exit code. */
int tun_imap(struct tunnel *t);
int tun_pop3(struct tunnel *t);

/* Copies bytes both ways until either side ends (tunnel_relay.c). The
 * bytes already read from either side go first. Returns CLI_OK, or an exit
 * code after printing why. */
int tun_relay(struct mailconn *srv, struct tun_client *cl);

#endif

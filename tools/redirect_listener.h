/*
 * The one-shot loopback HTTP listener of the browser flow (RFC 8252 7.3).
 *
 * Listens on 127.0.0.1, and for the host name "localhost" also on ::1 at
 * the same port (a browser may resolve localhost to either), for a bounded
 * time; takes requests of at most REDIRECT_REQUEST_MAX bytes of headers and
 * serves several connections at once (browsers open spare ones), none of
 * them for longer than REDIRECT_CONN_TIMEOUT seconds. Only a GET / carrying
 * this sign-in's state ends the wait: with a code (success) or an error (the
 * provider's refusal). Everything else (other paths, other methods, answers
 * with a wrong or missing state: a stale tab or another local user) gets a
 * short failure page without blocking and is otherwise ignored, so nobody
 * but the browser holding the state can end or stall the sign-in. Once the
 * answer is in, the listening sockets are closed at once.
 */
#ifndef SASL_OAUTH2_REDIRECT_LISTENER_H
#define SASL_OAUTH2_REDIRECT_LISTENER_H

#include "sasl-oauth2/error.h"

#define REDIRECT_REQUEST_MAX 8192  /* bytes of request line and headers */
#define REDIRECT_CONN_MAX 16       /* connections served at once */
#define REDIRECT_CONN_TIMEOUT 10   /* seconds for one request to arrive */
#define REDIRECT_DRAIN_MS 1000     /* ms a connection may still send after its answer */

struct redirect_listener {
	int fd[2];          /* 127.0.0.1, ::1; -1 when not listening */
	int port;
	const char *host;   /* as in the redirect URI: "127.0.0.1" or "localhost" */
	unsigned strays;    /* requests answered and ignored by redirect_wait */
};

/*
 * Binds 127.0.0.1:port (0: a free port) and listens; for host "localhost"
 * also [::1] at the same port (skipped where the host has no IPv6). host
 * must outlive l.
 */
int redirect_listen(struct redirect_listener *l, const char *host, int port,
		    struct oa2_err *err);

/*
 * Waits up to timeout seconds for the redirect. On OA2_ERR_OK: *code
 * (owned, secret) is the authorization code and *client the browser's
 * connection, still waiting for its page (redirect_reply). On error err
 * says why and the browser (if any) has had its failure page. Either way
 * the listening sockets are closed.
 */
int redirect_wait(struct redirect_listener *l, const char *state, long timeout, int *client,
		  char **code, struct oa2_err *err);

/* Sends a short HTML page with HTTP status 200, 400 or 404 and closes fd;
 * takes at most about 5 s plus REDIRECT_DRAIN_MS. */
void redirect_reply(int fd, int status, const char *headline, const char *detail);

void redirect_close(struct redirect_listener *l);

#endif

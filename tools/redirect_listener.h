/*
 * The one-shot loopback HTTP listener of the browser flow (RFC 8252 7.3).
 *
 * Listens on 127.0.0.1 only, for a bounded time, takes requests of at most
 * REDIRECT_REQUEST_MAX bytes of headers, and serves several connections at
 * once (browsers open spare ones). Only the first GET / carrying a code and
 * this sign-in's state completes: the listening socket is closed at once,
 * so a stray second request is refused. Other paths and requests without
 * any answer get a failure page and are otherwise ignored; an answer with
 * a wrong or missing state, or an error, ends the wait with that error.
 */
#ifndef SASL_OAUTH2_REDIRECT_LISTENER_H
#define SASL_OAUTH2_REDIRECT_LISTENER_H

#include "sasl-oauth2/error.h"

#define REDIRECT_REQUEST_MAX 8192  /* bytes of request line and headers */
#define REDIRECT_CONN_MAX 16       /* connections served at once */
#define REDIRECT_CONN_TIMEOUT 10   /* seconds for one request to arrive */

struct redirect_listener {
	int fd;     /* -1 once closed */
	int port;
};

/* Binds 127.0.0.1:port (0: an ephemeral port) and listens. */
int redirect_listen(struct redirect_listener *l, int port, struct oa2_err *err);

/*
 * Waits up to timeout seconds for the redirect. On OA2_ERR_OK: *code
 * (owned, secret) is the authorization code and *client the browser's
 * connection, still waiting for its page (redirect_reply). On error err
 * says why and the browser (if any) has had its failure page. Either way
 * the listening socket is closed.
 */
int redirect_wait(struct redirect_listener *l, const char *state, long timeout, int *client,
		  char **code, struct oa2_err *err);

/* Sends a short HTML page with HTTP status 200, 400 or 404 and closes fd. */
void redirect_reply(int fd, int status, const char *headline, const char *detail);

void redirect_close(struct redirect_listener *l);

#endif

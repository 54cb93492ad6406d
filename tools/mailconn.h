/*
 * A line-oriented connection to a mail server for `sasl-oauth2 test`: TCP,
 * then TLS at once (--tls) or after STARTTLS, with the exchange shown line
 * by line ("S: ..." received, "C: ..." sent) on the transcript stream.
 *
 * Bounded: every connect, read and write must finish within the timeout,
 * and a line longer than MAILCONN_LINE_MAX is an error. TLS always verifies
 * the certificate chain and the host name (or IP address) the user gave.
 */
#ifndef SASL_OAUTH2_MAILCONN_H
#define SASL_OAUTH2_MAILCONN_H

#include <stddef.h>
#include <stdio.h>

#include "sasl-oauth2/error.h"

#define MAILCONN_LINE_MAX (64 * 1024)

struct ssl_st;
struct ssl_ctx_st;

struct mailconn {
	int fd;
	struct ssl_ctx_st *ctx;
	struct ssl_st *ssl;
	char host[256];          /* as given: verified against the certificate */
	int timeout_ms;
	int loopback;            /* connected to 127.0.0.0/8 or ::1 */
	FILE *out;               /* the transcript */
	char *buf;               /* received bytes not yet returned */
	size_t len;
	char *line;              /* the last line read (NUL-terminated, no CRLF) */
};

/* Connects to host:port. On failure err says what happened and the return
 * code is OA2_ERR_NET. Call mailconn_close afterwards in every case. */
int mailconn_open(struct mailconn *c, const char *host, const char *port, int timeout_s,
		  FILE *out, struct oa2_err *err);

/* Starts TLS on the connection and verifies the server: against ca_file when
 * given, else the PEM bundle in memory (the config's ca_bundle). */
int mailconn_tls(struct mailconn *c, const char *ca_file, const void *ca_blob, size_t ca_len,
		 struct oa2_err *err);

/* Reads one line (CRLF or LF removed) into c->line and shows it as "S: ".
 * *len receives its length. */
int mailconn_read(struct mailconn *c, size_t *len, struct oa2_err *err);

/* Sends line + CRLF and shows it as "C: " + shown (or line when shown is
 * NULL: callers pass a redacted form for anything holding a token). */
int mailconn_write(struct mailconn *c, const char *line, const char *shown, struct oa2_err *err);

/* Prints "* " + the message to the transcript. */
void mailconn_note(struct mailconn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void mailconn_close(struct mailconn *c);

#endif

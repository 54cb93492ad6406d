/*
 * The bytes of the XOAUTH2 and OAUTHBEARER initial client responses, and
 * their base64 form, for everything that hands them to a program or a
 * server: the CLI's `token --format xoauth2|oauthbearer`, and any mechanism.
 *
 * The output holds a bearer token: build it in an oa2_buf (bounded, wiped by
 * oa2_buf_clear) and check oa2_buf_failed once at the end.
 */
#ifndef SASL_OAUTH2_SASL_RESPONSE_H
#define SASL_OAUTH2_SASL_RESPONSE_H

#include <stddef.h>

#include "sasl-oauth2/buf.h"

/* "user=" USER ^A "auth=Bearer " TOKEN ^A ^A, as Google and Microsoft
 * document XOAUTH2. */
void oa2_xoauth2_response(struct oa2_buf *out, const char *user, const char *token);

/* RFC 7628 3.1: "n,a=" AUTHZID "," ^A ["host=" HOST ^A] ["port=" PORT ^A]
 * "auth=Bearer " TOKEN ^A ^A. authzid (escaped as an RFC 5801 saslname),
 * host and port may be NULL: they are then left out. */
void oa2_oauthbearer_response(struct oa2_buf *out, const char *authzid, const char *host,
			      const char *port, const char *token);

/* Appends the base64 (RFC 4648 section 4, padded, no line breaks) of the n
 * bytes at p. */
void oa2_base64_append(struct oa2_buf *out, const void *p, size_t n);

/* Whether `AUTH MECH base64(response) CRLF`, with a response of n bytes,
 * fits on one command line of the protocol that the libsasl2 service name
 * `service` stands for: 512 octets for "smtp" (RFC 4954 section 4 with RFC
 * 5321 4.5.3.1.4), 255 for "pop" (RFC 5034 section 4 with RFC 2449). Other
 * services (IMAP's SASL-IR sets no limit) always fit. When it does not fit,
 * the client sends `AUTH MECH` alone and the response after the server's
 * empty challenge. */
int oa2_auth_line_fits(const char *service, const char *mech, size_t n);

#endif

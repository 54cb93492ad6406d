/*
 * The query of the redirect that ends an authorization request
 * (RFC 6749 4.1.2): ?code=...&state=... or ?error=...&state=..., from the
 * loopback listener or pasted by the user.
 */
#ifndef SASL_OAUTH2_REDIRECT_PARAMS_H
#define SASL_OAUTH2_REDIRECT_PARAMS_H

#include <stddef.h>

#include "sasl-oauth2/error.h"

#define REDIRECT_CODE_MAX 4096

struct redirect_params {
	char *code;               /* owned, secret; NULL when absent */
	char *state;              /* owned; NULL when absent */
	char error[64];           /* "" when absent; printable */
	char error_description[256];
	int has_error;
};

/* Parses n bytes of a query string (the part after '?', without '#...').
 * Returns 0, or -1 for bad percent-encoding, a NUL, a repeated member or a
 * value over its bound (*p is then cleared). Unknown members are ignored. */
int redirect_params_parse(const char *query, size_t n, struct redirect_params *p);

/* Non-zero when the query carries any of code, state, error. */
int redirect_params_any(const struct redirect_params *p);

/* Non-zero when the answer carries exactly this sign-in's state (compared
 * in constant time). */
int redirect_params_state_matches(const struct redirect_params *p, const char *state);

/* Checks the answer against the state this request sent: OA2_OK when it
 * carries a code and the right state. Otherwise err says what went wrong:
 * OA2_ERR_INVALID for a missing or different state (a stale tab or a
 * forged request), OA2_ERR_DENIED for access_denied and other refusals,
 * OA2_ERR_TEMPORARY for server_error and temporarily_unavailable,
 * OA2_ERR_MISSING for an answer without code. */
int redirect_params_check(const struct redirect_params *p, const char *state,
			  struct oa2_err *err);

void redirect_params_clear(struct redirect_params *p);

#endif

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sasl-oauth2/secret.h"
#include "sasl-oauth2/server_error.h"

#include "redirect_params.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes n bytes into a new string (at most max bytes). */
static char *decode(const char *s, size_t n, size_t max)
{
	char *out = malloc(n + 1);
	size_t o = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;
			if (i + 2 >= n)
				goto bad;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0' || o >= max)
			goto bad;
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
bad:
	oa2_secret_free(out, n + 1);
	return NULL;
}

static int keep_printable(const char *v, char *dst, size_t n)
{
	if (dst[0] != '\0')
		return -1;
	oa2_printable(v, strlen(v), dst, n);
	return 0;
}

int redirect_params_parse(const char *query, size_t n, struct redirect_params *p)
{
	const char *end = query + n, *s = query;
	int rc = 0;

	memset(p, 0, sizeof(*p));
	while (s < end && rc == 0) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(s, '=', (size_t)(stop - s));
		size_t klen = (size_t)((eq ? eq : stop) - s);
		char *v;

		if (eq != NULL) {
			v = decode(eq + 1, (size_t)(stop - eq - 1), REDIRECT_CODE_MAX);
			if (v == NULL) {
				rc = -1;
				break;
			}
			if (klen == 4 && memcmp(s, "code", 4) == 0) {
				if (p->code != NULL)
					rc = -1;
				else
					p->code = v, v = NULL;
			} else if (klen == 5 && memcmp(s, "state", 5) == 0) {
				if (p->state != NULL)
					rc = -1;
				else
					p->state = v, v = NULL;
			} else if (klen == 5 && memcmp(s, "error", 5) == 0) {
				rc = keep_printable(v, p->error, sizeof(p->error));
				p->has_error = 1;
			} else if (klen == 17 && memcmp(s, "error_description", 17) == 0) {
				rc = keep_printable(v, p->error_description,
						    sizeof(p->error_description));
			}
			oa2_secret_free_str(v);
		}
		s = amp ? amp + 1 : end;
	}
	if (rc != 0)
		redirect_params_clear(p);
	return rc;
}

int redirect_params_any(const struct redirect_params *p)
{
	return p->code != NULL || p->state != NULL || p->has_error;
}

int redirect_params_state_matches(const struct redirect_params *p, const char *state)
{
	size_t n = strlen(state);

	return p->state != NULL && strlen(p->state) == n && CRYPTO_memcmp(p->state, state, n) == 0;
}

int redirect_params_check(const struct redirect_params *p, const char *state,
			  struct oa2_err *err)
{
	const char *e = p->error, *d = p->error_description[0] ? p->error_description
							       : "no description";

	if (!redirect_params_state_matches(p, state))
		return oa2_err_set(err, OA2_ERR_INVALID,
				   "state mismatch: the answer that reached the redirect address "
				   "carries %s, so it does not belong to this sign-in (a stale "
				   "browser tab, or a forged request); nothing was saved: run the "
				   "command again", p->state ? "another state" : "no state");
	if (p->has_error && strcmp(e, "access_denied") == 0)
		return oa2_err_set(err, OA2_ERR_DENIED,
				   "the user or provider denied access (access_denied: %s): sign in "
				   "again and accept the permissions asked for, or ask an "
				   "administrator to consent to the app for the organisation", d);
	if (p->has_error && (strcmp(e, "server_error") == 0 ||
			     strcmp(e, "temporarily_unavailable") == 0))
		return oa2_err_set(err, OA2_ERR_TEMPORARY,
				   "the provider could not handle the sign-in (%s: %s): try again "
				   "later", e, d);
	if (p->has_error)
		return oa2_err_set(err, OA2_ERR_DENIED,
				   "the provider refused the authorization request (%s: %s)%s",
				   e[0] ? e : "(empty error)", d,
				   strcmp(e, "invalid_scope") == 0 ? ": the app may not ask for these "
				   "permissions; check its API permissions" :
				   strcmp(e, "unauthorized_client") == 0 ? ": the client id may not use "
				   "this flow; check the app registration" :
				   strcmp(e, "invalid_request") == 0 ? ": check the client id and that "
				   "the redirect URI (http://localhost for Microsoft, else "
				   "http://127.0.0.1) is registered for the app" : "");
	if (p->code == NULL || p->code[0] == '\0')
		return oa2_err_set(err, OA2_ERR_MISSING,
				   "the answer at the redirect address carries no authorization code");
	return OA2_OK;
}

void redirect_params_clear(struct redirect_params *p)
{
	oa2_secret_free_str(p->code);
	free(p->state);
	memset(p, 0, sizeof(*p));
}

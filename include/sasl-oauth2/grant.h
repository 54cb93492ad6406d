/*
 * How a token file's access token is renewed: one small table entry per
 * grant kind, which the token store asks instead of knowing the grants.
 *
 *   refresh_token       RFC 6749 section 6: the file's refresh token (a user
 *                       signed in once through a browser).
 *   client_credentials  RFC 6749 section 4.4, app-only: the client proves
 *                       itself with a secret read from client_secret_file,
 *                       or with a JWT assertion (RFC 7523 private_key_jwt)
 *                       signed by private_key_file for certificate_file.
 *   jwt_bearer          RFC 7523 section 2.1: an assertion signed with the
 *                       key in service_account_file (Google's JSON key)
 *                       whose "sub" is the mailbox (domain-wide delegation).
 *
 * Credential files are opened when a token is renewed, never copied into
 * the token file, and must not be readable by group or others. Inside
 * Postfix's chroot their paths are resolved as token file paths are
 * (oa2_config_path_in_chroot with the config's chroot_dir).
 */
#ifndef SASL_OAUTH2_GRANT_H
#define SASL_OAUTH2_GRANT_H

#include "sasl-oauth2/config.h"
#include "sasl-oauth2/error.h"
#include "sasl-oauth2/http.h"
#include "sasl-oauth2/remedy.h"
#include "sasl-oauth2/token_endpoint.h"
#include "sasl-oauth2/token.h"

/* What a renewal works with; everything is borrowed. */
struct oa2_grant_ctx {
	const char *path;             /* the token file, as opened */
	const char *account;          /* names it in advice to the admin */
	const struct oa2_config *cfg;
	const struct oa2_token *tok;  /* the file's current contents */
	const struct oa2_http_opts *http;
	/* The client to send (client_route.h): the file's, or for a kind
	 * with config_client the configuration's when the rule allows it. */
	const char *client_id;
	const char *client_secret;
};

struct oa2_grant_kind {
	const char *name;       /* the token file's "grant" value */
	const char *title;      /* "client credentials grant", for messages */
	/* NULL when tok (with the config's defaults) holds what renewing
	 * needs, else the missing member(s) in words ("\"refresh_token\""). */
	const char *(*missing)(const struct oa2_token *tok, const struct oa2_config *cfg);
	/* Asks the token endpoint for a new access token. Errors as
	 * oa2_token_endpoint_post; credential file problems are OA2_ERR_CONFIG or
	 * OA2_ERR_UNSAFE, naming the file and the fix. */
	int (*renew)(const struct oa2_grant_ctx *c, struct oa2_token_response *res,
		     struct oa2_err *err);
	/* What a refusal means for this grant, or NULL (then the generic
	 * oa2_token_error_explain applies): static words, or buf (n bytes)
	 * filled with words that name tok's own values. tok may be NULL. */
	const char *(*explain)(const struct oa2_token *tok, const char *error,
			       const char *description, char *buf, size_t n);
	/* What the admin does next, followed by the account (remedy.h). */
	enum oa2_remedy redo;
	/* Non-zero when a file without a client of its own may use the
	 * configuration's (client_route.h); the request then goes through the
	 * configuration's proxy and CA, never the file's. */
	int config_client;
};

/* The kind named `name`, or NULL for a name this build does not know.
 * NULL name means refresh_token (files of format version 1). */
const struct oa2_grant_kind *oa2_grant_kind_find(const char *name);

/* The kind that renews tok (its "grant" was checked when it was parsed). */
const struct oa2_grant_kind *oa2_grant_kind_of(const struct oa2_token *tok);

/* "refresh_token, client_credentials, jwt_bearer", for messages. */
const char *oa2_grant_kind_names(void);

/* Non-zero when tok has what its grant needs to be renewed. */
int oa2_grant_can_renew(const struct oa2_token *tok, const struct oa2_config *cfg);

/* OA2_OK when tok has what its grant needs to be renewed, else
 * OA2_ERR_NOREFRESH with err naming what the file at path lacks and the
 * command (for account) that sets it up. */
int oa2_grant_check(const char *path, const char *account, const struct oa2_config *cfg,
		    const struct oa2_token *tok, struct oa2_err *err);

/*
 * Renews the token file's access token with its grant: OA2_ERR_NOREFRESH
 * when the file lacks what the grant needs, OA2_ERR_CONFIG when no CA
 * bundle could be read, else the kind's renew. The client, proxy and CA
 * follow the config-client rule (client_route.h). On OA2_ERR_DENIED err names
 * the endpoint, the server's error, what it means and how to fix it.
 */
int oa2_grant_renew(const char *path, const char *account, const struct oa2_config *cfg,
		    const struct oa2_token *tok, struct oa2_token_response *res,
		    struct oa2_err *err);

/* The explanation for a refusal of tok's grant (tok may be NULL): the
 * kind's own words first, then oa2_token_error_explain. Static or buf (n
 * bytes, OA2_GRANT_EXPLAIN_MAX is enough); may be NULL. */
#define OA2_GRANT_EXPLAIN_MAX 512
const char *oa2_grant_explain(const struct oa2_grant_kind *k, const struct oa2_token *tok,
			      const char *error, const char *description, char *buf, size_t n);

/* A private_key_jwt client assertion (RFC 7523 section 2.2), signed with
 * alg (RS256 or PS256; NULL: RS256), for client_id
 * and audience (the token endpoint), signed with the key in key_path for
 * the certificate in cert_path; both are checked first (key matches the
 * certificate, certificate in its validity period). *out owned
 * (oa2_secret_free_str). */
int oa2_grant_client_assertion(const char *alg, const char *client_id, const char *audience,
			       const char *key_path, const char *cert_path,
			       const char *chroot_dir, char **out, struct oa2_err *err);

/* The JWT bearer grant's assertion (RFC 7523 section 2.1, Google's service
 * account flow) for the key file at sa_path: iss = its client_email, sub =
 * user, scope, aud = audience, iat = now, exp = now + 3600. */
int oa2_grant_sa_assertion(const char *sa_path, const char *chroot_dir, const char *user,
			   const char *scope, const char *audience, char **out,
			   struct oa2_err *err);

struct oa2_refresh_request {
	const char *token_endpoint;
	const char *client_id;
	const char *client_secret; /* NULL for public clients */
	const char *refresh_token;
	const char *scope;         /* NULL: the grant's original scope */
};

/* Runs the refresh grant. RFC 6749 section 6; errors as
 * oa2_token_endpoint_post. */
int oa2_refresh_exchange(const struct oa2_refresh_request *rq, const struct oa2_http_opts *o,
			 const char *account, struct oa2_token_response *res,
			 struct oa2_err *err);

/* The kinds, defined one per file. */
extern const struct oa2_grant_kind oa2_grant_refresh_token;
extern const struct oa2_grant_kind oa2_grant_client_credentials;
extern const struct oa2_grant_kind oa2_grant_jwt_bearer;

#endif

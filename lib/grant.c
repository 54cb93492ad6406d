#include <stdio.h>
#include <string.h>

#include "sasl-oauth2/client_route.h"
#include "sasl-oauth2/grant.h"

static const struct oa2_grant_kind *const kinds[] = {
	&oa2_grant_refresh_token,
	&oa2_grant_client_credentials,
	&oa2_grant_jwt_bearer,
};

const struct oa2_grant_kind *oa2_grant_kind_find(const char *name)
{
	if (name == NULL)
		return &oa2_grant_refresh_token;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i]->name, name) == 0)
			return kinds[i];
	return NULL;
}

const struct oa2_grant_kind *oa2_grant_kind_of(const struct oa2_token *tok)
{
	const struct oa2_grant_kind *k = oa2_grant_kind_find(tok->grant);

	return k != NULL ? k : &oa2_grant_refresh_token;
}

const char *oa2_grant_kind_names(void)
{
	return OA2_TOKEN_GRANTS;
}

int oa2_grant_can_renew(const struct oa2_token *tok, const struct oa2_config *cfg)
{
	return oa2_grant_kind_of(tok)->missing(tok, cfg) == NULL;
}

const char *oa2_grant_explain(const struct oa2_grant_kind *k, const struct oa2_token *tok,
			      const char *error, const char *description, char *buf, size_t n)
{
	const char *words = k->explain != NULL ? k->explain(tok, error, description, buf, n)
					       : NULL;

	return words != NULL ? words : oa2_token_error_explain(error, description);
}

/* The refresh grant's refusal already reads right (token_endpoint.c); app-only
 * grants have no user to sign in again, so their refusal says what to fix. */
static void reword_denial(const struct oa2_grant_kind *k, const struct oa2_token *tok,
			  const char *account, const struct oa2_token_response *res,
			  struct oa2_err *err)
{
	char buf[OA2_GRANT_EXPLAIN_MAX];
	const char *words = oa2_grant_explain(k, tok, res->error, res->description, buf,
					      sizeof(buf));

	oa2_err_set(err, OA2_ERR_DENIED, "token endpoint %s refused the %s (HTTP %ld, %s: %s): "
		    "%s; after fixing it, check with: %s %s", tok->token_endpoint, k->title,
		    res->status,
		    res->error, res->description[0] ? res->description : "no description",
		    words != NULL ? words : "see the provider's description",
		    oa2_remedy_command(k->redo), account);
}

int oa2_grant_check(const char *path, const char *account, const struct oa2_config *cfg,
		    const struct oa2_token *tok, struct oa2_err *err)
{
	const struct oa2_grant_kind *k = oa2_grant_kind_of(tok);
	const char *missing = k->missing(tok, cfg);

	if (missing == NULL)
		return OA2_OK;
	return oa2_err_set(err, OA2_ERR_NOREFRESH, "token file %s cannot be renewed (%s): it has "
			   "no %s; set it up with: %s %s", path, k->name, missing,
			   oa2_remedy_command(k->redo), account);
}

int oa2_grant_renew(const char *path, const char *account, const struct oa2_config *cfg,
		    const struct oa2_token *tok, struct oa2_token_response *res,
		    struct oa2_err *err)
{
	const struct oa2_grant_kind *k = oa2_grant_kind_of(tok);
	struct oa2_file_client file;
	struct oa2_grant_ctx c;
	struct oa2_http_opts o;
	struct oa2_route route;
	int rc;

	memset(res, 0, sizeof(*res));
	rc = oa2_grant_check(path, account, cfg, tok, err);
	if (rc != OA2_OK)
		return rc;
	file.client_id = tok->client_id;
	file.client_secret = tok->client_secret;
	file.proxy = tok->proxy;
	file.ca_bundle_file = tok->ca_bundle_file;
	oa2_client_route(cfg, &file, tok->token_endpoint, k->config_client, &route, &o);
	if (o.ca_file == NULL && o.ca_blob == NULL)
		return oa2_err_set(err, OA2_ERR_CONFIG, "token file %s cannot be refreshed: %s",
				   path, cfg->ca_error);
	c.path = path;
	c.account = account;
	c.cfg = cfg;
	c.tok = tok;
	c.http = &o;
	c.client_id = route.client_id;
	c.client_secret = route.client_secret;
	rc = k->renew(&c, res, err);
	if (rc == OA2_ERR_DENIED && k != &oa2_grant_refresh_token && res->error[0] != '\0')
		reword_denial(k, tok, account, res, err);
	return rc;
}

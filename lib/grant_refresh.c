/* The refresh_token grant: what token files of format version 1 use. */
#include <stddef.h>

#include "sasl-oauth2/grant.h"
#include "sasl-oauth2/provider.h"

static const char *missing(const struct oa2_token *tok, const struct oa2_config *cfg)
{
	if (tok->refresh_token == NULL)
		return "\"refresh_token\"";
	if (tok->client_id == NULL && cfg->client_id == NULL)
		return "\"client_id\" and the config file sets none";
	if (tok->client_id == NULL && !oa2_config_client_may_use(cfg, tok->token_endpoint))
		return "\"client_id\" of its own, and its \"token_endpoint\" is not the config "
		       "file's, so the config's client is not sent there";
	if (tok->token_endpoint == NULL && cfg->token_endpoint == NULL)
		return "\"token_endpoint\" and the config file sets none";
	return NULL;
}

static int renew(const struct oa2_grant_ctx *c, struct oa2_refresh_result *res,
		 struct oa2_err *err)
{
	const struct oa2_token *t = c->tok;
	struct oa2_refresh_request rq = { 0 };

	rq.token_endpoint = t->token_endpoint ? t->token_endpoint : c->cfg->token_endpoint;
	/* The config's client (and its secret) goes only to the config's own
	 * endpoint or a built-in provider's, never to one a file names. */
	if (t->client_id != NULL) {
		rq.client_id = t->client_id;
		rq.client_secret = t->client_secret;
	} else if (oa2_config_client_may_use(c->cfg, t->token_endpoint)) {
		rq.client_id = c->cfg->client_id;
		rq.client_secret = c->cfg->client_secret;
	}
	rq.refresh_token = t->refresh_token;
	rq.scope = NULL; /* the grant keeps the scope it was issued with */
	return oa2_refresh_exchange(&rq, c->http, c->account, res, err);
}

const struct oa2_grant_kind oa2_grant_refresh_token = {
	.name = "refresh_token",
	.title = "refresh",
	.missing = missing,
	.renew = renew,
	.explain = NULL,
	.redo = "sasl-oauth2 authorize",
};

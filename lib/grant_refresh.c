/* The refresh_token grant: what token files of format version 1 use. */
#include <stddef.h>

#include "sasl-oauth2/grant.h"

static const char *missing(const struct oa2_token *tok, const struct oa2_config *cfg)
{
	if (tok->refresh_token == NULL)
		return "\"refresh_token\"";
	if (tok->client_id == NULL && cfg->client_id == NULL)
		return "\"client_id\" and the config file sets none";
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
	rq.client_id = t->client_id ? t->client_id : c->cfg->client_id;
	/* The config's secret belongs to the config's client only. */
	rq.client_secret = t->client_secret ? t->client_secret :
			   (t->client_id == NULL ? c->cfg->client_secret : NULL);
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

/* The refresh_token grant: what token files of format version 1 use. */
#include <stddef.h>

#include "sasl-oauth2/buf.h"
#include "sasl-oauth2/client_route.h"
#include "sasl-oauth2/grant.h"

int oa2_refresh_exchange(const struct oa2_refresh_request *rq, const struct oa2_http_opts *o,
			 const char *account, struct oa2_token_response *res,
			 struct oa2_err *err)
{
	struct oa2_buf form;

	oa2_buf_init(&form, 4 * OA2_ACCESS_TOKEN_MAX);
	oa2_form_add(&form, "grant_type", "refresh_token");
	oa2_form_add(&form, "refresh_token", rq->refresh_token);
	if (rq->scope != NULL)
		oa2_form_add(&form, "scope", rq->scope);
	return oa2_token_endpoint_post(rq->token_endpoint, &form, rq->client_id,
				       rq->client_secret, o, account, res, err);
}

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

static int renew(const struct oa2_grant_ctx *c, struct oa2_token_response *res,
		 struct oa2_err *err)
{
	const struct oa2_token *t = c->tok;
	struct oa2_refresh_request rq = { 0 };

	rq.token_endpoint = t->token_endpoint ? t->token_endpoint : c->cfg->token_endpoint;
	/* The file's client, or the config's where the rule lets it go
	 * (client_route.h): chosen, with the way it travels, by grant.c. */
	rq.client_id = c->client_id;
	rq.client_secret = c->client_secret;
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
	.redo = OA2_REMEDY_AUTHORIZE,
	.config_client = 1,
};

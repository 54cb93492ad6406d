#include <stdlib.h>
#include <string.h>

#include "credentials.h"
#include "plugin_log.h"
#include "sasl-oauth2/secret.h"
#include "sasl-oauth2/token.h"

/* What asking for one value came to. */
enum answer { GOT, PROMPT, ABSENT };

static const sasl_interact_t *find_reply(const sasl_interact_t *replies, unsigned long id)
{
	for (; replies != NULL && replies->id != SASL_CB_LIST_END; replies++)
		if (replies->id == id)
			return replies;
	return NULL;
}

static char *dup_value(const char *s, size_t len)
{
	return s != NULL ? oa2_secret_strndup(s, len) : NULL;
}

/* AUTHNAME and USER: a prompt reply, else a callback, else a prompt. */
static enum answer ask_simple(sasl_client_params_t *params, const sasl_interact_t *replies,
			      unsigned long id, char **out)
{
	const sasl_interact_t *r = find_reply(replies, id);
	sasl_getsimple_t *proc = NULL;
	void *ctx = NULL;
	const char *val = NULL;
	unsigned len = 0;
	int rc;

	if (r != NULL && r->result != NULL) {
		*out = dup_value(r->result, r->len);
		return *out != NULL ? GOT : ABSENT;
	}
	rc = params->utils->getcallback(params->utils->conn, id,
					(sasl_callback_ft *)&proc, &ctx);
	if (rc == SASL_INTERACT)
		return PROMPT;
	if (rc != SASL_OK || proc == NULL)
		return ABSENT;
	if (proc(ctx, (int)id, &val, &len) != SASL_OK || val == NULL)
		return ABSENT;
	*out = dup_value(val, len ? len : strlen(val));
	return *out != NULL ? GOT : ABSENT;
}

static enum answer ask_secret(sasl_client_params_t *params, const sasl_interact_t *replies,
			      char **out)
{
	const sasl_interact_t *r = find_reply(replies, SASL_CB_PASS);
	sasl_getsecret_t *proc = NULL;
	sasl_secret_t *secret = NULL;
	void *ctx = NULL;
	int rc;

	if (r != NULL && r->result != NULL) {
		*out = dup_value(r->result, r->len);
		return *out != NULL ? GOT : ABSENT;
	}
	rc = params->utils->getcallback(params->utils->conn, SASL_CB_PASS,
					(sasl_callback_ft *)&proc, &ctx);
	if (rc == SASL_INTERACT)
		return PROMPT;
	if (rc != SASL_OK || proc == NULL)
		return ABSENT;
	if (proc(params->utils->conn, ctx, SASL_CB_PASS, &secret) != SASL_OK || secret == NULL)
		return ABSENT;
	*out = dup_value((const char *)secret->data, secret->len);
	return *out != NULL ? GOT : ABSENT;
}

static void add_prompt(sasl_interact_t *p, unsigned long id, const char *prompt,
		       const char *defresult)
{
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->challenge = NULL;
	p->prompt = prompt;
	p->defresult = defresult;
}

static int make_prompts(sasl_client_params_t *params, sasl_interact_t **prompt_need,
			int want_authid, int want_authzid, int want_secret)
{
	int n = want_authid + want_authzid + want_secret, i = 0;
	sasl_interact_t *p = params->utils->malloc(sizeof(*p) * (size_t)(n + 1));

	if (p == NULL)
		return SASL_NOMEM;
	if (want_authzid)
		add_prompt(&p[i++], SASL_CB_USER, "Authorization name (empty for none)", NULL);
	if (want_authid)
		add_prompt(&p[i++], SASL_CB_AUTHNAME, "Authentication name (e-mail address)", NULL);
	if (want_secret)
		add_prompt(&p[i++], SASL_CB_PASS,
			   "OAuth 2.0 access token, or the absolute path of a token file", NULL);
	add_prompt(&p[i], SASL_CB_LIST_END, NULL, NULL);
	*prompt_need = p;
	return SASL_INTERACT;
}

int oa2p_creds_get(sasl_client_params_t *params, sasl_interact_t **prompt_need,
		   const char *mech, struct oa2p_creds *c)
{
	const sasl_utils_t *u = params->utils;
	sasl_interact_t *replies = prompt_need != NULL ? *prompt_need : NULL;
	enum answer a_authid, a_authzid, a_secret;

	memset(c, 0, sizeof(*c));
	a_authzid = ask_simple(params, replies, SASL_CB_USER, &c->authzid);
	a_authid = ask_simple(params, replies, SASL_CB_AUTHNAME, &c->authid);
	a_secret = ask_secret(params, replies, &c->secret);
	if (replies != NULL) {
		u->free(replies);
		*prompt_need = NULL;
	}

	if (a_authid == PROMPT || a_authzid == PROMPT || a_secret == PROMPT) {
		oa2p_creds_clear(c);
		if (prompt_need == NULL)
			return oa2p_fail(u, SASL_BADPARAM,
					 "sasl-oauth2 %s: the application wants prompts for the "
					 "user name or token but cannot answer them; give them "
					 "through callbacks", mech);
		return make_prompts(params, prompt_need, a_authid == PROMPT,
				    a_authzid == PROMPT, a_secret == PROMPT);
	}

	if (c->authzid != NULL && c->authzid[0] == '\0') {
		free(c->authzid);
		c->authzid = NULL;
	}
	if (c->authid != NULL && c->authid[0] == '\0') {
		free(c->authid);
		c->authid = NULL;
	}
	if (c->secret == NULL || c->secret[0] == '\0') {
		oa2p_creds_clear(c);
		return oa2p_fail(u, SASL_BADPARAM,
				 "sasl-oauth2 %s: no token given: set the password to the "
				 "access token or to the absolute path of a token file", mech);
	}
	return SASL_OK;
}

void oa2p_creds_clear(struct oa2p_creds *c)
{
	free(c->authid);
	free(c->authzid);
	oa2_secret_free_str(c->secret);
	memset(c, 0, sizeof(*c));
}

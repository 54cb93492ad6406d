/*
 * The user name and secret an application hands a client mechanism.
 *
 * Two styles exist and both must work: function callbacks with no prompts
 * (Postfix registers LOG, USER, AUTHNAME, PASS and passes prompt_need NULL),
 * and callbacks listed without a function, answered through SASL_INTERACT
 * prompts (imtest, smtptest).
 */
#ifndef SASL_OAUTH2_PLUGIN_CREDENTIALS_H
#define SASL_OAUTH2_PLUGIN_CREDENTIALS_H

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

struct oa2p_creds {
	char *authid;  /* owned; the authentication name */
	char *authzid; /* owned; NULL when none was given */
	char *secret;  /* owned, secret: a bearer token or a token file path */
};

/* Collects the credentials. Returns SASL_OK with *c filled (release with
 * oa2p_creds_clear); SASL_INTERACT with *prompt_need set to prompts the
 * application must answer before calling the step again; or an error, with
 * the reason logged. `mech` names the mechanism in messages. */
int oa2p_creds_get(sasl_client_params_t *params, sasl_interact_t **prompt_need,
		   const char *mech, struct oa2p_creds *c);

void oa2p_creds_clear(struct oa2p_creds *c);

#endif

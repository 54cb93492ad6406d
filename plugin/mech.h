/*
 * The client mechanisms. XOAUTH2 and OAUTHBEARER share everything but the
 * bytes of the initial response and of the reply to a server's error
 * challenge; each mechanism file supplies just those through struct
 * oa2p_mech, and mech_common.c runs the exchange for both.
 */
#ifndef SASL_OAUTH2_PLUGIN_MECH_H
#define SASL_OAUTH2_PLUGIN_MECH_H

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include "sasl-oauth2/buf.h"
#include "sasl-oauth2/config.h"
#include "sasl-oauth2/token_cache.h"

/* What the initial response is built from. Strings are NUL-terminated and
 * already checked for length and control characters. */
struct oa2p_login {
	const char *user;    /* the mailbox the token is for */
	const char *authzid; /* authorization identity, NULL when none */
	const char *host;    /* server name given to sasl_client_new, or NULL */
	const char *port;    /* server port from ipremoteport, or NULL */
	const char *token;   /* the bearer token (secret) */
};

struct oa2p_mech {
	const char *name;
	/* Appends the initial response to out (a bounded buffer; the caller
	 * checks oa2_buf_failed). */
	void (*initial_response)(const struct oa2p_login *l, struct oa2_buf *out);
	/* The reply the mechanism's spec requires after an error challenge. */
	const char *error_reply;
	unsigned error_reply_len;
};

extern const struct oa2p_mech oa2p_xoauth2;
extern const struct oa2p_mech oa2p_oauthbearer;

/* Per-process state shared by both mechanisms (sasl_client_plug_t's
 * glob_context points at one oa2p_entry per mechanism). */
struct oa2p_global {
	struct oa2_token_cache *cache;
	struct oa2_config config;  /* read at plugin init, before any chroot */
	int config_rc;             /* OA2_OK, or why config is only defaults */
	struct oa2_err config_err;
	int refs; /* one per mechanism entry; freed when the last goes */
};

/* Builds and frees the shared state (plugin.c). */
struct oa2p_global *oa2p_global_new(const sasl_utils_t *utils);
void oa2p_global_free(struct oa2p_global *g);

struct oa2p_entry {
	const struct oa2p_mech *mech;
	struct oa2p_global *global;
};

/* The sasl_client_plug_t callbacks, common to both mechanisms. */
int oa2p_mech_new(void *glob_context, sasl_client_params_t *params, void **conn_context);
int oa2p_mech_step(void *conn_context, sasl_client_params_t *params,
		   const char *serverin, unsigned serverinlen,
		   sasl_interact_t **prompt_need, const char **clientout,
		   unsigned *clientoutlen, sasl_out_params_t *oparams);
void oa2p_mech_dispose(void *conn_context, const sasl_utils_t *utils);
void oa2p_mech_free(void *glob_context, const sasl_utils_t *utils);

#endif

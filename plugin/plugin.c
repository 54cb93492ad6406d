/* The plugin's entry point and its table of mechanisms. */
#include <stdlib.h>

#include "mech.h"
#include "plugin_log.h"

/*
 * Security flags. A bearer token is a replayable credential sent as is, so
 * it is no stronger than a password on the wire. But libsasl2 only offers a
 * mechanism whose flags include everything the application asked for, and
 * Postfix's default smtp_sasl_security_options is "noplaintext,
 * noanonymous": without NOPLAINTEXT the mechanisms are filtered out ("No
 * worthy mechs found"). NOPLAINTEXT is defensible: the token is short-lived,
 * scoped to mail and revocable, unlike the account's password, and the
 * providers accept it over TLS only. NOANONYMOUS holds: a token names a user.
 * max_ssf is 0: there is no security layer.
 */
#define OA2P_SEC_FLAGS (SASL_SEC_NOPLAINTEXT | SASL_SEC_NOANONYMOUS)

static struct oa2p_entry entries[2] = {
	{ &oa2p_xoauth2, NULL },
	{ &oa2p_oauthbearer, NULL },
};

static sasl_client_plug_t plugs[2] = {
	{
		.mech_name = "XOAUTH2",
		.max_ssf = 0,
		.security_flags = OA2P_SEC_FLAGS,
		.features = SASL_FEAT_WANT_CLIENT_FIRST,
		.glob_context = &entries[0],
		.mech_new = oa2p_mech_new,
		.mech_step = oa2p_mech_step,
		.mech_dispose = oa2p_mech_dispose,
		.mech_free = oa2p_mech_free,
	},
	{
		.mech_name = "OAUTHBEARER",
		.max_ssf = 0,
		.security_flags = OA2P_SEC_FLAGS,
		/* a= carries an authorization identity distinct from the token's */
		.features = SASL_FEAT_WANT_CLIENT_FIRST | SASL_FEAT_ALLOWS_PROXY,
		.glob_context = &entries[1],
		.mech_new = oa2p_mech_new,
		.mech_step = oa2p_mech_step,
		.mech_dispose = oa2p_mech_dispose,
		.mech_free = oa2p_mech_free,
	},
};

__attribute__((visibility("default")))
int sasl_client_plug_init(const sasl_utils_t *utils, int max_version, int *out_version,
			  sasl_client_plug_t **pluglist, int *plugcount);

int sasl_client_plug_init(const sasl_utils_t *utils, int max_version, int *out_version,
			  sasl_client_plug_t **pluglist, int *plugcount)
{
	struct oa2p_global *g;

	if (max_version < SASL_CLIENT_PLUG_VERSION) {
		oa2p_log(utils, SASL_LOG_ERR, "sasl-oauth2: libsasl2 is too old "
			 "(client plugin version %d, need %d)", max_version,
			 SASL_CLIENT_PLUG_VERSION);
		return SASL_BADVERS;
	}
	/* Runs before Postfix chroots: anything read from disk once per
	 * process belongs here. */
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return SASL_NOMEM;
	g->cache = oa2_token_cache_new();
	if (g->cache == NULL) {
		free(g);
		return SASL_NOMEM;
	}
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		if (entries[i].global != NULL && --entries[i].global->refs == 0) {
			oa2_token_cache_free(entries[i].global->cache);
			free(entries[i].global);
		}
		entries[i].global = g;
		g->refs++;
	}
	*out_version = SASL_CLIENT_PLUG_VERSION;
	*pluglist = plugs;
	*plugcount = (int)(sizeof(plugs) / sizeof(plugs[0]));
	return SASL_OK;
}

/* The plugin's entry point and its table of mechanisms. */
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include <curl/curl.h>

#include "sasl-oauth2/http_curl.h"
#include "mech.h"
#include "plugin_log.h"

/*
 * Security flags: honest ones. A bearer token is sent as it is and can be
 * replayed by whoever sees it, so it is plaintext in libsasl2's sense: no
 * NOPLAINTEXT. Claiming it would also rank these mechanisms above PLAIN and
 * LOGIN for every libsasl2 client on the machine (lib/client.c
 * mech_compare), which would then send ordinary passwords as bearer tokens,
 * and would let Postfix's default "noplaintext" send tokens without TLS.
 * Postfix keeps tokens on TLS with smtp_sasl_tls_security_options =
 * noanonymous while smtp_sasl_security_options keeps its default.
 * NOANONYMOUS holds: a token names a user. max_ssf is 0: there is no
 * security layer.
 */
#define OA2P_SEC_FLAGS SASL_SEC_NOANONYMOUS

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

/* libcurl's init opens $SSLKEYLOGFILE (plain getenv) for appending the TLS
 * keys of every later connection. In a set-id program that name is the
 * caller's choice, and the file would be created and written with the
 * program's privileges: libcurl must not see it. The host's environment is
 * given back as it was once libcurl is set up (lib/http.c covers a libcurl
 * the host started before). */
static CURLcode curl_init(void)
{
	const char *keylog = getauxval(AT_SECURE) ? getenv("SSLKEYLOGFILE") : NULL;
	char *saved = keylog != NULL ? strdup(keylog) : NULL;
	CURLcode cc;

	if (keylog != NULL && saved == NULL)
		return CURLE_OUT_OF_MEMORY;
	if (saved != NULL)
		unsetenv("SSLKEYLOGFILE");
	cc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (saved != NULL) {
		setenv("SSLKEYLOGFILE", saved, 0);
		free(saved);
	}
	return cc;
}

/* Runs before Postfix chroots: the config file, the CA bundle and libcurl's
 * own setup (which may read files) happen here, once per process. A bad
 * config does not fail the load, which libsasl2 would report only as "No
 * worthy mechs found": each authentication reports it instead. */
struct oa2p_global *oa2p_global_new(const sasl_utils_t *utils)
{
	struct oa2p_global *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->cache = oa2_token_cache_new();
	if (g->cache == NULL || curl_init() != CURLE_OK) {
		oa2_token_cache_free(g->cache);
		free(g);
		return NULL;
	}
	g->config_rc = oa2_config_load(NULL, &g->config, &g->config_err);
	/* Linked, not loaded later: a renewal may run after the host chrooted. */
	g->config.transport = &oa2_http_linked;
	if (g->config_rc != OA2_OK)
		oa2p_log(utils, SASL_LOG_WARN, "sasl-oauth2: %s", g->config_err.msg);
	return g;
}

void oa2p_global_free(struct oa2p_global *g)
{
	oa2_token_cache_free(g->cache);
	oa2_config_clear(&g->config);
	curl_global_cleanup();
	free(g);
}

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
	g = oa2p_global_new(utils);
	if (g == NULL)
		return SASL_NOMEM;
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		if (entries[i].global != NULL && --entries[i].global->refs == 0)
			oa2p_global_free(entries[i].global);
		entries[i].global = g;
		g->refs++;
	}
	*out_version = SASL_CLIENT_PLUG_VERSION;
	*pluglist = plugs;
	*plugcount = (int)(sizeof(plugs) / sizeof(plugs[0]));
	return SASL_OK;
}

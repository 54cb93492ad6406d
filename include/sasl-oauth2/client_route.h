/*
 * The config-client rule: which client a request to an endpoint that a
 * token file names carries, and which way (proxy, CA) it travels.
 *
 * A token file is written by whoever can write its directory (postfix, a
 * user), the configuration by root. The configuration's client_id and
 * client_secret go only to the configuration's own token endpoint (same
 * https origin) or a built-in provider's (oa2_config_client_may_use), and
 * then whole: through the configuration's proxy, checked against the
 * configuration's CA bundle. The file's own "proxy" and "ca_bundle_file"
 * apply only to requests that carry the file's own client (or none), so a
 * file cannot route the configuration's secret through a proxy and a CA it
 * chose.
 */
#ifndef SASL_OAUTH2_CLIENT_ROUTE_H
#define SASL_OAUTH2_CLIENT_ROUTE_H

#include "sasl-oauth2/config.h"
#include "sasl-oauth2/http.h"

/* What the token file says; borrowed, each NULL when absent. */
struct oa2_file_client {
	const char *client_id;
	const char *client_secret;
	const char *proxy;
	const char *ca_bundle_file;
};

/* What the request carries; borrowed from the file or the configuration. */
struct oa2_route {
	const char *client_id;      /* NULL: none */
	const char *client_secret;  /* NULL: none */
	int config_client;          /* non-zero: they are the configuration's */
};

/*
 * Decides for a request to endpoint (the one the file names; NULL: the
 * configuration's own is used). The file's client when it has one; else,
 * when may_use_config and the rule allows it, the configuration's; else
 * none. Fills *ho: the configuration's timeouts, and the configuration's
 * proxy and CA bundle when the configuration's client is sent, else the
 * file's (falling back to the configuration's).
 */
/* Non-zero when the config file's default client (client_id,
 * client_secret) may be sent to endpoint, a token or revocation endpoint
 * that a token file names: NULL (the config's own endpoint is used), the
 * same https origin as the config's token_endpoint, or a built-in
 * provider's (Microsoft's login hosts, Google's token host: cloud.h).
 * A file naming any other endpoint must carry its own client_id. */
int oa2_config_client_may_use(const struct oa2_config *cfg, const char *endpoint);

void oa2_client_route(const struct oa2_config *cfg, const struct oa2_file_client *file,
		      const char *endpoint, int may_use_config, struct oa2_route *r,
		      struct oa2_http_opts *ho);

#endif

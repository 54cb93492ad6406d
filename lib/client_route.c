#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sasl-oauth2/client_route.h"
#include "sasl-oauth2/cloud.h"

/* "https://host[:port]/" of url: its length, or 0 when url is not https. */
static size_t origin_len(const char *url)
{
	const char *host, *slash;

	if (url == NULL || strncmp(url, "https://", 8) != 0)
		return 0;
	host = url + 8;
	slash = strchr(host, '/');
	return slash != NULL ? (size_t)(slash - url) + 1 : strlen(url);
}

static int same_origin(const char *a, const char *b)
{
	size_t n = origin_len(a);

	return n > 0 && n == origin_len(b) && strncasecmp(a, b, n) == 0;
}

int oa2_config_client_may_use(const struct oa2_config *cfg, const char *endpoint)
{
	const struct oa2_cloud *c;
	char base[128];

	if (endpoint == NULL)
		return 1; /* the config's own token_endpoint is what is used */
	if (cfg->token_endpoint != NULL && same_origin(endpoint, cfg->token_endpoint))
		return 1;
	for (size_t i = 0; (c = oa2_cloud_at(i)) != NULL; i++) {
		snprintf(base, sizeof(base), "https://%s/", c->login);
		if (same_origin(endpoint, base))
			return 1;
	}
	return same_origin(endpoint, "https://" OA2_GOOGLE_TOKEN_HOST "/");
}

void oa2_client_route(const struct oa2_config *cfg, const struct oa2_file_client *file,
		      const char *endpoint, int may_use_config, struct oa2_route *r,
		      struct oa2_http_opts *ho)
{
	memset(r, 0, sizeof(*r));
	if (file->client_id != NULL) {
		r->client_id = file->client_id;
		r->client_secret = file->client_secret;
	} else if (may_use_config && (cfg->client_id != NULL || cfg->client_secret != NULL) &&
		   oa2_config_client_may_use(cfg, endpoint)) {
		r->client_id = cfg->client_id;
		r->client_secret = cfg->client_secret;
		r->config_client = 1;
	}
	memset(ho, 0, sizeof(*ho));
	ho->transport = cfg->transport;
	ho->connect_timeout = cfg->connect_timeout;
	ho->timeout = cfg->timeout;
	/* The configuration's client travels only the configuration's way. */
	ho->proxy = !r->config_client && file->proxy != NULL ? file->proxy : cfg->proxy;
	if (!r->config_client && file->ca_bundle_file != NULL) {
		ho->ca_file = file->ca_bundle_file;
	} else {
		ho->ca_blob = cfg->ca_blob;
		ho->ca_blob_len = cfg->ca_blob_len;
	}
}

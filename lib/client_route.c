#include <string.h>

#include "sasl-oauth2/client_route.h"
#include "sasl-oauth2/provider.h"

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

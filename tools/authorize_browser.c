/* The browser flow: RFC 8252 loopback redirect with PKCE (RFC 7636). */
#include <stdio.h>
#include <string.h>

#include "sasl-oauth2/secret.h"

#include "authorize.h"
#include "browser_open.h"
#include "redirect_listener.h"

int authorize_browser(const struct authorize *a, struct oa2_token_response *res,
		      struct oa2_err *err)
{
	struct redirect_listener l;
	struct authorize_request r;
	char prog[256], took[32];
	char *code = NULL;
	int client = -1, rc;

	rc = redirect_listen(&l, a->prov->redirect_host, a->port >= 0 ? a->port : 0, err);
	if (rc != OA2_OK)
		return rc;
	rc = authorize_request_init(a, l.port, &r, err);
	if (rc != OA2_OK) {
		redirect_close(&l);
		return rc;
	}
	if (!a->no_open && browser_available() && browser_open(r.url.data, prog, sizeof(prog)) == 0)
		authorize_note("Opening the sign-in page with %s. If no browser window opens, "
			       "open this URL:", prog);
	else
		authorize_note("Open this URL in a browser on this computer and sign in:");
	authorize_note("  %s", r.url.data);
	cli_format_duration(a->timeout, took, sizeof(took));
	authorize_note("Waiting up to %s for the browser to come back to %s ...", took,
		       r.redirect_uri);

	rc = redirect_wait(&l, r.state, a->timeout, &client, &code, err);
	if (rc == OA2_OK) {
		authorize_note("Signed in; fetching the tokens from %s ...", a->prov->token_endpoint);
		rc = authorize_exchange(a, &r, code, res, err);
		if (rc == OA2_OK)
			redirect_reply(client, 200, "Signed in",
				       "sasl-oauth2 has the tokens. You can close this window.");
		else
			redirect_reply(client, 400, "Sign-in failed", err->msg);
	}
	oa2_secret_free_str(code);
	authorize_request_clear(&r);
	return rc;
}

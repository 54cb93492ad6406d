/* OAUTHBEARER, RFC 7628. */
#include "mech.h"
#include "sasl-oauth2/sasl_response.h"

/* host= and port= go only where the application told us them (RFC 7628
 * 3.1); the builder leaves NULLs out. */
static void oauthbearer_initial_response(const struct oa2p_login *l, struct oa2_buf *out)
{
	oa2_oauthbearer_response(out, l->authzid, l->host, l->port, l->token);
}

/* RFC 7628 3.2.3: after an error challenge the client MUST send a single
 * 0x01, and the server then fails the exchange. */
const struct oa2p_mech oa2p_oauthbearer = {
	.name = "OAUTHBEARER",
	.initial_response = oauthbearer_initial_response,
	.error_reply = "\001",
	.error_reply_len = 1,
};

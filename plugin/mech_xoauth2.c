/* XOAUTH2, as Google and Microsoft document it. */
#include "mech.h"
#include "sasl-oauth2/sasl_response.h"

static void xoauth2_initial_response(const struct oa2p_login *l, struct oa2_buf *out)
{
	oa2_xoauth2_response(out, l->user, l->token);
}

/* After an error challenge the client sends an empty response and the
 * server then fails the exchange. */
const struct oa2p_mech oa2p_xoauth2 = {
	.name = "XOAUTH2",
	.initial_response = xoauth2_initial_response,
	.error_reply = "",
	.error_reply_len = 0,
};

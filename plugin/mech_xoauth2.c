/* XOAUTH2, as Google and Microsoft document it. */
#include "mech.h"

static void xoauth2_initial_response(const struct oa2p_login *l, struct oa2_buf *out)
{
	/* user=U ^A auth=Bearer T ^A ^A */
	oa2_buf_puts(out, "user=");
	oa2_buf_puts(out, l->user);
	oa2_buf_puts(out, "\001auth=Bearer ");
	oa2_buf_puts(out, l->token);
	oa2_buf_puts(out, "\001\001");
}

/* After an error challenge the client sends an empty response and the
 * server then fails the exchange. */
const struct oa2p_mech oa2p_xoauth2 = {
	.name = "XOAUTH2",
	.initial_response = xoauth2_initial_response,
	.error_reply = "",
	.error_reply_len = 0,
};

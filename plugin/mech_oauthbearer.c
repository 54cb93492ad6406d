/* OAUTHBEARER, RFC 7628. */
#include "mech.h"

/* RFC 5801 saslname: ',' and '=' are escaped as =2C and =3D. */
static void put_saslname(struct oa2_buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == ',')
			oa2_buf_puts(out, "=2C");
		else if (*s == '=')
			oa2_buf_puts(out, "=3D");
		else
			oa2_buf_putc(out, *s);
	}
}

static void oauthbearer_initial_response(const struct oa2p_login *l, struct oa2_buf *out)
{
	/* gs2 header "n,a=U," then ^A-separated key=value pairs; host and port
	 * are sent only when the application told us them (RFC 7628 3.1). */
	oa2_buf_puts(out, "n,");
	if (l->authzid != NULL) {
		oa2_buf_puts(out, "a=");
		put_saslname(out, l->authzid);
	}
	oa2_buf_puts(out, ",\001");
	if (l->host != NULL) {
		oa2_buf_puts(out, "host=");
		oa2_buf_puts(out, l->host);
		oa2_buf_putc(out, '\001');
	}
	if (l->port != NULL) {
		oa2_buf_puts(out, "port=");
		oa2_buf_puts(out, l->port);
		oa2_buf_putc(out, '\001');
	}
	oa2_buf_puts(out, "auth=Bearer ");
	oa2_buf_puts(out, l->token);
	oa2_buf_puts(out, "\001\001");
}

/* RFC 7628 3.2.3: after an error challenge the client MUST send a single
 * 0x01, and the server then fails the exchange. */
const struct oa2p_mech oa2p_oauthbearer = {
	.name = "OAUTHBEARER",
	.initial_response = oauthbearer_initial_response,
	.error_reply = "\001",
	.error_reply_len = 1,
};

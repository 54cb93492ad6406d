/* The IMAP side of `sasl-oauth2 test` (RFC 9051/3501, SASL-IR RFC 4959). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mailtest.h"


/* Case-insensitive word prefix test: "a1 OK ..." starts with "A1 ". */
static int starts(const char *line, const char *word)
{
	size_t n = strlen(word);
	return strncasecmp(line, word, n) == 0 && (line[n] == ' ' || line[n] == '\0');
}

static void note_caps(struct mail_imap *s, const char *list)
{
	size_t n;

	snprintf(s->caps, sizeof(s->caps), " %s ", list);
	n = strlen(s->caps);
	for (size_t i = 0; i < n; i++)
		if (s->caps[i] >= 'a' && s->caps[i] <= 'z')
			s->caps[i] = (char)(s->caps[i] - 'a' + 'A');
}

int mail_imap_has_cap(const struct mail_imap *s, const char *cap)
{
	char want[160];

	snprintf(want, sizeof(want), " %.150s ", cap);
	return strstr(s->caps, want) != NULL;
}

/* Reads up to the tagged answer of `tag`. *status: "OK", "NO", "BAD". The
 * tagged line's text goes to text. Untagged CAPABILITY lines are noted. */
static int answer(struct mail_imap *s, const char *tag, char *status, size_t sn, char *text,
		  size_t tn, struct oa2_err *err)
{
	size_t len;
	int rc;

	for (;;) {
		if ((rc = mailconn_read(s->c, &len, err)) != OA2_OK)
			return rc;
		if (starts(s->c->line, "*") && strncasecmp(s->c->line + 2, "CAPABILITY ", 11) == 0)
			note_caps(s, s->c->line + 13);
		if (starts(s->c->line, tag)) {
			const char *p = s->c->line + strlen(tag) + 1;
			size_t w = strcspn(p, " ");

			snprintf(status, sn, "%.*s", (int)(w < 8 ? w : 8), p);
			snprintf(text, tn, "%s", p[w] ? p + w + 1 : "");
			return OA2_OK;
		}
		if (starts(s->c->line, "*") && strncasecmp(s->c->line + 2, "BYE", 3) == 0)
			return oa2_err_set(err, OA2_ERR_NET, "the server closed the session: %s",
					   s->c->line);
	}
}

/* Sends "TAG command" and reads its answer. */
static int command(struct mail_imap *s, const char *cmd, char *status, size_t sn, char *text,
		   size_t tn, struct oa2_err *err)
{
	char line[512], tag[16];
	int rc;

	snprintf(tag, sizeof(tag), "A%d", ++s->tag);
	snprintf(line, sizeof(line), "%s %s", tag, cmd);
	if ((rc = mailconn_write(s->c, line, NULL, err)) != OA2_OK)
		return rc;
	return answer(s, tag, status, sn, text, tn, err);
}

static int capability(struct mail_imap *s, struct oa2_err *err)
{
	char status[16], text[512];
	int rc = command(s, "CAPABILITY", status, sizeof(status), text, sizeof(text), err);

	if (rc == OA2_OK && strcasecmp(status, "OK") != 0)
		rc = oa2_err_set(err, OA2_ERR_INVALID, "CAPABILITY failed: %s %s", status, text);
	return rc;
}

int mail_imap_auth(struct mail_imap *s, const struct mail_login *l, struct mail_result *r,
			struct oa2_err *err)
{
	struct oa2_buf b64;
	char line[128], shown[600], tag[16], status[16];
	size_t len;
	int rc, challenges = 0;

	snprintf(line, sizeof(line), "AUTH=%s", l->mech);
	if (!mail_imap_has_cap(s, line))
		mailconn_note(s->c, "the server does not advertise %s; trying anyway", line);
	oa2_buf_init(&b64, 64 * 1024);
	if ((rc = mail_sasl_response(l, &b64, err)) != OA2_OK)
		goto out;
	mail_sasl_shown(l, shown, sizeof(shown));
	snprintf(tag, sizeof(tag), "A%d", ++s->tag);
	if (mail_imap_has_cap(s, "SASL-IR")) {
		struct oa2_buf cmd;
		char shown_cmd[700];

		oa2_buf_init(&cmd, 64 * 1024 + 64);
		oa2_buf_puts(&cmd, tag);
		oa2_buf_puts(&cmd, " AUTHENTICATE ");
		oa2_buf_puts(&cmd, l->mech);
		oa2_buf_putc(&cmd, ' ');
		oa2_buf_put(&cmd, b64.data, b64.len);
		snprintf(shown_cmd, sizeof(shown_cmd), "%s AUTHENTICATE %s %s", tag, l->mech, shown);
		rc = oa2_buf_failed(&cmd) ? oa2_err_set(err, OA2_ERR_NOMEM, "out of memory")
					  : mailconn_write(s->c, cmd.data, shown_cmd, err);
		oa2_buf_clear(&cmd);
		if (rc != OA2_OK)
			goto out;
	} else {
		mailconn_note(s->c, "no SASL-IR: the response goes after the server's \"+\"");
		snprintf(line, sizeof(line), "%s AUTHENTICATE %s", tag, l->mech);
		if ((rc = mailconn_write(s->c, line, NULL, err)) != OA2_OK ||
		    (rc = mailconn_read(s->c, &len, err)) != OA2_OK)
			goto out;
		if (s->c->line[0] != '+') {
			snprintf(r->server_text, sizeof(r->server_text), "%s", s->c->line);
			goto out; /* refused before any token was sent */
		}
		if ((rc = mailconn_write(s->c, b64.data, shown, err)) != OA2_OK)
			goto out;
	}
	for (;;) {
		if ((rc = mailconn_read(s->c, &len, err)) != OA2_OK)
			goto out;
		if (s->c->line[0] == '+') {
			const char *reply;

			if (++challenges > 2) {
				/* A server that keeps asking: cancel (RFC 9051 6.2.2). */
				if ((rc = mailconn_write(s->c, "*", NULL, err)) != OA2_OK)
					goto out;
				continue;
			}
			reply = mail_sasl_error(s->c, l, s->c->line + (s->c->line[1] == ' ' ? 2 : 1), r);
			if ((rc = mailconn_write(s->c, reply, NULL, err)) != OA2_OK)
				goto out;
			continue;
		}
		if (starts(s->c->line, "*")) {
			if (strncasecmp(s->c->line + 2, "CAPABILITY ", 11) == 0)
				note_caps(s, s->c->line + 13);
			continue;
		}
		if (starts(s->c->line, tag))
			break;
	}
	{
		const char *p = s->c->line + strlen(tag) + 1;
		size_t w = strcspn(p, " ");

		snprintf(status, sizeof(status), "%.*s", (int)(w < 8 ? w : 8), p);
		r->authenticated = strcasecmp(status, "OK") == 0;
		snprintf(r->server_text, sizeof(r->server_text), "%s", p);
	}
out:
	oa2_buf_clear(&b64);
	return rc;
}

int mail_imap_start(struct mail_imap *s, struct mailconn *c, const struct mail_login *l,
		    struct oa2_err *err)
{
	char status[16], text[512];
	size_t len;
	int rc;

	memset(s, 0, sizeof(*s));
	s->c = c;
	if ((rc = mailconn_read(c, &len, err)) != OA2_OK)
		return rc;
	if (starts(c->line, "*") && strncasecmp(c->line + 2, "PREAUTH", 7) == 0)
		return oa2_err_set(err, OA2_ERR_INVALID, "the server logged us in before any "
				   "authentication (PREAUTH): nothing to test");
	if (!starts(c->line, "*") || strncasecmp(c->line + 2, "OK", 2) != 0)
		return oa2_err_set(err, OA2_ERR_NET, "unexpected IMAP greeting: %s", c->line);
	if ((rc = capability(s, err)) != OA2_OK)
		return rc;
	if (!l->starttls)
		return OA2_OK;
	if (!mail_imap_has_cap(s, "STARTTLS"))
		return oa2_err_set(err, OA2_ERR_UNSAFE, "the server does not offer STARTTLS; "
				   "refusing to go on without TLS (for TLS from the start "
				   "use port 993)");
	if ((rc = command(s, "STARTTLS", status, sizeof(status), text, sizeof(text),
			  err)) != OA2_OK)
		return rc;
	if (strcasecmp(status, "OK") != 0)
		return oa2_err_set(err, OA2_ERR_NET, "STARTTLS refused: %s %s", status, text);
	if ((rc = mailconn_tls(c, l->ca_file, l->ca_blob, l->ca_len, err)) != OA2_OK)
		return rc;
	s->caps[0] = '\0'; /* what was said in the clear does not count */
	return capability(s, err);
}

int mail_test_imap(struct mailconn *c, const struct mail_login *l, struct mail_result *r,
		   struct oa2_err *err)
{
	struct mail_imap s;
	char status[16], text[512];
	int rc;

	if ((rc = mail_imap_start(&s, c, l, err)) != OA2_OK)
		return rc;
	if ((rc = mail_imap_auth(&s, l, r, err)) != OA2_OK)
		return rc;
	if (r->authenticated) {
		/* Microsoft may accept a token issued for another mailbox and fail
		 * only at the first mailbox command: run one. */
		snprintf(r->after_cmd, sizeof(r->after_cmd), "EXAMINE INBOX");
		if ((rc = command(&s, "EXAMINE INBOX", status, sizeof(status), text, sizeof(text),
				  err)) != OA2_OK)
			return rc;
		r->after_ok = strcasecmp(status, "OK") == 0;
		if (!r->after_ok)
			snprintf(r->server_text, sizeof(r->server_text), "%.8s %.480s", status, text);
	}
	/* LOGOUT is a courtesy: its failure changes nothing. */
	if (command(&s, "LOGOUT", status, sizeof(status), text, sizeof(text), err) != OA2_OK)
		err->msg[0] = '\0';
	return OA2_OK;
}

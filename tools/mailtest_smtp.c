/* The SMTP side of `sasl-oauth2 test` (RFC 5321, 3207 STARTTLS, 4954 AUTH). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mailtest.h"
#include "sasl-oauth2/sasl_response.h"
#include "sasl-oauth2/token.h"


struct smtp {
	struct mailconn *c;
	char ext[2048];     /* "\nEXT1 ARGS\nEXT2\n": EHLO's lines, upper-cased */
	char helo[256];
};

/* Reads a (multi-line) reply. *code is its number; text the last line's
 * text. With collect, the lines after the first are EHLO extensions. */
static int reply(struct smtp *s, int *code, char *text, size_t tn, int collect,
		 struct oa2_err *err)
{
	size_t len, used = 1;
	int rc, first = 1;

	if (collect)
		snprintf(s->ext, sizeof(s->ext), "\n");
	for (;;) {
		const char *l;

		if ((rc = mailconn_read(s->c, &len, err)) != OA2_OK)
			return rc;
		l = s->c->line;
		if (len < 3 || l[0] < '2' || l[0] > '5' || l[1] < '0' || l[1] > '9' ||
		    l[2] < '0' || l[2] > '9' || (len > 3 && l[3] != ' ' && l[3] != '-'))
			return oa2_err_set(err, OA2_ERR_NET, "not an SMTP reply: %s", l);
		*code = atoi(l) > 0 ? (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0') : 0;
		snprintf(text, tn, "%s", len > 4 ? l + 4 : "");
		if (collect && !first && len > 4 && used + len < sizeof(s->ext)) {
			for (size_t i = 4; i < len; i++)
				s->ext[used++] = (l[i] >= 'a' && l[i] <= 'z') ? (char)(l[i] - 32) : l[i];
			s->ext[used++] = '\n';
			s->ext[used] = '\0';
		}
		first = 0;
		if (len == 3 || l[3] == ' ')
			return OA2_OK;
	}
}

static int command(struct smtp *s, const char *cmd, int *code, char *text, size_t tn,
		   int collect, struct oa2_err *err)
{
	int rc = mailconn_write(s->c, cmd, NULL, err);

	return rc != OA2_OK ? rc : reply(s, code, text, tn, collect, err);
}

/* The EHLO line of extension `word` ("AUTH", "STARTTLS"), or NULL. */
static const char *ext_line(const struct smtp *s, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = s->ext; (p = strchr(p, '\n')) != NULL; ) {
		p++;
		if (strncmp(p, word, n) == 0 && (p[n] == '\n' || p[n] == ' ' || p[n] == '='))
			return p;
	}
	return NULL;
}

static int has_ext(const struct smtp *s, const char *word)
{
	return ext_line(s, word) != NULL;
}

/* "AUTH XOAUTH2 OAUTHBEARER" (or the old "AUTH=XOAUTH2 ...") names mech. */
static int offers_mech(const struct smtp *s, const char *mech)
{
	const char *p = ext_line(s, "AUTH");
	size_t n = strlen(mech);

	if (p == NULL)
		return 0;
	for (p += 4; *p != '\0' && *p != '\n'; p++)
		if ((*p == ' ' || *p == '=') && strncmp(p + 1, mech, n) == 0 &&
		    (p[n + 1] == ' ' || p[n + 1] == '\n'))
			return 1;
	return 0;
}

static int ehlo(struct smtp *s, struct oa2_err *err)
{
	char line[300], text[512];
	int code, rc;

	snprintf(line, sizeof(line), "EHLO %s", s->helo);
	if ((rc = command(s, line, &code, text, sizeof(text), 1, err)) != OA2_OK)
		return rc;
	if (code != 250)
		return oa2_err_set(err, OA2_ERR_INVALID, "EHLO refused: %d %s", code, text);
	return OA2_OK;
}

static int authenticate(struct smtp *s, const struct mail_login *l, struct mail_result *r,
			struct oa2_err *err)
{
	struct oa2_buf b64, cmd;
	char shown[600], shown_cmd[700], text[512];
	int rc, code, challenges = 0, sent = 0;

	if (!offers_mech(s, l->mech))
		mailconn_note(s->c, "the server does not offer AUTH %s; trying anyway", l->mech);
	oa2_buf_init(&b64, 64 * 1024);
	oa2_buf_init(&cmd, 64 * 1024 + 64);
	if ((rc = mail_sasl_response(l, &b64, err)) != OA2_OK)
		goto out;
	oa2_buf_puts(&cmd, "AUTH ");
	oa2_buf_puts(&cmd, l->mech);
	oa2_buf_putc(&cmd, ' ');
	oa2_buf_put(&cmd, b64.data, b64.len);
	if (oa2_buf_failed(&cmd)) {
		rc = oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");
		goto out;
	}
	mail_sasl_shown(l, shown, sizeof(shown));
	/* base64 is 4 octets per 3 bytes: b64.len / 4 * 3 bytes give as many */
	if (oa2_auth_line_fits("smtp", l->mech, b64.len / 4 * 3)) {
		snprintf(shown_cmd, sizeof(shown_cmd), "AUTH %s %s", l->mech, shown);
		rc = mailconn_write(s->c, cmd.data, shown_cmd, err);
		sent = 1;
	} else {
		/* RFC 4954 4: an initial response that would make the line
		 * longer than SMTP's 512 octets goes after the server's 334,
		 * by the rule the plugin follows. */
		mailconn_note(s->c, "the AUTH line with the initial response would be longer "
			      "than 512 octets: sending the response after the server's 334");
		snprintf(shown_cmd, sizeof(shown_cmd), "AUTH %s", l->mech);
		rc = mailconn_write(s->c, shown_cmd, NULL, err);
	}
	if (rc != OA2_OK)
		goto out;
	for (;;) {
		if ((rc = reply(s, &code, text, sizeof(text), 0, err)) != OA2_OK)
			goto out;
		if (code != 334)
			break;
		if (!sent) {
			rc = mailconn_write(s->c, b64.data, shown, err);
			sent = 1;
		} else if (++challenges > 2) {
			/* RFC 4954 4: "*" cancels the exchange. */
			rc = mailconn_write(s->c, "*", NULL, err);
		} else {
			rc = mailconn_write(s->c, mail_sasl_error(s->c, l, text, r), NULL, err);
		}
		if (rc != OA2_OK)
			goto out;
	}
	r->authenticated = code == 235;
	if (!r->authenticated)
		snprintf(r->server_text, sizeof(r->server_text), "%d %.480s", code, text);
out:
	oa2_buf_clear(&cmd);
	oa2_buf_clear(&b64);
	return rc;
}

int mail_test_smtp(struct mailconn *c, const struct mail_login *l, struct mail_result *r,
		   struct oa2_err *err)
{
	struct smtp s;
	char text[512], line[OA2_USER_MAX + 32];
	int code, rc;

	memset(&s, 0, sizeof(s));
	s.c = c;
	if (gethostname(s.helo, sizeof(s.helo) - 1) != 0 || s.helo[0] == '\0' ||
	    strpbrk(s.helo, " \t\r\n") != NULL)
		snprintf(s.helo, sizeof(s.helo), "localhost");
	if ((rc = reply(&s, &code, text, sizeof(text), 0, err)) != OA2_OK)
		return rc;
	if (code != 220)
		return oa2_err_set(err, OA2_ERR_NET, "the server does not accept mail now: %d %s",
				   code, text);
	if ((rc = ehlo(&s, err)) != OA2_OK)
		return rc;
	if (l->starttls) {
		if (!has_ext(&s, "STARTTLS"))
			return oa2_err_set(err, OA2_ERR_INVALID, "the server does not offer "
					   "STARTTLS; try --tls (port 465)");
		if ((rc = command(&s, "STARTTLS", &code, text, sizeof(text), 0, err)) != OA2_OK)
			return rc;
		if (code != 220)
			return oa2_err_set(err, OA2_ERR_NET, "STARTTLS refused: %d %s", code, text);
		if ((rc = mailconn_tls(c, l->ca_file, l->ca_blob, l->ca_len, err)) != OA2_OK)
			return rc;
		if ((rc = ehlo(&s, err)) != OA2_OK) /* what was said in the clear does not count */
			return rc;
	}
	if ((rc = authenticate(&s, l, r, err)) != OA2_OK)
		return rc;
	if (r->authenticated) {
		/* Microsoft may accept a token for another mailbox and refuse
		 * only the sender: ask, then take it back. */
		snprintf(r->after_cmd, sizeof(r->after_cmd), "MAIL FROM");
		snprintf(line, sizeof(line), "MAIL FROM:<%s>", l->user);
		if ((rc = command(&s, line, &code, text, sizeof(text), 0, err)) != OA2_OK)
			return rc;
		r->after_ok = code == 250;
		if (!r->after_ok)
			snprintf(r->server_text, sizeof(r->server_text), "%d %.480s", code, text);
		else if (command(&s, "RSET", &code, text, sizeof(text), 0, err) != OA2_OK)
			return OA2_OK;
	}
	if (command(&s, "QUIT", &code, text, sizeof(text), 0, err) != OA2_OK)
		err->msg[0] = '\0';
	return OA2_OK;
}

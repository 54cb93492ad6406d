/* The manual flow: the user opens the URL anywhere and pastes back the
 * address the browser was sent to (or just its code). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "sasl-oauth2/chars.h"
#include "sasl-oauth2/secret.h"

#include "authorize.h"
#include "redirect_params.h"

#define PASTE_MAX 16384

/* One line from stdin into buf, waiting at most timeout seconds (<= 0:
 * forever). */
static int read_line(char *buf, size_t n, long timeout, struct oa2_err *err)
{
	time_t end = time(NULL) + timeout;
	size_t len = 0;

	for (;;) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		long left = (long)(end - time(NULL));
		ssize_t r;
		int pr;

		if (timeout > 0 && left <= 0)
			return oa2_err_set(err, OA2_ERR_TEMPORARY, "nothing was pasted within %ld s; "
					   "nothing was saved", timeout);
		pr = poll(&p, 1, timeout > 0 ? (int)(left * 1000) : -1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return oa2_err_set(err, OA2_ERR_IO, "standard input: %s", strerror(errno));
		if (pr == 0)
			continue;
		r = read(STDIN_FILENO, buf + len, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return oa2_err_set(err, OA2_ERR_IO, "standard input: %s", strerror(errno));
		if (r == 0 || buf[len] == '\n')
			break;
		if (++len >= n - 1)
			return oa2_err_set(err, OA2_ERR_TOOBIG, "the pasted text is longer than %zu "
					   "bytes", n - 2);
	}
	buf[len] = '\0';
	return OA2_OK;
}

static char *trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* The code from what was pasted: a whole address (state checked), a query,
 * or a bare code. *code is owned and secret. */
static int code_from_paste(char *text, const char *state, char **code, struct oa2_err *err)
{
	struct redirect_params p;
	char *q = strchr(text, '?');
	int rc;

	if (q != NULL || strchr(text, '=') != NULL) {
		q = q ? q + 1 : text;
		if (strchr(q, '#') != NULL)
			*strchr(q, '#') = '\0';
		if (redirect_params_parse(q, strlen(q), &p) != 0 || !redirect_params_any(&p))
			return oa2_err_set(err, OA2_ERR_PARSE, "the pasted address carries no code: "
					   "paste the whole address the browser was sent to "
					   "(http://localhost:... or http://127.0.0.1:...?code=..."
					   "&state=...)");
		rc = redirect_params_check(&p, state, err);
		if (rc == OA2_OK) {
			*code = p.code;
			p.code = NULL;
		}
		redirect_params_clear(&p);
		return rc;
	}
	if (!oa2_chars_visible(text, strlen(text)))
		return oa2_err_set(err, OA2_ERR_PARSE, "the pasted code contains spaces or "
				   "unusual characters: paste the whole address instead");
	if (text[0] == '\0')
		return oa2_err_set(err, OA2_ERR_MISSING, "nothing was pasted; nothing was saved");
	if (strlen(text) > REDIRECT_CODE_MAX)
		return oa2_err_set(err, OA2_ERR_TOOBIG, "the pasted code is too long");
	*code = oa2_secret_strndup(text, strlen(text));
	return *code ? OA2_OK : oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");
}

int authorize_manual(const struct authorize *a, struct oa2_token_response *res,
		     struct oa2_err *err)
{
	int port = a->port > 0 ? a->port : AUTHORIZE_MANUAL_PORT;
	struct authorize_request r;
	static char line[PASTE_MAX];
	char host[256] = "THIS-HOST";
	char *code = NULL;
	int rc;

	rc = authorize_request_init(a, port, &r, err);
	if (rc != OA2_OK)
		return rc;
	gethostname(host, sizeof(host) - 1);
	authorize_note("Open this URL in a browser on any computer and sign in:");
	authorize_note("  %s", r.url.data);
	authorize_note("The browser is then sent to %s?code=... and shows an error page, as "
		       "nothing listens there: that is expected. Copy the whole address from "
		       "its address bar and paste it here (the code alone works too).",
		       r.redirect_uri);
	authorize_note("Tip: on a desktop connected with  ssh -L %d:127.0.0.1:%d %s  the "
		       "browser flow needs no copying:", port, port, host);
	authorize_note("  %s --flow browser --port %d --no-open", a->rerun, port);
	fputs("Address or code: ", stderr);
	fflush(stderr);

	rc = read_line(line, sizeof(line), a->timeout_given ? a->timeout : 0, err);
	if (!isatty(STDIN_FILENO))
		fputc('\n', stderr); /* no echoed Enter to end the prompt's line */
	if (rc == OA2_OK)
		rc = code_from_paste(trim(line), r.state, &code, err);
	OPENSSL_cleanse(line, sizeof(line));
	if (rc == OA2_OK) {
		authorize_note("Fetching the tokens from %s ...", a->prov->token_endpoint);
		rc = authorize_exchange(a, &r, code, res, err);
	}
	oa2_secret_free_str(code);
	authorize_request_clear(&r);
	return rc;
}

/* The account's access token, refreshed first when it needs it (token_get.h). */
#include <limits.h>
#include <string.h>
#include <time.h>

#include "cmdutil.h"
#include "token_get.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/timefmt.h"
#include "sasl-oauth2/token_store.h"

/* What a server would still accept: not rejected, not expired. */
static int still_valid(const struct oa2_token *tok, long long now)
{
	return tok->rejected_at == 0 && (tok->expires_at == 0 || tok->expires_at > now);
}

static void warn_short_life(const struct oa2_token *tok, long min_valid, long long now)
{
	char left[32];

	if (min_valid < 0 || tok->expires_at == 0 || tok->expires_at - now > min_valid)
		return;
	oa2_format_span(tok->expires_at - now, left, sizeof(left));
	cli_warn("the new access token is valid for only %s, not more than --min-valid %ld s: "
		 "the provider issues shorter-lived tokens", left, min_valid);
}

/* Reports a refresh that failed while a still valid token is at hand. */
static void warn_not_refreshed(const char *why, const struct oa2_token *tok, long long now)
{
	char left[32];

	if (tok->expires_at == 0) {
		cli_warn("the access token was not refreshed: %s; using the current one", why);
		return;
	}
	oa2_format_span(tok->expires_at - now, left, sizeof(left));
	cli_warn("the access token was not refreshed: %s; using the current one, valid "
		 "for another %s", why, left);
}

/* The slow path: refresh under the lock. On success *tok holds the token to
 * use (the new one, or the current one when it is still valid). */
static int refresh(const struct cli *cli, const struct account *acct, const char *arg,
		   long min_valid, struct oa2_token *tok)
{
	long margin = min_valid >= 0 ? min_valid : OA2_MARGIN_DEFAULT;
	struct oa2_token fresh;
	struct oa2_err err, notice;
	char label[PATH_MAX + 32];
	long long now;
	int rc;

	if (cli->cfg_rc != OA2_OK) {
		rc = cli->cfg_rc;
		err = cli->cfg_err;
		notice.msg[0] = '\0';
	} else {
		cli_account_label(acct, arg, label, sizeof(label));
		rc = oa2_store_refresh(acct->path, label, &cli->cfg, margin, &fresh, &err,
					  &notice);
	}
	now = (long long)time(NULL);
	if (rc == OA2_OK) {
		int renewed = strcmp(fresh.access_token, tok->access_token) != 0;

		oa2_token_clear(tok);
		*tok = fresh;
		if (notice.msg[0] != '\0' && !renewed)
			warn_not_refreshed(notice.msg, tok, now);
		else if (notice.msg[0] != '\0')
			cli_warn("%s; using the new access token anyway", notice.msg);
		else
			warn_short_life(tok, min_valid, now);
		return CLI_OK;
	}
	/* No token from the store (it could not even lock the file, or the
	 * file changed): the one read at first may still do. */
	if (still_valid(tok, now) && rc != OA2_ERR_UNSAFE) {
		warn_not_refreshed(err.msg, tok, now);
		return CLI_OK;
	}
	return cli_store_failed(&cli->cfg, acct, arg, rc, &err);
}

int token_get(const struct cli *cli, const struct account *acct, const char *arg,
	      long min_valid, struct oa2_token *tok, struct json_object **objp)
{
	struct json_object *obj = NULL;
	struct oa2_err err;
	long margin;
	int rc;

	/* Callers clear *tok whatever the result: it must be clear on a
	 * failed read too. */
	memset(tok, 0, sizeof(*tok));
	if (objp != NULL)
		*objp = NULL;
	/* The fast path: no lock. Files are replaced by rename, so this read
	 * sees either the old file or the new one, whole. */
	rc = oa2_store_read(acct->path, &obj, tok, NULL, &err);
	if (rc != OA2_OK)
		return cli_store_failed(&cli->cfg, acct, arg, rc, &err);
	if (objp != NULL)
		*objp = obj;
	else
		oa2_json_put_wiped(obj);
	margin = min_valid >= 0 ? min_valid : oa2_store_margin(tok, &cli->cfg);
	if (oa2_store_needs_refresh(tok, margin, (long long)time(NULL)))
		rc = refresh(cli, acct, arg, min_valid, tok);
	if (rc != CLI_OK)
		oa2_token_clear(tok);
	return rc;
}

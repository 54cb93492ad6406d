/* The account's access token, refreshed first when it needs it (token_get.h). */
#include <limits.h>
#include <string.h>
#include <time.h>

#include "cmdutil.h"
#include "token_get.h"
#include "sasl-oauth2/timefmt.h"
#include "sasl-oauth2/token_acquire.h"

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

int token_get(const struct cli *cli, const struct account *acct, const char *arg,
	      long min_valid, struct oa2_token *tok, struct json_object **objp)
{
	struct oa2_acquire_req req = { 0 };
	struct oa2_acquire_info info;
	struct oa2_err err;
	char label[PATH_MAX + 32];
	int rc;

	cli_account_label(acct, arg, label, sizeof(label));
	req.account = label;
	req.min_valid = min_valid;
	req.cfg_err = cli->cfg_rc != OA2_OK ? &cli->cfg_err : NULL;
	req.obj = objp;
	rc = oa2_token_acquire(acct->path, &cli->cfg, &req, tok, &info, &err);
	if (rc != OA2_OK)
		return cli_store_failed(&cli->cfg, acct, arg, rc, &err);
	if (info.outcome == OA2_ACQUIRE_KEPT)
		warn_not_refreshed(info.why.msg, tok, info.now);
	else if (info.outcome == OA2_ACQUIRE_UNSAVED)
		cli_warn("%s; using the new access token anyway", info.why.msg);
	else if (info.outcome == OA2_ACQUIRE_RENEWED)
		warn_short_life(tok, min_valid, info.now);
	return CLI_OK;
}

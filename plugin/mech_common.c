#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sasl-oauth2/chars.h"
#include "credentials.h"
#include "mech.h"
#include "token_advice.h"
#include "plugin_log.h"
#include "secret_check.h"
#include "sasl-oauth2/secret.h"
#include "sasl-oauth2/sasl_response.h"
#include "sasl-oauth2/server_error.h"
#include "sasl-oauth2/token.h"
#include "sasl-oauth2/health.h"
#include "sasl-oauth2/token_acquire.h"
#include "sasl-oauth2/remedy.h"
#include "sasl-oauth2/token_store.h"

/* Room for the longest initial response: token, two user names, host, port
 * and the fixed parts. */
#define RESPONSE_MAX (OA2_ACCESS_TOKEN_MAX + 3 * 3 * OA2_USER_MAX + 1024)
#define HOST_MAX 255

enum stage {
	STAGE_START,      /* nothing sent yet */
	STAGE_WITHHELD,   /* initial response built but too long for the AUTH
			   * line: it answers the server's empty challenge */
	STAGE_SENT,       /* initial response sent; success or an error challenge next */
	STAGE_DONE,       /* server's answer taken; doneflag is set */
};

struct conn_state {
	const struct oa2p_entry *entry;
	enum stage stage;
	struct oa2_buf out;   /* what clientout points into; holds the token */
	char *user;           /* for messages after the initial response */
	char *token_path;     /* NULL when the token came directly */
	int refreshable;      /* the token file has what a refresh needs */
	char *sent_token;     /* secret; kept only for a refreshable token file,
			       * to mark it rejected if the server says so */
};

int oa2p_mech_new(void *glob_context, sasl_client_params_t *params, void **conn_context)
{
	struct conn_state *st = params->utils->malloc(sizeof(*st));

	if (st == NULL)
		return SASL_NOMEM;
	memset(st, 0, sizeof(*st));
	st->entry = glob_context;
	oa2_buf_init(&st->out, RESPONSE_MAX);
	*conn_context = st;
	return SASL_OK;
}

void oa2p_mech_dispose(void *conn_context, const sasl_utils_t *utils)
{
	struct conn_state *st = conn_context;

	if (st == NULL)
		return;
	oa2_buf_clear(&st->out);
	free(st->user);
	free(st->token_path);
	oa2_secret_free_str(st->sent_token);
	utils->free(st);
}

void oa2p_mech_free(void *glob_context, const sasl_utils_t *utils)
{
	struct oa2p_entry *entry = glob_context;
	struct oa2p_global *g = entry->global;

	entry->global = NULL;
	if (g == NULL || --g->refs > 0)
		return;
	oa2p_global_free(g);
}

/* The port part of libsasl2's "address;port", when it is a plain number. */
static const char *remote_port(const char *ipremoteport)
{
	const char *semi;
	size_t n;

	if (ipremoteport == NULL || (semi = strrchr(ipremoteport, ';')) == NULL)
		return NULL;
	n = strlen(semi + 1);
	if (n == 0 || n > 5 || strspn(semi + 1, "0123456789") != n)
		return NULL;
	return semi + 1;
}

static void format_utc(long long t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, n, "%lld", t);
}

/* The failure of oa2_token_acquire, in the plugin's words: one WARN line. */
static int acquire_failed(const struct conn_state *st, const sasl_utils_t *u,
			  const char *secret, const char *path, const char *account,
			  const struct oa2_acquire_info *info, struct oa2_err *err)
{
	struct oa2p_global *g = st->entry->global;
	const char *mech = st->entry->mech->name;
	const char *missing = info->missing ? info->missing : "what a refresh needs";
	char when[64];

	if (info->stop == OA2_ACQUIRE_NO_CONFIG)
		return oa2p_fail(u, SASL_FAIL, "sasl-oauth2 %s: cannot refresh token file %s: %s",
				 mech, secret, err->msg);
	if (info->stop == OA2_ACQUIRE_NO_GRANT && info->rejected_at != 0 &&
	    (info->expires_at == 0 || info->expires_at > info->now))
		return oa2p_fail(u, SASL_FAIL,
				 "sasl-oauth2 %s: token file %s: a server rejected the access "
				 "token, not sending it again; the file cannot be refreshed: it has "
				 "no %s: authorize with sasl-oauth2 authorize %s", mech, secret,
				 missing, account);
	if (info->stop == OA2_ACQUIRE_NO_GRANT) {
		format_utc(info->expires_at, when, sizeof(when));
		return oa2p_fail(u, SASL_FAIL,
				 "sasl-oauth2 %s: token file %s: the access token expired at "
				 "%s (%lld s ago), not sending it; the file cannot be refreshed: it "
				 "has no %s: authorize with sasl-oauth2 authorize %s", mech, secret,
				 when, info->now - info->expires_at, missing, account);
	}
	oa2p_token_advice(&g->config, secret, path, err);
	return oa2p_fail(u, SASL_FAIL, "sasl-oauth2 %s: %s", mech, err->msg);
}

/* What oa2_token_acquire did, when the admin should hear of it. */
static void acquire_note(const struct conn_state *st, const sasl_utils_t *u,
			 const char *secret, const char *path, struct oa2_acquire_info *info)
{
	struct oa2p_global *g = st->entry->global;
	const char *mech = st->entry->mech->name;

	if (info->outcome == OA2_ACQUIRE_UNSAVED || (info->outcome == OA2_ACQUIRE_KEPT &&
						     info->stop != OA2_ACQUIRE_NO_GRANT))
		oa2p_token_advice(&g->config, secret, path, &info->why);
	if (info->outcome == OA2_ACQUIRE_UNSAVED)
		oa2p_log(u, SASL_LOG_WARN, "sasl-oauth2 %s: using a new access token that could "
			 "not be saved: %s", mech, info->why.msg);
	else if (info->outcome == OA2_ACQUIRE_KEPT && info->stop != OA2_ACQUIRE_NO_GRANT)
		oa2p_log(u, SASL_LOG_WARN, "sasl-oauth2 %s: using the current access token, "
			 "still valid, after a failed refresh: %s", mech, info->why.msg);
	else if (info->outcome == OA2_ACQUIRE_RENEWED && g->config.log_level >= OA2_LOG_INFO)
		/* Another process may have done the refresh while we waited. */
		oa2p_log(u, SASL_LOG_NOTE, "sasl-oauth2 %s: token file %s: the access token "
			 "was renewed", mech, secret);
	/* KEPT for NO_GRANT: an access token alone, nothing better to send. */
}

/* A token from a token file: cached while fresh, refreshed under the file's
 * lock when it expires within the margin or a server rejected it
 * (oa2_token_acquire decides; this says it). */
static int load_token_file(struct conn_state *st, const sasl_utils_t *u, const char *secret,
			   struct oa2_token *tok)
{
	struct oa2p_global *g = st->entry->global;
	const char *mech = st->entry->mech->name;
	const char *path = oa2_config_path_in_chroot(secret, g->config.chroot_dir);
	struct oa2_acquire_req req = { 0 };
	struct oa2_acquire_info info;
	struct oa2_err err;
	char account[OA2_ACCOUNT_LABEL_MAX];

	/* Nothing there: the "path" may be a token that starts with '/'. */
	if (oa2p_check_token_path(u, mech, secret, path) != SASL_OK)
		return SASL_FAIL;
	/* Advice names the account as `sasl-oauth2 authorize` takes it, run
	 * by the admin on the host: never the path inside the chroot. */
	oa2_remedy_account(secret, g->config.chroot_dir, account, sizeof(account));
	st->token_path = strdup(path);
	if (st->token_path == NULL)
		return SASL_NOMEM;
	req.account = account;
	req.min_valid = -1;
	req.cfg_err = g->config_rc != OA2_OK ? &g->config_err : NULL;
	req.cache = g->cache;
	if (oa2_token_acquire(path, &g->config, &req, tok, &info, &err) != OA2_OK)
		return acquire_failed(st, u, secret, path, account, &info, &err);
	st->refreshable = info.renewable;
	acquire_note(st, u, secret, path, &info);
	return SASL_OK;
}

/* Resolves the secret into a token and the user it is for. On success *tok
 * is owned by the caller. */
static int load_token(struct conn_state *st, const sasl_utils_t *u,
		      const struct oa2p_creds *creds, struct oa2_token *tok)
{
	const char *mech = st->entry->mech->name;
	size_t len;
	int rc;

	memset(tok, 0, sizeof(*tok));
	if (oa2_secret_is_path(creds->secret))
		return load_token_file(st, u, creds->secret, tok);
	/* The secret is the token itself, or a password that must not be
	 * sent as one. Never echo any of it. */
	rc = oa2p_check_direct_token(u, mech, creds->secret);
	if (rc != SASL_OK)
		return rc;
	len = strlen(creds->secret);
	tok->access_token = oa2_secret_strndup(creds->secret, len);
	return tok->access_token != NULL ? SASL_OK : SASL_NOMEM;
}

/* The token file's user names the mailbox the token was issued for, so it
 * wins over the application's user name. */
static const char *pick_user(const struct oa2_token *tok, const struct oa2p_creds *creds)
{
	if (tok->user != NULL)
		return tok->user;
	if (creds->authid != NULL)
		return creds->authid;
	return creds->authzid;
}

static int check_name(const sasl_utils_t *u, const char *mech, const char *what,
		      const char *val, size_t max)
{
	if (strlen(val) > max)
		return oa2p_fail(u, SASL_BADPARAM,
				 "sasl-oauth2 %s: the %s is %zu bytes, more than the limit of %zu",
				 mech, what, strlen(val), max);
	if (!oa2_chars_no_controls(val, strlen(val)))
		return oa2p_fail(u, SASL_BADPARAM,
				 "sasl-oauth2 %s: the %s contains control characters", mech, what);
	return SASL_OK;
}

static int canon(sasl_client_params_t *params, const char *authid, const char *authzid,
		 sasl_out_params_t *oparams)
{
	int rc;

	if (authzid == NULL || strcmp(authid, authzid) == 0)
		return params->canon_user(params->utils->conn, authid, 0,
					  SASL_CU_AUTHID | SASL_CU_AUTHZID, oparams);
	rc = params->canon_user(params->utils->conn, authid, 0, SASL_CU_AUTHID, oparams);
	if (rc == SASL_OK)
		rc = params->canon_user(params->utils->conn, authzid, 0, SASL_CU_AUTHZID, oparams);
	return rc;
}

/* RFC 4954 4 and RFC 5034 4: an initial response that would make the AUTH
 * line longer than the protocol allows must not be on it (Gmail answers
 * "555-5.5.2 Syntax error, command line too long", Dovecot's submission
 * "500 5.5.2 Line too long"). Debug only: it is the normal path for
 * provider-sized tokens over SMTP. */
static void withhold_note(const struct conn_state *st, sasl_client_params_t *params)
{
	if (st->entry->global->config.log_level >= OA2_LOG_DEBUG)
		oa2p_log(params->utils, SASL_LOG_DEBUG,
			 "sasl-oauth2 %s: the %u-byte initial response would make the %s AUTH "
			 "line too long: it follows the server's empty challenge",
			 st->entry->mech->name, (unsigned)st->out.len, params->service);
}

/* Every out parameter gets its final value with the initial response,
 * because some clients never step again: Cyrus imclient (cyradm,
 * Cyrus::IMAP) goes straight on after the server's OK. libsasl2 fills in
 * maxoutbuf itself only when a step returns SASL_OK, and imclient, reading
 * SASL_MAXOUTBUF = 0, wrote zero bytes forever. With no security layer
 * the limit is the application's own buffer size, the value libsasl2
 * would have set. user and authid come from canon_user before this; only
 * doneflag stays 0, so the server's error challenge can still be taken. */
static void set_out_params(const sasl_client_params_t *params, sasl_out_params_t *oparams)
{
	oparams->doneflag = 0;
	oparams->maxoutbuf = params->props.maxbufsize;
	oparams->mech_ssf = 0;
	oparams->encode_context = NULL;
	oparams->encode = NULL;
	oparams->decode_context = NULL;
	oparams->decode = NULL;
	oparams->client_creds = NULL;
	oparams->param_version = 0;
}

static int send_initial(struct conn_state *st, sasl_client_params_t *params,
			sasl_interact_t **prompt_need, const char **clientout,
			unsigned *clientoutlen, sasl_out_params_t *oparams)
{
	const sasl_utils_t *u = params->utils;
	const struct oa2p_mech *mech = st->entry->mech;
	struct oa2p_creds creds;
	struct oa2_token tok;
	struct oa2p_login login;
	const char *user;
	int rc;

	rc = oa2p_creds_get(params, prompt_need, mech->name, &creds);
	if (rc != SASL_OK)
		return rc;
	rc = load_token(st, u, &creds, &tok);
	if (rc != SASL_OK)
		goto out_creds;

	user = pick_user(&tok, &creds);
	if (user == NULL) {
		rc = oa2p_fail(u, SASL_BADPARAM,
			       "sasl-oauth2 %s: no user name: give it as the login name or "
			       "as \"user\" in the token file", mech->name);
		goto out;
	}
	rc = check_name(u, mech->name, "user name", user, OA2_USER_MAX);
	if (rc == SASL_OK && creds.authzid != NULL)
		rc = check_name(u, mech->name, "authorization name", creds.authzid, OA2_USER_MAX);
	if (rc != SASL_OK)
		goto out;

	memset(&login, 0, sizeof(login));
	login.user = user;
	/* Servers take OAUTHBEARER's a= as the login name, so it is the user
	 * unless the application asked for another authorization identity. */
	login.authzid = creds.authzid != NULL ? creds.authzid : user;
	if (params->serverFQDN != NULL && params->serverFQDN[0] != '\0' &&
	    strlen(params->serverFQDN) <= HOST_MAX && oa2_chars_no_controls(params->serverFQDN, strlen(params->serverFQDN)))
		login.host = params->serverFQDN;
	login.port = remote_port(params->ipremoteport);
	login.token = tok.access_token;

	oa2_buf_clear(&st->out);
	mech->initial_response(&login, &st->out);
	if (oa2_buf_failed(&st->out)) {
		rc = oa2p_fail(u, SASL_NOMEM, "sasl-oauth2 %s: cannot build the response",
			       mech->name);
		goto out;
	}
	rc = canon(params, user, creds.authzid, oparams);
	if (rc != SASL_OK)
		goto out;
	st->user = strdup(user);
	if (st->user == NULL) {
		rc = SASL_NOMEM;
		goto out;
	}

	/* Marking a file that cannot be refreshed would change nothing. */
	if (st->token_path != NULL && st->refreshable) {
		st->sent_token = strdup(tok.access_token);
		if (st->sent_token == NULL) {
			rc = SASL_NOMEM;
			goto out;
		}
	}
	set_out_params(params, oparams);
	if (oa2_auth_line_fits(params->service, mech->name, st->out.len)) {
		*clientout = st->out.data;
		*clientoutlen = (unsigned)st->out.len;
		st->stage = STAGE_SENT;
	} else {
		/* No output: the application sends "AUTH MECH" alone. */
		withhold_note(st, params);
		st->stage = STAGE_WITHHELD;
	}
	/* The server answers with success or with an error challenge (or,
	 * when withheld, an empty challenge): the exchange is not over yet
	 * (SASL_OK here would tell mbsync, mutt and neomutt not to expect the
	 * challenge). */
	rc = SASL_CONTINUE;
out:
	oa2_token_clear(&tok);
out_creds:
	oa2p_creds_clear(&creds);
	return rc;
}

/* Ends the exchange on our side: nothing more is sent after this step, so
 * the token leaves memory now. */
static void finish(struct conn_state *st, sasl_out_params_t *oparams)
{
	oa2_buf_clear(&st->out);
	oa2_secret_free_str(st->sent_token);
	st->sent_token = NULL;
	oparams->doneflag = 1;
	st->stage = STAGE_DONE;
}

/* The server's JSON error challenge: one warning, and the token file is
 * marked so every process that shares it refreshes before its next use. */
static void report_rejection(struct conn_state *st, sasl_client_params_t *params,
			     const struct oa2_server_error *se)
{
	const sasl_utils_t *u = params->utils;
	const char *mech = st->entry->mech->name;
	struct oa2_err err;
	char advice[OA2_ERR_MSG_MAX + 160], where[64 + 4096];

	if (st->token_path != NULL)
		snprintf(where, sizeof(where), " (token file %s)", st->token_path);
	else
		where[0] = '\0';
	oa2_server_error_advice(se, advice, sizeof(advice));
	oa2p_log(u, SASL_LOG_WARN, "sasl-oauth2 %s: server %s rejected the token for %s%s: %s",
		 mech, params->serverFQDN ? params->serverFQDN : "(unknown)",
		 st->user ? st->user : "(unknown)", where, advice);
	if (st->sent_token != NULL &&
	    oa2_store_mark_rejected(st->token_path, st->sent_token, &err) != OA2_OK)
		oa2p_log(u, SASL_LOG_WARN, "sasl-oauth2 %s: %s", mech, err.msg);
	/* For `watch`, which announces what follows; the plugin never mails. */
	if (st->token_path != NULL && oa2_health_note_rejected(st->token_path, advice, &err) != OA2_OK)
		oa2p_log(u, SASL_LOG_WARN, "sasl-oauth2 %s: %s", mech, err.msg);
}

/* The step after the initial response. No server data means the server
 * accepted the token (mbsync steps once more after the server's OK). Data
 * is either the server's error challenge, which the mechanism's reply
 * answers, or something else: mutt and neomutt step after the server's OK
 * with whatever their command buffer still holds (the base64 of our own
 * initial response, or the AUTHENTICATE line). Only a JSON object with a
 * "status" (RFC 7628 3.2.2) counts as a rejection; anything else gets the
 * same reply, which a client that already saw OK never sends, and a debug
 * line that shows none of the data (it may be our token in base64). Either
 * way the step returns SASL_OK: every client sends the reply to an error
 * challenge whether it gets OK or CONTINUE, and mutt and neomutt wait
 * forever for more after a success step that returns CONTINUE. */
static int second_step(struct conn_state *st, sasl_client_params_t *params,
		       const char *serverin, unsigned serverinlen,
		       const char **clientout, unsigned *clientoutlen,
		       sasl_out_params_t *oparams)
{
	const struct oa2p_mech *mech = st->entry->mech;
	struct oa2_server_error se;
	struct oa2_err err;

	if (serverin == NULL || serverinlen == 0) {
		finish(st, oparams);
		return SASL_OK;
	}
	err.msg[0] = '\0';
	if (oa2_server_error_parse(serverin, serverinlen, &se, &err) == OA2_OK &&
	    se.status[0] != '\0')
		report_rejection(st, params, &se);
	else if (st->entry->global->config.log_level >= OA2_LOG_DEBUG)
		oa2p_log(params->utils, SASL_LOG_DEBUG,
			 "sasl-oauth2 %s: %u bytes of server data after the initial response "
			 "are not an error challenge (%s); answered like one, data not shown",
			 mech->name, serverinlen,
			 err.msg[0] != '\0' ? err.msg : "no \"status\" member");
	finish(st, oparams);
	*clientout = mech->error_reply;
	*clientoutlen = mech->error_reply_len;
	return SASL_OK;
}

/* The server's empty challenge to "AUTH MECH": the withheld initial response
 * answers it, and the exchange goes on as if it had been on the AUTH line.
 * A challenge with data is not what RFC 4422 3.3 describes here; the
 * response is still the only thing this mechanism can say. */
static int send_withheld(struct conn_state *st, sasl_client_params_t *params,
			 unsigned serverinlen, const char **clientout, unsigned *clientoutlen)
{
	if (serverinlen != 0 && st->entry->global->config.log_level >= OA2_LOG_DEBUG)
		oa2p_log(params->utils, SASL_LOG_DEBUG,
			 "sasl-oauth2 %s: %u bytes of server data where an empty challenge was "
			 "expected; sending the initial response, data not shown",
			 st->entry->mech->name, serverinlen);
	*clientout = st->out.data;
	*clientoutlen = (unsigned)st->out.len;
	st->stage = STAGE_SENT;
	return SASL_CONTINUE;
}

int oa2p_mech_step(void *conn_context, sasl_client_params_t *params,
		   const char *serverin, unsigned serverinlen,
		   sasl_interact_t **prompt_need, const char **clientout,
		   unsigned *clientoutlen, sasl_out_params_t *oparams)
{
	struct conn_state *st = conn_context;

	*clientout = NULL;
	*clientoutlen = 0;
	switch (st->stage) {
	case STAGE_START:
		return send_initial(st, params, prompt_need, clientout, clientoutlen, oparams);
	case STAGE_WITHHELD:
		return send_withheld(st, params, serverinlen, clientout, clientoutlen);
	case STAGE_SENT:
		return second_step(st, params, serverin, serverinlen, clientout,
				   clientoutlen, oparams);
	case STAGE_DONE:
		break;
	}
	/* libsasl2 refuses steps after doneflag; this guards other callers. */
	return oa2p_fail(params->utils, SASL_BADPROT,
			 "sasl-oauth2 %s: another step after the exchange ended",
			 st->entry->mech->name);
}

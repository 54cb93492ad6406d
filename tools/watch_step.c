#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cli.h"
#include "watch.h"
#include "watch_log.h"
#include "sasl-oauth2/grant.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/token_store.h"

#define KEEP_SHORT_WARNING "provider issues short-lived tokens"

static void format_utc(long long t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, n, "%lld", t);
}

/* FNV-1a: enough to tell one message from another. */
static uint64_t msg_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h | 1; /* 0 means "nothing logged" */
}

/* Logs msg unless it is the problem this account logged last. */
static void log_once(struct watch_acct *a, int prio, const char *msg)
{
	uint64_t h = msg_hash(msg);

	if (a->logged == h)
		return;
	a->logged = h;
	wlog(prio, "%s", msg);
}

/* A fingerprint of the token pair, so that a re-authorized account (new
 * tokens written by someone else) is tried again at once, while files
 * rewritten only to record an error are not. Keeps no secret around. */
static void fingerprint(const struct oa2_token *tok, unsigned char out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int n = 32;

	memset(out, 0, 32);
	if (c == NULL)
		return;
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1) {
		if (tok->access_token)
			EVP_DigestUpdate(c, tok->access_token, strlen(tok->access_token) + 1);
		if (tok->refresh_token)
			EVP_DigestUpdate(c, tok->refresh_token, strlen(tok->refresh_token) + 1);
		EVP_DigestFinal_ex(c, out, &n);
	}
	EVP_MD_CTX_free(c);
}

void watch_advice_account(const struct watch_acct *a, const struct watch_opts *o, char *buf,
			  size_t n)
{
	if (a->by_path)
		snprintf(buf, n, "%s", a->acct.path);
	else
		snprintf(buf, n, "%s%s", a->acct.name, o->for_postfix ? " --for postfix" : "");
}

static const char *reason_text(enum watch_due why, const struct watch_times *t, char *buf,
			       size_t n)
{
	char ago[32];

	switch (why) {
	case DUE_REJECTED:
		return "a server rejected the access token";
	case DUE_KEEPALIVE:
		cli_format_duration(t->now - t->refreshed_at, ago, sizeof(ago));
		snprintf(buf, n, "keep-alive: the refresh token was last used %s ago, the limit "
			 "is %ld days", ago, t->keepalive / 86400);
		return buf;
	default:
		return "it expires within the refresh margin";
	}
}

static void clear_failure(struct watch_acct *a)
{
	a->fail = WF_NONE;
	a->backoff = 0;
	a->retry_at = 0;
}

/* Bookkeeping after a failed refresh; returns the account's result. */
static int failed(struct watch_acct *a, const struct watch_opts *o, enum watch_fail kind,
		  int code, const char *msg, const struct oa2_token *tok, long long now,
		  int64_t *next)
{
	const char *name = a->acct.name;
	char line[OA2_ERR_MSG_MAX + PATH_MAX + 512], left[64], span[32], delay_s[32],
		account[PATH_MAX + 32];
	int advised = strstr(msg, "sasl-oauth2 authorize") != NULL;
	long delay;

	if (tok->expires_at == 0) {
		snprintf(left, sizeof(left), "access token expiry unknown");
	} else if (tok->expires_at > now) {
		cli_format_duration(tok->expires_at - now, span, sizeof(span));
		snprintf(left, sizeof(left), "access token still valid for %s", span);
	} else {
		snprintf(left, sizeof(left), "access token expired");
	}

	a->fail = kind;
	if (kind == WF_REFUSED) {
		delay = o->retry_refused;
		a->backoff = 0;
	} else {
		a->backoff = watch_backoff(a->backoff, o->retry_min, o->retry_max);
		delay = watch_clamp_to_expiry(a->backoff, now, tok->expires_at);
	}
	/* --once exits after this pass: the next run (cron) is the retry. */
	if (o->once)
		snprintf(delay_s, sizeof(delay_s), "the next run");
	else
		cli_format_duration(delay, delay_s, sizeof(delay_s));
	a->retry_at = watch_boot_ms() + (int64_t)delay * 1000;
	*next = a->retry_at;

	switch (kind) {
	case WF_TEMP:
		/* Every attempt: the admin sees the back-off grow. */
		wlog(LOG_WARNING, "%s: cannot refresh the access token (%s): %s; %s%s", name,
		     left, msg, o->once ? "trying again at " : "retrying in ", delay_s);
		break;
	case WF_REFUSED:
		watch_advice_account(a, o, account, sizeof(account));
		snprintf(line, sizeof(line), "%s: the provider refused to refresh the access "
			 "token (%s): %s%s%s%s%s", name, left, msg,
			 advised ? "" : "; authorize again with: sasl-oauth2 authorize ",
			 advised ? "" : account, o->once ? "" : "; trying again only every ",
			 o->once ? "" : delay_s);
		log_once(a, LOG_ERR, line);
		break;
	default:
		snprintf(line, sizeof(line), "%s: cannot refresh the access token (%s): %s%s",
			 name, left, msg, o->once ? "" : "; retrying with back-off");
		log_once(a, LOG_WARNING, line);
		break;
	}
	return code;
}

/* Attempts the refresh of a due token. */
static int refresh(struct watch_acct *a, const struct oa2_config *cfg, const struct watch_opts *o,
		   enum watch_due why, const struct watch_times *t, const struct oa2_token *tok,
		   int64_t *next)
{
	const char *name = a->acct.name;
	struct oa2_token fresh;
	struct oa2_err err, notice;
	struct watch_times after;
	char why_buf[160], until[64], in[32], account[PATH_MAX + 32];
	long long wait, now;
	int rc, changed;

	memset(&fresh, 0, sizeof(fresh));
	wlog(LOG_DEBUG, "%s: refreshing: %s", name, reason_text(why, t, why_buf, sizeof(why_buf)));
	watch_advice_account(a, o, account, sizeof(account));
	rc = oa2_store_refresh(a->acct.path, account, cfg, watch_store_margin(why, t), &fresh,
				  &err, &notice, NULL);
	now = (long long)time(NULL);
	if (rc == OA2_OK && notice.msg[0] != '\0') {
		/* The refresh failed but the current token is still good:
		 * notice says why, and what kind of failure it was. */
		oa2_token_clear(&fresh);
		rc = notice.rc != OA2_OK ? notice.rc : OA2_ERR_TEMPORARY;
		err = notice;
	}
	if (rc != OA2_OK) {
		enum watch_fail kind = oa2_rc_is_temporary(rc) ? WF_TEMP :
			(rc == OA2_ERR_DENIED || rc == OA2_ERR_NOREFRESH) ? WF_REFUSED : WF_OTHER;
		return failed(a, o, kind, cli_exit_for(rc), err.msg, tok, now, next);
	}

	changed = fresh.expires_at != tok->expires_at ||
		  (fresh.access_token && tok->access_token &&
		   strcmp(fresh.access_token, tok->access_token) != 0);
	fingerprint(&fresh, a->fp);
	a->have_fp = 1;
	a->jitter_for = fresh.expires_at;
	a->jitter = watch_jitter(fresh.expires_at - t->margin - now);
	if (a->fail != WF_NONE)
		wlog(LOG_NOTICE, "%s: refreshing works again", name);
	clear_failure(a);
	a->logged = 0;

	after = *t;
	after.now = now;
	after.expires_at = fresh.expires_at;
	after.refreshed_at = now;
	after.rejected_at = fresh.rejected_at;
	after.jitter = a->jitter;
	oa2_token_clear(&fresh);
	format_utc(after.expires_at, until, sizeof(until));
	if (!changed) {
		wlog(LOG_DEBUG, "%s: already fresh (another process refreshed it)", name);
	} else if (after.expires_at != 0) {
		cli_format_duration(after.expires_at - now, in, sizeof(in));
		wlog(LOG_INFO, "%s: access token refreshed (%s); valid until %s (%s)", name,
		     reason_text(why, t, why_buf, sizeof(why_buf)), until, in);
	} else {
		wlog(LOG_INFO, "%s: access token refreshed (%s)", name,
		     reason_text(why, t, why_buf, sizeof(why_buf)));
	}

	if (watch_due(&after, &wait) != DUE_NOT) {
		/* Due again at once: the provider's tokens live shorter than the
		 * margin. Do not hammer it. */
		char msg[512];

		snprintf(msg, sizeof(msg), "%s: the %s (%lld s) shorter than refresh_margin (%ld s); "
			 "lower refresh_margin in %s", name, KEEP_SHORT_WARNING,
			 after.expires_at - now, after.margin, cfg->path);
		log_once(a, LOG_WARNING, msg);
		a->fail = WF_OTHER;
		a->backoff = watch_backoff(a->backoff, o->retry_min, o->retry_max);
		a->retry_at = watch_boot_ms() + (int64_t)a->backoff * 1000;
		*next = a->retry_at;
		return CLI_OK;
	}
	*next = wait >= 0 ? watch_boot_ms() + (int64_t)wait * 1000 : 0;
	if (wait >= 0) {
		cli_format_duration(wait, in, sizeof(in));
		wlog(LOG_DEBUG, "%s: next refresh in %s", name, in);
	}
	return CLI_OK;
}

int watch_step(struct watch_acct *a, const struct oa2_config *cfg, const struct watch_opts *o,
	       int64_t *next)
{
	const char *name = a->acct.name;
	struct json_object *obj = NULL;
	struct oa2_token tok;
	struct oa2_err err;
	struct watch_times t;
	struct stat st;
	unsigned char fp[32];
	char msg[OA2_ERR_MSG_MAX + 2 * PATH_MAX], until[64], in[32];
	enum watch_due why;
	long long wait;
	int rc;

	*next = 0;
	rc = oa2_store_read(a->acct.path, &obj, &tok, &st, &err);
	if (rc != OA2_OK) {
		snprintf(msg, sizeof(msg), "%s: %s", name, err.msg);
		log_once(a, LOG_WARNING, msg);
		a->result = rc == OA2_ERR_IO && lstat(a->acct.path, &st) != 0 && errno == ENOENT
				    ? CLI_NOACCOUNT : cli_exit_for(rc);
		return a->result;
	}
	memset(&t, 0, sizeof(t));
	t.now = (long long)time(NULL);
	t.expires_at = tok.expires_at;
	t.rejected_at = tok.rejected_at;
	t.margin = oa2_store_margin(&tok, cfg);
	t.keepalive = o->keepalive;
	if (oa2_json_get_time(obj, "refreshed_at", &t.refreshed_at, "token file", NULL) != OA2_OK ||
	    t.refreshed_at == 0 || t.refreshed_at > t.now)
		t.refreshed_at = (long long)st.st_mtime; /* the best guess there is */
	oa2_json_put_wiped(obj);

	fingerprint(&tok, fp);
	if (a->have_fp && memcmp(fp, a->fp, sizeof(fp)) != 0 && a->fail != WF_NONE) {
		wlog(LOG_NOTICE, "%s: the token file has new tokens; trying again", name);
		clear_failure(a);
	}
	memcpy(a->fp, fp, sizeof(fp));
	a->have_fp = 1;

	if (!oa2_grant_can_renew(&tok, cfg)) {
		char account[PATH_MAX + 32];

		watch_advice_account(a, o, account, sizeof(account));
		snprintf(msg, sizeof(msg), "%s: token file %s has no %s to renew it with; not kept "
			 "fresh (authorize with: sasl-oauth2 authorize %s)", name, a->acct.path,
			 oa2_grant_kind_of(&tok)->missing(&tok, cfg),
			 account);
		log_once(a, LOG_NOTICE, msg);
		a->result = tok.expires_at != 0 && tok.expires_at <= t.now ? CLI_UNAVAILABLE : CLI_OK;
		oa2_token_clear(&tok);
		return a->result;
	}
	if (a->fail != WF_NONE && watch_boot_ms() < a->retry_at) {
		*next = a->retry_at;
		oa2_token_clear(&tok);
		return a->result;
	}

	if (a->jitter_for != tok.expires_at) {
		a->jitter_for = tok.expires_at;
		a->jitter = watch_jitter(tok.expires_at - t.margin - t.now);
	}
	t.jitter = a->jitter;
	why = watch_due(&t, &wait);
	if (why == DUE_NOT) {
		if (a->fail != WF_NONE) {
			/* Someone else got a fresh token meanwhile. */
			wlog(LOG_NOTICE, "%s: the token file was refreshed elsewhere", name);
			clear_failure(a);
			a->logged = 0;
		}
		if (!a->announced || o->once) {
			format_utc(tok.expires_at, until, sizeof(until));
			cli_format_duration(wait, in, sizeof(in));
			if (tok.expires_at != 0)
				wlog(LOG_INFO, "%s: access token valid until %s; next refresh in %s",
				     name, until, wait >= 0 ? in : "(never)");
			else
				wlog(LOG_INFO, "%s: access token without expiry; next keep-alive "
				     "refresh in %s", name, wait >= 0 ? in : "(never)");
		}
		a->announced = 1;
		*next = wait >= 0 ? watch_boot_ms() + (int64_t)wait * 1000 : 0;
		oa2_token_clear(&tok);
		return a->result = CLI_OK;
	}
	a->announced = 1;
	a->result = refresh(a, cfg, o, why, &t, &tok, next);
	oa2_token_clear(&tok);
	return a->result;
}

/* Prometheus text format (exposition format 0.0.4) for node_exporter's
 * textfile collector: one file, replaced atomically, so the collector never
 * reads half of it. Labels carry the account's name (the file name rule
 * keeps it plain) and, only when metrics_user_label = yes, the mailbox;
 * never a token or secret. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "sasl-oauth2/safe_file.h"

#define METRICS_END "# end of sasl-oauth2 metrics\n"

struct out {
	char *buf;
	size_t len, cap;
	int failed;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (int round = 0; round < 2 && !o->failed; round++) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf ? o->buf + o->len : NULL, o->buf ? o->cap - o->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = 1;
		} else if (o->buf != NULL && (size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		} else {
			size_t cap = (o->cap + (size_t)n + 1) * 2;
			char *p = realloc(o->buf, cap);

			if (p == NULL)
				o->failed = 1;
			else {
				o->buf = p;
				o->cap = cap;
			}
		}
	}
}

/* A label value: backslash, double quote and newline escaped (the format's
 * only escapes); other control bytes dropped. */
static void label_value(const char *in, char *out, size_t n)
{
	size_t j = 0;

	for (; *in && j + 3 < n; in++) {
		unsigned char c = (unsigned char)*in;

		if (c == '\\' || c == '"') {
			out[j++] = '\\';
			out[j++] = (char)c;
		} else if (c == '\n') {
			out[j++] = '\\';
			out[j++] = 'n';
		} else if (c >= 0x20 && c != 0x7f) {
			out[j++] = (char)c;
		}
	}
	out[j] = '\0';
}

static void labels(const struct oa2_config *cfg, const struct metrics_row *r, char *buf,
		   size_t n)
{
	char name[600], user[OA2_USER_MAX * 2 + 1];

	label_value(r->name, name, sizeof(name));
	if (cfg->metrics_user_label && r->ah->user[0] != '\0') {
		label_value(r->ah->user, user, sizeof(user));
		snprintf(buf, n, "account=\"%s\",user=\"%s\"", name, user);
	} else {
		snprintf(buf, n, "account=\"%s\"", name);
	}
}

static void header(struct out *o, const char *metric, const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s gauge\n", metric, help, metric);
}

/* One metric for every row that has a value (known != 0). */
static void family(struct out *o, const struct oa2_config *cfg, const struct metrics_row *rows,
		   size_t n, const char *metric, const char *help, long long now,
		   int (*value)(const struct metrics_row *r, long long now, long long *v))
{
	char lab[1500];
	long long v;

	header(o, metric, help);
	for (size_t i = 0; i < n; i++) {
		if (!rows[i].ah->have || !value(&rows[i], now, &v))
			continue;
		labels(cfg, &rows[i], lab, sizeof(lab));
		put(o, "%s{%s} %lld\n", metric, lab, v);
	}
}

static int v_expiry(const struct metrics_row *r, long long now, long long *v)
{
	(void)now;
	*v = r->ah->expires_at;
	return *v != 0;
}

/* When renewing stops being possible: the certificate's end, or now for a
 * refused grant. Unknown otherwise (providers do not say when a refresh
 * token dies). */
static int v_at_risk(const struct metrics_row *r, long long now, long long *v)
{
	if (r->ah->state == OA2_HEALTH_REAUTH) {
		*v = 0;
		return 1;
	}
	if (r->ah->credential_expires_at == 0)
		return 0;
	*v = r->ah->credential_expires_at > now ? r->ah->credential_expires_at - now : 0;
	return 1;
}

static int v_last_renewal(const struct metrics_row *r, long long now, long long *v)
{
	(void)now;
	*v = r->ah->h.last_success != 0 ? r->ah->h.last_success : r->ah->refreshed_at;
	return *v != 0;
}

static int v_failures(const struct metrics_row *r, long long now, long long *v)
{
	(void)now;
	*v = r->ah->h.failures;
	return 1;
}

static void render(struct out *o, const struct oa2_config *cfg, const struct metrics_row *rows,
		   size_t n, long long now)
{
	char lab[1500];

	family(o, cfg, rows, n, "sasl_oauth2_access_token_expiry_timestamp_seconds",
	       "When the access token in the token file expires (Unix time).", now, v_expiry);
	family(o, cfg, rows, n, "sasl_oauth2_credential_at_risk_seconds",
	       "Seconds until the account can no longer renew its token (certificate "
	       "expiry; 0 once the provider refused), where known.", now, v_at_risk);
	family(o, cfg, rows, n, "sasl_oauth2_last_renewal_timestamp_seconds",
	       "When the access token was last renewed successfully (Unix time).", now,
	       v_last_renewal);
	family(o, cfg, rows, n, "sasl_oauth2_consecutive_failures",
	       "Renewals that failed in a row since the last success.", now, v_failures);
	header(o, "sasl_oauth2_state", "The account's state: 1 for the current one.");
	for (size_t i = 0; i < n; i++) {
		if (!rows[i].ah->have)
			continue;
		labels(cfg, &rows[i], lab, sizeof(lab));
		for (int s = 0; s < OA2_HEALTH_NSTATES; s++)
			put(o, "sasl_oauth2_state{%s,state=\"%s\"} %d\n", lab,
			    oa2_health_state_name(s), rows[i].ah->state == s);
	}
	header(o, "sasl_oauth2_account_readable", "1 when the token file could be read.");
	for (size_t i = 0; i < n; i++) {
		char name[600];

		label_value(rows[i].name, name, sizeof(name));
		put(o, "sasl_oauth2_account_readable{account=\"%s\"} %d\n", name, rows[i].ah->have);
	}
	put(o, "%s", METRICS_END);
}

int metrics_write(const char *path, FILE *f, const struct oa2_config *cfg,
		  const struct metrics_row *rows, size_t n, long long now, struct oa2_err *err)
{
	struct out o = { NULL, 0, 0, 0 };
	int rc = OA2_OK;

	render(&o, cfg, rows, n, now);
	if (o.failed)
		rc = oa2_err_set(err, OA2_ERR_NOMEM, "metrics: out of memory");
	else if (path != NULL)
		rc = oa2_safe_replace(path, "metrics file", o.buf, o.len, 0644, err);
	else if (fwrite(o.buf, 1, o.len, f) != o.len || fflush(f) != 0)
		rc = oa2_err_set(err, OA2_ERR_IO, "metrics: cannot write to standard output");
	free(o.buf);
	return rc;
}

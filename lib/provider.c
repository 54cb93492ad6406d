#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sasl-oauth2/cloud.h"
#include "sasl-oauth2/discovery.h"
#include "sasl-oauth2/provider.h"
#include "sasl-oauth2/secret.h"
#include "sasl-oauth2/suggest.h"

/* Outlook.com (personal Microsoft accounts) takes SMTP AUTH here, not at
 * smtp.office365.com (Microsoft Support: "POP, IMAP, and SMTP settings for
 * Outlook.com"); IMAP and POP are outlook.office365.com for both. */
#define OUTLOOK_COM_SMTP "smtp-mail.outlook.com"

static int set(char **dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int set(char **dst, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

static int valid_tenant(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 253 || t[0] == '.' || t[0] == '-')
		return 0;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') ||
		      (*t >= '0' && *t <= '9') || *t == '-' || *t == '.'))
			return 0;
	return 1;
}

/* Adds each space-separated word of `words` that *scope lacks. */
static int add_scopes(char **scope, const char *words)
{
	char word[128];
	const char *w = words;

	while (*w) {
		size_t n = strcspn(w, " ");
		if (n > 0 && n < sizeof(word)) {
			const char *s = *scope;
			int have = 0;
			memcpy(word, w, n);
			word[n] = '\0';
			while (s && *s) {
				size_t m = strcspn(s, " ");
				if (m == n && memcmp(s, word, n) == 0)
					have = 1;
				s += m;
				s += strspn(s, " ");
			}
			if (!have && set(scope, "%s%s%s", *scope ? *scope : "",
					 *scope && **scope ? " " : "", word) != 0)
				return -1;
		}
		w += n;
		w += strspn(w, " ");
	}
	return 0;
}

static int add_resource_scope(char **scope, const char *resource, const char *permission)
{
	char word[128];

	snprintf(word, sizeof(word), "%s/%s", resource, permission);
	return add_scopes(scope, word);
}

static int microsoft(const struct oa2_provider_request *rq, struct oa2_provider *p,
		     struct oa2_err *err)
{
	const char *tenant = rq->tenant ? rq->tenant : "common";
	const struct oa2_cloud *c = oa2_cloud_named(rq->cloud ? rq->cloud : "worldwide");
	unsigned sv = rq->services ? rq->services : OA2_SERVICES_DEFAULT;
	int bad = 0;

	if (c == NULL)
		return oa2_err_set(err, OA2_ERR_INVALID, "unknown Microsoft cloud \"%s\": use "
				   "worldwide (also for GCC), gcc-high, dod or china", rq->cloud);
	if (strcmp(tenant, "consumers") == 0 && c != oa2_cloud_at(0))
		return oa2_err_set(err, OA2_ERR_INVALID, "--tenant consumers (Outlook.com) exists "
				   "only in the worldwide cloud, not in %s", c->name);
	if (!valid_tenant(tenant))
		return oa2_err_set(err, OA2_ERR_INVALID, "\"%s\" is not a Microsoft tenant: use "
				   "common, organizations, consumers, a tenant id or a domain",
				   tenant);
	bad |= set(&p->authorize_endpoint, "https://%s/%s/oauth2/v2.0/authorize", c->login, tenant);
	bad |= set(&p->token_endpoint, "https://%s/%s/oauth2/v2.0/token", c->login, tenant);
	bad |= set(&p->device_endpoint, "https://%s/%s/oauth2/v2.0/devicecode", c->login, tenant);
	if (sv & OA2_SERVICE_IMAP)
		bad |= add_resource_scope(&p->scope, c->resource, "IMAP.AccessAsUser.All");
	if (sv & OA2_SERVICE_SMTP)
		bad |= add_resource_scope(&p->scope, c->resource, "SMTP.Send");
	if (sv & OA2_SERVICE_POP)
		bad |= add_resource_scope(&p->scope, c->resource, "POP.AccessAsUser.All");
	bad |= add_scopes(&p->scope, "offline_access");
	if (rq->want_user)
		bad |= add_scopes(&p->scope, "openid email profile");
	if (bad)
		return oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");
	p->openid = 1;
	p->app_scope = c->app_scope;
	p->mechanism = "XOAUTH2"; /* the only one Microsoft documents */
	/* The Entra portal takes http://localhost but no http://127.0.0.1
	 * redirect URI, and Microsoft ignores the port of loopback URIs. */
	p->redirect_host = "localhost";
	p->imap = (struct oa2_mail_server){ c->imap, 993 };
	p->pop = (struct oa2_mail_server){ c->imap, 995 };
	p->smtp = (struct oa2_mail_server){ c->smtp, 587 };
	if (strcmp(tenant, "consumers") == 0)
		p->smtp.host = OUTLOOK_COM_SMTP;
	else if (strcmp(tenant, "common") == 0 && c == oa2_cloud_at(0))
		p->smtp_personal = OUTLOOK_COM_SMTP; /* either kind of account may sign in */
	return OA2_OK;
}

static int google(const struct oa2_provider_request *rq, struct oa2_provider *p,
		  struct oa2_err *err)
{
	int bad = 0;

	bad |= set(&p->authorize_endpoint, "https://accounts.google.com/o/oauth2/v2/auth");
	bad |= set(&p->token_endpoint, "https://" OA2_GOOGLE_TOKEN_HOST "/token");
	bad |= set(&p->revocation_endpoint, "https://" OA2_GOOGLE_TOKEN_HOST "/revoke");
	bad |= set(&p->scope, "https://mail.google.com/");
	if (rq->want_user)
		bad |= add_scopes(&p->scope, "openid email");
	if (bad)
		return oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");
	/* Without both, Google gives a refresh token only on the first consent. */
	p->authorize_extra = "access_type=offline&prompt=consent";
	p->no_device_why = "Google does not allow the Gmail scope (https://mail.google.com/) "
			   "in the device flow";
	p->openid = 1;
	p->wants_secret = 1; /* "Desktop app" clients come with one */
	p->mechanism = "OAUTHBEARER";
	p->imap = (struct oa2_mail_server){ "imap.gmail.com", 993 };
	p->pop = (struct oa2_mail_server){ "pop.gmail.com", 995 };
	p->smtp = (struct oa2_mail_server){ "smtp.gmail.com", 587 };
	return OA2_OK;
}

static int copy_if(char **dst, const char *src)
{
	return src != NULL ? set(dst, "%s", src) : 0;
}

static int https_or_null(const char *url)
{
	return url == NULL || strncasecmp(url, "https://", 8) == 0;
}

/* A provider.NAME.* section: its values over the built-in ones (if any),
 * discovery for the endpoints it leaves out. */
static int from_config(const struct oa2_config *cfg, const struct oa2_config_provider *cp,
		       const struct oa2_provider_request *rq, const struct oa2_http_opts *o,
		       int builtin, struct oa2_provider *p, struct oa2_err *err)
{
	struct oa2_discovery d;
	const char *file = cfg->path ? cfg->path : "the configuration file";
	int rc, bad = 0;

	if (cp->issuer != NULL) {
		rc = oa2_discover(cp->issuer, o, &d, err);
		if (rc != OA2_OK)
			return rc;
		bad |= copy_if(&p->authorize_endpoint, d.authorization_endpoint);
		bad |= copy_if(&p->token_endpoint, d.token_endpoint);
		bad |= copy_if(&p->device_endpoint, d.device_authorization_endpoint);
		bad |= copy_if(&p->revocation_endpoint, d.revocation_endpoint);
		oa2_discovery_clear(&d);
		p->openid = 1;
	}
	bad |= copy_if(&p->authorize_endpoint, cp->authorize_endpoint);
	bad |= copy_if(&p->token_endpoint, cp->token_endpoint);
	bad |= copy_if(&p->device_endpoint, cp->device_endpoint);
	bad |= copy_if(&p->revocation_endpoint, cp->revocation_endpoint);
	bad |= copy_if(&p->scope, cp->scope);
	bad |= copy_if(&p->client_id, cp->client_id);
	if (cp->client_secret != NULL) {
		oa2_secret_free_str(p->client_secret);
		p->client_secret = oa2_secret_strndup(cp->client_secret, strlen(cp->client_secret));
		bad |= p->client_secret == NULL;
	}
	if (cp->redirect_host != NULL)
		p->redirect_host = strcmp(cp->redirect_host, "localhost") == 0 ? "localhost"
										  : "127.0.0.1";
	if (!builtin && cp->scope == NULL)
		return oa2_err_set(err, OA2_ERR_CONFIG, "%s: provider %s has no scope: set "
				   "provider.%s.scope", file, p->name, p->name);
	if (p->token_endpoint == NULL)
		return oa2_err_set(err, OA2_ERR_CONFIG, "%s: provider %s has no token endpoint: "
				   "set provider.%s.token_endpoint or provider.%s.issuer", file,
				   p->name, p->name, p->name);
	if (!https_or_null(p->authorize_endpoint) || !https_or_null(p->token_endpoint) ||
	    !https_or_null(p->device_endpoint) || !https_or_null(p->revocation_endpoint))
		return oa2_err_set(err, OA2_ERR_CONFIG, "%s: provider %s: every endpoint must be "
				   "an https:// URL", file, p->name);
	if (rq->want_user && p->openid && !builtin)
		bad |= add_scopes(&p->scope, "openid email");
	/* OpenID Connect Core 11: a server grants offline_access (a refresh
	 * token) only when the request says prompt=consent. */
	if (!builtin && p->authorize_extra == NULL && p->scope != NULL &&
	    strstr(p->scope, "offline_access") != NULL)
		p->authorize_extra = "prompt=consent";
	if (!builtin)
		p->mechanism = "XOAUTH2";
	return bad ? oa2_err_set(err, OA2_ERR_NOMEM, "out of memory") : OA2_OK;
}

static int unknown_provider(const struct oa2_config *cfg, const char *name, struct oa2_err *err)
{
	const char *names[OA2_CONFIG_PROVIDERS_MAX + 2] = { "microsoft", "google" };
	size_t n = 2;
	char hint[96];

	for (int i = 0; i < cfg->nproviders; i++)
		names[n++] = cfg->providers[i].name;
	oa2_suggest_phrase(name, names, n, hint, sizeof(hint));
	return oa2_err_set(err, OA2_ERR_INVALID, "unknown provider \"%s\"%s: use microsoft, "
			   "google, or define provider.%s.* in %s (see sasl-oauth2.conf(5))",
			   name, hint, name, cfg->path ? cfg->path : oa2_config_path());
}

int oa2_provider_resolve(const struct oa2_config *cfg, const struct oa2_provider_request *rq,
			 const struct oa2_http_opts *o, struct oa2_provider *p,
			 struct oa2_err *err)
{
	const struct oa2_config_provider *cp = oa2_config_provider(cfg, rq->name);
	int is_ms = strcasecmp(rq->name, "microsoft") == 0;
	int is_google = strcasecmp(rq->name, "google") == 0;
	int rc = OA2_OK;

	memset(p, 0, sizeof(*p));
	if (!is_ms && !is_google && cp == NULL)
		return unknown_provider(cfg, rq->name, err);
	if (!is_ms && (rq->tenant != NULL || rq->cloud != NULL))
		return oa2_err_set(err, OA2_ERR_INVALID, "--tenant and --cloud are for the "
				   "microsoft provider only");
	/* Names are case-insensitive; files and messages carry the lower case. */
	if (set(&p->name, "%s", is_ms ? "microsoft" : is_google ? "google" :
		cp != NULL ? cp->name : rq->name) != 0)
		return oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");
	if (is_ms)
		rc = microsoft(rq, p, err);
	else if (is_google)
		rc = google(rq, p, err);
	if (rc == OA2_OK && cp != NULL)
		rc = from_config(cfg, cp, rq, o, is_ms || is_google, p, err);
	if (rc == OA2_OK && p->redirect_host == NULL)
		p->redirect_host = "127.0.0.1"; /* RFC 8252 8.3 */
	if (rc == OA2_OK && p->device_endpoint != NULL)
		p->no_device_why = NULL;
	else if (rc == OA2_OK && p->no_device_why == NULL)
		p->no_device_why = "it has no device authorization endpoint (set "
				   "provider.NAME.device_endpoint, or an issuer that has one)";
	if (rc != OA2_OK)
		oa2_provider_clear(p);
	return rc;
}

int oa2_provider_authorize_url(const struct oa2_provider *p, const char *client_id,
			       const char *redirect_uri, const char *state,
			       const char *challenge, const char *login_hint,
			       struct oa2_buf *url, struct oa2_err *err)
{
	struct oa2_buf q;
	int bad;

	if (p->authorize_endpoint == NULL)
		return oa2_err_set(err, OA2_ERR_CONFIG, "provider %s has no authorization endpoint: "
				   "set provider.%s.authorize_endpoint or an issuer", p->name, p->name);
	oa2_buf_init(&q, 8192);
	oa2_form_add(&q, "response_type", "code");
	oa2_form_add(&q, "client_id", client_id);
	oa2_form_add(&q, "redirect_uri", redirect_uri);
	oa2_form_add(&q, "scope", p->scope);
	oa2_form_add(&q, "state", state);
	oa2_form_add(&q, "code_challenge", challenge);
	oa2_form_add(&q, "code_challenge_method", "S256");
	if (login_hint != NULL)
		oa2_form_add(&q, "login_hint", login_hint);
	oa2_buf_puts(url, p->authorize_endpoint);
	oa2_buf_putc(url, strchr(p->authorize_endpoint, '?') ? '&' : '?');
	oa2_buf_put(url, q.data, q.len);
	if (p->authorize_extra != NULL) {
		oa2_buf_putc(url, '&');
		oa2_buf_puts(url, p->authorize_extra);
	}
	bad = oa2_buf_failed(&q);
	oa2_buf_clear(&q);
	if (bad || oa2_buf_failed(url))
		return oa2_err_set(err, OA2_ERR_NOMEM, "cannot build the authorization URL");
	return OA2_OK;
}

int oa2_microsoft_endpoint_parts(const char *endpoint, const char *scope, char *tenant, size_t n,
				 const char **cloud)
{
	const struct oa2_cloud *found = NULL, *c;
	const char *t = NULL, *end;
	size_t tl;

	/* Clouds may share a sign-in host (GCC High and DoD do): the scope's
	 * resource tells them apart; without one, the first listed wins. */
	for (size_t i = 0; (c = oa2_cloud_at(i)) != NULL; i++) {
		const char *rest = oa2_cloud_login_path(c, endpoint);

		if (rest == NULL)
			continue;
		if (found == NULL || (scope != NULL && strstr(scope, c->resource) != NULL))
			found = c;
		t = rest;
	}
	if (found == NULL)
		return -1;
	end = strchr(t, '/');
	if (end == NULL || strcmp(end, "/oauth2/v2.0/token") != 0)
		return -1;
	tl = (size_t)(end - t);
	if (tl == 0 || tl >= n)
		return -1;
	memcpy(tenant, t, tl);
	tenant[tl] = '\0';
	if (!valid_tenant(tenant))
		return -1;
	*cloud = found == oa2_cloud_at(0) ? NULL : found->name;
	return 0;
}

/* Non-zero when the space-separated scope has a word ending in "/perm". */
static int has_permission(const char *scope, const char *perm)
{
	size_t pl = strlen(perm);

	while (*scope) {
		size_t n = strcspn(scope, " ");
		if (n > pl && scope[n - pl - 1] == '/' && strncmp(scope + n - pl, perm, pl) == 0)
			return 1;
		scope += n;
		scope += strspn(scope, " ");
	}
	return 0;
}

unsigned oa2_services_from_scope(const char *scope)
{
	unsigned sv = 0;

	if (scope == NULL)
		return 0;
	if (has_permission(scope, "IMAP.AccessAsUser.All"))
		sv |= OA2_SERVICE_IMAP;
	if (has_permission(scope, "SMTP.Send"))
		sv |= OA2_SERVICE_SMTP;
	if (has_permission(scope, "POP.AccessAsUser.All"))
		sv |= OA2_SERVICE_POP;
	return sv;
}

int oa2_services_parse(const char *list)
{
	int bits = 0;

	while (*list) {
		size_t n = strcspn(list, ",");
		if (n == 4 && strncasecmp(list, "imap", 4) == 0)
			bits |= OA2_SERVICE_IMAP;
		else if (n == 4 && strncasecmp(list, "smtp", 4) == 0)
			bits |= OA2_SERVICE_SMTP;
		else if (n == 3 && strncasecmp(list, "pop", 3) == 0)
			bits |= OA2_SERVICE_POP;
		else
			return -1;
		list += n;
		if (*list == ',')
			list++;
	}
	return bits ? bits : -1;
}

void oa2_provider_clear(struct oa2_provider *p)
{
	free(p->name);
	free(p->authorize_endpoint);
	free(p->token_endpoint);
	free(p->device_endpoint);
	free(p->revocation_endpoint);
	free(p->scope);
	free(p->client_id);
	oa2_secret_free_str(p->client_secret);
	memset(p, 0, sizeof(*p));
}

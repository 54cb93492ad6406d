/*
 * OAuth providers: where to send the user to sign in, where to get tokens,
 * which scope to ask for, and which mail servers take the tokens.
 *
 * Built in:
 *   microsoft  https://LOGIN/{tenant}/oauth2/v2.0/{authorize,token,devicecode};
 *              tenant common (default), organizations, consumers, or a
 *              tenant id or domain; clouds (LOGIN, RESOURCE, mail hosts):
 *                worldwide (default; also GCC; aliases global, gcc):
 *                  login.microsoftonline.com, https://outlook.office.com,
 *                  outlook.office365.com, smtp.office365.com (tenant
 *                  consumers, i.e. Outlook.com: smtp-mail.outlook.com)
 *                gcc-high (alias us): login.microsoftonline.us,
 *                  https://outlook.office365.us, outlook.office365.us
 *                  (IMAP, POP and SMTP, as Microsoft's endpoint list has it)
 *                dod: login.microsoftonline.us,
 *                  https://outlook-dod.office365.us, outlook-dod.office365.us
 *                china (21Vianet): login.partner.microsoftonline.cn,
 *                  https://partner.outlook.cn, partner.outlook.cn,
 *                  smtp.partner.outlook.cn
 *              scopes RESOURCE/IMAP.AccessAsUser.All, /SMTP.Send,
 *              /POP.AccessAsUser.All and offline_access; app-only (client
 *              credentials) scope: https://outlook.office365.com/.default
 *              (worldwide, GCC), https://outlook.office365.us/.default
 *              (GCC High), https://outlook-dod.office365.us/.default (DoD),
 *              https://partner.outlook.cn/.default (china)
 *   google     https://accounts.google.com/o/oauth2/v2/auth and
 *              https://oauth2.googleapis.com/token, scope
 *              https://mail.google.com/ with access_type=offline and
 *              prompt=consent; no device flow (Google refuses the Gmail
 *              scope there)
 * and any provider.NAME.* section of sasl-oauth2.conf(5): explicit
 * endpoints, or an issuer whose OpenID discovery document
 * (ISSUER/.well-known/openid-configuration) supplies the endpoints it does
 * not set. A section named like a built-in provider overrides its values.
 */
#ifndef SASL_OAUTH2_PROVIDER_H
#define SASL_OAUTH2_PROVIDER_H

#include "sasl-oauth2/buf.h"
#include "sasl-oauth2/config.h"
#include "sasl-oauth2/error.h"
#include "sasl-oauth2/http.h"

enum oa2_service {
	OA2_SERVICE_IMAP = 1,
	OA2_SERVICE_SMTP = 2,
	OA2_SERVICE_POP = 4,
};
#define OA2_SERVICES_DEFAULT (OA2_SERVICE_IMAP | OA2_SERVICE_SMTP)


struct oa2_provider_request {
	const char *name;
	const char *tenant;  /* microsoft only; NULL: common */
	const char *cloud;   /* microsoft only: worldwide, gcc-high, dod, china (or the
			      * aliases global, gcc, us); NULL: worldwide */
	unsigned services;   /* OA2_SERVICE_* bits; 0: OA2_SERVICES_DEFAULT */
	int want_user;       /* add the OpenID scopes that make the id_token name
			      * the user (openid email, for Microsoft also profile) */
};

struct oa2_mail_server {
	const char *host;    /* NULL when unknown (config providers) */
	int port;
};

/* Strings owned (NULL when unknown), released by oa2_provider_clear. */
struct oa2_provider {
	char *name;
	char *authorize_endpoint;
	char *token_endpoint;      /* set whenever resolve succeeds */
	char *device_endpoint;     /* NULL: no device flow */
	char *revocation_endpoint;
	char *scope;               /* space-separated, as sent */
	char *client_id;           /* from the config file, or NULL */
	char *client_secret;       /* from the config file (secret), or NULL */
	const char *authorize_extra; /* static extra query ("a=b&c=d"), or NULL */
	const char *no_device_why; /* static reason when there is no device flow */
	int openid;                /* answers with an id_token when asked */
	int wants_secret;          /* its clients normally have a secret (google) */
	const char *app_scope;     /* microsoft: the cloud's app-only (client
				    * credentials) scope, RESOURCE/.default;
				    * NULL for the others */
	const char *mechanism;     /* the SASL mechanism its servers prefer */
	const char *redirect_host; /* host of the loopback redirect URI: "localhost"
				    * (microsoft: its portal takes no IP literal)
				    * or "127.0.0.1" (RFC 8252 8.3; the others);
				    * provider.NAME.redirect_host overrides */
	struct oa2_mail_server imap, smtp, pop;
	const char *smtp_personal; /* when both work/school and personal accounts
				    * may sign in (microsoft, tenant common): the
				    * personal accounts' SMTP host, else NULL */
};

/*
 * Fills *p for rq->name. Discovery (for a config provider with an issuer)
 * makes one bounded HTTPS GET with the options o. Errors: OA2_ERR_INVALID
 * for an unknown provider name or a bad tenant/cloud; OA2_ERR_CONFIG for a
 * provider section that lacks what is needed or names a non-https
 * endpoint; OA2_ERR_NET / OA2_ERR_TEMPORARY / OA2_ERR_PARSE when discovery
 * fails. On error *p is cleared.
 */
int oa2_provider_resolve(const struct oa2_config *cfg, const struct oa2_provider_request *rq,
			 const struct oa2_http_opts *o, struct oa2_provider *p,
			 struct oa2_err *err);

/* The authorization request URL (RFC 6749 4.1.1 with PKCE S256):
 * response_type=code, client_id, redirect_uri, scope, state,
 * code_challenge, code_challenge_method=S256, login_hint when not NULL, and
 * the provider's extra parameters. Appended to *url (an initialised
 * buffer). */
int oa2_provider_authorize_url(const struct oa2_provider *p, const char *client_id,
			       const char *redirect_uri, const char *state,
			       const char *challenge, const char *login_hint,
			       struct oa2_buf *url, struct oa2_err *err);

/* The tenant and cloud (a --cloud name, static; NULL for the default,
 * worldwide) a Microsoft token endpoint
 * (https://LOGIN-HOST/TENANT/oauth2/v2.0/token) names, for re-authorizing an
 * account as it was; scope (may be NULL) tells clouds that share a sign-in
 * host apart. Returns 0, or -1 when endpoint is not one of Microsoft's or
 * the tenant does not fit in n bytes. */
int oa2_microsoft_endpoint_parts(const char *endpoint, const char *scope, char *tenant,
				 size_t n, const char **cloud);

/* The OA2_SERVICE_* bits whose Microsoft permissions (RESOURCE/
 * IMAP.AccessAsUser.All, /SMTP.Send, /POP.AccessAsUser.All) the scope
 * holds; 0 when none (other providers' scopes do not tell). */
unsigned oa2_services_from_scope(const char *scope);

/* Parses "imap,smtp,pop" into OA2_SERVICE_* bits; -1 for an unknown word. */
int oa2_services_parse(const char *list);

void oa2_provider_clear(struct oa2_provider *p);

#endif

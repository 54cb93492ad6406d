/*
 * The built-in providers' hosts: Microsoft's clouds (sign-in host, Exchange
 * Online resource, app-only scope, mail hosts) and Google's token host.
 *
 * Facts only, shared by the two sides of the library: the code the plugin
 * runs (which token endpoints the configuration's client may be sent to,
 * client_route.h; the app-only scope named in a grant's advice) and sign-in
 * (provider.h builds endpoints and scopes from the same rows). Sign-in uses
 * this module, never the reverse, so the plugin links none of sign-in.
 */
#ifndef SASL_OAUTH2_CLOUD_H
#define SASL_OAUTH2_CLOUD_H

#include <stddef.h>

/* Google's token (and revocation) endpoint host. */
#define OA2_GOOGLE_TOKEN_HOST "oauth2.googleapis.com"

/* One of Microsoft's clouds; every string static. */
struct oa2_cloud {
	const char *name;      /* its --cloud name */
	const char *alias[2];  /* other --cloud names for it, or NULL */
	const char *title;     /* for people: "GCC High" */
	const char *login;     /* sign-in host: https://LOGIN/TENANT/oauth2/v2.0/... */
	const char *resource;  /* of the delegated scopes: RESOURCE/SMTP.Send */
	const char *app_scope; /* the app-only (client credentials) scope */
	const char *imap;      /* IMAP and POP host */
	const char *smtp;      /* SMTP AUTH host */
};

/* The i-th cloud in --cloud's order, the first being worldwide; NULL past
 * the last. */
const struct oa2_cloud *oa2_cloud_at(size_t i);

/* The cloud a --cloud name or alias names; NULL when none. */
const struct oa2_cloud *oa2_cloud_named(const char *name);

/* What follows "https://LOGIN/" in endpoint when endpoint is on c's
 * sign-in host (compared without case); NULL otherwise or for NULL. */
const char *oa2_cloud_login_path(const struct oa2_cloud *c, const char *endpoint);

/* The app-only (client credentials) scope of a Microsoft cloud (a --cloud
 * name or alias; NULL: worldwide), static; NULL for an unknown cloud. */
const char *oa2_microsoft_app_scope(const char *cloud);

/* The app-only scope for the cloud of a Microsoft token endpoint, in words
 * for advice: "https://outlook.office365.us/.default (GCC High)". Clouds that
 * share the sign-in host are told apart by the resource in scope (may be
 * NULL); when it does not tell, or endpoint is not Microsoft's, every
 * candidate is listed ("A (x) or B (y)"). Always NUL-terminates (n > 0). */
void oa2_microsoft_app_scope_words(const char *endpoint, const char *scope, char *buf, size_t n);

#endif

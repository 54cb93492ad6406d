#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sasl-oauth2/cloud.h"

/* Microsoft's clouds as Microsoft's national-cloud and US Government
 * documentation lists them: sign-in host, Exchange Online resource of the
 * delegated scopes (RESOURCE/IMAP.AccessAsUser.All), the app-only scope
 * (client credentials take only RESOURCE/.default; Microsoft Learn,
 * "Authenticate an IMAP, POP or SMTP connection using OAuth", and Exchange's
 * national cloud endpoints), IMAP/POP host and SMTP AUTH host. GCC
 * (moderate) runs on the worldwide endpoints; "us" is what --cloud called
 * GCC High before. Sign-in, renewal and advice all read this one table. */
static const struct oa2_cloud clouds[] = {
	{ "worldwide", { "global", "gcc" }, "worldwide and GCC", "login.microsoftonline.com",
	  "https://outlook.office.com", "https://outlook.office365.com/.default",
	  "outlook.office365.com", "smtp.office365.com" },
	/* SMTP: Microsoft's GCC High endpoint list (Exchange Online, ID 5)
	 * names outlook.office365.us for TCP 587; smtp.office365.us, which
	 * other tools use, is not in it. */
	{ "gcc-high", { "us", NULL }, "GCC High", "login.microsoftonline.us",
	  "https://outlook.office365.us", "https://outlook.office365.us/.default",
	  "outlook.office365.us", "outlook.office365.us" },
	{ "dod", { NULL, NULL }, "DoD", "login.microsoftonline.us",
	  "https://outlook-dod.office365.us", "https://outlook-dod.office365.us/.default",
	  "outlook-dod.office365.us", "outlook-dod.office365.us" },
	{ "china", { NULL, NULL }, "21Vianet", "login.partner.microsoftonline.cn",
	  "https://partner.outlook.cn", "https://partner.outlook.cn/.default",
	  "partner.outlook.cn", "smtp.partner.outlook.cn" },
};
#define NCLOUDS (sizeof(clouds) / sizeof(clouds[0]))

const struct oa2_cloud *oa2_cloud_at(size_t i)
{
	return i < NCLOUDS ? &clouds[i] : NULL;
}

const struct oa2_cloud *oa2_cloud_named(const char *name)
{
	for (size_t i = 0; i < NCLOUDS; i++) {
		if (strcmp(name, clouds[i].name) == 0)
			return &clouds[i];
		for (size_t k = 0; k < 2; k++)
			if (clouds[i].alias[k] != NULL && strcmp(name, clouds[i].alias[k]) == 0)
				return &clouds[i];
	}
	return NULL;
}

const char *oa2_cloud_login_path(const struct oa2_cloud *c, const char *endpoint)
{
	size_t hl = strlen(c->login);

	if (endpoint == NULL || strncasecmp(endpoint, "https://", 8) != 0 ||
	    strncasecmp(endpoint + 8, c->login, hl) != 0 || endpoint[8 + hl] != '/')
		return NULL;
	return endpoint + 8 + hl + 1;
}

const char *oa2_microsoft_app_scope(const char *cloud)
{
	const struct oa2_cloud *c = oa2_cloud_named(cloud != NULL ? cloud : "worldwide");

	return c != NULL ? c->app_scope : NULL;
}

void oa2_microsoft_app_scope_words(const char *endpoint, const char *scope, char *buf, size_t n)
{
	const struct oa2_cloud *pick[NCLOUDS];
	size_t k = 0, used = 0;

	for (size_t i = 0; i < NCLOUDS; i++)
		if (oa2_cloud_login_path(&clouds[i], endpoint) != NULL)
			pick[k++] = &clouds[i];
	/* A shared sign-in host (GCC High, DoD): the resource in the scope
	 * sent, when it names one, settles which cloud was meant. */
	for (size_t i = 0; k > 1 && scope != NULL && i < k; i++)
		if (strstr(scope, pick[i]->resource) != NULL) {
			pick[0] = pick[i];
			k = 1;
		}
	if (k == 0)
		for (size_t i = 0; i < NCLOUDS; i++)
			pick[k++] = &clouds[i];
	if (n > 0)
		buf[0] = '\0';
	for (size_t i = 0; i < k && used < n; i++) {
		int w = snprintf(buf + used, n - used, "%s%s (%s)",
				 i == 0 ? "" : i + 1 == k ? " or " : ", ", pick[i]->app_scope,
				 pick[i]->title);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/*
 * The configuration file, sasl-oauth2.conf(5).
 *
 * Read once, at plugin init (before Postfix chroots) or at CLI start: lines
 * of "key = value", '#' starts a comment. The CA bundle named by ca_bundle is
 * read into memory at the same time, so token refresh works inside a chroot
 * that has no certificates.
 *
 * A missing file means defaults. A bad file must never stop the plugin from
 * loading (libsasl2 would report "No worthy mechs found"): oa2_config_load
 * still fills defaults and returns the error, which the plugin keeps and
 * reports, naming file and line, on every authentication that needs it.
 */
#ifndef SASL_OAUTH2_CONFIG_H
#define SASL_OAUTH2_CONFIG_H

#include <stddef.h>

#include "sasl-oauth2/error.h"

/* Environment variable that overrides the configuration file's path. */
#define OA2_CONFIG_ENV "SASL_OAUTH2_CONF"
#define OA2_DEFAULT_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

enum oa2_log_level { OA2_LOG_WARN = 0, OA2_LOG_INFO = 1, OA2_LOG_DEBUG = 2 };

#define OA2_CONFIG_PROVIDERS_MAX 16

/* A provider defined in the file with "provider.NAME.KEY = VALUE" lines:
 * either explicit endpoints or an issuer for OIDC discovery. */
struct oa2_config_provider {
	char *name;
	char *issuer;              /* https:// base for .well-known discovery */
	char *authorize_endpoint;
	char *token_endpoint;
	char *device_endpoint;
	char *revocation_endpoint;
	char *scope;               /* space-separated */
	char *client_id;
	char *client_secret;       /* secret */
	char *redirect_host;       /* "localhost" or "127.0.0.1"; the only key
				    * the built-in microsoft and google take */
};

/* Strings are owned (NULL when unset) and released by oa2_config_clear. */
struct oa2_http_transport;

struct oa2_config {
	char *path;            /* the file this came from */
	/* Not from the file: how this program's requests leave it (http.h).
	 * oa2_config_load leaves it NULL; the program sets it after loading. */
	const struct oa2_http_transport *transport;
	int missing;           /* the file does not exist: defaults only */
	char *client_id;       /* defaults for token files that name none */
	char *client_secret;   /* secret */
	char *token_endpoint;
	long refresh_margin;   /* seconds; default 600 */
	long connect_timeout;  /* seconds; default 10 */
	long timeout;          /* seconds for a whole request; default 30 */
	char *proxy;
	char *ca_bundle;       /* path; default OA2_DEFAULT_CA_BUNDLE */
	unsigned char *ca_blob; /* ca_bundle's contents, read at load */
	size_t ca_blob_len;
	char ca_error[OA2_ERR_MSG_MAX]; /* why ca_blob is NULL; reported only
					 * when a refresh needs it */
	char *chroot_dir;      /* default /var/spool/postfix */
	int log_level;         /* enum oa2_log_level */
	char *notify_mail;     /* watch mails state changes here (sendmail -t) */
	char *notify_command;  /* and/or runs this, without a shell */
	long notify_timeout;   /* seconds a notification may take; default 30 */
	long notify_failing_after;   /* renewal failing this long is announced;
				      * default 3600 s */
	long notify_expiring_within; /* a credential expiring within this is
				      * announced; default 30 days */
	int metrics_user_label; /* the mailbox address as a metrics label */
	struct oa2_config_provider providers[OA2_CONFIG_PROVIDERS_MAX];
	int nproviders;
};

/* The provider NAME defined in the file, or NULL. */
const struct oa2_config_provider *oa2_config_provider(const struct oa2_config *cfg,
						       const char *name);

/* The file to read: $SASL_OAUTH2_CONF when set, else the compiled default
 * (sysconfdir/sasl-oauth2.conf). */
const char *oa2_config_path(void);

/* Fills *cfg with defaults, then the file at path (NULL: oa2_config_path()),
 * then reads the CA bundle (a failure there only sets ca_error). Returns
 * OA2_OK, or OA2_ERR_CONFIG with err naming file, line and problem; *cfg is
 * usable (defaults plus the lines before the error) either way and must be
 * cleared. */
int oa2_config_load(const char *path, struct oa2_config *cfg, struct oa2_err *err);

void oa2_config_clear(struct oa2_config *cfg);

/* Inside Postfix's chroot a token file written as its real path
 * (/var/spool/postfix/etc/x.json) is at /etc/x.json. Returns the path to
 * open: path itself when it exists or does not start with chroot_dir. */
const char *oa2_config_path_in_chroot(const char *path, const char *chroot_dir);

#endif

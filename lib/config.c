#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "sasl-oauth2/config.h"
#include "sasl-oauth2/secret.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

#define CONFIG_LINE_MAX 4096
#define CA_BUNDLE_MAX (16 * 1024 * 1024)

const char *oa2_config_path(void)
{
	/* secure_getenv: in a set-id program (a libsasl2 client may be one) the
	 * caller's environment must not choose the file that names the CA
	 * bundle, the token endpoint and the client secret. */
	const char *env = secure_getenv(OA2_CONFIG_ENV);

	return (env != NULL && env[0] != '\0') ? env : SYSCONFDIR "/sasl-oauth2.conf";
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int set_string(char **dst, const char *val)
{
	char *p = oa2_secret_strndup(val, strlen(val));

	if (p == NULL)
		return -1;
	oa2_secret_free_str(*dst);
	*dst = p;
	return 0;
}

static int parse_seconds(const char *val, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (errno != 0 || end == val || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* The address goes into a mail header and sendmail's input: one address,
 * nothing that could start another header or option. */
static int mail_address_ok(const char *s)
{
	if (s[0] == '\0' || s[0] == '-')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("._%+-@", *s) == NULL)
			return 0;
	return 1;
}

const struct oa2_config_provider *oa2_config_provider(const struct oa2_config *cfg,
						       const char *name)
{
	for (int i = 0; i < cfg->nproviders; i++)
		if (strcasecmp(cfg->providers[i].name, name) == 0)
			return &cfg->providers[i];
	return NULL;
}

/* "provider.NAME.KEY = VALUE" */
static const char *apply_provider(struct oa2_config *cfg, const char *key, const char *val)
{
	static const struct { const char *key; size_t off; int url; } fields[] = {
		{ "issuer", offsetof(struct oa2_config_provider, issuer), 1 },
		{ "authorize_endpoint", offsetof(struct oa2_config_provider, authorize_endpoint), 1 },
		{ "token_endpoint", offsetof(struct oa2_config_provider, token_endpoint), 1 },
		{ "device_endpoint", offsetof(struct oa2_config_provider, device_endpoint), 1 },
		{ "revocation_endpoint", offsetof(struct oa2_config_provider, revocation_endpoint), 1 },
		{ "scope", offsetof(struct oa2_config_provider, scope), 0 },
		{ "client_id", offsetof(struct oa2_config_provider, client_id), 0 },
		{ "client_secret", offsetof(struct oa2_config_provider, client_secret), 0 },
		{ "redirect_host", offsetof(struct oa2_config_provider, redirect_host), 0 },
	};
	const char *name = key + strlen("provider."), *dot = strchr(name, '.');
	struct oa2_config_provider *p = NULL;
	char pname[64];

	if (dot == NULL || dot == name || (size_t)(dot - name) >= sizeof(pname))
		return "expected provider.NAME.KEY";
	snprintf(pname, sizeof(pname), "%.*s", (int)(dot - name), name);
	/* Provider names are case-insensitive: kept in lower case. A section
	 * named microsoft or google overrides the built-in values it sets. */
	for (char *c = pname; *c; c++) {
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
			return "provider names use letters, digits, - and _";
	}
	if (strcmp(dot + 1, "redirect_host") == 0 && strcmp(val, "localhost") != 0 &&
	    strcmp(val, "127.0.0.1") != 0)
		return "redirect_host is localhost or 127.0.0.1";
	for (int i = 0; i < cfg->nproviders; i++)
		if (strcmp(cfg->providers[i].name, pname) == 0)
			p = &cfg->providers[i];
	if (p == NULL) {
		if (cfg->nproviders == OA2_CONFIG_PROVIDERS_MAX)
			return "too many providers";
		p = &cfg->providers[cfg->nproviders];
		if (set_string(&p->name, pname) != 0)
			return "out of memory";
		cfg->nproviders++;
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(dot + 1, fields[i].key) == 0) {
			if (fields[i].url && strncmp(val, "https://", 8) != 0)
				return "endpoints must be https:// URLs";
			return set_string((char **)((char *)p + fields[i].off), val) == 0
				       ? NULL : "out of memory";
		}
	return "unknown provider key";
}

/* What libcurl would refuse in a proxy value, which it only finds out at
 * the first refresh: quotes (values are taken as written, up to the end of
 * the line), spaces, a scheme it has no proxy for. NULL when it will do. */
static const char *proxy_problem(const char *val)
{
	static const char *const schemes[] = { "http://", "https://", "socks4://", "socks4a://",
					       "socks5://", "socks5h://" };
	const char *sep = strstr(val, "://");
	size_t i;

	if (val[strcspn(val, "\"' \t")] != '\0')
		return "the proxy is taken as written, so it must have no quotes or spaces: "
		       "proxy = http://proxy.example.com:3128";
	if (sep == NULL)
		return NULL; /* host[:port]: libcurl takes it as http:// */
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncasecmp(val, schemes[i], strlen(schemes[i])) == 0)
			return sep[3] != '\0' ? NULL : "the proxy URL has no host";
	return "the proxy URL must start with http://, https://, socks4://, socks4a://, "
	       "socks5:// or socks5h://";
}

/* Applies one "key = value". Returns NULL, or what is wrong with it. */
static const char *apply(struct oa2_config *cfg, const char *key, const char *val)
{
	static const struct { const char *key; size_t off; } strings[] = {
		{ "client_id", offsetof(struct oa2_config, client_id) },
		{ "client_secret", offsetof(struct oa2_config, client_secret) },
		{ "token_endpoint", offsetof(struct oa2_config, token_endpoint) },
		{ "proxy", offsetof(struct oa2_config, proxy) },
		{ "ca_bundle", offsetof(struct oa2_config, ca_bundle) },
		{ "chroot_dir", offsetof(struct oa2_config, chroot_dir) },
		{ "notify_mail", offsetof(struct oa2_config, notify_mail) },
		{ "notify_command", offsetof(struct oa2_config, notify_command) },
	};
	static const struct { const char *key; size_t off; long min, max; const char *why; }
	numbers[] = {
		{ "refresh_margin", offsetof(struct oa2_config, refresh_margin), 0, 86400,
		  "value must be a whole number of seconds from 0 to 86400" },
		{ "connect_timeout", offsetof(struct oa2_config, connect_timeout), 1, 300,
		  "value must be a whole number of seconds from 1 to 300" },
		{ "timeout", offsetof(struct oa2_config, timeout), 1, 600,
		  "value must be a whole number of seconds from 1 to 600" },
		{ "notify_timeout", offsetof(struct oa2_config, notify_timeout), 1, 600,
		  "value must be a whole number of seconds from 1 to 600" },
		{ "notify_failing_after", offsetof(struct oa2_config, notify_failing_after), 0,
		  30 * 86400L, "value must be a whole number of seconds from 0 to 2592000" },
		{ "notify_expiring_within", offsetof(struct oa2_config, notify_expiring_within), 0,
		  365 * 86400L, "value must be a whole number of seconds from 0 to 31536000" },
	};

	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (strcmp(key, strings[i].key) == 0) {
			if (set_string((char **)((char *)cfg + strings[i].off), val) != 0)
				return "out of memory";
			if (strcmp(key, "token_endpoint") == 0 && strncmp(val, "https://", 8) != 0)
				return "token_endpoint must be an https:// URL";
			if (strcmp(key, "notify_mail") == 0 && !mail_address_ok(val))
				return "notify_mail must be one mail address (letters, digits and "
				       ". _ % + - @)";
			if (strcmp(key, "notify_command") == 0 && val[0] != '/')
				return "notify_command must be an absolute path (it is run without "
				       "a shell, with no arguments)";
			if (strcmp(key, "proxy") == 0)
				return proxy_problem(val);
			return NULL;
		}
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
		if (strcmp(key, numbers[i].key) == 0)
			return parse_seconds(val, numbers[i].min, numbers[i].max,
					     (long *)((char *)cfg + numbers[i].off)) == 0
				       ? NULL : numbers[i].why;
	if (strncmp(key, "provider.", 9) == 0)
		return apply_provider(cfg, key, val);
	if (strcmp(key, "metrics_user_label") == 0) {
		if (strcmp(val, "yes") != 0 && strcmp(val, "no") != 0)
			return "metrics_user_label must be yes or no";
		cfg->metrics_user_label = strcmp(val, "yes") == 0;
		return NULL;
	}
	if (strcmp(key, "log_level") == 0) {
		if (strcmp(val, "warn") == 0)
			cfg->log_level = OA2_LOG_WARN;
		else if (strcmp(val, "info") == 0)
			cfg->log_level = OA2_LOG_INFO;
		else if (strcmp(val, "debug") == 0)
			cfg->log_level = OA2_LOG_DEBUG;
		else
			return "log_level must be warn, info or debug";
		return NULL;
	}
	return "unknown key";
}

static int read_file(const char *path, struct oa2_config *cfg, struct oa2_err *err)
{
	char line[CONFIG_LINE_MAX];
	unsigned lineno = 0;
	FILE *f = fopen(path, "re");

	if (f == NULL) {
		if (errno == ENOENT) {
			cfg->missing = 1; /* defaults; the CLI refuses a --config that is missing */
			return OA2_OK;
		}
		return oa2_err_set(err, OA2_ERR_CONFIG, "config file %s: cannot open: %s", path,
				   strerror(errno));
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p, *eq, *key, *val;
		const char *problem;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			fclose(f);
			return oa2_err_set(err, OA2_ERR_CONFIG,
					   "config file %s, line %u: line longer than %d bytes",
					   path, lineno, CONFIG_LINE_MAX - 2);
		}
		p = trim(line);
		if (*p == '\0' || *p == '#')
			continue;
		eq = strchr(p, '=');
		if (eq == NULL) {
			fclose(f);
			return oa2_err_set(err, OA2_ERR_CONFIG,
					   "config file %s, line %u: expected \"key = value\"",
					   path, lineno);
		}
		*eq = '\0';
		key = trim(p);
		val = trim(eq + 1);
		problem = apply(cfg, key, val);
		if (problem != NULL) {
			char shown[96];

			snprintf(shown, sizeof(shown), "%s", key);
			OPENSSL_cleanse(line, sizeof(line)); /* may hold client_secret */
			fclose(f);
			return oa2_err_set(err, OA2_ERR_CONFIG, "config file %s, line %u: %s: %s",
					   path, lineno, shown, problem);
		}
	}
	OPENSSL_cleanse(line, sizeof(line));
	fclose(f);
	return OA2_OK;
}

static int read_ca_bundle(struct oa2_config *cfg, struct oa2_err *err)
{
	FILE *f = fopen(cfg->ca_bundle, "re");
	unsigned char *buf;
	long n;

	/* Name the config file only where the setting came from it. */
	if (f == NULL && cfg->missing)
		return oa2_err_set(err, OA2_ERR_CONFIG,
				   "CA bundle %s (the built-in default; there is no config file): "
				   "cannot open: %s; install the ca-certificates package, or set "
				   "ca_bundle in a config file (sasl-oauth2.conf(5))",
				   cfg->ca_bundle, strerror(errno));
	if (f == NULL && strcmp(cfg->ca_bundle, OA2_DEFAULT_CA_BUNDLE) == 0)
		return oa2_err_set(err, OA2_ERR_CONFIG,
				   "CA bundle %s (the built-in default): cannot open: %s; install "
				   "the ca-certificates package, or set ca_bundle in %s",
				   cfg->ca_bundle, strerror(errno), cfg->path);
	if (f == NULL)
		return oa2_err_set(err, OA2_ERR_CONFIG,
				   "CA bundle %s (ca_bundle in %s): cannot open: %s; install "
				   "the ca-certificates package or set ca_bundle",
				   cfg->ca_bundle, cfg->path, strerror(errno));
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || n > CA_BUNDLE_MAX ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return oa2_err_set(err, OA2_ERR_CONFIG, "CA bundle %s: unreadable or larger than %d bytes",
				   cfg->ca_bundle, CA_BUNDLE_MAX);
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return oa2_err_set(err, OA2_ERR_CONFIG, "CA bundle %s: cannot read it", cfg->ca_bundle);
	}
	fclose(f);
	buf[n] = '\0';
	cfg->ca_blob = buf;
	cfg->ca_blob_len = (size_t)n;
	return OA2_OK;
}

int oa2_config_load(const char *path, struct oa2_config *cfg, struct oa2_err *err)
{
	struct oa2_err ca_err;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->refresh_margin = 600;
	cfg->connect_timeout = 10;
	cfg->timeout = 30;
	cfg->notify_timeout = 30;
	cfg->notify_failing_after = 3600;
	cfg->notify_expiring_within = 30 * 86400L;
	cfg->log_level = OA2_LOG_WARN;
	if (path == NULL)
		path = oa2_config_path();
	if (set_string(&cfg->path, path) != 0 ||
	    set_string(&cfg->ca_bundle, OA2_DEFAULT_CA_BUNDLE) != 0 ||
	    set_string(&cfg->chroot_dir, "/var/spool/postfix") != 0)
		return oa2_err_set(err, OA2_ERR_NOMEM, "config: out of memory");
	rc = read_file(path, cfg, err);
	if (read_ca_bundle(cfg, &ca_err) != OA2_OK)
		snprintf(cfg->ca_error, sizeof(cfg->ca_error), "%s", ca_err.msg);
	return rc;
}

void oa2_config_clear(struct oa2_config *cfg)
{
	free(cfg->path);
	free(cfg->client_id);
	oa2_secret_free_str(cfg->client_secret);
	free(cfg->token_endpoint);
	free(cfg->proxy);
	free(cfg->ca_bundle);
	free(cfg->ca_blob);
	free(cfg->chroot_dir);
	free(cfg->notify_mail);
	free(cfg->notify_command);
	for (int i = 0; i < cfg->nproviders; i++) {
		struct oa2_config_provider *p = &cfg->providers[i];
		free(p->name);
		free(p->issuer);
		free(p->authorize_endpoint);
		free(p->token_endpoint);
		free(p->device_endpoint);
		free(p->revocation_endpoint);
		free(p->scope);
		free(p->client_id);
		oa2_secret_free_str(p->client_secret);
		free(p->redirect_host);
	}
	memset(cfg, 0, sizeof(*cfg));
}

const char *oa2_config_path_in_chroot(const char *path, const char *chroot_dir)
{
	size_t n;
	struct stat st;

	if (chroot_dir == NULL || (n = strlen(chroot_dir)) == 0 || chroot_dir[n - 1] == '/')
		return path;
	if (strncmp(path, chroot_dir, n) != 0 || path[n] != '/')
		return path;
	if (stat(path, &st) == 0 || errno != ENOENT)
		return path;
	return path + n;
}

#include <errno.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "sasl-oauth2/chars.h"
#include "sasl-oauth2/secret.h"

/* Every line printed from a file or a server goes through here: messages
 * name files and quote their contents, so no control byte (C0, DEL, C1,
 * malformed UTF-8) of another user's file name or a server's answer
 * reaches the terminal raw. */
static void print_escaped(FILE *out, const char *prefix, const char *fmt, va_list ap)
{
	char msg[2048], shown[4 * sizeof(msg)];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	oa2_chars_escape(msg, shown, sizeof(shown));
	fprintf(out, "%s%s\n", prefix, shown);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_escaped(stderr, "sasl-oauth2: ", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_escaped(stderr, "sasl-oauth2: warning: ", fmt, ap);
	va_end(ap);
}

void cli_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_escaped(stdout, "", fmt, ap);
	va_end(ap);
}

int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sasl-oauth2 %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'sasl-oauth2 %s --help'.\n", cmd->name);
	return CLI_USAGE;
}

int cli_help(const struct cli_command *cmd)
{
	fputs(cmd->usage, stdout);
	return CLI_OK;
}

int cli_exit_for(int rc)
{
	switch (rc) {
	case OA2_OK: return CLI_OK;
	case OA2_ERR_NOMEM: return CLI_SOFTWARE;
	case OA2_ERR_IO:
	case OA2_ERR_UNWRITABLE: return CLI_IOERR;
	case OA2_ERR_TOOBIG:
	case OA2_ERR_PARSE:
	case OA2_ERR_MISSING: return CLI_DATAERR;
	case OA2_ERR_UNSAFE: return CLI_NOPERM;
	case OA2_ERR_CONFIG: return CLI_CONFIG;
	case OA2_ERR_NET:
	case OA2_ERR_TEMPORARY: return CLI_TEMPFAIL;
	case OA2_ERR_DENIED:
	case OA2_ERR_NOREFRESH:
	case OA2_ERR_EXPIRED: return CLI_UNAVAILABLE;
	default: return CLI_FAIL;
	}
}

int cli_require_config(const struct cli *cli)
{
	if (cli->cfg_rc == OA2_OK)
		return CLI_OK;
	cli_error("%s", cli->cfg_err.msg);
	return CLI_CONFIG;
}

static char *first_line(char *s)
{
	s[strcspn(s, "\r\n")] = '\0';
	return s;
}

/* $SASL_OAUTH2_CLIENT_SECRET, taken out of the environment at start. */
static char *env_secret;

void cli_take_secret_env(void)
{
	char *v = getenv(CLI_CLIENT_SECRET_ENV);

	if (v == NULL)
		return;
	if (v[0] != '\0')
		env_secret = oa2_secret_strndup(v, strlen(v));
	/* The environment block is ours to overwrite; children (the browser,
	 * postconf, the privilege-dropped workers) never see the secret. */
	OPENSSL_cleanse(v, strlen(v));
	unsetenv(CLI_CLIENT_SECRET_ENV);
}

int cli_read_client_secret(const char *file, int prompt, char **out, struct oa2_err *err)
{
	char buf[1024];
	const char *env;

	*out = NULL;
	if (file != NULL) {
		FILE *f = fopen(file, "re");
		if (f == NULL)
			return oa2_err_set(err, OA2_ERR_IO, "client secret file %s: %s", file,
					   strerror(errno));
		if (fgets(buf, sizeof(buf), f) == NULL)
			buf[0] = '\0';
		fclose(f);
		first_line(buf);
		if (buf[0] == '\0')
			return oa2_err_set(err, OA2_ERR_MISSING, "client secret file %s is empty",
					   file);
		*out = oa2_secret_strndup(buf, strlen(buf));
		OPENSSL_cleanse(buf, sizeof(buf));
		return *out ? OA2_OK : OA2_ERR_NOMEM;
	}
	env = env_secret;
	if (env != NULL && env[0] != '\0') {
		*out = oa2_secret_strndup(env, strlen(env));
		return *out ? OA2_OK : OA2_ERR_NOMEM;
	}
	if (prompt && isatty(STDIN_FILENO)) {
		struct termios old, quiet;
		int restore = tcgetattr(STDIN_FILENO, &old) == 0;

		fputs("Client secret (empty for a public client): ", stderr);
		fflush(stderr);
		if (restore) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		}
		if (fgets(buf, sizeof(buf), stdin) == NULL)
			buf[0] = '\0';
		if (restore)
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
		first_line(buf);
		if (buf[0] != '\0')
			*out = oa2_secret_strndup(buf, strlen(buf));
		OPENSSL_cleanse(buf, sizeof(buf));
	}
	return OA2_OK;
}

void cli_format_duration(long long s, char *buf, size_t n)
{
	if (s < 0)
		s = -s;
	if (s >= 86400)
		snprintf(buf, n, "%lldd %lldh", s / 86400, (s % 86400) / 3600);
	else if (s >= 3600)
		snprintf(buf, n, "%lldh %lldm", s / 3600, (s % 3600) / 60);
	else if (s >= 60)
		snprintf(buf, n, "%lldm %llds", s / 60, s % 60);
	else
		snprintf(buf, n, "%llds", s);
}

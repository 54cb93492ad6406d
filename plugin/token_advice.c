/* Token file failures as the admin can act on them, outside the chroot. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "token_advice.h"

/* Appends to err->msg, truncating. */
static void append(struct oa2_err *err, const char *what, const char *more)
{
	size_t len = strlen(err->msg);

	snprintf(err->msg + len, sizeof(err->msg) - len, "%s%s", what, more);
}

/* The files a name lookup and a connection need, that a chroot may lack. */
static void missing_resolver_files(char *buf, size_t n)
{
	static const char *const need[] = { "/etc/resolv.conf", "/etc/hosts", "/etc/services" };

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (access(need[i], F_OK) != 0)
			snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", buf[0] ? ", " : "",
				 need[i]);
}

void oa2p_token_advice(const struct oa2_config *cfg, const char *secret, const char *opened,
		       struct oa2_err *err)
{
	const char *base = strrchr(secret, '/');
	char account[256], missing[128], cause[512];
	size_t len;

	oa2_err_show_path(err, opened, secret);
	if (err->rc != OA2_ERR_NET)
		return;
	base = base ? base + 1 : secret;
	len = strlen(base);
	if (len > 5 && strcmp(base + len - 5, ".json") == 0)
		len -= 5;
	snprintf(account, sizeof(account), "%.*s", (int)len, base);
	append(err, " (account ", account);
	append(err, ", token file ", secret);
	append(err, ")", "");
	missing_resolver_files(missing, sizeof(missing));
	if (missing[0] == '\0')
		return;
	snprintf(cause, sizeof(cause), "; likely cause: this process has no %s, as in a Postfix "
		 "chroot (%s) without them: copy them into %s/etc and check with sasl-oauth2 "
		 "doctor --for postfix", missing, cfg->chroot_dir, cfg->chroot_dir);
	append(err, cause, "");
}

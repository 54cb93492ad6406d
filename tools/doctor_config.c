/* doctor: the configuration file and the CA bundle. */
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "doctor.h"

static int holds_secret(const struct oa2_config *c)
{
	if (c->client_secret != NULL)
		return 1;
	for (int i = 0; i < c->nproviders; i++)
		if (c->providers[i].client_secret != NULL)
			return 1;
	return 0;
}

/* A client secret others can read lets them use the app's identity. */
static void check_secret_mode(struct doctor *d, const struct stat *st)
{
	const char *path = d->cli->cfg.path;
	char fix[2 * PATH_MAX + 64];

	if (!holds_secret(&d->cli->cfg))
		return;
	if (!(st->st_mode & S_IROTH)) {
		report(d, OK, NULL, "config: %s holds a client_secret and others cannot read it",
		       path);
		return;
	}
	if (d->for_postfix)
		doctor_fix(fix, sizeof(fix), "chown root:postfix %p && chmod 640 %p", path, path);
	else
		doctor_fix(fix, sizeof(fix), "chmod 600 %p", path);
	report(d, WARN, fix,
	       "config: %s holds a client_secret and every user can read it",
	       path);
}

void doctor_check_config(struct doctor *d)
{
	const struct oa2_config *c = &d->cli->cfg;
	struct stat st;

	if (d->cli->cfg_rc != OA2_OK)
		report(d, FAIL, "correct the line named; see sasl-oauth2.conf(5)", "config: %s",
		       d->cli->cfg_err.msg);
	else if (stat(c->path, &st) != 0)
		report(d, OK, NULL, "config: %s absent, defaults used", c->path);
	else
		report(d, OK, NULL, "config: %s parses", c->path);
	if (d->cli->cfg_rc == OA2_OK && stat(c->path, &st) == 0)
		check_secret_mode(d, &st);
	if (c->ca_blob == NULL)
		report(d, FAIL, "install the ca-certificates package or set ca_bundle",
		       "config: %s", c->ca_error);
}

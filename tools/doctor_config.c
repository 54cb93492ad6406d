/* doctor: the configuration file and the CA bundle. */
#include <sys/stat.h>

#include "doctor.h"

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
	if (c->ca_blob == NULL)
		report(d, FAIL, "install the ca-certificates package or set ca_bundle",
		       "config: %s", c->ca_error);
}

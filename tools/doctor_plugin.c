/* doctor: the plugin, as libsasl2 sees it. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sasl/sasl.h>

#include "doctor.h"

static struct doctor *log_target;

static int on_sasl_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (level <= SASL_LOG_WARN && log_target && log_target->sasl_log[0] == '\0')
		snprintf(log_target->sasl_log, sizeof(log_target->sasl_log), "%s", msg);
	return SASL_OK;
}

static int on_getpath(void *ctx, const char **path)
{
	*path = ctx;
	return SASL_OK;
}

void doctor_check_plugin(struct doctor *d)
{
	char so[PATH_MAX + 32], fix[PATH_MAX + 128];
	sasl_callback_t cbs[] = {
		{ SASL_CB_LOG, (int (*)(void))(void (*)(void))on_sasl_log, NULL },
		{ SASL_CB_GETPATH, (int (*)(void))(void (*)(void))on_getpath, (void *)d->plugin_dir },
		{ SASL_CB_LIST_END, NULL, NULL },
	};
	const char **mechs;
	int have_x = 0, have_o = 0;

	snprintf(so, sizeof(so), "%s/libsasl-oauth2.so", d->plugin_dir);
	snprintf(fix, sizeof(fix), "install it: make install (or copy libsasl-oauth2.so to %s)",
		 d->plugin_dir);
	if (access(so, R_OK) != 0) {
		report(d, FAIL, fix, "plugin: %s is missing (%s)", so, strerror(errno));
		return;
	}
	report(d, OK, NULL, "plugin: %s is installed", so);
	log_target = d;
	if (sasl_client_init(cbs) != SASL_OK) {
		report(d, FAIL, "check that libsasl2-2 is installed and the plugin directory is "
		       "readable", "plugin: libsasl2 failed to initialise: %s", d->sasl_log);
		return;
	}
	mechs = sasl_global_listmech();
	for (; mechs != NULL && *mechs != NULL; mechs++) {
		have_x |= strcmp(*mechs, "XOAUTH2") == 0;
		have_o |= strcmp(*mechs, "OAUTHBEARER") == 0;
	}
	if (have_x && have_o)
		report(d, OK, NULL, "plugin: libsasl2 lists XOAUTH2 and OAUTHBEARER");
	else
		report(d, FAIL, "reinstall the plugin built for this libsasl2; see the reason above",
		       "plugin: libsasl2 does not list %s%s%s (%s)", have_x ? "" : "XOAUTH2",
		       !have_x && !have_o ? " and " : "", have_o ? "" : "OAUTHBEARER",
		       d->sasl_log[0] ? d->sasl_log : "no reason logged");
	sasl_client_done();
	log_target = NULL;
}

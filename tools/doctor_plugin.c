/* doctor: the plugin, as libsasl2 sees it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sasl/sasl.h>

#include "cmdutil.h"
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
	doctor_fix(fix, sizeof(fix), "install it: make install (or copy libsasl-oauth2.so to %s)",
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

/* Reads at most 16 MB of path and tells whether it names either mechanism:
 * a plugin offering them carries the names as strings. */
static int offers_oauth(const char *path)
{
	enum { CAP = 16 << 20 };
	struct stat st;
	char *buf;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), hit = 0;

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	buf = malloc(st.st_size < CAP ? (size_t)st.st_size : CAP);
	n = buf ? read(fd, buf, st.st_size < CAP ? (size_t)st.st_size : CAP) : -1;
	if (n > 0)
		hit = memmem(buf, (size_t)n, "XOAUTH2", 7) != NULL ||
		      memmem(buf, (size_t)n, "OAUTHBEARER", 11) != NULL;
	free(buf);
	close(fd);
	return hit;
}

/* Another XOAUTH2 plugin (tarickb/sasl-xoauth2, ...) in the same directory:
 * libsasl2 offers one of the two for every program, by load order. */
void doctor_check_other_plugins(struct doctor *d)
{
	char path[PATH_MAX + 300], fix[3 * PATH_MAX];
	DIR *dp = opendir(d->plugin_dir);
	struct dirent *e;
	int others = 0;

	while (dp != NULL && (e = readdir(dp)) != NULL) {
		if (strncmp(e->d_name, "libsasl-oauth2.", 15) == 0 || strstr(e->d_name, ".so") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", d->plugin_dir, e->d_name);
		if (!offers_oauth(path))
			continue;
		doctor_fix(fix, sizeof(fix), "rm %p", path);
		report(d, WARN, fix, "plugin: %s also offers XOAUTH2 or OAUTHBEARER: libsasl2 "
		       "picks one of the two plugins for every program (if a package installed "
		       "it, dpkg -S %s names the package to purge instead; see "
		       DOCDIR "/migrate-sasl-xoauth2.md)", path, path);
		others++;
	}
	if (dp != NULL)
		closedir(dp);
	if (others == 0)
		report(d, OK, NULL, "plugin: no other XOAUTH2 or OAUTHBEARER plugin in %s",
		       d->plugin_dir);
}

/* tarickb/sasl-xoauth2's configuration is here and Postfix has no account
 * of ours yet: a relay in the middle of moving over, whose tokens can be
 * imported instead of authorized again. */
void doctor_check_migration(struct doctor *d)
{
	char dir[PATH_MAX], fix[PATH_MAX + 256];
	char **names = NULL;
	size_t n = 0;

	if (access(CLI_SASL_XOAUTH2_CONF, F_OK) != 0 ||
	    account_default_dir(1, &d->cli->cfg, dir, sizeof(dir), NULL) != OA2_OK ||
	    cli_list_accounts_in(dir, &names, &n, NULL) != OA2_OK)
		return;
	cli_names_free(names, n);
	if (n > 0)
		return;
	doctor_fix(fix, sizeof(fix), "for each token file sasl_passwd names: sasl-oauth2 import "
		   "FILE NAME --for postfix (see " DOCDIR "/migrate-sasl-xoauth2.md)");
	report(d, WARN, fix, "migration: %s (tarickb/sasl-xoauth2) is here, and Postfix has no "
	       "sasl-oauth2 account in %s yet: import its token files rather than authorize "
	       "again", CLI_SASL_XOAUTH2_CONF, dir);
}
